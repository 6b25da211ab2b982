"""A Linux program from Python: kvrm.run (like subprocess.run) and
kvrm.run_lanes (many independent copies, one result each)."""
from pathlib import Path

import kvrm

HELLO = Path(__file__).resolve().parents[1] / "hello" / "hello-glibc"

r = kvrm.run(HELLO, ["Python"])
print(f"exit {r.exit_code}: {r.stdout.decode().strip()} ({r.instructions:,} instructions)")

lanes = kvrm.run_lanes(HELLO, 4, args=lambda i: [f"lane {i}"])
for i, lane in enumerate(lanes):
    print(f"lane {i}: exit {lane.exit_code}: {lane.stdout.decode().strip()}")
