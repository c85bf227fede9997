#!/usr/bin/env python3
"""The API reference (docs/api/<module>.md) is generated from the stubs;
this checks it is up to date and that the docs' relative links resolve.

    python3 tests/check_docs.py            check (exit 1 on a difference)
    python3 tests/check_docs.py --write    regenerate docs/api/*.md

CPython, standard library only. For every stub (stubs/**/*.pyi, already
checked against the firmware by tests/check_stubs.py) the page lists the
module's docstring, then each public function, constant and class with its
signature and docstring, class members included. It also checks that every
relative link in docs/**/*.md and README.md points to an existing file.
The last line is "N passed, N failed".
"""

import argparse
import ast
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
STUBS = os.path.join(ROOT, "stubs")
API = os.path.join(ROOT, "docs", "api")


def module_name(path):
    rel = os.path.relpath(path, STUBS)[:-4].replace(os.sep, ".")
    return rel[:-9] if rel.endswith(".__init__") else rel


def doc(node):
    d = ast.get_docstring(node) if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef)) else None
    return d.strip() if d else ""


def signature(fn):
    args = ast.unparse(fn.args)
    args = re.sub(r"^self(, )?", "", args)
    ret = " -> " + ast.unparse(fn.returns) if fn.returns else ""
    return "%s(%s)%s" % (fn.name, args, ret)


def attr_docs(body):
    """(name, annotation, docstring) for annotated names, with the string literal after them."""
    out = []
    for i, node in enumerate(body):
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            d = ""
            if i + 1 < len(body) and isinstance(body[i + 1], ast.Expr) and \
                    isinstance(getattr(body[i + 1], "value", None), ast.Constant) and \
                    isinstance(body[i + 1].value.value, str):
                d = body[i + 1].value.value.strip()
            ann = ast.unparse(node.annotation)
            if node.value is not None:
                ann += " = " + ast.unparse(node.value)
            out.append((node.target.id, ann, d))
    return out


def render(path):
    with open(path) as f:
        tree = ast.parse(f.read(), path)
    name = module_name(path)
    lines = ["# `%s`" % name, "",
             "<!-- generated from stubs/%s by tests/check_docs.py --write; do not edit -->"
             % os.path.relpath(path, STUBS).replace(os.sep, "/"), ""]
    if doc(tree):
        lines += [doc(tree), ""]
    attrs = [a for a in attr_docs(tree.body) if not a[0].startswith("_")]
    modules = {}  # local name -> module it names, for base-class links
    is_pkg = path.endswith("__init__.pyi")
    for node in tree.body:
        if isinstance(node, ast.ImportFrom):
            base = name if is_pkg else name.rpartition(".")[0]
            src = node.module or ""
            if node.level:
                src = base + ("." + src if src else "")
            for a in node.names:
                local = a.asname or a.name
                modules[local] = (src + "." + a.name) if not node.module else src + "." + a.name
    stubbed = {module_name(p) for p in stub_files()}
    reexports = []
    for node in tree.body:
        if isinstance(node, ast.ImportFrom):
            src = "." * node.level + (node.module or "")
            for a in node.names:
                if a.asname == a.name and not a.name.startswith("_"):
                    reexports.append("`%s` (from `%s`)" % (a.name, src))
    if reexports:
        lines += ["Also available here: " + ", ".join(reexports) + ".", ""]
    if attrs:
        lines += ["## Constants", "", "| name | type / value | meaning |", "|---|---|---|"]
        for n, ann, d in attrs:
            lines.append("| `%s` | `%s` | %s |" % (n, ann, d.replace("\n", " ").replace("|", "\\|")))
        lines.append("")
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and not node.name.startswith("_"):
            lines += ["## `%s`" % signature(node), ""]
            if doc(node):
                lines += [doc(node), ""]
        elif isinstance(node, ast.ClassDef) and not node.name.startswith("_"):
            bases = ", ".join(ast.unparse(b) for b in node.bases)
            lines += ["## class `%s`%s" % (node.name, "(%s)" % bases if bases else ""), ""]
            if doc(node):
                lines += [doc(node), ""]
            for b in node.bases:
                head, _, rest = ast.unparse(b).partition(".")
                target = modules.get(head, "")
                full = target + ("." + rest if rest else "")
                mod, _, cname = full.rpartition(".")
                if mod in stubbed:
                    lines += ["Members not listed here are inherited from `%s.%s`: see [%s](%s.md)."
                              % (mod, cname, mod, mod), ""]
                elif target.rpartition(".")[0] in stubbed:
                    mod = target.rpartition(".")[0]
                    lines += ["Members not listed here are inherited from `%s`: see [%s](%s.md)."
                              % (target, mod, mod), ""]
            cattrs = attr_docs(node.body)
            if cattrs:
                lines += ["| attribute | type | meaning |", "|---|---|---|"]
                for n, ann, d in cattrs:
                    lines.append("| `%s` | `%s` | %s |" % (n, ann, d.replace("\n", " ").replace("|", "\\|")))
                lines.append("")
            for item in node.body:
                if isinstance(item, ast.FunctionDef):
                    decos = [ast.unparse(d) for d in item.decorator_list]
                    if any(d.endswith(".setter") for d in decos):
                        continue
                    if item.name.startswith("__") and item.name != "__init__":
                        continue
                    title = ("property `%s`" % item.name) if "property" in decos else "`%s`" % (
                        signature(item).replace("__init__", node.name, 1))
                    lines += ["### " + title, ""]
                    if doc(item):
                        lines += [doc(item), ""]
    return "\n".join(lines).rstrip("\n") + "\n"


def stub_files():
    for d, _, files in os.walk(STUBS):
        for f in sorted(files):
            if f.endswith(".pyi"):
                yield os.path.join(d, f)


LINK = re.compile(r"\]\(([^)#\s]+)(#[^)]*)?\)")


def check_links(problems):
    docs = [os.path.join(ROOT, "README.md")]
    for d, _, files in os.walk(os.path.join(ROOT, "docs")):
        docs += [os.path.join(d, f) for f in files if f.endswith(".md")]
    for path in docs:
        with open(path) as f:
            text = f.read()
        for m in LINK.finditer(text):
            target = m.group(1)
            if re.match(r"^[a-z]+:", target):
                continue  # absolute URL
            full = os.path.normpath(os.path.join(os.path.dirname(path), target))
            if not os.path.exists(full):
                problems.append("%s: link to %s: no such file" % (os.path.relpath(path, ROOT), target))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--write", action="store_true", help="regenerate docs/api/*.md")
    args = ap.parse_args()
    npass = nfail = 0
    os.makedirs(API, exist_ok=True)
    for path in stub_files():
        page = os.path.join(API, module_name(path) + ".md")
        text = render(path)
        if args.write:
            with open(page, "w") as f:
                f.write(text)
        try:
            with open(page) as f:
                ok = f.read() == text
        except OSError:
            ok = False
        rel = os.path.relpath(page, ROOT)
        if ok:
            npass += 1
            print("PASS %s" % rel)
        else:
            nfail += 1
            print("FAIL %s is not what stubs/ generate: run python3 tests/check_docs.py --write" % rel)
    problems = []
    check_links(problems)
    if problems:
        nfail += 1
        print("FAIL links")
        for p in problems:
            print("    | " + p)
    else:
        npass += 1
        print("PASS links in README.md and docs/")
    print("%d passed, %d failed" % (npass, nfail))
    return 1 if nfail else 0


if __name__ == "__main__":
    sys.exit(main())
