"""Prints a scan program whose scans are nested DEPTH deep.

Each scan runs two steps and carries one tensor<4xf64>, initialised from the
carry of the scan around it; the innermost body adds x. The result is
therefore h0 + 2**DEPTH * x. With --constants the function takes no
arguments and uses h0 = [1, 2, 3, 4], x = [0.5, 0.25, -1, 2]; with
--expect=FILE the exact result for those is also written to FILE (.npy, f64;
written by hand, as NumPy may be missing).

Usage: nested_scans.py DEPTH [--constants] [--expect=FILE]
"""

import struct
import sys

H0 = [1.0, 2.0, 3.0, 4.0]
X = [0.5, 0.25, -1.0, 2.0]


def write_npy(path, values):
    header = "{'descr': '<f8', 'fortran_order': False, 'shape': (%d,), }" % len(values)
    # Magic, version 1.0, header length; data starts at a multiple of 64.
    padding = 64 - (10 + len(header) + 1) % 64
    header += " " * padding + "\n"
    with open(path, "wb") as out:
        out.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)))
        out.write(header.encode("latin1"))
        out.write(struct.pack("<%dd" % len(values), *values))


def nested_scans(depth, constants):
    tensor = "tensor<4xf64>"
    lines = []
    if constants:
        lines.append(f"func.func @nest() -> {tensor} {{")
        lines.append(f"  %h0 = arith.constant dense<{H0}> : {tensor}")
        lines.append(f"  %x = arith.constant dense<{X}> : {tensor}")
    else:
        lines.append(f"func.func @nest(%h0: {tensor}, %x: {tensor}) -> {tensor} {{")
    carry = "%h0"
    for level in range(depth):
        indent = "  " * (level + 1)
        lines.append(f"{indent}%r{level} = scan.scan length(2) "
                     f"carries(%c{level} = {carry} : {tensor}) -> {tensor} {{")
        carry = f"%c{level}"
    indent = "  " * (depth + 1)
    lines.append(f"{indent}%n = arith.addf {carry}, %x : {tensor}")
    lines.append(f"{indent}scan.yield %n : {tensor}")
    for level in reversed(range(depth)):
        indent = "  " * (level + 1)
        lines.append(f"{indent}}}")
        if level > 0:
            lines.append(f"{indent[:-2]}  scan.yield %r{level} : {tensor}")
    lines.append(f"  return %r0 : {tensor}")
    lines.append("}")
    return "\n".join(lines)


if __name__ == "__main__":
    depth = int(sys.argv[1])
    print(nested_scans(depth, "--constants" in sys.argv[2:]))
    for arg in sys.argv[2:]:
        if arg.startswith("--expect="):
            write_npy(arg[len("--expect="):],
                      [h + 2**depth * x for h, x in zip(H0, X)])
