//! Data processing (register): logical and add/sub (shifted, extended),
//! conditional compare and select, variable shifts, multiply, divide,
//! CLZ/RBIT/REV. Semantics as `kvrm_cpu::exec::dp_reg`. ADC/SBC, CLS,
//! REV16/REV32 and CRC32 use the fallback.

use kvrm_isa::decode::{bit, bits, rd, rm, rn};

use super::dp_imm::flags_op;
use super::{Lifted, Lifter};
use crate::block::{Arg, Value};
use crate::opcodes::Op;

pub(crate) fn lift(l: &mut Lifter, name: &str, w: u32) -> Lifted {
    let sf = bit(w, 31);
    match name {
        "AND_shreg" | "BIC_shreg" | "ORR_shreg" | "ORN_shreg" | "EOR_shreg" | "EON_shreg"
        | "ANDS_shreg" | "BICS_shreg" => {
            let amount = bits(w, 10, 6);
            if !sf && amount >= 32 {
                return Lifted::No;
            }
            let x = l.x(rn(w));
            let m = l.x(rm(w));
            let mut y = shift_reg(l, m, bits(w, 22, 2), amount, sf);
            if bit(w, 21) {
                y = l.un(Op::Not, y);
            }
            let opc = bits(w, 29, 2);
            let op = match opc {
                1 => Op::Or,
                2 => Op::Xor,
                _ => Op::And,
            };
            let r = l.bin(op, x, y);
            let r = l.width(r, sf);
            if opc == 3 {
                let f = l.un(if sf { Op::LogicFlags } else { Op::LogicFlags32 }, r);
                l.set_nzcv(f);
            }
            l.set_x(rd(w), r);
        }
        "ADD_shreg" | "ADDS_shreg" | "SUB_shreg" | "SUBS_shreg" => {
            let shift_type = bits(w, 22, 2);
            let amount = bits(w, 10, 6);
            if shift_type == 3 || (!sf && amount >= 32) {
                return Lifted::No;
            }
            let x = l.x(rn(w));
            let m = l.x(rm(w));
            let y = shift_reg(l, m, shift_type, amount, sf);
            add_sub(l, w, x, y, sf, false);
        }
        "ADD_extreg" | "ADDS_extreg" | "SUB_extreg" | "SUBS_extreg" => {
            let shift = bits(w, 10, 3);
            if shift > 4 {
                return Lifted::No;
            }
            let x = l.xsp(rn(w));
            let m = l.x(rm(w));
            let e = match bits(w, 13, 3) {
                0 => l.un(Op::Zext8, m),
                1 => l.un(Op::Zext16, m),
                2 => l.un(Op::Zext32, m),
                4 => l.un(Op::Sext8, m),
                5 => l.un(Op::Sext16, m),
                6 => l.un(Op::Sext32, m),
                _ => m,
            };
            let y = if shift == 0 {
                e
            } else {
                l.bin_c(Op::Shl, e, shift as u64)
            };
            add_sub(l, w, x, y, sf, true);
        }
        "CCMN_reg" | "CCMP_reg" | "CCMN_imm" | "CCMP_imm" => {
            let holds = l.cond(bits(w, 12, 4));
            let x = l.x(rn(w));
            let y = if bit(w, 11) {
                l.c(bits(w, 16, 5) as u64)
            } else {
                l.x(rm(w))
            };
            let cmp = l.bin(flags_op(bit(w, 30), sf), x, y);
            let other =
                l.b.push(Op::ConstNzcv, &[Arg::Imm((bits(w, 0, 4) as u64) << 28)]);
            let f = l.b.push(
                Op::SelectNzcv,
                &[Arg::Val(holds), Arg::Val(cmp), Arg::Val(other)],
            );
            l.set_nzcv(f);
        }
        "CSEL" | "CSINC" | "CSINV" | "CSNEG" => {
            let holds = l.cond(bits(w, 12, 4));
            let a = l.x(rn(w));
            let mut b = l.x(rm(w));
            if bit(w, 30) {
                b = l.un(Op::Not, b);
            }
            if bit(w, 10) {
                b = l.bin_c(Op::Add, b, 1);
            }
            let r =
                l.b.push(Op::Select, &[Arg::Val(holds), Arg::Val(a), Arg::Val(b)]);
            let r = l.width(r, sf);
            l.set_x(rd(w), r);
        }
        "RBIT" | "REV_32" | "REV_64" | "CLZ" => {
            let x = l.x(rn(w));
            let r = match (name, sf) {
                ("RBIT", true) => l.un(Op::Rbit, x),
                ("RBIT", false) => {
                    let r = l.un(Op::Rbit, x);
                    l.bin_c(Op::Lshr, r, 32)
                }
                ("REV_64", _) => l.un(Op::Rev, x),
                ("REV_32", _) => {
                    let r = l.un(Op::Rev, x);
                    l.bin_c(Op::Lshr, r, 32)
                }
                (_, true) => l.un(Op::Clz, x),
                (_, false) => {
                    let x = l.un(Op::Zext32, x);
                    let r = l.un(Op::Clz, x);
                    l.bin_c(Op::Sub, r, 32)
                }
            };
            l.set_x(rd(w), r);
        }
        "UDIV" | "SDIV" => {
            let n = l.x(rn(w));
            let m = l.x(rm(w));
            let r = match (name, sf) {
                ("UDIV", true) => l.bin(Op::UDiv, n, m),
                ("UDIV", false) => {
                    let n = l.un(Op::Zext32, n);
                    let m = l.un(Op::Zext32, m);
                    l.bin(Op::UDiv, n, m)
                }
                (_, true) => l.bin(Op::SDiv, n, m),
                (_, false) => {
                    // 32-bit MIN / -1 = 2^31 in 64 bits, which truncates to MIN.
                    let n = l.un(Op::Sext32, n);
                    let m = l.un(Op::Sext32, m);
                    let q = l.bin(Op::SDiv, n, m);
                    l.un(Op::Zext32, q)
                }
            };
            l.set_x(rd(w), r);
        }
        "LSLV" | "LSRV" | "ASRV" | "RORV" => {
            let x = l.x(rn(w));
            let amount = l.x(rm(w));
            let r = if sf {
                let op = [Op::Shl, Op::Lshr, Op::Ashr, Op::Ror][bits(w, 10, 2) as usize];
                l.bin(op, x, amount)
            } else {
                let a = l.bin_c(Op::And, amount, 31);
                match bits(w, 10, 2) {
                    0 => {
                        let r = l.bin(Op::Shl, x, a);
                        l.un(Op::Zext32, r)
                    }
                    1 => {
                        let x = l.un(Op::Zext32, x);
                        l.bin(Op::Lshr, x, a)
                    }
                    2 => {
                        let x = l.un(Op::Sext32, x);
                        let r = l.bin(Op::Ashr, x, a);
                        l.un(Op::Zext32, r)
                    }
                    _ => l.bin(Op::Ror32, x, a),
                }
            };
            l.set_x(rd(w), r);
        }
        "MADD" | "MSUB" | "SMADDL" | "SMSUBL" | "UMADDL" | "UMSUBL" => {
            let a = l.x(bits(w, 10, 5));
            let mut n = l.x(rn(w));
            let mut m = l.x(rm(w));
            let long = !matches!(name, "MADD" | "MSUB");
            if long {
                let ext = if bit(w, 23) { Op::Zext32 } else { Op::Sext32 };
                n = l.un(ext, n);
                m = l.un(ext, m);
            }
            let p = l.bin(Op::Mul, n, m);
            let r = l.bin(if bit(w, 15) { Op::Sub } else { Op::Add }, a, p);
            let r = if long { r } else { l.width(r, sf) };
            l.set_x(rd(w), r);
        }
        "SMULH" | "UMULH" => {
            let n = l.x(rn(w));
            let m = l.x(rm(w));
            let r = l.bin(if bit(w, 23) { Op::UMulH } else { Op::SMulH }, n, m);
            l.set_x(rd(w), r);
        }
        _ => return Lifted::No,
    }
    Lifted::Next
}

/// ADD/ADDS/SUB/SUBS of `x` and the second operand `y`; `sp_dest`: rd is SP
/// unless flags are set (the extended-register form).
fn add_sub(l: &mut Lifter, w: u32, x: Value, y: Value, sf: bool, sp_dest: bool) {
    let sub = bit(w, 30);
    let r = l.bin(if sub { Op::Sub } else { Op::Add }, x, y);
    let r = l.width(r, sf);
    if bit(w, 29) {
        let f = l.bin(flags_op(sub, sf), x, y);
        l.set_nzcv(f);
        l.set_x(rd(w), r);
    } else if sp_dest {
        l.set_xsp(rd(w), r);
    } else {
        l.set_x(rd(w), r);
    }
}

/// `ShiftReg(x, type, amount)` of the width (amount < width), result of the
/// width zero-extended for 32 bits except where the caller masks anyway.
pub(crate) fn shift_reg(l: &mut Lifter, x: Value, ty: u32, amount: u32, sf: bool) -> Value {
    if amount == 0 {
        return x;
    }
    let a = amount as u64;
    if sf {
        let op = [Op::Shl, Op::Lshr, Op::Ashr, Op::Ror][ty as usize];
        return l.bin_c(op, x, a);
    }
    match ty {
        0 => {
            let r = l.bin_c(Op::Shl, x, a);
            l.un(Op::Zext32, r)
        }
        1 => {
            let x = l.un(Op::Zext32, x);
            l.bin_c(Op::Lshr, x, a)
        }
        2 => {
            let x = l.un(Op::Sext32, x);
            let r = l.bin_c(Op::Ashr, x, a);
            l.un(Op::Zext32, r)
        }
        _ => l.bin_c(Op::Ror32, x, a),
    }
}
