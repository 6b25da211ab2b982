#!/usr/bin/env python3
"""On the GPU machine: compile the generated CUDA header (kvrm_isa::cuda_header) with
NVRTC through CuPy and check, on the device, that the CpuState layout and the decode
table agree with the Rust definitions.

Usage: python3 scripts/gpu-check-header.py HEADER
(HEADER from `cargo run -p kvrm-isa --example cuda_header > HEADER`).
"""
import re
import sys

import cupy as cp

header = open(sys.argv[1]).read()
fields = ["x", "sp", "pc", "nzcv", "fpcr", "fpsr", "tpidr_el0", "excl_addr", "excl_size", "v"]
body = "\n".join(
    f"    out[{i}] = (unsigned long long)((char *)&s->{f} - (char *)s);" for i, f in enumerate(fields)
)
src = header + f'''
extern "C" __global__ void layout(const KvrmCpuState *s, unsigned long long *out) {{
{body}
    out[{len(fields)}] = sizeof(KvrmCpuState);
    out[{len(fields) + 1}] = KVRM_DECODE_MASK[KVRM_OP_ADD_imm];
    out[{len(fields) + 2}] = KVRM_DECODE_VALUE[KVRM_OP_ADD_imm];
}}
'''
mod = cp.RawModule(code=src, options=("-std=c++17",))
state = cp.zeros(832 // 8, dtype=cp.uint64)
out = cp.zeros(len(fields) + 3, dtype=cp.uint64)
mod.get_function("layout")((1,), (1,), (state, out))
cp.cuda.runtime.deviceSynchronize()
got = [int(v) for v in out.get()]
want = [int(re.search(rf"#define KVRM_OFFSET_{f.upper()} (\d+)", header).group(1)) for f in fields]
print("device:", cp.cuda.runtime.getDeviceProperties(0)["name"].decode())
print("offsets on the device:", dict(zip(fields, got)), "size", got[len(fields)])
assert got[: len(fields)] == want, (got, want)
assert got[len(fields)] == 832
ops = int(re.search(r"#define KVRM_OP_COUNT (\d+)", header).group(1))
print(f"OK: NVRTC compiled the header ({ops} decode-table entries); layout matches the Rust CpuState")
