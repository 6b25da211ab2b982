"""An async run with a tqdm progress bar: the guest runs on a Rust thread,
and poll() (which never blocks) feeds the bar."""
import struct
import time

from tqdm import tqdm

import kvrm

# A longer counted loop (assembled with aarch64-linux-gnu-as):
#
#        mov  x0, #0              // sum
#        movz x1, #0x100, lsl #16 // counter: 16,777,216 iterations
#        mov  x2, #0x10000        // buffer
#     1: add  x0, x0, x1
#        str  x0, [x2]
#        subs x1, x1, #1
#        b.ne 1b
#        brk  #0
program_bytes = struct.pack(
    "<8I",
    0xD2800000, 0xD2A02001, 0xD2A00022, 0x8B010000,
    0xF9000040, 0xF1000421, 0x54FFFFA1, 0xD4200000,
)
ITERATIONS = 0x100 << 16
TOTAL = 3 + 4 * ITERATIONS  # instructions retired before BRK

cpu = kvrm.AsyncCPU(cycles_per_batch=500_000)
cpu.load_program(program_bytes, 0)
cpu.set_pc(0)
cpu.start(max_cycles=TOTAL + 1_000)

with tqdm(total=TOTAL, unit="insn", unit_scale=True, desc=f"kvrm ({cpu.backend})") as bar:
    while cpu.is_running():
        bar.update(cpu.poll().cycles_executed - bar.n)
        time.sleep(0.02)
    result = cpu.wait()
    bar.update(result.cycles_executed - bar.n)

print(f"{result.stop_reason}: {result.cycles_executed:,} instructions @ {result.ips:,.0f} IPS")
assert result.stop_reason == "halted" and result.cycles_executed == TOTAL
assert cpu.get_register(0) == ITERATIONS * (ITERATIONS + 1) // 2
