//! Host fast paths for floating point in compiled code.
//!
//! - `Op::Exec` instructions: FADD, FSUB, FMUL, FNMUL, FDIV, FSQRT, the
//!   fused FMADD, FMSUB, FNMADD, FNMSUB, FRINTN/P/M/Z and FCVT between
//!   single and double on scalars; FADD, FSUB, FMUL, FDIV, FMLA and FMLS on
//!   full vectors (4S, 2D), and FMUL, FMLA, FMLS by element on them; FABS and
//!   FNEG on scalars (bit operations that never raise a flag).
//! - The IR's FCMP/FCMPE (`Op::FpCmp`), FCVTZS/FCVTZU to a general register
//!   (`Op::FpToInt`) and SCVTF/UCVTF from one (`Op::FpFromInt`).
//!
//! Host IEEE arithmetic rounds to nearest as the Arm ARM does, so its result
//! is the guest's whenever FPCR asks for nothing else (no FZ, DN, AHP,
//! directed rounding or trap enables) and the result and operands lie in a
//! range where nothing is special: no NaN to propagate, no infinity, no
//! zero whose sign a rule picks, no tiny or overflowing value. The only
//! flag left to raise is IXC, and an exact error term says whether to:
//! TwoSum for sums, an FMA residual for products, quotients and square
//! roots (the range keeps those terms above the smallest subnormal). A fused
//! multiply-add whose product is itself inexact leaves the question open;
//! it takes the fast path only when FPSR has IXC already (the flags are
//! sticky, so either answer leaves FPSR as it is). Everything else (special
//! operands or results, other FPCR settings) calls the interpreter's
//! handler, which `JitStats::fp_handler_runs` counts.

use cranelift_codegen::ir::condcodes::{FloatCC, IntCC};
use cranelift_codegen::ir::{self, types, InstBuilder, MemFlagsData, Type};

use kvrm_isa::decode::{bit, bits, decode_a64, rd, rm, rn, table};

use super::super::helpers;
use super::{Emitter, OFF_FPCR, OFF_FPSR, OFF_V};

/// FPCR fields that change results (AHP, DN, FZ, RMode; FEAT_AFP's NEP,
/// AH, FIZ) or could trap (IDE, IXE, UFE, OFE, DZE, IOE): all must be clear
/// for a fast path.
const FPCR_NOT_DEFAULT: i64 = 0x07c0_0000 | 0x9f00 | 0x7;
/// FPSR's cumulative inexact flag.
const FPSR_IXC: i64 = 1 << 4;

/// The arithmetic of a fast path.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Arith {
    Add,
    Sub,
    Mul,
    NegMul,
    Div,
    Sqrt,
    /// `a + n * m`, one rounding; the flags say which operands are negated
    /// first (`-n`, `-a`).
    MulAdd {
        neg_product: bool,
        neg_addend: bool,
    },
    Abs,
    Neg,
    /// FCVT to the other of single and double precision (`ty` is the
    /// source's type).
    Convert,
    /// FRINTN, FRINTP, FRINTM, FRINTZ: to an integral value, no flag.
    RoundNearest,
    RoundUp,
    RoundDown,
    RoundToZero,
}

/// A recognised instruction: the operation, the element type, whether it
/// works on a whole vector, and the registers d, n, m, a.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
struct FastFp {
    op: Arith,
    ty: Type,
    vector: bool,
    regs: [u32; 4],
    /// By element: m's lane that every lane of n meets.
    elem: Option<u8>,
}

/// Which fast path, if any, the word `w` (an `Op::Exec` instruction) has:
/// the decode table names the instruction, its fields say the rest.
fn recognise(w: u32) -> Option<FastFp> {
    let name = table().name(decode_a64(w)?);
    let regs = [rd(w), rn(w), rm(w), bits(w, 10, 5)];
    let fused = |neg_product, neg_addend| Arith::MulAdd {
        neg_product,
        neg_addend,
    };
    let scalar_op = match name {
        "FMUL_s" => Some(Arith::Mul),
        "FDIV_s" => Some(Arith::Div),
        "FADD_s" => Some(Arith::Add),
        "FSUB_s" => Some(Arith::Sub),
        "FNMUL_s" => Some(Arith::NegMul),
        "FSQRT_s" => Some(Arith::Sqrt),
        "FABS_s" => Some(Arith::Abs),
        "FNEG_s" => Some(Arith::Neg),
        // FMSUB a - n*m, FNMADD -a - n*m, FNMSUB -a + n*m.
        "FMADD" => Some(fused(false, false)),
        "FMSUB" => Some(fused(true, false)),
        "FNMADD" => Some(fused(true, true)),
        "FNMSUB" => Some(fused(false, true)),
        // FRINTN, FRINTP, FRINTM, FRINTZ (not A, X, I).
        "FRINT_s" => match bits(w, 15, 3) {
            0 => Some(Arith::RoundNearest),
            1 => Some(Arith::RoundUp),
            2 => Some(Arith::RoundDown),
            3 => Some(Arith::RoundToZero),
            _ => None,
        },
        // Between single and double (opc, bits 15-16: the result's type).
        "FCVT_s" if bits(w, 15, 2) ^ bits(w, 22, 2) == 1 => Some(Arith::Convert),
        _ => None,
    };
    if let Some(op) = scalar_op {
        return scalar_type(w).map(|ty| FastFp {
            op,
            ty,
            vector: false,
            regs,
            elem: None,
        });
    }
    let op = match name {
        "FMLA_v" | "FMLA_elem" => fused(false, false),
        "FMLS_v" | "FMLS_elem" => fused(true, false),
        "FADD_v" => Arith::Add,
        "FSUB_v" => Arith::Sub,
        "FMUL_v" | "FMUL_elem" => Arith::Mul,
        "FDIV_v" => Arith::Div,
        _ => return None,
    };
    // Q = 1 only: a 64-bit vector would need its upper half cleared and
    // its unused lanes left out of the checks.
    if !bit(w, 30) {
        return None;
    }
    let double = bit(w, 22);
    let ty = if double { types::F64X2 } else { types::F32X4 };
    let elem = if name.ends_with("_elem") {
        // H, or H:L for singles; L set for doubles is reserved.
        let (h, l) = (bits(w, 11, 1), bits(w, 21, 1));
        match (double, l) {
            (false, _) => Some((h << 1 | l) as u8),
            (true, 0) => Some(h as u8),
            (true, _) => return None,
        }
    } else {
        None
    };
    // FMLA/FMLS accumulate into d.
    Some(FastFp {
        op,
        ty,
        vector: true,
        regs: [regs[0], regs[1], regs[2], regs[0]],
        elem,
    })
}

/// What `Emitter::fp_host` computed: the result, whether it and the
/// operands are in the safe range (I8), whether it is inexact (I8), and
/// whether `inexact` is known (I8: the fused multiply-add leaves it open
/// when its product is not exact).
struct Host {
    r: ir::Value,
    in_range: ir::Value,
    inexact: ir::Value,
    decided: ir::Value,
}

/// Magnitudes (lowest, highest) for which the error terms are exact: the
/// error of a product of two such numbers is a multiple of 2^(ea + eb -
/// 2p), above the smallest subnormal, and no product or quotient of them
/// overflows.
fn safe_range(ty: Type) -> (f64, f64) {
    if ty.lane_type() == types::F64 {
        (2f64.powi(-480), 2f64.powi(480))
    } else {
        (2f64.powi(-50), 2f64.powi(50))
    }
}

/// The scalar type of an FP instruction's `ftype` field (bits 22-23):
/// single or double; half precision and the reserved type stay with the
/// interpreter.
fn scalar_type(w: u32) -> Option<Type> {
    match (w >> 22) & 3 {
        0 => Some(types::F32),
        1 => Some(types::F64),
        _ => None,
    }
}

/// The FP type and signedness of a conversion between FP and a general
/// register whose rmode:opcode (bits 20:16) is `signed_op` (the unsigned
/// form is `signed_op | 1`), or None for another conversion or FP type.
fn int_conversion(w: u32, signed_op: u32) -> Option<(Type, bool)> {
    let op = bits(w, 16, 5);
    if op & !1 != signed_op {
        return None;
    }
    Some((scalar_type(w)?, op & 1 == 1))
}

/// Whether the host has a fused multiply-add instruction (Cranelift
/// would otherwise call a library routine).
fn host_fma() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("fma")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        cfg!(target_arch = "aarch64")
    }
}

impl Emitter<'_> {
    /// `Op::Exec` of (pc, word): a host fast path where `recognise` knows the
    /// instruction, with the interpreter's handler behind it.
    pub(super) fn exec(&mut self, pc: u64, word: u32) {
        // The error terms need FMA: a host without it runs the handler.
        let Some(f) = recognise(word).filter(|_| host_fma()) else {
            self.exec_v(pc, word);
            return;
        };
        if matches!(f.op, Arith::Abs | Arith::Neg) {
            self.fp_sign_op(f);
            return;
        }
        let t = MemFlagsData::trusted();
        let env_ok = self.fpcr_default();
        let fpsr = self.b.ins().load(types::I64, t, self.state, OFF_FPSR);
        let h = self.fp_host(f);
        // A result whose exactness the error terms leave open is fine once
        // FPSR has IXC: then neither answer changes FPSR.
        let ixc = self.b.ins().band_imm_s(fpsr, FPSR_IXC);
        let had_ixc = self.b.ins().icmp_imm_s(IntCC::NotEqual, ixc, 0);
        let known = self.b.ins().bor(h.decided, had_ixc);
        let ok = self.b.ins().band(env_ok, h.in_range);
        let ok = self.b.ins().band(ok, known);
        let host = self.b.create_block();
        let slow = self.b.create_block();
        let join = self.b.create_block();
        self.b.set_cold_block(slow);
        self.b.ins().brif(ok, host, &[], slow, &[]);
        self.b.switch_to_block(host);
        self.store_fp(f, h.r);
        self.raise_inexact(h.inexact);
        self.b.ins().jump(join, &[]);
        self.b.switch_to_block(slow);
        self.exec_v(pc, word);
        self.b.ins().jump(join, &[]);
        self.b.switch_to_block(join);
    }

    /// `Op::FpCmp` (FCMP, FCMPE of word `w` on the bits `a`, `b`): the
    /// packed NZCV. Ordered operands compare on the host and raise no flag;
    /// NaNs (IOC for FCMPE or a signalling one) and a non-default FPCR (FZ
    /// flushes subnormals) call the interpreter's compare.
    pub(super) fn fp_cmp(&mut self, w: u32, a: ir::Value, b: ir::Value) -> ir::Value {
        let helper = |e: &mut Self| e.fp_helper(helpers::fp_cmp as *const (), w, &[a, b]);
        let Some(ty) = scalar_type(w) else {
            return helper(self);
        };
        let x = self.bits_to_fp(ty, a);
        let y = if w & (1 << 3) != 0 {
            self.fp_splat(ty, 0.0)
        } else {
            self.bits_to_fp(ty, b)
        };
        let ordered = self.b.ins().fcmp(FloatCC::Ordered, x, y);
        let lt = self.b.ins().fcmp(FloatCC::LessThan, x, y);
        let eq = self.b.ins().fcmp(FloatCC::Equal, x, y);
        // N; Z and C; C.
        let (n, zc, c) = (
            self.iconst(0x8 << 28),
            self.iconst(0x6 << 28),
            self.iconst(0x2 << 28),
        );
        let ge = self.b.ins().select(eq, zc, c);
        let nzcv = self.b.ins().select(lt, n, ge);
        let env_ok = self.fpcr_default();
        let ok = self.b.ins().band(env_ok, ordered);
        self.fast_or_helper(ok, nzcv, None, helper)
    }

    /// `Op::FpToInt` of word `w` on the bits `x`: FCVTZS and FCVTZU to a
    /// 32- or 64-bit register on the host when the truncated value fits
    /// (inexact, IXC, when it had a fraction); the other roundings, NaNs,
    /// values out of range and a non-default FPCR call the interpreter.
    pub(super) fn fp_to_int(&mut self, w: u32, x: ir::Value) -> ir::Value {
        let helper = |e: &mut Self| e.fp_helper(helpers::fp_to_int as *const (), w, &[x]);
        // FCVTZS/FCVTZU: rmode:opcode 11:00x.
        let Some((ty, unsigned)) = int_conversion(w, 0b11000) else {
            return helper(self);
        };
        let bits = if w >> 31 == 1 { 64 } else { 32 };
        let v = self.bits_to_fp(ty, x);
        // Signed: |v| < 2^(bits-1); unsigned: 0 <= v < 2^bits (-0 included).
        let top = 2f64.powi(bits - i32::from(!unsigned));
        let hi = self.fp_splat(ty, top);
        let below = self.b.ins().fcmp(FloatCC::LessThan, v, hi);
        let above = if unsigned {
            let zero = self.fp_splat(ty, 0.0);
            self.b.ins().fcmp(FloatCC::GreaterThanOrEqual, v, zero)
        } else {
            let lo = self.fp_splat(ty, -top);
            self.b.ins().fcmp(FloatCC::GreaterThan, v, lo)
        };
        let in_range = self.b.ins().band(below, above);
        let int = if bits == 64 { types::I64 } else { types::I32 };
        let (r, back) = if unsigned {
            let r = self.b.ins().fcvt_to_uint_sat(int, v);
            (r, self.b.ins().fcvt_from_uint(ty, r))
        } else {
            let r = self.b.ins().fcvt_to_sint_sat(int, v);
            (r, self.b.ins().fcvt_from_sint(ty, r))
        };
        // The truncated value converts back exactly (it is below 2^24 or
        // the operand itself), so it differs from v only for a fraction.
        let inexact = self.b.ins().fcmp(FloatCC::NotEqual, back, v);
        let r = if bits == 32 {
            self.b.ins().uextend(types::I64, r)
        } else {
            r
        };
        let env_ok = self.fpcr_default();
        let ok = self.b.ins().band(env_ok, in_range);
        self.fast_or_helper(ok, r, Some(inexact), helper)
    }

    /// `Op::FpFromInt` of word `w` on the register value `x`: SCVTF and
    /// UCVTF on the host when the conversion is exact (the integer below
    /// 2^24 for single, 2^53 for double), so no flag and no rounding mode
    /// matter; larger integers call the interpreter.
    pub(super) fn fp_from_int(&mut self, w: u32, x: ir::Value) -> ir::Value {
        let helper = |e: &mut Self| e.fp_helper(helpers::fp_from_int as *const (), w, &[x]);
        // SCVTF/UCVTF: rmode:opcode 00:01x.
        let Some((ty, unsigned)) = int_conversion(w, 0b00010) else {
            return helper(self);
        };
        let src = if w >> 31 == 1 {
            x
        } else if unsigned {
            self.zext32(x)
        } else {
            self.sext(x, 32)
        };
        let limit: i64 = if ty == types::F32 { 1 << 24 } else { 1 << 53 };
        let fits = if unsigned {
            self.b.ins().icmp_imm_s(IntCC::UnsignedLessThan, src, limit)
        } else {
            // -limit < src < limit: src + limit below 2 * limit, unsigned.
            let shifted = self.b.ins().iadd_imm_s(src, limit);
            self.b
                .ins()
                .icmp_imm_s(IntCC::UnsignedLessThan, shifted, 2 * limit)
        };
        let v = if unsigned {
            self.b.ins().fcvt_from_uint(ty, src)
        } else {
            self.b.ins().fcvt_from_sint(ty, src)
        };
        let r = self.fp_to_bits(v);
        self.fast_or_helper(fits, r, None, helper)
    }

    /// `fast` (an I64) where `ok`, raising IXC there if `inexact` (I8) says
    /// so; else what `helper` emits returns.
    fn fast_or_helper(
        &mut self,
        ok: ir::Value,
        fast: ir::Value,
        inexact: Option<ir::Value>,
        helper: impl FnOnce(&mut Self) -> ir::Value,
    ) -> ir::Value {
        let host = self.b.create_block();
        let slow = self.b.create_block();
        let join = self.b.create_block();
        let out = self.b.append_block_param(join, types::I64);
        self.b.set_cold_block(slow);
        self.b.ins().brif(ok, host, &[], slow, &[]);
        self.b.switch_to_block(host);
        if let Some(inexact) = inexact {
            self.raise_inexact(inexact);
        }
        self.b.ins().jump(join, &[ir::BlockArg::Value(fast)]);
        self.b.switch_to_block(slow);
        let h = helper(self);
        self.b.ins().jump(join, &[ir::BlockArg::Value(h)]);
        self.b.switch_to_block(join);
        out
    }

    /// The soft-float helper `f(ctx, w, args...)` of the instruction `w`.
    fn fp_helper(&mut self, f: *const (), w: u32, args: &[ir::Value]) -> ir::Value {
        let sig = if args.len() == 1 {
            self.sigs.call3
        } else {
            self.sigs.call4
        };
        let mut all = vec![self.iconst(u64::from(w))];
        all.extend_from_slice(args);
        self.call(sig, f, &all)
    }

    /// 1 when FPCR holds its defaults (see `FPCR_NOT_DEFAULT`).
    fn fpcr_default(&mut self) -> ir::Value {
        let t = MemFlagsData::trusted();
        let fpcr = self.b.ins().load(types::I64, t, self.state, OFF_FPCR);
        let odd = self.b.ins().band_imm_s(fpcr, FPCR_NOT_DEFAULT);
        self.b.ins().icmp_imm_s(IntCC::Equal, odd, 0)
    }

    /// FPSR.IXC |= `inexact` (I8).
    fn raise_inexact(&mut self, inexact: ir::Value) {
        let t = MemFlagsData::trusted();
        let fpsr = self.b.ins().load(types::I64, t, self.state, OFF_FPSR);
        let inexact = self.b.ins().uextend(types::I64, inexact);
        let flag = self.b.ins().ishl_imm_s(inexact, 4);
        let fpsr = self.b.ins().bor(fpsr, flag);
        self.b.ins().store(t, fpsr, self.state, OFF_FPSR);
    }

    /// The scalar of type `ty` in the low bits of the I64 `bits`.
    fn bits_to_fp(&mut self, ty: Type, bits: ir::Value) -> ir::Value {
        let bits = if ty == types::F32 {
            self.b.ins().ireduce(types::I32, bits)
        } else {
            bits
        };
        self.b.ins().bitcast(ty, MemFlagsData::new(), bits)
    }

    /// The bits of scalar `v`, zero-extended to an I64.
    fn fp_to_bits(&mut self, v: ir::Value) -> ir::Value {
        let ty = self.b.func.dfg.value_type(v);
        let bits = self.b.ins().bitcast(ty.as_int(), MemFlagsData::new(), v);
        if ty == types::F32 {
            self.b.ins().uextend(types::I64, bits)
        } else {
            bits
        }
    }

    fn vreg_off(r: u32) -> i32 {
        OFF_V + 16 * r as i32
    }

    /// Register `r` as `ty`. A vector is loaded as its two 64-bit halves,
    /// as the IR stores them (`Op::SetVec`): one 16-byte load of two
    /// 8-byte stores just made would wait for them to reach the cache.
    fn load_fp(&mut self, ty: Type, r: u32) -> ir::Value {
        let t = MemFlagsData::trusted();
        let off = Self::vreg_off(r);
        if !ty.is_vector() {
            return self.b.ins().load(ty, t, self.state, off);
        }
        let lo = self.b.ins().load(types::I64, t, self.state, off);
        let hi = self.b.ins().load(types::I64, t, self.state, off + 8);
        let v = self.b.ins().scalar_to_vector(types::I64X2, lo);
        let v = self.b.ins().insertlane(v, hi, 1);
        let little = MemFlagsData::new().with_endianness(ir::Endianness::Little);
        self.b.ins().bitcast(ty, little, v)
    }

    /// The host result of `f` on its registers, whether it and the operands
    /// are in the range where the error terms are exact, and whether it is
    /// inexact (where `decided`).
    fn fp_host(&mut self, f: FastFp) -> Host {
        let [_, n, m, a] = f.regs;
        let x = self.load_fp(f.ty, n);
        let yes = self.b.ins().iconst(types::I8, 1);
        let flagless = match f.op {
            // FRINTN/P/M/Z raise no flag.
            Arith::RoundNearest => Some(self.b.ins().nearest(x)),
            Arith::RoundUp => Some(self.b.ins().ceil(x)),
            Arith::RoundDown => Some(self.b.ins().floor(x)),
            Arith::RoundToZero => Some(self.b.ins().trunc(x)),
            // Widening is exact.
            Arith::Convert if f.ty == types::F32 => Some(self.b.ins().fpromote(types::F64, x)),
            _ => None,
        };
        if let Some(r) = flagless {
            // Only a NaN operand needs the rules.
            return Host {
                r,
                in_range: self.b.ins().fcmp(FloatCC::Ordered, x, x),
                inexact: self.b.ins().iconst(types::I8, 0),
                decided: yes,
            };
        }
        if f.op == Arith::Convert {
            // Narrowing: a normal single above the smallest normal (so
            // not tiny before rounding) and finite; inexact if it
            // does not widen back to the double.
            let r = self.b.ins().fdemote(types::F32, x);
            let mag = self.b.ins().fabs(r);
            let lo = self.b.ins().f32const(f32::MIN_POSITIVE);
            let hi = self.b.ins().f32const(f32::MAX);
            let above = self.b.ins().fcmp(FloatCC::GreaterThan, mag, lo);
            let below = self.b.ins().fcmp(FloatCC::LessThanOrEqual, mag, hi);
            let back = self.b.ins().fpromote(types::F64, r);
            let inexact = self.b.ins().fcmp(FloatCC::NotEqual, back, x);
            return Host {
                r,
                in_range: self.b.ins().band(above, below),
                inexact,
                decided: yes,
            };
        }
        if f.op == Arith::Sqrt {
            // Negative operands give NaN, outside the range.
            let r = self.b.ins().sqrt(x);
            let nr = self.b.ins().fneg(r);
            let residual = self.b.ins().fma(nr, r, x);
            let ins = [x, r];
            return self.host(f.ty, r, residual, &ins, yes);
        }
        let y = self.load_fp(f.ty, m);
        let y = match f.elem {
            Some(lane) => {
                let e = self.b.ins().extractlane(y, lane);
                self.b.ins().splat(f.ty, e)
            }
            None => y,
        };
        match f.op {
            Arith::Add | Arith::Sub => {
                // TwoSum: s + err is exactly x + y (nothing overflows while s
                // is in range); the operands may be anything finite.
                let y = if f.op == Arith::Sub {
                    self.b.ins().fneg(y)
                } else {
                    y
                };
                let s = self.b.ins().fadd(x, y);
                let err = self.two_sum_err(x, y, s);
                self.host(f.ty, s, err, &[s], yes)
            }
            Arith::Mul | Arith::NegMul => {
                let p = self.b.ins().fmul(x, y);
                let np = self.b.ins().fneg(p);
                let err = self.b.ins().fma(x, y, np);
                let r = if f.op == Arith::NegMul { np } else { p };
                self.host(f.ty, r, err, &[x, y, p], yes)
            }
            Arith::Div => {
                let q = self.b.ins().fdiv(x, y);
                let nq = self.b.ins().fneg(q);
                let residual = self.b.ins().fma(nq, y, x);
                self.host(f.ty, q, residual, &[x, y, q], yes)
            }
            Arith::MulAdd {
                neg_product,
                neg_addend,
            } => {
                let z = self.load_fp(f.ty, a);
                let x = if neg_product { self.b.ins().fneg(x) } else { x };
                let z = if neg_addend { self.b.ins().fneg(z) } else { z };
                let r = self.b.ins().fma(x, y, z);
                // With the product exact (p_lo = 0) the result is p + z
                // rounded, inexact by TwoSum's error; otherwise undecided.
                let p = self.b.ins().fmul(x, y);
                let np = self.b.ins().fneg(p);
                let p_lo = self.b.ins().fma(x, y, np);
                let err = self.two_sum_err(p, z, r);
                let product_exact = self.all_zero(f.ty, p_lo);
                self.host(f.ty, r, err, &[x, y, z, p, r], product_exact)
            }
            _ => unreachable!("handled above"),
        }
    }

    /// The error of `s = x + y` (TwoSum: exactly x + y - s).
    fn two_sum_err(&mut self, x: ir::Value, y: ir::Value, s: ir::Value) -> ir::Value {
        let bb = self.b.ins().fsub(s, x);
        let s_bb = self.b.ins().fsub(s, bb);
        let dx = self.b.ins().fsub(x, s_bb);
        let dy = self.b.ins().fsub(y, bb);
        self.b.ins().fadd(dx, dy)
    }

    /// `Host` of result `r` with error term `err` (zero iff exact when
    /// `decided`), checking that every value of `in_range` is in range.
    fn host(
        &mut self,
        ty: Type,
        r: ir::Value,
        err: ir::Value,
        in_range: &[ir::Value],
        decided: ir::Value,
    ) -> Host {
        let mut ok = self.b.ins().iconst(types::I8, 1);
        for &v in in_range {
            let v_ok = self.in_safe_range(ty, v);
            ok = self.b.ins().band(ok, v_ok);
        }
        let exact = self.all_zero(ty, err);
        let inexact = self.b.ins().bxor_imm_s(exact, 1);
        Host {
            r,
            in_range: ok,
            inexact,
            decided,
        }
    }

    /// 1 when every element of `v` is zero.
    fn all_zero(&mut self, ty: Type, v: ir::Value) -> ir::Value {
        let zero = self.fp_splat(ty, 0.0);
        let eq = self.b.ins().fcmp(FloatCC::Equal, v, zero);
        if ty.is_vector() {
            self.b.ins().vall_true(eq)
        } else {
            eq
        }
    }

    /// `k` in `ty` (every lane of a vector).
    fn fp_splat(&mut self, ty: Type, k: f64) -> ir::Value {
        let c = if ty.lane_type() == types::F64 {
            self.b.ins().f64const(k)
        } else {
            self.b.ins().f32const(k as f32)
        };
        if ty.is_vector() {
            self.b.ins().splat(ty, c)
        } else {
            c
        }
    }

    /// 1 when every element of `v` has a magnitude in `safe_range`: normal,
    /// finite, and far enough from both ends that products, quotients and
    /// their error terms neither overflow nor underflow.
    fn in_safe_range(&mut self, ty: Type, v: ir::Value) -> ir::Value {
        let (lo, hi) = safe_range(ty);
        let lo = self.fp_splat(ty, lo);
        let hi = self.fp_splat(ty, hi);
        let mag = self.b.ins().fabs(v);
        let above = self.b.ins().fcmp(FloatCC::GreaterThanOrEqual, mag, lo);
        let below = self.b.ins().fcmp(FloatCC::LessThanOrEqual, mag, hi);
        let both = self.b.ins().band(above, below);
        if ty.is_vector() {
            self.b.ins().vall_true(both)
        } else {
            both
        }
    }

    /// Write `r` to d: a scalar clears the rest of the register.
    fn store_fp(&mut self, f: FastFp, r: ir::Value) {
        let t = MemFlagsData::trusted();
        let off = Self::vreg_off(f.regs[0]);
        if f.vector {
            self.b.ins().store(t, r, self.state, off);
            return;
        }
        // (A conversion's result has the other type.)
        let lo = self.fp_to_bits(r);
        let zero = self.iconst(0);
        self.b.ins().store(t, lo, self.state, off);
        self.b.ins().store(t, zero, self.state, off + 8);
    }

    /// FABS and FNEG (scalar): the sign bit cleared or flipped, never a flag.
    fn fp_sign_op(&mut self, f: FastFp) {
        let t = MemFlagsData::trusted();
        let sign: u64 = if f.ty == types::F64 { 1 << 63 } else { 1 << 31 };
        let width_mask: u64 = if f.ty == types::F64 {
            u64::MAX
        } else {
            u32::MAX as u64
        };
        let x = self
            .b
            .ins()
            .load(types::I64, t, self.state, Self::vreg_off(f.regs[1]));
        let r = if f.op == Arith::Abs {
            self.b.ins().band_imm_s(x, (width_mask & !sign) as i64)
        } else {
            let x = self.b.ins().band_imm_s(x, width_mask as i64);
            self.b.ins().bxor_imm_s(x, sign as i64)
        };
        let zero = self.iconst(0);
        let off = Self::vreg_off(f.regs[0]);
        self.b.ins().store(t, r, self.state, off);
        self.b.ins().store(t, zero, self.state, off + 8);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_the_arithmetic_it_handles() {
        // fmul d0, d1, d2
        let f = recognise(0x1e62_0820).expect("fmul d");
        assert_eq!(
            (f.op, f.ty, f.regs[..3].to_vec()),
            (Arith::Mul, types::F64, vec![0, 1, 2])
        );
        // fadd s3, s4, s5
        assert_eq!(
            recognise(0x1e25_2883).map(|f| (f.op, f.ty)),
            Some((Arith::Add, types::F32))
        );
        // fnmsub d0, d1, d2, d3: -a + n*m
        let f = recognise(0x1f62_8c20).expect("fnmsub");
        assert_eq!(
            f.op,
            Arith::MulAdd {
                neg_product: false,
                neg_addend: true
            }
        );
        assert_eq!(f.regs, [0, 1, 2, 3]);
        // fmsub d0, d1, d2, d3: a - n*m
        let f = recognise(0x1f42_8c20).expect("fmsub");
        assert_eq!(
            f.op,
            Arith::MulAdd {
                neg_product: true,
                neg_addend: false
            }
        );
        // fmla v0.2d, v2.2d, v1.2d
        let f = recognise(0x4e61_cc40).expect("fmla");
        assert_eq!((f.ty, f.vector, f.regs), (types::F64X2, true, [0, 2, 1, 0]));
        // fsqrt d0, d1; fabs s0, s1; fneg d0, d1
        assert_eq!(recognise(0x1e61_c020).map(|f| f.op), Some(Arith::Sqrt));
        assert_eq!(recognise(0x1e20_c020).map(|f| f.op), Some(Arith::Abs));
        assert_eq!(recognise(0x1e61_4020).map(|f| f.op), Some(Arith::Neg));
    }

    #[test]
    fn recognises_by_element_forms() {
        // fmla v0.2d, v1.2d, v2.d[1]; fmla v0.4s, v1.4s, v2.s[3];
        // fmul v0.2d, v1.2d, v18.d[1]; fmla v0.4s, v1.4s, v18.s[1]
        let f = recognise(0x4fc2_1820).expect("fmla 2d");
        assert_eq!(
            (f.ty, f.regs, f.elem),
            (types::F64X2, [0, 1, 2, 0], Some(1))
        );
        let f = recognise(0x4fa2_1820).expect("fmla 4s");
        assert_eq!((f.ty, f.elem), (types::F32X4, Some(3)));
        let f = recognise(0x4fd2_9820).expect("fmul 2d");
        assert_eq!((f.op, f.regs[2], f.elem), (Arith::Mul, 18, Some(1)));
        let f = recognise(0x4fb2_1020).expect("fmla 4s v18");
        assert_eq!((f.regs[2], f.elem), (18, Some(1)));
        // fmla v0.2s (64-bit vector), fmulx (by element), fmla d0 (scalar
        // by element) stay with the interpreter.
        for w in [0x0fa2_1020u32, 0x6fc2_9820, 0x5fc2_1820] {
            assert_eq!(recognise(w), None, "{w:#x}");
        }
    }

    #[test]
    fn leaves_the_rest_to_the_interpreter() {
        // fmla v0.2s (a 64-bit vector), fmax d0, d1, d2, fadd h0 (half),
        // faddp v0.4s, frinta d0, d1.
        for w in [
            0x0e21_cc40u32,
            0x1e62_4820,
            0x1ee2_2820,
            0x6e22_d420,
            0x1e66_4020,
        ] {
            assert_eq!(recognise(w), None, "{w:#x}");
        }
    }
}
