#!/usr/bin/env python3
"""Record the expected stdout/stderr/status of the kvrm conformance suites under qemu-aarch64.

    python3 tests/guest/record.py guest|busybox [--check] [--filter SUBSTR]

guest:   every case of tests/guest/cases.txt, for every built variant tests/guest/build/PROG-VARIANT
busybox: every case of tests/busybox/cases.txt, with tests/busybox/build/busybox

Each case runs twice; differing runs (nondeterministic output) are an error. --check compares
with the committed files instead of writing them. This is deliberately an independent
implementation of the harness in crates/kvrm-cli/tests/ (guest_harness.rs): the Rust harness run
with KVRM_TEST_RUNNER=qemu-aarch64 must agree with what this script wrote.
"""
import os
import shutil
import signal
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
VARIANTS = ["O0", "O2", "O3", "musl-O2", "dyn-O2"]
# Dynamically linked variants ("dyn-*") run with -L DYN_SYSROOT (the harness does the same).
DYN_SYSROOT = os.environ.get("KVRM_DYN_SYSROOT", "/usr/aarch64-linux-gnu")
BASE_ENV = {"PATH": "/usr/bin:/bin", "HOME": "/home/kvrm"}
QEMU = os.environ.get("QEMU", "qemu-aarch64")


def parse_cases(path):
    cases, cur = [], None
    with open(path, encoding="utf-8") as f:
        for lineno, raw in enumerate(f, 1):
            line = raw.rstrip("\n")
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            key, _, val = line.partition(" ")
            if key == "case":
                name, _, prog = val.partition(" ")
                cur = {"name": name, "prog": prog or name, "args": [], "stdin": None, "copy": [], "env": [],
                       "unset": [], "fsroot": False, "net": False}
                cases.append(cur)
            elif cur is None:
                sys.exit(f"{path}:{lineno}: '{key}' outside a case")
            elif key == "args":
                cur["args"] += val.split()
            elif key == "arg":
                cur["args"].append(val)
            elif key == "stdin":
                cur["stdin"] = val
            elif key == "copy":
                cur["copy"].append(val)
            elif key == "env":
                cur["env"].append(val)
            elif key == "unset":
                cur["unset"].append(val)
            elif key == "fsroot":
                cur["fsroot"] = True
            elif key == "net":
                cur["net"] = True  # kvrm only (--net): qemu-aarch64 always has the host's network
            else:
                sys.exit(f"{path}:{lineno}: unknown key '{key}'")
    return cases


def strip_qemu(stderr):
    lines = stderr.split(b"\n")
    return b"\n".join(l for l in lines if not l.startswith(b"qemu: uncaught target signal"))


def applet_wrappers(busybox, into):
    """Host scripts named after every busybox applet that run the applet under qemu.

    Without binfmt_misc, busybox sh under qemu cannot re-exec itself
    (/proc/self/exe is an AArch64 file to the host kernel), so it falls back to
    PATH and would run the host's own tools (GNU gzip, diff...). With these
    wrappers first on PATH, every command a busybox script runs is busybox's,
    as it is under kvrm, where /proc/self/exe works.
    """
    names = subprocess.run([QEMU, busybox, "--list"], capture_output=True, text=True, check=True)
    for applet in names.stdout.split():
        path = os.path.join(into, applet)
        with open(path, "w") as f:
            f.write(f'#!/bin/sh\nexec {shutil.which(QEMU) or QEMU} {os.path.abspath(busybox)} {applet} "$@"\n')
        os.chmod(path, 0o755)
    return into


def run_once(binary, case, inputs, perturb, path_prefix=None, lib_prefix=None):
    """perturb: give the input files other timestamps, so that output depending on them shows."""
    with tempfile.TemporaryDirectory(prefix="kvrm-rec-") as scratch:
        stamp = (1000000000, 1000000000) if perturb else None
        for c in case["copy"]:
            dst = os.path.join(scratch, os.path.basename(c))
            shutil.copy(os.path.join(inputs, c), dst)
            os.utime(dst, stamp)
        cmd = [QEMU]
        if lib_prefix:
            cmd += ["-L", lib_prefix]
        for e in case["env"]:
            cmd += ["-E", e]
        for u in case["unset"]:
            cmd += ["-U", u]
        cmd += [binary] + case["args"]
        stdin = subprocess.DEVNULL
        if case["stdin"]:
            tmp_in = os.path.join(scratch, "..", os.path.basename(scratch) + ".stdin")
            shutil.copy(os.path.join(inputs, case["stdin"]), tmp_in)
            os.utime(tmp_in, stamp)
            stdin = open(tmp_in, "rb")
        try:
            env = dict(BASE_ENV)
            if path_prefix:
                env["PATH"] = path_prefix + ":" + env["PATH"]
            p = subprocess.run(cmd, cwd=scratch, env=env, stdin=stdin, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, timeout=60)
        finally:
            if case["stdin"]:
                stdin.close()
                os.remove(tmp_in)
        status = p.returncode if p.returncode >= 0 else 128 + (-p.returncode)
        return p.stdout, strip_qemu(p.stderr), f"{status}\n".encode()


def main():
    suite = sys.argv[1] if len(sys.argv) > 1 else ""
    check = "--check" in sys.argv
    filt = sys.argv[sys.argv.index("--filter") + 1] if "--filter" in sys.argv else None
    if suite not in ("guest", "busybox"):
        sys.exit(__doc__)
    sdir = os.path.join(ROOT, "tests", suite)
    cases = parse_cases(os.path.join(sdir, "cases.txt"))
    exp_dir = os.path.join(sdir, "expected")
    inputs = os.path.join(sdir, "inputs")
    items = []
    for c in cases:
        if suite == "guest":
            for v in VARIANTS:
                b = os.path.join(sdir, "build", f"{c['prog']}-{v}")
                if os.path.exists(b):
                    items.append((f"{c['name']}-{v}", b, c, DYN_SYSROOT if v.startswith("dyn-") else None))
        else:
            items.append((c["name"], os.path.join(sdir, "build", "busybox"), c, None))
    if not items or not all(os.path.exists(b) for _, b, _, _ in items):
        sys.exit(f"no binaries under {sdir}/build: build them first")
    if not check and not filt:
        os.makedirs(exp_dir, exist_ok=True)
        for f in os.listdir(exp_dir):
            os.remove(os.path.join(exp_dir, f))
    bad = 0
    wrappers = None
    if suite == "busybox":
        wrappers = applet_wrappers(items[0][1], tempfile.mkdtemp(prefix="kvrm-applets-"))
    for name, binary, case, lib_prefix in items:
        if filt and filt not in name:
            continue
        first = run_once(binary, case, inputs, False, wrappers, lib_prefix)
        second = run_once(binary, case, inputs, True, wrappers, lib_prefix)
        if first != second:
            print(f"NONDETERMINISTIC: {name}")
            bad += 1
            continue
        for ext, data in zip(("stdout", "stderr", "status"), first):
            path = os.path.join(exp_dir, f"{name}.{ext}")
            if check:
                old = open(path, "rb").read() if os.path.exists(path) else None
                if old != data:
                    print(f"DIFFERS: {name}.{ext}")
                    bad += 1
            else:
                with open(path, "wb") as f:
                    f.write(data)
        print(f"{name}: status {first[2].decode().strip()}, {len(first[0])} bytes stdout, {len(first[1])} bytes stderr")
    if wrappers:
        shutil.rmtree(wrappers)
    if bad:
        sys.exit(f"{bad} problem(s)")


if __name__ == "__main__":
    main()
