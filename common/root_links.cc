// Opening a path through root's symlinks only (see root_links.h).
#include "root_links.h"

#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <deque>

namespace sbx {

namespace {

void push_components(std::deque<std::string>* todo, const std::string& path) {
  std::deque<std::string> parts;
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string::npos) end = path.size();
    if (end > start) parts.push_back(path.substr(start, end - start));
    start = end + 1;
  }
  todo->insert(todo->begin(), parts.begin(), parts.end());
}

RootLinksResult failed(int error, int dir) {
  if (dir >= 0) close(dir);
  RootLinksResult r;
  r.error = error;
  return r;
}

RootLinksResult walk(const std::string& path, bool nearest) {
  if (path.empty() || path[0] != '/') return failed(EINVAL, -1);
  int dir = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (dir < 0) return failed(errno, -1);
  std::string walked;  // the path of `dir`, for messages ("" is "/")
  std::deque<std::string> todo;
  push_components(&todo, path);
  int links = 0;
  while (!todo.empty()) {
    const std::string part = todo.front();
    todo.pop_front();
    if (part == ".") continue;
    const int next = openat(dir, part.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC);
    if (next < 0 && nearest && (errno == ENOENT || errno == ENOTDIR)) {
      RootLinksResult r;
      r.error = errno;
      r.reached = walked.empty() ? "/" : walked;
      if (r.error == ENOTDIR) {
        close(dir);
        return r;
      }
      r.nearest = dir;
      r.missing = part;
      for (const auto& rest : todo) r.missing += "/" + rest;
      return r;
    }
    if (next < 0) return failed(errno, dir);
    struct stat st;
    if (fstat(next, &st) != 0) {
      close(next);
      return failed(errno, dir);
    }
    const std::string here =
        (part == ".." ? walked.substr(0, walked.rfind('/') == std::string::npos ? 0 : walked.rfind('/'))
                      : walked + "/" + part);
    if (!S_ISLNK(st.st_mode)) {
      close(dir);
      dir = next;
      walked = here;
      continue;
    }
    char target[PATH_MAX];
    const ssize_t n = readlinkat(next, "", target, sizeof(target) - 1);
    close(next);
    if (n <= 0) return failed(errno ? errno : EINVAL, dir);
    if (st.st_uid != 0) {
      RootLinksResult r = failed(ELOOP, dir);
      r.link = walked + "/" + part;
      r.target.assign(target, static_cast<size_t>(n));
      return r;
    }
    if (++links > 40) return failed(ELOOP, dir);
    const std::string to(target, static_cast<size_t>(n));
    push_components(&todo, to);
    if (to[0] == '/') {
      close(dir);
      dir = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
      if (dir < 0) return failed(errno, -1);
      walked.clear();
    }
  }
  RootLinksResult r;
  r.fd = dir;
  return r;
}

}  // namespace

RootLinksResult open_through_root_links(const std::string& path) { return walk(path, false); }

RootLinksResult open_nearest_through_root_links(const std::string& path) { return walk(path, true); }

}  // namespace sbx
