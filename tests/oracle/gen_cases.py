#!/usr/bin/env python3
"""Regenerate oracle fixtures: tests/oracle/cases/<spec>.jsonl.gz from tests/oracle/specs/<spec>.py.

Usage: gen_cases.py [-j JOBS] [SPEC ...]      (default: every spec module)
Needs: aarch64-linux-gnu-as (Debian binutils-aarch64-linux-gnu), pip package unicorn>=2.1.

Each spec module defines `cases()` returning a list of `oracle.case(...)` dicts.
Asm that needs a relocation (e.g. ADRP to a label) cannot be placed: write the
encoding with `.inst 0x...` instead.
"""

import gzip
import importlib.util
import json
import os
import struct
import subprocess
import sys
import tempfile

from unicorn import Uc, UcError, UC_ARCH_ARM64, UC_MODE_ARM, UC_HOOK_INTR
from unicorn import arm64_const as A

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import oracle  # noqa: E402

AS = os.environ.get("AARCH64_AS", "aarch64-linux-gnu-as")
MARCH = "-march=armv8.5-a+crc+lse+rcpc+fp16+rdma+dotprod+sha2+aes+sha3+sm4+flagm"
MAX_STEPS = 100000

INTNO_NAMES = {1: "undefined", 2: "syscall", 3: "fault", 4: "fault", 7: "halted"}


def load_spec(name):
    path = os.path.join(HERE, "specs", name + ".py")
    spec = importlib.util.spec_from_file_location("spec_" + name, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def elf_sections(blob):
    """{name: bytes} for every section of a little-endian ELF64 object."""
    shoff, = struct.unpack_from("<Q", blob, 0x28)
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", blob, 0x3A)

    def header(i):
        return struct.unpack_from("<IIQQQQIIQQ", blob, shoff + i * shentsize)

    str_off = header(shstrndx)[4]
    out = {}
    for i in range(shnum):
        nm, _typ, _fl, _ad, off, size = header(i)[:6]
        end = blob.index(b"\0", str_off + nm)
        out[blob[str_off + nm:end].decode()] = blob[off:off + size]
    return out


def assemble(cases):
    """Assemble every case in one `as` run; returns a list of byte strings."""
    lines = []
    for i, c in enumerate(cases):
        lines.append(f'.section .text.c{i},"ax"')
        lines.append(c["asm"].replace(";", "\n"))
    with tempfile.TemporaryDirectory() as d:
        src, obj = os.path.join(d, "c.s"), os.path.join(d, "c.o")
        with open(src, "w") as f:
            f.write("\n".join(lines) + "\n")
        r = subprocess.run([AS, MARCH, "-o", obj, src], capture_output=True, text=True)
        if r.returncode != 0:
            sys.exit(f"assembler failed:\n{r.stderr}")
        secs = elf_sections(open(obj, "rb").read())
    out = []
    for i, c in enumerate(cases):
        if f".rela.text.c{i}" in secs:
            sys.exit(f"case {c['name']}: needs a relocation; use .inst for this encoding")
        code = secs.get(f".text.c{i}", b"")
        if not code or len(code) % 4:
            sys.exit(f"case {c['name']}: assembled to {len(code)} bytes")
        out.append(code)
    return out


_BASE_IMAGE = None


def initial_memory(case, code):
    global _BASE_IMAGE
    if _BASE_IMAGE is None:
        _BASE_IMAGE = bytearray(oracle.MEM_SIZE)
        for a in range(oracle.DATA_ADDR, oracle.DATA_ADDR + oracle.DATA_SIZE):
            _BASE_IMAGE[a] = oracle.data_byte(a)
    mem = bytearray(_BASE_IMAGE)
    mem[oracle.CODE_ADDR:oracle.CODE_ADDR + len(code)] = code
    for addr, hexbytes in case["init"]["mem"]:
        b = bytes.fromhex(hexbytes)
        mem[addr:addr + len(b)] = b
    return mem


def run_unicorn(case, code):
    init = case["init"]
    uc = Uc(UC_ARCH_ARM64, UC_MODE_ARM)
    uc.ctl_set_cpu_model(A.UC_CPU_ARM64_MAX)
    uc.mem_map(0, oracle.MEM_SIZE)
    before = initial_memory(case, code)
    uc.mem_write(0, bytes(before))
    for i in range(29):
        uc.reg_write(A.UC_ARM64_REG_X0 + i, init["x"][i])
    uc.reg_write(A.UC_ARM64_REG_X29, init["x"][29])
    uc.reg_write(A.UC_ARM64_REG_X30, init["x"][30])
    uc.reg_write(A.UC_ARM64_REG_SP, init["sp"])
    uc.reg_write(A.UC_ARM64_REG_NZCV, init["nzcv"])
    uc.reg_write(A.UC_ARM64_REG_FPCR, init["fpcr"])
    uc.reg_write(A.UC_ARM64_REG_FPSR, init["fpsr"])
    uc.reg_write(A.UC_ARM64_REG_TPIDR_EL0, init["tpidr"])
    for i in range(32):
        q = oracle.default_v(i)
        if str(i) in init["v"]:
            lo, hi = init["v"][str(i)]
            q = lo | (hi << 64)
        uc.reg_write(A.UC_ARM64_REG_Q0 + i, q)

    stop = {"kind": "end"}

    def on_intr(uc, intno, _):
        stop["kind"] = INTNO_NAMES.get(intno, f"exception{intno}")
        uc.emu_stop()

    uc.hook_add(UC_HOOK_INTR, on_intr)
    end = oracle.CODE_ADDR + len(code)
    try:
        uc.emu_start(oracle.CODE_ADDR, end, count=MAX_STEPS)
    except UcError as e:
        stop["kind"] = "fault" if "UNMAPPED" in str(e) or "PROT" in str(e) else f"error:{e}"
    pc = uc.reg_read(A.UC_ARM64_REG_PC)
    if stop["kind"] == "end" and pc != end:
        stop["kind"] = "cycle_limit"
    after = uc.mem_read(0, oracle.MEM_SIZE)
    mem_diff = []
    for page in range(0, oracle.MEM_SIZE, 4096):
        if after[page:page + 4096] == before[page:page + 4096]:
            continue
        for a in range(page, page + 4096, 8):
            if after[a:a + 8] != before[a:a + 8]:
                mem_diff.append([a, int.from_bytes(after[a:a + 8], "little")])
    x = [uc.reg_read(A.UC_ARM64_REG_X0 + i) for i in range(29)]
    x += [uc.reg_read(A.UC_ARM64_REG_X29), uc.reg_read(A.UC_ARM64_REG_X30)]
    v = []
    for i in range(32):
        q = uc.reg_read(A.UC_ARM64_REG_Q0 + i)
        v.append([q & oracle.M64, q >> 64])
    init_v = [oracle.default_v(i) for i in range(32)]
    for n, (lo, hi) in init["v"].items():
        init_v[int(n)] = lo | (hi << 64)
    # Registers are recorded as changes from the initial state (sparse).
    return {
        "stop": stop["kind"],
        "pc": pc,
        "x": {str(i): val for i, val in enumerate(x) if val != init["x"][i]},
        "sp": uc.reg_read(A.UC_ARM64_REG_SP),
        "nzcv": uc.reg_read(A.UC_ARM64_REG_NZCV),
        "fpsr": uc.reg_read(A.UC_ARM64_REG_FPSR),
        "tpidr": uc.reg_read(A.UC_ARM64_REG_TPIDR_EL0),
        "v": {str(i): q for i, q in enumerate(v) if q != [init_v[i] & oracle.M64, init_v[i] >> 64]},
        "mem": mem_diff,
    }


def generate(spec_name):
    mod = load_spec(spec_name)
    cases = list(mod.cases())
    names = [c["name"] for c in cases]
    dup = {n for n in names if names.count(n) > 1}
    if dup:
        sys.exit(f"{spec_name}: duplicate case names {sorted(dup)[:5]}")
    codes = assemble(cases)
    out_path = os.path.join(HERE, "cases", spec_name + ".jsonl.gz")
    kinds = {}
    lines = []
    for c, code in zip(cases, codes):
        c["code"] = list(struct.unpack(f"<{len(code) // 4}I", code))
        c["expect"] = run_unicorn(c, code)
        kinds[c["expect"]["stop"]] = kinds.get(c["expect"]["stop"], 0) + 1
        lines.append(json.dumps(c, separators=(",", ":")) + "\n")
    # gzip with a fixed header (no name, mtime 0) so the bytes depend on the content only.
    with open(out_path, "wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as f:
        f.write("".join(lines).encode())
    print(f"{spec_name}: {len(cases)} cases -> {os.path.relpath(out_path)} {kinds}")


def main():
    args = sys.argv[1:]
    jobs = 1
    if args[:1] == ["-j"] and len(args) >= 2:
        jobs, args = int(args[1]), args[2:]
    specs = args or sorted(
        f[:-3] for f in os.listdir(os.path.join(HERE, "specs")) if f.endswith(".py") and not f.startswith("_")
    )
    if jobs > 1:
        from multiprocessing import Pool
        with Pool(jobs) as pool:
            pool.map(generate, specs, chunksize=1)
    else:
        for s in specs:
            generate(s)


if __name__ == "__main__":
    main()
