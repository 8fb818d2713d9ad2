// Path options and the rules they become (see path_options.h).
#include "path_options.h"

#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <deque>

namespace sbx::cli {

namespace {

std::deque<std::string> components(const std::string& path) {
  std::deque<std::string> out;
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string::npos) end = path.size();
    if (end > start) out.push_back(path.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

}  // namespace

bool resolve_option(const std::string& option, const std::string& path, std::string* real, std::string* why) {
  std::string start = path;
  if (path.empty() || path[0] != '/') {
    char cwd[PATH_MAX];
    if (getcwd(cwd, sizeof(cwd)) == nullptr) return (*why = option + " " + path + ": getcwd: " + std::strerror(errno)), false;
    start = std::string(cwd) + "/" + path;
  }
  std::deque<std::string> todo = components(start);
  std::string done;  // a real path with no symlink in it ("" is "/")
  int links = 0;
  while (!todo.empty()) {
    const std::string part = todo.front();
    todo.pop_front();
    if (part == ".") continue;
    if (part == "..") {  // `done` has no symlink in it: its parent is lexical
      done.resize(done.rfind('/') == std::string::npos ? 0 : done.rfind('/'));
      continue;
    }
    const std::string here = done + "/" + part;
    struct stat st;
    if (lstat(here.c_str(), &st) != 0) return (*why = "cannot allow " + path + ": " + std::strerror(errno)), false;
    if (!S_ISLNK(st.st_mode)) {
      done = here;
      continue;
    }
    char target[PATH_MAX];
    const ssize_t n = readlink(here.c_str(), target, sizeof(target) - 1);
    if (n <= 0) return (*why = "cannot allow " + path + ": readlink " + here + ": " + std::strerror(errno)), false;
    const std::string to(target, static_cast<size_t>(n));
    if (st.st_uid != 0) {
      *why = option + " " + path + ": " + here + " is a symlink (to " + to +
             ") that is not root's, and a program you ran may have put it there; name what it points to, if that "
             "is what you mean";
      return false;
    }
    if (++links > 40) return (*why = "cannot allow " + path + ": " + std::strerror(ELOOP)), false;
    std::deque<std::string> more = components(to);
    todo.insert(todo.begin(), more.begin(), more.end());
    if (to[0] == '/') done.clear();
  }
  *real = done.empty() ? "/" : done;
  return true;
}

bool rule_for(const std::string& real, unsigned permissions, policy::PathRule* rule, std::string* why) {
  if (real.find('*') != std::string::npos) {
    *why = real + ": a name with '*' cannot be told from a pattern in a path rule; rename it, or name a directory above it";
    return false;
  }
  struct stat st;
  const bool directory = stat(real.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
  rule->permissions = permissions;
  rule->pattern = directory ? (real == "/" ? "/**" : real + "/**") : real;
  std::string bad;
  if (!policy::valid_pattern(rule->pattern, &bad)) return (*why = real + ": cannot be a path rule: " + bad), false;
  return true;
}

}  // namespace sbx::cli
