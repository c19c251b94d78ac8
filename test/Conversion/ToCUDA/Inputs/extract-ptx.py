#!/usr/bin/env python3
"""Writes the PTX embedded in the gpu.binary ops of an MLIR file.

Usage: extract-ptx.py IN.mlir OUT_PREFIX
Each `assembly = "..."` string (format=isa) is decoded from MLIR's string
escapes and written to OUT_PREFIX<i>.ptx; the number of files is printed.
Exits non-zero when there is none.
"""
import re
import sys

ESCAPE = re.compile(r'\\([0-9A-Fa-f]{2}|\\|")')


def decode(text):
    return ESCAPE.sub(
        lambda m: m.group(1) if m.group(1) in ('\\', '"') else chr(
            int(m.group(1), 16)), text)


def main():
    source = open(sys.argv[1]).read()
    blobs = re.findall(r'assembly = "((?:[^"\\]|\\.)*)"', source)
    for i, blob in enumerate(blobs):
        with open("%s%d.ptx" % (sys.argv[2], i), "w") as out:
            out.write(decode(blob))
    print("extracted %d PTX modules" % len(blobs))
    return 0 if blobs else 1


if __name__ == "__main__":
    sys.exit(main())
