// Includes: how a file's lines and the lines of the files it includes are
// put together (docs/policy.md, "Includes"). The parser reads each file into
// a FileLines, its includes already arranged, and arrange() puts it in the
// order the clauses are tried.
//
// A file's lines take precedence over those it includes, so that
// "include builtin:default" then "clone: allow" allows clone: for each
// system call, the file's own clauses come first, in the order written, then
// those of the files it includes (each arranged the same way, in the order of
// the include lines). The first that holds decides, as ever. A clause that
// earlier clauses of its own file (or of files that file includes) leave no
// call to decide is still an error; one left none by the lines of a file
// that includes its file is overridden, which the compiler tells apart
// through Clause::file and Policy::includer.
#include <algorithm>

#include "policy.h"

namespace sbx::policy {

CallLines& lines_for(FileLines& lines, const std::string& name, int nr) {
  auto it = std::find_if(lines.calls.begin(), lines.calls.end(), [&](const CallLines& call) { return call.nr == nr; });
  if (it != lines.calls.end()) return *it;
  lines.calls.push_back(CallLines{name, nr, {}, {}});
  return lines.calls.back();
}

namespace {
template <typename T>
std::optional<SettingLine<T>> choose(const Setting<T>& setting, const std::string& name, const std::string& file,
                                     std::vector<Error>* errors) {
  if (setting.own) return setting.own;
  if (setting.included.empty()) return std::nullopt;
  const Location& first = setting.included.front().where;
  for (size_t i = 1; i < setting.included.size(); ++i)
    errors->push_back({setting.included[i].where, name + " already set at " + first.file + ":" +
                                                      std::to_string(first.line) + " (both included by " + file +
                                                      ", which sets none of its own to choose)"});
  return setting.included.front();
}
}  // namespace

Arranged arrange(const FileLines& lines, const std::string& file, std::vector<Override>* overrides,
                 std::vector<Error>* errors) {
  Arranged out;
  const size_t first_override = overrides->size();
  for (const auto& call : lines.calls) {
    SyscallRule rule{call.name, call.nr, call.own};
    rule.clauses.insert(rule.clauses.end(), call.included.begin(), call.included.end());
    out.rules.push_back(std::move(rule));

    // One line per call for sbx policy check, when the file's lines can
    // change what an included line decides: one of them has another action.
    // (With the same action, which goes first changes nothing.)
    if (call.own.empty() || call.included.empty()) continue;
    const bool differ = std::any_of(call.own.begin(), call.own.end(), [&](const Clause& mine) {
      return std::any_of(call.included.begin(), call.included.end(),
                         [&](const Clause& theirs) { return !(mine.action == theirs.action); });
    });
    if (!differ) continue;
    Override said{call.name, call.own.front().where, call.own.size(), {}, false};
    for (const auto& clause : call.included) said.overridden.push_back(clause.where);
    // An unconditional line of its own leaves the included lines no call.
    said.replaces =
        std::any_of(call.own.begin(), call.own.end(), [](const Clause& clause) { return clause.condition == Dnf{{}}; });
    overrides->push_back(std::move(said));
  }

  // The file's default overrides the included ones. Without one of its own,
  // two included files that both set one conflict: neither includes the
  // other, so neither takes precedence.
  if (lines.own_default) {
    out.default_line = lines.own_default;
    if (!lines.included_defaults.empty())
      overrides->push_back({"default", lines.own_default->where, 1, {lines.included_defaults.front().where}, true});
  } else if (!lines.included_defaults.empty()) {
    out.default_line = lines.included_defaults.front();
    for (size_t i = 1; i < lines.included_defaults.size(); ++i) {
      const Location& first = lines.included_defaults.front().where;
      errors->push_back({lines.included_defaults[i].where, "default already set at " + first.file + ":" +
                                                               std::to_string(first.line) + " (both included by " +
                                                               file + ", which sets none of its own to choose)"});
    }
  }
  // Directives (core-dir, core-limit, deny-write-execute) likewise: the file's own line
  // overrides the included files'; two included ones conflict.
  out.core_dir = choose(lines.core_dir, "core-dir", file, errors);
  out.core_limit = choose(lines.core_limit, "core-limit", file, errors);
  out.deny_write_execute = choose(lines.deny_write_execute, "deny-write-execute", file, errors);
  // This file's, in the order of its lines.
  std::stable_sort(overrides->begin() + static_cast<long>(first_override), overrides->end(),
                   [](const Override& left, const Override& right) { return left.line.line < right.line.line; });
  return out;
}

bool includes(const Policy& policy, int includer, int included) {
  const int files = static_cast<int>(policy.includer.size());
  if (included < 0 || included >= files) return false;
  // The parser numbers a file after its includer; the count bounds a loop
  // through a hand-made includer all the same.
  int file = included;
  for (int steps = 0; steps < files; ++steps) {
    file = policy.includer[file];
    if (file < 0 || file >= files) return false;
    if (file == includer) return true;
  }
  return false;
}

}  // namespace sbx::policy
