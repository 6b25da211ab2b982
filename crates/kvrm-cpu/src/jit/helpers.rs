//! What compiled blocks call: the context they receive and the `extern "C"`
//! slow paths (TLB misses, faults, stores to code pages) and the fallback to
//! the interpreter for one instruction.
//!
//! Safety: compiled code is only entered from `Cpu::run_jit`, which builds the
//! [`JitCtx`] from its own `&mut Cpu` and does not touch the CPU until the call
//! returns; the helpers turn `ctx.cpu` back into a `&mut Cpu` for the length
//! of one call, while compiled code holds no reference, only the raw pointers.

use kvrm_isa::{CpuState, MemFault};

use crate::exec::{fp, ExecFn, Flow};
use crate::memory::TlbEntry;
use crate::Cpu;

/// The block's view of the CPU. Field offsets are used by the emitter.
#[repr(C)]
pub struct JitCtx {
    pub state: *mut CpuState,
    pub tlb_read: *const TlbEntry,
    pub tlb_write: *const TlbEntry,
    pub cpu: *mut Cpu,
    /// Instructions the first block may retire (loops stop before exceeding
    /// it); blocks pass what is left to the next one in a register, and the
    /// block that returns returns it.
    pub budget: u64,
    /// Set by a helper that stopped the guest with a fault.
    pub fault: u64,
    /// 16-byte loads from the slow path.
    pub scratch: [u64; 2],
    /// The code cache's direct-mapped front (`[Entry; FRONT]`), read by
    /// blocks to chain to the next one.
    pub front: *const super::Entry,
    /// The flags, lazily: a kind (`FLAGS_*`) and two operands, from which
    /// [`nzcv_of`] computes NZCV. A block that sets the flags stores the
    /// operands of the operation here rather than packing NZCV at every exit;
    /// `CpuState::nzcv` is exact only when compiled code returns (and around
    /// fallbacks, which interpret with it).
    pub flag_kind: u64,
    pub flag_a: u64,
    pub flag_b: u64,
    /// The result of a helper called through a slow-path trampoline
    /// (`preserve_all` calls return nothing).
    pub ret: u64,
    /// Host minus guest address of every page in the space's window (TLB
    /// entries whose flat tag matches), or 0 without a window.
    pub flat_addend: u64,
    /// The slow-path trampolines (`super::Trampolines`): compiled code loads
    /// their addresses on the (cold) slow path, where a constant would be
    /// hoisted out of loops and held in a register or stack slot.
    pub slow: [u64; SLOW_PATHS],
    /// The count at which template code stops chaining to a block that
    /// has no compiled code, so that the dispatcher sees it turn hot (the
    /// Cranelift threshold).
    pub heat_limit: u64,
}

pub const CTX_STATE: i32 = 0;
pub const CTX_TLB_READ: i32 = 8;
pub const CTX_TLB_WRITE: i32 = 16;
pub const CTX_BUDGET: i32 = 32;
pub const CTX_FAULT: i32 = 40;
pub const CTX_SCRATCH: i32 = 48;
pub const CTX_FRONT: i32 = 64;
pub const CTX_FLAG_KIND: i32 = 72;
pub const CTX_FLAG_A: i32 = 80;
pub const CTX_FLAG_B: i32 = 88;
pub const CTX_RET: i32 = 96;
pub const CTX_FLAT_ADDEND: i32 = 104;
pub const CTX_SLOW: i32 = 112;
pub const CTX_HEAT_LIMIT: i32 = CTX_SLOW + 8 * SLOW_PATHS as i32;
const _: () = {
    assert!(std::mem::offset_of!(JitCtx, state) == CTX_STATE as usize);
    assert!(std::mem::offset_of!(JitCtx, tlb_read) == CTX_TLB_READ as usize);
    assert!(std::mem::offset_of!(JitCtx, tlb_write) == CTX_TLB_WRITE as usize);
    assert!(std::mem::offset_of!(JitCtx, budget) == CTX_BUDGET as usize);
    assert!(std::mem::offset_of!(JitCtx, fault) == CTX_FAULT as usize);
    assert!(std::mem::offset_of!(JitCtx, scratch) == CTX_SCRATCH as usize);
    assert!(std::mem::offset_of!(JitCtx, front) == CTX_FRONT as usize);
    assert!(std::mem::offset_of!(JitCtx, flag_kind) == CTX_FLAG_KIND as usize);
    assert!(std::mem::offset_of!(JitCtx, flag_a) == CTX_FLAG_A as usize);
    assert!(std::mem::offset_of!(JitCtx, flag_b) == CTX_FLAG_B as usize);
    assert!(std::mem::offset_of!(JitCtx, ret) == CTX_RET as usize);
    assert!(std::mem::offset_of!(JitCtx, flat_addend) == CTX_FLAT_ADDEND as usize);
    assert!(std::mem::offset_of!(JitCtx, slow) == CTX_SLOW as usize);
    assert!(std::mem::offset_of!(JitCtx, heat_limit) == CTX_HEAT_LIMIT as usize);
};

/// Lazy flags: NZCV is the operand `a` itself.
pub const FLAGS_PACKED: u64 = 0;
/// Lazy flags: NZCV of `a + b` (AddWithCarry(a, b, 0)).
pub const FLAGS_ADD: u64 = 1;
/// Lazy flags: NZCV of `a - b` (AddWithCarry(a, NOT b, 1)).
pub const FLAGS_SUB: u64 = 2;
/// Lazy flags: N and Z of the result `a`, C = V = 0.
pub const FLAGS_LOGIC: u64 = 3;

/// NZCV of lazy flags (`FLAGS_*`). A 32-bit operation is recorded with its
/// operands (or result) shifted left by 32: the 64-bit sum, difference,
/// carry and signed overflow of the shifted values are those of the 32-bit
/// operation, so one 64-bit rule serves both widths.
pub fn nzcv_of(kind: u64, a: u64, b: u64) -> u64 {
    let (r, c, v) = match kind {
        FLAGS_ADD => {
            let r = a.wrapping_add(b);
            (r, r < a, ((a ^ r) & (b ^ r)) >> 63 != 0)
        }
        FLAGS_SUB => {
            let r = a.wrapping_sub(b);
            (r, a >= b, ((a ^ b) & (a ^ r)) >> 63 != 0)
        }
        FLAGS_LOGIC => (a, false, false),
        _ => return a,
    };
    (r >> 63) << 31 | ((r == 0) as u64) << 30 | (c as u64) << 29 | (v as u64) << 28
}

/// The slow path of compiled code that reads lazy flags of a kind it does
/// not know: `ctx.ret` = NZCV.
pub extern "C" fn nzcv_slow(_ctx: *mut JitCtx, kind: u64, a: u64, b: u64) -> u64 {
    nzcv_of(kind, a, b)
}

/// A fallback instruction, kept alive by its compiled block.
pub struct FallbackInfo {
    pub exec: ExecFn,
    pub word: u32,
    pub pc: u64,
}

/// Store status: done.
pub const ST_OK: u64 = 0;
/// Store status: faulted (the guest is stopped; pc names the instruction).
pub const ST_FAULT: u64 = 1;
/// Store status: done, but it wrote a page holding decoded code: the block
/// must end after this instruction (its slow path finishes the instruction
/// and leaves). The state's pc is then the next instruction's.
pub const ST_CODE: u64 = 2;

/// Fallback status (besides `ST_OK` = Next and `ST_CODE` = Next into code).
pub const FB_JUMP: u64 = 3;
pub const FB_STOP_RETIRED: u64 = 4;
pub const FB_STOP: u64 = 5;

/// # Safety
/// `ctx` comes from `Cpu::run_jit` (see the module comment).
unsafe fn parts<'a>(ctx: *mut JitCtx) -> (&'a mut JitCtx, &'a mut Cpu) {
    let ctx = &mut *ctx;
    let cpu = &mut *ctx.cpu;
    (ctx, cpu)
}

/// `parts` for the memory slow paths, which are counted.
unsafe fn slow_parts<'a>(ctx: *mut JitCtx) -> (&'a mut JitCtx, &'a mut Cpu) {
    // SAFETY: as `parts`, which the caller's contract covers.
    let (ctx, cpu) = unsafe { parts(ctx) };
    if let Some(j) = cpu.jit.as_mut() {
        j.stats.memory_slow_paths += 1;
    }
    (ctx, cpu)
}

fn fault(ctx: &mut JitCtx, cpu: &mut Cpu, pc: u64, f: MemFault) {
    cpu.state.pc = pc;
    cpu.fault(f);
    ctx.fault = 1;
}

/// The memory slow paths, called by compiled code through trampolines
/// (`super::Trampolines`), in the order of [`Slow`], with their argument
/// counts after `ctx`.
pub fn slow_paths() -> [(u64, usize); SLOW_PATHS] {
    [
        (read as *const () as u64, 2),
        (write as *const () as u64, 3),
        (read128 as *const () as u64, 2),
        (write128 as *const () as u64, 4),
        (probe_write as *const () as u64, 3),
        (nzcv_slow as *const () as u64, 3),
        (fill_group as *const () as u64, 3),
    ]
}

/// How many slow paths there are (see [`Slow`]).
pub const SLOW_PATHS: usize = 7;

/// A memory slow path (an index into [`slow_paths`]).
#[derive(Clone, Copy)]
pub enum Slow {
    Read,
    Write,
    Read128,
    Write128,
    ProbeWrite,
    Nzcv,
    FillGroup,
}

/// An instruction's pc with log2 of an access size (1, 2, 4, 8) in its low
/// two bits (always zero in a pc): one argument instead of two, so fewer
/// argument registers are taken at the call.
pub fn pc_size(pc: u64, size: u8) -> u64 {
    pc | size.trailing_zeros() as u64
}

/// Read `1 << (pc_size & 3)` bytes zero-extended; on a fault stop the guest
/// and set `ctx.fault`.
pub extern "C" fn read(ctx: *mut JitCtx, addr: u64, pc_size: u64) -> u64 {
    // SAFETY: called only by compiled blocks with their context.
    let (ctx, cpu) = unsafe { slow_parts(ctx) };
    let (pc, size) = (pc_size & !3, 1u32 << (pc_size & 3));
    match cpu.mem.read_sized(addr, size) {
        Ok(v) => v,
        Err(f) => {
            fault(ctx, cpu, pc, f);
            0
        }
    }
}

/// Read 16 bytes into `ctx.scratch`.
pub extern "C" fn read128(ctx: *mut JitCtx, addr: u64, pc: u64) -> u64 {
    // SAFETY: as `read`.
    let (ctx, cpu) = unsafe { slow_parts(ctx) };
    match cpu.mem.read_u128(addr) {
        Ok(v) => {
            ctx.scratch = [v as u64, (v >> 64) as u64];
            ST_OK
        }
        Err(f) => {
            fault(ctx, cpu, pc, f);
            ST_FAULT
        }
    }
}

/// A store's status; after a write into code (`ST_CODE`) the state's pc is
/// the next instruction's, where the block leaves.
fn store_status(ctx: &mut JitCtx, cpu: &mut Cpu, pc: u64, r: Result<(), MemFault>) -> u64 {
    match r {
        Ok(()) if cpu.mem.has_dirty_code() => {
            cpu.state.pc = pc.wrapping_add(4);
            ST_CODE
        }
        Ok(()) => ST_OK,
        Err(f) => {
            fault(ctx, cpu, pc, f);
            ST_FAULT
        }
    }
}

/// Write the low `1 << (pc_size & 3)` bytes of `value`.
pub extern "C" fn write(ctx: *mut JitCtx, addr: u64, value: u64, pc_size: u64) -> u64 {
    // SAFETY: as `read`.
    let (ctx, cpu) = unsafe { slow_parts(ctx) };
    let (pc, size) = (pc_size & !3, 1u32 << (pc_size & 3));
    let r = cpu.mem.write_sized(addr, size, value);
    store_status(ctx, cpu, pc, r)
}

/// Write 16 bytes (one access: a fault writes nothing).
pub extern "C" fn write128(ctx: *mut JitCtx, addr: u64, lo: u64, hi: u64, pc: u64) -> u64 {
    // SAFETY: as `read`.
    let (ctx, cpu) = unsafe { slow_parts(ctx) };
    let r = cpu
        .mem
        .write_u128(addr, (lo as u128) | ((hi as u128) << 64));
    store_status(ctx, cpu, pc, r)
}

/// Interpret one instruction. The block has written every register and the
/// lazy flags back before the call and reloads them after; the interpreter
/// sees the flags packed in the state, and they are left packed.
pub extern "C" fn fallback(ctx: *mut JitCtx, info: *const FallbackInfo) -> u64 {
    // SAFETY: as `read`; `info` is owned by the block that is running.
    let (ctx, cpu) = unsafe { parts(ctx) };
    let info = unsafe { &*info };
    cpu.state.pc = info.pc;
    cpu.state.nzcv = nzcv_of(ctx.flag_kind, ctx.flag_a, ctx.flag_b);
    let flow = run_fallback(cpu, info);
    (ctx.flag_kind, ctx.flag_a) = (FLAGS_PACKED, cpu.state.nzcv);
    flow
}

fn run_fallback(cpu: &mut Cpu, info: &FallbackInfo) -> u64 {
    if let Some(j) = cpu.jit.as_mut() {
        j.stats.fallbacks_run += 1;
        if j.profile.is_some() {
            j.profile_word(info.word, 0);
        }
    }
    match (info.exec)(cpu, info.word) {
        Flow::Next => {
            cpu.state.pc = info.pc.wrapping_add(4);
            if cpu.mem.has_dirty_code() {
                ST_CODE
            } else {
                ST_OK
            }
        }
        Flow::Jump => FB_JUMP,
        Flow::StopRetired => FB_STOP_RETIRED,
        Flow::Stop => FB_STOP,
    }
}

/// Probe a write of `size` bytes (all-or-nothing multi-access stores).
pub extern "C" fn probe_write(ctx: *mut JitCtx, addr: u64, size: u64, pc: u64) -> u64 {
    // SAFETY: as `read`.
    let (ctx, cpu) = unsafe { slow_parts(ctx) };
    match cpu.mem.check_write(addr, size) {
        Ok(()) => ST_OK,
        Err(f) => {
            fault(ctx, cpu, pc, f);
            ST_FAULT
        }
    }
}

/// Before a group of accesses to the `len` bytes at `addr` (see
/// `CpuMemory::fill_group_pages`): 1 if every access of the group may now
/// go through the first page's TLB entry, else 0 (the block leaves for the
/// interpreter).
pub extern "C" fn fill_group(ctx: *mut JitCtx, addr: u64, len: u64, write: u64) -> u64 {
    // SAFETY: as `read`.
    let (_, cpu) = unsafe { slow_parts(ctx) };
    u64::from(cpu.mem.fill_group_pages(addr, len, write != 0))
}

/// Run an instruction that touches only SIMD&FP registers, FPCR and FPSR
/// (`Op::Exec`): general registers and flags stay in the block. Returns
/// `ST_OK`, or `FB_STOP` (a reserved encoding: Undefined).
pub extern "C" fn exec_v(ctx: *mut JitCtx, info: *const FallbackInfo) -> u64 {
    // SAFETY: as `fallback`.
    let (_, cpu) = unsafe { parts(ctx) };
    let info = unsafe { &*info };
    if let Some(j) = cpu.jit.as_mut() {
        j.stats.fp_handler_runs += 1;
    }
    cpu.state.pc = info.pc;
    match (info.exec)(cpu, info.word) {
        Flow::Next => ST_OK,
        Flow::StopRetired => FB_STOP_RETIRED,
        Flow::Jump => FB_JUMP,
        Flow::Stop => FB_STOP,
    }
}

/// The state, for the FP helpers of compiled code, counting the call in
/// `JitStats::fp_handler_runs`.
///
/// # Safety
/// `ctx` comes from `Cpu::run_jit`.
unsafe fn counted_state<'a>(ctx: *mut JitCtx) -> &'a mut CpuState {
    // SAFETY: as `parts`, which the caller's contract covers.
    let (ctx, cpu) = unsafe { parts(ctx) };
    if let Some(j) = cpu.jit.as_mut() {
        j.stats.fp_handler_runs += 1;
    }
    &mut *ctx.state
}

/// `Op::FpToInt`: FCVT*S/U (word `w`) of the bits `x` to a general register.
pub extern "C" fn fp_to_int(ctx: *mut JitCtx, w: u64, x: u64) -> u64 {
    // SAFETY: as `read`.
    let s = unsafe { counted_state(ctx) };
    let mut fl = 0;
    let r = fp::to_int_value(w as u32, x, s.fpcr, &mut fl).unwrap_or(0);
    s.fpsr |= fl as u64;
    r
}

/// `Op::FpFromInt`: SCVTF/UCVTF (word `w`) of the general register value `x`.
pub extern "C" fn fp_from_int(ctx: *mut JitCtx, w: u64, x: u64) -> u64 {
    // SAFETY: as `read`.
    let s = unsafe { counted_state(ctx) };
    let mut fl = 0;
    let r = fp::from_int_value(w as u32, x, 0, s.fpcr, &mut fl).unwrap_or(0);
    s.fpsr |= fl as u64;
    r
}

/// `Op::FpCmp`: FCMP/FCMPE (word `w`): the NZCV value.
pub extern "C" fn fp_cmp(ctx: *mut JitCtx, w: u64, a: u64, b: u64) -> u64 {
    // SAFETY: as `read`.
    let s = unsafe { counted_state(ctx) };
    let mut fl = 0;
    let r = fp::fcmp_value(w as u32, a, b, s.fpcr, &mut fl).unwrap_or(0);
    s.fpsr |= fl as u64;
    r
}
