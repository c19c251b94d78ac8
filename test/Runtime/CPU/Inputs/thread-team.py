#!/usr/bin/env python3
"""Loads libScanRuntime.so with ctypes and checks its thread team.

Usage: thread-team.py LIB
Prints the OpenMP runtimes mapped into the process (libomp only, never
libgomp), the team size scanrt_get_num_threads reports, and whether the
team's workers stop spinning soon after a product: the process may use
at most 20 ms of CPU time during a 100 ms sleep that follows a packed
80 x 1000 x 1000 product (which forks the team where the CPU has AVX-512F;
elsewhere no team is forked and the check holds trivially). With libomp's
default KMP_BLOCKTIME (200 ms) a worker would spin through the whole sleep.
"""
import ctypes
import os
import re
import sys
import time


def openmp_runtimes():
    names = set()
    with open("/proc/self/maps") as maps:
        for line in maps:
            m = re.search(r"/(lib(?:g|i|)omp[0-9]*)\.so", line)
            if m:
                names.add(m.group(1))
    return sorted(names)


def main():
    lib = ctypes.CDLL(sys.argv[1], mode=ctypes.RTLD_GLOBAL)
    lib.scanrt_sgemm_pack_b.restype = ctypes.c_void_p
    lib.scanrt_sgemm_pack_b.argtypes = [
        ctypes.c_int32, ctypes.c_int64, ctypes.c_int64, ctypes.c_void_p,
        ctypes.c_int64, ctypes.c_int64]
    lib.scanrt_sgemm_packed.argtypes = [
        ctypes.c_int32, ctypes.c_int64, ctypes.c_int64, ctypes.c_int64,
        ctypes.c_float, ctypes.c_void_p, ctypes.c_int64, ctypes.c_int64,
        ctypes.c_void_p, ctypes.c_float, ctypes.c_void_p, ctypes.c_int64,
        ctypes.c_int64]
    lib.scanrt_gemm_pack_free.argtypes = [ctypes.c_void_p]

    print("openmp runtimes: %s" % " ".join(openmp_runtimes()))
    print("threads: %d" % lib.scanrt_get_num_threads())

    m, n, k = 80, 1000, 1000
    a = (ctypes.c_float * (m * k))(*([1.0] * (m * k)))
    b = (ctypes.c_float * (k * n))(*([0.5] * (k * n)))
    c = (ctypes.c_float * (m * n))()
    packed = lib.scanrt_sgemm_pack_b(0, n, k, b, 0, n)
    for _ in range(20):
        lib.scanrt_sgemm_packed(0, m, n, k, 1.0, a, 0, k, packed, 0.0, c, 0,
                                n)
    lib.scanrt_gemm_pack_free(packed)
    print("c[0] = %g, c[last] = %g" % (c[0], c[m * n - 1]))

    start = time.process_time()
    time.sleep(0.1)
    busy_ms = (time.process_time() - start) * 1e3
    print("idle workers: %s" % ("yes" if busy_ms < 20 else
                                "no (%.1f ms of CPU in a 100 ms sleep)" %
                                busy_ms))


if __name__ == "__main__":
    main()
