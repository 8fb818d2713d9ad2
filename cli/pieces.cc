// The pieces of sbx a sandbox is made of, and the helper's checks (pieces.h).
#include "pieces.h"

#include <limits.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "../launcher/protocol.h"

namespace sbx::cli {

namespace {

std::string self_dir() {
  char buf[PATH_MAX];
  const ssize_t n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);
  if (n <= 0) return "";
  std::string p(buf, static_cast<size_t>(n));
  return p.substr(0, p.rfind('/'));
}

// The first of: $VAR, the installed path, the build tree's path.
std::string locate(const char* var, const std::string& installed, const std::string& in_build_tree) {
  if (const char* v = std::getenv(var); v != nullptr && *v) return v;
  struct stat st;
  if (stat(installed.c_str(), &st) == 0) return installed;
  return self_dir() + "/" + in_build_tree;
}

}  // namespace

Pieces find_pieces() {
  Pieces pieces;
  pieces.helper = locate("SBX_HELPER", SBX_LIBEXECDIR "/sbx/sbx-helper", "../launcher/sbx-helper");
  pieces.zygote = locate("SBX_ZYGOTE", SBX_LIBEXECDIR "/sbx/sbx-zygote", "../zygote_shim/sbx-zygote");
  pieces.trusted = locate("SBX_TRUSTED", SBX_LIBEXECDIR "/sbx/sbx-trusted", "../trusted/sbx-trusted");
  pieces.shim = locate("SBX_SHIM", SBX_LIBDIR "/sbx/libsbx-shim.so", "../zygote_shim/libsbx-shim.so");
  return pieces;
}

bool setuid_root(const struct stat& st) { return st.st_uid == 0 && (st.st_mode & S_ISUID); }

bool on_nosuid_filesystem(const std::string& path) {
  struct statvfs vfs;
  return statvfs(path.c_str(), &vfs) == 0 && (vfs.f_flag & ST_NOSUID);
}

bool setuid_mode_possible(const std::string& helper) {
  struct stat st;
  return stat(helper.c_str(), &st) == 0 && setuid_root(st) && !on_nosuid_filesystem(helper);
}

std::string userns_refusal_here() {
  std::string text[3];
  const char* value[3] = {};
  const char* const files[3] = {"/proc/sys/user/max_user_namespaces", "/proc/sys/kernel/unprivileged_userns_clone",
                                "/proc/sys/kernel/apparmor_restrict_unprivileged_userns"};
  for (int i = 0; i < 3; ++i) {
    std::ifstream f(files[i]);
    if (!f) continue;
    std::stringstream buf;
    buf << f.rdbuf();
    text[i] = buf.str();
    value[i] = text[i].c_str();
  }
  const char* cause = sbx::helper::userns_refusal(value[0], value[1], value[2]);
  return cause == nullptr ? "" : cause;
}

}  // namespace sbx::cli
