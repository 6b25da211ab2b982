//! Loads and stores of single registers and pairs (general and SIMD&FP).
//!
//! Every table entry of `kvrm_isa::table::ldst` names one operation in one
//! addressing mode; its handler is `single::<OP, MODE>` or `pair::<OP, MODE>`,
//! monomorphised so the common case (e.g. `LDR_x_uimm`) is a handful of
//! straight-line instructions.
//!
//! CONSTRAINED UNPREDICTABLE choices (all permitted by the Arm ARM, and the
//! ones the oracle, Unicorn/QEMU, makes):
//! - load with writeback and rt == rn (Unpredictable_WBOVERLAPLD): the load
//!   writes rt, then the writeback writes the address to rn, so rn ends up with
//!   the written-back address (the "writeback value UNKNOWN" choice: the loaded
//!   value is lost).
//! - store with writeback and rt == rn (Unpredictable_WBOVERLAPST): the value
//!   stored is the register before the writeback (Constraint_NONE).
//! - load pair with rt == rt2 (Unpredictable_LDPOVERLAP, Constraint_UNKNOWN):
//!   see `pair` for which half lands in the register.
//!
//! A faulting access changes no register (the writeback comes after the
//! access) and, for stores, writes nothing (the memory layer checks every page
//! of an access before writing any byte).
//! PRFM/PRFUM compute nothing and never fault.

use kvrm_isa::decode::{bit, bits, rd, rm, rn, rt2, sign_extend};
use kvrm_isa::MemFault;

use crate::exec::{ExecFn, Flow};
use crate::Cpu;

// ----- operations of single-register forms (the OP parameter) -----------------

const STRB: u8 = 0;
const STRH: u8 = 1;
const STR_W: u8 = 2;
const STR_X: u8 = 3;
const LDRB: u8 = 4;
const LDRH: u8 = 5;
const LDR_W: u8 = 6;
const LDR_X: u8 = 7;
const LDRSB_X: u8 = 8;
const LDRSH_X: u8 = 9;
const LDRSW: u8 = 10;
const LDRSB_W: u8 = 12;
const LDRSH_W: u8 = 13;
const STR_B: u8 = 16;
const STR_H: u8 = 17;
const STR_S: u8 = 18;
const STR_D: u8 = 19;
const STR_Q: u8 = 20;
const LDR_B: u8 = 24;
const LDR_H: u8 = 25;
const LDR_S: u8 = 26;
const LDR_D: u8 = 27;
const LDR_Q: u8 = 28;
const PRFM: u8 = 32;

/// log2 of the access size of a single-register operation.
const fn scale(op: u8) -> u32 {
    match op {
        PRFM => 3,
        LDRSB_X | LDRSB_W => 0,
        LDRSH_X | LDRSH_W => 1,
        LDRSW => 2,
        STRB..=LDR_X => (op & 3) as u32,
        _ => (op & 7) as u32, // STR_B..=STR_Q, LDR_B..=LDR_Q
    }
}

// ----- addressing modes (the MODE parameter) -----------------------------------

/// Unsigned scaled imm12 offset.
const UIMM: u8 = 0;
/// Signed unscaled imm9 offset (LDUR/STUR, and LDTR/STTR: the same at EL0).
const SIMM: u8 = 1;
/// Pre-index imm9 (pairs: scaled imm7), with writeback.
const PRE: u8 = 2;
/// Post-index imm9 (pairs: scaled imm7), with writeback.
const POST: u8 = 3;
/// Register offset: extended Rm, optionally shifted by the access size.
const REG: u8 = 4;
/// PC-relative imm19 * 4.
const LIT: u8 = 5;
/// Pair with scaled signed imm7 offset, no writeback (also LDNP/STNP).
const OFF: u8 = 6;

/// Transfer one register of operation `OP` at `addr`.
#[inline(always)]
fn transfer<const OP: u8>(cpu: &mut Cpu, t: u32, addr: u64) -> Result<(), MemFault> {
    let s = &mut cpu.state;
    let m = &mut cpu.mem;
    match OP {
        STRB => m.write_u8(addr, s.xr(t) as u8),
        STRH => m.write_u16(addr, s.xr(t) as u16),
        STR_W => m.write_u32(addr, s.xr(t) as u32),
        STR_X => m.write_u64(addr, s.xr(t)),
        LDRB => m.read_u8(addr).map(|v| s.set_xr(t, v as u64)),
        LDRH => m.read_u16(addr).map(|v| s.set_xr(t, v as u64)),
        LDR_W => m.read_u32(addr).map(|v| s.set_xr(t, v as u64)),
        LDR_X => m.read_u64(addr).map(|v| s.set_xr(t, v)),
        LDRSB_X => m.read_u8(addr).map(|v| s.set_xr(t, v as i8 as i64 as u64)),
        LDRSH_X => m
            .read_u16(addr)
            .map(|v| s.set_xr(t, v as i16 as i64 as u64)),
        LDRSW => m
            .read_u32(addr)
            .map(|v| s.set_xr(t, v as i32 as i64 as u64)),
        LDRSB_W => m
            .read_u8(addr)
            .map(|v| s.set_xr(t, v as i8 as i32 as u32 as u64)),
        LDRSH_W => m
            .read_u16(addr)
            .map(|v| s.set_xr(t, v as i16 as i32 as u32 as u64)),
        STR_B => m.write_u8(addr, s.v[t as usize][0] as u8),
        STR_H => m.write_u16(addr, s.v[t as usize][0] as u16),
        STR_S => m.write_u32(addr, s.v[t as usize][0] as u32),
        STR_D => m.write_u64(addr, s.v[t as usize][0]),
        STR_Q => m.write_u128(addr, s.vreg(t)),
        // A scalar SIMD&FP load zeroes the rest of the 128-bit register.
        LDR_B => m.read_u8(addr).map(|v| s.v[t as usize] = [v as u64, 0]),
        LDR_H => m.read_u16(addr).map(|v| s.v[t as usize] = [v as u64, 0]),
        LDR_S => m.read_u32(addr).map(|v| s.v[t as usize] = [v as u64, 0]),
        LDR_D => m.read_u64(addr).map(|v| s.v[t as usize] = [v, 0]),
        LDR_Q => m.read_u128(addr).map(|v| s.set_vreg(t, v)),
        _ => Ok(()), // PRFM: a hint, no access
    }
}

/// Single register: LDR/STR/LDUR/STUR/LDTR/STTR (all sizes, signed, SIMD&FP),
/// PRFM/PRFUM, in addressing mode `MODE`.
#[inline(always)]
fn single<const OP: u8, const MODE: u8>(cpu: &mut Cpu, w: u32) -> Flow {
    if OP == PRFM {
        return Flow::Next;
    }
    let t = rd(w);
    let n = rn(w);
    let simm9 = sign_extend(bits(w, 12, 9) as u64, 9) as u64;
    let addr = match MODE {
        UIMM => cpu
            .state
            .xsp(n)
            .wrapping_add((bits(w, 10, 12) as u64) << scale(OP)),
        SIMM | PRE => cpu.state.xsp(n).wrapping_add(simm9),
        POST => cpu.state.xsp(n),
        REG => {
            let m = cpu.state.xr(rm(w));
            // option<1> = 1 is fixed by the table: 010 UXTW, 011 LSL/UXTX,
            // 110 SXTW, 111 SXTX.
            let off = match bits(w, 13, 3) {
                0b010 => m as u32 as u64,
                0b110 => m as u32 as i32 as i64 as u64,
                _ => m,
            };
            let shift = if bit(w, 12) { scale(OP) } else { 0 };
            cpu.state.xsp(n).wrapping_add(off << shift)
        }
        _ => {
            // LIT
            let off = sign_extend(bits(w, 5, 19) as u64, 19) << 2;
            cpu.state.pc.wrapping_add(off as u64)
        }
    };
    if let Err(f) = transfer::<OP>(cpu, t, addr) {
        return cpu.fault(f);
    }
    match MODE {
        PRE => cpu.state.set_xsp(n, addr),
        POST => cpu.state.set_xsp(n, addr.wrapping_add(simm9)),
        _ => {}
    }
    Flow::Next
}

// ----- pairs -------------------------------------------------------------------

const STP_W: u8 = 0;
const LDP_W: u8 = 1;
const LDPSW: u8 = 2;
const STP_X: u8 = 3;
const LDP_X: u8 = 4;
const STP_S: u8 = 5;
const LDP_S: u8 = 6;
const STP_D: u8 = 7;
const LDP_D: u8 = 8;
const STP_Q: u8 = 9;
const LDP_Q: u8 = 10;

/// log2 of the size of one register of a pair operation.
const fn pair_scale(op: u8) -> u32 {
    match op {
        STP_W | LDP_W | LDPSW | STP_S | LDP_S => 2,
        STP_Q | LDP_Q => 4,
        _ => 3,
    }
}

#[inline(always)]
fn lo64(b: &[u8]) -> u64 {
    let mut a = [0u8; 8];
    a[..b.len()].copy_from_slice(b);
    u64::from_le_bytes(a)
}

/// Transfer a pair of operation `OP` at `addr` as one access (so a fault in
/// either half changes nothing).
#[inline(always)]
fn transfer_pair<const OP: u8>(cpu: &mut Cpu, t: u32, t2: u32, addr: u64) -> Result<(), MemFault> {
    let s = &mut cpu.state;
    let m = &mut cpu.mem;
    match OP {
        STP_W => {
            let v = (s.xr(t) as u32 as u64) | (s.xr(t2) << 32);
            m.write_u64(addr, v)
        }
        STP_X => {
            let v = (s.xr(t) as u128) | ((s.xr(t2) as u128) << 64);
            m.write_u128(addr, v)
        }
        STP_S => {
            let v = (s.v[t as usize][0] as u32 as u64) | (s.v[t2 as usize][0] << 32);
            m.write_u64(addr, v)
        }
        STP_D => {
            let v = (s.v[t as usize][0] as u128) | ((s.v[t2 as usize][0] as u128) << 64);
            m.write_u128(addr, v)
        }
        STP_Q => {
            let mut b = [0u8; 32];
            b[..16].copy_from_slice(&s.vreg(t).to_le_bytes());
            b[16..].copy_from_slice(&s.vreg(t2).to_le_bytes());
            m.write(addr, b)
        }
        // General-register loads write rt2 first, rt last: with rt == rt2 the
        // register gets the first value; SIMD&FP loads write rt first, so it
        // gets the second (Constraint_UNKNOWN either way; the oracle's choices).
        LDP_W => m.read::<8>(addr).map(|b| {
            s.set_xr(t2, lo64(&b[4..]));
            s.set_xr(t, lo64(&b[..4]));
        }),
        LDPSW => m.read::<8>(addr).map(|b| {
            s.set_xr(t2, lo64(&b[4..]) as u32 as i32 as i64 as u64);
            s.set_xr(t, lo64(&b[..4]) as u32 as i32 as i64 as u64);
        }),
        LDP_X => m.read::<16>(addr).map(|b| {
            s.set_xr(t2, lo64(&b[8..]));
            s.set_xr(t, lo64(&b[..8]));
        }),
        LDP_S => m.read::<8>(addr).map(|b| {
            s.v[t as usize] = [lo64(&b[..4]), 0];
            s.v[t2 as usize] = [lo64(&b[4..]), 0];
        }),
        LDP_D => m.read::<16>(addr).map(|b| {
            s.v[t as usize] = [lo64(&b[..8]), 0];
            s.v[t2 as usize] = [lo64(&b[8..]), 0];
        }),
        _ => m.read::<32>(addr).map(|b| {
            // LDP_Q
            s.v[t as usize] = [lo64(&b[..8]), lo64(&b[8..16])];
            s.v[t2 as usize] = [lo64(&b[16..24]), lo64(&b[24..])];
        }),
    }
}

/// LDP/STP/LDPSW/LDNP/STNP (general and SIMD&FP) in mode OFF, PRE or POST.
#[inline(always)]
fn pair<const OP: u8, const MODE: u8>(cpu: &mut Cpu, w: u32) -> Flow {
    let t = rd(w);
    let t2 = rt2(w);
    let n = rn(w);
    let off = (sign_extend(bits(w, 15, 7) as u64, 7) << pair_scale(OP)) as u64;
    let base = cpu.state.xsp(n);
    let addr = if MODE == POST {
        base
    } else {
        base.wrapping_add(off)
    };
    if let Err(f) = transfer_pair::<OP>(cpu, t, t2, addr) {
        return cpu.fault(f);
    }
    match MODE {
        PRE => cpu.state.set_xsp(n, addr),
        POST => cpu.state.set_xsp(n, addr.wrapping_add(off)),
        _ => {}
    }
    Flow::Next
}

pub const HANDLERS: &[(&str, ExecFn)] = &[
    ("STRB_uimm", single::<STRB, UIMM>),
    ("LDRB_uimm", single::<LDRB, UIMM>),
    ("LDRSB_x_uimm", single::<LDRSB_X, UIMM>),
    ("LDRSB_w_uimm", single::<LDRSB_W, UIMM>),
    ("STRH_uimm", single::<STRH, UIMM>),
    ("LDRH_uimm", single::<LDRH, UIMM>),
    ("LDRSH_x_uimm", single::<LDRSH_X, UIMM>),
    ("LDRSH_w_uimm", single::<LDRSH_W, UIMM>),
    ("STR_w_uimm", single::<STR_W, UIMM>),
    ("LDR_w_uimm", single::<LDR_W, UIMM>),
    ("LDRSW_uimm", single::<LDRSW, UIMM>),
    ("STR_x_uimm", single::<STR_X, UIMM>),
    ("LDR_x_uimm", single::<LDR_X, UIMM>),
    ("PRFM_uimm", single::<PRFM, UIMM>),
    ("STR_b_uimm", single::<STR_B, UIMM>),
    ("LDR_b_uimm", single::<LDR_B, UIMM>),
    ("STR_q_uimm", single::<STR_Q, UIMM>),
    ("LDR_q_uimm", single::<LDR_Q, UIMM>),
    ("STR_h_uimm", single::<STR_H, UIMM>),
    ("LDR_h_uimm", single::<LDR_H, UIMM>),
    ("STR_s_uimm", single::<STR_S, UIMM>),
    ("LDR_s_uimm", single::<LDR_S, UIMM>),
    ("STR_d_uimm", single::<STR_D, UIMM>),
    ("LDR_d_uimm", single::<LDR_D, UIMM>),
    ("STURB", single::<STRB, SIMM>),
    ("LDURB", single::<LDRB, SIMM>),
    ("LDURSB_x", single::<LDRSB_X, SIMM>),
    ("LDURSB_w", single::<LDRSB_W, SIMM>),
    ("STURH", single::<STRH, SIMM>),
    ("LDURH", single::<LDRH, SIMM>),
    ("LDURSH_x", single::<LDRSH_X, SIMM>),
    ("LDURSH_w", single::<LDRSH_W, SIMM>),
    ("STUR_w", single::<STR_W, SIMM>),
    ("LDUR_w", single::<LDR_W, SIMM>),
    ("LDURSW", single::<LDRSW, SIMM>),
    ("STUR_x", single::<STR_X, SIMM>),
    ("LDUR_x", single::<LDR_X, SIMM>),
    ("PRFUM", single::<PRFM, SIMM>),
    ("STUR_b", single::<STR_B, SIMM>),
    ("LDUR_b", single::<LDR_B, SIMM>),
    ("STUR_q", single::<STR_Q, SIMM>),
    ("LDUR_q", single::<LDR_Q, SIMM>),
    ("STUR_h", single::<STR_H, SIMM>),
    ("LDUR_h", single::<LDR_H, SIMM>),
    ("STUR_s", single::<STR_S, SIMM>),
    ("LDUR_s", single::<LDR_S, SIMM>),
    ("STUR_d", single::<STR_D, SIMM>),
    ("LDUR_d", single::<LDR_D, SIMM>),
    ("STRB_pre", single::<STRB, PRE>),
    ("LDRB_pre", single::<LDRB, PRE>),
    ("LDRSB_x_pre", single::<LDRSB_X, PRE>),
    ("LDRSB_w_pre", single::<LDRSB_W, PRE>),
    ("STRH_pre", single::<STRH, PRE>),
    ("LDRH_pre", single::<LDRH, PRE>),
    ("LDRSH_x_pre", single::<LDRSH_X, PRE>),
    ("LDRSH_w_pre", single::<LDRSH_W, PRE>),
    ("STR_w_pre", single::<STR_W, PRE>),
    ("LDR_w_pre", single::<LDR_W, PRE>),
    ("LDRSW_pre", single::<LDRSW, PRE>),
    ("STR_x_pre", single::<STR_X, PRE>),
    ("LDR_x_pre", single::<LDR_X, PRE>),
    ("STR_b_pre", single::<STR_B, PRE>),
    ("LDR_b_pre", single::<LDR_B, PRE>),
    ("STR_q_pre", single::<STR_Q, PRE>),
    ("LDR_q_pre", single::<LDR_Q, PRE>),
    ("STR_h_pre", single::<STR_H, PRE>),
    ("LDR_h_pre", single::<LDR_H, PRE>),
    ("STR_s_pre", single::<STR_S, PRE>),
    ("LDR_s_pre", single::<LDR_S, PRE>),
    ("STR_d_pre", single::<STR_D, PRE>),
    ("LDR_d_pre", single::<LDR_D, PRE>),
    ("STRB_post", single::<STRB, POST>),
    ("LDRB_post", single::<LDRB, POST>),
    ("LDRSB_x_post", single::<LDRSB_X, POST>),
    ("LDRSB_w_post", single::<LDRSB_W, POST>),
    ("STRH_post", single::<STRH, POST>),
    ("LDRH_post", single::<LDRH, POST>),
    ("LDRSH_x_post", single::<LDRSH_X, POST>),
    ("LDRSH_w_post", single::<LDRSH_W, POST>),
    ("STR_w_post", single::<STR_W, POST>),
    ("LDR_w_post", single::<LDR_W, POST>),
    ("LDRSW_post", single::<LDRSW, POST>),
    ("STR_x_post", single::<STR_X, POST>),
    ("LDR_x_post", single::<LDR_X, POST>),
    ("STR_b_post", single::<STR_B, POST>),
    ("LDR_b_post", single::<LDR_B, POST>),
    ("STR_q_post", single::<STR_Q, POST>),
    ("LDR_q_post", single::<LDR_Q, POST>),
    ("STR_h_post", single::<STR_H, POST>),
    ("LDR_h_post", single::<LDR_H, POST>),
    ("STR_s_post", single::<STR_S, POST>),
    ("LDR_s_post", single::<LDR_S, POST>),
    ("STR_d_post", single::<STR_D, POST>),
    ("LDR_d_post", single::<LDR_D, POST>),
    ("STTRB", single::<STRB, SIMM>),
    ("LDTRB", single::<LDRB, SIMM>),
    ("LDTRSB_x", single::<LDRSB_X, SIMM>),
    ("LDTRSB_w", single::<LDRSB_W, SIMM>),
    ("STTRH", single::<STRH, SIMM>),
    ("LDTRH", single::<LDRH, SIMM>),
    ("LDTRSH_x", single::<LDRSH_X, SIMM>),
    ("LDTRSH_w", single::<LDRSH_W, SIMM>),
    ("STTR_w", single::<STR_W, SIMM>),
    ("LDTR_w", single::<LDR_W, SIMM>),
    ("LDTRSW", single::<LDRSW, SIMM>),
    ("STTR_x", single::<STR_X, SIMM>),
    ("LDTR_x", single::<LDR_X, SIMM>),
    ("STRB_reg", single::<STRB, REG>),
    ("LDRB_reg", single::<LDRB, REG>),
    ("LDRSB_x_reg", single::<LDRSB_X, REG>),
    ("LDRSB_w_reg", single::<LDRSB_W, REG>),
    ("STRH_reg", single::<STRH, REG>),
    ("LDRH_reg", single::<LDRH, REG>),
    ("LDRSH_x_reg", single::<LDRSH_X, REG>),
    ("LDRSH_w_reg", single::<LDRSH_W, REG>),
    ("STR_w_reg", single::<STR_W, REG>),
    ("LDR_w_reg", single::<LDR_W, REG>),
    ("LDRSW_reg", single::<LDRSW, REG>),
    ("STR_x_reg", single::<STR_X, REG>),
    ("LDR_x_reg", single::<LDR_X, REG>),
    ("PRFM_reg", single::<PRFM, REG>),
    ("STR_b_reg", single::<STR_B, REG>),
    ("LDR_b_reg", single::<LDR_B, REG>),
    ("STR_q_reg", single::<STR_Q, REG>),
    ("LDR_q_reg", single::<LDR_Q, REG>),
    ("STR_h_reg", single::<STR_H, REG>),
    ("LDR_h_reg", single::<LDR_H, REG>),
    ("STR_s_reg", single::<STR_S, REG>),
    ("LDR_s_reg", single::<LDR_S, REG>),
    ("STR_d_reg", single::<STR_D, REG>),
    ("LDR_d_reg", single::<LDR_D, REG>),
    ("LDR_w_lit", single::<LDR_W, LIT>),
    ("LDR_x_lit", single::<LDR_X, LIT>),
    ("LDRSW_lit", single::<LDRSW, LIT>),
    ("PRFM_lit", single::<PRFM, LIT>),
    ("LDR_s_lit", single::<LDR_S, LIT>),
    ("LDR_d_lit", single::<LDR_D, LIT>),
    ("LDR_q_lit", single::<LDR_Q, LIT>),
    ("STP_w_off", pair::<STP_W, OFF>),
    ("LDP_w_off", pair::<LDP_W, OFF>),
    ("LDPSW_off", pair::<LDPSW, OFF>),
    ("STP_x_off", pair::<STP_X, OFF>),
    ("LDP_x_off", pair::<LDP_X, OFF>),
    ("STP_s_off", pair::<STP_S, OFF>),
    ("LDP_s_off", pair::<LDP_S, OFF>),
    ("STP_d_off", pair::<STP_D, OFF>),
    ("LDP_d_off", pair::<LDP_D, OFF>),
    ("STP_q_off", pair::<STP_Q, OFF>),
    ("LDP_q_off", pair::<LDP_Q, OFF>),
    ("STP_w_pre", pair::<STP_W, PRE>),
    ("LDP_w_pre", pair::<LDP_W, PRE>),
    ("LDPSW_pre", pair::<LDPSW, PRE>),
    ("STP_x_pre", pair::<STP_X, PRE>),
    ("LDP_x_pre", pair::<LDP_X, PRE>),
    ("STP_s_pre", pair::<STP_S, PRE>),
    ("LDP_s_pre", pair::<LDP_S, PRE>),
    ("STP_d_pre", pair::<STP_D, PRE>),
    ("LDP_d_pre", pair::<LDP_D, PRE>),
    ("STP_q_pre", pair::<STP_Q, PRE>),
    ("LDP_q_pre", pair::<LDP_Q, PRE>),
    ("STP_w_post", pair::<STP_W, POST>),
    ("LDP_w_post", pair::<LDP_W, POST>),
    ("LDPSW_post", pair::<LDPSW, POST>),
    ("STP_x_post", pair::<STP_X, POST>),
    ("LDP_x_post", pair::<LDP_X, POST>),
    ("STP_s_post", pair::<STP_S, POST>),
    ("LDP_s_post", pair::<LDP_S, POST>),
    ("STP_d_post", pair::<STP_D, POST>),
    ("LDP_d_post", pair::<LDP_D, POST>),
    ("STP_q_post", pair::<STP_Q, POST>),
    ("LDP_q_post", pair::<LDP_Q, POST>),
    ("STNP_w", pair::<STP_W, OFF>),
    ("LDNP_w", pair::<LDP_W, OFF>),
    ("STNP_x", pair::<STP_X, OFF>),
    ("LDNP_x", pair::<LDP_X, OFF>),
    ("STNP_s", pair::<STP_S, OFF>),
    ("LDNP_s", pair::<LDP_S, OFF>),
    ("STNP_d", pair::<STP_D, OFF>),
    ("LDNP_d", pair::<LDP_D, OFF>),
    ("STNP_q", pair::<STP_Q, OFF>),
    ("LDNP_q", pair::<LDP_Q, OFF>),
];

#[cfg(test)]
mod tests {
    //! Cases the oracle cannot check: Unicorn performs the bytes of a store
    //! that lie below the end of mapped memory before it faults on the rest.
    //! The Arm ARM allows either (a store that takes a synchronous Data Abort
    //! leaves the memory it would have written UNKNOWN, and a misaligned access
    //! may be split); kvrm performs each access as one, checked on every page
    //! first, so a faulting store writes nothing.
    use kvrm_isa::StopReason;

    use crate::Cpu;

    const MEM: u64 = 0x10_0000;

    /// Run `word` at 0x1000 with x1 = `base`; return the CPU and the stop.
    fn run_one(word: u32, base: u64) -> (Cpu, StopReason) {
        let mut cpu = Cpu::with_flat_memory(MEM).unwrap();
        cpu.mem.write_u32(0x1000, word).unwrap();
        for a in MEM - 64..MEM {
            cpu.mem.write_u8(a, 0xa5).unwrap();
        }
        cpu.state.pc = 0x1000;
        cpu.state.x[1] = base;
        cpu.state.x[2] = 0x1122_3344_5566_7788;
        cpu.state.x[3] = 0x99aa_bbcc_ddee_ff00;
        cpu.state.v[2] = [0x0102_0304_0506_0708, 0x1112_1314_1516_1718];
        cpu.state.v[3] = [0x2122_2324_2526_2728, 0x3132_3334_3536_3738];
        let stop = cpu.run_for(1).stop;
        (cpu, stop)
    }

    fn assert_fault_nothing_written(cpu: &mut Cpu, base: u64) {
        assert_eq!(cpu.state.x[1], base, "no writeback");
        assert_eq!(cpu.state.pc, 0x1000);
        for a in MEM - 64..MEM {
            assert_eq!(cpu.mem.read_u8(a).unwrap(), 0xa5, "byte {a:#x} written");
        }
    }

    #[test]
    fn store_across_end_of_memory_writes_nothing() {
        // (encoding, base): each store runs past 0x100000 by at least a byte.
        let cases: &[(u32, u64)] = &[
            (0xf9000022, MEM - 4),  // str x2, [x1]
            (0xb9000022, MEM - 1),  // str w2, [x1]
            (0x79000022, MEM - 1),  // strh w2, [x1]
            (0xf8008c22, MEM - 12), // str x2, [x1, #8]!
            (0xf8008422, MEM - 4),  // str x2, [x1], #8
            (0x3d800022, MEM - 15), // str q2, [x1]
            (0xa9000c22, MEM - 8),  // stp x2, x3, [x1]
            (0xa9800c22, MEM - 8),  // stp x2, x3, [x1, #0]!
            (0x29000c22, MEM - 4),  // stp w2, w3, [x1]
            (0xad000c22, MEM - 16), // stp q2, q3, [x1]
            (0x6d000c22, MEM - 12), // stp d2, d3, [x1]
            (0xa8810c22, MEM - 8),  // stp x2, x3, [x1], #16
        ];
        for &(word, base) in cases {
            let (mut cpu, stop) = run_one(word, base);
            assert!(
                matches!(stop, StopReason::Fault { .. }),
                "{word:#010x} must fault"
            );
            assert_fault_nothing_written(&mut cpu, base);
        }
    }

    /// Unicorn loads the first register of a SIMD&FP pair before faulting on
    /// the second; kvrm reads the pair as one access, so a faulting pair load
    /// changes no register (registers a faulting load would write are UNKNOWN
    /// in the Arm ARM, so both are permitted).
    #[test]
    fn pair_load_across_end_of_memory_changes_nothing() {
        let cases: &[(u32, u64)] = &[
            (0x2d400c22, MEM - 4),  // ldp s2, s3, [x1]
            (0x6d400c22, MEM - 8),  // ldp d2, d3, [x1]
            (0xad400c22, MEM - 16), // ldp q2, q3, [x1]
            (0xadc00c22, MEM - 16), // ldp q2, q3, [x1, #0]!
            (0x2cc10c22, MEM - 4),  // ldp s2, s3, [x1], #8
            (0xa9400c22, MEM - 8),  // ldp x2, x3, [x1]
            (0x3dc00022, MEM - 8),  // ldr q2, [x1]
        ];
        for &(word, base) in cases {
            let (mut cpu, stop) = run_one(word, base);
            assert!(matches!(stop, StopReason::Fault { .. }), "{word:#010x}");
            assert_eq!(cpu.state.x[2], 0x1122_3344_5566_7788, "{word:#010x}");
            assert_eq!(cpu.state.x[3], 0x99aa_bbcc_ddee_ff00, "{word:#010x}");
            assert_eq!(
                cpu.state.v[2],
                [0x0102_0304_0506_0708, 0x1112_1314_1516_1718]
            );
            assert_eq!(
                cpu.state.v[3],
                [0x2122_2324_2526_2728, 0x3132_3334_3536_3738]
            );
            assert_fault_nothing_written(&mut cpu, base);
        }
    }
}
