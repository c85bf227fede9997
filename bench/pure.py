#!/usr/bin/env python3
"""The pure-Python originals the benchmark compares against, from PyPI (sha256-pinned, cached in
bench/.cache/): umqtt.simple2 2.2.0, umqtt.simple 1.3.4, umqtt.robust2 2.2.0.

    python3 bench/pure.py frozen DIR   # DIR/umqtt/*.py: simple2 2.2.0 as published, to freeze

bench/run.py imports install_pure() (the renamed package `pyumqtt`, loaded from the filesystem);
bench/build-pure.sh runs `frozen` for the firmware with pure simple2 frozen in.
"""
import hashlib
import io
import json
import os
import re
import shutil
import sys
import tarfile
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
CACHE = os.path.join(HERE, ".cache")
LIB = os.path.join(CACHE, "lib")  # holds the renamed pure-Python package "pyumqtt"


class BenchError(Exception):
    """A failure run.py reports in one message and exits 1 for."""


def log(*a):
    print(*a, file=sys.stderr, flush=True)

PKG, VER = "micropython-umqtt.simple2", "2.2.0"
SDIST_SHA256 = "48fd4da7701b95986293b06d343fbc564ebe7dfa82f5c8c09364c20df755f0e4"
# The pure-Python originals of the other facades, from PyPI the same way. micropython-lib's
# umqtt.simple 1.8.0 is not on PyPI (its last upload there is 1.3.4; newer versions are only on
# micropython.org's mip index): 1.3.4 is used, and the report says so.
EXTRA_PKGS = [
    ("micropython-umqtt.simple", "1.3.4", "b6a2520239e3992c63a7de9370ee9b3d9d27819a90359c521f1c0f7ccab8d12f", "simple.py"),
    ("micropython-umqtt.robust2", "2.2.0", "da3a09a570868d8e4ae6d2fad475230f6f2b130b45711be6873f83b10ebd4a6c", "robust2.py"),
]


def fetch_sdist(PKG=PKG, VER=VER, SDIST_SHA256=SDIST_SHA256):
    """Download the sdist like upip did: PyPI JSON API -> sdist URL -> tar.gz (cached)."""
    path = os.path.join(CACHE, "%s-%s.tar.gz" % (PKG, VER))
    if not os.path.exists(path):
        os.makedirs(CACHE, exist_ok=True)
        try:
            meta = json.load(urllib.request.urlopen("https://pypi.org/pypi/%s/%s/json" % (PKG, VER), timeout=60))
            files = meta["urls"]
        except urllib.error.HTTPError:  # some mirrors only serve the per-project document
            meta = json.load(urllib.request.urlopen("https://pypi.org/pypi/%s/json" % PKG, timeout=60))
            files = meta["releases"][VER]
        url = next(f["url"] for f in files if f["packagetype"] == "sdist")
        log("downloading", url)
        data = urllib.request.urlopen(url, timeout=60).read()
        with open(path + ".part", "wb") as f:
            f.write(data)
        os.replace(path + ".part", path)
    data = open(path, "rb").read()
    if hashlib.sha256(data).hexdigest() != SDIST_SHA256:
        raise BenchError("%s: sha256 mismatch (delete it to download again)" % path)
    return data


def install_pure():
    """Extract umqtt/*.py as package 'pyumqtt' so a built-in 'umqtt' cannot shadow it."""
    dst = os.path.join(LIB, "pyumqtt")
    shutil.rmtree(dst, ignore_errors=True)
    os.makedirs(dst)
    with tarfile.open(fileobj=io.BytesIO(fetch_sdist())) as tar:
        for m in tar.getmembers():
            d, name = os.path.split(m.name)
            if os.path.basename(d) == "umqtt" and name.endswith(".py"):
                src = tar.extractfile(m).read().decode()
                # "from umqtt.errno import X" / "import umqtt.x" -> the renamed package
                src = re.sub(r"^(\s*(?:from|import)\s+)umqtt\b", r"\1pyumqtt", src, flags=re.M)
                with open(os.path.join(dst, name), "w") as f:
                    f.write(src)
    if not os.path.exists(os.path.join(dst, "simple2.py")):
        raise BenchError("no umqtt/simple2.py in the sdist")
    for pkg, ver, sha, want in EXTRA_PKGS:  # into the same renamed package: robust2 needs simple2
        with tarfile.open(fileobj=io.BytesIO(fetch_sdist(pkg, ver, sha))) as tar:
            for m in tar.getmembers():
                d, name = os.path.split(m.name)
                if os.path.basename(d) == "umqtt" and name == want:
                    src = tar.extractfile(m).read().decode()
                    src = re.sub(r"^(\s*(?:from|import)\s+)umqtt\b", r"\1pyumqtt", src, flags=re.M)
                    with open(os.path.join(dst, name), "w") as f:
                        f.write(src)
        if not os.path.exists(os.path.join(dst, want)):
            raise BenchError("no umqtt/%s in the %s %s sdist" % (want, pkg, ver))
    return dst


def extract_frozen(dst):
    """simple2 2.2.0's umqtt/*.py unchanged into dst/umqtt/ (for a firmware without umqtt-rs,
    where it is `umqtt.simple2` as on a device that installed it). Rewrites only what changed."""
    pkg = os.path.join(dst, "umqtt")
    os.makedirs(pkg, exist_ok=True)
    found = False
    with tarfile.open(fileobj=io.BytesIO(fetch_sdist())) as tar:
        for m in tar.getmembers():
            d, name = os.path.split(m.name)
            if os.path.basename(d) == "umqtt" and name.endswith(".py"):
                data = tar.extractfile(m).read()
                path = os.path.join(pkg, name)
                found = found or name == "simple2.py"
                if not os.path.exists(path) or open(path, "rb").read() != data:
                    with open(path, "wb") as f:  # unchanged files keep their mtime: no rebuild
                        f.write(data)
    if not found:
        raise BenchError("no umqtt/simple2.py in the sdist")
    return pkg


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] != "frozen":
        sys.exit(__doc__)
    try:
        print(extract_frozen(sys.argv[2]))
    except (BenchError, OSError, urllib.error.URLError) as e:
        sys.exit("bench/pure.py: %s" % e)
