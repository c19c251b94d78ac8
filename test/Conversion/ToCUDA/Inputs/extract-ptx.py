#!/usr/bin/env python3
"""Extracts the PTX embedded in the gpu.binary ops of an MLIR file.

Usage: extract-ptx.py IN.mlir OUT_PREFIX [PTXAS ARCH]
Each `assembly = "..."` string (gpu-module-to-binary format=isa) is decoded
from MLIR's string escapes and written to OUT_PREFIX<i>.ptx. With PTXAS and
ARCH, every file is also assembled with `PTXAS -arch=ARCH`. Prints one line
per step; exits non-zero when there is no PTX or ptxas rejects a file.
"""
import re
import subprocess
import sys

ESCAPE = re.compile(r'\\([0-9A-Fa-f]{2}|\\|")')


def decode(text):
    return ESCAPE.sub(
        lambda m: m.group(1) if m.group(1) in ('\\', '"') else chr(
            int(m.group(1), 16)), text)


def main():
    source = open(sys.argv[1]).read()
    blobs = re.findall(r'assembly = "((?:[^"\\]|\\.)*)"', source)
    print("extracted %d PTX modules" % len(blobs))
    if not blobs:
        return 1
    paths = []
    for i, blob in enumerate(blobs):
        path = "%s%d.ptx" % (sys.argv[2], i)
        with open(path, "w") as out:
            out.write(decode(blob))
        paths.append(path)
    if len(sys.argv) > 4:
        ptxas, arch = sys.argv[3], sys.argv[4]
        for path in paths:
            result = subprocess.run(
                [ptxas, "-arch=" + arch, path, "-o", path + ".cubin"],
                capture_output=True, text=True)
            if result.returncode != 0:
                print("ptxas rejected %s:\n%s" % (path, result.stderr))
                return 1
        print("ptxas -arch=%s accepted %d PTX modules" % (arch, len(paths)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
