//! The CUDA backend's block translator: `kvrm-ir` blocks (the IR the CPU
//! JIT compiles with Cranelift) written out as CUDA C functions, compiled by
//! NVRTC together with the interpreter (`kernels/*.cu`).
//!
//! Each block becomes `kvrm_tb_<n>(Lane&, retired, budget, reported)`: guest
//! registers live in C variables (CUDA registers) inside it and go back to the
//! lane's state at every exit; a block that branches to its own start loops
//! inside the function while the next iteration fits the budget. Semantics
//! follow the interpreter exactly:
//! - a fault stops at the faulting instruction, with every register set by the
//!   instructions before it written back (the IR keeps state exact before a
//!   load, store or fallback) and only those instructions retired;
//! - an instruction the lifter leaves to the interpreter (`Fallback`) runs
//!   through `execute_one`, the interpreter's own dispatch, with the state
//!   written back before and reloaded after;
//! - a store to a page that holds translated code (`L.code_write`, see
//!   `is_tb_page` in common.cuh) ends the lane after that instruction, so
//!   the host can drop the stale blocks.
//!
//! `kvrm_tb_dispatch` is a `switch` on the pc: it runs the block that starts
//! there if the host enabled it (`tb_enabled[n]`: its code is unchanged in
//! every space of the launch) and it fits in the budget.

use std::fmt::Write as _;

use kvrm_ir::{Arg, Block, Extend, MemOp, Op, Order, Ty};
use kvrm_isa::decode_a64;

/// The C name of guest register `r` (31 = SP) inside a block.
fn reg(r: u8) -> String {
    if r == 31 {
        "gsp".into()
    } else {
        format!("g{r}")
    }
}

/// The state field behind guest register `r`.
fn state_field(r: u8) -> String {
    if r == 31 {
        "S.sp".into()
    } else {
        format!("S.x[{r}]")
    }
}

fn v(a: Arg) -> String {
    format!("v{}", a.val().0)
}

/// Registers a block reads or writes (bit 32: the flags) and those it sets.
fn footprint(b: &Block) -> (u64, u64) {
    let (mut used, mut set) = (0u64, 0u64);
    for i in &b.insts {
        match i.op {
            Op::GetReg => used |= 1 << i.args[0].reg(),
            Op::SetReg => {
                used |= 1 << i.args[0].reg();
                set |= 1 << i.args[0].reg();
            }
            Op::GetNzcv => used |= 1 << 32,
            Op::SetNzcv => {
                used |= 1 << 32;
                set |= 1 << 32;
            }
            _ => {}
        }
    }
    (used, set)
}

struct Emitter<'a> {
    b: &'a Block,
    out: String,
    used: u64,
    set: u64,
    /// Index (0-based) of the guest instruction being emitted, and its pc.
    k: u32,
    pc: u64,
    /// The current instruction stored: check `L.code_write` at the next mark.
    stored: bool,
}

impl Emitter<'_> {
    fn line(&mut self, s: &str) {
        self.out.push_str("    ");
        self.out.push_str(s);
        self.out.push('\n');
    }

    /// Load every register the block uses from the state.
    fn reload(&mut self, declare: bool) {
        let ty = if declare { "u64 " } else { "" };
        for r in 0..32u8 {
            if self.used & (1 << r) != 0 {
                let l = format!("{ty}{} = {};", reg(r), state_field(r));
                self.line(&l);
            }
        }
        if self.used & (1 << 32) != 0 {
            let l = format!("{ty}gf = S.nzcv;");
            self.line(&l);
        }
    }

    /// Store every register the block sets back into the state.
    fn write_back(&self) -> String {
        let mut s = String::new();
        for r in 0..32u8 {
            if self.set & (1 << r) != 0 {
                let _ = write!(s, "{} = {}; ", state_field(r), reg(r));
            }
        }
        if self.set & (1 << 32) != 0 {
            s.push_str("S.nzcv = gf; ");
        }
        s
    }

    /// Leave the block: state written back, pc set, `n` instructions retired.
    fn exit(&self, pc: &str, n: u32, how: &str) -> String {
        format!(
            "{{ {}S.pc = {pc}; retired += {n}; return {how}; }}",
            self.write_back()
        )
    }

    /// A fault at the current instruction (its stop is already in `L`).
    fn fault_exit(&self) -> String {
        let pc = format!("0x{:x}ull", self.pc);
        self.exit(&pc, self.k, "TB_STOP")
    }

    /// Go to `target`: loop if it is this block's start and the next
    /// iteration fits the budget, else leave.
    fn goto(&self, target: &str, is_start: bool) -> String {
        let n = self.b.guest_len;
        if is_start {
            format!(
                "{{ retired += {n}; if (retired + {n} <= budget && !L.code_write) {{ if (retired - reported >= PROGRESS_STEP) {{ report_progress(L.progress, L.host_progress, retired - reported); reported = retired; }} goto top; }} {}S.pc = {target}; return TB_EXIT; }}",
                self.write_back()
            )
        } else {
            self.exit(target, n, "TB_EXIT")
        }
    }

    fn mark(&mut self, pc: u64, first: bool) {
        if self.stored {
            // The previous instruction stored into a translated page.
            let next = format!("0x{pc:x}ull");
            let e = self.exit(&next, self.k + 1, "TB_STOP");
            let l = format!(
                "if (L.code_write) {{ stop_with(L, STOP_CODE_WRITE, 0, L.code_page); {e} }}"
            );
            self.line(&l);
            self.stored = false;
        }
        if !first {
            self.k += 1;
        }
        self.pc = pc;
        let l = format!("// {pc:#x}");
        self.line(&l);
    }

    fn load(&mut self, i: usize, m: MemOp, addr: &str) {
        let f = self.fault_exit();
        if m.size == 16 {
            let l = format!(
                "u64 v{i}l, v{i}h; {{ u8 buf[16]; if (!mem_read(L, {addr}, 16, buf)) {f} v{i}l = load_le(buf, 8); v{i}h = load_le(buf + 8, 8); }}"
            );
            self.line(&l);
        } else {
            let l = format!("u64 v{i}; if (!ld(L, {addr}, {}, &v{i})) {f}", m.size);
            self.line(&l);
            let bits = 8 * m.size as u32;
            match m.extend {
                Extend::Zero => {}
                Extend::Sign64 => self.line(&format!("v{i} = sext(v{i}, {bits});")),
                Extend::Sign32 => {
                    self.line(&format!("v{i} = (u64)(u32)sext(v{i}, {bits});"));
                }
            }
        }
        if m.order == Order::Acquire {
            self.line("__threadfence();");
        }
    }

    fn store(&mut self, m: MemOp, addr: &str, lo: &str, hi: Option<&str>) {
        if m.order == Order::Release {
            self.line("__threadfence();");
        }
        let f = self.fault_exit();
        let l = match hi {
            Some(hi) => format!(
                "{{ u8 buf[16]; store_le(buf, 8, {lo}); store_le(buf + 8, 8, {hi}); if (!mem_write(L, {addr}, 16, buf)) {f} }}"
            ),
            None => format!("if (!st(L, {addr}, {}, {lo})) {f}", m.size),
        };
        self.line(&l);
        self.stored = true;
    }

    fn fallback(&mut self, pc: u64, word: u32) {
        let id = decode_a64(word).map_or(0xffff, |id| id as u32);
        let wb = self.write_back();
        let k = self.k;
        let l = format!(
            "{{ {wb}S.pc = 0x{pc:x}ull; int f = execute_one(L, {id}u, 0x{word:08x}u); \
             if (f == FLOW_NEXT) {{ S.pc = 0x{pc:x}ull + 4; }} \
             else if (f == FLOW_JUMP) {{ retired += {k1}; return TB_EXIT; }} \
             else if (f == FLOW_STOP_RETIRED) {{ retired += {k1}; return TB_STOP; }} \
             else {{ retired += {k}; return TB_STOP; }} \
             if (L.code_write) {{ stop_with(L, STOP_CODE_WRITE, 0, L.code_page); retired += {k1}; return TB_STOP; }} }}",
            k1 = k + 1
        );
        self.line(&l);
        // The interpreter may have changed any register.
        self.reload(false);
    }

    fn pure(&self, op: Op, a: &[Arg; 3]) -> String {
        let (x, y) = (|| v(a[0]), || v(a[1]));
        match op {
            Op::Add => format!("{} + {}", x(), y()),
            Op::Sub => format!("{} - {}", x(), y()),
            Op::Mul => format!("{} * {}", x(), y()),
            Op::UMulH => format!("__umul64hi({}, {})", x(), y()),
            Op::SMulH => format!("(u64)__mul64hi((i64){}, (i64){})", x(), y()),
            Op::UDiv => format!("{1} == 0 ? 0ull : {0} / {1}", x(), y()),
            Op::SDiv => format!(
                "{1} == 0 ? 0ull : ({0} == 0x8000000000000000ull && {1} == ~0ull) ? {0} : (u64)((i64){0} / (i64){1})",
                x(),
                y()
            ),
            Op::And => format!("{} & {}", x(), y()),
            Op::Or => format!("{} | {}", x(), y()),
            Op::Xor => format!("{} ^ {}", x(), y()),
            Op::Not => format!("~{}", x()),
            Op::Shl => format!("{} << ({} & 63)", x(), y()),
            Op::Lshr => format!("{} >> ({} & 63)", x(), y()),
            Op::Ashr => format!("(u64)((i64){} >> ({} & 63))", x(), y()),
            Op::Ror => format!("tb_ror64({}, {})", x(), y()),
            Op::Ror32 => format!("tb_ror32({}, {})", x(), y()),
            Op::Clz => format!("(u64)__clzll((i64){})", x()),
            Op::Rbit => format!("__brevll({})", x()),
            Op::Rev => format!("tb_rev64({})", x()),
            Op::Zext8 => format!("{} & 0xffull", x()),
            Op::Zext16 => format!("{} & 0xffffull", x()),
            Op::Zext32 => format!("{} & 0xffffffffull", x()),
            Op::Sext8 => format!("sext({}, 8)", x()),
            Op::Sext16 => format!("sext({}, 16)", x()),
            Op::Sext32 => format!("sext({}, 32)", x()),
            Op::Eq => format!("{} == {}", x(), y()),
            Op::Ne => format!("{} != {}", x(), y()),
            Op::Select => format!("{} ? {} : {}", x(), y(), v(a[2])),
            Op::AddFlags => format!("tb_add_flags({}, {}, true)", x(), y()),
            Op::SubFlags => format!("tb_sub_flags({}, {}, true)", x(), y()),
            Op::AddFlags32 => format!("tb_add_flags({}, {}, false)", x(), y()),
            Op::SubFlags32 => format!("tb_sub_flags({}, {}, false)", x(), y()),
            Op::LogicFlags => format!("((({0} >> 63) & 1ull) << 31) | ((u64)({0} == 0) << 30)", x()),
            Op::LogicFlags32 => format!(
                "((({0} >> 31) & 1ull) << 31) | ((u64)(({0} & 0xffffffffull) == 0) << 30)",
                x()
            ),
            Op::CondHolds => format!("condition_holds({}u, {})", a[0].imm(), y()),
            Op::SelectNzcv => format!("{} ? {} : {}", x(), y(), v(a[2])),
            Op::Lo128 => format!("{}l", x()),
            Op::Hi128 => format!("{}h", x()),
            other => unreachable!("kvrm-cuda: {} is not a pure opcode", other.name()),
        }
    }

    fn inst(&mut self, i: usize) {
        let inst = self.b.insts[i];
        let a = inst.args;
        let start = self.b.start;
        match inst.op {
            Op::Mark | Op::Nop => {}
            Op::GetReg => self.line(&format!("u64 v{i} = {};", reg(a[0].reg()))),
            Op::SetReg => self.line(&format!("{} = {};", reg(a[0].reg()), v(a[1]))),
            Op::GetNzcv => self.line(&format!("u64 v{i} = gf;")),
            Op::SetNzcv => self.line(&format!("gf = {};", v(a[0]))),
            Op::Const | Op::ConstNzcv => {
                self.line(&format!("const u64 v{i} = 0x{:x}ull;", a[0].imm()))
            }
            Op::ConstU1 => self.line(&format!("const bool v{i} = {};", a[0].imm() & 1 != 0)),
            Op::Load | Op::Load128 => self.load(i, MemOp::decode(a[0].imm()), &v(a[1])),
            Op::Store => self.store(MemOp::decode(a[0].imm()), &v(a[1]), &v(a[2]), None),
            Op::Store128 => {
                let (lo, hi) = (format!("{}l", v(a[2])), format!("{}h", v(a[2])));
                self.store(MemOp::decode(a[0].imm()), &v(a[1]), &lo, Some(&hi))
            }
            Op::Pack128 => self.line(&format!("u64 v{i}l = {}, v{i}h = {};", v(a[0]), v(a[1]))),
            Op::Fallback => self.fallback(a[0].imm(), a[1].imm() as u32),
            Op::ExitTo => {
                let t = a[0].imm();
                let g = self.goto(&format!("0x{t:x}ull"), t == start);
                self.line(&g);
            }
            Op::ExitCond => {
                let (t, f) = (a[1].imm(), a[2].imm());
                let gt = self.goto(&format!("0x{t:x}ull"), t == start);
                let gf = self.goto(&format!("0x{f:x}ull"), f == start);
                self.line(&format!("if ({}) {gt} else {gf}", v(a[0])));
            }
            Op::ExitIndirect => {
                let e = self.exit(&v(a[0]), self.b.guest_len, "TB_EXIT");
                self.line(&e);
            }
            op => {
                let ty = if op.result() == Ty::U1 { "bool" } else { "u64" };
                let e = self.pure(op, &a);
                self.line(&format!("const {ty} v{i} = {e};"));
            }
        }
    }
}

/// Can this block be written as CUDA C? Not yet: the SIMD&FP opcodes
/// (vector registers, soft-float helpers, `Exec`), which the device runs
/// through the interpreter or the host; such blocks stay interpreted.
pub fn supported(b: &Block) -> bool {
    b.insts.iter().all(|i| {
        !matches!(
            i.op,
            Op::GetVec
                | Op::SetVec
                | Op::GetSys
                | Op::ProbeWrite
                | Op::FpToInt
                | Op::FpFromInt
                | Op::FpCmp
                | Op::Exec
        )
    })
}

/// The CUDA C function for block number `n` (a [`supported`] block),
/// declared `inline` (`__noinline__` or `__forceinline__`).
fn emit_block(n: usize, b: &Block, inline: &str) -> String {
    let (used, set) = footprint(b);
    let mut e = Emitter {
        b,
        out: String::new(),
        used,
        set,
        k: 0,
        pc: b.start,
        stored: false,
    };
    let _ = writeln!(
        e.out,
        "// block {n}: {:#x}, {} instructions\n__device__ {inline} int kvrm_tb_{n}(Lane &L, u64 &retired, u64 budget, u64 &reported) {{\n    KvrmCpuState &S = *L.s;",
        b.start, b.guest_len
    );
    e.reload(true);
    e.out.push_str("top:\n");
    let mut first = true;
    for i in 0..b.insts.len() {
        if b.insts[i].op == Op::Mark {
            e.mark(b.insts[i].args[0].imm(), first);
            first = false;
        } else {
            e.inst(i);
        }
    }
    e.out.push_str("}\n");
    e.out
}

/// The generated part of the kernel: the blocks and the dispatcher (with no
/// blocks, a dispatcher that never finds one). Block `i` of `blocks` is
/// block `first + i` of the engine: its function's name and its index in
/// the `enabled` flags.
pub fn emit_module(blocks: &[Block], first: usize) -> String {
    let mut s = emit_blocks(blocks, first, "__noinline__");
    let entries: Vec<(u64, u32)> = blocks.iter().map(|b| (b.start, b.guest_len)).collect();
    s.push_str("__device__ int kvrm_tb_dispatch(Lane &L, u64 pc, u64 &retired, u64 budget, u64 &reported, const u8 *enabled) {\n");
    s.push_str(&dispatch_switch(&entries, first, |n| {
        format!("kvrm_tb_{n}(L, retired, budget, reported)")
    }));
    s.push_str("}\n");
    s
}

/// The blocks alone, numbered from `first`, each function declared
/// `inline` (`__noinline__` where a dispatcher in the same module calls
/// them, `__forceinline__` into a linked module's C entry point).
pub fn emit_blocks(blocks: &[Block], first: usize, inline: &str) -> String {
    let mut s = String::from(TB_HELPERS);
    for (i, b) in blocks.iter().enumerate() {
        s.push_str(&emit_block(first + i, b, inline));
    }
    s
}

/// The body of a dispatcher: a `switch` on `pc` over blocks `first..` with
/// these (start, guest length), running the first enabled block of the pc
/// that fits in the budget; `call(n)` is the C expression that runs block
/// `n`. Blocks of one pc (different code in different spaces) share a case.
/// Uses `pc`, `retired` (a `u64` or `u64 &`), `budget` and `enabled`.
pub fn dispatch_switch(
    entries: &[(u64, u32)],
    first: usize,
    call: impl Fn(usize) -> String,
) -> String {
    let mut s = String::from("    switch (pc) {\n");
    let mut by_start: std::collections::BTreeMap<u64, Vec<usize>> = Default::default();
    for (i, &(start, _)) in entries.iter().enumerate() {
        by_start.entry(start).or_default().push(i);
    }
    for (start, is) in by_start {
        let _ = write!(s, "    case 0x{start:x}ull:");
        for i in is {
            let n = first + i;
            let _ = write!(
                s,
                " if (enabled[{n}]) return retired + {} <= budget ? {} : TB_NONE;",
                entries[i].1,
                call(n)
            );
        }
        s.push_str(" return TB_NONE;\n");
    }
    s.push_str("    default: return TB_NONE;\n    }\n");
    s
}

/// Small helpers the generated code uses.
const TB_HELPERS: &str = r#"
__device__ __forceinline__ u64 tb_ror64(u64 x, u64 s) {
    s &= 63;
    return s == 0 ? x : (x >> s) | (x << (64 - s));
}
__device__ __forceinline__ u64 tb_ror32(u64 x, u64 s) {
    u32 w = (u32)x, k = (u32)(s & 31);
    return (u64)(k == 0 ? w : (w >> k) | (w << (32 - k)));
}
__device__ __forceinline__ u64 tb_rev64(u64 x) {
    u64 r = 0;
    for (int j = 0; j < 8; j++) r |= ((x >> (8 * j)) & 0xffull) << (56 - 8 * j);
    return r;
}
__device__ __forceinline__ u64 tb_add_flags(u64 a, u64 b, bool sf) {
    u64 f;
    add_with_carry(a, b, false, sf, &f);
    return f;
}
__device__ __forceinline__ u64 tb_sub_flags(u64 a, u64 b, bool sf) {
    u64 f;
    add_with_carry(a, ~b, true, sf, &f);
    return f;
}
"#;
