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
}}

// A first-match scan over the priority-ordered table, as a device decoder does it.
extern "C" __global__ void decode(const kvrm_u32 *words, kvrm_u32 *ops, int n) {{
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= n) return;
    kvrm_u32 op = 0xffffffffu;
    for (int k = 0; k < KVRM_OP_COUNT; k++) {{
        if ((words[i] & KVRM_DECODE[k].mask) == KVRM_DECODE[k].value) {{
            op = KVRM_DECODE[k].op;
            break;
        }}
    }}
    ops[i] = op;
}}
'''
mod = cp.RawModule(code=src, options=("-std=c++17",))
state = cp.zeros(832 // 8, dtype=cp.uint64)
out = cp.zeros(len(fields) + 1, dtype=cp.uint64)
mod.get_function("layout")((1,), (1,), (state, out))
cp.cuda.runtime.deviceSynchronize()
got = [int(v) for v in out.get()]
want = [int(re.search(rf"#define KVRM_OFFSET_{f.upper()} (\d+)", header).group(1)) for f in fields]
print("device:", cp.cuda.runtime.getDeviceProperties(0)["name"].decode())
print("offsets on the device:", dict(zip(fields, got)), "size", got[len(fields)])
assert got[: len(fields)] == want, (got, want)
assert got[len(fields)] == 832
ops = int(re.search(r"#define KVRM_OP_COUNT (\d+)", header).group(1))

# The device's first-match scan must pick what the same scan over the header text picks,
# for each entry's own pattern (don't-care bits 0): the constant table arrived intact.
op_ids = {m[0]: int(m[1]) for m in re.findall(r"#define KVRM_OP_(\w+) (\d+)", header)}
entries = [
    (int(m[0], 16), int(m[1], 16), op_ids[m[2]])
    for m in re.findall(r"\{(0x[0-9a-f]+)u, (0x[0-9a-f]+)u, KVRM_OP_(\w+)\}", header)
]
assert len(entries) == ops, (len(entries), ops)
words = [value for _, value, _ in entries]
want_ops = [next(op for m, v, op in entries if w & m == v) for w in words]
d_words = cp.asarray(words, dtype=cp.uint32)
d_ops = cp.zeros(len(words), dtype=cp.uint32)
mod.get_function("decode")(((len(words) + 127) // 128,), (128,), (d_words, d_ops, cp.int32(len(words))))
cp.cuda.runtime.deviceSynchronize()
got_ops = [int(v) for v in d_ops.get()]
assert got_ops == want_ops, [(hex(w), g, o) for w, g, o in zip(words, got_ops, want_ops) if g != o][:10]
print(f"OK: NVRTC compiled the header ({ops} decode-table entries); layout matches the Rust CpuState;")
print(f"    the device's first-match decode agrees on {len(words)} words")
