#!/usr/bin/env python3
"""Every program the build and test scripts run is in ports-build.sh's
deps_table (what `./ports-build.sh deps` installs and checks), so that a
fresh Debian box gets it too. Run by ./ports-build.sh test, after deps.

    python3 tests/check_deps.py [-v]

Scans the host-side scripts: ports-build.sh, .ci/run, *.sh, *.mk, *.cmake,
CMakeLists.txt (the words of their code: comments and here-documents left
out) and *.py (the programs of subprocess calls and argv lists, `which`
arguments, environment defaults), but not the code MicroPython runs
(tests/mp, examples/, python/...). A word there that names a program on PATH
(or /usr/sbin, /sbin) must be in deps_table, or come from an Essential or
required Debian package (coreutils, sed, apt...: on every Debian), or be in
OUTSIDE below with the reason. It fails naming the file, the program and
where it was found. A self-test first checks that a program left out of the
table is reported. docs/building.md's table ("What the scripts install")
must be deps_table, row for row. Limit: a program named only inside a quoted
string, not as its first word, is not seen (the rest of a string is taken
for text: messages name programs they do not run).
"""
import ast
import os
import re
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

# Named by the scripts but not installed by deps, on purpose.
OUTSIDE = {
    "git": "only in advice (clone MicroPython or ESP-IDF yourself for the esp* commands)",
    "docker": "only in advice (the ESP8266 SDK image)",
    "idf.py": "ESP-IDF, not in Debian: ports-build.sh esp* checks for it and says how to get it",
    "espup": "Espressif's Rust installer, named in advice only",
    "xtensa-lx106-elf-gcc": "the ESP8266 SDK's compiler, not in Debian: ports-build.sh esp8266 explains",
}

# Code run by MicroPython, not the host; build outputs.
SKIP_DIRS = {".git", "build", "target", "mp", "soak_mp", "examples", "python", "stubs", "docs",
             "rust", "fuzz_targets", "corpus", "stub-libc", "stub-sdk", "esp32_main"}

# bash builtins that also exist as programs: the scripts use the builtin.
BUILTINS = {"echo", "printf", "test", "true", "false", "kill", "pwd", "read", "type", "command",
            "exec", "wait", "time", "cd", "set", "exit", "return", "shift", "local", "export"}

SPECIAL_SOURCES = ("rustup", "llvm-tools")


def read_table(text):
    """deps_table=( what source ... ) of ports-build.sh, as (what, source) pairs."""
    m = re.search(r"^deps_table=\($(.*?)^\)$", text, re.M | re.S)
    if not m:
        sys.exit("check_deps: no deps_table=( ... ) in ports-build.sh")
    words = [w for line in m.group(1).splitlines() for w in line.split("#", 1)[0].split()]
    if len(words) % 2:
        sys.exit("check_deps: deps_table has an odd number of words: each row is 'what source'")
    rows = list(zip(words[::2], words[1::2]))
    for what, src in rows:
        if not (src in SPECIAL_SOURCES or re.fullmatch(r"cargo:[\w-]+@[\w.+-]+", src)
                or re.fullmatch(r"[a-z0-9][a-z0-9.+-]+", src)):
            sys.exit("check_deps: deps_table: %r is not a Debian package, rustup, llvm-tools or "
                     "cargo:CRATE@VERSION" % src)
    return rows


def docs_table(text):
    """The rows of docs/building.md's copy of deps_table, as (what, source) pairs."""
    m = re.search(r"^<!-- deps_table: .*?-->\n(.*?)\n\n", text, re.M | re.S)
    if not m:
        sys.exit("check_deps: docs/building.md has no '<!-- deps_table: ... -->' table")
    rows = [[c.strip().strip("`") for c in line.strip().strip("|").split("|")]
            for line in m.group(1).splitlines()[2:]]
    return [(r[0], r[1]) for r in rows]


def script_files():
    for d, dirs, files in os.walk(ROOT):
        dirs[:] = sorted(x for x in dirs if x not in SKIP_DIRS)
        for f in sorted(files):
            path = os.path.join(d, f)
            rel = os.path.relpath(path, ROOT)
            if f.endswith((".sh", ".mk", ".cmake", ".py")) or f == "CMakeLists.txt" \
                    or rel in ("ports-build.sh", os.path.join(".ci", "run")):
                yield path


def first_word(text):
    """The first word of a quoted string if it could be a program's name."""
    words = text.split()
    return words[0] if words and re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9_.+-]*", words[0]) else ""


def unquote(code):
    """Shell code without comments, and with each quoted string cut to its first
    word (a quoted command: "valgrind -q ...") and its $(...) commands: the
    rest of a string is text for people, not programs run."""
    out, i, n = [], 0, len(code)
    while i < n:
        c = code[i]
        if c == "\\":
            out.append(code[i:i + 2])
            i += 2
        elif c == "#" and (i == 0 or code[i - 1] in " \t\n;(|&"):
            while i < n and code[i] != "\n":
                i += 1
        elif c == "'":
            j = code.find("'", i + 1)
            j = n if j < 0 else j
            out.append(" %s %s" % (first_word(code[i + 1:j]), "\n" * code.count("\n", i, j)))
            i = j + 1
        elif c == '"':
            j, depth, start, subs = i + 1, 0, 0, []
            while j < n and (depth or code[j] != '"'):
                if code[j] == "\\":
                    j += 1
                elif code.startswith("$(", j):
                    depth, start = depth + 1, (start if depth else j + 2)
                    j += 1
                elif depth and code[j] == "(":
                    depth += 1
                elif depth and code[j] == ")":
                    depth -= 1
                    if not depth:
                        subs.append(code[start:j])
                j += 1
            out.append(" %s %s %s" % (first_word(code[i + 1:j]), " ; ".join(unquote(x) for x in subs),
                                      "\n" * code.count("\n", i, j)))
            i = j + 1
        else:
            out.append(c)
            i += 1
    return "".join(out)


def code_words(text, kind):
    """(word, line) of shell, make or CMake code that could name a program."""
    lines, heredoc = [], None
    for line in text.splitlines():
        if heredoc:
            lines.append("")
            if line.strip() == heredoc:
                heredoc = None
            continue
        m = re.search(r"<<-?\s*['\"]?([A-Za-z_]\w*)['\"]?", line) if kind == "sh" else None
        if m:
            heredoc = m.group(1)
        lines.append(line)
    code = unquote("\n".join(lines))
    # Shell variables named like programs (local file; for size in ...).
    names = set()
    for m in re.finditer(r"\b(?:local|declare|read(?: -\w+)*|for)\s+([^;\n]*)", code):
        names.update(w.split("=")[0] for w in m.group(1).split() if not w.startswith("$"))
    for m in re.finditer(r"[A-Za-z0-9_][A-Za-z0-9_.+-]*", code):
        before, after = code[max(0, m.start() - 2):m.start()], code[m.end():m.end() + 1]
        if before[-1:] in ("/", "$", ".", "-", "=", "@", ":") or before == "${" or after in ("(", "="):
            continue    # a path, variable, option or value; a function or CMake command
        if kind != "sh" and before == "$(":
            continue    # make's functions and variables
        if kind == "sh" and (m.group() in BUILTINS or m.group() in names):
            continue
        yield m.group(), code.count("\n", 0, m.start()) + 1


def python_words(text):
    """(word, line) of Python code that names a program it runs."""
    def first(node):
        if isinstance(node, (ast.List, ast.Tuple)) and node.elts:
            node = node.elts[0]
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.strip():
            return os.path.basename(node.value.split()[0])
        return None

    for node in ast.walk(ast.parse(text)):
        word = None
        if isinstance(node, (ast.List, ast.Tuple)):
            word = first(node)                        # an argv: ["openssl", "req", ...]
        elif isinstance(node, ast.Call) and node.args:
            name = getattr(node.func, "attr", getattr(node.func, "id", ""))
            if name in ("run", "Popen", "call", "check_call", "check_output", "sh", "which"):
                word = first(node.args[0])
            elif name == "get" and len(node.args) == 2:
                word = first(node.args[1])            # os.environ.get("MOSQUITTO", "/usr/sbin/mosquitto")
        if word:
            yield word, node.lineno


_owners = {}


def debian_base(path):
    """(package, True if Essential or required) owning PATH, or (None, False)."""
    if path not in _owners:
        real = os.path.realpath(path)
        tries = [path, real] + [re.sub(r"^/usr(/s?bin/)", r"\1", p) for p in (path, real)]
        pkg = None
        for p in tries:
            r = subprocess.run(["dpkg", "-S", p], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
            if r.returncode == 0 and ": " in r.stdout:
                pkg = r.stdout.split(": ", 1)[0].split(",")[0].split(":")[0].strip()
                break
        base = False
        if pkg:
            r = subprocess.run(["dpkg-query", "-W", "-f=${Essential} ${Priority}", pkg],
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
            base = r.stdout.split()[:1] == ["yes"] or r.stdout.endswith(" required")
        _owners[path] = (pkg, base)
    return _owners[path]


def check(files, programs):
    """Problems: (file:line, program, why); and the table's programs seen."""
    search = os.environ.get("PATH", "") + ":/usr/sbin:/sbin"
    problems, seen = [], set()
    for path, text in files:
        kind = "py" if path.endswith(".py") else "sh" if path.endswith(".sh") or "." not in \
            os.path.basename(path) else "make"
        try:
            words = sorted(set(python_words(text) if kind == "py" else code_words(text, kind)),
                           key=lambda w: (w[1], w[0]))
        except SyntaxError as e:
            problems.append((path, "-", "cannot parse: %s" % e))
            continue
        for word, line in words:
            if word in programs:
                seen.add(word)
                continue
            exe = shutil.which(word, path=search)
            if not exe or os.path.realpath(exe).startswith(ROOT + os.sep) or word in OUTSIDE:
                continue
            pkg, base = debian_base(exe)
            if not base:
                problems.append(("%s:%d" % (os.path.relpath(path, ROOT), line), word,
                                 "%s, %s" % (exe, "Debian package %s" % pkg if pkg else "not from a Debian package")))
    return problems, seen


def self_test(programs):
    """A program dropped from the table must be reported, from shell and from Python."""
    for word in sorted(programs):
        exe = shutil.which(word, path=os.environ.get("PATH", "") + ":/usr/sbin:/sbin")
        if exe and not debian_base(exe)[1]:
            break
    else:
        sys.exit("check_deps: self-test: no program of deps_table is installed: run ./ports-build.sh deps")
    rest = programs - {word}
    for name, text in (("t.sh", 'out=$(%s --version | head -n 1)\n' % word),
                       ("t.py", 'import subprocess\nsubprocess.run(["%s", "--version"])\n' % word)):
        if not any(p[1] == word for p in check([(os.path.join(ROOT, name), text)], rest)[0]):
            sys.exit("check_deps: self-test: %s left out of the table, not reported in %s" % (word, name))


def main():
    verbose = "-v" in sys.argv[1:]
    rows = read_table(open(os.path.join(ROOT, "ports-build.sh")).read())
    programs = {w for w, _ in rows if w != "-" and ":" not in w}
    docs = docs_table(open(os.path.join(ROOT, "docs", "building.md"), encoding="utf-8").read())
    if docs != rows:
        print("FAIL docs/building.md's table (What the scripts install) is not deps_table: "
              "only in deps_table: %s; only in the docs: %s%s"
              % (sorted(set(rows) - set(docs)), sorted(set(docs) - set(rows)),
                 "; the same rows in another order" if set(docs) == set(rows) else ""))
    self_test(programs)
    files = [(p, open(p, encoding="utf-8").read()) for p in script_files()]
    # The table names packages, not programs run.
    files = [(p, re.sub(r"^deps_table=\(.*?^\)$", lambda m: "\n" * m.group().count("\n"), t, flags=re.M | re.S))
             for p, t in files]
    problems, seen = check(files, programs)
    for where, word, why in problems:
        print("FAIL %s: runs %s (%s), which is not in ports-build.sh's deps_table" % (where, word, why))
    if verbose:
        print("listed and named by the scripts: %s" % " ".join(sorted(seen)))
        print("listed, run indirectly: %s" % " ".join(sorted(programs - seen)))
    print("check_deps: %d files, %d table rows, %d program(s) missing from the table"
          % (len(files), len(rows), len({p[1] for p in problems})))
    sys.exit(1 if problems or docs != rows else 0)


if __name__ == "__main__":
    main()
