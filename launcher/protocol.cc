#include "protocol.h"

#include <climits>
#include <cstring>
#include <sys/wait.h>

namespace sbx::helper {

Mode classify_command_line(int argc, const char* const* argv) {
  if (argc < 2 || argv == nullptr || argv[1] == nullptr) return Mode::kUsageError;
  const char* first = argv[1];
  if (first[0] != '-') return Mode::kRun;
  if (std::strcmp(first, kGetApiSwitch) == 0) return argc == 2 ? Mode::kGetApi : Mode::kUsageError;
  if (std::strcmp(first, kAdjustOomScoreSwitch) == 0) return argc == 4 ? Mode::kAdjustOomScore : Mode::kUsageError;
  if (std::strcmp(first, "--help") == 0 && argc == 2) return Mode::kHelp;
  if (std::strcmp(first, "--version") == 0 && argc == 2) return Mode::kVersion;
  return Mode::kUsageError;
}

bool parse_long(const char* text, long min, long max, long* out) {
  if (text == nullptr) return false;
  const char* p = text;
  bool negative = false;
  if (*p == '-') {
    negative = true;
    ++p;
  }
  if (*p == '\0') return false;
  // Accumulate as a negative number so that LONG_MIN fits.
  long value = 0;
  int digits = 0;
  for (; *p != '\0'; ++p) {
    if (*p < '0' || *p > '9') return false;
    if (++digits > 19) return false;
    const long digit = *p - '0';
    if (value < (LONG_MIN + digit) / 10) return false;
    value = value * 10 - digit;
  }
  if (!negative) {
    if (value == LONG_MIN) return false;
    value = -value;
  }
  if (value < min || value > max) return false;
  *out = value;
  return true;
}

bool parse_api_request(const char* text_or_null, int* api) {
  if (text_or_null == nullptr) {
    *api = 0;
    return true;
  }
  long value = 0;
  if (!parse_long(text_or_null, INT_MIN, INT_MAX, &value)) return false;
  *api = static_cast<int>(value);
  return true;
}

bool parse_oom_arguments(const char* pid_text, const char* score_text, pid_t* pid, int* score) {
  long pid_value = 0;
  long score_value = 0;
  if (!parse_long(pid_text, 1, INT_MAX, &pid_value)) return false;
  if (!parse_long(score_text, kMinOomScore, kMaxOomScore, &score_value)) return false;
  *pid = static_cast<pid_t>(pid_value);
  *score = static_cast<int>(score_value);
  return true;
}

const char* const kUnsecureEnvironment[] = {
    "LD_AOUT_LIBRARY_PATH",
    "LD_AOUT_PRELOAD",
    "GCONV_PATH",
    "GETCONF_DIR",
    "HOSTALIASES",
    "LD_AUDIT",
    "LD_DEBUG",
    "LD_DEBUG_OUTPUT",
    "LD_DYNAMIC_WEAK",
    "LD_LIBRARY_PATH",
    "LD_ORIGIN_PATH",
    "LD_PRELOAD",
    "LD_PROFILE",
    "LD_SHOW_AUXV",
    "LD_USE_LOAD_BIAS",
    "LOCALDOMAIN",
    "LOCPATH",
    "MALLOC_TRACE",
    "NIS_PATH",
    "NLSPATH",
    "RESOLV_HOST_CONF",
    "RES_OPTIONS",
    "TMPDIR",
    "TZDIR",
    nullptr,
};

bool saved_variable_name(const char* name, char* buf, std::size_t size) {
  const std::size_t prefix = sizeof(kSavedPrefix) - 1;
  const std::size_t length = std::strlen(name);
  if (size < prefix + length + 1) return false;
  std::memcpy(buf, kSavedPrefix, prefix);
  std::memcpy(buf + prefix, name, length + 1);
  return true;
}

bool format_decimal(long value, char* buf, std::size_t size) {
  char digits[24];
  std::size_t n = 0;
  // Work on the negative value so that LONG_MIN is printable.
  long v = value < 0 ? value : -value;
  do {
    digits[n++] = static_cast<char>('0' - v % 10);
    v /= 10;
  } while (v != 0);
  if (value < 0) digits[n++] = '-';
  if (n + 1 > size) return false;
  for (std::size_t i = 0; i < n; ++i) buf[i] = digits[n - 1 - i];
  buf[n] = '\0';
  return true;
}

namespace {
// The hex value after "\n<key>\t" in text (or at its start); 16 digits at most.
bool find_hex_field(const char* text, std::size_t length, const char* key, unsigned long long* value) {
  const std::size_t key_length = std::strlen(key);
  for (std::size_t i = 0; i + key_length < length; ++i) {
    if ((i != 0 && text[i - 1] != '\n') || std::memcmp(text + i, key, key_length) != 0) continue;
    std::size_t j = i + key_length;
    while (j < length && (text[j] == ' ' || text[j] == '\t')) ++j;
    unsigned long long v = 0;
    int digits = 0;
    for (; j < length && text[j] != '\n'; ++j, ++digits) {
      const char c = text[j];
      int d;
      if (c >= '0' && c <= '9') d = c - '0';
      else if (c >= 'a' && c <= 'f') d = c - 'a' + 10;
      else if (c >= 'A' && c <= 'F') d = c - 'A' + 10;
      else return false;
      if (digits == 16) return false;
      v = v << 4 | static_cast<unsigned>(d);
    }
    if (digits == 0) return false;
    *value = v;
    return true;
  }
  return false;
}
}  // namespace

bool parse_signal_masks(const char* status_text, std::size_t length, unsigned long long* ignored,
                        unsigned long long* caught) {
  unsigned long long ign = 0;
  unsigned long long cgt = 0;
  if (!find_hex_field(status_text, length, "SigIgn:", &ign) || !find_hex_field(status_text, length, "SigCgt:", &cgt))
    return false;
  *ignored = ign;
  *caught = cgt;
  return true;
}

namespace {
bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\r'; }

// A decimal UID of 1 to 10 digits within [1, 4294967294] at text[*i], which
// moves past it.
bool parse_uid_at(const char* text, std::size_t end, std::size_t* i, uid_t* out) {
  unsigned long long value = 0;
  int digits = 0;
  for (; *i < end && text[*i] >= '0' && text[*i] <= '9'; ++*i) {
    if (++digits > 10) return false;
    value = value * 10 + static_cast<unsigned>(text[*i] - '0');
  }
  if (digits == 0 || value == 0 || value > 4294967294ULL) return false;
  *out = static_cast<uid_t>(value);
  return true;
}
}  // namespace

const char* parse_helper_config(const char* text, std::size_t length, UidRange* range, int* bad_line) {
  UidRange found;
  int line = 0;
  for (std::size_t start = 0; start < length;) {
    ++line;
    std::size_t end = start;
    for (; end < length && text[end] != '\n'; ++end)
      if (text[end] == '\0') {
        *bad_line = line;
        return "a NUL byte in the file";
      }
    *bad_line = line;
    std::size_t i = start;
    while (i < end && is_blank(text[i])) ++i;
    // The content ends at a '#' (a comment) or the end of the line.
    std::size_t stop = i;
    while (stop < end && text[stop] != '#') ++stop;
    while (stop > i && is_blank(text[stop - 1])) --stop;
    if (i < stop) {
      const std::size_t word = sizeof(kUidRangeDirective) - 1;
      if (stop - i < word || std::memcmp(text + i, kUidRangeDirective, word) != 0 ||
          (i + word < stop && !is_blank(text[i + word])))
        return "unknown directive (the only one is 'uid-range FIRST-LAST')";
      if (found.configured()) return "uid-range given twice";
      i += word;
      while (i < stop && is_blank(text[i])) ++i;
      UidRange r;
      if (!parse_uid_at(text, stop, &i, &r.first) || i >= stop || text[i] != '-')
        return "expected 'uid-range FIRST-LAST' with FIRST and LAST decimal UIDs from 1 to 4294967294";
      ++i;
      if (!parse_uid_at(text, stop, &i, &r.last) || i != stop)
        return "expected 'uid-range FIRST-LAST' with FIRST and LAST decimal UIDs from 1 to 4294967294";
      if (r.last < r.first) return "the range is empty (LAST is below FIRST)";
      if (r.last - r.first >= kMaxRangeLength) return "the range is longer than 65536 UIDs";
      if (r.first <= 65534 && r.last >= 65534) return "the range holds 65534, the overflow UID (nobody)";
      found = r;
    }
    start = end + 1;
  }
  *bad_line = 0;
  *range = found;
  return nullptr;
}

int exit_code_for_wait_status(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return kExitSignalBase + WTERMSIG(status);
  return kExitFatal;
}

}  // namespace sbx::helper
