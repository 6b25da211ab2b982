"""SEED.md's async example (Phase 6), with kvrm: only the import line and the
class name differ. The guest runs on a Rust thread while Python polls."""
import time

# The guest: a counted loop that adds the counter to x0 and stores x0 each
# iteration, then stops at BRK (assembled with aarch64-linux-gnu-as):
#
#        mov  x0, #0              // sum
#        movz x1, #0x2d, lsl #16  // counter: 2,949,120 iterations
#        mov  x2, #0x10000        // buffer
#     1: add  x0, x0, x1
#        str  x0, [x2]
#        subs x1, x1, #1
#        b.ne 1b
#        brk  #0
import struct

program_bytes = struct.pack(
    "<8I",
    0xD2800000, 0xD2A005A1, 0xD2A00022, 0x8B010000,
    0xF9000040, 0xF1000421, 0x54FFFFA1, 0xD4200000,
)
EXPECTED_SUM = 2_949_120 * 2_949_121 // 2


def do_other_work():
    time.sleep(0.01)


from kvrm import AsyncCPU

cpu = AsyncCPU()
cpu.load_program(program_bytes, 0)
cpu.set_pc(0)

# Start async - returns immediately!
cpu.start(max_cycles=100_000_000)

# Python can do other work while GPU executes
while cpu.is_running():
    status = cpu.poll()
    print(f"Progress: {status.cycles_executed:,}")
    do_other_work()

# Get final result
result = cpu.wait()
print(f"Total: {result.cycles_executed:,} @ {result.ips:,.0f} IPS")
assert result.stop_reason == "halted" and cpu.get_register(0) == EXPECTED_SUM
