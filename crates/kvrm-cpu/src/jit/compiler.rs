//! Where regions become machine code: a [`Compiler`] (a Cranelift module and
//! its contexts) per `Jit`, used on the dispatcher's thread or by the compile
//! thread, which serves every `Jit` of the process in turn.
//!
//! With a background compiler the dispatcher hands a lifted region to the
//! compile thread and goes on interpreting; it installs the code when it
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
use super::{emit, host_isa, perf_map, BlockFn, Tier};

/// A compiled region, on its way to the code cache.
pub(crate) struct Built {
    /// Guest pc of the region's first block and its length in instructions.
    pub start: u64,
    pub len: u32,
    pub code: BlockFn,
    /// Pointed to by the code.
    pub fallbacks: Vec<FallbackInfo>,
    pub fallbacks_compiled: u64,
    pub time: Duration,
    /// The `Jit`'s invalidation count when the region was lifted.
    pub token: u64,
    pub tier: Tier,
    /// Counted by quick code (see `Compiled::counter`).
    pub counter: Option<Arc<AtomicU64>>,
}

/// Cranelift modules for one `Jit`'s blocks (one per tier: the optimisation
/// level is the module's), and the contexts reused for each compilation.
/// Dropping it frees the code: only when no block of it can run (its `Jit`,
/// and those of processes forked from it that share it, are gone or reset).
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
    /// `emit::translate`).
    pub fn compile(
        &mut self,
        mut region: Vec<kvrm_ir::Block>,
        flat: bool,
        tier: Tier,
        token: u64,
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
            fallbacks,
            fallbacks_compiled: region.iter().map(|b| b.fallbacks() as u64).sum(),
            time: t0.elapsed(),
            token,
            tier,
            counter,
        }
    }
}

impl Drop for Compiler {
    fn drop(&mut self) {
        for old in self.modules.iter_mut().filter_map(Option::take) {
            // SAFETY: no block of these modules can run: every `Jit` that
            // held them is gone or has moved to a new compiler (`Jit::reset`).
            unsafe { old.free_memory() };
        }
    }
}

/// A region for the compile thread, and where to send the result.
pub(crate) struct Job {
    pub compiler: Arc<Mutex<Compiler>>,
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

/// The jobs waiting for the compile thread.
struct Queue {
    jobs: Mutex<Vec<Job>>,
    ready: Condvar,
}

impl Queue {
    /// The next job: a quick one before any upgrade (code that is
    /// interpreted meanwhile before code that runs slower), the most
    /// executed, the oldest among equals.
    fn take(&self) -> Job {
        let mut jobs = self.jobs.lock().unwrap_or_else(|p| p.into_inner());
        loop {
            let best = jobs
                .iter()
                .enumerate()
                .max_by_key(|(i, j)| {
                    (
                        std::cmp::Reverse(j.tier),
                        j.heat.load(Ordering::Relaxed),
                        std::cmp::Reverse(*i),
                    )
                })
                .map(|(i, _)| i);
            if let Some(i) = best {
                return jobs.remove(i);
            }
            jobs = self.ready.wait(jobs).unwrap_or_else(|p| p.into_inner());
        }
    }
}

/// Queue `job` for the compile thread (started on first use); gives it back
/// if there is no such thread (the host refused to start one).
pub(crate) fn submit(job: Job) -> Result<(), Job> {
    static QUEUE: OnceLock<Option<Arc<Queue>>> = OnceLock::new();
    let queue = QUEUE.get_or_init(|| {
        let queue = Arc::new(Queue {
            jobs: Mutex::new(Vec::new()),
            ready: Condvar::new(),
        });
        let served = queue.clone();
        std::thread::Builder::new()
            .name("kvrm-jit".into())
            .spawn(move || loop {
                let job = served.take();
                let built = job
                    .compiler
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .compile(job.region, job.flat, job.tier, job.token);
                // The `Jit` may be gone: its code is then dropped here.
                if job.reply.send(built).is_ok() {
                    job.sent.fetch_add(1, Ordering::Release);
                }
            })
            .ok()
            .map(|_| queue)
    });
    match queue {
        Some(q) => {
            q.jobs.lock().unwrap_or_else(|p| p.into_inner()).push(job);
            q.ready.notify_one();
            Ok(())
        }
        None => Err(job),
    }
}
