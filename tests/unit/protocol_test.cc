// Unit tests for the pure parts of sbx-helper (launcher/protocol.*).
#include <catch2/catch.hpp>

#include <algorithm>
#include <climits>
#include <csignal>
#include <cstring>
#include <string>
#include <vector>

#include "protocol.h"

using namespace sbx::helper;

namespace {
Mode classify(std::vector<const char*> args) {
  args.push_back(nullptr);
  return classify_command_line(static_cast<int>(args.size()) - 1, args.data());
}
}  // namespace

TEST_CASE("command line: what each form asks for", "[cmdline]") {
  CHECK(classify({"sbx-helper"}) == Mode::kUsageError);
  CHECK(classify({}) == Mode::kUsageError);  // argc == 0
  CHECK(classify_command_line(2, nullptr) == Mode::kUsageError);
  CHECK(classify({"sbx-helper", "/bin/true"}) == Mode::kRun);
  CHECK(classify({"sbx-helper", "relative/prog", "--get-api"}) == Mode::kRun);
  CHECK(classify({"sbx-helper", "--get-api"}) == Mode::kGetApi);
  CHECK(classify({"sbx-helper", "--get-api", "x"}) == Mode::kUsageError);
  CHECK(classify({"sbx-helper", "--adjust-oom-score", "12", "300"}) == Mode::kAdjustOomScore);
  CHECK(classify({"sbx-helper", "--adjust-oom-score", "12"}) == Mode::kUsageError);
  CHECK(classify({"sbx-helper", "--adjust-oom-score", "1", "2", "3"}) == Mode::kUsageError);
  CHECK(classify({"sbx-helper", "--help"}) == Mode::kHelp);
  CHECK(classify({"sbx-helper", "--version"}) == Mode::kVersion);
  CHECK(classify({"sbx-helper", "--frobnicate"}) == Mode::kUsageError);
  CHECK(classify({"sbx-helper", "-"}) == Mode::kUsageError);
}

TEST_CASE("parse_long accepts exactly a decimal number in range", "[parse]") {
  long v = -7;
  CHECK(parse_long("0", 0, 10, &v));
  CHECK(v == 0);
  CHECK(parse_long("-5", -10, 10, &v));
  CHECK(v == -5);
  CHECK(parse_long("9223372036854775807", LONG_MIN, LONG_MAX, &v));
  CHECK(v == LONG_MAX);
  CHECK(parse_long("-9223372036854775808", LONG_MIN, LONG_MAX, &v));
  CHECK(v == LONG_MIN);
  CHECK(parse_long("0001", 0, 10, &v));
  CHECK(v == 1);

  v = 42;
  for (const char* bad : {"", "-", "+1", " 1", "1 ", "1a", "0x10", "9223372036854775808", "-9223372036854775809",
                          "99999999999999999999", "1.0", "--1"}) {
    INFO("input: '" << bad << "'");
    CHECK_FALSE(parse_long(bad, LONG_MIN, LONG_MAX, &v));
  }
  CHECK_FALSE(parse_long(nullptr, 0, 1, &v));
  CHECK_FALSE(parse_long("11", 0, 10, &v));
  CHECK_FALSE(parse_long("-1", 0, 10, &v));
  CHECK(v == 42);  // untouched on failure
}

TEST_CASE("SBX_CHROME_API_RQ: absent is 0, a number is taken, anything else refused", "[parse]") {
  int api = -1;
  CHECK(parse_api_request(nullptr, &api));
  CHECK(api == 0);
  CHECK(parse_api_request("1", &api));
  CHECK(api == 1);
  CHECK(parse_api_request("2", &api));
  CHECK(api == 2);
  CHECK(parse_api_request("-3", &api));
  CHECK(api == -3);
  CHECK_FALSE(parse_api_request("", &api));
  CHECK_FALSE(parse_api_request("one", &api));
  CHECK_FALSE(parse_api_request("1 ", &api));
  CHECK_FALSE(parse_api_request("2147483648", &api));  // does not fit an int
  CHECK(parse_api_request("2147483647", &api));
  CHECK(api == INT_MAX);
}

TEST_CASE("--adjust-oom-score arguments: a pid above 0 and a score in 0..1000", "[parse]") {
  pid_t pid = 0;
  int score = -1;
  CHECK(parse_oom_arguments("1234", "300", &pid, &score));
  CHECK(pid == 1234);
  CHECK(score == 300);
  CHECK(parse_oom_arguments("1", "0", &pid, &score));
  CHECK(parse_oom_arguments("2147483647", "1000", &pid, &score));
  CHECK_FALSE(parse_oom_arguments("0", "200", &pid, &score));
  CHECK_FALSE(parse_oom_arguments("-1", "200", &pid, &score));
  CHECK_FALSE(parse_oom_arguments("2147483648", "200", &pid, &score));
  CHECK_FALSE(parse_oom_arguments("12", "1001", &pid, &score));
  CHECK_FALSE(parse_oom_arguments("12", "-1", &pid, &score));
  CHECK_FALSE(parse_oom_arguments("12", "2e2", &pid, &score));
  CHECK_FALSE(parse_oom_arguments("self", "200", &pid, &score));
  CHECK_FALSE(parse_oom_arguments("12/../1", "200", &pid, &score));
}

TEST_CASE("the unsecure list is glibc's 24 names", "[env]") {
  std::vector<std::string> names;
  for (const char* const* p = kUnsecureEnvironment; *p != nullptr; ++p) names.emplace_back(*p);
  CHECK(names.size() == 24);
  for (const char* expected : {"LD_PRELOAD", "LD_LIBRARY_PATH", "LD_AUDIT", "GCONV_PATH", "TMPDIR", "TZDIR",
                               "MALLOC_TRACE", "LD_AOUT_LIBRARY_PATH", "RES_OPTIONS", "NLSPATH"}) {
    INFO(expected);
    CHECK(std::find(names.begin(), names.end(), expected) != names.end());
  }
}

TEST_CASE("saved variable names are SANDBOX_<NAME> and never overflow", "[env]") {
  char buf[32];
  CHECK(saved_variable_name("LD_PRELOAD", buf, sizeof(buf)));
  CHECK(std::string(buf) == "SANDBOX_LD_PRELOAD");
  char exact[sizeof("SANDBOX_TMPDIR")];
  CHECK(saved_variable_name("TMPDIR", exact, sizeof(exact)));
  CHECK(std::string(exact) == "SANDBOX_TMPDIR");
  char small[sizeof("SANDBOX_TMPDIR") - 1];
  CHECK_FALSE(saved_variable_name("TMPDIR", small, sizeof(small)));
  char tiny[4];
  CHECK_FALSE(saved_variable_name("X", tiny, sizeof(tiny)));
  CHECK_FALSE(saved_variable_name("X", tiny, 0));
  for (const char* const* p = kUnsecureEnvironment; *p != nullptr; ++p) {
    char saved[64];
    INFO(*p);
    CHECK(saved_variable_name(*p, saved, sizeof(saved)));  // the helper's buffer fits them all
  }
}

TEST_CASE("format_decimal", "[format]") {
  char buf[24];
  CHECK(format_decimal(0, buf, sizeof(buf)));
  CHECK(std::string(buf) == "0");
  CHECK(format_decimal(7, buf, sizeof(buf)));
  CHECK(std::string(buf) == "7");
  CHECK(format_decimal(-42, buf, sizeof(buf)));
  CHECK(std::string(buf) == "-42");
  CHECK(format_decimal(LONG_MIN, buf, sizeof(buf)));
  CHECK(std::string(buf) == "-9223372036854775808");
  CHECK(format_decimal(LONG_MAX, buf, sizeof(buf)));
  CHECK(std::string(buf) == "9223372036854775807");
  char three[3];
  CHECK(format_decimal(99, three, sizeof(three)));
  CHECK(std::string(three) == "99");
  CHECK_FALSE(format_decimal(100, three, sizeof(three)));
}

TEST_CASE("exit status: exited passes through, killed is 128+N", "[status]") {
  CHECK(exit_code_for_wait_status(0) == 0);
  CHECK(exit_code_for_wait_status(3 << 8) == 3);
  CHECK(exit_code_for_wait_status(255 << 8) == 255);
  CHECK(exit_code_for_wait_status(SIGKILL) == 128 + SIGKILL);
  CHECK(exit_code_for_wait_status(SIGSEGV | 0x80) == 128 + SIGSEGV);  // with core dump bit
  CHECK(exit_code_for_wait_status(SIGTERM) == 128 + SIGTERM);
}

TEST_CASE("signal masks from /proc/PID/status", "[status]") {
  const std::string status =
      "Name:\tsleep\nSigQ:\t0/96364\nSigPnd:\t0000000000000000\nShdPnd:\t0000000000000000\n"
      "SigBlk:\t0000000000010000\nSigIgn:\t0000000000001000\nSigCgt:\t0000000180004002\nCapInh:\t0\n";
  unsigned long long ign = 1, cgt = 1;
  REQUIRE(parse_signal_masks(status.data(), status.size(), &ign, &cgt));
  CHECK(ign == 0x1000ULL);       // SIGPIPE (13) ignored
  CHECK(cgt == 0x180004002ULL);  // SIGINT (2), SIGTERM (15), 32, 33 caught
  CHECK((cgt >> (SIGTERM - 1) & 1) == 1);
  CHECK((cgt >> (SIGHUP - 1) & 1) == 0);

  const std::string truncated = "SigIgn:\t0000000000001000\n";
  CHECK_FALSE(parse_signal_masks(truncated.data(), truncated.size(), &ign, &cgt));
  const std::string bad = "SigIgn:\t00000000000010zz\nSigCgt:\t0\n";
  CHECK_FALSE(parse_signal_masks(bad.data(), bad.size(), &ign, &cgt));
  const std::string too_long = "SigIgn:\t00000000000000001\nSigCgt:\t0\n";
  CHECK_FALSE(parse_signal_masks(too_long.data(), too_long.size(), &ign, &cgt));
  const std::string empty = "SigIgn:\t\nSigCgt:\t0\n";
  CHECK_FALSE(parse_signal_masks(empty.data(), empty.size(), &ign, &cgt));
  // A key inside another line does not count.
  const std::string inside = "XSigIgn:\t1\nSigCgt:\t2\n";
  CHECK_FALSE(parse_signal_masks(inside.data(), inside.size(), &ign, &cgt));
  // Length is respected: nothing is read past it.
  CHECK_FALSE(parse_signal_masks(status.data(), status.find("SigCgt"), &ign, &cgt));
}

namespace {
// parse_helper_config over a string: the reason (nullptr when accepted).
const char* config(const std::string& text, UidRange* range, int* line) {
  return parse_helper_config(text.data(), text.size(), range, line);
}
}  // namespace

TEST_CASE("helper.conf: uid-range FIRST-LAST, comments and blank lines", "[config]") {
  UidRange range;
  int line = -1;
  REQUIRE(config("uid-range 100000-100019\n", &range, &line) == nullptr);
  CHECK(range.configured());
  CHECK(range.first == 100000);
  CHECK(range.last == 100019);
  CHECK(line == 0);

  REQUIRE(config("# sbx-helper's UIDs\n\n  \tuid-range\t200000-200000   # one UID\n# end", &range, &line) == nullptr);
  CHECK(range.first == 200000);
  CHECK(range.last == 200000);
  REQUIRE(config("uid-range 4294901759-4294967294\r\n", &range, &line) == nullptr);
  CHECK(range.last == 4294967294U);

  // No directive at all: no UID range (as without the file).
  range = UidRange{5, 6};
  REQUIRE(config("", &range, &line) == nullptr);
  CHECK_FALSE(range.configured());
  REQUIRE(config("# uid-range 100000-100019\n\n", &range, &line) == nullptr);
  CHECK_FALSE(range.configured());
}

TEST_CASE("helper.conf: anything else is refused, naming the line", "[config]") {
  const struct {
    const char* text;
    int line;
  } bad[] = {
      {"uid-range 100-\n", 1},
      {"uid-range -100\n", 1},
      {"uid-range 100\n", 1},
      {"uid-range 100 - 200\n", 1},
      {"uid-range 100-200 300\n", 1},
      {"uid-range +100-200\n", 1},
      {"uid-range 0x10-0x20\n", 1},
      {"uid-range 0-10\n", 1},                      // root is never in a range
      {"uid-range 200-100\n", 1},                   // empty
      {"uid-range 1-4294967295\n", 1},              // (uid_t)-1 is no UID
      {"uid-range 100-99999999999\n", 1},           // more than 10 digits
      {"uid-range 100000-165536\n", 1},             // 65537 UIDs: too long
      {"uid-range 65530-65540\n", 1},               // holds nobody
      {"# ok\nuid-range 1-2\nuid-range 3-4\n", 3},  // twice
      {"uid-ranges 1-2\n", 1},
      {"uid-range1-2\n", 1},
      {"\n\nuser 1000\n", 3},
      {"uid-range 1-2\n\n\nuid-range", 4},
  };
  for (const auto& b : bad) {
    UidRange range{7, 8};
    int line = -1;
    INFO(b.text);
    CHECK(config(b.text, &range, &line) != nullptr);
    CHECK(line == b.line);
    CHECK(range.first == 7);  // untouched
  }
  // A NUL byte inside the text (the string literal above ends at it).
  UidRange range;
  int line = 0;
  CHECK(config(std::string("uid-range 1-2\n#\0x\n", 18), &range, &line) != nullptr);
  CHECK(line == 2);
  CHECK(config(std::string("uid-range 1-2\0", 14), &range, &line) != nullptr);
  CHECK(line == 1);
}

TEST_CASE("helper.conf: the largest range is 65536 UIDs", "[config]") {
  UidRange range;
  int line = 0;
  CHECK(config("uid-range 100000-165535", &range, &line) == nullptr);
  CHECK(range.last - range.first + 1 == kMaxRangeLength);
}
