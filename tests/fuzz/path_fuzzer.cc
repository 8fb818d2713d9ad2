// libFuzzer target over the trusted process's path logic (policy/runtime.cc):
// the input is split at the first NUL into a base directory and a path, as
// the trusted process gets them (its copy of the cwd, the program's path).
// What must hold, beyond "no crash, no sanitizer report":
//   - a normalised path is absolute, with no "", "." or ".." component and
//     no final "/" (but "/" itself), and normalising it again changes nothing;
//   - ".." never climbs above "/": the result lies under the base unless the
//     path is absolute or climbs out with "..";
//   - a rule DIR/** grants exactly DIR and what lies below it.
#include <climits>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "policy.h"

using namespace sbx::policy;

namespace {
void require(bool condition) {
  if (!condition) __builtin_trap();
}

bool well_formed(const std::string& p) {
  if (p.empty() || p[0] != '/') return false;
  if (p == "/") return true;
  if (p.back() == '/') return false;
  size_t start = 1;
  while (start <= p.size()) {
    size_t end = p.find('/', start);
    if (end == std::string::npos) end = p.size();
    const std::string part = p.substr(start, end - start);
    if (part.empty() || part == "." || part == "..") return false;
    start = end + 1;
  }
  return true;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  const size_t nul = input.find('\0');
  const std::string base_text = nul == std::string::npos ? "/" : input.substr(0, nul);
  const std::string path = nul == std::string::npos ? input : input.substr(nul + 1);
  std::string base = normalize_path("/", base_text.empty() ? "/" : base_text);
  if (base.empty()) base = "/";
  require(well_formed(base));

  const std::string out = normalize_path(base, path);
  if (path.empty() || path.size() >= PATH_MAX) {
    require(out.empty());
    return 0;
  }
  require(well_formed(out));
  require(normalize_path("/", out) == out);
  require(normalize_path(base, out) == out);
  if (path[0] != '/' && path.find("..") == std::string::npos)
    require(out == base || out.compare(0, base.size() + (base == "/" ? 0 : 1), base == "/" ? "/" : base + "/") == 0);

  // The base as a DIR/** rule: granted exactly on it and below.
  const std::vector<PathRule> rules = {{kPathRead, base == "/" ? "/**" : base + "/**", {}}};
  const bool below = base == "/" || out == base || out.compare(0, base.size() + 1, base + "/") == 0;
  require(path_allowed(rules, out, kPathRead) == below);
  require(!path_allowed(rules, out, kPathWrite));
  return 0;
}
