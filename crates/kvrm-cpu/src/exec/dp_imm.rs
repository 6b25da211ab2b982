//! Data processing (immediate): PC-relative addressing, add/sub, logical,
//! move wide, bitfield, extract.

use kvrm_isa::decode::{bit, bits, rd, rn};

use crate::exec::{add_with_carry, ExecFn, Flow};
use crate::Cpu;

pub const HANDLERS: &[(&str, ExecFn)] = &[
    ("ADD_imm", add_sub_imm),
    ("ADDS_imm", add_sub_imm),
    ("SUB_imm", add_sub_imm),
    ("SUBS_imm", add_sub_imm),
    ("MOVN", move_wide),
    ("MOVZ", move_wide),
    ("MOVK", move_wide),
];

/// ADD/ADDS/SUB/SUBS (immediate): rn may be sp; rd is sp unless flags are set.
fn add_sub_imm(cpu: &mut Cpu, w: u32) -> Flow {
    let sf = bit(w, 31);
    let sub = bit(w, 30);
    let set_flags = bit(w, 29);
    let shift = bits(w, 22, 2);
    if shift > 1 {
        return cpu.undefined(w);
    }
    let imm = (bits(w, 10, 12) as u64) << (12 * shift);
    let x = cpu.state.xsp(rn(w));
    let (y, carry) = if sub { (!imm, true) } else { (imm, false) };
    let (result, flags) = add_with_carry(x, y, carry, sf);
    if set_flags {
        cpu.state.nzcv = flags;
        cpu.state.set_xr(rd(w), result);
    } else {
        cpu.state.set_xsp(rd(w), result);
    }
    Flow::Next
}

/// MOVN/MOVZ/MOVK.
fn move_wide(cpu: &mut Cpu, w: u32) -> Flow {
    let sf = bit(w, 31);
    let hw = bits(w, 21, 2);
    if !sf && hw > 1 {
        return cpu.undefined(w);
    }
    let shift = hw * 16;
    let imm = (bits(w, 5, 16) as u64) << shift;
    let d = rd(w);
    let value = match bits(w, 29, 2) {
        0 => !imm,
        2 => imm,
        3 => (cpu.state.xr(d) & !(0xffffu64 << shift)) | imm,
        _ => return cpu.undefined(w),
    };
    let value = if sf { value } else { value & 0xffff_ffff };
    cpu.state.set_xr(d, value);
    Flow::Next
}
