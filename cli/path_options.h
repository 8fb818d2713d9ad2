// How sbx run turns the paths it is given (--allow-read, --allow-write, the
// program, its interpreter, the shim) into path rules, so that nothing a
// program run before could have planted widens the rules of the next run.
#pragma once

#include <string>
#include <vector>

#include "policy.h"
#include "root_links.h"

namespace sbx::cli {

// The rules path option `option` ("--allow-read", "--allow-write") of `path`
// becomes, granting `permissions`, appended to *rules. The path is resolved
// to the real path it names, following only symlinks owned by root (the
// system's: /lib -> usr/lib, /etc/resolv.conf). A symlink owned by anyone
// else on the way, the last component included, is refused: a program run
// earlier as this user could have put it in place of a directory that was
// there. A path that does not exist yet is allowed if the program makes it
// (or something else does), when its nearest existing directory is reached
// the same way: its rule is a directory's (PATH/**, PATH itself included:
// it may be made as either), and with kPathCreate the directories missing
// between get create-only rules, so that `mkdir -p` can make them; *note
// then says so, in one line. False, with a sentence in why, when it cannot
// be allowed (a file is in the way, a link of someone else's, no search).
bool option_rules(const std::string& option, const std::string& path, unsigned permissions,
                  std::vector<policy::PathRule>* rules, std::string* note, std::string* why);

// Whether a rule of a policy file stands only on root's symlinks (as a path
// option must); false, with a sentence, if a link of anyone else's is on the
// way to its root.
bool rule_stands_on_root_links(const policy::PathRule& rule, std::string* why);

// `path` made absolute against our working directory; false, with a
// sentence about `subject` (the option and its value) in why, if that
// cannot be read.
bool make_absolute(const std::string& subject, const std::string& path, std::string* absolute, std::string* why);

// The sentence refusing what `subject` names because of found.link, a
// symlink of someone else's on the way; `what_to_do` ends it.
std::string planted_link(const std::string& subject, const RootLinksResult& found, const char* what_to_do);

// The rule granting `permissions` on real path `real` (a directory, or a
// path that does not exist yet: all below it). False, with a sentence in
// why, for a name a rule cannot carry exactly: a '*' (a rule's pattern), a
// newline or other control character (a compiled policy is one rule per
// line).
bool rule_for(const std::string& real, unsigned permissions, policy::PathRule* rule, std::string* why);

}  // namespace sbx::cli
