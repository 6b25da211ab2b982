//! The JIT: hot guest blocks lifted to `kvrm_ir`, optimised, and compiled
//! with Cranelift; cold code is interpreted.
//!
//! Tiering: every block start (a pc reached by a control transfer) counts its
//! executions; at `threshold` it is compiled, first quickly (Cranelift's
//! optimisations off), again optimized once that code has run a while (see
//! [`Tier`]). A compiled block runs only if
//! the remaining budget covers all of its instructions (so counts stay exact
//! at every stop); otherwise the interpreter runs it.
//!
//! The code cache is keyed by guest pc, with a direct-mapped front for the
//! dispatcher; compiled blocks chain to the next compiled block through that
//! front without going back to the tiering dispatcher (`run.rs`). Blocks
//! never cross a 4 KiB page, so the code-page tracking of `AddressSpace` (a
//! write into code, unmap, mprotect) drops exactly the blocks of the pages it
//! names. Dropped code is not freed (Cranelift's JIT
//! module frees only as a whole); a new module starts after `MAX_DEAD_BLOCKS`.
//!
//! With the default threshold, regions are compiled on background threads
//! (`compiler.rs`), the most executed waiting region first, while the
//! dispatcher goes on interpreting them; lower
//! thresholds (`jit:N` below 100, as tests use) compile at once. Code
//! compiled from the same instruction words is shared by every `Jit` of the
//! process (`shared.rs`).

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::atomic::{AtomicU32, AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use cranelift_codegen::ir::{types, AbiParam, InstBuilder};
use cranelift_codegen::isa::OwnedTargetIsa;
use cranelift_codegen::settings::{self, Configurable};
use cranelift_codegen::Context;
use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext};
use cranelift_jit::{JITBuilder, JITModule};
use cranelift_module::{Linkage, Module};

use compiler::{Built, Compiler, Job};
use shared::RegionKey;

#[cfg(target_arch = "x86_64")]
mod code_memory;
mod compiler;
pub(crate) mod emit;
pub(crate) mod helpers;
mod run;
mod shared;
#[cfg(target_arch = "x86_64")]
mod template;

use helpers::{FallbackInfo, JitCtx};

/// How a [`crate::Cpu`] executes guest code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum ExecMode {
    /// The reference interpreter only.
    #[default]
    Interp,
    /// Compile blocks that ran `threshold` times (0: on first execution).
    Jit { threshold: u32 },
}

impl ExecMode {
    /// The JIT with the default tiering threshold. Compiling a block costs
    /// about 0.1-0.5 ms of Cranelift time (on the compile thread) and saves
    /// a few ns per guest instruction, so only blocks that already ran some
    /// hundreds of times are likely to pay it back (short programs stay
    /// interpreted). 300 against 1000 (BENCHMARKS.md, 2026-12-05): sprintf/
    /// strtod 4 % faster, Lua 2 %, the other workloads, CoreMark, SQLite and
    /// start-up unchanged; below 300 nothing more.
    pub const JIT: ExecMode = ExecMode::Jit { threshold: 300 };

    /// The JIT's first tier alone: every block gets template code on its
    /// first run and Cranelift never compiles (for tests of that tier; on
    /// hosts without it, the interpreter runs everything).
    pub const TEMPLATES: ExecMode = ExecMode::Jit {
        threshold: TEMPLATES_ONLY,
    };

    /// The engine names users choose between (`--engine`, `engine=`).
    pub const NAMES: [&'static str; 2] = ["interp", "jit"];

    /// The name of this mode's engine: `interp` or `jit`.
    pub fn name(self) -> &'static str {
        match self {
            ExecMode::Interp => "interp",
            ExecMode::Jit { .. } => "jit",
        }
    }
}

/// `interp`, `jit` (the JIT with the default threshold) or `jit:N` (compile
/// blocks that ran N times).
impl std::str::FromStr for ExecMode {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s.split_once(':') {
            _ if s == "interp" || s == "interpreter" => Ok(ExecMode::Interp),
            _ if s == "jit" => Ok(ExecMode::JIT),
            Some(("jit", n)) => n
                .parse()
                .map(|threshold| ExecMode::Jit { threshold })
                .map_err(|_| format!("`{s}`: the JIT threshold must be a number")),
            _ => Err(format!("unknown engine `{s}` (expected interp or jit)")),
        }
    }
}

impl std::fmt::Display for ExecMode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Counters of the JIT (`--stats`).
#[derive(Clone, Debug, Default)]
pub struct JitStats {
    pub blocks_compiled: u64,
    pub compile_time: Duration,
    /// Guest instructions compiled as fallbacks to the interpreter.
    pub fallbacks_compiled: u64,
    /// Fallbacks executed.
    pub fallbacks_run: u64,
    /// Entries into compiled code from the dispatcher (compiled blocks then
    /// chain to each other without coming back, uncounted).
    pub blocks_run: u64,
    /// Blocks run by the interpreter (cold, or too long for the budget left).
    pub blocks_interpreted: u64,
    /// Guest instructions retired by compiled code and by the interpreter.
    pub insns_compiled: u64,
    pub insns_interpreted: u64,
    /// Compiled blocks dropped because their code page changed.
    pub blocks_invalidated: u64,
    /// Regions compiled again optimized after running quick code.
    pub blocks_upgraded: u64,
    /// Loads and stores of compiled code that took the slow path (a TLB
    /// miss, a page of code, a fault).
    pub memory_slow_paths: u64,
    /// SIMD&FP instructions of compiled code run by the interpreter's
    /// handlers or soft-float (`Op::Exec`, FCMP, conversions with general
    /// registers: no host fast path, or its checks failed).
    pub fp_handler_runs: u64,
    /// Of `blocks_compiled`, regions whose code was compiled before from
    /// the same guest code, for this space or another, and reused.
    pub regions_reused: u64,
    /// Blocks given template code (the first tier), the time that took,
    /// entries into it from the dispatcher, and the instructions it
    /// retired (also counted in `insns_compiled`).
    pub templates_made: u64,
    pub template_time: Duration,
    pub template_runs: u64,
    pub insns_template: u64,
}

impl JitStats {
    /// Add `other`'s counts to these.
    pub fn add(&mut self, other: &JitStats) {
        self.blocks_compiled += other.blocks_compiled;
        self.compile_time += other.compile_time;
        self.fallbacks_compiled += other.fallbacks_compiled;
        self.fallbacks_run += other.fallbacks_run;
        self.blocks_run += other.blocks_run;
        self.blocks_interpreted += other.blocks_interpreted;
        self.insns_compiled += other.insns_compiled;
        self.insns_interpreted += other.insns_interpreted;
        self.blocks_invalidated += other.blocks_invalidated;
        self.blocks_upgraded += other.blocks_upgraded;
        self.memory_slow_paths += other.memory_slow_paths;
        self.fp_handler_runs += other.fp_handler_runs;
        self.regions_reused += other.regions_reused;
        self.templates_made += other.templates_made;
        self.template_time += other.template_time;
        self.template_runs += other.template_runs;
        self.insns_template += other.insns_template;
    }

    /// The counters as `--stats` prints them (name, value).
    pub fn lines(&self) -> Vec<(&'static str, u64)> {
        vec![
            ("jit blocks compiled", self.blocks_compiled),
            (
                "jit of them reused, compiled before from the same code",
                self.regions_reused,
            ),
            (
                "jit compile time (us)",
                self.compile_time.as_micros() as u64,
            ),
            ("jit interpreter fallbacks run", self.fallbacks_run),
            (
                "jit compiled code entered from the dispatcher",
                self.blocks_run,
            ),
            ("jit blocks interpreted", self.blocks_interpreted),
            (
                "jit code-cache hit rate: instructions run compiled (per mille)",
                (self.hit_rate() * 1000.0).round() as u64,
            ),
            ("jit blocks invalidated", self.blocks_invalidated),
            ("jit blocks recompiled optimized", self.blocks_upgraded),
            (
                "jit loads and stores through the slow path",
                self.memory_slow_paths,
            ),
            (
                "jit SIMD&FP instructions run by the interpreter's handlers",
                self.fp_handler_runs,
            ),
            ("jit template blocks made", self.templates_made),
            (
                "jit template time (us)",
                self.template_time.as_micros() as u64,
            ),
            (
                "jit template code entered from the dispatcher",
                self.template_runs,
            ),
            ("jit instructions run as template code", self.insns_template),
        ]
    }

    /// Share of guest instructions that ran compiled.
    pub fn hit_rate(&self) -> f64 {
        let all = self.insns_compiled + self.insns_interpreted;
        if all == 0 {
            0.0
        } else {
            self.insns_compiled as f64 / all as f64
        }
    }
}

/// A hasher for guest pcs and page numbers (the default SipHash showed in
/// profiles of the dispatcher): a multiply, whose low bits (the bucket) vary
/// with the low bits of the key and whose high bits mix all of them.
#[derive(Default, Clone, Copy)]
pub(crate) struct PcHasher(u64);

impl Hasher for PcHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ b as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        }
    }

    fn write_u64(&mut self, v: u64) {
        self.0 = (self.0 ^ (v >> 2) ^ (v << 62)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }
}

type PcMap<V> = HashMap<u64, V, BuildHasherDefault<PcHasher>>;

/// The Cranelift threshold of [`ExecMode::TEMPLATES`]: never reached.
const TEMPLATES_ONLY: u32 = u32::MAX;

/// Longest block, in guest instructions.
const MAX_BLOCK: u32 = 64;
/// Most guest blocks compiled into one function (a region: a hot block and
/// the warm blocks it branches to in its page, and theirs, and the blocks
/// its calls return to), and most guest instructions in them: branches
/// between them are jumps that keep registers and flags in host registers.
/// (16 blocks: CoreMark's branchy state machine needs fewer region
/// transitions than with 8, and its steady state fewer host instructions;
/// 32 needs more.)
pub(crate) const MAX_REGION_BLOCKS: usize = 16;
/// Quick regions stop at 8 blocks: with fall-through blocks counted, 16
/// made large programs wait longer for the compile thread (Python's
/// interpreter: 3 % slower), while their optimized upgrade, which runs the
/// steady state, takes 16.
pub(crate) const MAX_QUICK_REGION_BLOCKS: usize = 8;
pub(crate) const MAX_REGION_INSNS: u32 = 192;
pub(crate) const FRONT: usize = 32768;
const MAX_DEAD_BLOCKS: usize = 20_000;

/// A compiled block: `fn(ctx, budget) -> u64` in Cranelift's `tail` calling
/// convention (so blocks can tail-call the next one, passing the budget left
/// in a register, not through memory); entered from Rust only through the
/// `enter` trampoline.
pub(crate) type BlockFn = unsafe extern "C" fn(*mut JitCtx) -> u64;

/// The trampoline: `enter(ctx, block)` calls the block with the `tail`
/// convention (budget `ctx.budget`) and returns its result, the budget left.
pub(crate) type EnterFn = unsafe extern "C" fn(*mut JitCtx, BlockFn) -> u64;

/// A slot of the direct-mapped front; compiled code reads it (offsets in
/// `emit::ENTRY_*`).
#[derive(Clone, Copy)]
#[repr(C)]
pub(crate) struct Entry {
    pub pc: u64,
    pub code: Option<BlockFn>,
    pub len: u64,
    /// The block's template code (`template.rs`): its address, 1 when none
    /// can be made, 0 when none was tried.
    pub template: u64,
}

/// The length of a front entry for a pc that has no compiled block: above
/// any budget (`run_chain` keeps budgets below `STOP_BIT`), so compiled
/// code never chains to it. `install` replaces it.
const NOT_COMPILED: u64 = u64::MAX;

/// The length of a front entry for a pc without compiled code that keeps
/// the pc's count of executions in its low 32 bits, in place of
/// `Jit::heat`: the dispatcher counts an interpreted block in the slot it
/// just looked up instead of in a hash map. Above any budget too.
const HEAT_CACHED: u64 = 1 << 63;

/// The length of a front entry for a pc whose region waits for the compile
/// thread (or that is never compiled): its low 32 bits count executions not
/// yet added to the region's shared count (`Jit::queued_heat`), so that
/// the dispatcher counts a waiting block without two hash lookups. Above
/// any budget too.
const QUEUED_CACHED: u64 = 0xc000_0000 << 32;

/// Executions a [`QUEUED_CACHED`] entry counts before adding them to the
/// region's shared count (which only orders the compile thread's queue).
const QUEUED_FLUSH: u32 = 64;

/// The count a front entry keeps (see [`HEAT_CACHED`]).
#[inline(always)]
fn cached_heat(e: &Entry) -> Option<u32> {
    (e.code.is_none() && e.len >> 32 == HEAT_CACHED >> 32).then_some(e.len as u32)
}

/// The executions a front entry of a waiting block keeps (see
/// [`QUEUED_CACHED`]).
#[inline(always)]
fn cached_queued(e: &Entry) -> Option<u32> {
    (e.code.is_none() && e.len >> 32 == QUEUED_CACHED >> 32).then_some(e.len as u32)
}

/// The empty entry of slot `i`: its pc maps to another slot, so no lookup in
/// slot `i` ever matches it (compiled code checks only the pc).
const fn no_entry(i: usize) -> Entry {
    Entry {
        pc: (((i + 1) & (FRONT - 1)) as u64) << 2,
        code: None,
        len: 0,
        template: 0,
    }
}

#[derive(Clone)]
struct Compiled {
    code: BlockFn,
    len: u32,
    /// Pointed to by the code (shared with the `Jit`s that run the same
    /// code).
    _fallbacks: Arc<Vec<FallbackInfo>>,
    /// Owns the code.
    _module: Arc<Mutex<Compiler>>,
    /// A quick region's count of entries and back-edges taken (written by
    /// its code); `None` once optimized.
    counter: Option<Arc<AtomicU64>>,
    /// Being recompiled optimized.
    upgrading: bool,
}

/// How a region is compiled. A hot region is first compiled quickly
/// (Cranelift without its optimisations: about 40 % less compile time, 15 %
/// more host instructions), so it leaves the interpreter sooner; once its
/// code has counted `Jit::upgrade_at` entries and back-edges it is compiled
/// again with them, off the hot path like the first time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Tier {
    Quick,
    Optimized,
}

/// Entries and back-edges after which a quick region is recompiled
/// optimized, per unit of the tiering threshold (1,200 by default; low
/// thresholds, as tests use, upgrade after `MIN_UPGRADE`, so that both
/// tiers and the change between them run in every suite).
const UPGRADE_PER_THRESHOLD: u64 = 4;
const MIN_UPGRADE: u64 = 64;

/// Dispatcher iterations between looks at the quick regions' counters.
const UPGRADE_SCAN: u32 = 256;

/// Most upgrades queued at once: each holds its lifted region until the
/// compile thread takes it, after every quick job.
const MAX_UPGRADES_QUEUED: usize = 4;

/// Thresholds from this one up compile on the background thread: blocks that
/// hot can be interpreted a little longer while they compile.
const BACKGROUND_THRESHOLD: u32 = 100;

/// Heat of a block whose region is being compiled in the background.
const QUEUED: u32 = u32::MAX - 1;

/// The JIT state of one `Cpu`.
pub struct Jit {
    threshold: u32,
    compiler: Arc<Mutex<Compiler>>,
    /// Compile on the background thread; `results` receives its work.
    background: bool,
    results: Option<(Sender<Built>, Receiver<Built>)>,
    /// Regions queued and not yet received.
    pending: usize,
    /// Results the compile thread sent, and how many of them were received.
    sent: Arc<AtomicUsize>,
    received: usize,
    /// The other blocks of each queued region (by its start) that wait
    /// for it (heat `QUEUED`).
    waiting: PcMap<Vec<u64>>,
    /// For every block of a queued region, the region's count of
    /// executions while it waits: the compile thread takes the most
    /// executed region first.
    queued_heat: PcMap<Arc<AtomicU32>>,
    /// Counts calls that may drop code (pages invalidated, reset): a region
    /// is lifted at one count (its token) and its code is stale if its page
    /// was invalidated at a later count (`page_invalidated`), or everything
    /// was (`all_invalidated`). Per page, so that a program that keeps
    /// writing code (a JIT in the guest) does not throw away every region
    /// being compiled at each write.
    invalidations: u64,
    page_invalidated: PcMap<u64>,
    all_invalidated: u64,
    front: Box<[Entry; FRONT]>,
    blocks: PcMap<Compiled>,
    by_page: PcMap<Vec<u64>>,
    /// Executions of block starts without compiled code (or `QUEUED`, or
    /// `u32::MAX`: never compiled); a front slot may hold a newer count
    /// (`HEAT_CACHED`), which is written back when the slot changes hands.
    heat: PcMap<u32>,
    /// Starts of the regions installed with quick code.
    quick: Vec<u64>,
    /// Count at which a quick region is recompiled optimized.
    upgrade_at: u64,
    /// Upgrades queued for the compile thread and not yet received.
    upgrades_queued: usize,
    /// Dispatcher iterations until the next look at `quick`.
    scan_in: u32,
    dead: usize,
    /// Interpreted runs after which a block gets template code (`u32::MAX`:
    /// never; see `template.rs`).
    template_at: u32,
    #[cfg(target_arch = "x86_64")]
    templates: Option<template::Templates>,
    pub stats: JitStats,
    /// `KVRM_JIT_PROFILE`: per instruction name, (fallbacks run from compiled
    /// code, instructions interpreted), printed when the JIT is dropped.
    pub(crate) profile: Option<HashMap<&'static str, [u64; 2]>>,
}

impl Jit {
    /// Count one instruction word for the profile (`which`: 0 fallback, 1 interpreted).
    pub(crate) fn profile_word(&mut self, word: u32, which: usize) {
        if let Some(p) = self.profile.as_mut() {
            let name = kvrm_isa::decode::decode_a64(word)
                .map(|id| kvrm_isa::decode::table().name(id))
                .unwrap_or("(undefined)");
            p.entry(name).or_insert([0; 2])[which] += 1;
        }
    }
}

impl Jit {
    fn print_profile(&mut self) {
        let Some(p) = self.profile.take() else {
            return;
        };
        let mut v: Vec<_> = p.into_iter().collect();
        v.sort_by_key(|(_, c)| std::cmp::Reverse(c[0] + c[1]));
        eprintln!("kvrm jit profile: instruction, fallbacks from compiled code, interpreted");
        for (name, c) in v.iter().take(40) {
            eprintln!("  {name:<24} {:>12} {:>12}", c[0], c[1]);
        }
    }
}

/// `KVRM_JIT_PERFMAP`: name a compiled function for `perf report`, in the
/// file `/tmp/perf-<pid>.map` that perf reads for code it cannot map.
fn perf_map(addr: u64, size: usize, name: &str) {
    use std::io::Write;
    let path = format!("/tmp/perf-{}.map", std::process::id());
    if let Ok(mut f) = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
    {
        let _ = writeln!(f, "{addr:x} {size:x} {name}");
    }
    if std::env::var_os("KVRM_JIT_PERFMAP").is_some_and(|v| v == "code") {
        let dir = format!("/tmp/kvrm-jit-{}", std::process::id());
        let _ = std::fs::create_dir_all(&dir);
        // SAFETY: `addr` is the start of a finalized function of `size` bytes.
        let code = unsafe { std::slice::from_raw_parts(addr as *const u8, size) };
        let _ = std::fs::write(format!("{dir}/{name}.bin"), code);
    }
}

/// The host ISA, built once per process for each tier (`optimize`:
/// Cranelift's optimisations on, for [`Tier::Optimized`]).
fn host_isa(optimize: bool) -> OwnedTargetIsa {
    static ISA: [OnceLock<OwnedTargetIsa>; 2] = [OnceLock::new(), OnceLock::new()];
    ISA[optimize as usize]
        .get_or_init(|| {
            let mut flags = settings::builder();
            // Fixed names and values of this Cranelift version.
            let _ = flags.set("opt_level", if optimize { "speed" } else { "none" });
            let _ = flags.set("use_colocated_libcalls", "false");
            let _ = flags.set("is_pic", "false");
            // Cranelift's tail calls (block chaining) need frame pointers.
            let _ = flags.set("preserve_frame_pointers", "true");
            // The IR verifier costs a fifth of compile time; kvrm_ir verifies
            // its own blocks and the fuzzer and oracle tests check the code.
            let _ = flags.set("enable_verifier", "false");
            cranelift_native::builder()
                .unwrap_or_else(|m| panic!("kvrm jit: host not supported by Cranelift: {m}"))
                .finish(settings::Flags::new(flags))
                .unwrap_or_else(|e| panic!("kvrm jit: {e}"))
        })
        .clone()
}

/// Addresses of the slow-path trampolines, built with each module, one per
/// [`helpers::Slow`]: `tramp(ctx, a1, .., an)` (Cranelift's `preserve_all`
/// convention, which clobbers no register) calls the `extern "C"` helper
/// `(ctx, a1, .., an) -> u64` and leaves its result in `ctx.ret`. Blocks call
/// memory slow paths through them, so values stay in caller-saved registers
/// across the (cold) call instead of forcing callee-saved registers, which
/// every block entry would have to save and restore.
#[derive(Clone, Copy, Default)]
pub(crate) struct Trampolines {
    pub code: [u64; helpers::SLOW_PATHS],
}

/// Compile `ctx`'s function as `name` and return its id.
fn define(module: &mut JITModule, ctx: &mut Context, name: &str) -> cranelift_module::FuncId {
    let id = module
        .declare_function(name, Linkage::Local, &ctx.func.signature)
        .unwrap_or_else(|e| panic!("kvrm jit: declare {name}: {e}"));
    module
        .define_function(id, ctx)
        .unwrap_or_else(|e| panic!("kvrm jit: compile {name}: {e:?}"));
    id
}

/// The entry trampoline and the slow-path trampolines, shared by every
/// block of the process.
pub(crate) struct SharedEntry {
    pub enter: EnterFn,
    pub tramps: Trampolines,
}

/// The trampolines, built once in a module of their own that lives as long
/// as the process.
pub(crate) fn shared_entry() -> &'static SharedEntry {
    static SHARED: OnceLock<SharedEntry> = OnceLock::new();
    SHARED.get_or_init(|| {
        let (module, enter, tramps) = trampolines(&mut FunctionBuilderContext::new());
        // Never freed: every compiled block calls into it.
        std::mem::forget(module);
        SharedEntry { enter, tramps }
    })
}

/// A new module with the entry trampoline `enter(ctx, block)` and the
/// slow-path trampolines.
fn trampolines(fctx: &mut FunctionBuilderContext) -> (JITModule, EnterFn, Trampolines) {
    let mut module = JITModule::new(JITBuilder::with_isa(
        host_isa(true),
        cranelift_module::default_libcall_names(),
    ));
    let call_conv = module.isa().default_call_conv();
    let frontend = module.isa().frontend_config();
    let t = cranelift_codegen::ir::MemFlagsData::trusted();
    let mut ctx = module.make_context();
    // enter(ctx, block): block(ctx, ctx.budget) in the `tail` convention.
    let mut sig = emit::signature(call_conv);
    sig.params.push(AbiParam::new(types::I64));
    ctx.func.signature = sig;
    {
        let mut b = FunctionBuilder::new(&mut ctx.func, fctx);
        let blk = b.create_block();
        b.append_block_params_for_function_params(blk);
        b.switch_to_block(blk);
        b.seal_block(blk);
        let (c, code) = (b.block_params(blk)[0], b.block_params(blk)[1]);
        let budget = b.ins().load(types::I64, t, c, helpers::CTX_BUDGET);
        let tail = b.import_signature(emit::block_signature());
        let call = b.ins().call_indirect(tail, code, &[c, budget]);
        let r = b.inst_results(call)[0];
        b.ins().return_(&[r]);
        b.finalize(frontend);
    }
    let enter_id = define(&mut module, &mut ctx, "kvrm_enter");
    let mut tramp_ids = Vec::new();
    for (i, (helper_addr, n)) in helpers::slow_paths().into_iter().enumerate() {
        module.clear_context(&mut ctx);
        ctx.func.signature = emit::trampoline_signature(n);
        let mut b = FunctionBuilder::new(&mut ctx.func, fctx);
        let blk = b.create_block();
        b.append_block_params_for_function_params(blk);
        b.switch_to_block(blk);
        b.seal_block(blk);
        let p = b.block_params(blk).to_vec();
        let c = p[0];
        let f = b.ins().iconst(types::I64, helper_addr as i64);
        let mut helper = cranelift_codegen::ir::Signature::new(call_conv);
        for _ in 0..=n {
            helper.params.push(AbiParam::new(types::I64));
        }
        helper.returns.push(AbiParam::new(types::I64));
        let helper = b.import_signature(helper);
        let call = b.ins().call_indirect(helper, f, &p);
        let r = b.inst_results(call)[0];
        b.ins().store(t, r, c, helpers::CTX_RET);
        b.ins().return_(&[]);
        b.finalize(frontend);
        tramp_ids.push(define(&mut module, &mut ctx, &format!("kvrm_slow{i}")));
    }
    module
        .finalize_definitions()
        .unwrap_or_else(|e| panic!("kvrm jit: finalize trampolines: {e}"));
    let ptr = module.get_finalized_function(enter_id);
    // SAFETY: built just above with the host's C convention and this signature.
    let enter = unsafe { std::mem::transmute::<*const u8, EnterFn>(ptr) };
    let mut tramps = Trampolines::default();
    for (i, id) in tramp_ids.into_iter().enumerate() {
        tramps.code[i] = module.get_finalized_function(id) as u64;
    }
    (module, enter, tramps)
}

impl Jit {
    pub fn new(threshold: u32) -> Self {
        let background = threshold >= BACKGROUND_THRESHOLD;
        if background {
            compiler::start_threads();
        }
        Jit {
            threshold,
            compiler: Arc::new(Mutex::new(Compiler::new())),
            background,
            results: None,
            pending: 0,
            sent: Arc::new(AtomicUsize::new(0)),
            received: 0,
            waiting: PcMap::default(),
            queued_heat: PcMap::default(),
            invalidations: 0,
            page_invalidated: PcMap::default(),
            all_invalidated: 0,
            // Built in place: the array is too large to pass through the stack.
            front: (0..FRONT)
                .map(no_entry)
                .collect::<Vec<_>>()
                .into_boxed_slice()
                .try_into()
                .unwrap_or_else(|_| unreachable!("FRONT entries")),
            blocks: PcMap::default(),
            by_page: PcMap::default(),
            heat: PcMap::default(),
            quick: Vec::new(),
            upgrade_at: (UPGRADE_PER_THRESHOLD * u64::from(threshold)).max(MIN_UPGRADE),
            upgrades_queued: 0,
            scan_in: UPGRADE_SCAN,
            dead: 0,
            template_at: Self::template_threshold(threshold),
            #[cfg(target_arch = "x86_64")]
            templates: (Self::template_threshold(threshold) != u32::MAX)
                .then(template::Templates::new),
            stats: JitStats::default(),
            profile: std::env::var_os("KVRM_JIT_PROFILE").map(|_| HashMap::new()),
        }
    }

    pub fn threshold(&self) -> u32 {
        self.threshold
    }

    /// The template tier's threshold for a JIT of Cranelift threshold
    /// `threshold` (`u32::MAX`: no template tier on this host).
    fn template_threshold(threshold: u32) -> u32 {
        #[cfg(target_arch = "x86_64")]
        return template::threshold_for(threshold);
        #[cfg(not(target_arch = "x86_64"))]
        return {
            let _ = threshold;
            u32::MAX
        };
    }

    /// The template code recorded for `pc` (see `Entry::template`).
    fn template_of(&self, pc: u64) -> u64 {
        #[cfg(target_arch = "x86_64")]
        if let Some(t) = &self.templates {
            return t.get(pc);
        }
        let _ = pc;
        0
    }

    #[inline(always)]
    fn slot(pc: u64) -> usize {
        ((pc >> 2) as usize) & (FRONT - 1)
    }

    /// The trampoline and the front, for `run_chain`.
    pub(crate) fn entry_points(&self) -> Option<(EnterFn, *const Entry)> {
        Some((shared_entry().enter, self.front.as_ptr()))
    }

    /// The compiled block at `pc`, if any.
    #[inline(always)]
    pub(crate) fn lookup(&mut self, pc: u64) -> Option<Entry> {
        let i = Self::slot(pc);
        let e = self.front[i];
        if e.pc == pc {
            // Compiled, or known not to be: the dispatcher interprets cold
            // blocks without a hash lookup each time.
            return e.code.is_some().then_some(e);
        }
        let template = self.template_of(pc);
        let e = match self.blocks.get(&pc) {
            Some(c) => Entry {
                pc,
                code: Some(c.code),
                len: c.len as u64,
                template,
            },
            None => Entry {
                pc,
                code: None,
                len: NOT_COMPILED,
                template,
            },
        };
        self.evict(i);
        self.front[i] = e;
        e.code.is_some().then_some(e)
    }

    /// Before front slot `i` changes hands: write the count it keeps back.
    #[inline]
    fn evict(&mut self, i: usize) {
        let old = self.front[i];
        if let Some(h) = cached_heat(&old) {
            self.heat.insert(old.pc, h);
        }
        if let Some(n) = cached_queued(&old) {
            self.add_queued_heat(old.pc, n);
        }
    }

    /// Add `n` executions to the shared count of the region `pc` waits for.
    fn add_queued_heat(&self, pc: u64, n: u32) {
        if let Some(c) = self.queued_heat.get(&pc) {
            // Only this thread writes it: no locked add.
            c.store(
                c.load(Ordering::Relaxed).saturating_add(n),
                Ordering::Relaxed,
            );
        }
    }

    /// Set the heat of `pc` (dropping a count its front slot keeps).
    fn set_heat(&mut self, pc: u64, h: Option<u32>) {
        match h {
            Some(h) => self.heat.insert(pc, h),
            None => self.heat.remove(&pc),
        };
        let i = Self::slot(pc);
        let e = &self.front[i];
        if e.pc == pc && (cached_heat(e).is_some() || cached_queued(e).is_some()) {
            self.front[i].len = NOT_COMPILED;
        }
    }

    /// The heat of `pc`, wherever it is kept.
    fn heat_of(&self, pc: u64) -> Option<u32> {
        let e = &self.front[Self::slot(pc)];
        match cached_heat(e) {
            Some(h) if e.pc == pc => Some(h),
            _ => self.heat.get(&pc).copied(),
        }
    }

    /// Count an execution of the block at `pc`; true when it is hot.
    pub(crate) fn is_hot(&mut self, pc: u64) -> bool {
        // Counted in its front slot (`lookup` just filled it) while cold.
        let i = Self::slot(pc);
        let e = &mut self.front[i];
        if e.pc == pc {
            if let Some(h) = cached_heat(e) {
                let h = h + 1;
                if h <= self.threshold {
                    e.len = HEAT_CACHED | u64::from(h);
                    return false;
                }
                e.len = NOT_COMPILED;
                self.heat.insert(pc, h);
                return true;
            }
            if let Some(n) = cached_queued(e) {
                let n = n + 1;
                if n < QUEUED_FLUSH {
                    e.len = QUEUED_CACHED | u64::from(n);
                } else {
                    e.len = QUEUED_CACHED;
                    self.add_queued_heat(pc, n);
                }
                return false;
            }
        }
        let h = self.heat.entry(pc).or_insert(0);
        if *h >= QUEUED {
            // Being compiled (counted, for the compile thread's order),
            // or could not be: counted in the front slot from now on.
            self.add_queued_heat(pc, 1);
            let e = &mut self.front[i];
            if e.pc == pc && e.code.is_none() {
                e.len = QUEUED_CACHED;
            }
            return false;
        }
        *h += 1;
        let h = *h;
        if h > self.threshold {
            return true;
        }
        let e = &mut self.front[i];
        if e.pc == pc && e.code.is_none() {
            e.len = HEAT_CACHED | u64::from(h);
        }
        false
    }

    /// The interpreter reached the block at `pc` by a branch: count it as
    /// the dispatcher would and say whether the interpreter may run it on
    /// (true: no compiled code, not hot now, and its count kept in its
    /// front slot), without going back to the dispatcher. Anything else
    /// (compiled, just hot, a count to flush, a slot not filled) is left to
    /// the dispatcher.
    #[inline(always)]
    pub(crate) fn count_interpreted(&mut self, pc: u64) -> bool {
        let e = &mut self.front[Self::slot(pc)];
        // A block with template code (or due one) goes to the dispatcher.
        if e.pc != pc || e.code.is_some() || e.template > 1 {
            return false;
        }
        // Wrapping: a NOT_COMPILED slot's low half is u32::MAX (its tag
        // matches neither kind below, so the count is not kept).
        let n = (e.len as u32).wrapping_add(1);
        let tag = e.len & !u64::from(u32::MAX);
        let untemplated = e.template == 0 && self.template_at != u32::MAX;
        let keep = match tag {
            HEAT_CACHED => n <= self.threshold && !(untemplated && n >= self.template_at),
            QUEUED_CACHED => n < QUEUED_FLUSH && !untemplated,
            _ => false,
        };
        if keep {
            e.len = tag | u64::from(n);
            self.stats.blocks_interpreted += 1;
        }
        keep
    }

    /// Whether the block at `pc` ran often enough to be compiled into the
    /// region of a hot block that branches to it: a quarter of the
    /// threshold (at least once), so that both sides of a hot branch join.
    pub(crate) fn warm(&self, pc: u64) -> bool {
        self.heat_of(pc)
            .is_some_and(|h| h != u32::MAX && h >= (self.threshold / 4).max(1))
    }

    /// Never try `pc` again (its first instruction cannot be fetched).
    pub(crate) fn give_up(&mut self, pc: u64) {
        self.set_heat(pc, Some(u32::MAX));
    }

    /// Compile the region lifted at `region[0].start` (see `emit::translate`;
    /// `flat`: the space has a window). At once, returning its entry, or on
    /// the background thread (the entry arrives through [`Self::poll`]).
    /// `key` names the guest code the region was lifted from: code compiled
    /// before from it, by any `Jit` of the process, is installed at once.
    pub(crate) fn compile(
        &mut self,
        region: Vec<kvrm_ir::Block>,
        key: RegionKey,
        flat: bool,
        tier: Tier,
    ) -> Option<Entry> {
        if self.dead > MAX_DEAD_BLOCKS && self.pending == 0 {
            self.reset();
            if tier == Tier::Optimized {
                // The region it was to replace is gone.
                return None;
            }
        }
        let token = self.invalidations;
        let start = region[0].start;
        if self.background {
            // The region's other blocks wait for it rather than queue
            // regions of their own meanwhile.
            let members: Vec<u64> = region[1..]
                .iter()
                .map(|b| b.start)
                .filter(|&pc| self.heat_of(pc).is_none_or(|h| h < QUEUED))
                .collect();
            let reply = self.results.get_or_insert_with(channel).0.clone();
            let heat = Arc::new(AtomicU32::new(0));
            let job = Job {
                heat: heat.clone(),
                compiler: self.compiler.clone(),
                key,
                region,
                flat,
                tier,
                token,
                reply,
                sent: self.sent.clone(),
            };
            if tier == Tier::Optimized {
                // The quick code runs meanwhile: nothing waits for this.
                if compiler::submit(job).is_ok() {
                    self.pending += 1;
                    self.upgrades_queued += 1;
                }
                return None;
            }
            match compiler::submit(job) {
                Ok(()) => {
                    self.pending += 1;
                    self.set_heat(start, Some(QUEUED));
                    self.queued_heat.insert(start, heat.clone());
                    for &pc in &members {
                        self.set_heat(pc, Some(QUEUED));
                        self.queued_heat.insert(pc, heat.clone());
                    }
                    self.waiting.insert(start, members);
                    return None;
                }
                // No compile thread: compile here from now on.
                Err(job) => {
                    self.background = false;
                    return self.compile(job.region, job.key, flat, tier);
                }
            }
        }
        let built = compiler::build(&self.compiler, key, region, flat, tier, token);
        if tier == Tier::Optimized {
            self.install_upgrade(built);
            return None;
        }
        Some(self.install(built))
    }

    /// Install `found`, a region compiled before that starts at `start`,
    /// as [`Self::compile`] installs a region it compiled.
    pub(crate) fn install_found(
        &mut self,
        start: u64,
        found: shared::SharedRegion,
        tier: Tier,
    ) -> Option<Entry> {
        let built = Built {
            start,
            ..Built::reuse(found, tier, self.invalidations)
        };
        if tier == Tier::Optimized {
            self.install_upgrade(built);
            return None;
        }
        Some(self.install(built))
    }

    /// The starts of the quick regions due for optimized code, the most
    /// counted first, as many as the queue takes (every `UPGRADE_SCAN`
    /// calls, or as many calls as there are quick regions, whichever is
    /// more; empty in between).
    #[inline]
    pub(crate) fn due_upgrades(&mut self) -> Vec<u64> {
        if self.scan_in > 0 {
            self.scan_in -= 1;
            return Vec::new();
        }
        // A scan looks at every quick region: on average at most one look
        // per call, however large the program (a Python runs thousands).
        self.scan_in = UPGRADE_SCAN.max(self.quick.len().try_into().unwrap_or(u32::MAX));
        if self.upgrades_queued >= MAX_UPGRADES_QUEUED {
            return Vec::new();
        }
        self.scan_quick()
    }

    /// See [`Self::due_upgrades`].
    #[cold]
    fn scan_quick(&mut self) -> Vec<u64> {
        let room = MAX_UPGRADES_QUEUED.saturating_sub(self.upgrades_queued);
        let mut due = Vec::new();
        let (blocks, upgrade_at) = (&mut self.blocks, self.upgrade_at);
        // Regions dropped or already optimized leave the list.
        self.quick.retain(|pc| {
            let Some(c) = blocks.get(pc) else {
                return false;
            };
            let Some(count) = &c.counter else {
                return false;
            };
            let n = count.load(Ordering::Relaxed);
            if !c.upgrading && n >= upgrade_at {
                due.push((n, *pc));
            }
            true
        });
        // The `room` most counted, without sorting all that are due.
        if due.len() > room && room > 0 {
            due.select_nth_unstable_by(room - 1, |a, b| b.cmp(a));
        }
        due.truncate(room);
        due.sort_unstable_by(|a, b| b.cmp(a));
        due.into_iter()
            .map(|(_, pc)| {
                if let Some(c) = self.blocks.get_mut(&pc) {
                    c.upgrading = true;
                }
                pc
            })
            .collect()
    }

    /// Install the regions the background thread finished.
    #[inline]
    pub(crate) fn poll(&mut self) {
        if self.pending == 0 || self.sent.load(Ordering::Acquire) == self.received {
            return;
        }
        while let Some(built) = self.results.as_ref().and_then(|(_, rx)| rx.try_recv().ok()) {
            self.pending -= 1;
            self.received += 1;
            if built.tier == Tier::Optimized {
                self.upgrades_queued -= 1;
                self.install_upgrade(built);
                continue;
            }
            let members = self.waiting.remove(&built.start).unwrap_or_default();
            self.queued_heat.remove(&built.start);
            for pc in &members {
                self.queued_heat.remove(pc);
            }
            if self.current(built.token, built.start) {
                // Warm: regions compiled later take them in; hot again if
                // entered often from outside this one.
                for pc in members {
                    self.set_heat(pc, Some(self.threshold / 2));
                }
                self.install(built);
            } else {
                // Lifted from code that has changed since: drop it, and let
                // its blocks count their way back up.
                self.dead += 1;
                self.set_heat(built.start, None);
                for pc in members {
                    self.set_heat(pc, None);
                }
            }
        }
    }

    /// Replace a quick region with `built`, its optimized code, unless the
    /// quick one is gone or code changed since the region was lifted.
    fn install_upgrade(&mut self, built: Built) {
        let unchanged = self.current(built.token, built.start);
        let current = self
            .blocks
            .get_mut(&built.start)
            .filter(|c| c.upgrading && c.counter.is_some());
        match current {
            Some(_) if unchanged => {
                self.install(built);
            }
            Some(c) => {
                // Try again later, lifting the code as it is then.
                c.upgrading = false;
                if let Some(count) = &c.counter {
                    count.store(0, Ordering::Relaxed);
                }
                self.dead += 1;
            }
            None => self.dead += 1,
        }
    }

    fn install(&mut self, built: Built) -> Entry {
        self.stats.blocks_compiled += 1;
        self.stats.regions_reused += built.reused as u64;
        self.stats.fallbacks_compiled += built.fallbacks_compiled;
        self.stats.compile_time += built.time;
        // Hot, and no longer queued: regions compiled later take it in.
        self.set_heat(
            built.start,
            Some(self.threshold.saturating_add(1).min(QUEUED - 1)),
        );
        match built.tier {
            Tier::Quick => self.quick.push(built.start),
            Tier::Optimized => self.stats.blocks_upgraded += 1,
        }
        let replaced = self.blocks.insert(
            built.start,
            Compiled {
                code: built.code,
                len: built.len,
                _fallbacks: built.fallbacks,
                _module: built.module,
                counter: built.counter,
                upgrading: false,
            },
        );
        if replaced.is_some() {
            // Its code stays in the module, unused: the front and the
            // code cache now lead to the new code.
            self.dead += 1;
        } else {
            self.by_page
                .entry(built.start >> 12)
                .or_default()
                .push(built.start);
        }
        let e = Entry {
            pc: built.start,
            code: Some(built.code),
            len: built.len as u64,
            template: self.template_of(built.start),
        };
        let i = Self::slot(built.start);
        self.evict(i);
        self.front[i] = e;
        e
    }

    /// Whether a region at `start` lifted at `token` (see `invalidations`)
    /// still holds the code of its page.
    fn current(&self, token: u64, start: u64) -> bool {
        token >= self.all_invalidated
            && self
                .page_invalidated
                .get(&(start >> 12))
                .is_none_or(|&at| at <= token)
    }

    /// Drop the blocks built from `page` (its code changed or went away).
    pub(crate) fn invalidate_page(&mut self, page: u64) {
        #[cfg(target_arch = "x86_64")]
        self.drop_page_templates(page);
        // Regions being compiled may come from this page (regions never
        // leave the page of their start: `kvrm_ir::lift_block`).
        self.invalidations += 1;
        self.page_invalidated.insert(page, self.invalidations);
        let Some(pcs) = self.by_page.remove(&page) else {
            return;
        };
        for pc in pcs {
            if self.blocks.remove(&pc).is_some() {
                self.stats.blocks_invalidated += 1;
                self.dead += 1;
            }
            self.set_heat(pc, None);
            let i = Self::slot(pc);
            if self.front[i].pc == pc {
                self.front[i] = no_entry(i);
            }
        }
    }

    /// Drop every block.
    pub(crate) fn invalidate_all(&mut self) {
        let pages: Vec<u64> = self.by_page.keys().copied().collect();
        for p in pages {
            self.invalidate_page(p);
        }
        #[cfg(target_arch = "x86_64")]
        self.drop_all_templates();
        // Regions being compiled from pages without installed code too.
        self.invalidations += 1;
        self.all_invalidated = self.invalidations;
        self.page_invalidated.clear();
    }

    /// Start a new module; the old one's code is freed when its last holder
    /// lets go (none of this `Jit`'s blocks runs it again: this is called
    /// between blocks, and every block was dropped from the cache above; the
    /// `Jit` of a forked process may still run it).
    fn reset(&mut self) {
        self.invalidate_all();
        shared::forget(&self.compiler);
        self.compiler = Arc::new(Mutex::new(Compiler::new()));
        self.dead = 0;
    }

    /// The JIT of a process forked from this one's: it starts with every
    /// region compiled so far (the same code, which the two share; the
    /// child's space is a copy of this one, and `code_pages` must be
    /// tracked there as code, so that a write to them in either process drops
    /// that process's blocks only). Regions still being compiled are not
    /// passed on: their blocks count again in the child.
    pub(crate) fn fork(&self) -> Jit {
        let mut child = Jit::new(self.threshold);
        child.compiler = self.compiler.clone();
        child.background = self.background;
        child.front.copy_from_slice(&self.front[..]);
        // The child's blocks of regions still queued here count again;
        // template code stays with this `Jit`.
        for e in child.front.iter_mut() {
            if cached_queued(e).is_some() {
                e.len = NOT_COMPILED;
            }
            e.template = 0;
        }
        child.blocks = self
            .blocks
            .iter()
            .map(|(&pc, c)| {
                let mut c = c.clone();
                c.upgrading = false;
                (pc, c)
            })
            .collect();
        child.by_page = self.by_page.clone();
        child.heat = self
            .heat
            .iter()
            .map(|(&pc, &h)| (pc, if h == QUEUED { self.threshold / 2 } else { h }))
            .collect();
        child.quick = self.quick.clone();
        child
    }

    /// Pages holding compiled code (see [`Self::fork`]).
    pub(crate) fn code_pages(&self) -> impl Iterator<Item = u64> + '_ {
        self.by_page.keys().copied()
    }

    pub const MAX_BLOCK: u32 = MAX_BLOCK;
}

impl Drop for Jit {
    fn drop(&mut self) {
        self.print_profile();
        // The code goes with the last holder of the compiler (this `Jit`, or
        // the compile thread finishing a region of it).
        self.blocks.clear();
    }
}

#[cfg(test)]
mod fp_tests;
#[cfg(test)]
mod tests;
