//! IR block → x86-64 template code (see the module above).
//!
//! Registers while template code runs: `rbx` the `JitCtx`, `rbp` the guest
//! state, `r12` the budget left at the block's start, `r13` set when a store
//! wrote into code (the block leaves at the next instruction boundary); the
//! others are scratch. Value `v` of the block lives in the 16 bytes at
//! `[rsp + 16 * v]`, except where an operand can be had without it
//! ([`Src`]): constants are immediates, a register read is a load from the
//! state where the register keeps its value until the read's last use, and
//! a result used once, by the next instruction's first operand, stays in
//! `rax`. Helpers are called with the System V convention, so nothing but
//! the slots survives a call, and nothing else needs to.

use std::collections::HashMap;

use dynasmrt::x64::X64Relocation;
use dynasmrt::{dynasm, DynamicLabel, DynasmApi, DynasmLabelApi, VecAssembler};
use kvrm_ir::opcodes::{SYS_FPCR, SYS_FPSR};
use kvrm_ir::{Arg, Block, Extend, MemOp, Op};

use crate::exec::handler_for;
use crate::jit::emit::{
    ENTRY_CODE, ENTRY_LEN, ENTRY_PC, ENTRY_SIZE, ENTRY_TEMPLATE, OFF_FPCR, OFF_FPSR, OFF_NZCV,
    OFF_PC, OFF_TPIDR, OFF_V,
};
use crate::jit::helpers::{self, FallbackInfo};
use crate::jit::{FRONT, HEAT_CACHED, QUEUED_CACHED};
use crate::memory::{TLB_ENTRIES, TLB_ENTRY_SIZE};

/// Host register numbers for `Asm::load`.
pub(super) const RAX: u8 = 0;
pub(super) const RCX: u8 = 1;
pub(super) const RDX: u8 = 2;
pub(super) const RSI: u8 = 6;
pub(super) const RDI: u8 = 7;

/// Most IR instructions of a block given a template (its value slots).
const MAX_VALUES: usize = 1024;
/// The value slots' bytes.
const FRAME: i32 = 16 * MAX_VALUES as i32;

const _: () = assert!(TLB_ENTRY_SIZE == 32 && ENTRY_SIZE == 32);

macro_rules! x64 {
    ($ops:expr; $($t:tt)*) => {
        dynasm!($ops ; .arch x64 ; $($t)*)
    };
}

/// Undo the entry stub's frame and return `rax` to Rust, with NZCV packed
/// in the context as compiled code leaves it (`JitCtx::flag_kind`: the kind
/// stays `FLAGS_PACKED` while template code runs).
macro_rules! epilogue {
    ($ops:expr) => {
        x64!($ops
            ; mov rdx, QWORD [rbp + OFF_NZCV]
            ; mov QWORD [rbx + helpers::CTX_FLAG_A], rdx
        );
        pop_frame!($ops);
        x64!($ops ; ret);
    };
}

/// Undo the entry stub's frame (the caller's registers restored).
macro_rules! pop_frame {
    ($ops:expr) => {
        x64!($ops
            ; add rsp, FRAME + 8
            ; pop r15
            ; pop r14
            ; pop r13
            ; pop r12
            ; pop rbp
            ; pop rbx
        )
    };
}

/// The code every template block shares, assembled once per process:
/// `enter(ctx, code, budget)` in the System V convention (save the
/// callee-saved registers, make the frame, set the fixed registers, jump),
/// and the chain routine at the returned offset. A block leaves through the
/// chain routine with the new pc in `rax` and the budget left in `r12`: it
/// goes straight on to the target's template when the front holds one,
/// Cranelift has no code there, no store wrote code, and the target's count
/// stays below its limit (counted as the dispatcher counts an interpreted
/// block); to Cranelift's code when the front holds that and the budget
/// covers it (through the JIT's entry trampoline, which returns its result
/// to this code's caller); else it returns to the dispatcher.
pub(super) fn runtime_stubs() -> (Vec<u8>, usize) {
    let mut ops = VecAssembler::<X64Relocation>::new(0);
    x64!(ops
        ; push rbx
        ; push rbp
        ; push r12
        ; push r13
        ; push r14
        ; push r15
        ; sub rsp, FRAME + 8
        ; mov rbx, rdi
        ; mov rbp, QWORD [rdi + helpers::CTX_STATE]
        ; mov r12, rdx
        ; jmp rsi
    );
    let chain = ops.offset().0;
    let ret = ops.new_dynamic_label();
    let queued = ops.new_dynamic_label();
    let go = ops.new_dynamic_label();
    let compiled = ops.new_dynamic_label();
    let mask = (FRONT - 1) as i32;
    let shift = ENTRY_SIZE.trailing_zeros() as i8;
    let heat = (HEAT_CACHED >> 32) as u32 as i32;
    let waiting = (QUEUED_CACHED >> 32) as u32 as i32;
    let flush = crate::jit::QUEUED_FLUSH as i32;
    x64!(ops
        ; mov QWORD [rbp + OFF_PC], rax
        ; test r13, r13
        ; jnz =>ret
        ; mov rcx, rax
        ; shr rcx, 2
        ; and ecx, mask
        ; shl rcx, shift
        ; add rcx, QWORD [rbx + helpers::CTX_FRONT]
        ; cmp QWORD [rcx + ENTRY_PC], rax
        ; jne =>ret
        ; mov rdx, QWORD [rcx + ENTRY_CODE]
        ; test rdx, rdx
        ; jnz =>compiled
        ; mov rdx, QWORD [rcx + ENTRY_TEMPLATE]
        ; cmp rdx, 1
        ; jbe =>ret
        ; mov rsi, QWORD [rcx + ENTRY_LEN]
        ; mov rdi, rsi
        ; shr rdi, 32
        ; lea r8d, [rsi + 1]
        ; cmp edi, heat
        ; jne =>queued
        ; cmp r8d, DWORD [rbx + helpers::CTX_HEAT_LIMIT]
        ; ja =>ret
        ; jmp =>go
        ; =>queued
        ; cmp edi, waiting
        ; jne =>ret
        ; cmp r8d, flush
        ; jae =>ret
        ; =>go
        // The whole entry length (tag and count): a 4-byte store that a
        // later 8-byte load of it overlaps would stall that load.
        ; inc rsi
        ; mov QWORD [rcx + ENTRY_LEN], rsi
        ; jmp rdx
        ; =>compiled
        ; cmp QWORD [rcx + ENTRY_LEN], r12
        ; ja =>ret
        ; mov QWORD [rbx + helpers::CTX_BUDGET], r12
        ; mov rax, QWORD [rbp + OFF_NZCV]
        ; mov QWORD [rbx + helpers::CTX_FLAG_A], rax
        ; mov rdi, rbx
        ; mov rsi, rdx
    );
    pop_frame!(ops);
    let enter = crate::jit::shared_entry().enter as usize as i64;
    x64!(ops
        ; mov rax, QWORD enter
        ; jmp rax
        ; =>ret
        ; mov rax, r12
    );
    epilogue!(ops);
    let code = ops
        .finalize()
        .unwrap_or_else(|e| panic!("kvrm jit: template runtime: {e:?}"));
    (code, chain)
}

/// How a block leaves through an out-of-line stub.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
enum Stub {
    /// Return with `n` instructions retired (the pc is set).
    Left(u32),
    /// A helper stopped the guest at instruction `k` (retired before it).
    Stop(u32),
    /// A fallback of instruction `k` returned the status in `rax`.
    Fallback(u32),
}

/// Where an operand's value is read.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Src {
    /// Its stack slot (or `rax`, see `Asm::in_rax`).
    Slot,
    Const(u64),
    /// Guest register `.0` in the state, unchanged until the last use.
    Reg(u8),
}

pub(super) struct Asm {
    pub(super) ops: VecAssembler<X64Relocation>,
    src: Vec<Src>,
    /// Values never stored: their one use is the next instruction's first
    /// operand, which finds them in `rax`.
    in_rax_only: Vec<bool>,
    /// The value the last instruction left in `rax`, and the one there when
    /// the current instruction started: only its first operand load may
    /// take it from `rax`.
    in_rax: Option<u32>,
    in_rax_at_start: Option<u32>,
    stubs: HashMap<Stub, DynamicLabel>,
    fallbacks: Vec<FallbackInfo>,
    /// Instructions retired before the current one, and its pc.
    k: u32,
    pc: u64,
    /// A store of the instruction before may have written code.
    after_store: bool,
    /// The chain routine's address.
    chain: u64,
}

fn slot(a: Arg) -> i32 {
    16 * a.val().0 as i32
}

/// Assemble `b` (leaving through the chain routine at `chain`); `None` if it has an instruction templates do not handle or
/// too many values. The code and the fallback records it points to.
pub(super) fn assemble(b: &Block, chain: u64) -> Option<(Vec<u8>, Vec<FallbackInfo>)> {
    if b.insts.len() > MAX_VALUES || b.guest_len == 0 {
        return None;
    }
    let calls = b
        .insts
        .iter()
        .filter(|i| matches!(i.op, Op::Fallback | Op::Exec))
        .count();
    let (src, in_rax_only) = operand_sources(b);
    let mut a = Asm {
        ops: VecAssembler::new(0),
        src,
        in_rax_only,
        in_rax: None,
        in_rax_at_start: None,
        stubs: HashMap::new(),
        fallbacks: Vec::with_capacity(calls),
        k: 0,
        pc: b.start,
        after_store: false,
        chain,
    };
    let room = a.stub(Stub::Left(0));
    let len = b.guest_len as i32;
    x64!(a.ops
        ; cmp r12, len
        ; jb =>room
        ; xor r13d, r13d
    );
    let mut first = true;
    for (i, inst) in b.insts.iter().enumerate() {
        if inst.op == Op::Mark {
            if !first {
                a.k += 1;
            }
            first = false;
            a.pc = inst.args[0].imm();
            if a.after_store {
                // The store before wrote code: leave here, that
                // instruction retired (the slow path set the pc).
                let out = a.stub(Stub::Left(a.k));
                x64!(a.ops ; test r13, r13 ; jnz =>out);
                a.after_store = false;
            }
            continue;
        }
        a.emit(16 * i as i32, inst.op, &inst.args, b.guest_len)?;
    }
    a.emit_stubs();
    debug_assert_eq!(a.fallbacks.len(), calls);
    let code = a.ops.finalize().ok()?;
    Some((code, a.fallbacks))
}

/// Where each value's uses find it, and which values stay in `rax` only.
fn operand_sources(b: &Block) -> (Vec<Src>, Vec<bool>) {
    let n = b.insts.len();
    let mut uses = vec![0u32; n];
    let mut last_use = vec![0usize; n];
    for (i, inst) in b.insts.iter().enumerate() {
        for v in inst.values() {
            uses[v.0 as usize] += 1;
            last_use[v.0 as usize] = i;
        }
    }
    let mut src = vec![Src::Slot; n];
    for (i, inst) in b.insts.iter().enumerate() {
        src[i] = match inst.op {
            Op::Const | Op::ConstU1 | Op::ConstNzcv => Src::Const(inst.args[0].imm()),
            Op::GetReg => {
                let r = inst.args[0].reg();
                let kept = b.insts[i + 1..=last_use[i].max(i)]
                    .iter()
                    .all(|j| j.op != Op::Fallback && !(j.op == Op::SetReg && j.args[0].reg() == r));
                if kept {
                    Src::Reg(r)
                } else {
                    Src::Slot
                }
            }
            _ => Src::Slot,
        };
    }
    // A result used once, as the first value operand of the next
    // instruction, is not stored (only results left in `rax` qualify).
    let mut in_rax_only = vec![false; n];
    let mut prev: Option<usize> = None;
    for (i, inst) in b.insts.iter().enumerate() {
        if matches!(inst.op, Op::Mark | Op::Nop) {
            continue;
        }
        if let Some(p) = prev {
            let first = inst.values().next();
            let once = inst.values().filter(|v| v.0 as usize == p).count() == 1;
            in_rax_only[p] = src[p] == Src::Slot
                && uses[p] == 1
                && first.is_some_and(|v| v.0 as usize == p)
                && once
                && in_rax_result(b.insts[p].op);
        }
        prev = Some(i);
    }
    (src, in_rax_only)
}

/// Whether `op`'s result is left in `rax` by its template (see `Asm::out`).
fn in_rax_result(op: Op) -> bool {
    use kvrm_ir::opcodes::Ty;
    matches!(op.result(), Ty::U64 | Ty::U1 | Ty::Nzcv)
        && !matches!(op, Op::Const | Op::ConstU1 | Op::ConstNzcv)
}

impl Asm {
    fn stub(&mut self, s: Stub) -> DynamicLabel {
        if let Some(&l) = self.stubs.get(&s) {
            return l;
        }
        let l = self.ops.new_dynamic_label();
        self.stubs.insert(s, l);
        l
    }

    fn emit_stubs(&mut self) {
        let stubs: Vec<(Stub, DynamicLabel)> = self.stubs.drain().collect();
        for (s, l) in stubs {
            x64!(self.ops ; =>l);
            match s {
                Stub::Left(n) => {
                    x64!(self.ops ; mov rax, r12 ; sub rax, n as i32);
                }
                Stub::Stop(k) => {
                    x64!(self.ops ; mov rax, r12 ; sub rax, k as i32 ; bts rax, 63);
                }
                Stub::Fallback(k) => {
                    // Retired k + 1 unless FB_STOP; the stop bit for FB_STOP
                    // and FB_STOP_RETIRED; ST_CODE and FB_JUMP just leave.
                    let go = self.ops.new_dynamic_label();
                    x64!(self.ops
                        ; mov rcx, r12
                        ; sub rcx, (k + 1) as i32
                        ; lea rdx, [r12 - k as i32]
                        ; cmp rax, helpers::FB_STOP as i32
                        ; cmove rcx, rdx
                        ; cmp rax, helpers::FB_STOP_RETIRED as i32
                        ; jb =>go
                        ; bts rcx, 63
                        ; =>go
                        ; mov rax, rcx
                    );
                }
            }
            epilogue!(self.ops);
        }
    }

    /// Load operand `a` into host register `dst` (`RAX`, `RCX`...). An
    /// instruction loads its first value operand before anything else
    /// writes `rax`, which may hold it.
    // dynasm converts a dynamic register's number with `.into()`.
    #[allow(clippy::useless_conversion)]
    pub(super) fn load(&mut self, dst: u8, a: Arg) {
        let v = a.val().0;
        let cached = self.in_rax_at_start.take() == Some(v);
        match self.src[v as usize] {
            // A 32-bit move zero-extends: the short form for such values.
            Src::Const(k) => match u32::try_from(k) {
                Ok(k) => x64!(self.ops ; mov Rd(dst), DWORD k as i32),
                Err(_) => x64!(self.ops ; mov Rq(dst), QWORD k as i64),
            },
            Src::Reg(r) => {
                let off = 8 * i32::from(r);
                x64!(self.ops ; mov Rq(dst), QWORD [rbp + off]);
            }
            Src::Slot if cached => {
                if dst != RAX {
                    x64!(self.ops ; mov Rq(dst), rax);
                }
            }
            Src::Slot => {
                assert!(
                    !self.in_rax_only[v as usize],
                    "kvrm jit: v{v} was left in rax"
                );
                let s = 16 * v as i32;
                x64!(self.ops ; mov Rq(dst), QWORD [rsp + s]);
            }
        }
    }

    /// The result in `rax` is value `v` (its slot's offset): store it
    /// unless its one use takes it from `rax`.
    pub(super) fn out(&mut self, v: i32) {
        let i = (v / 16) as u32;
        if !self.in_rax_only[i as usize] {
            x64!(self.ops ; mov QWORD [rsp + v], rax);
        }
        self.in_rax = Some(i);
    }

    pub(super) fn call(&mut self, f: *const ()) {
        let f = f as i64;
        x64!(self.ops ; mov rax, QWORD f ; call rax);
    }

    /// Emit IR instruction `op` whose value (if any) goes to slot `v`.
    fn emit(&mut self, v: i32, op: Op, args: &[Arg; 3], guest_len: u32) -> Option<()> {
        self.in_rax_at_start = self.in_rax.take();
        match op {
            Op::Mark | Op::Nop => {}
            Op::GetReg => {
                // Read at its uses when the register keeps its value.
                if self.src[(v / 16) as usize] == Src::Slot {
                    let off = 8 * args[0].reg() as i32;
                    x64!(self.ops ; mov rax, QWORD [rbp + off]);
                    self.out(v);
                }
            }
            Op::SetReg => {
                let off = 8 * args[0].reg() as i32;
                self.load(RAX, args[1]);
                x64!(self.ops ; mov QWORD [rbp + off], rax);
            }
            Op::GetNzcv => {
                x64!(self.ops ; mov rax, QWORD [rbp + OFF_NZCV]);
                self.out(v);
            }
            Op::SetNzcv => {
                self.load(RAX, args[0]);
                x64!(self.ops ; mov QWORD [rbp + OFF_NZCV], rax);
            }
            Op::GetSys => {
                let off = match args[0].imm() {
                    SYS_FPCR => OFF_FPCR,
                    SYS_FPSR => OFF_FPSR,
                    _ => OFF_TPIDR,
                };
                x64!(self.ops ; mov rax, QWORD [rbp + off]);
                self.out(v);
            }
            Op::GetVec => {
                let off = OFF_V + 16 * args[0].reg() as i32;
                x64!(self.ops
                    ; mov rax, QWORD [rbp + off]
                    ; mov rcx, QWORD [rbp + off + 8]
                    ; mov QWORD [rsp + v], rax
                    ; mov QWORD [rsp + v + 8], rcx
                );
            }
            Op::SetVec => {
                let off = OFF_V + 16 * args[0].reg() as i32;
                let s = slot(args[1]);
                x64!(self.ops
                    ; mov rax, QWORD [rsp + s]
                    ; mov rcx, QWORD [rsp + s + 8]
                    ; mov QWORD [rbp + off], rax
                    ; mov QWORD [rbp + off + 8], rcx
                );
            }
            // Immediates where used.
            Op::Const | Op::ConstU1 | Op::ConstNzcv => {}
            Op::Lo128 | Op::Hi128 => {
                let s = slot(args[0]) + if op == Op::Hi128 { 8 } else { 0 };
                x64!(self.ops ; mov rax, QWORD [rsp + s]);
                self.out(v);
            }
            Op::Pack128 => {
                self.load(RAX, args[0]);
                self.load(RCX, args[1]);
                x64!(self.ops ; mov QWORD [rsp + v], rax ; mov QWORD [rsp + v + 8], rcx);
            }
            Op::Load => self.load_mem(MemOp::decode(args[0].imm()), args[1], v),
            Op::Load128 => self.load128(args[1], v),
            Op::Store => {
                self.store(MemOp::decode(args[0].imm()), args[1], args[2]);
                self.after_store = true;
            }
            Op::Store128 => {
                self.store128(args[1], args[2]);
                self.after_store = true;
            }
            Op::ProbeWrite => self.probe_write(args[0].imm(), args[1]),
            Op::FpToInt | Op::FpFromInt => {
                let f = if op == Op::FpToInt {
                    helpers::fp_to_int as *const ()
                } else {
                    helpers::fp_from_int as *const ()
                };
                let w = args[0].imm() as i64;
                self.load(RDX, args[1]);
                x64!(self.ops ; mov rdi, rbx ; mov rsi, QWORD w);
                self.call(f);
                self.out(v);
            }
            Op::FpCmp => {
                let w = args[0].imm() as i64;
                self.load(RDX, args[1]);
                self.load(RCX, args[2]);
                x64!(self.ops ; mov rdi, rbx ; mov rsi, QWORD w);
                self.call(helpers::fp_cmp as *const ());
                self.out(v);
            }
            Op::Exec => {
                self.call_handler(helpers::exec_v as *const (), args);
                // A reserved encoding stopped the guest here.
                let stop = self.stub(Stub::Stop(self.k));
                x64!(self.ops ; test rax, rax ; jnz =>stop);
            }
            Op::Fallback => {
                // The interpreter reads the flags from the context.
                x64!(self.ops
                    ; mov rax, QWORD [rbp + OFF_NZCV]
                    ; mov QWORD [rbx + helpers::CTX_FLAG_A], rax
                );
                self.call_handler(helpers::fallback as *const (), args);
                let out = self.stub(Stub::Fallback(self.k));
                x64!(self.ops ; test rax, rax ; jnz =>out);
            }
            Op::ExitTo => {
                let to = args[0].imm() as i64;
                x64!(self.ops ; mov rax, QWORD to);
                self.exit_chain(guest_len);
            }
            Op::ExitCond => {
                let (t, f) = (args[1].imm() as i64, args[2].imm() as i64);
                let not = self.ops.new_dynamic_label();
                self.load(RCX, args[0]);
                x64!(self.ops ; test rcx, rcx ; je =>not ; mov rax, QWORD t);
                self.exit_chain(guest_len);
                x64!(self.ops ; =>not ; mov rax, QWORD f);
                self.exit_chain(guest_len);
            }
            Op::ExitIndirect => {
                self.load(RAX, args[0]);
                self.exit_chain(guest_len);
            }
            _ => self.pure(op, args, v)?,
        }
        Some(())
    }

    /// Call `helper(ctx, info)` for the instruction (pc, word); the status
    /// comes back in `rax`.
    fn call_handler(&mut self, helper: *const (), args: &[Arg; 3]) {
        let (pc, word) = (args[0].imm(), args[1].imm() as u32);
        self.fallbacks.push(FallbackInfo {
            exec: handler_for(word),
            word,
            pc,
        });
        // Never moves: the vector was sized for every call of the block.
        let info = self.fallbacks.last().expect("just pushed") as *const FallbackInfo as i64;
        x64!(self.ops ; mov rdi, rbx ; mov rsi, QWORD info);
        self.call(helper);
    }

    /// Leave for the pc in `rax` with `n` instructions retired, through
    /// the shared chain routine ([`runtime_stubs`]).
    fn exit_chain(&mut self, n: u32) {
        x64!(self.ops
            ; sub r12, n as i32
            ; mov rcx, QWORD self.chain as i64
            ; jmp rcx
        );
    }

    /// The TLB check of `size` bytes at the address in `rsi` (`write`: the
    /// write TLB): jumps to `miss` unless the entry's tag is the page of the
    /// access's last byte (which also rules out an access crossing the
    /// page); on a hit `rcx` holds the entry's addend.
    fn tlb(&mut self, write: bool, size: u64, miss: DynamicLabel) {
        let table = if write {
            helpers::CTX_TLB_WRITE
        } else {
            helpers::CTX_TLB_READ
        };
        let mask = (TLB_ENTRIES - 1) as i32;
        let last = size as i32 - 1;
        x64!(self.ops
            ; mov rax, rsi
            ; shr rax, 12
            ; and eax, mask
            ; shl rax, 5
            ; add rax, QWORD [rbx + table]
            ; lea rcx, [rsi + last]
            ; shr rcx, 12
            ; cmp rcx, QWORD [rax]
            ; jne =>miss
            ; mov rcx, QWORD [rax + 8]
        );
    }

    /// Extend the zero-extended `size`-byte value in `rax` as `m` says.
    fn extend(&mut self, m: MemOp) {
        match (m.extend, m.size) {
            (Extend::Zero, _) | (_, 8) => {}
            (Extend::Sign64, 1) => x64!(self.ops ; movsx rax, al),
            (Extend::Sign64, 2) => x64!(self.ops ; movsx rax, ax),
            (Extend::Sign64, _) => x64!(self.ops ; movsxd rax, eax),
            (Extend::Sign32, 1) => x64!(self.ops ; movsx eax, al),
            (Extend::Sign32, 2) => x64!(self.ops ; movsx eax, ax),
            (Extend::Sign32, _) => {}
        }
    }

    fn load_mem(&mut self, m: MemOp, addr: Arg, v: i32) {
        let (slow, join) = (self.ops.new_dynamic_label(), self.ops.new_dynamic_label());
        self.load(RSI, addr);
        self.tlb(false, u64::from(m.size), slow);
        match m.size {
            1 => x64!(self.ops ; movzx eax, BYTE [rsi + rcx]),
            2 => x64!(self.ops ; movzx eax, WORD [rsi + rcx]),
            4 => x64!(self.ops ; mov eax, DWORD [rsi + rcx]),
            _ => x64!(self.ops ; mov rax, QWORD [rsi + rcx]),
        }
        x64!(self.ops ; jmp =>join ; =>slow);
        let stop = self.stub(Stub::Stop(self.k));
        let pc_size = helpers::pc_size(self.pc, m.size) as i64;
        x64!(self.ops ; mov rdi, rbx ; mov rdx, QWORD pc_size);
        self.call(helpers::read as *const ());
        x64!(self.ops
            ; cmp QWORD [rbx + helpers::CTX_FAULT], 0
            ; jne =>stop
            ; =>join
        );
        self.extend(m);
        self.out(v);
    }

    fn load128(&mut self, addr: Arg, v: i32) {
        let (slow, join) = (self.ops.new_dynamic_label(), self.ops.new_dynamic_label());
        self.load(RSI, addr);
        self.tlb(false, 16, slow);
        x64!(self.ops
            ; mov rax, QWORD [rsi + rcx]
            ; mov rdx, QWORD [rsi + rcx + 8]
            ; jmp =>join
            ; =>slow
        );
        let stop = self.stub(Stub::Stop(self.k));
        let pc = self.pc as i64;
        x64!(self.ops ; mov rdi, rbx ; mov rdx, QWORD pc);
        self.call(helpers::read128 as *const ());
        x64!(self.ops
            ; test rax, rax
            ; jnz =>stop
            ; mov rax, QWORD [rbx + helpers::CTX_SCRATCH]
            ; mov rdx, QWORD [rbx + helpers::CTX_SCRATCH + 8]
            ; =>join
            ; mov QWORD [rsp + v], rax
            ; mov QWORD [rsp + v + 8], rdx
        );
    }

    /// A store's status in `rax`: go on (`ST_OK`), stop (`ST_FAULT`), or
    /// note a write into code (`ST_CODE`, leave at the next instruction).
    fn store_status(&mut self, join: DynamicLabel) {
        let stop = self.stub(Stub::Stop(self.k));
        x64!(self.ops
            ; test rax, rax
            ; jz =>join
            ; cmp rax, helpers::ST_FAULT as i32
            ; je =>stop
            ; mov r13d, 1
        );
    }

    fn store(&mut self, m: MemOp, addr: Arg, x: Arg) {
        let (slow, join) = (self.ops.new_dynamic_label(), self.ops.new_dynamic_label());
        self.load(RSI, addr);
        self.load(RDX, x);
        self.tlb(true, u64::from(m.size), slow);
        match m.size {
            1 => x64!(self.ops ; mov BYTE [rsi + rcx], dl),
            2 => x64!(self.ops ; mov WORD [rsi + rcx], dx),
            4 => x64!(self.ops ; mov DWORD [rsi + rcx], edx),
            _ => x64!(self.ops ; mov QWORD [rsi + rcx], rdx),
        }
        x64!(self.ops ; jmp =>join ; =>slow);
        let pc_size = helpers::pc_size(self.pc, m.size) as i64;
        x64!(self.ops ; mov rdi, rbx ; mov rcx, QWORD pc_size);
        self.call(helpers::write as *const ());
        self.store_status(join);
        x64!(self.ops ; =>join);
    }

    fn store128(&mut self, addr: Arg, x: Arg) {
        let (slow, join) = (self.ops.new_dynamic_label(), self.ops.new_dynamic_label());
        let s = slot(x);
        self.load(RSI, addr);
        self.tlb(true, 16, slow);
        x64!(self.ops
            ; mov rax, QWORD [rsp + s]
            ; mov rdx, QWORD [rsp + s + 8]
            ; mov QWORD [rsi + rcx], rax
            ; mov QWORD [rsi + rcx + 8], rdx
            ; jmp =>join
            ; =>slow
        );
        let pc = self.pc as i64;
        x64!(self.ops
            ; mov rdi, rbx
            ; mov rdx, QWORD [rsp + s]
            ; mov rcx, QWORD [rsp + s + 8]
            ; mov r8, QWORD pc
        );
        self.call(helpers::write128 as *const ());
        self.store_status(join);
        x64!(self.ops ; =>join);
    }

    fn probe_write(&mut self, size: u64, addr: Arg) {
        let (slow, join) = (self.ops.new_dynamic_label(), self.ops.new_dynamic_label());
        self.load(RSI, addr);
        self.tlb(true, size, slow);
        x64!(self.ops ; jmp =>join ; =>slow);
        let stop = self.stub(Stub::Stop(self.k));
        let (size, pc) = (size as i64, self.pc as i64);
        x64!(self.ops ; mov rdi, rbx ; mov rdx, QWORD size ; mov rcx, QWORD pc);
        self.call(helpers::probe_write as *const ());
        x64!(self.ops ; test rax, rax ; jnz =>stop ; =>join);
    }
}
