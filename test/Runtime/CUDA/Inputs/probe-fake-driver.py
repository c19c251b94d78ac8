#!/usr/bin/env python3
"""Drives the CUDA runtime, loaded with ctypes, against the fake driver
(test/Runtime/CUDA/FakeDriver), one scenario per call.

Usage: probe-fake-driver.py RUNTIME SCENARIO
  init      initialise and print what the runtime found
  capture   capture host-to-device copies, a GEMM, a wait and a free into a
            graph, change the host data, replay: the replay must copy what
            the host held at capture time and redo the GEMM
  dtoh      a copy to the host inside a capture: the capture is refused and
            the rest of the call is skipped, then direct calls work
  gemmlog   log the GEMMs of a call and replay them alone
"""
import ctypes
import sys

P = ctypes.c_void_p


def load(path):
    lib = ctypes.CDLL(path)
    lib.scancuda_last_error.restype = ctypes.c_char_p
    lib.scancuda_device_name.restype = ctypes.c_char_p
    lib.scancuda_blas_library.restype = ctypes.c_char_p
    lib.mgpuMemAlloc.restype = P
    lib.mgpuMemAlloc.argtypes = [ctypes.c_uint64, P, ctypes.c_bool]
    lib.mgpuMemFree.argtypes = [P, P]
    lib.mgpuMemcpy.argtypes = [P, P, ctypes.c_size_t, P]
    lib.mgpuStreamCreate.restype = P
    lib.mgpuStreamSynchronize.argtypes = [P]
    lib.scancuda_capture_end.restype = P
    lib.scancuda_graph_launch.argtypes = [P]
    lib.scancuda_graph_destroy.argtypes = [P]
    lib.scancuda_gemm_log_replay_ms.restype = ctypes.c_float
    lib.scancuda_sgemm.argtypes = [
        ctypes.c_int32, ctypes.c_int32, ctypes.c_int64, ctypes.c_int64,
        ctypes.c_int64, ctypes.c_float, P, ctypes.c_int64, P, ctypes.c_int64,
        ctypes.c_float, P, ctypes.c_int64]
    return lib


def error(lib):
    e = lib.scancuda_last_error()
    return e.decode() if e else "none"


def flush():
    sys.stdout.flush()
    sys.stderr.flush()


def main():
    lib = load(sys.argv[1])
    scenario = sys.argv[2]
    err = ctypes.create_string_buffer(512)
    status = lib.scancuda_init(err, len(err))
    print("init: %d %s" % (status, err.value.decode()))
    if status != 0:
        print("driver version: %d" % lib.scancuda_driver_version())
        return 0
    print("device: %s, driver %d, memory pools %d, cuBLAS %s" % (
        lib.scancuda_device_name().decode(), lib.scancuda_driver_version(),
        lib.scancuda_memory_pools(), lib.scancuda_blas_library().decode()))
    flush()
    stream = lib.mgpuStreamCreate()
    n = 4
    Floats = ctypes.c_float * (n * n)

    def call(host_a, host_b, out):
        """A 'lowered call': copies A and B in, C = A B, copies C to `out`
        (device), frees its temporaries, waits."""
        a = lib.mgpuMemAlloc(4 * n * n, stream, False)
        b = lib.mgpuMemAlloc(4 * n * n, stream, False)
        c = lib.mgpuMemAlloc(4 * n * n, stream, False)
        lib.mgpuMemcpy(a, ctypes.cast(host_a, P), 4 * n * n, stream)
        lib.mgpuMemcpy(b, ctypes.cast(host_b, P), 4 * n * n, stream)
        lib.scancuda_sgemm(0, 0, n, n, n, 1.0, a, n, b, n, 0.0, c, n)
        lib.mgpuMemcpy(out, c, 4 * n * n, stream)
        for p in (a, b, c):
            lib.mgpuMemFree(p, stream)
        lib.mgpuStreamSynchronize(stream)

    if scenario == "init":
        return 0
    out = lib.mgpuMemAlloc(4 * n * n, stream, False)
    result = Floats()
    host_a = Floats(*[1.0 if i % (n + 1) == 0 else 0.0 for i in range(n * n)])
    host_b = Floats(*[float(i) for i in range(n * n)])

    def read_out():
        lib.scancuda_copy_to_host(result, P(out), 4 * n * n)
        return [int(v) for v in result]

    if scenario == "capture":
        began = lib.scancuda_capture_begin(err, len(err))
        print("capture begin: %d %s" % (began, err.value.decode() if began else ""))
        flush()
        call(host_a, host_b, out)
        graph = lib.scancuda_capture_end(err, len(err))
        print("graph: %s %s" % ("yes" if graph else "no", err.value.decode()))
        print("after capture: %s" % read_out()[:4])
        flush()
        # The host buffers change (or die) after the call: a replay copies
        # the snapshot taken at capture.
        for i in range(n * n):
            host_b[i] = -1.0
        lib.scancuda_graph_launch(graph)
        lib.scancuda_synchronize()
        print("after replay: %s" % read_out()[:4])
        lib.scancuda_graph_destroy(graph)
        print("error: %s" % error(lib))
        return 0
    if scenario == "dtoh":
        print("capture begin: %d" % lib.scancuda_capture_begin(err, len(err)))
        flush()
        host_out = Floats(*([7.0] * (n * n)))
        a = lib.mgpuMemAlloc(4 * n * n, stream, False)
        lib.mgpuMemcpy(a, ctypes.cast(host_b, P), 4 * n * n, stream)
        lib.mgpuMemcpy(ctypes.cast(host_out, P), a, 4 * n * n, stream)
        print("host read in the capture: %s" % [int(v) for v in host_out][:4])
        lib.mgpuMemcpy(ctypes.cast(host_out, P), a, 4 * n * n, stream)
        lib.scancuda_sgemm(0, 0, n, n, n, 1.0, a, n, a, n, 0.0, a, n)
        lib.mgpuMemFree(a, stream)
        lib.mgpuStreamSynchronize(stream)
        flush()
        graph = lib.scancuda_capture_end(err, len(err))
        print("graph: %s (%s)" % ("yes" if graph else "no", err.value.decode()))
        print("error: %s" % error(lib))
        flush()
        call(host_a, host_b, out)
        print("direct: %s" % read_out()[:4])
        print("error: %s" % error(lib))
        return 0
    if scenario == "launch":
        fn = P(1)
        lib.mgpuLaunchKernel.argtypes = [P] + [ctypes.c_int64] * 6 + [
            ctypes.c_int32, P, P, P, ctypes.c_size_t]
        for grid in ((4, 80, 1), (0, 80, 1), (4, 70000, 1)):
            lib.mgpuLaunchKernel(fn, *grid, 256, 1, 1, 0, stream, None, None, 0)
            flush()
            print("grid %s: %s" % ("x".join(map(str, grid)), error(lib)))
            lib.scancuda_clear_error()
        return 0
    if scenario == "gemmlog":
        lib.scancuda_gemm_log_begin()
        call(host_a, host_b, out)
        call(host_a, host_b, out)
        print("logged: %d" % lib.scancuda_gemm_log_end())
        flush()
        ms = lib.scancuda_gemm_log_replay_ms(2)
        print("replay ms: %g" % ms)
        print("error: %s" % error(lib))
        return 0
    print("unknown scenario %s" % scenario)
    return 1


if __name__ == "__main__":
    sys.exit(main())
