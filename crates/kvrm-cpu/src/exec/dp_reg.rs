//! Data processing (register): logical and add/sub (shifted and extended
//! register), add/sub with carry, conditional compare and select, 1-source,
//! 2-source and 3-source operations.
//!
//! The architecture helpers (ShiftReg, ExtendReg, CRC32, ...) live in
//! [`crate::exec::dp_imm::arch`].

use kvrm_isa::decode::{bit, bits, rd, rm, rn};
use kvrm_isa::state::{condition_holds, NZCV_C};

use crate::exec::dp_imm::arch::{
    cls, clz, crc32, extend_reg, logic_flags, rbit, rev_bytes, sdiv, shift_reg, shift_var, udiv,
    width_mask,
};
use crate::exec::{add_with_carry, ExecFn, Flow};
use crate::Cpu;

pub const HANDLERS: &[(&str, ExecFn)] = &[
    ("AND_shreg", logical_shreg),
    ("BIC_shreg", logical_shreg),
    ("ORR_shreg", logical_shreg),
    ("ORN_shreg", logical_shreg),
    ("EOR_shreg", logical_shreg),
    ("EON_shreg", logical_shreg),
    ("ANDS_shreg", logical_shreg),
    ("BICS_shreg", logical_shreg),
    ("ADD_shreg", add_sub_shreg),
    ("ADDS_shreg", add_sub_shreg),
    ("SUB_shreg", add_sub_shreg),
    ("SUBS_shreg", add_sub_shreg),
    ("ADD_extreg", add_sub_extreg),
    ("ADDS_extreg", add_sub_extreg),
    ("SUB_extreg", add_sub_extreg),
    ("SUBS_extreg", add_sub_extreg),
    ("ADC", add_sub_carry),
    ("ADCS", add_sub_carry),
    ("SBC", add_sub_carry),
    ("SBCS", add_sub_carry),
    ("CCMN_reg", cond_compare),
    ("CCMP_reg", cond_compare),
    ("CCMN_imm", cond_compare),
    ("CCMP_imm", cond_compare),
    ("CSEL", cond_select),
    ("CSINC", cond_select),
    ("CSINV", cond_select),
    ("CSNEG", cond_select),
    ("RBIT", one_source),
    ("REV16", one_source),
    ("REV_32", one_source),
    ("REV32", one_source),
    ("REV_64", one_source),
    ("CLZ", one_source),
    ("CLS", one_source),
    ("UDIV", divide),
    ("SDIV", divide),
    ("LSLV", shift_variable),
    ("LSRV", shift_variable),
    ("ASRV", shift_variable),
    ("RORV", shift_variable),
    ("CRC32B", crc),
    ("CRC32H", crc),
    ("CRC32W", crc),
    ("CRC32X", crc),
    ("CRC32CB", crc),
    ("CRC32CH", crc),
    ("CRC32CW", crc),
    ("CRC32CX", crc),
    ("MADD", mul_add),
    ("MSUB", mul_add),
    ("SMADDL", mul_add_long),
    ("SMSUBL", mul_add_long),
    ("UMADDL", mul_add_long),
    ("UMSUBL", mul_add_long),
    ("SMULH", mul_high),
    ("UMULH", mul_high),
];

/// AND/BIC/ORR/ORN/EOR/EON/ANDS/BICS (shifted register, LSL/LSR/ASR/ROR).
fn logical_shreg(cpu: &mut Cpu, w: u32) -> Flow {
    let sf = bit(w, 31);
    let amount = bits(w, 10, 6);
    if !sf && amount >= 32 {
        return cpu.undefined(w);
    }
    let x = cpu.state.xr(rn(w));
    let mut y = shift_reg(cpu.state.xr(rm(w)), bits(w, 22, 2), amount, sf);
    if bit(w, 21) {
        y = !y;
    }
    let opc = bits(w, 29, 2);
    let result = match opc {
        1 => x | y,
        2 => x ^ y,
        _ => x & y,
    } & width_mask(sf);
    if opc == 3 {
        cpu.state.nzcv = logic_flags(result, sf);
    }
    cpu.state.set_xr(rd(w), result);
    Flow::Next
}

/// ADD/ADDS/SUB/SUBS (shifted register, LSL/LSR/ASR; ROR is reserved).
fn add_sub_shreg(cpu: &mut Cpu, w: u32) -> Flow {
    let sf = bit(w, 31);
    let shift_type = bits(w, 22, 2);
    let amount = bits(w, 10, 6);
    if shift_type == 3 || (!sf && amount >= 32) {
        return cpu.undefined(w);
    }
    let x = cpu.state.xr(rn(w));
    let y = shift_reg(cpu.state.xr(rm(w)), shift_type, amount, sf);
    let sub = bit(w, 30);
    let (y, carry) = if sub { (!y, true) } else { (y, false) };
    let (result, flags) = add_with_carry(x, y, carry, sf);
    if bit(w, 29) {
        cpu.state.nzcv = flags;
    }
    cpu.state.set_xr(rd(w), result);
    Flow::Next
}

/// ADD/ADDS/SUB/SUBS (extended register, UXTB..SXTX with LSL 0..4): rn is sp;
/// rd is sp unless flags are set.
fn add_sub_extreg(cpu: &mut Cpu, w: u32) -> Flow {
    let sf = bit(w, 31);
    let shift = bits(w, 10, 3);
    if shift > 4 {
        return cpu.undefined(w);
    }
    let x = cpu.state.xsp(rn(w));
    let y = extend_reg(cpu.state.xr(rm(w)), bits(w, 13, 3), shift);
    let (y, carry) = if bit(w, 30) { (!y, true) } else { (y, false) };
    let (result, flags) = add_with_carry(x, y, carry, sf);
    if bit(w, 29) {
        cpu.state.nzcv = flags;
        cpu.state.set_xr(rd(w), result);
    } else {
        cpu.state.set_xsp(rd(w), result);
    }
    Flow::Next
}

/// ADC/ADCS/SBC/SBCS.
fn add_sub_carry(cpu: &mut Cpu, w: u32) -> Flow {
    let sf = bit(w, 31);
    let x = cpu.state.xr(rn(w));
    let mut y = cpu.state.xr(rm(w));
    if bit(w, 30) {
        y = !y;
    }
    let (result, flags) = add_with_carry(x, y, cpu.state.nzcv & NZCV_C != 0, sf);
    if bit(w, 29) {
        cpu.state.nzcv = flags;
    }
    cpu.state.set_xr(rd(w), result);
    Flow::Next
}

/// CCMN/CCMP (register or 5-bit immediate): compare if the condition holds,
/// else set the flags to the nzcv field.
fn cond_compare(cpu: &mut Cpu, w: u32) -> Flow {
    let sf = bit(w, 31);
    if condition_holds(bits(w, 12, 4), cpu.state.nzcv) {
        let x = cpu.state.xr(rn(w));
        let y = if bit(w, 11) {
            bits(w, 16, 5) as u64
        } else {
            cpu.state.xr(rm(w))
        };
        let (y, carry) = if bit(w, 30) { (!y, true) } else { (y, false) };
        cpu.state.nzcv = add_with_carry(x, y, carry, sf).1;
    } else {
        cpu.state.nzcv = (bits(w, 0, 4) as u64) << 28;
    }
    Flow::Next
}

/// CSEL/CSINC/CSINV/CSNEG.
fn cond_select(cpu: &mut Cpu, w: u32) -> Flow {
    let sf = bit(w, 31);
    let result = if condition_holds(bits(w, 12, 4), cpu.state.nzcv) {
        cpu.state.xr(rn(w))
    } else {
        let y = cpu.state.xr(rm(w));
        let y = if bit(w, 30) { !y } else { y };
        if bit(w, 10) {
            y.wrapping_add(1)
        } else {
            y
        }
    };
    cpu.state.set_xr(rd(w), result & width_mask(sf));
    Flow::Next
}

/// RBIT, REV16, REV (32), REV32, REV (64), CLZ, CLS.
fn one_source(cpu: &mut Cpu, w: u32) -> Flow {
    let sf = bit(w, 31);
    let x = cpu.state.xr(rn(w));
    let result = match bits(w, 10, 3) {
        0 => rbit(x, sf),
        1 => rev_bytes(x, 2, sf),
        2 => rev_bytes(x, 4, sf),
        3 => rev_bytes(x, 8, sf),
        4 => clz(x, sf),
        _ => cls(x, sf),
    };
    cpu.state.set_xr(rd(w), result);
    Flow::Next
}

/// UDIV/SDIV: division by zero gives 0, INT_MIN / -1 gives INT_MIN.
fn divide(cpu: &mut Cpu, w: u32) -> Flow {
    let sf = bit(w, 31);
    let n = cpu.state.xr(rn(w));
    let m = cpu.state.xr(rm(w));
    let result = if bit(w, 10) {
        sdiv(n, m, sf)
    } else {
        udiv(n, m, sf)
    };
    cpu.state.set_xr(rd(w), result);
    Flow::Next
}

/// LSLV/LSRV/ASRV/RORV: the amount is rm modulo the width.
fn shift_variable(cpu: &mut Cpu, w: u32) -> Flow {
    let sf = bit(w, 31);
    let x = cpu.state.xr(rn(w));
    let amount = cpu.state.xr(rm(w));
    cpu.state
        .set_xr(rd(w), shift_var(x, bits(w, 10, 2), amount, sf));
    Flow::Next
}

/// CRC32{B,H,W,X} and CRC32C{B,H,W,X}.
fn crc(cpu: &mut Cpu, w: u32) -> Flow {
    let acc = cpu.state.xr(rn(w)) as u32;
    let val = cpu.state.xr(rm(w));
    let bytes = 1 << bits(w, 10, 2);
    let result = crc32(acc, val, bytes, bit(w, 12));
    cpu.state.set_xr(rd(w), result as u64);
    Flow::Next
}

/// MADD/MSUB.
fn mul_add(cpu: &mut Cpu, w: u32) -> Flow {
    let sf = bit(w, 31);
    let a = cpu.state.xr(bits(w, 10, 5));
    let p = cpu.state.xr(rn(w)).wrapping_mul(cpu.state.xr(rm(w)));
    let result = if bit(w, 15) {
        a.wrapping_sub(p)
    } else {
        a.wrapping_add(p)
    };
    cpu.state.set_xr(rd(w), result & width_mask(sf));
    Flow::Next
}

/// SMADDL/SMSUBL/UMADDL/UMSUBL: 32 x 32 -> 64-bit product plus/minus Xa.
fn mul_add_long(cpu: &mut Cpu, w: u32) -> Flow {
    let a = cpu.state.xr(bits(w, 10, 5));
    let n = cpu.state.xr(rn(w));
    let m = cpu.state.xr(rm(w));
    let p = if bit(w, 23) {
        (n as u32 as u64).wrapping_mul(m as u32 as u64)
    } else {
        (n as i32 as i64).wrapping_mul(m as i32 as i64) as u64
    };
    let result = if bit(w, 15) {
        a.wrapping_sub(p)
    } else {
        a.wrapping_add(p)
    };
    cpu.state.set_xr(rd(w), result);
    Flow::Next
}

/// SMULH/UMULH: the high 64 bits of the 128-bit product.
fn mul_high(cpu: &mut Cpu, w: u32) -> Flow {
    let n = cpu.state.xr(rn(w));
    let m = cpu.state.xr(rm(w));
    let result = if bit(w, 23) {
        ((n as u128 * m as u128) >> 64) as u64
    } else {
        ((n as i64 as i128 * m as i64 as i128) >> 64) as u64
    };
    cpu.state.set_xr(rd(w), result);
    Flow::Next
}
