//! The JIT's first tier on x86-64 hosts: template code.
//!
//! Cranelift needs 100-500 µs per region, and a program's warm code waits
//! for the compile thread while the interpreter runs it. A template block is
//! made in microseconds on the dispatcher's own thread: each IR instruction
//! of the lifted block becomes a fixed x86-64 sequence (assembled with
//! `dynasmrt`), values live in stack slots, guest registers and NZCV stay in
//! the state (so every exit finds it exact), loads and stores look the TLB up
//! inline and call the same slow paths as Cranelift's code.
//!
//! A block is given a template when it has run `Jit::template_at` times
//! ([`threshold_for`]: by default when its region is queued for the compile
//! thread); the dispatcher prefers Cranelift's code once it exists. Template
//! blocks chain to each other through the front (`Entry::template`),
//! counting the target's executions in its slot exactly as the interpreting
//! dispatcher does (`Jit::count_interpreted`), so hot blocks still reach
//! the compile thread, and go on into Cranelift's code where it exists.
//!
//! Template code is per `Jit` (never shared or passed to a forked process),
//! dropped with its page's blocks (`invalidate_page`) and freed with the
//! `Jit`; the process keeps at most `MAX_PROCESS_BYTES` of it.

mod emit;
mod pure;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;
use std::time::Instant;

use rustix::mm::munmap;

use super::helpers::{FallbackInfo, JitCtx};
use super::PcMap;

/// `enter(ctx, code, budget)`: run template code from `code` with `budget`
/// instructions; returns the budget left, with `STOP_BIT` on a stop.
pub(crate) type TemplateEnter = unsafe extern "sysv64" fn(*mut JitCtx, u64, u64) -> u64;

/// An `Entry::template` value: tried, and no template can be made.
pub(crate) const NO_TEMPLATE: u64 = 1;

/// The count at which a block gets a template (`u32::MAX`: never) for a
/// JIT of Cranelift threshold `threshold`: 0 for [`super::ExecMode::TEMPLATES`],
/// else `KVRM_JIT_TEMPLATE` (a count, or `off`), by default `threshold`
/// itself: hot blocks run as template code while their region waits for
/// the compile thread. (At 16 runs, sprintf/strtod gained the same and a
/// JVM made a hundred times as many templates, BENCHMARKS.md.)
pub(crate) fn threshold_for(threshold: u32) -> u32 {
    if threshold == super::TEMPLATES_ONLY {
        return 0;
    }
    match std::env::var("KVRM_JIT_TEMPLATE") {
        Ok(v) if v == "off" => u32::MAX,
        Ok(v) => v.parse().unwrap_or(threshold),
        Err(_) => threshold,
    }
}

/// Template code of the whole process (every `Jit`: a guest's threads
/// each make their own) beyond which no more is made. Programs whose warm
/// code fits gain most (a few hundred blocks); for code bases the size of
/// a JVM's, making and dispatching hundreds of thousands of templates costs
/// more than it saves (BENCHMARKS.md), so the rest waits for Cranelift,
/// interpreted, as before.
const MAX_PROCESS_BYTES: usize = 1 << 20;

/// Bytes of template code placed by every `Jit` of the process.
static PROCESS_BYTES: AtomicUsize = AtomicUsize::new(0);

/// Address space reserved per chunk of template code.
const CHUNK: usize = 1 << 20;

/// The template blocks of one `Jit`.
pub(crate) struct Templates {
    /// Block start → code address, or [`NO_TEMPLATE`].
    code: PcMap<u64>,
    by_page: PcMap<Vec<u64>>,
    /// The fallback instructions' handlers, pointed to by the code.
    fallbacks: Vec<Vec<FallbackInfo>>,
    memory: CodeChunks,
}

impl Templates {
    pub fn new() -> Self {
        Templates {
            code: PcMap::default(),
            by_page: PcMap::default(),
            fallbacks: Vec::new(),
            memory: CodeChunks::default(),
        }
    }

    /// The template of the block at `pc`: its address, [`NO_TEMPLATE`], or 0
    /// when none was tried.
    pub fn get(&self, pc: u64) -> u64 {
        self.code.get(&pc).copied().unwrap_or(0)
    }

    /// Whether the process has all the template code it may have.
    pub fn full(&self) -> bool {
        PROCESS_BYTES.load(Ordering::Relaxed) >= MAX_PROCESS_BYTES
    }

    /// Make the template of `block` (lifted at `block.start`). Returns the
    /// code address, or [`NO_TEMPLATE`], and the time it took.
    pub fn make(&mut self, block: &kvrm_ir::Block) -> (u64, std::time::Duration) {
        let t0 = Instant::now();
        let assembled = emit::assemble(block, runtime().chain);
        if env_flag(&DUMP, "KVRM_JIT_DUMP") {
            // The IR and, for objdump, the code: /tmp/kvrm-template-<pc>.bin.
            eprintln!("kvrm jit template: {block}");
            if let Some((bytes, _)) = &assembled {
                let _ = std::fs::write(format!("/tmp/kvrm-template-{:x}.bin", block.start), bytes);
            }
        }
        let addr = match assembled {
            Some((bytes, fallbacks)) => match self.memory.place(&bytes) {
                Some(a) => {
                    self.fallbacks.push(fallbacks);
                    a
                }
                None => NO_TEMPLATE,
            },
            None => NO_TEMPLATE,
        };
        if addr > NO_TEMPLATE && env_flag(&PERFMAP, "KVRM_JIT_PERFMAP") {
            let len = self.memory.next - addr as usize;
            super::perf_map(addr, len, &format!("t{:x}", block.start));
        }
        self.code.insert(block.start, addr);
        self.by_page
            .entry(block.start >> 12)
            .or_default()
            .push(block.start);
        (addr, t0.elapsed())
    }

    /// Remember that no template can be made at `pc`.
    pub fn refuse(&mut self, pc: u64) {
        self.code.insert(pc, NO_TEMPLATE);
        self.by_page.entry(pc >> 12).or_default().push(pc);
    }

    /// Forget the templates of `page`; returns their pcs.
    pub fn drop_page(&mut self, page: u64) -> Vec<u64> {
        let pcs = self.by_page.remove(&page).unwrap_or_default();
        for pc in &pcs {
            self.code.remove(pc);
        }
        pcs
    }

    /// Forget every template and free their code (none may run again:
    /// called between runs of compiled code).
    pub fn clear(&mut self) -> Vec<u64> {
        let pcs: Vec<u64> = self.code.keys().copied().collect();
        self.code.clear();
        self.by_page.clear();
        self.fallbacks.clear();
        self.memory.free();
        pcs
    }
}

static DUMP: OnceLock<bool> = OnceLock::new();
static PERFMAP: OnceLock<bool> = OnceLock::new();

/// Whether the environment variable `name` is set (looked up once).
fn env_flag(cell: &OnceLock<bool>, name: &str) -> bool {
    *cell.get_or_init(|| std::env::var_os(name).is_some())
}

/// The code every template block shares (`emit::runtime_stubs`).
struct Runtime {
    enter: TemplateEnter,
    chain: u64,
}

fn runtime() -> &'static Runtime {
    static RUNTIME: OnceLock<Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        let (bytes, chain) = emit::runtime_stubs();
        let mut chunks = CodeChunks::default();
        let at = chunks
            .place(&bytes)
            .unwrap_or_else(|| panic!("kvrm jit: no memory for the template runtime"));
        // Never freed: every template run starts and chains here.
        std::mem::forget(chunks);
        Runtime {
            // SAFETY: the stub at offset 0 was assembled for this signature.
            enter: unsafe { std::mem::transmute::<usize, TemplateEnter>(at as usize) },
            chain: at + chain as u64,
        }
    })
}

/// The entry stub shared by every template block of the process.
pub(crate) fn enter() -> TemplateEnter {
    runtime().enter
}

/// Read-write-execute chunks that code is copied into (as `CodeMemory`
/// gives Cranelift: x86-64 keeps instruction fetch coherent with stores).
#[derive(Default)]
struct CodeChunks {
    chunks: Vec<(usize, usize)>,
    next: usize,
    end: usize,
    used: usize,
}

impl CodeChunks {
    /// Copy `code` in (16-byte aligned); its address, or `None` when no
    /// memory could be mapped.
    fn place(&mut self, code: &[u8]) -> Option<u64> {
        let mut at = self.next.next_multiple_of(16);
        if self.chunks.is_empty() || at + code.len() > self.end {
            let len = code.len().next_multiple_of(4096).max(CHUNK);
            let start = super::code_memory::map_chunk(len).ok()?;
            self.chunks.push((start, len));
            self.end = start + len;
            at = start;
        }
        // SAFETY: `at .. at + len` lies in a chunk mapped above, not yet
        // handed out.
        unsafe { std::ptr::copy_nonoverlapping(code.as_ptr(), at as *mut u8, code.len()) };
        self.next = at + code.len();
        self.used += code.len();
        PROCESS_BYTES.fetch_add(code.len(), Ordering::Relaxed);
        Some(at as u64)
    }

    fn free(&mut self) {
        for (start, len) in self.chunks.drain(..) {
            // SAFETY: mapped by `place`; the caller guarantees that none of
            // its code runs any more.
            let _ = unsafe { munmap(start as *mut std::ffi::c_void, len) };
        }
        PROCESS_BYTES.fetch_sub(self.used, Ordering::Relaxed);
        self.next = 0;
        self.end = 0;
        self.used = 0;
    }
}

impl Drop for CodeChunks {
    fn drop(&mut self) {
        self.free();
    }
}

impl super::Jit {
    /// The template code of the block at `pc`, if its front slot (which
    /// `lookup` just filled) holds one.
    #[inline(always)]
    pub(crate) fn template_at(&self, pc: u64) -> Option<u64> {
        let e = &self.front[Self::slot(pc)];
        (e.pc == pc && e.template > NO_TEMPLATE).then_some(e.template)
    }

    /// Whether the block at `pc` gets a template now: none was tried, it
    /// has no Cranelift code, and it ran `template_at` times or is no
    /// longer cold (its region waits for the compile thread).
    pub(crate) fn wants_template(&self, pc: u64) -> bool {
        // The dispatcher asks for every block it interprets: the slot's
        // fields first, the process-wide count only for a due block.
        let e = &self.front[Self::slot(pc)];
        e.pc == pc
            && e.template == 0
            && e.code.is_none()
            && super::cached_heat(e).is_none_or(|h| h >= self.template_at)
            && self.templates.as_ref().is_some_and(|t| !t.full())
    }

    /// Make the template of the block at `pc` from `block` (`None`: it
    /// could not be lifted); its code address if one was made.
    pub(crate) fn add_template(&mut self, pc: u64, block: Option<&kvrm_ir::Block>) -> Option<u64> {
        let t = self.templates.as_mut()?;
        let addr = match block {
            Some(b) => {
                let (addr, time) = t.make(b);
                self.stats.template_time += time;
                if addr > NO_TEMPLATE {
                    self.stats.templates_made += 1;
                }
                addr
            }
            None => {
                t.refuse(pc);
                NO_TEMPLATE
            }
        };
        let i = Self::slot(pc);
        if self.front[i].pc == pc {
            self.front[i].template = addr;
        }
        (addr > NO_TEMPLATE).then_some(addr)
    }

    /// Drop the templates of `page` (its code changed or went away).
    pub(crate) fn drop_page_templates(&mut self, page: u64) {
        if let Some(t) = self.templates.as_mut() {
            let pcs = t.drop_page(page);
            self.forget_templates(&pcs);
        }
    }

    /// Drop every template.
    pub(crate) fn drop_all_templates(&mut self) {
        if let Some(t) = self.templates.as_mut() {
            let pcs = t.clear();
            self.forget_templates(&pcs);
        }
    }

    /// Clear the front's note of the templates at `pcs`.
    fn forget_templates(&mut self, pcs: &[u64]) {
        for &pc in pcs {
            let i = Self::slot(pc);
            if self.front[i].pc == pc {
                self.front[i].template = 0;
            }
        }
    }
}
