//! IR block to Cranelift function `extern "C" fn(*mut JitCtx) -> u64`.
//!
//! Inside a guest block, registers live in Cranelift variables, loaded from
//! the state where first read (again after a fallback, which may change
//! any) and stored back at every exit and before every fallback if set.
//! Between the guest blocks of a region, a register stays in a host
//! register only if the block jumped to reads it before writing it and the
//! region sets it (a block parameter); the jump stores the other changed
//! registers and the flags. Loops thus carry just what they read, which
//! keeps their registers out of stack slots; registers the region never
//! sets are read from the state at each use. A block is given
//! the number of instructions it may retire (its budget) and every exit
//! returns what is left of it, with [`STOP_BIT`] set when a helper stopped
//! the guest (fault, or a fallback's stop); state and pc are then exactly
//! the interpreter's at that instruction.
//!
//! Loads and stores look the address up in the TLB inline (tag compare, page
//! offset fits, entry's addend + address) and call a helper on a miss. In a
//! window, accesses of a guest block at constant offsets from one base
//! share one check of all their bytes (`MemGroup`). A store
//! that the helper reports as a write into code (only a slow path can: the
//! write TLB never holds a page of code) ends the block at the next
//! instruction boundary, so modified code is decoded again: that slow path
//! finishes the instruction itself and leaves, so the fast path checks
//! nothing. Where the rest of the instruction only sets registers (most
//! stores), the exit a fault takes there serves, selecting the registers'
//! and the count's values by the helper's status; otherwise (a second
//! store follows) the path has a copy of the rest of the instruction.
//!
//! A block whose exit targets its own start loops inside the function while
//! another iteration fits in its budget (a parameter). Other exits chain: the
//! block looks the new pc up in the code cache's front and tail-calls the
//! compiled block there, passing the budget left, if its length fits in it;
//! otherwise it returns to the dispatcher.
//!
//! Memory slow paths call their helpers through `preserve_all` trampolines
//! (see `super::Trampolines`), so the fast paths around them need no
//! callee-saved registers or spills.

use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{
    self, types, AbiParam, BlockArg, InstBuilder, MemFlagsData, SigRef, Signature,
};
use cranelift_codegen::isa::{CallConv, TargetFrontendConfig};
use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext, Variable};
use kvrm_ir::{Arg, Block as IrBlock, Extend, MemOp, Op};

use super::helpers::{self, FallbackInfo};
use crate::exec::handler_for;
use crate::memory::{TLB_ENTRIES, TLB_ENTRY_SIZE};

mod fp;
mod ops;

/// Flags of loads of context fields that stay the same while compiled
/// code runs (the TLB tables' addresses): Cranelift may merge them and
/// move them out of loops.
fn fixed() -> MemFlagsData {
    MemFlagsData::trusted().with_readonly().with_can_move()
}

/// The flags' bit in `Emitter::dirty` (registers are bits 0-31).
const FLAGS_DIRTY: u64 = 1 << 32;

/// Set in a block's return value when the guest stopped (`Cpu::take_stop`).
pub const STOP_BIT: u64 = 1 << 63;

/// `super::Entry`'s layout.
pub(super) const ENTRY_PC: i32 = 0;
pub(super) const ENTRY_CODE: i32 = 8;
pub(super) const ENTRY_LEN: i32 = 16;
pub(super) const ENTRY_TEMPLATE: i32 = 24;
pub(super) const ENTRY_SIZE: i64 = 32;
const _: () = {
    use super::Entry;
    assert!(std::mem::offset_of!(Entry, pc) == ENTRY_PC as usize);
    assert!(std::mem::offset_of!(Entry, code) == ENTRY_CODE as usize);
    assert!(std::mem::offset_of!(Entry, len) == ENTRY_LEN as usize);
    assert!(std::mem::offset_of!(Entry, template) == ENTRY_TEMPLATE as usize);
    assert!(std::mem::size_of::<Entry>() == ENTRY_SIZE as usize);
};

pub(super) const OFF_PC: i32 = 256;
pub(super) const OFF_NZCV: i32 = 264;
/// Where the lazy flags live: (kind, a, b).
const FLAG_OFFS: [i32; 3] = [
    helpers::CTX_FLAG_KIND,
    helpers::CTX_FLAG_A,
    helpers::CTX_FLAG_B,
];
pub(super) const OFF_V: i32 = 320;
pub(super) const OFF_FPCR: i32 = 272;
pub(super) const OFF_FPSR: i32 = 280;
pub(super) const OFF_TPIDR: i32 = 288;
const _: () = {
    use kvrm_isa::CpuState;
    assert!(std::mem::offset_of!(CpuState, pc) == OFF_PC as usize);
    assert!(std::mem::offset_of!(CpuState, nzcv) == OFF_NZCV as usize);
    assert!(std::mem::offset_of!(CpuState, fpcr) == OFF_FPCR as usize);
    assert!(std::mem::offset_of!(CpuState, fpsr) == OFF_FPSR as usize);
    assert!(std::mem::offset_of!(CpuState, tpidr_el0) == OFF_TPIDR as usize);
};
const _: () = assert!(std::mem::offset_of!(kvrm_isa::CpuState, v) == OFF_V as usize);

#[derive(Clone, Copy)]
enum Val {
    None,
    One(ir::Value),
    Two(ir::Value, ir::Value),
    /// Flags read from before the block (or a fallback): lazy, (kind, a, b)
    /// as in `JitCtx`, the kind known only at run time.
    Flags([ir::Value; 3]),
    /// Flags of an operation of this block (`AddFlags` and the like), not
    /// computed until an instruction needs them packed: setting NZCV keeps
    /// the operands, and conditions compare them directly (fewer Cranelift
    /// instructions to compile).
    Deferred,
}

/// Quick code's exits shared by a function's paths (`Emitter::shared_exit`).
#[derive(Clone, Copy, PartialEq, Eq)]
enum SharedExit {
    /// Chain to the next pc.
    Chain,
    /// Return to the dispatcher at a pc.
    AtPc,
    /// A slow path's stop (the pc already set).
    Stop,
}

struct Sigs {
    /// The slow-path trampolines, by [`helpers::Slow`].
    slow: [SigRef; helpers::SLOW_PATHS],
    fallback: SigRef,
    /// (ctx, a, b) -> u64
    call3: SigRef,
    /// (ctx, a, b, c) -> u64
    call4: SigRef,
    /// A block (`tail` convention), for chaining.
    block: SigRef,
}

/// Where an exit leaves pc.
#[derive(Clone, Copy)]
enum ExitPc {
    Const(u64),
    Dyn(ir::Value),
    /// A helper already set it.
    Set,
}

pub fn signature(call_conv: CallConv) -> Signature {
    let mut s = Signature::new(call_conv);
    s.params.push(AbiParam::new(types::I64));
    s.returns.push(AbiParam::new(types::I64));
    s
}

/// A block: `(ctx, budget) -> budget left` in the `tail` convention.
pub fn block_signature() -> Signature {
    sig(CallConv::Tail, 2)
}

/// A slow-path trampoline: `(ctx, a1, .., an)`, nothing returned (the
/// result is left in `ctx.ret`), every register preserved.
pub fn trampoline_signature(n: usize) -> Signature {
    let mut s = Signature::new(CallConv::PreserveAll);
    for _ in 0..n + 1 {
        s.params.push(AbiParam::new(types::I64));
    }
    s
}

fn sig(call_conv: CallConv, params: usize) -> Signature {
    let mut s = Signature::new(call_conv);
    for _ in 0..params {
        s.params.push(AbiParam::new(types::I64));
    }
    s.returns.push(AbiParam::new(types::I64));
    s
}

struct Emitter<'a> {
    b: FunctionBuilder<'a>,
    /// The guest blocks of the function (the first is its entry) and the
    /// one being emitted.
    region: &'a [IrBlock],
    blk: &'a IrBlock,
    ctx: ir::Value,
    state: ir::Value,
    regs: [Option<Variable>; 32],
    /// The lazy flags (kind, a, b: see `JitCtx::flag_kind`), if the block
    /// reads or writes them.
    flags: Option<[Variable; 3]>,
    /// The budget left when the current guest block started: the function's
    /// budget less the instructions of the guest blocks run before it in
    /// this call (earlier iterations of a loop, other blocks of the region).
    rem: Variable,
    vals: Vec<Val>,
    /// Registers (bit 32: NZCV) possibly changed since the state was last exact.
    dirty: u64,
    /// Quick code: every register write (and flags setting) is also stored
    /// at once, so the state is always exact and exits store nothing. Fewer
    /// Cranelift instructions than storing the dirty registers at every exit
    /// (each load and store has one on its slow path), so it compiles
    /// sooner.
    through: bool,
    /// Quick code: the shared exit of the slow paths' stops (its parameter
    /// is the budget left), made when first used.
    stop_exit: Option<ir::Block>,
    /// Quick code: the shared exits that chain to the next pc or return at
    /// a pc (parameters: the pc, the budget left), made when first used.
    chain_exit: Option<ir::Block>,
    pc_exit: Option<ir::Block>,
    /// The Cranelift block of each guest block.
    bodies: Vec<ir::Block>,
    sigs: Sigs,
    /// Allocated for every fallback of the block up front: the code holds
    /// addresses of its elements, so it must never reallocate.
    fallbacks: Vec<FallbackInfo>,
    /// Index and pc of the guest instruction being emitted.
    k: u32,
    pc: u64,
    /// Per guest block, the registers it receives in host registers
    /// (block parameters, in ascending order) from the blocks that jump to
    /// it: those it reads before writing and that the region sets. Every
    /// other register is in the state at a block's start.
    carried: Vec<u64>,
    /// Per block of the region: it sets the flags before it can read them
    /// or leave, so a jump to it need not store them.
    flags_dead: Vec<bool>,
    /// The blocks of the region that calls in it return to: an indirect
    /// branch to one of them (a return) jumps there.
    returns: Vec<usize>,
    /// Index in the region of the guest block being emitted.
    bi: usize,
    /// Quick code: the address of the region's count of entries and
    /// back-edges taken (see `Tier`).
    counter: Option<u64>,
    /// Registers whose variables hold their values in the current guest
    /// block (received, set, or loaded there); the others are read from the
    /// state.
    here: u64,
    /// Emitting the rest of an instruction on the path of a store that
    /// wrote into code, which then leaves (see [`Emitter::finish_and_leave`]):
    /// its later stores need no such path of their own.
    code_copy: bool,
    /// The instruction being emitted has changed the state or memory
    /// already (see [`Emitter::misses_exit`]).
    insn_effects: bool,
    /// The space has a window (`JitCtx::flat_addend`): loads and stores
    /// check the entries' flat tags and add the window's addend.
    flat: bool,
    /// The flag variables were defined in the current guest block (flags
    /// from before it are read from the context).
    flags_here: bool,
    /// The current guest block's access groups, and each instruction's.
    groups: Vec<MemGroup>,
    group_of: Vec<Option<usize>>,
}

/// Accesses of one guest block to one page that one TLB check covers: the
/// loads (or the stores) at constant offsets from one base value with no
/// fallback between them, as a function's stack accesses or an unrolled
/// copy loop make, spanning at most a page (when they straddle two, the
/// check fails and each access makes its own).
#[derive(Clone, Copy)]
struct MemGroup {
    base: kvrm_ir::Value,
    /// Offset of the first byte from the base, and the bytes covered.
    lo: i64,
    len: u64,
    /// The check, once made: (entry, ok).
    check: Option<(ir::Value, ir::Value)>,
    /// Set where the code from here on runs only if the check passed (a
    /// failed check leaves the block): the addend of the group's host
    /// addresses, with which its accesses take their fast paths, no
    /// branch.
    addend: Option<ir::Value>,
}

/// The access groups of `blk` (groups of one access are left out), and the
/// group of each instruction.
fn mem_groups(blk: &IrBlock) -> (Vec<MemGroup>, Vec<Option<usize>>) {
    use std::collections::BTreeMap;
    // The base and constant offset of an address value.
    let split = |v: kvrm_ir::Value| -> (kvrm_ir::Value, i64) {
        let def = &blk.insts[v.0 as usize];
        if def.op == Op::Add {
            for (x, k) in [(def.args[0], def.args[1]), (def.args[1], def.args[0])] {
                if let (Arg::Val(x), Arg::Val(k)) = (x, k) {
                    let kdef = &blk.insts[k.0 as usize];
                    if kdef.op == Op::Const {
                        return (x, kdef.args[0].imm() as i64);
                    }
                }
            }
        }
        (v, 0)
    };
    /// (base, is a store, segment between fallbacks)
    type Key = (u32, bool, usize);
    /// (instruction, offset, size)
    type Access = (usize, i64, u8);
    let mut by_base: BTreeMap<Key, Vec<Access>> = BTreeMap::new();
    let mut segment = 0;
    for (i, inst) in blk.insts.iter().enumerate() {
        match inst.op {
            Op::Fallback => segment += 1,
            Op::Load | Op::Load128 | Op::Store | Op::Store128 => {
                let size = MemOp::decode(inst.args[0].imm()).size;
                let write = matches!(inst.op, Op::Store | Op::Store128);
                let (base, off) = split(inst.args[1].val());
                by_base
                    .entry((base.0, write, segment))
                    .or_default()
                    .push((i, off, size));
            }
            _ => {}
        }
    }
    let mut groups = Vec::new();
    let mut group_of = vec![None; blk.insts.len()];
    for ((base, _, _), members) in by_base {
        if members.len() < 2 {
            continue;
        }
        let lo = members.iter().map(|m| m.1).min().unwrap_or(0);
        let hi = members
            .iter()
            .map(|m| m.1.saturating_add(i64::from(m.2)))
            .max();
        let len = hi.unwrap_or(lo).saturating_sub(lo);
        if !(1..=4096).contains(&len) {
            continue;
        }
        for m in &members {
            group_of[m.0] = Some(groups.len());
        }
        groups.push(MemGroup {
            base: kvrm_ir::Value(base),
            lo,
            len: len as u64,
            check: None,
            addend: None,
        });
    }
    (groups, group_of)
}

/// Translate `region` into `func`: its first block is the entry; a branch
/// from one of its blocks to the start of another (or the same) is a jump
/// inside the function. Returns the fallback records the code points to.
pub fn translate(
    func: &mut ir::Function,
    fctx: &mut FunctionBuilderContext,
    region: &[IrBlock],
    call_conv: CallConv,
    frontend: TargetFrontendConfig,
    flat: bool,
    counter: Option<u64>,
) -> Vec<FallbackInfo> {
    let sigs = Sigs {
        slow: helpers::slow_paths().map(|(_, n)| func.import_signature(trampoline_signature(n))),
        fallback: func.import_signature(sig(call_conv, 2)),
        call3: func.import_signature(sig(call_conv, 3)),
        call4: func.import_signature(sig(call_conv, 4)),
        block: func.import_signature(block_signature()),
    };
    let mut b = FunctionBuilder::new(func, fctx);
    let entry = b.create_block();
    b.append_block_params_for_function_params(entry);
    b.switch_to_block(entry);
    b.seal_block(entry);
    let (ctx, budget) = {
        let p = b.block_params(entry);
        (p[0], p[1])
    };
    let t = MemFlagsData::trusted();
    let state = b.ins().load(types::I64, t, ctx, helpers::CTX_STATE);

    let mut regs = [None; 32];
    let mut flags = None;
    for inst in region.iter().flat_map(|blk| &blk.insts) {
        match inst.op {
            // Registers the region never sets are read from the state at
            // each use (it holds them: only a fallback writes them, straight
            // into the state).
            Op::SetReg => {
                let r = inst.args[0].reg() as usize;
                if regs[r].is_none() {
                    regs[r] = Some(b.declare_var(types::I64));
                }
            }
            Op::GetNzcv | Op::SetNzcv if flags.is_none() => {
                flags = Some([(); 3].map(|_| b.declare_var(types::I64)));
            }
            _ => {}
        }
    }
    let set_in_region = (0..32)
        .filter(|&r| regs[r].is_some())
        .fold(0u64, |m, r| m | 1 << r);
    let carried: Vec<u64> = region
        .iter()
        .map(|blk| read_before_write(blk) & set_in_region)
        .collect();
    let rem = b.declare_var(types::I64);
    b.def_var(rem, budget);
    let bodies: Vec<ir::Block> = region
        .iter()
        .zip(&carried)
        .map(|(_, &c)| {
            let blk = b.create_block();
            for _ in 0..c.count_ones() {
                b.append_block_param(blk, types::I64);
            }
            blk
        })
        .collect();
    let returns = return_blocks(region);
    let through = counter.is_some();
    let dirty_in = if through {
        vec![0; region.len()]
    } else {
        dirty_at_starts(region, &carried, &returns)
    };
    let fallbacks = region
        .iter()
        .flat_map(|blk| &blk.insts)
        .filter(|i| matches!(i.op, Op::Fallback | Op::Exec))
        .count();
    let mut e = Emitter {
        b,
        region,
        blk: &region[0],
        ctx,
        state,
        regs,
        flags,
        rem,
        vals: Vec::new(),
        dirty: 0,
        through,
        stop_exit: None,
        chain_exit: None,
        pc_exit: None,
        bodies,
        sigs,
        fallbacks: Vec::with_capacity(fallbacks),
        k: 0,
        pc: region[0].start,
        carried,
        flags_dead: region.iter().map(flags_dead_at_entry).collect(),
        returns,
        bi: 0,
        counter,
        here: 0,
        code_copy: false,
        insn_effects: false,
        flat,
        flags_here: false,
        groups: Vec::new(),
        group_of: Vec::new(),
    };
    // The entry block passes the first block its registers from the state.
    e.count();
    let args = e.carried_args(0);
    e.b.ins().jump(e.bodies[0], &args);
    for (bi, blk) in region.iter().enumerate() {
        e.b.switch_to_block(e.bodies[bi]);
        e.blk = blk;
        e.bi = bi;
        e.vals = vec![Val::None; blk.insts.len()];
        e.k = 0;
        e.pc = blk.start;
        e.insn_effects = false;
        e.dirty = dirty_in[bi];
        e.flags_here = false;
        // Only in a window: there every page keeps its host address while
        // compiled code runs, whatever the TLB holds by the group's later
        // accesses (elsewhere a slow path may replace the entry, or a
        // copy-on-write the frame, in between).
        (e.groups, e.group_of) = if flat {
            mem_groups(blk)
        } else {
            Default::default()
        };
        e.here = e.carried[bi];
        let params = e.b.block_params(e.bodies[bi]).to_vec();
        for (r, x) in bits(e.carried[bi]).zip(params) {
            let v = e.regs[r].expect("carried registers are set in the region");
            e.b.def_var(v, x);
        }
        let mut first = true;
        for (i, inst) in blk.insts.iter().enumerate() {
            if inst.op == Op::Mark {
                if !first {
                    e.k += 1;
                }
                first = false;
                e.pc = inst.args[0].imm();
                e.insn_effects = false;
                continue;
            }
            e.emit(i, inst);
            e.insn_effects |= !changes_nothing(inst.op);
        }
    }
    if let Some(out) = e.chain_exit {
        e.b.switch_to_block(out);
        let (p, left) = (e.b.block_params(out)[0], e.b.block_params(out)[1]);
        e.chain(p, None, left);
    }
    if let Some(out) = e.pc_exit {
        e.b.switch_to_block(out);
        let (p, left) = (e.b.block_params(out)[0], e.b.block_params(out)[1]);
        let t = MemFlagsData::trusted();
        e.b.ins().store(t, p, e.state, OFF_PC);
        e.ret(left);
    }
    if let Some(out) = e.stop_exit {
        e.b.switch_to_block(out);
        let left = e.b.block_params(out)[0];
        let r = e.b.ins().bor_imm_s(left, STOP_BIT as i64);
        e.ret(r);
    }
    e.b.seal_all_blocks();
    e.b.finalize(frontend);
    e.fallbacks
}

/// The emitter's state around a path that leaves ([`Emitter::snapshot`]).
struct Snapshot {
    vals: Vec<Val>,
    groups: Vec<MemGroup>,
    here: u64,
    dirty: u64,
    flags_here: bool,
    insn_effects: bool,
}

/// The IR instructions of `blk` after `i` up to the end of its guest
/// instruction.
fn rest_of_insn(blk: &IrBlock, i: usize) -> impl Iterator<Item = (usize, &kvrm_ir::Inst)> {
    blk.insts
        .iter()
        .enumerate()
        .skip(i + 1)
        .take_while(|(_, inst)| inst.op != Op::Mark && !inst.op.is_terminator())
}

/// `op` changes neither the guest state nor memory (a guest instruction
/// can still be started again after it).
fn changes_nothing(op: Op) -> bool {
    use Op::*;
    matches!(
        op,
        Mark | Nop
            | GetReg
            | GetNzcv
            | GetSys
            | GetVec
            | Const
            | ConstU1
            | ConstNzcv
            | Add
            | Sub
            | Mul
            | UMulH
            | SMulH
            | UDiv
            | SDiv
            | And
            | Or
            | Xor
            | Not
            | Shl
            | Lshr
            | Ashr
            | Ror
            | Ror32
            | Clz
            | Rbit
            | Rev
            | Zext8
            | Zext16
            | Zext32
            | Sext8
            | Sext16
            | Sext32
            | Eq
            | Ne
            | Select
            | AddFlags
            | SubFlags
            | AddFlags32
            | SubFlags32
            | LogicFlags
            | LogicFlags32
            | CondHolds
            | SelectNzcv
            | Load
            | Load128
            | Lo128
            | Hi128
            | Pack128
            | ProbeWrite
    )
}

/// The registers `blk` may read before writing them (before its first
/// fallback, which reloads what it needs).
fn read_before_write(blk: &IrBlock) -> u64 {
    let (mut read, mut written) = (0u64, 0u64);
    for inst in &blk.insts {
        match inst.op {
            Op::GetReg => read |= (1 << inst.args[0].reg()) & !written,
            Op::SetReg => written |= 1 << inst.args[0].reg(),
            Op::Fallback => break,
            _ => {}
        }
    }
    read
}

/// Whether `blk` sets the flags before anything in it may read them or
/// leave (a flag read, an access that may fault, a fallback, an exit).
fn flags_dead_at_entry(blk: &IrBlock) -> bool {
    for inst in &blk.insts {
        match inst.op {
            Op::SetNzcv => return true,
            Op::GetNzcv => return false,
            op if op.may_exit() || op.is_terminator() => return false,
            _ => {}
        }
    }
    false
}

/// Most blocks an indirect branch compares its target with.
const MAX_RETURN_BLOCKS: usize = 4;

/// The blocks of `region` that calls in it return to (see
/// `Emitter::returns`).
fn return_blocks(region: &[IrBlock]) -> Vec<usize> {
    let mut out: Vec<usize> = region
        .iter()
        .filter_map(|b| b.return_point())
        .filter_map(|pc| region.iter().position(|m| m.start == pc))
        .collect();
    out.sort_unstable();
    out.dedup();
    out.truncate(MAX_RETURN_BLOCKS);
    out
}

/// Whether `blk` ends in an indirect branch.
fn ends_indirect(blk: &IrBlock) -> bool {
    blk.insts.last().is_some_and(|i| i.op == Op::ExitIndirect)
}

/// The indices of the set bits of `m` below 32 (registers), ascending.
fn bits(m: u64) -> impl Iterator<Item = usize> {
    (0..32).filter(move |r| m & (1 << r) != 0)
}

/// For each block of `region`, the registers that may differ from the state
/// when it starts: carried ones (`carried`) set on some path from the
/// function's entry (where the state is exact) or from the last fallback
/// (which leaves it exact), so exits store only those. A jump inside the
/// region stores the dirty registers its target does not receive, and the
/// flags (never carried).
fn dirty_at_starts(region: &[IrBlock], carried: &[u64], returns: &[usize]) -> Vec<u64> {
    // Per block: what it leaves dirty on top of what it got (`add`), and
    // whether a fallback made the state exact on the way (`reset`).
    let summary: Vec<(u64, bool)> = region
        .iter()
        .map(|blk| {
            let (mut add, mut reset) = (0u64, false);
            for inst in &blk.insts {
                match inst.op {
                    Op::SetReg => add |= 1 << inst.args[0].reg(),
                    Op::Fallback => (add, reset) = (0, true),
                    _ => {}
                }
            }
            (add, reset)
        })
        .collect();
    let succs: Vec<Vec<usize>> = region
        .iter()
        .map(|blk| {
            let mut s: Vec<usize> = blk
                .static_targets()
                .into_iter()
                .filter_map(|pc| region.iter().position(|m| m.start == pc))
                .collect();
            if ends_indirect(blk) {
                s.extend_from_slice(returns);
            }
            s
        })
        .collect();
    let mut dirty_in = vec![0u64; region.len()];
    let mut changed = true;
    while changed {
        changed = false;
        for (j, &(add, reset)) in summary.iter().enumerate() {
            let out = add | if reset { 0 } else { dirty_in[j] };
            for &s in &succs[j] {
                let out = out & carried[s];
                if dirty_in[s] | out != dirty_in[s] {
                    dirty_in[s] |= out;
                    changed = true;
                }
            }
        }
    }
    dirty_in
}

impl Emitter<'_> {
    fn reg_off(r: usize) -> i32 {
        8 * r as i32
    }

    /// After a fallback: the state is exact, so every register and the
    /// flags are read from it again where used.
    fn reload_state(&mut self) {
        self.here = 0;
        self.flags_here = false;
    }

    /// The current value of register `r`: its variable where it holds it,
    /// else loaded from the state (and kept in the variable for later uses
    /// in this guest block).
    fn reg(&mut self, r: usize) -> ir::Value {
        if self.here & (1 << r) != 0 {
            return self.b.use_var(self.regs[r].expect("declared"));
        }
        let t = MemFlagsData::trusted();
        let x = self
            .b
            .ins()
            .load(types::I64, t, self.state, Self::reg_off(r));
        if let Some(v) = self.regs[r] {
            self.b.def_var(v, x);
            self.here |= 1 << r;
        }
        x
    }

    /// The values block `j` receives, in its parameters' order.
    fn carried_args(&mut self, j: usize) -> Vec<BlockArg> {
        bits(self.carried[j])
            .map(|r| BlockArg::Value(self.reg(r)))
            .collect()
    }

    /// Store the registers changed since the state was last exact, and the
    /// lazy flags if the block set them (into the context: see
    /// `JitCtx::flag_kind`).
    fn write_back(&mut self) {
        let t = MemFlagsData::trusted();
        for r in 0..32 {
            if self.dirty & (1 << r) != 0 {
                if let Some(v) = self.regs[r] {
                    let x = self.b.use_var(v);
                    self.b.ins().store(t, x, self.state, Self::reg_off(r));
                }
            }
        }
        if self.dirty & FLAGS_DIRTY != 0 {
            if let Some(vars) = self.flags {
                for (v, off) in vars.into_iter().zip(FLAG_OFFS) {
                    let x = self.b.use_var(v);
                    self.b.ins().store(t, x, self.ctx, off);
                }
            }
        }
    }

    /// Leave the block from the current position.
    fn exit(&mut self, pc: ExitPc, retired: u32, stop: bool, write_back: bool) {
        self.exit_chain(pc, retired, stop, write_back, false);
    }

    /// Leave the block; with `chain`, go straight on to the compiled block
    /// at the new pc when the front holds it and the budget covers it.
    fn exit_chain(&mut self, pc: ExitPc, retired: u32, stop: bool, write_back: bool, chain: bool) {
        if write_back {
            self.write_back();
        }
        let target = match pc {
            ExitPc::Const(p) => Some(self.b.ins().iconst(types::I64, p as i64)),
            ExitPc::Dyn(p) => Some(p),
            ExitPc::Set => None,
        };
        let rem = self.b.use_var(self.rem);
        let left = if retired == 0 {
            rem
        } else {
            self.b.ins().iadd_imm_s(rem, -i64::from(retired))
        };
        let r = if stop {
            self.b.ins().bor_imm_s(left, STOP_BIT as i64)
        } else {
            left
        };
        match target {
            Some(p) if chain && !stop && self.through => {
                let out = self.shared_exit(SharedExit::Chain);
                self.b
                    .ins()
                    .jump(out, &[BlockArg::Value(p), BlockArg::Value(r)]);
            }
            Some(p) if chain && !stop => {
                let known = match pc {
                    ExitPc::Const(k) => Some(k),
                    _ => None,
                };
                self.chain(p, known, r)
            }
            Some(p) => self.ret_at(p, r),
            None => self.ret(r),
        }
    }

    /// Return `r` with the guest at `pc`. (Compiled code keeps the state's
    /// pc only where it leaves to Rust: every block knows its own pc, and
    /// helpers are passed theirs.)
    fn ret_at(&mut self, pc: ir::Value, r: ir::Value) {
        if self.through {
            let out = self.shared_exit(SharedExit::AtPc);
            self.b
                .ins()
                .jump(out, &[BlockArg::Value(pc), BlockArg::Value(r)]);
            return;
        }
        let t = MemFlagsData::trusted();
        self.b.ins().store(t, pc, self.state, OFF_PC);
        self.ret(r);
    }

    /// Quick code's shared exit of `kind`, made when first used. Its
    /// parameters: the pc and the budget left (`Chain`, `AtPc`), or the
    /// budget left (`Stop`).
    fn shared_exit(&mut self, kind: SharedExit) -> ir::Block {
        let slot = match kind {
            SharedExit::Chain => &mut self.chain_exit,
            SharedExit::AtPc => &mut self.pc_exit,
            SharedExit::Stop => &mut self.stop_exit,
        };
        if let Some(b) = *slot {
            return b;
        }
        let b = self.b.create_block();
        *slot = Some(b);
        if kind != SharedExit::Stop {
            self.b.append_block_param(b, types::I64);
        }
        self.b.append_block_param(b, types::I64);
        if kind != SharedExit::Chain {
            self.b.set_cold_block(b);
        }
        b
    }

    /// Return `r` (the budget left, maybe with [`STOP_BIT`]) to `enter`.
    fn ret(&mut self, r: ir::Value) {
        self.b.ins().return_(&[r]);
    }

    /// Tail-call the compiled block at `p` (`known` when it is a constant)
    /// if the front holds it and its length fits in `left`, the budget
    /// left; else return `left` at `p`. The registers are written back.
    fn chain(&mut self, p: ir::Value, known: Option<u64>, left: ir::Value) {
        let t = MemFlagsData::trusted();
        let front = self
            .b
            .ins()
            .load(types::I64, t, self.ctx, helpers::CTX_FRONT);
        // A constant target's slot is an offset known now: quick code,
        // which Cranelift does not simplify, computes nothing for it.
        let (e, slot) = match known {
            Some(k) => {
                let slot = (k >> 2) as i64 & (super::FRONT as i64 - 1);
                (front, (slot * ENTRY_SIZE) as i32)
            }
            None => {
                let s = self.b.ins().ushr_imm_s(p, 2);
                let s = self.b.ins().band_imm_s(s, (super::FRONT - 1) as i64);
                let s = self.b.ins().imul_imm_s(s, ENTRY_SIZE);
                (self.b.ins().iadd(front, s), 0)
            }
        };
        let epc = self.b.ins().load(types::I64, t, e, slot + ENTRY_PC);
        let len = self.b.ins().load(types::I64, t, e, slot + ENTRY_LEN);
        let hit = self.b.ins().icmp(IntCC::Equal, epc, p);
        let fits = self.b.ins().icmp(IntCC::UnsignedLessThanOrEqual, len, left);
        let ok = self.b.ins().band(hit, fits);
        let go = self.b.create_block();
        let ret = self.b.create_block();
        self.b.ins().brif(ok, go, &[], ret, &[]);
        self.b.switch_to_block(ret);
        self.ret_at(p, left);
        self.b.switch_to_block(go);
        let code = self.b.ins().load(types::I64, t, e, slot + ENTRY_CODE);
        self.b
            .ins()
            .return_call_indirect(self.sigs.block, code, &[self.ctx, left]);
    }

    /// Branch to a new block that exits if `cond`, else continue here.
    fn side_exit(&mut self, cond: ir::Value, pc: ExitPc, retired: u32, stop: bool, wb: bool) {
        let out = self.b.create_block();
        let cont = self.b.create_block();
        self.b.set_cold_block(out);
        self.b.ins().brif(cond, out, &[], cont, &[]);
        self.b.switch_to_block(out);
        self.exit(pc, retired, stop, wb);
        self.b.switch_to_block(cont);
    }

    /// Leave with a stop (the pc set, `k` instructions retired) if `cond`,
    /// as a slow path does on a fault; else continue here. Quick code
    /// (whose state is exact) branches to one shared exit.
    fn stop_if(&mut self, cond: ir::Value) {
        if !self.through {
            self.side_exit(cond, ExitPc::Set, self.k, true, true);
            return;
        }
        let out = self.shared_exit(SharedExit::Stop);
        let left = self.budget_left();
        let cont = self.b.create_block();
        self.b
            .ins()
            .brif(cond, out, &[BlockArg::Value(left)], cont, &[]);
        self.b.switch_to_block(cont);
    }

    /// Whether the rest of the guest instruction after IR instruction `i`
    /// only computes values and sets registers (a writeback).
    fn rest_sets_only(&self, i: usize) -> bool {
        rest_of_insn(self.blk, i).all(|(_, inst)| {
            inst.op == Op::SetReg
                || (changes_nothing(inst.op)
                    && !matches!(inst.op, Op::Load | Op::Load128 | Op::ProbeWrite))
        })
    }

    /// What emitting a path that leaves (a store's exit after a write into
    /// code) changes in the emitter, to be put back for the path that goes on.
    fn snapshot(&self) -> Snapshot {
        Snapshot {
            vals: self.vals.clone(),
            groups: self.groups.clone(),
            here: self.here,
            dirty: self.dirty,
            flags_here: self.flags_here,
            insn_effects: self.insn_effects,
        }
    }

    fn restore(&mut self, s: Snapshot) {
        self.vals = s.vals;
        self.groups = s.groups;
        self.here = s.here;
        self.dirty = s.dirty;
        self.flags_here = s.flags_here;
        self.insn_effects = s.insn_effects;
    }

    /// The slow path of the store of IR instruction `i` whose status `st`
    /// is not `ST_OK`, when the rest of its instruction only sets registers
    /// ([`Self::rest_sets_only`]): one exit for both other statuses. On a
    /// fault (`ST_FAULT`, the pc set) the guest stops with `k` instructions
    /// retired; after a write into code (`ST_CODE`, the pc set to the next
    /// instruction) the registers the rest sets are set and this instruction
    /// is retired too. The emitter's state is as before afterwards.
    fn leave_after_store(&mut self, i: usize, st: ir::Value) {
        let saved = self.snapshot();
        let mut is_code = None;
        for (j, inst) in rest_of_insn(self.blk, i) {
            if inst.op != Op::SetReg {
                self.emit(j, inst);
                continue;
            }
            let r = inst.args[0].reg() as usize;
            let v = inst.args[1];
            if let Val::Flags(lazy) = self.vals[v.val().0 as usize] {
                self.vals[v.val().0 as usize] = Val::One(self.materialize(lazy));
            }
            self.force(v);
            let new = self.v(v);
            let old = self.reg(r);
            let code = *is_code.get_or_insert_with(|| {
                self.b
                    .ins()
                    .icmp_imm_s(IntCC::Equal, st, helpers::ST_CODE as i64)
            });
            let x = self.b.ins().select(code, new, old);
            self.b.def_var(self.regs[r].expect("declared"), x);
            self.here |= 1 << r;
            self.dirty |= 1 << r;
        }
        self.write_back();
        // Budget left: k retired, one more after a write into code
        // (ST_CODE >> 1 == 1, ST_FAULT >> 1 == 0); the stop bit on a fault.
        const _: () = assert!(helpers::ST_FAULT == 1 && helpers::ST_CODE == 2);
        let rem = self.b.use_var(self.rem);
        let left = self.b.ins().iadd_imm_s(rem, -i64::from(self.k));
        let more = self.b.ins().ushr_imm_s(st, 1);
        let left = self.b.ins().isub(left, more);
        let stop = self.b.ins().band_imm_s(st, 1);
        let stop = self.b.ins().ishl_imm_s(stop, 63);
        let r = self.b.ins().bor(left, stop);
        self.ret(r);
        self.restore(saved);
    }

    /// On the path of the store of IR instruction `i` that wrote into code
    /// (`helpers::ST_CODE`): emit the rest of its guest instruction here (a
    /// copy: the fast path emits it again after the store), then leave at
    /// the next instruction with this one retired, so the modified code is
    /// decoded again. The emitter's state is as before afterwards.
    fn finish_and_leave(&mut self, i: usize) {
        let blk = self.blk;
        let saved = self.snapshot();
        self.code_copy = true;
        self.insn_effects = true;
        let mut next = self.pc + 4;
        for (j, inst) in blk.insts.iter().enumerate().skip(i + 1) {
            match inst.op {
                Op::Mark => {
                    next = inst.args[0].imm();
                    break;
                }
                Op::ExitTo => {
                    next = inst.args[0].imm();
                    break;
                }
                op => {
                    // A store is never in one instruction with a branch or
                    // a call to the interpreter (`fallbacks` is sized for
                    // the region's calls once each).
                    assert!(
                        !op.is_terminator() && !matches!(op, Op::Fallback | Op::Exec),
                        "kvrm jit: {op:?} in a storing instruction"
                    );
                    self.emit(j, inst);
                    self.insn_effects |= !changes_nothing(op);
                }
            }
        }
        debug_assert_eq!(next, self.pc + 4);
        self.exit(ExitPc::Const(next), self.k + 1, false, true);
        self.code_copy = false;
        self.restore(saved);
    }

    /// Compute deferred flags `a` (see `Val::Deferred`) here.
    pub(super) fn force(&mut self, a: Arg) {
        let i = a.val().0 as usize;
        if matches!(self.vals[i], Val::Deferred) {
            let def = *self.blk.inst(a.val());
            self.vals[i] = Val::One(self.pure(def.op, &def.args));
        }
    }

    fn v(&self, a: Arg) -> ir::Value {
        match self.vals[a.val().0 as usize] {
            Val::One(v) => v,
            _ => panic!("kvrm jit: value {a:?} not defined"),
        }
    }

    fn pair(&self, a: Arg) -> (ir::Value, ir::Value) {
        match self.vals[a.val().0 as usize] {
            Val::Two(lo, hi) => (lo, hi),
            _ => panic!("kvrm jit: value {a:?} is not 128-bit"),
        }
    }

    fn iconst(&mut self, k: u64) -> ir::Value {
        self.b.ins().iconst(types::I64, k as i64)
    }

    fn emit(&mut self, i: usize, inst: &kvrm_ir::Inst) {
        let a = inst.args;
        if !matches!(inst.op, Op::SetNzcv | Op::CondHolds) {
            // Any other reader of earlier flags takes them packed.
            for v in inst.values() {
                if let Val::Flags(lazy) = self.vals[v.0 as usize] {
                    self.vals[v.0 as usize] = Val::One(self.materialize(lazy));
                }
                self.force(Arg::Val(v));
            }
        }
        let out = match inst.op {
            Op::Mark | Op::Nop => Val::None,
            Op::GetReg => Val::One(self.reg(a[0].reg() as usize)),
            Op::SetReg => {
                let r = a[0].reg() as usize;
                let x = self.v(a[1]);
                self.b.def_var(self.regs[r].expect("declared"), x);
                self.here |= 1 << r;
                if self.through {
                    let t = MemFlagsData::trusted();
                    self.b.ins().store(t, x, self.state, Self::reg_off(r));
                } else {
                    self.dirty |= 1 << r;
                }
                Val::None
            }
            Op::GetNzcv => {
                let vars = self.flags.expect("declared");
                if !self.flags_here {
                    let t = MemFlagsData::trusted();
                    for (v, off) in vars.into_iter().zip(FLAG_OFFS) {
                        let x = self.b.ins().load(types::I64, t, self.ctx, off);
                        self.b.def_var(v, x);
                    }
                    self.flags_here = true;
                }
                Val::Flags(vars.map(|v| self.b.use_var(v)))
            }
            Op::SetNzcv => {
                let lazy = self.lazy_flags(a[0]);
                let vars = self.flags.expect("declared");
                for (v, x) in vars.into_iter().zip(lazy) {
                    self.b.def_var(v, x);
                }
                self.flags_here = true;
                if self.through {
                    let t = MemFlagsData::trusted();
                    for (x, off) in lazy.into_iter().zip(FLAG_OFFS) {
                        self.b.ins().store(t, x, self.ctx, off);
                    }
                } else {
                    self.dirty |= FLAGS_DIRTY;
                }
                Val::None
            }
            Op::CondHolds => match self.vals[a[1].val().0 as usize] {
                Val::Flags(lazy) => Val::One(self.cond_lazy(a[0].imm(), lazy)),
                _ => Val::One(self.pure(inst.op, &a)),
            },
            Op::AddFlags
            | Op::SubFlags
            | Op::AddFlags32
            | Op::SubFlags32
            | Op::LogicFlags
            | Op::LogicFlags32 => Val::Deferred,
            Op::Const | Op::ConstNzcv => Val::One(self.iconst(a[0].imm())),
            Op::ConstU1 => Val::One(self.b.ins().iconst(types::I8, a[0].imm() as i64 & 1)),
            Op::Load | Op::Load128 => self.load(i, MemOp::decode(a[0].imm()), self.v(a[1])),
            Op::Store => {
                let (addr, x) = (self.v(a[1]), self.v(a[2]));
                self.store(i, MemOp::decode(a[0].imm()), addr, x, None);
                Val::None
            }
            Op::Store128 => {
                let addr = self.v(a[1]);
                let (lo, hi) = self.pair(a[2]);
                self.store(i, MemOp::decode(a[0].imm()), addr, lo, Some(hi));
                Val::None
            }
            Op::Lo128 => Val::One(self.pair(a[0]).0),
            Op::Hi128 => Val::One(self.pair(a[0]).1),
            Op::Pack128 => Val::Two(self.v(a[0]), self.v(a[1])),
            Op::Fallback => {
                self.fallback(a[0].imm(), a[1].imm() as u32);
                Val::None
            }
            Op::Exec => {
                self.exec(a[0].imm(), a[1].imm() as u32);
                Val::None
            }
            Op::GetSys => {
                let off = match a[0].imm() {
                    kvrm_ir::opcodes::SYS_FPCR => OFF_FPCR,
                    kvrm_ir::opcodes::SYS_FPSR => OFF_FPSR,
                    _ => OFF_TPIDR,
                };
                let t = MemFlagsData::trusted();
                Val::One(self.b.ins().load(types::I64, t, self.state, off))
            }
            Op::GetVec => {
                let off = OFF_V + 16 * a[0].reg() as i32;
                let t = MemFlagsData::trusted();
                let lo = self.b.ins().load(types::I64, t, self.state, off);
                let hi = self.b.ins().load(types::I64, t, self.state, off + 8);
                Val::Two(lo, hi)
            }
            Op::SetVec => {
                let off = OFF_V + 16 * a[0].reg() as i32;
                let (lo, hi) = self.pair(a[1]);
                let t = MemFlagsData::trusted();
                self.b.ins().store(t, lo, self.state, off);
                self.b.ins().store(t, hi, self.state, off + 8);
                Val::None
            }
            Op::FpToInt => Val::One(self.fp_to_int(a[0].imm() as u32, self.v(a[1]))),
            Op::FpFromInt => Val::One(self.fp_from_int(a[0].imm() as u32, self.v(a[1]))),
            Op::FpCmp => {
                let (x, y) = (self.v(a[1]), self.v(a[2]));
                Val::One(self.fp_cmp(a[0].imm() as u32, x, y))
            }
            Op::ProbeWrite => {
                self.probe_write(a[0].imm() as u8, self.v(a[1]));
                Val::None
            }
            Op::ExitTo => {
                self.goto(a[0].imm());
                Val::None
            }
            Op::ExitCond => {
                // Each side a jump inside the region or an exit with a
                // constant target (a constant front slot to chain through).
                let c = self.v(a[0]);
                let taken = self.b.create_block();
                let not = self.b.create_block();
                self.b.ins().brif(c, taken, &[], not, &[]);
                // What one side loads from the state is not there on the other.
                let here = self.here;
                self.b.switch_to_block(taken);
                self.goto(a[1].imm());
                self.here = here;
                self.b.switch_to_block(not);
                self.goto(a[2].imm());
                Val::None
            }
            Op::ExitIndirect => {
                let pc = self.v(a[0]);
                // A return to a block of the region jumps there.
                let here = self.here;
                for j in self.returns.clone() {
                    let hit =
                        self.b
                            .ins()
                            .icmp_imm_s(IntCC::Equal, pc, self.region[j].start as i64);
                    let to = self.b.create_block();
                    let other = self.b.create_block();
                    self.b.ins().brif(hit, to, &[], other, &[]);
                    self.b.switch_to_block(to);
                    self.jump_within(j);
                    self.here = here;
                    self.b.switch_to_block(other);
                }
                self.exit_chain(ExitPc::Dyn(pc), self.k + 1, false, true, true);
                Val::None
            }
            _ => Val::One(self.pure(inst.op, &a)),
        };
        self.vals[i] = out;
    }

    /// Leave the block, which retired all its instructions, for `to`: a
    /// jump to its code if it is a block of the region, else an exit.
    fn goto(&mut self, to: u64) {
        match self.region.iter().position(|m| m.start == to) {
            Some(j) => self.jump_within(j),
            None => self.exit_chain(ExitPc::Const(to), self.k + 1, false, true, true),
        }
    }

    /// Go on to block `j` of the region if all of it fits in the budget,
    /// else leave at its start.
    fn jump_within(&mut self, j: usize) {
        // The registers block `j` does not receive, and the flags, go
        // through the state: loops then carry only what they read, and
        // guest code seldom reads flags set in another block.
        let saved = self.dirty;
        // Flags block `j` overwrites before any use are stored only if
        // the budget stops the jump.
        let dead_flags = if self.flags_dead[j] {
            saved & FLAGS_DIRTY
        } else {
            0
        };
        self.dirty &= !self.carried[j] & !dead_flags;
        self.write_back();
        self.dirty = saved & self.carried[j];
        if j <= self.bi {
            self.count();
        }
        let args = self.carried_args(j);
        let rem = self.b.use_var(self.rem);
        let rem = self.b.ins().iadd_imm_s(rem, -i64::from(self.blk.guest_len));
        self.b.def_var(self.rem, rem);
        let fits = self.b.ins().icmp_imm_s(
            IntCC::UnsignedGreaterThanOrEqual,
            rem,
            i64::from(self.region[j].guest_len),
        );
        let out = self.b.create_block();
        self.b.ins().brif(fits, self.bodies[j], &args, out, &[]);
        self.b.switch_to_block(out);
        self.dirty |= dead_flags;
        self.exit(ExitPc::Const(self.region[j].start), 0, false, true);
        self.dirty = saved;
    }

    /// Quick code: count an entry or a back-edge taken.
    fn count(&mut self) {
        if let Some(addr) = self.counter {
            let t = MemFlagsData::trusted();
            let at = self.iconst(addr);
            let n = self.b.ins().load(types::I64, t, at, 0);
            let n = self.b.ins().iadd_imm_s(n, 1);
            self.b.ins().store(t, n, at, 0);
        }
    }

    /// Call `helper(ctx, info)` for the instruction (pc, word) with the
    /// interpreter's handler in `info`; returns the helper's status.
    fn call_handler(&mut self, helper: *const (), pc: u64, word: u32) -> ir::Value {
        debug_assert!(self.fallbacks.len() < self.fallbacks.capacity());
        self.fallbacks.push(FallbackInfo {
            exec: handler_for(word),
            word,
            pc,
        });
        let info = self.fallbacks.last().expect("just pushed");
        let ptr = self.iconst(info as *const FallbackInfo as u64);
        let f = self.iconst(helper as u64);
        let call = self
            .b
            .ins()
            .call_indirect(self.sigs.fallback, f, &[self.ctx, ptr]);
        self.b.inst_results(call)[0]
    }

    /// Interpret the instruction; `next`: the index of the IR instruction
    /// after this one.
    fn fallback(&mut self, pc: u64, word: u32) {
        self.write_back();
        let st = self.call_handler(helpers::fallback as *const (), pc, word);
        // Any status but ST_OK leaves; the state is already exact.
        let cont = self.b.create_block();
        let out = self.b.create_block();
        self.b.set_cold_block(out);
        self.b.ins().brif(st, out, &[], cont, &[]);
        self.b.switch_to_block(out);
        let k = self.k;
        // Retired: k + 1 unless the status is FB_STOP; stop bit for the stops.
        let retired_next = self.b.ins().iconst(types::I64, (k + 1) as i64);
        let retired_stop = self.b.ins().iconst(types::I64, k as i64);
        let is_stop = self
            .b
            .ins()
            .icmp_imm_s(IntCC::Equal, st, helpers::FB_STOP as i64);
        let retired = self.b.ins().select(is_stop, retired_stop, retired_next);
        let stopped = self.b.ins().icmp_imm_s(
            IntCC::UnsignedGreaterThanOrEqual,
            st,
            helpers::FB_STOP_RETIRED as i64,
        );
        let stopped = self.b.ins().uextend(types::I64, stopped);
        let bit = self.b.ins().ishl_imm_s(stopped, 63);
        let rem = self.b.use_var(self.rem);
        let r = self.b.ins().isub(rem, retired);
        let r = self.b.ins().bor(r, bit);
        self.ret(r);
        self.b.switch_to_block(cont);
        self.dirty = 0;
        self.reload_state();
    }

    /// Call the memory slow path `which(ctx, args...)` through its
    /// `preserve_all` trampoline; returns its result.
    fn slow_call(&mut self, which: helpers::Slow, args: &[ir::Value]) -> ir::Value {
        let i = which as usize;
        // Loaded on the slow path itself: a constant would be hoisted out of
        // loops and kept in a register or a stack slot on the fast path.
        let t = MemFlagsData::trusted();
        let tramp = self
            .b
            .ins()
            .load(types::I64, t, self.ctx, helpers::CTX_SLOW + 8 * i as i32);
        let mut all = vec![self.ctx];
        all.extend_from_slice(args);
        self.b.ins().call_indirect(self.sigs.slow[i], tramp, &all);
        let t = MemFlagsData::trusted();
        self.b.ins().load(types::I64, t, self.ctx, helpers::CTX_RET)
    }

    /// Call helper `f(ctx, args...)`, returning its result.
    fn call(&mut self, sig: SigRef, f: *const (), args: &[ir::Value]) -> ir::Value {
        let f = self.iconst(f as u64);
        let mut all = vec![self.ctx];
        all.extend_from_slice(args);
        let call = self.b.ins().call_indirect(sig, f, &all);
        self.b.inst_results(call)[0]
    }

    /// `Op::Exec`: the interpreter's handler on the state, the block's general
    /// registers and flags kept in place (the handler touches neither).
    fn exec_v(&mut self, pc: u64, word: u32) {
        let st = self.call_handler(helpers::exec_v as *const (), pc, word);
        let cont = self.b.create_block();
        let out = self.b.create_block();
        self.b.set_cold_block(out);
        self.b.ins().brif(st, out, &[], cont, &[]);
        self.b.switch_to_block(out);
        // A reserved encoding stopped the guest here (pc set by the helper).
        self.exit(ExitPc::Set, self.k, true, true);
        self.b.switch_to_block(cont);
    }

    /// `Op::ProbeWrite`: inline TLB check, the helper on a miss.
    fn probe_write(&mut self, size: u8, addr: ir::Value) {
        let (_, ok) = self.tlb(true, addr, u64::from(size));
        let slow = self.b.create_block();
        let join = self.b.create_block();
        self.b.set_cold_block(slow);
        self.b.ins().brif(ok, join, &[], slow, &[]);
        self.b.switch_to_block(slow);
        let pc = self.iconst(self.pc);
        let sz = self.iconst(size as u64);
        let st = self.slow_call(helpers::Slow::ProbeWrite, &[addr, sz, pc]);
        self.stop_if(st);
        self.b.ins().jump(join, &[]);
        self.b.switch_to_block(join);
    }

    /// The inline TLB lookup (`write`: the write TLB): (entry address,
    /// hit-and-fits flag). One compare checks both: the entry's tag (the page
    /// of `addr`, which selects the slot) must equal the page of the access's
    /// last byte, which differs from the first's when the access crosses the
    /// page. With a window the flat tag is compared instead (see
    /// `host_addr`). The table's address is loaded here rather than kept in
    /// a register through the block (fewer registers live, no spills).
    /// The TLB check of the access of instruction `i`: `(entry, ok)`, `ok`
    /// when the fast path may access `size` bytes at `addr` through `entry`.
    /// An access of a group (see [`mem_groups`]) takes its group's check,
    /// made once at the group's first access for all of its bytes.
    fn check(
        &mut self,
        i: usize,
        write: bool,
        addr: ir::Value,
        size: u8,
    ) -> (ir::Value, ir::Value) {
        let Some(g) = self.group_of.get(i).copied().flatten() else {
            return self.tlb(write, addr, u64::from(size));
        };
        if let Some(done) = self.groups[g].check {
            return done;
        }
        let MemGroup { base, lo, len, .. } = self.groups[g];
        let base = self.v(Arg::Val(base));
        let first = self.b.ins().iadd_imm_s(base, lo);
        let done = if self.through && self.flat {
            // A group whose bytes straddle two pages (a stack frame often
            // does) passes: quick code does not leave at every access of
            // it. (Optimized code checks such an access on its own instead:
            // the second lookup would cost every group.)
            self.tlb_pages(write, first, len)
        } else {
            self.tlb(write, first, len)
        };
        self.groups[g].check = Some(done);
        done
    }

    /// Branch to `fast` if access `i` passes its check, else to `slow`
    /// (made cold); returns the TLB entry for `host_addr`. An access whose
    /// group check failed (the group's bytes straddle two pages, as a
    /// stack frame may) checks itself before taking the slow path.
    fn branch_checked(
        &mut self,
        i: usize,
        write: bool,
        addr: ir::Value,
        size: u8,
        fast: ir::Block,
        slow: ir::Block,
    ) -> ir::Value {
        self.b.set_cold_block(slow);
        let (entry, ok) = self.check(i, write, addr, size);
        let grouped = self.group_of.get(i).copied().flatten().is_some();
        // Quick code: a group's failed check takes the slow path.
        if self.through || !(grouped || self.flat) {
            self.b.ins().brif(ok, fast, &[], slow, &[]);
            return entry;
        }
        let own = self.b.create_block();
        self.b.set_cold_block(own);
        self.b.ins().brif(ok, fast, &[], own, &[]);
        self.b.switch_to_block(own);
        // In a window the host address does not depend on the entry, and an
        // access whose bytes straddle two pages (memcpy of unaligned data)
        // passes when both pages' entries hit.
        let (_, ok) = if self.flat {
            self.tlb_pages(write, addr, u64::from(size))
        } else {
            self.tlb(write, addr, u64::from(size))
        };
        self.b.ins().brif(ok, fast, &[], slow, &[]);
        entry
    }

    /// In a window: whether the pages of the first and the last of `size`
    /// bytes at `addr` both have entries (`(first page's entry, ok)`), so
    /// that an access or group that straddles them runs through the
    /// window. (One page's entry the same as `tlb` when they do not
    /// straddle.)
    fn tlb_pages(&mut self, write: bool, addr: ir::Value, size: u64) -> (ir::Value, ir::Value) {
        let (entry, first_ok) = self.tlb(write, addr, 1);
        if size <= 1 {
            return (entry, first_ok);
        }
        let last = self.b.ins().iadd_imm_s(addr, size as i64 - 1);
        let (_, last_ok) = self.tlb(write, last, 1);
        (entry, self.b.ins().band(first_ok, last_ok))
    }

    fn tlb(&mut self, write: bool, addr: ir::Value, size: u64) -> (ir::Value, ir::Value) {
        const _: () = assert!(TLB_ENTRY_SIZE == 32);
        let t = MemFlagsData::trusted();
        let which = if write {
            helpers::CTX_TLB_WRITE
        } else {
            helpers::CTX_TLB_READ
        };
        let table = self.b.ins().load(types::I64, fixed(), self.ctx, which);
        // The slot's byte offset, (page % TLB_ENTRIES) * 32, straight from
        // the address.
        let s = self.b.ins().ushr_imm_s(addr, 12 - 5);
        let s = self
            .b
            .ins()
            .band_imm_s(s, ((TLB_ENTRIES - 1) * TLB_ENTRY_SIZE) as i64);
        let entry = self.b.ins().iadd(table, s);
        let tag = self
            .b
            .ins()
            .load(types::I64, t, entry, if self.flat { 16 } else { 0 });
        let end = if size > 1 {
            self.b.ins().iadd_imm_s(addr, size as i64 - 1)
        } else {
            addr
        };
        let last = self.b.ins().ushr_imm_s(end, 12);
        let ok = self.b.ins().icmp(IntCC::Equal, tag, last);
        (entry, ok)
    }

    /// What to add to a guest address for its host address, from its TLB
    /// entry: the entry's addend. With a window, the window's addend, which
    /// every entry with a matching flat tag has: the address does not wait
    /// for the entry's load (the tag check only decides a predicted
    /// branch), so a load costs one add more than the host's.
    fn addend(&mut self, entry: ir::Value) -> ir::Value {
        let t = MemFlagsData::trusted();
        if self.flat {
            // Not movable: kept in a register through loops, it measured
            // no faster.
            let r = t.with_readonly();
            self.b
                .ins()
                .load(types::I64, r, self.ctx, helpers::CTX_FLAT_ADDEND)
        } else {
            self.entry_addend(entry)
        }
    }

    /// The addend of TLB entry `entry` (its page's own frame).
    fn entry_addend(&mut self, entry: ir::Value) -> ir::Value {
        let t = MemFlagsData::trusted();
        self.b.ins().load(types::I64, t, entry, 8)
    }

    /// Quick code, when an access misses its check: leave to the
    /// dispatcher at this instruction (the state is exact, nothing of the
    /// instruction has happened), which interprets it, filling the TLB,
    /// instead of calling a slow path. Far fewer Cranelift blocks and
    /// instructions to compile. Not at the region's first instruction
    /// (the dispatcher would enter the region there again, no further on)
    /// nor after the instruction changed something (its second store).
    fn misses_exit(&self) -> bool {
        self.through && (self.bi, self.k) != (0, 0) && !self.insn_effects
    }

    /// The addend for access `i`'s fast path (see [`Self::addend`]) when
    /// the code may take it with no slow path: its group's check passed
    /// earlier (see `MemGroup::addend`), or a check made here leaves the
    /// block when it fails (quick code at a miss, see
    /// [`Self::misses_exit`]; optimized code in a window at the first
    /// access of a group, see [`Self::group_check_or_leave`]). `None`: the
    /// caller emits the fast and slow paths.
    fn checked_or_leave(
        &mut self,
        i: usize,
        write: bool,
        addr: ir::Value,
        size: u8,
    ) -> Option<ir::Value> {
        let group = self.group_of.get(i).copied().flatten();
        if let Some(g) = group {
            match self.groups[g] {
                MemGroup {
                    addend: Some(a), ..
                } => return Some(a),
                MemGroup { check: None, .. }
                    if !self.through && self.flat && !self.insn_effects =>
                {
                    return Some(self.group_check_or_leave(g, write));
                }
                _ => {}
            }
        }
        if !self.misses_exit() {
            return None;
        }
        let (entry, ok) = self.check(i, write, addr, size);
        self.exit_unless(ok);
        let addend = self.addend(entry);
        if let Some(g) = group {
            self.groups[g].addend = Some(addend);
        }
        Some(addend)
    }

    /// Optimized code in a window, at the first access of group `g` (before
    /// the instruction has changed anything): check the group's bytes once
    /// for all its accesses and return the addend of their host addresses.
    /// In order, as long as each fails: the window holds the page of the
    /// group's first byte and its last (one compare, the hot path); or
    /// both pages, when the group straddles them; or the first page's
    /// entry, which is outside the window (shared memory), holds all the
    /// bytes; or a slow path fills the entries as an access would. When
    /// that fails too (a fault, a store into code, a watchpoint), the block
    /// leaves at this instruction and the interpreter makes the accesses.
    /// Later accesses of the group then need no check and no slow path:
    /// fewer values live across a loop's accesses, fewer spills. (The
    /// addend is taken once: a slot of the TLB that a later access of the
    /// block refills changes nothing for the group.)
    fn group_check_or_leave(&mut self, g: usize, write: bool) -> ir::Value {
        let MemGroup { base, lo, len, .. } = self.groups[g];
        let base = self.v(Arg::Val(base));
        let first = self.b.ins().iadd_imm_s(base, lo);
        let (entry, ok) = self.tlb(write, first, len);
        let window = self.addend(entry);
        let cont = self.b.create_block();
        self.b.append_block_param(cont, types::I64);
        let [pages, own, own_hit, fill, filled, out] = [(); 6].map(|_| {
            let b = self.b.create_block();
            self.b.set_cold_block(b);
            b
        });
        let via_window = [BlockArg::Value(window)];
        self.b.ins().brif(ok, cont, &via_window, pages, &[]);
        self.b.switch_to_block(pages);
        let (_, both) = self.tlb_pages(write, first, len);
        self.b.ins().brif(both, cont, &via_window, own, &[]);
        self.b.switch_to_block(own);
        let t = MemFlagsData::trusted();
        let tag = self.b.ins().load(types::I64, t, entry, 0);
        let end = self.b.ins().iadd_imm_s(first, len as i64 - 1);
        let last = self.b.ins().ushr_imm_s(end, 12);
        let hit = self.b.ins().icmp(IntCC::Equal, tag, last);
        self.b.ins().brif(hit, own_hit, &[], fill, &[]);
        self.b.switch_to_block(own_hit);
        let a = self.entry_addend(entry);
        self.b.ins().jump(cont, &[BlockArg::Value(a)]);
        self.b.switch_to_block(fill);
        let n = self.iconst(len);
        let w = self.iconst(u64::from(write));
        let done = self.slow_call(helpers::Slow::FillGroup, &[first, n, w]);
        self.b.ins().brif(done, filled, &[], out, &[]);
        self.b.switch_to_block(filled);
        let a = self.entry_addend(entry);
        self.b.ins().jump(cont, &[BlockArg::Value(a)]);
        self.b.switch_to_block(out);
        self.exit(ExitPc::Const(self.pc), self.k, false, true);
        self.b.switch_to_block(cont);
        let addend = self.b.block_params(cont)[0];
        self.groups[g].check = Some((entry, ok));
        self.groups[g].addend = Some(addend);
        addend
    }

    /// The budget left before the instruction being emitted.
    fn budget_left(&mut self) -> ir::Value {
        let rem = self.b.use_var(self.rem);
        if self.k == 0 {
            rem
        } else {
            self.b.ins().iadd_imm_s(rem, -i64::from(self.k))
        }
    }

    /// Continue here if `ok`, else leave at this instruction (see
    /// [`Self::misses_exit`]).
    fn exit_unless(&mut self, ok: ir::Value) {
        let out = self.shared_exit(SharedExit::AtPc);
        let pc = self.iconst(self.pc);
        let left = self.budget_left();
        let cont = self.b.create_block();
        self.b.ins().brif(
            ok,
            cont,
            &[],
            out,
            &[BlockArg::Value(pc), BlockArg::Value(left)],
        );
        self.b.switch_to_block(cont);
    }

    /// The fast path of a load: (value, high half of a 16-byte load).
    fn load_fast(
        &mut self,
        addend: ir::Value,
        addr: ir::Value,
        size: u8,
    ) -> (ir::Value, ir::Value) {
        let guest = MemFlagsData::new().with_notrap();
        let p = self.b.ins().iadd(addend, addr);
        if size == 16 {
            let lo = self.b.ins().load(types::I64, guest, p, 0);
            let hi = self.b.ins().load(types::I64, guest, p, 8);
            return (lo, hi);
        }
        let ty = match size {
            1 => types::I8,
            2 => types::I16,
            4 => types::I32,
            _ => types::I64,
        };
        let x = self.b.ins().load(ty, guest, p, 0);
        let x = if ty == types::I64 {
            x
        } else {
            self.b.ins().uextend(types::I64, x)
        };
        (x, x)
    }

    fn load(&mut self, i: usize, m: MemOp, addr: ir::Value) -> Val {
        let wide = m.size == 16;
        if let Some(addend) = self.checked_or_leave(i, false, addr, m.size) {
            let (x, hi) = self.load_fast(addend, addr, m.size);
            return if wide {
                Val::Two(x, hi)
            } else {
                Val::One(self.extend(x, m))
            };
        }
        let fast = self.b.create_block();
        let slow = self.b.create_block();
        let join = self.b.create_block();
        self.b.append_block_param(join, types::I64);
        if wide {
            self.b.append_block_param(join, types::I64);
        }
        let entry = self.branch_checked(i, false, addr, m.size, fast, slow);

        self.b.switch_to_block(fast);
        let addend = self.addend(entry);
        let (x, hi) = self.load_fast(addend, addr, m.size);
        if wide {
            self.b
                .ins()
                .jump(join, &[BlockArg::Value(x), BlockArg::Value(hi)]);
        } else {
            self.b.ins().jump(join, &[BlockArg::Value(x)]);
        }

        self.b.switch_to_block(slow);
        let pc = self.iconst(self.pc);
        let t = MemFlagsData::trusted();
        if wide {
            let st = self.slow_call(helpers::Slow::Read128, &[addr, pc]);
            self.stop_if(st);
            let lo = self
                .b
                .ins()
                .load(types::I64, t, self.ctx, helpers::CTX_SCRATCH);
            let hi = self
                .b
                .ins()
                .load(types::I64, t, self.ctx, helpers::CTX_SCRATCH + 8);
            self.b
                .ins()
                .jump(join, &[BlockArg::Value(lo), BlockArg::Value(hi)]);
        } else {
            let pc = self.iconst(helpers::pc_size(self.pc, m.size));
            let x = self.slow_call(helpers::Slow::Read, &[addr, pc]);
            let faulted = self
                .b
                .ins()
                .load(types::I64, t, self.ctx, helpers::CTX_FAULT);
            self.stop_if(faulted);
            self.b.ins().jump(join, &[BlockArg::Value(x)]);
        }

        self.b.switch_to_block(join);
        let params = self.b.block_params(join).to_vec();
        if wide {
            return Val::Two(params[0], params[1]);
        }
        Val::One(self.extend(params[0], m))
    }

    /// A loaded value `x` (zero-extended) extended as `m` says.
    fn extend(&mut self, x: ir::Value, m: MemOp) -> ir::Value {
        let bits = m.size as u32 * 8;
        match m.extend {
            Extend::Zero => x,
            Extend::Sign64 => self.sext(x, bits),
            Extend::Sign32 => {
                let s = self.sext(x, bits);
                self.zext32(s)
            }
        }
    }

    /// The low 32 bits of `x`, zero-extended: a 32-bit move on the host
    /// (a 64-bit AND with 0xffff_ffff needs its mask from memory).
    pub(super) fn zext32(&mut self, x: ir::Value) -> ir::Value {
        let low = self.b.ins().ireduce(types::I32, x);
        self.b.ins().uextend(types::I64, low)
    }

    fn sext(&mut self, x: ir::Value, bits: u32) -> ir::Value {
        if bits >= 64 {
            return x;
        }
        let s = self.b.ins().ishl_imm_s(x, 64 - bits as i64);
        self.b.ins().sshr_imm_s(s, 64 - bits as i64)
    }

    /// The fast path of a store.
    fn store_fast(
        &mut self,
        addend: ir::Value,
        addr: ir::Value,
        size: u8,
        x: ir::Value,
        hi: Option<ir::Value>,
    ) {
        let guest = MemFlagsData::new().with_notrap();
        let p = self.b.ins().iadd(addend, addr);
        match (size, hi) {
            (16, Some(hi)) => {
                self.b.ins().store(guest, x, p, 0);
                self.b.ins().store(guest, hi, p, 8);
            }
            (8, _) => {
                self.b.ins().store(guest, x, p, 0);
            }
            (s, _) => {
                let ty = match s {
                    1 => types::I8,
                    2 => types::I16,
                    _ => types::I32,
                };
                let n = self.b.ins().ireduce(ty, x);
                self.b.ins().store(guest, n, p, 0);
            }
        }
    }

    fn store(&mut self, i: usize, m: MemOp, addr: ir::Value, x: ir::Value, hi: Option<ir::Value>) {
        // The write TLB never holds a page of code, so a store on the fast
        // path cannot write code.
        if let Some(addend) = self.checked_or_leave(i, true, addr, m.size) {
            self.store_fast(addend, addr, m.size, x, hi);
            return;
        }
        let fast = self.b.create_block();
        let slow = self.b.create_block();
        let join = self.b.create_block();
        let entry = self.branch_checked(i, true, addr, m.size, fast, slow);

        self.b.switch_to_block(fast);
        let addend = self.addend(entry);
        self.store_fast(addend, addr, m.size, x, hi);
        self.b.ins().jump(join, &[]);

        self.b.switch_to_block(slow);
        let pc = self.iconst(self.pc);
        let st = match hi {
            Some(hi) => self.slow_call(helpers::Slow::Write128, &[addr, x, hi, pc]),
            None => {
                let pc = self.iconst(helpers::pc_size(self.pc, m.size));
                self.slow_call(helpers::Slow::Write, &[addr, x, pc])
            }
        };
        if self.code_copy {
            // The instruction leaves after this store anyway.
            let faulted = self
                .b
                .ins()
                .icmp_imm_s(IntCC::Equal, st, helpers::ST_FAULT as i64);
            self.stop_if(faulted);
            self.b.ins().jump(join, &[]);
        } else {
            // ST_OK goes on; a fault stops; a write into code (ST_CODE)
            // finishes this instruction and leaves at the next boundary.
            let odd = self.b.create_block();
            self.b.set_cold_block(odd);
            self.b.ins().brif(st, odd, &[], join, &[]);
            self.b.switch_to_block(odd);
            if self.rest_sets_only(i) {
                self.leave_after_store(i, st);
            } else {
                let faulted = self
                    .b
                    .ins()
                    .icmp_imm_s(IntCC::Equal, st, helpers::ST_FAULT as i64);
                self.stop_if(faulted);
                self.finish_and_leave(i);
            }
        }
        self.b.switch_to_block(join);
    }

    fn flags_pack(&mut self, n: ir::Value, z: ir::Value, c: ir::Value, v: ir::Value) -> ir::Value {
        // n, z, c, v are 0/1 in I64.
        let n = self.b.ins().ishl_imm_s(n, 31);
        let z = self.b.ins().ishl_imm_s(z, 30);
        let c = self.b.ins().ishl_imm_s(c, 29);
        let v = self.b.ins().ishl_imm_s(v, 28);
        let a = self.b.ins().bor(n, z);
        let b = self.b.ins().bor(c, v);
        self.b.ins().bor(a, b)
    }

    fn b2i(&mut self, c: ir::Value) -> ir::Value {
        self.b.ins().uextend(types::I64, c)
    }
}
