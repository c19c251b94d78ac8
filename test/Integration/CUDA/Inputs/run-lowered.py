#!/usr/bin/env python3
"""Runs a function lowered with scan-lower-to-cuda, without scan-run.

Usage: run-lowered.py RUNTIME.so LOWERED.so ENTRY IN_SHAPES OUT_SHAPES
                      [--reference NAME] [--no-device] [--scale S]
                      [--warmup N --repeat N [--gflop G]]
Shapes are f32 tensors written like 5x8x16,8x16 (`scalar` for rank 0).
OUT_SHAPES `f32` means the function returns one f32 on the host instead of
writing out-params. Inputs are deterministic (a sin-based pattern times S,
default 0.5); they are copied to device buffers (the CUDA target's
convention), `_mlir_ciface_ENTRY` is called with memref descriptors (inputs,
then out-params), and the outputs are copied back and printed (sum and first
values). With --reference, the outputs are compared against a pure-Python
model and "max error" is printed. With --repeat, the call is timed with CUDA
events (after --warmup untimed calls): min and median milliseconds per call,
and GFLOP/s when --gflop gives the work of one call.

With --no-device the runtime is expected to report "no CUDA device"; the
lowered host code is still called with null buffers and must return, with
that one error recorded. Exit status: 0 ok, 1 mismatch or error, 2 no device
(without --no-device).
"""
import ctypes
import math
import sys


def parse_shapes(text):
    shapes = []
    for item in text.split(","):
        item = item.strip()
        if item in ("", "scalar"):
            shapes.append([])
        else:
            shapes.append([int(d) for d in item.split("x")])
    return shapes


def numel(shape):
    n = 1
    for d in shape:
        n *= d
    return n


def descriptor_type(rank):
    fields = [("allocated", ctypes.c_void_p), ("aligned", ctypes.c_void_p),
              ("offset", ctypes.c_int64)]
    if rank:
        fields += [("sizes", ctypes.c_int64 * rank),
                   ("strides", ctypes.c_int64 * rank)]
    return type("MemRef%d" % rank, (ctypes.Structure,), {"_fields_": fields})


def make_descriptor(ptr, shape):
    desc = descriptor_type(len(shape))()
    desc.allocated = desc.aligned = ptr
    desc.offset = 0
    stride = 1
    for i in reversed(range(len(shape))):
        desc.sizes[i] = shape[i]
        desc.strides[i] = stride
        stride *= shape[i]
    return desc


def input_values(index, shape, scale):
    n = numel(shape)
    # A short sin pattern repeated: cheap for large inputs, deterministic.
    period = 4099
    pattern = [scale * math.sin(0.37 * i + 1.3 * index + 0.1)
               for i in range(min(n, period))]
    return (pattern * (n // len(pattern) + 1))[:n] if n else []


def reference_cell(inputs, shapes):
    """h_t = sigmoid(x_t + h W^T... ) model of test cell: see rnn-cell.mlir."""
    x, h0, w = inputs
    steps, batch, hidden = shapes[0]
    h = [h0[b * hidden:(b + 1) * hidden] for b in range(batch)]
    for t in range(steps):
        new = []
        for b in range(batch):
            row = []
            for j in range(hidden):
                acc = 0.0
                for k in range(hidden):
                    # W is used transposed: (h W^T)[b, j] = sum_k h[b,k] W[j,k]
                    acc += h[b][k] * w[j * hidden + k]
                a = x[(t * batch + b) * hidden + j] + acc
                row.append(1.0 / (1.0 + math.exp(-a)))
            new.append(row)
        h = new
    hs = [v for row in h for v in row]
    return [hs, [sum(hs)]]


REFERENCES = {"cell": reference_cell}


def take_option(args, name, default):
    if name not in args:
        return default
    i = args.index(name)
    value = args[i + 1]
    del args[i:i + 2]
    return value


def main():
    args = sys.argv[1:]
    no_device = "--no-device" in args
    if no_device:
        args.remove("--no-device")
    reference = take_option(args, "--reference", None)
    scale = float(take_option(args, "--scale", "0.5"))
    warmup = int(take_option(args, "--warmup", "1"))
    repeat = int(take_option(args, "--repeat", "0"))
    gflop = float(take_option(args, "--gflop", "0"))
    runtime_path, lowered_path, entry, in_text, out_text = args[:5]
    returns_f32 = out_text == "f32"
    in_shapes = parse_shapes(in_text)
    out_shapes = [] if returns_f32 else parse_shapes(out_text)

    rt = ctypes.CDLL(runtime_path, mode=ctypes.RTLD_GLOBAL)
    rt.scancuda_alloc.restype = ctypes.c_void_p
    rt.scancuda_last_error.restype = ctypes.c_char_p
    err = ctypes.create_string_buffer(512)
    if rt.scancuda_init(err, len(err)) != 0:
        print("runtime: %s" % err.value.decode())
        if not no_device:
            return 2
    elif no_device:
        print("runtime: a CUDA device was found, --no-device expects none")
        return 1

    lowered = ctypes.CDLL(lowered_path)
    fn = getattr(lowered, "_mlir_ciface_" + entry)
    if returns_f32:
        fn.restype = ctypes.c_float

    inputs, descs, device = [], [], []
    for i, shape in enumerate(in_shapes):
        values = input_values(i, shape, scale)
        inputs.append(values)
        host = (ctypes.c_float * len(values))(*values)
        ptr = rt.scancuda_alloc(ctypes.c_int64(4 * len(values)))
        rt.scancuda_copy_to_device(ctypes.c_void_p(ptr), host,
                                   ctypes.c_int64(4 * len(values)))
        device.append(ptr)
        descs.append(make_descriptor(ptr, shape))
    out_ptrs = []
    for shape in out_shapes:
        ptr = rt.scancuda_alloc(ctypes.c_int64(4 * numel(shape)))
        out_ptrs.append(ptr)
        descs.append(make_descriptor(ptr, shape))
    call_args = [ctypes.byref(d) for d in descs]
    result = fn(*call_args)
    rt.scancuda_synchronize()
    times = []
    if repeat > 0 and not no_device:
        rt.scancuda_event_create.restype = ctypes.c_void_p
        rt.scancuda_event_elapsed_ms.restype = ctypes.c_float
        start = ctypes.c_void_p(rt.scancuda_event_create())
        end = ctypes.c_void_p(rt.scancuda_event_create())
        for _ in range(max(warmup - 1, 0)):
            fn(*call_args)
        for _ in range(repeat):
            rt.scancuda_event_record(start)
            fn(*call_args)
            rt.scancuda_event_record(end)
            times.append(rt.scancuda_event_elapsed_ms(start, end))
        rt.scancuda_event_destroy(start)
        rt.scancuda_event_destroy(end)

    outputs = []
    for ptr, shape in zip(out_ptrs, out_shapes):
        host = (ctypes.c_float * numel(shape))()
        rt.scancuda_copy_to_host(host, ctypes.c_void_p(ptr),
                                 ctypes.c_int64(4 * numel(shape)))
        outputs.append(list(host))
    error = rt.scancuda_last_error()
    print("error: %s" % (error.decode() if error else "none"))
    if no_device:
        return 0 if error and b"no CUDA device" in error else 1
    if error:
        return 1
    if returns_f32:
        outputs.append([result])
    for i, out in enumerate(outputs):
        print("output %d: sum %.6g first %s" %
              (i, sum(out), " ".join("%.6g" % v for v in out[:4])))
    if times:
        times.sort()
        best, median = times[0], times[len(times) // 2]
        line = "time per call (CUDA events, %d runs): min %.3f ms, median %.3f ms" % (
            len(times), best, median)
        if gflop > 0:
            line += ", %.1f GFLOP/s at the median" % (gflop / (median * 1e-3))
        print(line)
    if reference:
        expected = REFERENCES[reference](inputs, in_shapes)
        worst = 0.0
        for out, ref in zip(outputs, expected):
            for got, want in zip(out, ref):
                worst = max(worst, abs(got - want) / max(1.0, abs(want)))
        print("max error: %.3g" % worst)
        return 0 if worst < 1e-4 else 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
