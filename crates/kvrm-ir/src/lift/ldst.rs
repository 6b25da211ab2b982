//! Loads and stores of general registers: single registers (unsigned offset,
//! unscaled, unprivileged, pre/post-index, register offset; all sizes and
//! sign extensions) and pairs (LDP/STP/LDPSW/LDNP/STNP). Semantics, including
//! the CONSTRAINED UNPREDICTABLE choices, as `kvrm_cpu::exec::ldst`: the
//! access comes before the writeback, so a fault changes no register. SIMD&FP
//! registers (B, H, S, D, Q) have the same forms; a scalar load zeroes the
//! rest of the register. Literal forms load from pc + imm19 * 4, an address
//! known when lifting.

use kvrm_isa::decode::{bit, bits, rd, rm, rn, rt2, sign_extend};

use super::{Lifted, Lifter};
use crate::block::{Arg, Value};
use crate::opcodes::{Extend, MemOp, Op};

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Uimm,
    Simm,
    Pre,
    Post,
    Reg,
    /// Pair with a signed scaled offset and no writeback.
    Off,
}

fn mode_of(name: &str) -> Option<(Mode, &str)> {
    for (suffix, mode) in [
        ("_uimm", Mode::Uimm),
        ("_pre", Mode::Pre),
        ("_post", Mode::Post),
        ("_reg", Mode::Reg),
        ("_off", Mode::Off),
    ] {
        if let Some(base) = name.strip_suffix(suffix) {
            return Some((mode, base));
        }
    }
    None
}

/// (store?, size, extension) of a general-register single operation.
fn single_op(base: &str) -> Option<(bool, u8, Extend)> {
    Some(match base {
        "STRB" => (true, 1, Extend::Zero),
        "STRH" => (true, 2, Extend::Zero),
        "STR_w" => (true, 4, Extend::Zero),
        "STR_x" => (true, 8, Extend::Zero),
        "LDRB" => (false, 1, Extend::Zero),
        "LDRH" => (false, 2, Extend::Zero),
        "LDR_w" => (false, 4, Extend::Zero),
        "LDR_x" => (false, 8, Extend::Zero),
        "LDRSB_x" => (false, 1, Extend::Sign64),
        "LDRSB_w" => (false, 1, Extend::Sign32),
        "LDRSH_x" => (false, 2, Extend::Sign64),
        "LDRSH_w" => (false, 2, Extend::Sign32),
        "LDRSW" => (false, 4, Extend::Sign64),
        _ => return None,
    })
}

pub(crate) fn lift(l: &mut Lifter, name: &str, w: u32) -> Lifted {
    if name.starts_with("PRF") {
        return Lifted::Next; // a hint: no access, no fault
    }
    if let Some(base) = name.strip_suffix("_lit") {
        return literal(l, w, base);
    }
    // STUR*/LDUR* and STTR*/LDTR* (the same at EL0): signed unscaled offset.
    let unscaled = name.len() > 4 && matches!(&name[..4], "STUR" | "LDUR" | "STTR" | "LDTR");
    let (mode, base) = if unscaled {
        (Mode::Simm, format!("{}R{}", &name[..2], &name[4..]))
    } else if let Some((mode, base)) = mode_of(name) {
        (mode, base.to_string())
    } else if matches!(
        name,
        "STNP_w"
            | "LDNP_w"
            | "STNP_x"
            | "LDNP_x"
            | "STNP_s"
            | "LDNP_s"
            | "STNP_d"
            | "LDNP_d"
            | "STNP_q"
            | "LDNP_q"
    ) {
        (Mode::Off, name.replace("NP", "P"))
    } else {
        return Lifted::No;
    };
    if let Some((store, size, extend)) = single_op(&base) {
        if mode == Mode::Off {
            return Lifted::No;
        }
        single(l, w, mode, store, MemOp::new(size, extend), false);
        return Lifted::Next;
    }
    if let Some((store, size)) = fp_single_op(&base) {
        if mode == Mode::Off {
            return Lifted::No;
        }
        single(l, w, mode, store, MemOp::new(size, Extend::Zero), true);
        return Lifted::Next;
    }
    match base.as_str() {
        "STP_s" | "LDP_s" | "STP_d" | "LDP_d" | "STP_q" | "LDP_q"
            if matches!(mode, Mode::Off | Mode::Pre | Mode::Post) =>
        {
            fp_pair(l, w, mode, &base);
            Lifted::Next
        }
        "STP_w" | "LDP_w" | "LDPSW" | "STP_x" | "LDP_x"
            if matches!(mode, Mode::Off | Mode::Pre | Mode::Post) =>
        {
            pair(l, w, mode, &base);
            Lifted::Next
        }
        _ => Lifted::No,
    }
}

/// LDR (literal) of a general or SIMD&FP register: a load from pc + imm19 * 4.
fn literal(l: &mut Lifter, w: u32, base: &str) -> Lifted {
    let (m, fp) = match (single_op(base), fp_single_op(base)) {
        (Some((false, size, extend)), _) => (MemOp::new(size, extend), false),
        (None, Some((false, size))) => (MemOp::new(size, Extend::Zero), true),
        _ => return Lifted::No,
    };
    let off = (sign_extend(bits(w, 5, 19) as u64, 19) << 2) as u64;
    let addr = l.c(l.pc.wrapping_add(off));
    load_into(l, rd(w), m, fp, addr);
    Lifted::Next
}

/// (store?, size) of a SIMD&FP single operation.
fn fp_single_op(base: &str) -> Option<(bool, u8)> {
    let (store, r) = base.split_once('_')?;
    let store = match store {
        "STR" => true,
        "LDR" => false,
        _ => return None,
    };
    let size = match r {
        "b" => 1,
        "h" => 2,
        "s" => 4,
        "d" => 8,
        "q" => 16,
        _ => return None,
    };
    Some((store, size))
}

fn single(l: &mut Lifter, w: u32, mode: Mode, store: bool, m: MemOp, fp: bool) {
    let scale = m.size.trailing_zeros() as u64;
    let t = rd(w);
    let n = rn(w);
    let simm9 = sign_extend(bits(w, 12, 9) as u64, 9) as u64;
    let base = l.xsp(n);
    let addr = match mode {
        Mode::Uimm => l.bin_c(Op::Add, base, (bits(w, 10, 12) as u64) << scale),
        Mode::Simm | Mode::Pre => l.bin_c(Op::Add, base, simm9),
        Mode::Post => base,
        _ => {
            // Register offset; option<1> = 1 is fixed by the table.
            let r = l.x(rm(w));
            let off = match bits(w, 13, 3) {
                0b010 => l.un(Op::Zext32, r),
                0b110 => l.un(Op::Sext32, r),
                _ => r,
            };
            let off = if bit(w, 12) && scale != 0 {
                l.bin_c(Op::Shl, off, scale)
            } else {
                off
            };
            l.bin(Op::Add, base, off)
        }
    };
    if !store {
        load_into(l, t, m, fp, addr);
    } else if fp {
        let v = l.get_vec(t);
        let v = if m.size == 16 { v } else { l.un(Op::Lo128, v) };
        l.store(m, addr, v);
    } else {
        // Stored before any writeback (rt == rn stores the old base).
        let v = l.x(t);
        l.store(m, addr, v);
    }
    writeback(l, mode, n, addr, simm9);
}

/// Load `m` at `addr` into Xt, or into Vt when `fp` (a scalar load zeroes the
/// rest of the register).
fn load_into(l: &mut Lifter, t: u32, m: MemOp, fp: bool, addr: Value) {
    let v = l.load(m, addr);
    match (fp, m.size) {
        (false, _) => l.set_x(t, v),
        (true, 16) => l.set_vec(t, v),
        (true, _) => l.set_vscalar(t, v),
    }
}

fn writeback(l: &mut Lifter, mode: Mode, n: u32, addr: Value, off: u64) {
    match mode {
        Mode::Pre => l.set_xsp(n, addr),
        Mode::Post => {
            let a = l.bin_c(Op::Add, addr, off);
            l.set_xsp(n, a);
        }
        _ => {}
    }
}

fn pair(l: &mut Lifter, w: u32, mode: Mode, base: &str) {
    let t = rd(w);
    let t2 = rt2(w);
    let n = rn(w);
    let x = base.ends_with('x');
    let scale = if x { 3 } else { 2 };
    let off = (sign_extend(bits(w, 15, 7) as u64, 7) << scale) as u64;
    let b = l.xsp(n);
    let addr = if mode == Mode::Post {
        b
    } else {
        l.bin_c(Op::Add, b, off)
    };
    match base {
        "STP_w" => {
            let lo = l.x(t);
            let lo = l.un(Op::Zext32, lo);
            let hi = l.x(t2);
            let hi = l.bin_c(Op::Shl, hi, 32);
            let v = l.bin(Op::Or, lo, hi);
            l.store(MemOp::new(8, Extend::Zero), addr, v);
        }
        "STP_x" => {
            let lo = l.x(t);
            let hi = l.x(t2);
            let v = l.bin(Op::Pack128, lo, hi);
            l.store(MemOp::new(16, Extend::Zero), addr, v);
        }
        "LDP_x" => {
            let v = l.load(MemOp::new(16, Extend::Zero), addr);
            let lo = l.un(Op::Lo128, v);
            let hi = l.un(Op::Hi128, v);
            // rt2 first, rt last: with rt == rt2 the register gets the first value.
            l.set_x(t2, hi);
            l.set_x(t, lo);
        }
        _ => {
            // LDP_w, LDPSW: one 8-byte access.
            let v = l.load(MemOp::new(8, Extend::Zero), addr);
            let hi = l.bin_c(Op::Lshr, v, 32);
            let ext = if base == "LDPSW" {
                Op::Sext32
            } else {
                Op::Zext32
            };
            let lo = l.un(ext, v);
            let hi = if base == "LDPSW" {
                l.un(Op::Sext32, hi)
            } else {
                hi
            };
            l.set_x(t2, hi);
            l.set_x(t, lo);
        }
    }
    writeback(l, mode, n, addr, off);
}

/// LDP/STP/LDNP/STNP of S, D and Q registers: one access of the whole pair
/// (so a fault changes nothing); a load writes Vt first, then Vt2.
fn fp_pair(l: &mut Lifter, w: u32, mode: Mode, base: &str) {
    let t = rd(w);
    let t2 = rt2(w);
    let n = rn(w);
    let scale = match base.as_bytes()[4] {
        b's' => 2,
        b'd' => 3,
        _ => 4,
    };
    let off = (sign_extend(bits(w, 15, 7) as u64, 7) << scale) as u64;
    let b = l.xsp(n);
    let addr = if mode == Mode::Post {
        b
    } else {
        l.bin_c(Op::Add, b, off)
    };
    let store = base.starts_with("ST");
    match (store, scale) {
        (true, 2) => {
            let lo = l.vlo(t);
            let lo = l.un(Op::Zext32, lo);
            let hi = l.vlo(t2);
            let hi = l.bin_c(Op::Shl, hi, 32);
            let v = l.bin(Op::Or, lo, hi);
            l.store(MemOp::new(8, Extend::Zero), addr, v);
        }
        (true, 3) => {
            let lo = l.vlo(t);
            let hi = l.vlo(t2);
            let v = l.bin(Op::Pack128, lo, hi);
            l.store(MemOp::new(16, Extend::Zero), addr, v);
        }
        (true, _) => {
            // 32 bytes: checked first, then written as two halves that can
            // no longer fault.
            l.b.push(Op::ProbeWrite, &[Arg::Imm(32), Arg::Val(addr)]);
            let a = l.get_vec(t);
            l.store(MemOp::new(16, Extend::Zero), addr, a);
            let a2 = l.bin_c(Op::Add, addr, 16);
            let c = l.get_vec(t2);
            l.store(MemOp::new(16, Extend::Zero), a2, c);
        }
        (false, 2) => {
            let v = l.load(MemOp::new(8, Extend::Zero), addr);
            let lo = l.un(Op::Zext32, v);
            let hi = l.bin_c(Op::Lshr, v, 32);
            l.set_vscalar(t, lo);
            l.set_vscalar(t2, hi);
        }
        (false, 3) => {
            let v = l.load(MemOp::new(16, Extend::Zero), addr);
            let lo = l.un(Op::Lo128, v);
            let hi = l.un(Op::Hi128, v);
            l.set_vscalar(t, lo);
            l.set_vscalar(t2, hi);
        }
        (false, _) => {
            let a = l.load(MemOp::new(16, Extend::Zero), addr);
            let a2 = l.bin_c(Op::Add, addr, 16);
            let c = l.load(MemOp::new(16, Extend::Zero), a2);
            l.set_vec(t, a);
            l.set_vec(t2, c);
        }
    }
    writeback(l, mode, n, addr, off);
}
