#!/usr/bin/env python3
"""Loads the CUDA runtime library with ctypes and exercises it.

Usage: probe-runtime.py LIB
Prints what scancuda_init reports, then calls the entry points that lowered
code calls (module load, stream, allocation, copy, launch, GEMM) and prints
the first recorded error. On a machine without a GPU every call must return
cleanly: no crash, no abort, one clear message.
"""
import ctypes
import sys


def main():
    lib = ctypes.CDLL(sys.argv[1])
    lib.scancuda_last_error.restype = ctypes.c_char_p
    lib.scancuda_device_name.restype = ctypes.c_char_p
    for name in ("mgpuStreamCreate", "mgpuMemAlloc", "mgpuModuleLoadJIT",
                 "mgpuModuleGetFunction", "scancuda_alloc",
                 "scancuda_event_create"):
        getattr(lib, name).restype = ctypes.c_void_p
    lib.scancuda_event_elapsed_ms.restype = ctypes.c_float

    err = ctypes.create_string_buffer(512)
    status = lib.scancuda_init(err, len(err))
    print("init: %d %s" % (status, err.value.decode()))
    print("devices: %d" % lib.scancuda_device_count())

    stream = lib.mgpuStreamCreate()
    buf = lib.mgpuMemAlloc(ctypes.c_uint64(1024), ctypes.c_void_p(stream),
                           ctypes.c_bool(False))
    host = (ctypes.c_float * 256)()
    lib.mgpuMemcpy(ctypes.c_void_p(buf), host, ctypes.c_size_t(1024),
                   ctypes.c_void_p(stream))
    module = lib.mgpuModuleLoadJIT(ctypes.c_char_p(b".version 8.0\n"),
                                   ctypes.c_int(2))
    fn = lib.mgpuModuleGetFunction(ctypes.c_void_p(module), b"kernel")
    lib.mgpuLaunchKernel(ctypes.c_void_p(fn), *([ctypes.c_int64(1)] * 6),
                         ctypes.c_int32(0), ctypes.c_void_p(stream), None,
                         None, ctypes.c_size_t(0))
    lib.scancuda_sgemm(0, 0, ctypes.c_int64(1), ctypes.c_int64(1),
                       ctypes.c_int64(1), ctypes.c_float(1), None,
                       ctypes.c_int64(1), None, ctypes.c_int64(1),
                       ctypes.c_float(1), None, ctypes.c_int64(1))
    lib.mgpuStreamSynchronize(ctypes.c_void_p(stream))
    lib.mgpuMemFree(ctypes.c_void_p(buf), ctypes.c_void_p(stream))
    lib.mgpuModuleUnload(ctypes.c_void_p(module))
    lib.mgpuStreamDestroy(ctypes.c_void_p(stream))
    print("alloc: %s" % ("null" if not buf else "non-null"))
    print("copy to host: %d" % lib.scancuda_copy_to_host(host, None, 0))
    print("synchronize: %d" % lib.scancuda_synchronize())
    start = lib.scancuda_event_create()
    print("elapsed: %g" % lib.scancuda_event_elapsed_ms(
        ctypes.c_void_p(start), ctypes.c_void_p(start)))
    error = lib.scancuda_last_error()
    print("last error: %s" % (error.decode() if error else "none"))
    lib.scancuda_clear_error()
    print("after clear: %s" % lib.scancuda_last_error())
    return 0


if __name__ == "__main__":
    sys.exit(main())
