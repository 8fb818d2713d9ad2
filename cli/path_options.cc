// Path options and the rules they become (see path_options.h).
#include "path_options.h"

#include <limits.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "root_links.h"

namespace sbx::cli {

namespace {

std::string real_path_of(int fd) {
  char buf[PATH_MAX];
  const ssize_t n = readlink(("/proc/self/fd/" + std::to_string(fd)).c_str(), buf, sizeof(buf) - 1);
  return n > 0 && buf[0] == '/' ? std::string(buf, static_cast<size_t>(n)) : "";
}

std::string child_of(const std::string& dir, const std::string& name) { return (dir == "/" ? "" : dir) + "/" + name; }

}  // namespace

bool option_rules(const std::string& option, const std::string& path, unsigned permissions,
                  std::vector<policy::PathRule>* rules, std::string* note, std::string* why) {
  std::string absolute;
  if (!make_absolute(option + " " + path, path, &absolute, why)) return false;
  const RootLinksResult found = open_nearest_through_root_links(absolute);
  if (found.fd < 0 && !found.link.empty())
    return (*why = planted_link(option + " " + path, found, "name what it points to, if that is what you mean")), false;
  if (found.error == ENOTDIR) {
    *why = "cannot allow " + path + ": " + found.reached + " is not a directory, so nothing can be made below it";
    return false;
  }
  // What exists: its real path. What does not: the real path of the
  // directory it would be made in, and the names below it.
  const int fd = found.fd >= 0 ? found.fd : found.nearest;
  if (fd < 0) return (*why = "cannot allow " + path + ": " + std::strerror(found.error)), false;
  std::string real = real_path_of(fd);
  close(fd);
  if (real.empty()) return (*why = "cannot allow " + path + ": its real path cannot be read"), false;
  std::vector<std::string> missing;
  for (size_t start = 0; found.fd < 0 && start <= found.missing.size();) {
    size_t end = found.missing.find('/', start);
    if (end == std::string::npos) end = found.missing.size();
    const std::string name = found.missing.substr(start, end - start);
    start = end + 1;
    if (name.empty() || name == ".") continue;
    if (name == "..") {
      std::string gone = real;
      for (const auto& before : missing) gone = child_of(gone, before);
      *why = "cannot allow " + path + ": " + gone + " does not exist, so the '..' after it names nothing";
      return false;
    }
    missing.push_back(name);
  }
  std::vector<std::string> between;  // the directories to make on the way
  for (size_t i = 0; i < missing.size(); ++i) {
    real = child_of(real, missing[i]);
    if (i + 1 < missing.size()) between.push_back(real);
  }
  policy::PathRule rule;
  if (!rule_for(real, permissions, &rule, why)) return false;  // (and so no name between is one a rule cannot carry)
  // Those are only made (mkdir -p), never written: a create-only rule of
  // each, exact.
  if (permissions & policy::kPathCreate)
    for (const auto& dir : between) rules->push_back(policy::PathRule{policy::kPathCreate, dir, {}});
  rules->push_back(rule);
  if (!missing.empty())
    *note = option + " " + path + " does not exist yet; allowed if " +
            (permissions & policy::kPathCreate ? "the program makes it" : "it is made");
  return true;
}

bool rule_stands_on_root_links(const policy::PathRule& rule, std::string* why) {
  const RootLinksResult found = open_through_root_links(policy::rule_root(rule.pattern));
  if (found.fd >= 0) close(found.fd);
  if (found.link.empty()) return true;  // there, or not there (yet): either way no one else's link
  *why = planted_link("the path rule " + rule.pattern, found, "name what it points to in the policy");
  return false;
}

bool make_absolute(const std::string& subject, const std::string& path, std::string* absolute, std::string* why) {
  *absolute = path;
  if (!path.empty() && path[0] == '/') return true;
  char cwd[PATH_MAX];
  if (getcwd(cwd, sizeof(cwd)) == nullptr) return (*why = subject + ": getcwd: " + std::strerror(errno)), false;
  *absolute = std::string(cwd) + "/" + path;
  return true;
}

std::string planted_link(const std::string& subject, const RootLinksResult& found, const char* what_to_do) {
  return subject + ": " + found.link + " is a symlink (to " + found.target +
         ") that is not root's, and a program you ran may have put it there; " + what_to_do;
}

bool rule_for(const std::string& real, unsigned permissions, policy::PathRule* rule, std::string* why) {
  if (real.find('*') != std::string::npos) {
    *why = real +
           ": a name with '*' cannot be told from a pattern in a path rule; rename it, or name a directory above it";
    return false;
  }
  // A path that does not exist (yet) may be made as a file or a directory:
  // DIR/** covers DIR itself as well as what is made below it.
  struct stat st;
  const bool directory = stat(real.c_str(), &st) == 0 ? S_ISDIR(st.st_mode) : errno == ENOENT;
  rule->permissions = permissions;
  rule->pattern = directory ? (real == "/" ? "/**" : real + "/**") : real;
  std::string bad;
  if (!policy::valid_pattern(rule->pattern, &bad)) return (*why = real + ": cannot be a path rule: " + bad), false;
  return true;
}

}  // namespace sbx::cli
