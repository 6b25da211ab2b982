"""SEED.md's continuous example (Phase 5), with kvrm: only the import line and
the class name differ."""
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

from kvrm import ContinuousCPU

cpu = ContinuousCPU(cycles_per_batch=10_000_000)
cpu.load_program(program_bytes, 0)
cpu.set_pc(0)

# Execute with Rust batch loop
result = cpu.execute_continuous(max_batches=10)
print(f"continuous: {result.cycles_executed:,} in {result.batches} batches ({result.stop_reason})")

# Or single mega-dispatch
cpu.set_pc(0)
result = cpu.execute_mega(total_cycles=100_000_000)
print(f"mega: {result.cycles_executed:,} @ {result.ips:,.0f} IPS ({result.stop_reason})")
assert cpu.get_register(0) == EXPECTED_SUM
