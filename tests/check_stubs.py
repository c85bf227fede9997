#!/usr/bin/env python3
"""Checks the .pyi stubs in stubs/ against the real firmware, both ways.

    python3 tests/check_stubs.py --micropython build/unix/micropython [--stubs DIR] [-v]

CPython with the standard library only (ast). For each stub file
(stubs/_umqtt.pyi -> `_umqtt`, stubs/umqtt/simple2.pyi -> `umqtt.simple2`,
stubs/umqtt/__init__.pyi -> `umqtt`, ...) it runs one MicroPython script on
the firmware that imports the module and reports dir() of the module, of
each class the stub declares and of an instance of it, plus, for every name
the stub declares, whether the firmware has it, whether it is callable or a
class, and the value of int/str constants. Then it compares:

  module   every public name of dir(module) (no leading underscore, not a
           module object) is declared by the stub, and every name the stub
           declares exists on the device (getattr, so names a package's
           __getattr__ provides count), as a class where the stub has a
           class and callable where it has a def; int/str constants have
           the stub's value.
  class    every public name of dir(cls) and of dir(instance) is declared in
           the stub's class (its own body or a base class's stub); every
           member the stub declares exists on the class (methods, class
           attributes, properties) or on an instance (annotations without
           a value = instance attributes). Underscore members the stub
           declares (documented hooks such as _read/_write) are checked
           too, so they cannot go stale.
  modules  every module of ours the firmware registers (help('modules'):
           _umqtt, umqtt/*, mqtt_as*; private umqtt/_* excluded) has a stub.

Stub conventions (those of typeshed): class constants are annotated
`X: ClassVar[int]` (a bare `x: int` in a class body is an instance
attribute); dunder members (__init__) are not looked up on the device; `from m import x` declares nothing
public: it acknowledges an implementation import (e.g. ticks_ms) that
dir() shows, and must still exist on the device; `from m import x as x`
re-exports x. Module-level names starting with "_" are typing helpers
(not checked). Imports from typing are ignored.

An instance is made with MQTTClient-style arguments ("stub-check",
"127.0.0.1") when the stub's __init__ takes (client_id, server), or with the
recipe in INSTANCE_RECIPES (mqtt_as); this does not connect. Exit status 0 when everything matches, 1 on a mismatch, 2 when
the firmware could not be run. The last line is "N passed, N failed".
"""

import argparse
import ast
import json
import os
import re
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
TYPING_MODULES = {"typing", "typing_extensions", "collections.abc", "__future__", "abc"}
OUR_MODULES = re.compile(r"^(_umqtt|umqtt(/[^_][^/]*)?|mqtt_as(/[^_][^/]*)?)$")
INSTANCE_ARGS = ("stub-check", "127.0.0.1")
# Classes whose constructor is not MQTTClient-like: how to make an instance
# on the device (mod: the module, cls: the class). None of these connects.
INSTANCE_RECIPES = {
    "mqtt_as.MQTTClient": "cls(dict(mod.config, server='127.0.0.1', queue_len=1))",
    "mqtt_as.MsgQueue": "cls(1)",
}


# ---------------------------------------------------------------------------
# The stub side.

class ClassSpec:
    def __init__(self, module, name):
        self.module, self.name = module, name
        self.members = {}  # name -> "def" | "prop" | "attr" (on the class)
        self.inst = set()  # annotated without a value: instance attributes
        self.bases = []  # "module.Class" of bases that are stubbed, resolved later
        self.init_args = []
        self.init_varargs = False


class ModuleSpec:
    def __init__(self, name, path):
        self.name, self.path = name, path
        self.public = {}  # name -> "class" | "def" | "attr" | "module" | "reexport"
        self.private_imports = set()
        self.constants = {}  # name -> literal value
        self.classes = {}  # name -> ClassSpec (public and private)
        self.aliases = {}  # local name -> "module" or "module.name"


def module_name(stubdir, path):
    rel = os.path.relpath(path, stubdir)[:-4].replace(os.sep, ".")
    return rel[:-9] if rel.endswith(".__init__") else rel


def absolute(modname, is_pkg, level, target):
    if not level:
        return target
    parts = modname.split(".")
    base = parts if is_pkg else parts[:-1]
    base = base[:len(base) - (level - 1)] if level > 1 else base
    return ".".join(base + ([target] if target else []))


def literal(node):
    try:
        v = ast.literal_eval(node)
    except Exception:
        return None
    return v if isinstance(v, (int, str, bool)) else None


def parse_stub(stubdir, path):
    name = module_name(stubdir, path)
    spec = ModuleSpec(name, path)
    is_pkg = os.path.basename(path) == "__init__.pyi"
    with open(path) as f:
        tree = ast.parse(f.read(), path)
    for node in tree.body:
        if isinstance(node, ast.Import):
            for a in node.names:
                local = a.asname or a.name.split(".")[0]
                spec.aliases[local] = a.name if a.asname else a.name.split(".")[0]
                if a.asname == a.name and not local.startswith("_"):
                    spec.public[local] = "module"
                elif not local.startswith("_"):
                    spec.private_imports.add(local)
        elif isinstance(node, ast.ImportFrom):
            src = absolute(name, is_pkg, node.level, node.module or "")
            for a in node.names:
                local = a.asname or a.name
                # `from . import simple` names a module; `from m import x` an attribute
                spec.aliases[local] = (src + "." + a.name) if src else a.name
                if src in TYPING_MODULES or local.startswith("_"):
                    continue
                if a.asname == a.name:
                    spec.public[local] = "reexport"
                else:
                    spec.private_imports.add(local)
        elif isinstance(node, ast.ClassDef):
            cls = ClassSpec(name, node.name)
            spec.classes[node.name] = cls
            cls._base_exprs = node.bases
            for item in node.body:
                if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    decos = [ast.unparse(d) for d in item.decorator_list]
                    if any(d.endswith(".setter") or d.endswith(".deleter") for d in decos):
                        continue
                    kind = "prop" if "property" in decos else "def"
                    cls.members[item.name] = kind
                    if item.name == "__init__":
                        cls.init_args = [a.arg for a in item.args.args[1:]]
                        cls.init_varargs = item.args.vararg is not None
                elif isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name):
                    if item.value is None and not ast.unparse(item.annotation).startswith("ClassVar"):
                        cls.inst.add(item.target.id)
                    else:
                        cls.members[item.target.id] = "attr"
                elif isinstance(item, ast.Assign):
                    for t in item.targets:
                        if isinstance(t, ast.Name):
                            cls.members[t.id] = "attr"
            if not node.name.startswith("_"):
                spec.public[node.name] = "class"
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            if not node.name.startswith("_"):
                spec.public[node.name] = "def"
        elif isinstance(node, (ast.AnnAssign, ast.Assign)):
            targets = [node.target] if isinstance(node, ast.AnnAssign) else node.targets
            for t in targets:
                if isinstance(t, ast.Name) and not t.id.startswith("_"):
                    spec.public[t.id] = "attr"
                    if node.value is not None and literal(node.value) is not None:
                        spec.constants[t.id] = literal(node.value)
    return spec


def resolve_bases(specs):
    """Turns each class's base expressions into 'module.Class' keys of stubbed classes."""
    for spec in specs.values():
        for cls in spec.classes.values():
            for b in cls._base_exprs:
                text = ast.unparse(b)
                head, _, rest = text.partition(".")
                target = spec.aliases.get(head, spec.name + "." + head if head in spec.classes else head)
                full = target + ("." + rest if rest else "")
                mod, _, cname = full.rpartition(".")
                if mod in specs and cname in specs[mod].classes:
                    cls.bases.append((mod, cname))


def all_members(specs, mod, cname, seen=None):
    """(members, instance attributes) of a stub class, bases included."""
    seen = seen or set()
    if (mod, cname) in seen:
        return {}, set()
    seen.add((mod, cname))
    cls = specs[mod].classes[cname]
    members, inst = {}, set()
    for bmod, bname in cls.bases:
        m, i = all_members(specs, bmod, bname, seen)
        members.update(m)
        inst |= i
    members.update(cls.members)
    inst |= cls.inst
    return members, inst


def instantiable(specs, mod, cname):
    cls = specs[mod].classes[cname]
    while True:
        if "__init__" in cls.members and not (cls.init_varargs and not cls.init_args):
            return cls.init_args[:2] == ["client_id", "server"]
        if not cls.bases:
            return False
        cls = specs[cls.bases[0][0]].classes[cls.bases[0][1]]


# ---------------------------------------------------------------------------
# The device side: one MicroPython script per module.

PROBE = r"""
import json, sys
def kind(v):
    if isinstance(v, type):
        return "class"
    if type(v) is type(sys):
        return "module"
    if callable(v):
        return "callable"
    return "value"
def names(o):
    return [n for n in dir(o) if not n.startswith("__")]
def probe(o, wanted):
    out = {}
    for n in wanted:
        try:
            v = getattr(o, n)
        except Exception:
            out[n] = None
            continue
        k = kind(v)
        val = v if (type(v) in (int, str, bool)) else None
        out[n] = [k, val]
    return out
REQ = json.loads(%r)
res = {"error": None}
try:
    mod = __import__(REQ["module"], None, None, ("x",))
    res["dir"] = [[n, kind(getattr(mod, n))] for n in names(mod)]
    res["has"] = probe(mod, REQ["names"])
    res["classes"] = {}
    for cname, c in REQ["classes"].items():
        cls = getattr(mod, cname, None)
        if cls is None:
            continue
        r = {"dir": names(cls), "has": probe(cls, c["members"])}
        if c["instance"]:
            try:
                inst = eval(c["instance"], {"cls": cls, "mod": mod})
                r["idir"] = names(inst)
                r["ihas"] = probe(inst, c["inst"])
            except Exception as e:
                r["ierror"] = repr(e)
        res["classes"][cname] = r
except Exception as e:
    res["error"] = repr(e)
print("PROBE " + json.dumps(res))
"""


def run_mp(micropython, code, cwd):
    path = os.path.join(cwd, "probe.py")
    with open(path, "w") as f:
        f.write(code)
    env = dict(os.environ, MICROPYPATH=".frozen")
    env.pop("MICROPYINSPECT", None)
    r = subprocess.run([micropython, path], cwd=cwd, env=env, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, timeout=60)
    return r.returncode, r.stdout.decode("utf-8", "replace")


def registered_modules(micropython, cwd):
    rc, out = run_mp(micropython, "help('modules')\n", cwd)
    mods = set()
    for line in out.splitlines():
        for w in line.split():
            w = w[:-9] if w.endswith("/__init__") else w
            if OUR_MODULES.match(w):
                mods.add(w)
    return {m.replace("/", ".") for m in mods}


def check_module(specs, spec, micropython, cwd, problems):
    classes = {}
    for cname, cls in spec.classes.items():
        if cname.startswith("_"):
            continue
        members, inst = all_members(specs, spec.name, cname)
        recipe = INSTANCE_RECIPES.get(spec.name + "." + cname)
        if recipe is None and instantiable(specs, spec.name, cname):
            recipe = "cls(%r, %r)" % INSTANCE_ARGS
        classes[cname] = {"members": sorted(members), "inst": sorted(inst), "instance": recipe}
    req = {"module": spec.name, "names": sorted(set(spec.public) | spec.private_imports),
           "classes": classes}
    rc, out = run_mp(micropython, PROBE % (json.dumps(req),), cwd)
    line = [l for l in out.splitlines() if l.startswith("PROBE ")]
    if rc != 0 or not line:
        problems.append("%s: probe failed (exit %d):\n%s" % (spec.name, rc, out))
        return
    res = json.loads(line[-1][6:])
    if res["error"]:
        problems.append("%s: import failed on the device: %s" % (spec.name, res["error"]))
        return
    where = os.path.relpath(spec.path, ROOT)
    declared = set(spec.public) | spec.private_imports
    for n, k in res["dir"]:
        if n.startswith("_") or k == "module":
            continue
        if n not in declared:
            problems.append("%s: %s.%s is on the device but not in %s" % (spec.name, spec.name, n, where))
    for n in sorted(declared):
        got = res["has"].get(n)
        if got is None:
            what = {"reexport": "re-export", "class": "class", "def": "function", "attr": "attribute",
                    "module": "module", None: "implementation import"}[spec.public.get(n)]
            problems.append("%s: %s (%s) is in %s but not on the device" % (spec.name, n, what, where))
            continue
        k, val = got
        want = spec.public.get(n)
        if want == "class" and k != "class":
            problems.append("%s: %s is a class in the stub, %s on the device" % (spec.name, n, k))
        elif want == "def" and k not in ("callable", "class"):
            problems.append("%s: %s is a function in the stub, %s on the device" % (spec.name, n, k))
        if n in spec.constants and val != spec.constants[n]:
            problems.append("%s: %s = %r in the stub, %r on the device" % (spec.name, n, spec.constants[n], val))
    for cname, creq in classes.items():
        r = res["classes"].get(cname)
        if r is None:
            continue  # already reported as missing
        members = dict.fromkeys(creq["members"])
        known = set(members) | set(creq["inst"])
        for n in r["dir"]:
            if not n.startswith("_") and n not in known:
                problems.append("%s: %s.%s is on the device but not in the stub's class" % (spec.name, cname, n))
        for n in creq["members"]:
            if r["has"].get(n) is None and not n.startswith("__"):
                problems.append("%s: %s.%s is in the stub but not on the device class" % (spec.name, cname, n))
        if creq["instance"]:
            if "ierror" in r:
                problems.append("%s: %s failed on the device: %s" % (spec.name, creq["instance"], r["ierror"]))
                continue
            for n in r["idir"]:
                if not n.startswith("_") and n not in known and n not in r["dir"]:
                    problems.append("%s: instance attribute %s.%s is on the device but not in the stub"
                                    % (spec.name, cname, n))
            for n in creq["inst"]:
                if r["ihas"].get(n) is None:
                    problems.append("%s: instance attribute %s.%s is in the stub but not on the device"
                                    % (spec.name, cname, n))
        else:
            for n in creq["inst"]:
                if r["has"].get(n) is None:
                    problems.append("%s: %s.%s (annotated) is neither on the class nor checkable on an instance"
                                    % (spec.name, cname, n))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--micropython", required=True, help="unix micropython binary to check against")
    ap.add_argument("--stubs", default=os.path.join(ROOT, "stubs"), help="stub directory (default stubs/)")
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args()
    micropython = os.path.abspath(args.micropython)
    if not os.access(micropython, os.X_OK):
        print("not executable: %s" % micropython)
        print("0 passed, 1 failed")
        return 2

    specs = {}
    for d, _, files in os.walk(args.stubs):
        for f in sorted(files):
            if f.endswith(".pyi"):
                spec = parse_stub(args.stubs, os.path.join(d, f))
                specs[spec.name] = spec
    resolve_bases(specs)

    npass = nfail = 0
    with tempfile.TemporaryDirectory(prefix="umqtt-stubs-") as cwd:
        try:
            registered = registered_modules(micropython, cwd)
        except (OSError, subprocess.SubprocessError) as e:
            print("cannot run %s: %s" % (micropython, e))
            print("0 passed, 1 failed")
            return 2
        unstubbed = sorted(registered - set(specs))
        if unstubbed or not registered:
            nfail += 1
            print("FAIL registered modules: %s" % (
                "no stub for " + ", ".join(unstubbed) if unstubbed else "none of ours found in help('modules')"))
        else:
            npass += 1
            print("PASS registered modules have stubs: %s" % ", ".join(sorted(registered)))
        for name in sorted(specs):
            problems = []
            if name not in registered:
                problems.append("%s has a stub but the firmware does not register it" % name)
            else:
                check_module(specs, specs[name], micropython, cwd, problems)
            if problems:
                nfail += 1
                print("FAIL %s" % name)
                for p in problems:
                    print("    | " + p.replace("\n", "\n    | "))
            else:
                npass += 1
                print("PASS %s" % name)
                if args.verbose:
                    print("    | public: %s" % ", ".join(sorted(specs[name].public)))
    print("%d passed, %d failed" % (npass, nfail))
    return 1 if nfail else 0


if __name__ == "__main__":
    sys.exit(main())
