//! Data processing (immediate): PC-relative addressing, add/sub, logical,
//! move wide, bitfield, extract.
//!
//! [`arch`] holds the architecture helper functions (DecodeBitMasks, shifts,
//! extends, bitfield moves, CRC32) shared with the `dp_reg` class.

use kvrm_isa::decode::{bit, bits, rd, rm, rn, sign_extend};

use crate::exec::{add_with_carry, ExecFn, Flow};
use crate::Cpu;

pub mod arch;

use arch::{bfm, decode_bit_masks, extr, logic_flags, sbfm, ubfm, width_mask};

pub const HANDLERS: &[(&str, ExecFn)] = &[
    ("ADR", adr),
    ("ADRP", adr),
    ("ADD_imm", add_sub_imm::<false, false>),
    ("ADDS_imm", add_sub_imm::<false, true>),
    ("SUB_imm", add_sub_imm::<true, false>),
    ("SUBS_imm", add_sub_imm::<true, true>),
    ("AND_imm", logical_imm),
    ("ORR_imm", logical_imm),
    ("EOR_imm", logical_imm),
    ("ANDS_imm", logical_imm),
    ("MOVN", move_wide),
    ("MOVZ", move_wide),
    ("MOVK", move_wide),
    ("SBFM", bitfield),
    ("BFM", bitfield),
    ("UBFM", bitfield),
    ("EXTR", extract),
];

/// ADR (pc + imm21) and ADRP (page of pc + imm21 pages); rd is xzr.
fn adr(cpu: &mut Cpu, w: u32) -> Flow {
    let imm = sign_extend(((bits(w, 5, 19) << 2) | bits(w, 29, 2)) as u64, 21) as u64;
    let pc = cpu.state.pc;
    let value = if bit(w, 31) {
        (pc & !0xfff).wrapping_add(imm << 12)
    } else {
        pc.wrapping_add(imm)
    };
    cpu.state.set_xr(rd(w), value);
    Flow::Next
}

/// ADD/ADDS/SUB/SUBS (immediate, optionally LSL #12): rn may be sp; rd is sp
/// unless flags are set.
fn add_sub_imm<const SUB: bool, const FLAGS: bool>(cpu: &mut Cpu, w: u32) -> Flow {
    // One instance per table entry: the hot loop's `add`/`subs` pay only for
    // the work their encoding needs.
    let sf = bit(w, 31);
    let imm = (bits(w, 10, 12) as u64) << (12 * bits(w, 22, 1));
    let x = cpu.state.xsp(rn(w));
    if FLAGS {
        let (y, carry) = if SUB { (!imm, true) } else { (imm, false) };
        let (result, flags) = add_with_carry(x, y, carry, sf);
        cpu.state.nzcv = flags;
        cpu.state.set_xr(rd(w), result);
    } else {
        let r = if SUB {
            x.wrapping_sub(imm)
        } else {
            x.wrapping_add(imm)
        };
        cpu.state
            .set_xsp(rd(w), if sf { r } else { r & 0xffff_ffff });
    }
    Flow::Next
}

/// AND/ORR/EOR/ANDS (immediate): rd is sp except for ANDS.
fn logical_imm(cpu: &mut Cpu, w: u32) -> Flow {
    let sf = bit(w, 31);
    let n = bits(w, 22, 1);
    if !sf && n == 1 {
        return cpu.undefined(w);
    }
    let imm = match decode_bit_masks(n, bits(w, 10, 6), bits(w, 16, 6), true, arch::datasize(sf)) {
        Some((wmask, _)) => wmask,
        None => return cpu.undefined(w),
    };
    let x = cpu.state.xr(rn(w));
    let opc = bits(w, 29, 2);
    let result = match opc {
        1 => x | imm,
        2 => x ^ imm,
        _ => x & imm,
    } & width_mask(sf);
    if opc == 3 {
        cpu.state.nzcv = logic_flags(result, sf);
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
    cpu.state.set_xr(d, value & width_mask(sf));
    Flow::Next
}

/// SBFM/BFM/UBFM and their aliases (ASR/LSL/LSR immediate, SXT*/UXT*,
/// SBFIZ/SBFX/UBFIZ/UBFX/BFI/BFXIL).
fn bitfield(cpu: &mut Cpu, w: u32) -> Flow {
    let sf = bit(w, 31);
    let immr = bits(w, 16, 6);
    let imms = bits(w, 10, 6);
    // sf=1 needs N=1; sf=0 needs N=0 and immr, imms < 32.
    if bit(w, 22) != sf || (!sf && (immr | imms) >= 32) {
        return cpu.undefined(w);
    }
    let src = cpu.state.xr(rn(w));
    let d = rd(w);
    let result = match bits(w, 29, 2) {
        0 => sbfm(src, immr, imms, sf),
        1 => bfm(cpu.state.xr(d), src, immr, imms, sf),
        _ => ubfm(src, immr, imms, sf),
    };
    cpu.state.set_xr(d, result);
    Flow::Next
}

/// EXTR (and ROR immediate when rn == rm).
fn extract(cpu: &mut Cpu, w: u32) -> Flow {
    let sf = bit(w, 31);
    let lsb = bits(w, 10, 6);
    if bit(w, 22) != sf || (!sf && lsb >= 32) {
        return cpu.undefined(w);
    }
    let hi = cpu.state.xr(rn(w));
    let lo = cpu.state.xr(rm(w));
    cpu.state.set_xr(rd(w), extr(hi, lo, lsb, sf));
    Flow::Next
}
