//! Where regions become machine code: a [`Compiler`] (a Cranelift module and
//! its contexts) per `Jit`, used on the dispatcher's thread or by the compile
//! threads, which serve every `Jit` of the process (one compile at a time
//! per compiler; a job whose region another `Jit`'s job is compiling waits
//! for it, to take that code from the shared cache, `shared.rs`).
//!
//! With a background compiler the dispatcher hands a lifted region to the
//! compile threads and goes on interpreting; it installs the code when it
//! arrives, unless code pages changed since the region was lifted (the
//! result is then dropped and the block counts its way back up). Guest
//! results do not depend on when code arrives: compiled code and the
//! interpreter give the same states and counts.

use std::sync::atomic::{AtomicU32, AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc::Sender;
use std::sync::{Arc, Condvar, Mutex, OnceLock};
use std::time::{Duration, Instant};

use cranelift_codegen::Context;
use cranelift_frontend::FunctionBuilderContext;
use cranelift_jit::{JITBuilder, JITModule};
use cranelift_module::{Linkage, Module};
use kvrm_ir::opt::optimize;

use super::helpers::FallbackInfo;
use super::shared::{self, RegionKey, SharedRegion};
use super::{emit, host_isa, perf_map, BlockFn, Tier};

/// A compiled region, on its way to the code cache.
pub(crate) struct Built {
    /// Guest pc of the region's first block and its length in instructions.
    pub start: u64,
    pub len: u32,
    pub code: BlockFn,
    /// Pointed to by the code.
    pub fallbacks: Arc<Vec<FallbackInfo>>,
    pub fallbacks_compiled: u64,
    pub time: Duration,
    /// The `Jit`'s invalidation count when the region was lifted.
    pub token: u64,
    pub tier: Tier,
    /// Counted by quick code (see `Compiled::counter`).
    pub counter: Option<Arc<AtomicU64>>,
    /// Owns the code.
    pub module: Arc<Mutex<Compiler>>,
    /// Compiled before, for this space or another (see `shared`).
    pub reused: bool,
}

impl Built {
    /// `region`, compiled before, for a region lifted at `token`.
    pub fn reuse(region: SharedRegion, tier: Tier, token: u64) -> Built {
        Built {
            start: 0,
            len: region.len,
            code: region.code,
            fallbacks: region.fallbacks,
            fallbacks_compiled: region.fallbacks_compiled,
            time: Duration::ZERO,
            token,
            tier,
            counter: region.counter,
            module: region.module,
            reused: true,
        }
    }
}

/// The code of `region` (lifted at `token` from the code `key` names): the
/// code compiled before from the same key if there is any, else compiled
/// now by `compiler` and offered to the other spaces.
pub(crate) fn build(
    compiler: &Arc<Mutex<Compiler>>,
    key: RegionKey,
    region: Vec<kvrm_ir::Block>,
    flat: bool,
    tier: Tier,
    token: u64,
) -> Built {
    let start = region[0].start;
    // Spaces that queued the same code share one compile: code found for
    // blocks that are all in this region, with the same words, is valid here.
    let found = shared::find(tier, flat, start, |code| {
        shared::blocks(code).all(|b| shared::blocks(&key.code).any(|own| own == b))
    });
    if let Some(found) = found {
        return Built {
            start,
            ..Built::reuse(found, tier, token)
        };
    }
    let built = compiler.lock().unwrap_or_else(|p| p.into_inner()).compile(
        region,
        flat,
        tier,
        token,
        compiler.clone(),
    );
    shared::publish(
        key,
        &SharedRegion {
            code: built.code,
            len: built.len,
            fallbacks: built.fallbacks.clone(),
            fallbacks_compiled: built.fallbacks_compiled,
            counter: built.counter.clone(),
            module: compiler.clone(),
        },
    );
    built
}

/// Cranelift modules for one `Jit`'s blocks (one per tier: the optimisation
/// level is the module's), and the contexts reused for each compilation.
/// Dropping it frees the code: only when no block of it can run (every
/// `Jit` that installed one keeps it, as do the shared cache and a job
/// compiling with it).
pub(crate) struct Compiler {
    modules: [Option<JITModule>; 2],
    ctx: Option<Context>,
    fctx: FunctionBuilderContext,
    /// Functions compiled, for their names.
    count: u64,
}

impl Compiler {
    pub fn new() -> Self {
        Compiler {
            modules: [None, None],
            ctx: None,
            fctx: FunctionBuilderContext::new(),
            count: 0,
        }
    }

    /// Optimise and compile `region` (its first block is the entry; see
    /// `emit::translate`); `me` is this compiler's handle, which the code
    /// keeps.
    fn compile(
        &mut self,
        mut region: Vec<kvrm_ir::Block>,
        flat: bool,
        tier: Tier,
        token: u64,
        me: Arc<Mutex<Compiler>>,
    ) -> Built {
        let t0 = Instant::now();
        for block in region.iter_mut() {
            optimize(block);
        }
        let optimize = tier == Tier::Optimized;
        let module = self.modules[optimize as usize].get_or_insert_with(|| {
            let mut builder = JITBuilder::with_isa(
                host_isa(optimize),
                cranelift_module::default_libcall_names(),
            );
            #[cfg(target_arch = "x86_64")]
            builder.memory_provider(Box::new(super::code_memory::CodeMemory::new()));
            JITModule::new(builder)
        });
        let counter = (!optimize).then(|| Arc::new(AtomicU64::new(0)));
        let ctx = self.ctx.get_or_insert_with(|| module.make_context());
        let call_conv = module.isa().default_call_conv();
        module.clear_context(ctx);
        ctx.func.signature = emit::block_signature();
        let frontend = module.isa().frontend_config();
        let fallbacks = emit::translate(
            &mut ctx.func,
            &mut self.fctx,
            &region,
            call_conv,
            frontend,
            flat,
            counter.as_ref().map(|c| c.as_ptr() as u64),
        );
        let block = &region[0];
        let name = format!("b{:x}_{}", block.start, self.count);
        self.count += 1;
        let id = module
            .declare_function(&name, Linkage::Local, &ctx.func.signature)
            .unwrap_or_else(|e| panic!("kvrm jit: declare {name}: {e}"));
        let dump = std::env::var_os("KVRM_JIT_DUMP").is_some();
        ctx.want_disasm = dump;
        module
            .define_function(id, ctx)
            .unwrap_or_else(|e| panic!("kvrm jit: compile {name}: {e:?}\n{block}"));
        module
            .finalize_definitions()
            .unwrap_or_else(|e| panic!("kvrm jit: finalize {name}: {e}"));
        if dump {
            let vcode = ctx.compiled_code().and_then(|c| c.vcode.clone());
            for b in &region {
                eprintln!("{b}");
            }
            eprintln!("{}\n{}", ctx.func.display(), vcode.unwrap_or_default());
        }
        let ptr = module.get_finalized_function(id);
        if std::env::var_os("KVRM_JIT_PERFMAP").is_some() {
            let size = ctx.compiled_code().map_or(0, |c| c.code_buffer().len());
            perf_map(ptr as u64, size, &name);
        }
        // SAFETY: the function was built with `emit::block_signature`, which
        // `BlockFn` stands for (called only through `enter`, which uses it).
        let code: BlockFn = unsafe { std::mem::transmute::<*const u8, BlockFn>(ptr) };
        Built {
            start: block.start,
            len: block.guest_len,
            code,
            fallbacks: Arc::new(fallbacks),
            fallbacks_compiled: region.iter().map(|b| b.fallbacks() as u64).sum(),
            time: t0.elapsed(),
            token,
            tier,
            counter,
            module: me,
            reused: false,
        }
    }
}

impl Drop for Compiler {
    fn drop(&mut self) {
        for old in self.modules.iter_mut().filter_map(Option::take) {
            // SAFETY: no block of these modules can run: every `Jit` that
            // installed one holds this compiler while it may run it.
            unsafe { old.free_memory() };
        }
    }
}

/// A region for the compile thread, and where to send the result.
pub(crate) struct Job {
    pub compiler: Arc<Mutex<Compiler>>,
    pub key: RegionKey,
    pub region: Vec<kvrm_ir::Block>,
    pub flat: bool,
    pub tier: Tier,
    pub token: u64,
    pub reply: Sender<Built>,
    /// Counts the results sent on `reply` (read without touching the
    /// channel by a dispatcher waiting for one).
    pub sent: Arc<AtomicUsize>,
    /// Executions of the region's blocks while it waits (the dispatcher
    /// counts them): the compile thread takes the most executed job first,
    /// so a hot loop does not wait behind start-up code.
    pub heat: Arc<AtomicU32>,
}

/// The jobs waiting for the compile threads, and what they are compiling.
struct Queue {
    state: Mutex<QueueState>,
    ready: Condvar,
}

#[derive(Default)]
struct QueueState {
    jobs: Vec<Job>,
    /// Jobs being compiled: their compiler (by address; one compile at a
    /// time each) and their region's tier, window and start.
    in_flight: Vec<(usize, (Tier, bool, u64))>,
}

impl Job {
    fn compiler_id(&self) -> usize {
        Arc::as_ptr(&self.compiler) as usize
    }

    fn region_id(&self) -> (Tier, bool, u64) {
        (self.tier, self.flat, self.key.start())
    }
}

impl Queue {
    /// The next job: a quick one before any upgrade (code that is
    /// interpreted meanwhile before code that runs slower), the most
    /// executed, the oldest among equals; not one whose compiler is busy,
    /// nor one whose region another space's job is compiling (it waits, to
    /// find that code in the shared cache).
    fn take(&self) -> Job {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        loop {
            let st = &*state;
            let best = st
                .jobs
                .iter()
                .enumerate()
                .filter(|(_, j)| {
                    !st.in_flight
                        .iter()
                        .any(|&(c, r)| c == j.compiler_id() || r == j.region_id())
                })
                .max_by_key(|(i, j)| {
                    (
                        std::cmp::Reverse(j.tier),
                        j.heat.load(Ordering::Relaxed),
                        std::cmp::Reverse(*i),
                    )
                })
                .map(|(i, _)| i);
            if let Some(i) = best {
                let job = state.jobs.remove(i);
                state.in_flight.push((job.compiler_id(), job.region_id()));
                return job;
            }
            state = self.ready.wait(state).unwrap_or_else(|p| p.into_inner());
        }
    }

    /// `job`, taken by [`Self::take`], is done.
    fn done(&self, compiler: usize, region: (Tier, bool, u64)) {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(i) = state
            .in_flight
            .iter()
            .position(|&f| f == (compiler, region))
        {
            state.in_flight.swap_remove(i);
        }
        drop(state);
        // Jobs held back by this one may go now.
        self.ready.notify_all();
    }

    /// Serve jobs, forever.
    fn serve(&self, warm: bool) {
        if warm {
            warm_up();
        }
        loop {
            let job = self.take();
            let (compiler, region) = (job.compiler_id(), job.region_id());
            let built = build(
                &job.compiler,
                job.key,
                job.region,
                job.flat,
                job.tier,
                job.token,
            );
            // The `Jit` may be gone: its code is then dropped here.
            if job.reply.send(built).is_ok() {
                job.sent.fetch_add(1, Ordering::Release);
            }
            drop(job.compiler);
            self.done(compiler, region);
        }
    }
}

/// Compile threads: one for every four host cores (one on small hosts, at
/// most four). The dispatchers interpret while they wait, so a thread of
/// its own pays only where cores would otherwise idle or where many spaces
/// (`--lanes`, threads of a guest) wait for code at once.
fn compile_threads() -> usize {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    std::env::var("KVRM_JIT_THREADS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(cores / 4)
        .clamp(1, 4)
}

/// Cranelift's first compile in a process costs twice a later one of the
/// same size (its code and tables paged in, the allocator's arenas grown),
/// and the trampolines shared by every block are built on the first entry
/// into compiled code: both happen here, on a compile thread while the
/// guest starts, instead of delaying the first hot region.
fn warm_up() {
    super::shared_entry();
    // add x0, x0, #1; ldr x1, [x0]; str x1, [x0, #8]; ret
    const WORDS: [u32; 4] = [0x9100_0400, 0xf940_0001, 0xf900_0401, 0xd65f_03c0];
    const AT: u64 = 0x1000;
    let fetch = |a: u64| WORDS.get(((a - AT) / 4) as usize).copied();
    let Some(block) = kvrm_ir::lift_block(AT, WORDS.len() as u32, fetch) else {
        return;
    };
    let compiler = Arc::new(Mutex::new(Compiler::new()));
    let built = compiler.lock().unwrap_or_else(|p| p.into_inner()).compile(
        vec![block],
        true,
        Tier::Quick,
        0,
        compiler.clone(),
    );
    // Frees the code with the compiler: nothing ever ran it.
    drop(built);
}

/// Start the compile threads now, so that they warm up (`warm_up`) while
/// the guest starts; `submit` starts them otherwise.
pub(crate) fn start_threads() {
    queue();
}

/// The compile threads' queue, the threads started on first use; `None`
/// if the host refused to start any.
fn queue() -> Option<&'static Arc<Queue>> {
    static QUEUE: OnceLock<Option<Arc<Queue>>> = OnceLock::new();
    QUEUE
        .get_or_init(|| {
            let queue = Arc::new(Queue {
                state: Mutex::new(QueueState::default()),
                ready: Condvar::new(),
            });
            let mut started = 0;
            for i in 0..compile_threads() {
                let served = queue.clone();
                let thread = std::thread::Builder::new()
                    .name(format!("kvrm-jit-{i}"))
                    .spawn(move || served.serve(i == 0));
                started += thread.is_ok() as usize;
            }
            (started > 0).then_some(queue)
        })
        .as_ref()
}

/// Queue `job` for the compile threads; gives it back if there is none
/// (the host refused to start one).
pub(crate) fn submit(job: Job) -> Result<(), Job> {
    match queue() {
        Some(q) => {
            q.state
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .jobs
                .push(job);
            q.ready.notify_one();
            Ok(())
        }
        None => Err(job),
    }
}
