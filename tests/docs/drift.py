#!/usr/bin/env python3
"""Docs that cannot drift: each check compares what a document says with
what the code says, and fails naming the document, its line, and the code.

usage: drift.py CHECK [--source DIR] [--sbx PATH]

  exit-codes      docs/protocol.md's and sbx-helper(8)'s exit statuses
                  against launcher/protocol.h's ExitCode enum and
                  common/sandbox.h's kExit* (sbx run's 125 and 126)
  cli-options     sbx(1)'s synopsis and options against `sbx --help` and
                  `sbx run --help` of the built sbx, and those against what
                  its parser accepts (the options compared in cli/*.cc, each
                  tried on the built sbx)
  builtins        the built-in policies named in docs/policy.md, policy.h,
                  the manual pages and `sbx --help` against policy/builtin/
  code-map        docs/ARCHITECTURE.md's code map against the files that
                  exist: every file it names exists, and in every folder
                  whose row names files, every .cc/.h/.py file is named

Generic on purpose: it reads whatever the tree holds when it runs.
"""
import argparse
import os
import re
import subprocess
import sys

SRC = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
problems = []


def problem(doc, line, says, code):
    """One drift: DOC:LINE says SAYS; the code says CODE."""
    where = f"{doc}:{line}" if line else doc
    problems.append(f"{where}: the doc says {says}; the code says {code}")


def read(rel):
    with open(os.path.join(SRC, rel), encoding="utf-8") as f:
        return f.read()


def lines_of(rel):
    return read(rel).split("\n")


def roff_text(line):
    """A man page line as plain text: no macro name, no escapes, no quotes."""
    line = re.sub(r"^\.(B|I|R|BI|BR|IB|IR|RB|RI|TP|PP|SH|SS|br)\b\s*", "", line)
    line = line.replace("\\-", "-").replace("\\e", "\\").replace('\\(dq', '"')
    line = re.sub(r"\\f[BIRP]", "", line)
    return line.replace('"', "")


def section(lines, start_re, end_re):
    """(line number, text) of the lines after the one matching start_re, up
    to the next one matching end_re."""
    out, inside = [], False
    for n, text in enumerate(lines, 1):
        if inside and re.match(end_re, text):
            break
        if inside:
            out.append((n, text))
        elif re.match(start_re, text):
            inside = True
    return out


# ---------------------------------------------------------------------------
# exit-codes

def helper_exit_codes():
    """{code: (name, comment)} of launcher/protocol.h's ExitCode enum."""
    text = read("launcher/protocol.h")
    m = re.search(r"enum\s+ExitCode[^{]*\{(.*?)\};", text, re.S)
    if not m:
        sys.exit("drift.py: no 'enum ExitCode' in launcher/protocol.h: update tests/docs/drift.py")
    codes = {}
    for name, value, comment in re.findall(r"(kExit\w+)\s*=\s*(\d+),?\s*(?://\s*(.*))?", m.group(1)):
        codes[int(value)] = (name, comment.strip())
    return codes


def sandbox_exit_codes():
    """{code: (name, comment)} of common/sandbox.h's kExit* constants."""
    found = re.findall(r"constexpr\s+int\s+(kExit\w+)\s*=\s*(\d+);\s*(?://\s*(.*))?", read("common/sandbox.h"))
    if not found:
        sys.exit("drift.py: no kExit* constants in common/sandbox.h: update tests/docs/drift.py")
    return {int(v): (name, c.strip()) for name, v, c in found}


def failure_messages():
    """{exit code name: [the literal 'what' of each fail(...) with it]} in launcher/*.cc."""
    out = {}
    for f in sorted(os.listdir(os.path.join(SRC, "launcher"))):
        if f.endswith(".cc"):
            for name, what in re.findall(r"fail(?:_errno)?\(\s*(kExit\w+),\s*\"([^\"]*)\"", read("launcher/" + f)):
                out.setdefault(name, []).append(what)
    return out


def called_names():
    """Names the helper's code calls (open, socketpair, clone...), and /paths it uses."""
    text = "".join(read("launcher/" + f) for f in os.listdir(os.path.join(SRC, "launcher")) if f.endswith(".cc"))
    return set(re.findall(r"\b([a-z_][a-z0-9_]+)\(", text))


def technical_words(text, vocabulary):
    words = set(re.findall(r"[a-z_][a-z0-9_]+", text)) & vocabulary
    words |= {"/" + p for p in re.findall(r"(?<![\w.])/([a-z]+)", text)}
    return words


def check_meanings(doc, table, codes):
    """A row that names a call or a path (`socketpair`, `/proc`) names one
    that a failure with that exit code makes, not another code's."""
    messages = failure_messages()
    vocabulary = called_names()
    by_code = {code: " ".join(messages.get(name, [])) for code, (name, _) in codes.items()}
    everything = " ".join(by_code.values())
    for code, (n, meaning) in table.items():
        if code not in by_code or not by_code[code]:
            continue
        own = technical_words(by_code[code], vocabulary)
        anywhere = technical_words(everything, vocabulary)
        for word in sorted(technical_words(meaning, vocabulary) & anywhere - own):
            others = sorted(c for c, text in by_code.items() if word in technical_words(text, vocabulary))
            problem(doc, n, f"exit {code} covers '{word}'",
                    f"a failure at '{word}' exits {', '.join(map(str, others))} "
                    f"({', '.join(codes[c][0] for c in others)}, launcher/)")


def check_exit_codes():
    helper = helper_exit_codes()
    sandbox = sandbox_exit_codes()
    signal_base = next((c for c, (name, _) in helper.items() if name == "kExitSignalBase"), None)
    plain = {c: v for c, v in helper.items() if c != signal_base}
    top = max(c for c in plain if c >= 80)

    # docs/protocol.md: the table under "## Exit status".
    doc = "docs/protocol.md"
    lines = lines_of(doc)
    table = {}
    signal_row = None
    for n, text in section(lines, r"## Exit status", r"## "):
        m = re.match(r"\|\s*([^|]+?)\s*\|\s*(.*?)\s*\|\s*$", text)
        if not m:
            continue
        if re.fullmatch(r"\d+", m.group(1)):
            table[int(m.group(1))] = (n, m.group(2))
        elif re.fullmatch(r"(\d+)\s*\+\s*N", m.group(1)):
            signal_row = (n, int(re.match(r"\d+", m.group(1)).group()))
    if not table:
        problem(doc, 0, "no exit-status table under '## Exit status'", "launcher/protocol.h has ExitCode")
    for code, (name, comment) in sorted(plain.items()):
        if code not in table:
            problem(doc, section(lines, r"## Exit status", r"## ")[0][0] if table else 0,
                    f"nothing of exit {code}", f"{name} = {code} ({comment}), launcher/protocol.h")
    for code, (n, meaning) in sorted(table.items()):
        if code not in plain:
            problem(doc, n, f"exit {code}: {meaning}", "no such code in launcher/protocol.h's ExitCode")
    if signal_base is not None and (signal_row is None or signal_row[1] != signal_base):
        problem(doc, signal_row[0] if signal_row else 0,
                f"a killed program exits {signal_row[1] if signal_row else '(nothing)'} + N",
                f"kExitSignalBase = {signal_base}, launcher/protocol.h")
    check_meanings(doc, table, plain)
    check_helper_range(doc, lines, top)
    check_sandbox_codes(doc, lines, sandbox)

    # sbx-helper(8): "NN: meaning." under .SH EXIT STATUS.
    doc = "docs/man/sbx-helper.8"
    lines = lines_of(doc)
    body = section(lines, r"\.SH EXIT STATUS", r"\.SH ")
    man = {}
    for n, text in body:
        m = re.match(r"(\d+):\s*(.*)", roff_text(text))
        if m:
            man[int(m.group(1))] = (n, m.group(2))
    for code, (name, comment) in sorted(plain.items()):
        if code not in man:
            problem(doc, body[0][0] if body else 0, f"nothing of exit {code} under EXIT STATUS",
                    f"{name} = {code} ({comment}), launcher/protocol.h")
    for code, (n, meaning) in sorted(man.items()):
        if code not in plain:
            problem(doc, n, f"exit {code}: {meaning}", "no such code in launcher/protocol.h's ExitCode")
    if signal_base is not None and not any(f"{signal_base}+N" in roff_text(t).replace(" ", "") for _, t in body):
        problem(doc, body[0][0] if body else 0, "no status for a killed program",
                f"kExitSignalBase = {signal_base} (+ N), launcher/protocol.h")
    check_meanings(doc, man, plain)

    # sbx(1): the helper's range and sbx run's own statuses.
    doc = "docs/man/sbx.1"
    lines = [roff_text(t) for t in lines_of(doc)]
    check_helper_range(doc, lines, top)
    check_sandbox_codes(doc, lines, sandbox)


def check_helper_range(doc, lines, top):
    """"the helper's own codes (80 to 87)": the range ends at the last code."""
    for n, text in enumerate(lines, 1):
        window = text + " " + (lines[n] if n < len(lines) else "")
        for m in re.finditer(r"helper's own (?:codes|statuses)[^0-9]{0,12}(\d+) to (\d+)", window):
            if m.start() < len(text) and int(m.group(2)) != top:  # once, on the line it starts on
                problem(doc, n, f"the helper's codes are {m.group(1)} to {m.group(2)}",
                        f"the last is {top} (launcher/protocol.h)")


def check_sandbox_codes(doc, lines, sandbox):
    """sbx run's own statuses (common/sandbox.h) are each documented, and no
    other status near them is claimed for sbx run."""
    text = "\n".join(lines)
    for code, (name, comment) in sorted(sandbox.items()):
        if not re.search(rf"(?<![\d.]){code}(?![\d])", text):
            problem(doc, 0, f"nothing of exit {code}", f"{name} = {code} ({comment}), common/sandbox.h")
    for n, t in enumerate(lines, 1):
        for m in re.finditer(r"\b(?:exits?|exit status|status)\s+(12[0-7])\b(?!\s*\+)", t):
            if int(m.group(1)) not in sandbox:
                problem(doc, n, f"exit {m.group(1)}",
                        "sbx run's own statuses are " +
                        ", ".join(f"{c} ({v[0]})" for c, v in sorted(sandbox.items())) + " (common/sandbox.h)")


# ---------------------------------------------------------------------------
# cli-options

OPTION = r"(?<![\w-])(--?[a-z][a-z0-9-]*)"


def form_name(key):
    return f"sbx {key}" if key else "sbx --help | --version"


def forms_of_help(text):
    """{'run': {'--policy', ...}, 'policy compile': {'-o'}, ...} of a usage text."""
    forms = {}
    last = None
    for line in text.splitlines():
        m = re.match(r"\s*(?:usage:\s*)?sbx\s+(.*)", line)
        if not m:
            # A form's continuation: an indented line of options in brackets.
            if last is not None and re.match(r"\s+\[", line):
                forms[last].update(re.findall(OPTION, line))
            continue
        words = m.group(1).split()
        if not words or words[0].startswith("-"):
            forms.setdefault("", set()).update(re.findall(OPTION, m.group(1)))
            last = ""
            continue
        key = [w for w in words[:2] if re.fullmatch(r"[a-z]+", w)]
        last = " ".join(key)
        forms[last] = set(re.findall(OPTION, m.group(1)))
    return forms


def forms_of_man(doc):
    """The same out of sbx(1)'s SYNOPSIS, with the line each form starts on."""
    forms, current, start = {}, [], 0
    body = section(lines_of(doc), r"\.SH SYNOPSIS", r"\.SH ")

    def flush():
        if current:
            h = forms_of_help("sbx " + " ".join(current))
            for k, v in h.items():
                forms[k] = (start, v)

    for n, text in body:
        if text.startswith(".br"):
            flush()
            current, start = [], 0
            continue
        plain = roff_text(text)
        if not current and plain.startswith("sbx "):
            plain = plain[4:]
        if not start:
            start = n
        current.append(plain)
    flush()
    return forms


def man_option_entries(doc):
    """{option: line} of the options sbx(1) describes (.TP then the option)."""
    out, after_tp = {}, False
    for n, text in enumerate(lines_of(doc), 1):
        if after_tp:
            m = re.match(r"\.(?:B|BI|BR)\s+" + r"((?:\\-)+[a-z][a-z0-9-]*)", text)
            if m:
                out[m.group(1).replace("\\-", "-")] = n
        after_tp = text.startswith(".TP")
    return out


def parser_options():
    """{option: file} of the options cli/*.cc compares arguments with."""
    out = {}
    cli = os.path.join(SRC, "cli")
    for f in sorted(os.listdir(cli)):
        if f.endswith((".cc", ".h")):
            for opt in re.findall(r"[=!]=\s*\"(--?[a-z][a-z0-9-]*)\"", read("cli/" + f)):
                out.setdefault(opt, "cli/" + f)
    return out


def run_sbx(sbx, args):
    r = subprocess.run([sbx] + args, capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL)
    return r.returncode, r.stdout + r.stderr


def check_cli_options(sbx):
    if not sbx or not os.access(sbx, os.X_OK):
        sys.exit(f"drift.py: no built sbx at {sbx!r} (pass --sbx build/cli/sbx)")
    doc = "docs/man/sbx.1"
    rc, help_text = run_sbx(sbx, ["--help"])
    if rc != 0:
        problem("sbx --help", 0, f"exit {rc}", "0 expected")
    helps = {"sbx --help": help_text}
    for cmd in ("run", "doctor", "policy"):
        rc, text = run_sbx(sbx, [cmd, "--help"])
        helps[f"sbx {cmd} --help"] = text
        if rc != 0:
            problem(f"sbx {cmd} --help", 0, f"exit {rc}", "0 expected")
    help_forms = forms_of_help(help_text)
    for name, text in helps.items():
        forms = forms_of_help(text)
        for key, opts in forms.items():
            if key in help_forms and opts != help_forms[key]:
                problem(name, 0, f"'{form_name(key)}' takes {sorted(opts)}", f"`sbx --help` says {sorted(help_forms[key])}")
    if "run" not in forms_of_help(helps["sbx run --help"]):
        problem("sbx run --help", 0, "no 'sbx run' line", "sbx run is a command")

    # The man page's synopsis, form by form, against --help.
    man_forms = forms_of_man(doc)
    for key, opts in sorted(help_forms.items()):
        if key not in man_forms:
            problem(doc, 0, f"no '{form_name(key)}' in the SYNOPSIS",
                    f"`sbx --help` has the form '{form_name(key)}' ({' '.join(sorted(opts))})")
            continue
        n, man_opts = man_forms[key]
        for opt in sorted(opts - man_opts):
            problem(doc, n, f"'{form_name(key)}' without {opt} (SYNOPSIS)", f"`sbx --help` lists {opt}")
        for opt in sorted(man_opts - opts):
            problem(doc, n, f"'{form_name(key)}' takes {opt} (SYNOPSIS)", f"`sbx --help` does not list it")
    for key, (n, _) in sorted(man_forms.items()):
        if key not in help_forms:
            problem(doc, n, f"a form '{form_name(key)}' (SYNOPSIS)", "`sbx --help` has no such form")
    run_opts = help_forms.get("run", set())
    for opt, n in sorted(man_option_entries(doc).items()):
        if opt not in run_opts:
            problem(doc, n, f"an option {opt}", f"`sbx --help` lists for run only {sorted(run_opts)}")

    # --help against the parser: every option the help lists is one the
    # source compares with, and every such option is in the help.
    parsed = parser_options()
    listed = set().union(*help_forms.values()) if help_forms else set()
    for opt, where in sorted(parsed.items()):
        if opt == "--" or opt == "-h":
            continue
        if opt not in listed:
            problem("sbx --help", 0, f"nothing of {opt}", f"{where} accepts {opt}")
    for opt in sorted(listed):
        if opt not in parsed:
            problem("sbx --help", 0, f"an option {opt}", "no file of cli/ compares an argument with it")

    # And the built parser itself: each run option is known to it (a made-up
    # one is not).
    rc, text = run_sbx(sbx, ["run", "--no-such-option-for-drift"])
    if "unknown option" not in text:
        sys.exit("drift.py: `sbx run --no-such-option-for-drift` does not say 'unknown option' "
                 f"(it says {text.strip()!r}): update tests/docs/drift.py")
    for opt in sorted(run_opts):
        rc, text = run_sbx(sbx, ["run", opt])
        if "unknown option" in text:
            problem("sbx --help", 0, f"'sbx run' takes {opt}", f"the built sbx answers: {text.strip().splitlines()[0]}")


# ---------------------------------------------------------------------------
# builtins

def check_builtins(sbx):
    folder = os.path.join(SRC, "policy", "builtin")
    files = {f[:-len(".policy")] for f in os.listdir(folder) if f.endswith(".policy")}
    what_exists = f"policy/builtin/ holds {', '.join(sorted(files))}"

    def names_exist(doc, numbered):
        for n, text in numbered:
            for name in re.findall(r"builtin:([A-Za-z0-9_-]+)", text.replace("\\-", "-")):
                if name not in files and name != "NAME":
                    problem(doc, n, f"builtin:{name}", what_exists)

    def same_set(doc, n, said, what):
        said = set(said)
        if said != files:
            missing = sorted(files - said)
            extra = sorted(said - files)
            detail = (f"; missing {', '.join(missing)}" if missing else "") + \
                     (f"; no such built-in {', '.join(extra)}" if extra else "")
            problem(doc, n, f"{what} {', '.join(sorted(said)) or 'none'}", what_exists + detail)

    # docs/policy.md: "## Built-in policies" names each, as "- `NAME`:".
    doc = "docs/policy.md"
    lines = lines_of(doc)
    names_exist(doc, enumerate(lines, 1))
    body = section(lines, r"## Built-in policies", r"## ")
    listed = [m.group(1) for _, t in body for m in [re.match(r"- `([A-Za-z0-9_-]+)`:", t)] if m]
    same_set(doc, body[0][0] - 1 if body else 0, listed, "under '## Built-in policies' the built-ins are")

    # policy.h: the comment of builtin_policy names them all.
    doc = "policy/policy.h"
    lines = lines_of(doc)
    names_exist(doc, enumerate(lines, 1))
    for n, text in enumerate(lines, 1):
        if re.match(r"\s*//\s*Built-in policies by name", text):
            comment = text
            k = n
            while not comment.rstrip().endswith(":") and "(" in comment and ")" not in comment and k < len(lines):
                comment += " " + lines[k].strip().lstrip("/")
                k += 1
            said = re.findall(r"\"([A-Za-z0-9_-]+)\"", comment)
            same_set(doc, n, said, "the built-ins are")
            break
    else:
        problem(doc, 0, "no comment 'Built-in policies by name (...)'", what_exists)

    # Anything else that names a built-in: the manual pages, the usage.
    for doc in ("docs/man/sbx.1", "docs/man/sbx-policy.5", "docs/man/sbx-helper.8", "docs/ARCHITECTURE.md"):
        if os.path.exists(os.path.join(SRC, doc)):
            names_exist(doc, enumerate(lines_of(doc), 1))
    if sbx:
        rc, text = run_sbx(sbx, ["--help"])
        m = re.search(r"built in: ([^)]*)\)", text)
        if m:
            for name in re.split(r",\s*", m.group(1)):
                if name not in files:
                    problem("sbx --help", 0, f"a built-in {name}", what_exists)


# ---------------------------------------------------------------------------
# code-map

CODE = (".cc", ".h", ".py")


def check_code_map():
    doc = "docs/ARCHITECTURE.md"
    lines = lines_of(doc)
    body = section(lines, r"## Code map", r"## ")
    rows = []
    for n, text in body:
        m = re.match(r"\|\s*`([^`]+)/`\s*\|(.*)\|", text)
        if m:
            rows.append((n, m.group(1), m.group(2)))
    if not rows:
        problem(doc, 0, "no code map (a table of `folder/` rows under '## Code map')", "the tree has code folders")
        return
    for n, folder, cell in rows:
        if not os.path.isdir(os.path.join(SRC, folder)):
            problem(doc, n, f"a folder {folder}/", "there is none")
            continue
        named = set()  # stems of this folder's files the row names by their bare name
        for token in re.findall(r"`([^`\s]+)`", cell):
            if not re.fullmatch(r"[\w./*-]+\.(?:\*|[A-Za-z]+)", token) or token.startswith("/"):
                continue  # not a file name: /proc, SBX_D, builtin:stdio...
            path = token if "/" in token else f"{folder}/{token}"
            stem, ext = os.path.splitext(path)
            if ext not in CODE + (".*",):
                continue  # a built file (libsbx-shim.so), not a source
            if ext == ".*":
                matches = [f for f in os.listdir(os.path.join(SRC, os.path.dirname(path)))
                           if f.startswith(os.path.basename(stem) + ".")] if os.path.isdir(
                               os.path.join(SRC, os.path.dirname(path))) else []
                if not matches:
                    problem(doc, n, f"`{token}`", f"no {stem}.* exists")
            elif not os.path.exists(os.path.join(SRC, path)):
                problem(doc, n, f"`{token}`", f"{path} does not exist")
            if "/" not in token:
                named.add(os.path.basename(stem))
        if not named:
            continue  # a row that describes a folder and names none of its files (tests/, bench/)
        for f in sorted(os.listdir(os.path.join(SRC, folder))):
            if f.endswith(CODE) and os.path.isfile(os.path.join(SRC, folder, f)):
                if os.path.splitext(f)[0] not in named:
                    problem(doc, n, f"the {folder}/ row names {', '.join(sorted(named))}",
                            f"{folder}/{f} exists and is not named (name it, or its stem, in the row)")
    mapped = {folder for _, folder, _ in rows}
    for entry in sorted(os.listdir(SRC)):
        path = os.path.join(SRC, entry)
        if entry.startswith(".") or entry.startswith("build") or not os.path.isdir(path) or entry in mapped:
            continue
        if os.path.exists(os.path.join(path, "meson.build")) and \
                any(f.endswith(CODE) for f in os.listdir(path)):
            problem(doc, body[0][0] if body else 0, f"nothing of {entry}/",
                    f"{entry}/ is built (meson.build) and holds code")


# ---------------------------------------------------------------------------

CHECKS = {
    "exit-codes": lambda a: check_exit_codes(),
    "cli-options": lambda a: check_cli_options(a.sbx),
    "builtins": lambda a: check_builtins(a.sbx),
    "code-map": lambda a: check_code_map(),
}


def main():
    global SRC
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("check", choices=sorted(CHECKS))
    parser.add_argument("--source", default=SRC, help="the source tree (default: this file's)")
    parser.add_argument("--sbx", default=None, help="the built sbx, for cli-options and builtins")
    args = parser.parse_args()
    SRC = os.path.abspath(args.source)
    CHECKS[args.check](args)
    if problems:
        print(f"{args.check}: {len(problems)} difference(s) between the docs and the code:")
        for p in problems:
            print("  " + p)
        print("Fix the doc (or the code) so that they agree; tests/docs/drift.py says how each is compared.")
        return 1
    print(f"{args.check}: the docs agree with the code")
    return 0


if __name__ == "__main__":
    sys.exit(main())
