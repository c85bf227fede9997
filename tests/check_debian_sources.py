#!/usr/bin/env python3
"""tools/debian_sources.py on sample apt configurations: which entry it takes
for the Debian archive (deb822 and one-line files, security/updates entries,
third-party repositories, disabled files and stanzas, [signed-by=] options,
an inline key) and what it refuses. Run by ./ports-build.sh test.

    python3 tests/check_debian_sources.py [-v]

Prints the failing cases (-v: every case) and exits 1 if any fails.
"""
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
TOOL = os.path.join(HERE, "..", "tools", "debian_sources.py")
KEYRING = "/usr/share/keyrings/debian-archive-keyring.gpg"
HEADER = "# ports-build.sh source: MicroPython's source package; URIs and Signed-By\n"

DEB822_BOOKWORM = """Types: deb
# a comment inside the stanza
URIs: http://mirror.example/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://mirror.example/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
"""

VENDOR = """Types: deb
URIs: https://vendor.example/apt
Suites: bookworm
Components: main
Signed-By: /etc/apt/keyrings/vendor.gpg
"""

ONE_LINE = """# deb http://old.example/debian bookworm main
deb [ arch=amd64 signed-by=/usr/share/keyrings/debian-archive-keyring.gpg ] http://proxy.example:3142/debian/ bookworm main contrib non-free-firmware
deb-src http://proxy.example:3142/debian/ bookworm main
deb http://proxy.example:3142/debian/ bookworm-updates main
deb http://proxy.example:3142/debian-security bookworm-security main
"""

INLINE_KEY = """Types: deb
URIs: http://mirror.example/debian
Suites: trixie
Components: main
Signed-By:
 -----BEGIN PGP PUBLIC KEY BLOCK-----
 .
 mQINBGPL0BUBEAC
 -----END PGP PUBLIC KEY BLOCK-----
"""


def expected(where, uris, signed_by=KEYRING):
    text = (HEADER + "# from %s\nTypes: deb-src\nURIs: %s\nSuites: trixie sid\nComponents: main\n"
            % (where, uris))
    if signed_by:
        text += "Signed-By:%s%s\n" % ("" if signed_by.startswith("\n") else " ", signed_by)
    return text


# name, {path under the root: content}, codename, expected stdout or None (must fail),
# text the error must contain
CASES = [
    ("deb822: the codename's stanza, not -security; a *.disabled file and a third-party one ignored",
     {"etc/apt/sources.list.d/debian.sources": DEB822_BOOKWORM,
      "etc/apt/sources.list.d/other.sources.disabled":
          "Types: deb\nURIs: http://other.example/debian\nSuites: bookworm\nComponents: main\n",
      "etc/apt/sources.list.d/vendor.sources": VENDOR},
     "bookworm", expected("/etc/apt/sources.list.d/debian.sources:1", "http://mirror.example/debian"), None),
    ("one-line sources.list: [signed-by=] option, deb-src/-updates/-security lines and comments skipped",
     {"etc/apt/sources.list": ONE_LINE},
     "bookworm", expected("/etc/apt/sources.list:2", "http://proxy.example:3142/debian/"), None),
    ("one-line *.list without signed-by: taken, and no Signed-By written",
     {"etc/apt/sources.list.d/mirror.list": "deb http://mirror.example/debian bookworm main\n"},
     "bookworm", expected("/etc/apt/sources.list.d/mirror.list:1", "http://mirror.example/debian", None), None),
    ("third-party entry first, Debian's known by its Release file's Origin",
     {"etc/apt/sources.list": "deb http://vendor.example/apt bookworm main\n"
                              "deb http://mirror.example/debian bookworm main\n",
      "var/lib/apt/lists/mirror.example_debian_dists_bookworm_InRelease":
          "-----BEGIN PGP SIGNED MESSAGE-----\nOrigin: Debian\nLabel: Debian\nSuite: stable\n",
      "var/lib/apt/lists/vendor.example_apt_dists_bookworm_InRelease": "Origin: Vendor\n"},
     "bookworm", expected("/etc/apt/sources.list:2", "http://mirror.example/debian", None), None),
    ("an inline key block in Signed-By is copied as is; Enabled: no skipped",
     {"etc/apt/sources.list.d/debian.sources":
          "Enabled: no\nTypes: deb\nURIs: http://off.example/debian\nSuites: trixie\nComponents: main\n\n"
          + INLINE_KEY},
     "trixie", expected("/etc/apt/sources.list.d/debian.sources:7", "http://mirror.example/debian",
                        "\n -----BEGIN PGP PUBLIC KEY BLOCK-----\n .\n mQINBGPL0BUBEAC\n"
                        " -----END PGP PUBLIC KEY BLOCK-----"), None),
    ("only -security and -updates entries: refused, saying what to configure",
     {"etc/apt/sources.list": "deb http://mirror.example/debian bookworm-updates main\n"
                              "deb http://mirror.example/debian-security bookworm-security main\n"},
     "bookworm", None, "no enabled 'deb' entry for the Debian archive with the suite bookworm"),
    ("only a disabled file and another release's suite: refused",
     {"etc/apt/sources.list.d/debian.sources.disabled": DEB822_BOOKWORM,
      "etc/apt/sources.list": "deb http://mirror.example/debian bullseye main\n"},
     "bookworm", None, "configure this machine's Debian mirror"),
    ("two candidates, neither known to be Debian's: refused",
     {"etc/apt/sources.list": "deb http://a.example/debian bookworm main\n"
                              "deb http://b.example/debian bookworm main\n"},
     "bookworm", None, "/etc/apt/sources.list:1, /etc/apt/sources.list:2"),
]


def run(files, code):
    with tempfile.TemporaryDirectory() as root:
        files = dict(files)
        files["etc/os-release"] = 'PRETTY_NAME="Debian"\nVERSION_CODENAME=%s\nID=debian\n' % code
        for path, text in files.items():
            os.makedirs(os.path.dirname(os.path.join(root, path)), exist_ok=True)
            with open(os.path.join(root, path), "w") as f:
                f.write(text)
        return subprocess.run([sys.executable, TOOL, "--root", root], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)


def main():
    failed = 0
    for name, files, code, want, error in CASES:
        r = run(files, code)
        if want is not None:
            ok = r.returncode == 0 and r.stdout == want
            why = "exit %d, stdout:\n%s\nstderr: %s\nwanted:\n%s" % (r.returncode, r.stdout, r.stderr, want)
        else:
            ok = r.returncode != 0 and error in r.stderr
            why = "exit %d, stderr: %s (wanted a failure saying %r)" % (r.returncode, r.stderr, error)
        if not ok or "-v" in sys.argv[1:]:
            print("%s %s" % ("ok  " if ok else "FAIL", name))
        if not ok:
            print("     " + why.replace("\n", "\n     "))
            failed += 1
    print("debian_sources: %d cases, %d failed" % (len(CASES), failed))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
