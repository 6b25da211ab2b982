"""SEED.md's standard mode (Phase 4), with kvrm: one execute() call runs the
guest to its BRK in Rust, and the results are read back (zero-copy views
included)."""
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

from kvrm import CPU

cpu = CPU()
cpu.load_program(program_bytes, 0)
cpu.set_pc(0)

result = cpu.execute(max_cycles=100_000_000)
print(f"Total: {result.cycles_executed:,} @ {result.ips:,.0f} IPS ({result.stop_reason})")

# Results read directly (zero-copy): the register file and guest memory.
regs = cpu.registers_view()
buf = cpu.memory_view(0x10000, 8).view("<u8")
print(f"x0 = {cpu.get_register(0)}, regs[0] = {regs[0]}, memory[0x10000] = {buf[0]}")
assert cpu.get_register(0) == regs[0] == buf[0] == EXPECTED_SUM
