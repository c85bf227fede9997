#!/usr/bin/env python3
"""The deb-src entry `ports-build.sh source` adds for MicroPython's source
package, made from this machine's own apt configuration, so that it goes
through the same mirror or proxy, with the same keyring.

    python3 tools/debian_sources.py [--suites "trixie sid"] [--root DIR]

Prints a deb822 stanza: Types: deb-src, the URIs and Signed-By of the
machine's entry for the Debian archive, the given Suites, Components: main.
Exits 1 with a message saying what to configure when there is no such entry.

The Debian archive entry is an enabled `deb` entry whose Suites include the
codename of /etc/os-release exactly (not CODENAME-security or
CODENAME-updates, other archives) with the component main. Entries are read
as apt reads them: one-line entries from /etc/apt/sources.list and
sources.list.d/*.list, deb822 stanzas from sources.list.d/*.sources; other
file names (*.disabled...) are ignored. A third-party repository may serve
"CODENAME main" too: when several entries match, the one whose Release file
in /var/lib/apt/lists says "Origin: Debian" is taken, else the one signed by
the debian-archive-keyring package's keyring; when that does not tell them
apart, it is an error.

--root DIR reads DIR/etc/os-release, DIR/etc/apt and DIR/var/lib/apt/lists
instead (tests/check_debian_sources.py).
"""
import argparse
import glob
import os
import re
import sys

DEBIAN_KEYRING = "/usr/share/keyrings/debian-archive-keyring.gpg"


class Entry:
    def __init__(self, where, types, uris, suites, components, signed_by, enabled=True):
        self.where = where            # "file:line", for messages
        self.types = types
        self.uris = uris
        self.suites = suites
        self.components = components
        # Raw value: a path, fingerprints, or a key block (then it starts with
        # a newline and its lines keep their indentation); None if absent.
        self.signed_by = signed_by
        self.enabled = enabled


def parse_one_line(text, path):
    """`deb [opt=val ...] URI SUITE [COMPONENT...]` lines (sources.list(5))."""
    entries = []
    for n, line in enumerate(text.splitlines(), 1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        m = re.match(r"(\S+)\s+(?:\[([^\]]*)\]\s+)?(\S+)\s+(\S+)\s*(.*)$", line)
        if not m:
            continue
        typ, opts, uri, suite, comps = m.groups()
        options = {}
        for opt in (opts or "").split():
            key, _, value = opt.partition("=")
            options[key.rstrip("+-").lower()] = value
        entries.append(Entry("%s:%d" % (path, n), [typ], [uri], [suite], comps.split(),
                             options.get("signed-by")))
    return entries


def parse_deb822(text, path):
    """Stanzas of `Field: value` lines, continuation lines indented, '#' comments."""
    entries = []
    stanza, start, field = {}, 0, None

    def flush():
        if stanza:
            words = {k: " ".join(v).split() for k, v in stanza.items()}
            signed = stanza.get("signed-by")
            entries.append(Entry(
                "%s:%d" % (path, start), words.get("types", []), words.get("uris", []),
                words.get("suites", []), words.get("components", []),
                "\n".join(signed) if signed else None,
                words.get("enabled", ["yes"])[0].lower() != "no"))

    for n, line in enumerate(text.splitlines(), 1):
        if line.startswith("#"):
            continue
        if not line.strip():
            flush()
            stanza, field = {}, None
            continue
        if line[0] in " \t" and field:
            stanza[field].append(line)   # kept as is: a key block's lines stay lines
            continue
        name, sep, value = line.partition(":")
        if not sep:
            continue
        if not stanza:
            start = n
        field = name.strip().lower()
        stanza[field] = [value.strip()]
    flush()
    return entries


def read_entries(root):
    apt = os.path.join(root, "etc", "apt")
    shown = lambda path: "/" + os.path.relpath(path, root)   # as on the machine
    entries = []
    one_line = [os.path.join(apt, "sources.list")] + sorted(glob.glob(os.path.join(apt, "sources.list.d", "*.list")))
    for path in one_line:
        if os.path.isfile(path):
            entries += parse_one_line(open(path, encoding="utf-8").read(), shown(path))
    for path in sorted(glob.glob(os.path.join(apt, "sources.list.d", "*.sources"))):
        entries += parse_deb822(open(path, encoding="utf-8").read(), shown(path))
    return entries


def codename(root):
    path = os.path.join(root, "etc", "os-release")
    try:
        text = open(path, encoding="utf-8").read()
    except OSError as e:
        sys.exit("debian_sources.py: cannot read %s: %s" % (path, e))
    m = re.search(r"^VERSION_CODENAME=\"?([^\"\n]*)\"?$", text, re.M)
    if not m or not m.group(1):
        sys.exit("debian_sources.py: %s has no VERSION_CODENAME: cannot tell this Debian's release" % path)
    return m.group(1)


def list_name(uri, suite, name):
    """apt's file name in /var/lib/apt/lists for URI/dists/SUITE/NAME (URItoFileName)."""
    u = uri.rstrip("/") + "/dists/" + suite + "/" + name
    u = re.sub(r"^[A-Za-z0-9+.-]+:(//)?", "", u)   # no scheme
    u = re.sub(r"^[^/@]*@", "", u)                  # no user:password@
    u = "".join("%%%02x" % ord(c) if c in '\\|{}[]<>"^~_=!@#$%^&*' or ord(c) <= 0x20 or ord(c) >= 0x7f
                else c for c in u)
    return u.replace("/", "_")


def origin_debian(root, entry, suite):
    lists = os.path.join(root, "var", "lib", "apt", "lists")
    for uri in entry.uris:
        for name in ("InRelease", "Release"):
            try:
                text = open(os.path.join(lists, list_name(uri, suite, name)), encoding="utf-8",
                            errors="replace").read(65536)
            except OSError:
                continue
            if re.search(r"^Origin: Debian$", text, re.M):
                return True
    return False


def choose(root):
    suite = codename(root)
    found = [e for e in read_entries(root)
             if e.enabled and "deb" in e.types and suite in e.suites and "main" in e.components and e.uris]
    what = "enabled 'deb' entry for the Debian archive with the suite %s and the component main" % suite
    config = os.path.join(root, "etc", "apt")
    if not found:
        sys.exit("debian_sources.py: no %s in %s/sources.list, sources.list.d/*.list or "
                 "sources.list.d/*.sources: configure this machine's Debian mirror there, e.g. a "
                 "deb822 stanza 'Types: deb', 'URIs: <your mirror>/debian', 'Suites: %s', "
                 "'Components: main', 'Signed-By: %s'" % (what, config, suite, DEBIAN_KEYRING))
    for test in (lambda e: origin_debian(root, e, suite), lambda e: (e.signed_by or "").strip() == DEBIAN_KEYRING):
        best = [e for e in found if test(e)]
        if best:
            return best[0]
    if len(found) == 1:
        return found[0]
    sys.exit("debian_sources.py: several entries could be the %s and none is known to be Debian's "
             "(no 'Origin: Debian' Release file in /var/lib/apt/lists, no Signed-By %s): %s. Run "
             "apt-get update, or give the Debian one Signed-By: %s"
             % (what, DEBIAN_KEYRING, ", ".join(e.where for e in found), DEBIAN_KEYRING))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--suites", default="trixie sid", help="Suites of the deb-src entry")
    ap.add_argument("--root", default="/", help="read etc/ and var/lib/apt/lists under DIR")
    args = ap.parse_args()
    e = choose(args.root)
    lines = ["# ports-build.sh source: MicroPython's source package; URIs and Signed-By",
             "# from " + e.where,
             "Types: deb-src",
             "URIs: " + " ".join(e.uris),
             "Suites: " + args.suites,
             "Components: main"]
    if e.signed_by is not None:
        lines.append("Signed-By:" + ("" if e.signed_by.startswith("\n") else " ") + e.signed_by)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
