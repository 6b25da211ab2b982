//! Pure opcodes: integer arithmetic, flags and conditions. The meaning of
//! each is `kvrm_ir::opt::eval_pure`; values are I64, U1 is I8 (0/1).

use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{self, types, BlockArg, InstBuilder};
use kvrm_ir::{Arg, Op};

use super::super::helpers::{self, FLAGS_ADD, FLAGS_LOGIC, FLAGS_PACKED, FLAGS_SUB};
use super::{Emitter, Val};

impl Emitter<'_> {
    pub(super) fn pure(&mut self, op: Op, a: &[Arg; 3]) -> ir::Value {
        let x = |e: &Self, i: usize| e.v(a[i]);
        match op {
            Op::Add => self.bin(a, |b, p, q| b.ins().iadd(p, q)),
            Op::Sub => self.bin(a, |b, p, q| b.ins().isub(p, q)),
            Op::Mul => self.bin(a, |b, p, q| b.ins().imul(p, q)),
            Op::UMulH => self.bin(a, |b, p, q| b.ins().umulhi(p, q)),
            Op::SMulH => self.bin(a, |b, p, q| b.ins().smulhi(p, q)),
            Op::And => self.bin(a, |b, p, q| b.ins().band(p, q)),
            Op::Or => self.bin(a, |b, p, q| b.ins().bor(p, q)),
            Op::Xor => self.bin(a, |b, p, q| b.ins().bxor(p, q)),
            // Cranelift takes shift and rotate amounts modulo the width, as the IR does.
            Op::Shl => self.bin(a, |b, p, q| b.ins().ishl(p, q)),
            Op::Lshr => self.bin(a, |b, p, q| b.ins().ushr(p, q)),
            Op::Ashr => self.bin(a, |b, p, q| b.ins().sshr(p, q)),
            Op::Ror => self.bin(a, |b, p, q| b.ins().rotr(p, q)),
            Op::Ror32 => {
                let (p, q) = (x(self, 0), x(self, 1));
                let p = self.b.ins().ireduce(types::I32, p);
                let q = self.b.ins().ireduce(types::I32, q);
                let r = self.b.ins().rotr(p, q);
                self.b.ins().uextend(types::I64, r)
            }
            Op::UDiv => {
                let (n, m) = (x(self, 0), x(self, 1));
                let zero = self.b.ins().icmp_imm_s(IntCC::Equal, m, 0);
                let one = self.b.ins().iconst(types::I64, 1);
                let safe = self.b.ins().select(zero, one, m);
                let q = self.b.ins().udiv(n, safe);
                let z = self.b.ins().iconst(types::I64, 0);
                self.b.ins().select(zero, z, q)
            }
            Op::SDiv => {
                // Host division traps on x / 0 and MIN / -1; A64 gives 0 and MIN.
                let (n, m) = (x(self, 0), x(self, 1));
                let zero = self.b.ins().icmp_imm_s(IntCC::Equal, m, 0);
                let minus1 = self.b.ins().icmp_imm_s(IntCC::Equal, m, -1);
                let special = self.b.ins().bor(zero, minus1);
                let one = self.b.ins().iconst(types::I64, 1);
                let safe = self.b.ins().select(special, one, m);
                let q = self.b.ins().sdiv(n, safe);
                let neg = self.b.ins().ineg(n);
                let q = self.b.ins().select(minus1, neg, q);
                let z = self.b.ins().iconst(types::I64, 0);
                self.b.ins().select(zero, z, q)
            }
            Op::Not => {
                let p = x(self, 0);
                self.b.ins().bnot(p)
            }
            Op::Clz => {
                let p = x(self, 0);
                self.b.ins().clz(p)
            }
            Op::Rbit => {
                let p = x(self, 0);
                self.b.ins().bitrev(p)
            }
            Op::Rev => {
                let p = x(self, 0);
                self.b.ins().bswap(p)
            }
            Op::Zext32 => {
                let p = x(self, 0);
                self.zext32(p)
            }
            Op::Zext8 | Op::Zext16 => {
                let p = x(self, 0);
                let mask = if op == Op::Zext8 { 0xff } else { 0xffff };
                self.b.ins().band_imm_s(p, mask)
            }
            Op::Sext8 | Op::Sext16 | Op::Sext32 => {
                let p = x(self, 0);
                let bits = match op {
                    Op::Sext8 => 8,
                    Op::Sext16 => 16,
                    _ => 32,
                };
                self.sext(p, bits)
            }
            Op::Eq | Op::Ne => {
                let (p, q) = (x(self, 0), x(self, 1));
                let cc = if op == Op::Eq {
                    IntCC::Equal
                } else {
                    IntCC::NotEqual
                };
                self.b.ins().icmp(cc, p, q)
            }
            Op::Select | Op::SelectNzcv => {
                let (c, p, q) = (x(self, 0), x(self, 1), x(self, 2));
                self.b.ins().select(c, p, q)
            }
            Op::AddFlags | Op::SubFlags => {
                let (p, q) = (x(self, 0), x(self, 1));
                self.flags64(op == Op::SubFlags, p, q)
            }
            Op::AddFlags32 | Op::SubFlags32 => {
                let (p, q) = (x(self, 0), x(self, 1));
                self.flags32(op == Op::SubFlags32, p, q)
            }
            Op::LogicFlags | Op::LogicFlags32 => {
                let r = x(self, 0);
                let (r, top) = if op == Op::LogicFlags {
                    (r, 63)
                } else {
                    (self.zext32(r), 31)
                };
                let n = self.b.ins().ushr_imm_s(r, top);
                let n = self.b.ins().band_imm_s(n, 1);
                let n = self.b.ins().ishl_imm_s(n, 31);
                let z = self.b.ins().icmp_imm_s(IntCC::Equal, r, 0);
                let z = self.b2i(z);
                let z = self.b.ins().ishl_imm_s(z, 30);
                self.b.ins().bor(n, z)
            }
            Op::CondHolds => {
                if let Some(c) = self.cond_of_compare(a[0].imm(), a[1]) {
                    return c;
                }
                self.force(a[1]);
                let f = x(self, 1);
                self.cond_holds(a[0].imm(), f)
            }
            other => panic!("kvrm jit: {} is not a pure opcode", other.name()),
        }
    }

    fn bin(
        &mut self,
        a: &[Arg; 3],
        f: impl FnOnce(&mut cranelift_frontend::FunctionBuilder<'_>, ir::Value, ir::Value) -> ir::Value,
    ) -> ir::Value {
        let (p, q) = (self.v(a[0]), self.v(a[1]));
        f(&mut self.b, p, q)
    }

    /// Signed overflow of `r = p + q` (or `p - q` when `sub`), in the sign
    /// bit: the operands agree in sign (differ, for a subtraction) and the
    /// result's sign differs from `p`'s.
    fn overflow_bits(&mut self, p: ir::Value, q: ir::Value, r: ir::Value, sub: bool) -> ir::Value {
        let (d, e) = if sub {
            (self.b.ins().bxor(p, q), self.b.ins().bxor(p, r))
        } else {
            (self.b.ins().bxor(p, r), self.b.ins().bxor(q, r))
        };
        self.b.ins().band(d, e)
    }

    /// NZCV of AddWithCarry(p, q, 0) or (p, NOT q, 1), 64-bit.
    fn flags64(&mut self, sub: bool, p: ir::Value, q: ir::Value) -> ir::Value {
        let r = if sub {
            self.b.ins().isub(p, q)
        } else {
            self.b.ins().iadd(p, q)
        };
        let n = self.b.ins().ushr_imm_s(r, 63);
        let z = self.b.ins().icmp_imm_s(IntCC::Equal, r, 0);
        let z = self.b2i(z);
        // Carry: no borrow for a subtraction, unsigned wrap for an addition.
        let c = if sub {
            self.b.ins().icmp(IntCC::UnsignedGreaterThanOrEqual, p, q)
        } else {
            self.b.ins().icmp(IntCC::UnsignedLessThan, r, p)
        };
        let c = self.b2i(c);
        let v = self.overflow_bits(p, q, r, sub);
        let v = self.b.ins().ushr_imm_s(v, 63);
        self.flags_pack(n, z, c, v)
    }

    /// The 32-bit flags, from the low halves.
    fn flags32(&mut self, sub: bool, p: ir::Value, q: ir::Value) -> ir::Value {
        let p = self.zext32(p);
        let q = self.zext32(q);
        let wide = if sub {
            self.b.ins().isub(p, q)
        } else {
            self.b.ins().iadd(p, q)
        };
        let r = self.zext32(wide);
        let n = self.b.ins().ushr_imm_s(r, 31);
        let z = self.b.ins().icmp_imm_s(IntCC::Equal, r, 0);
        let z = self.b2i(z);
        let c = if sub {
            let c = self.b.ins().icmp(IntCC::UnsignedGreaterThanOrEqual, p, q);
            self.b2i(c)
        } else {
            self.b.ins().ushr_imm_s(wide, 32)
        };
        let v = self.overflow_bits(p, q, r, sub);
        let v = self.b.ins().ushr_imm_s(v, 31);
        let v = self.b.ins().band_imm_s(v, 1);
        self.flags_pack(n, z, c, v)
    }

    /// A condition on the flags of a compare (`SubFlags`) of this block,
    /// evaluated from the compared values as one host compare; `None` for
    /// other flags and for VS/VC.
    fn cond_of_compare(&mut self, cond: u64, flags: Arg) -> Option<ir::Value> {
        let def = *self.blk.inst(flags.val());
        let wide = matches!(def.op, Op::SubFlags | Op::LogicFlags | Op::AddFlags);
        match def.op {
            Op::SubFlags | Op::SubFlags32 => {
                let (p, q) = (self.v(def.args[0]), self.v(def.args[1]));
                self.compare(cond, p, q, wide)
            }
            Op::LogicFlags | Op::LogicFlags32 => {
                // C = V = 0: HS, HI and VS never hold, LO, LS and VC
                // always; the others are N and Z of the result, those of
                // `r - 0`.
                if matches!((cond >> 1) & 7, 1 | 3 | 4) {
                    return Some(self.b.ins().iconst(types::I8, (cond & 1) as i64));
                }
                let (r, zero) = (self.v(def.args[0]), self.iconst(0));
                self.compare(cond, r, zero, wide)
            }
            Op::AddFlags | Op::AddFlags32 if matches!((cond >> 1) & 7, 0 | 2) => {
                // EQ, NE, MI, PL: Z and N of the sum.
                let (p, q) = (self.v(def.args[0]), self.v(def.args[1]));
                let (r, zero) = (self.b.ins().iadd(p, q), self.iconst(0));
                self.compare(cond, r, zero, wide)
            }
            _ => None,
        }
    }

    /// Condition `cond` on the flags of `p - q` (32-bit unless `wide`) as
    /// one host compare; `None` for VS/VC.
    fn compare(&mut self, cond: u64, p: ir::Value, q: ir::Value, wide: bool) -> Option<ir::Value> {
        let cc = match cond & 15 {
            0 => IntCC::Equal,
            1 => IntCC::NotEqual,
            2 => IntCC::UnsignedGreaterThanOrEqual,
            3 => IntCC::UnsignedLessThan,
            8 => IntCC::UnsignedGreaterThan,
            9 => IntCC::UnsignedLessThanOrEqual,
            10 => IntCC::SignedGreaterThanOrEqual,
            11 => IntCC::SignedLessThan,
            12 => IntCC::SignedGreaterThan,
            13 => IntCC::SignedLessThanOrEqual,
            4 | 5 => {
                // MI / PL: the sign of the difference.
                let d = self.b.ins().isub(p, q);
                let d = if wide {
                    d
                } else {
                    self.b.ins().ireduce(types::I32, d)
                };
                let cc = if cond & 1 == 0 {
                    IntCC::SignedLessThan
                } else {
                    IntCC::SignedGreaterThanOrEqual
                };
                return Some(self.b.ins().icmp_imm_s(cc, d, 0));
            }
            14 | 15 => return Some(self.b.ins().iconst(types::I8, 1)),
            _ => return None,
        };
        let (mut p, mut q) = (p, q);
        if !wide {
            p = self.b.ins().ireduce(types::I32, p);
            q = self.b.ins().ireduce(types::I32, q);
        }
        Some(self.b.ins().icmp(cc, p, q))
    }

    /// The lazy form (kind, a, b: see `JitCtx::flag_kind`) of the flags
    /// value `f`: the operands of the operation that set them, so that an
    /// exit stores two values instead of packing NZCV.
    pub(super) fn lazy_flags(&mut self, f: Arg) -> [ir::Value; 3] {
        if let Val::Flags(lazy) = self.vals[f.val().0 as usize] {
            return lazy;
        }
        let def = *self.blk.inst(f.val());
        let (kind, a, b) = match def.op {
            Op::AddFlags | Op::SubFlags | Op::AddFlags32 | Op::SubFlags32 => {
                let (mut p, mut q) = (self.v(def.args[0]), self.v(def.args[1]));
                if matches!(def.op, Op::AddFlags32 | Op::SubFlags32) {
                    p = self.b.ins().ishl_imm_s(p, 32);
                    q = self.b.ins().ishl_imm_s(q, 32);
                }
                let sub = matches!(def.op, Op::SubFlags | Op::SubFlags32);
                (if sub { FLAGS_SUB } else { FLAGS_ADD }, p, q)
            }
            Op::LogicFlags | Op::LogicFlags32 => {
                let mut r = self.v(def.args[0]);
                if def.op == Op::LogicFlags32 {
                    r = self.b.ins().ishl_imm_s(r, 32);
                }
                (FLAGS_LOGIC, r, self.iconst(0))
            }
            _ => (FLAGS_PACKED, self.v(f), self.iconst(0)),
        };
        [self.iconst(kind), a, b]
    }

    /// NZCV of lazy flags whose kind is known only at run time: packed
    /// ones as they are, the others through a slow path.
    pub(super) fn materialize(&mut self, [kind, a, b]: [ir::Value; 3]) -> ir::Value {
        let packed = self
            .b
            .ins()
            .icmp_imm_s(IntCC::Equal, kind, FLAGS_PACKED as i64);
        let slow = self.b.create_block();
        let join = self.b.create_block();
        self.b.append_block_param(join, types::I64);
        self.b
            .ins()
            .brif(packed, join, &[BlockArg::Value(a)], slow, &[]);
        self.b.switch_to_block(slow);
        let r = self.slow_call(helpers::Slow::Nzcv, &[kind, a, b]);
        self.b.ins().jump(join, &[BlockArg::Value(r)]);
        self.b.switch_to_block(join);
        self.b.block_params(join)[0]
    }

    /// Condition `cond` on lazy flags: one host compare of the operands
    /// when they are a subtraction's (or a logical result's, compared with
    /// zero, for conditions without C), else on the packed flags.
    pub(super) fn cond_lazy(&mut self, cond: u64, lazy: [ir::Value; 3]) -> ir::Value {
        let [kind, a, b] = lazy;
        let uses_c = matches!((cond >> 1) & 7, 1 | 4);
        let direct = if matches!((cond >> 1) & 7, 3 | 7) {
            None // VS/VC, AL/NV
        } else if uses_c {
            Some(
                self.b
                    .ins()
                    .icmp_imm_s(IntCC::Equal, kind, FLAGS_SUB as i64),
            )
        } else {
            // A logical result `a` with b = 0 has the N and Z of `a - 0`
            // and V = 0 alike.
            const _: () = assert!(FLAGS_LOGIC == FLAGS_SUB + 1);
            Some(
                self.b
                    .ins()
                    .icmp_imm_s(IntCC::UnsignedGreaterThanOrEqual, kind, FLAGS_SUB as i64),
            )
        };
        let Some(direct) = direct else {
            let f = self.materialize(lazy);
            return self.cond_holds(cond, f);
        };
        let fast = self.b.create_block();
        let slow = self.b.create_block();
        let join = self.b.create_block();
        self.b.append_block_param(join, types::I8);
        self.b.ins().brif(direct, fast, &[], slow, &[]);
        self.b.switch_to_block(fast);
        let c = self.compare(cond, a, b, true).expect("not VS/VC");
        self.b.ins().jump(join, &[BlockArg::Value(c)]);
        self.b.switch_to_block(slow);
        let f = self.materialize(lazy);
        let c = self.cond_holds(cond, f);
        self.b.ins().jump(join, &[BlockArg::Value(c)]);
        self.b.switch_to_block(join);
        self.b.block_params(join)[0]
    }

    /// `ConditionHolds(cond)` as an I8 0/1.
    fn cond_holds(&mut self, cond: u64, f: ir::Value) -> ir::Value {
        let bit = |e: &mut Self, n: i64| {
            let s = e.b.ins().ushr_imm_s(f, n);
            e.b.ins().band_imm_s(s, 1)
        };
        let base = match (cond >> 1) & 7 {
            0 => bit(self, 30),
            1 => bit(self, 29),
            2 => bit(self, 31),
            3 => bit(self, 28),
            4 => {
                // C && !Z
                let c = bit(self, 29);
                let z = bit(self, 30);
                let nz = self.b.ins().bxor_imm_s(z, 1);
                self.b.ins().band(c, nz)
            }
            5 | 6 => {
                // N == V (and !Z for GT)
                let n = bit(self, 31);
                let v = bit(self, 28);
                let d = self.b.ins().bxor(n, v);
                let eq = self.b.ins().bxor_imm_s(d, 1);
                if (cond >> 1) & 7 == 6 {
                    let z = bit(self, 30);
                    let nz = self.b.ins().bxor_imm_s(z, 1);
                    self.b.ins().band(eq, nz)
                } else {
                    eq
                }
            }
            _ => return self.b.ins().iconst(types::I8, 1),
        };
        let base = if cond & 1 == 1 {
            self.b.ins().bxor_imm_s(base, 1)
        } else {
            base
        };
        self.b.ins().ireduce(types::I8, base)
    }
}
