// libFuzzer target over sbx-helper's argument and environment parsing
// (launcher/protocol.*): the input is split at NUL bytes into an argv, and
// every field also goes through each parser as an environment value would;
// the whole input is also read as helper.conf.
// Beyond "no crash, no sanitizer report", it checks what must hold:
// a parsed number prints back to the same number, a saved variable name is
// exactly SANDBOX_<name>, and nothing is written past a buffer.
#include <climits>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "protocol.h"

using namespace sbx::helper;

namespace {
void require(bool condition) {
  if (!condition) __builtin_trap();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);

  // Fields of an argv, as the kernel would hand them over.
  std::vector<std::string> fields;
  size_t start = 0;
  while (fields.size() < 8) {
    const size_t end = input.find('\0', start);
    fields.push_back(input.substr(start, end == std::string::npos ? std::string::npos : end - start));
    if (end == std::string::npos) break;
    start = end + 1;
  }
  std::vector<const char*> argv = {"sbx-helper"};
  for (const auto& f : fields) argv.push_back(f.c_str());
  argv.push_back(nullptr);
  const Mode mode = classify_command_line(static_cast<int>(argv.size()) - 1, argv.data());
  require(mode != Mode::kRun || argv[1][0] != '-');

  for (const auto& f : fields) {
    long value = 0;
    if (parse_long(f.c_str(), LONG_MIN, LONG_MAX, &value)) {
      char printed[24];
      require(format_decimal(value, printed, sizeof(printed)));
      long again = 0;
      require(parse_long(printed, LONG_MIN, LONG_MAX, &again) && again == value);
    }
    int api = 0;
    if (parse_api_request(f.c_str(), &api)) require(f.empty() ? false : true);

    char saved[40];
    std::memset(saved, 0x55, sizeof(saved));
    const size_t room = f.size() % sizeof(saved);
    if (saved_variable_name(f.c_str(), saved, room)) {
      require(std::string(saved) == std::string(kSavedPrefix) + f.c_str());
    }
    for (size_t i = room; i < sizeof(saved); ++i) require(saved[i] == 0x55);  // nothing past the buffer
  }
  if (fields.size() >= 2) {
    pid_t pid = 0;
    int score = -1;
    if (parse_oom_arguments(fields[0].c_str(), fields[1].c_str(), &pid, &score))
      require(pid > 0 && score >= 0 && score <= 1000);
  }

  unsigned long long ignored = 0;
  unsigned long long caught = 0;
  parse_signal_masks(input.data(), input.size(), &ignored, &caught);

  // The whole input as helper.conf: an accepted range is a real one, and a
  // refusal names a line of the input and leaves the range untouched.
  UidRange range{7, 8};
  int bad_line = -1;
  if (parse_helper_config(input.data(), input.size(), &range, &bad_line) == nullptr) {
    require(bad_line == 0);
    if (range.configured()) {
      require(range.first >= 1 && range.first <= range.last && range.last <= 4294967294U);
      require(range.last - range.first < kMaxRangeLength);
      require(!(range.first <= 65534 && range.last >= 65534));
    }
  } else {
    require(bad_line >= 1 && static_cast<size_t>(bad_line) <= size + 1);
    require(range.first == 7 && range.last == 8);
  }
  return 0;
}
