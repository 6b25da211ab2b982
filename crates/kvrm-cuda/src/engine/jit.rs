//! Hot blocks translated to CUDA C (`--engine jit` on the CUDA backend).
//!
//! The kernel counts entries into block starts it has no translation for
//! (`count_hot` in interp.cu). Every [`CHECK_EVERY`] device instructions the
//! engine reads those counts, lifts the blocks entered at least
//! `threshold` times to the IR (`kvrm-ir`, the CPU JIT's), writes them as
//! CUDA C ([`crate::translate`]) and compiles that round's new blocks alone
//! (NVRTC, to a relocatable cubin cached on disk) on a host thread, while
//! lanes keep running on the current module. The first launch after the
//! compile finished links them with the earlier rounds' cubins, a small
//! module whose dispatcher (one `switch` over all blocks) calls each block's
//! C entry point in whichever round's module it is, and a relocatable
//! build of the interpreter (compiled once, on a host thread started with
//! the translator, and cached on disk too), and loads the result: a round
//! costs the compile of its new blocks, not of the interpreter or of the
//! blocks before it.
//!
//! A block runs only where its code is unchanged: before a launch, each
//! space of the launch is checked (every word of every block executable and
//! equal to the word translated) whenever its layout changed, the host wrote
//! one of the blocks' pages, or the block list changed; a block runs in a
//! launch only if it holds in all of the launch's spaces. A device store to
//! a block's page stops the lane after that instruction (STOP_CODE_WRITE):
//! the blocks of that page are dropped and the page is never translated
//! again.

use std::collections::hash_map::Entry;
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, OnceLock};
use std::thread::JoinHandle;
use std::time::Instant;

use cudarc::driver::{CudaFunction, CudaSlice};
use kvrm_ir::{lift_block, opt, Block};
use kvrm_isa::space::{PAGE_SHIFT, PAGE_SIZE};
use kvrm_isa::{decode_a64, table, AddressSpace};

use crate::driver::Gpu;
use crate::error::CudaError;
use crate::kernels;
use crate::layout::{page_hash, Hot, HOT_ENTRIES};
use crate::translate;

/// Device instructions between two looks at the hot counts.
const CHECK_EVERY: u64 = 1 << 20;
/// Guest instructions in one block at most.
const MAX_BLOCK_INSNS: u32 = 64;
/// Blocks in one module at most (each is a function NVRTC compiles).
const MAX_BLOCKS: usize = 4096;
/// Blocks added by one translation round at most.
const MAX_NEW_PER_ROUND: usize = 512;

/// One translated block.
#[derive(Clone)]
struct TbBlock {
    ir: Block,
    /// The instruction words it was built from, from `ir.start`.
    words: Vec<u32>,
    /// False once a store hit its page: it never runs again.
    live: bool,
    /// Its words equal the reference copies of its pages
    /// (`Translator::reference_pages`).
    matches_reference: bool,
}

impl TbBlock {
    fn pages(&self) -> impl Iterator<Item = u64> + '_ {
        let first = self.ir.start >> PAGE_SHIFT;
        let last = (self.ir.start + 4 * self.words.len().max(1) as u64 - 1) >> PAGE_SHIFT;
        first..=last
    }

    /// Is the block's code, as translated, executable in `space`?
    fn holds_in(&self, space: &AddressSpace) -> bool {
        self.words.iter().enumerate().all(|(i, &w)| {
            let pc = self.ir.start + 4 * i as u64;
            space.perms_at(pc).is_some_and(|p| p.exec()) && space.read_u32(pc) == Ok(w)
        })
    }
}

/// Counters for `--stats`.
#[derive(Default, Clone, Copy)]
pub(super) struct JitStats {
    pub blocks: u64,
    pub compiles: u64,
    pub compile_ms: u64,
    pub code_writes: u64,
    pub failed: u64,
}

/// The relocatable interpreter's cubin, once compiled (or why it is not).
type LinkedInterpreter = Arc<OnceLock<Result<Arc<Vec<u8>>, CudaError>>>;

/// The relocatable interpreter for `arch`: from the disk cache or NVRTC,
/// once; callers while it compiles wait for it.
fn linked_interpreter(
    cell: &LinkedInterpreter,
    arch: &'static str,
) -> Result<Arc<Vec<u8>>, CudaError> {
    cell.get_or_init(|| {
        kernels::module_cubin(&kernels::linked_interpreter_source(), arch)
            .map(|(cubin, _)| Arc::new(cubin))
    })
    .clone()
}

/// What a round links: the relocatable interpreter, the round's blocks (kept
/// for the rounds after it) and the dispatcher of all rounds so far.
struct Cubins {
    interpreter: Arc<Vec<u8>>,
    blocks: Arc<Vec<u8>>,
    dispatch: Vec<u8>,
}

/// A compile in flight: its blocks, and the cubins it makes.
struct Staged {
    blocks: Vec<TbBlock>,
    started: Instant,
    compile: JoinHandle<Result<Cubins, CudaError>>,
}

pub(super) struct Translator {
    threshold: u32,
    hot: CudaSlice<Hot>,
    blocks: Vec<TbBlock>,
    /// Pcs tried in this round or before, with the code found there.
    tried: HashSet<(u64, Vec<u32>)>,
    /// Pages a device store hit: never translated from again.
    volatile_pages: HashSet<u64>,
    /// The module with the blocks, once there are any.
    func: Option<CudaFunction>,
    enabled: Option<CudaSlice<u8>>,
    last_enabled: Vec<u8>,
    pages: Option<(CudaSlice<u64>, u32)>,
    /// Pages the live blocks come from.
    block_pages: HashSet<u64>,
    /// Per space id: (layout version, does each block hold there).
    verdicts: HashMap<u32, (u64, Vec<bool>)>,
    since_check: u64,
    /// The most lanes of one launch since the last look at the counts.
    lanes_since_check: u32,
    /// Set when a compile failed: translation stays off.
    broken: bool,
    /// A module being compiled on a host thread, with its blocks.
    staged: Option<Staged>,
    interpreter: LinkedInterpreter,
    /// The block modules of the rounds installed so far, in order.
    rounds: Vec<Arc<Vec<u8>>>,
    /// A copy of each page blocks were built from, as first read.
    reference_pages: HashMap<u64, Vec<u8>>,
    /// The thread compiling `interpreter` at start-up.
    interpreter_compile: Option<JoinHandle<()>>,
    pub stats: JitStats,
}

impl Translator {
    pub fn new(gpu: &Gpu, threshold: u32) -> Result<Self, CudaError> {
        // The interpreter to link blocks with compiles from the start (about
        // a minute when it is not in the disk cache), before any block is hot.
        let interpreter = LinkedInterpreter::default();
        let (cell, arch) = (interpreter.clone(), gpu.arch());
        let interpreter_compile = std::thread::Builder::new()
            .name("kvrm-nvrtc-interp".into())
            .spawn(move || drop(linked_interpreter(&cell, arch)))
            .map_err(|e| CudaError::Driver(format!("start the NVRTC thread: {e}")))?;
        Ok(Translator {
            threshold: threshold.max(1),
            hot: gpu.zeros::<Hot>(HOT_ENTRIES)?,
            blocks: Vec::new(),
            tried: HashSet::new(),
            volatile_pages: HashSet::new(),
            func: None,
            enabled: None,
            last_enabled: Vec::new(),
            pages: None,
            block_pages: HashSet::new(),
            verdicts: HashMap::new(),
            since_check: 0,
            lanes_since_check: 0,
            broken: false,
            staged: None,
            interpreter,
            reference_pages: HashMap::new(),
            rounds: Vec::new(),
            interpreter_compile: Some(interpreter_compile),
            stats: JitStats::default(),
        })
    }

    /// Keep a copy of each of `b`'s pages as `space` holds them (if none is
    /// kept yet) and note whether `b`'s words are those of the copies.
    fn note_reference(&mut self, space: &AddressSpace, b: &mut TbBlock) {
        for p in b.pages() {
            if let Entry::Vacant(slot) = self.reference_pages.entry(p) {
                let mut copy = vec![0u8; PAGE_SIZE as usize];
                if space.read_bytes(p << PAGE_SHIFT, &mut copy).is_ok() {
                    slot.insert(copy);
                }
            }
        }
        b.matches_reference = b.words.iter().enumerate().all(|(i, &w)| {
            let pc = b.ir.start + 4 * i as u64;
            let off = (pc & (PAGE_SIZE - 1)) as usize;
            self.reference_pages
                .get(&(pc >> PAGE_SHIFT))
                .is_some_and(|c| c[off..off + 4] == w.to_le_bytes())
        });
    }

    /// Which blocks, from the `from`-th on, hold in `space`. A page that is
    /// executable there and equal to its reference copy holds every block
    /// built from the copy's words (spaces of one program: one comparison
    /// per page instead of a lookup per word); any other block is checked
    /// word by word.
    fn verdicts_in(&self, space: &AddressSpace, from: usize) -> Vec<bool> {
        let mut same: HashMap<u64, bool> = HashMap::new();
        let mut buf = vec![0u8; PAGE_SIZE as usize];
        let mut page_same = |p: u64| {
            *same.entry(p).or_insert_with(|| {
                self.reference_pages.get(&p).is_some_and(|copy| {
                    space.perms_at(p << PAGE_SHIFT).is_some_and(|m| m.exec())
                        && space.read_bytes(p << PAGE_SHIFT, &mut buf).is_ok()
                        && buf == *copy
                })
            })
        };
        self.blocks[from..]
            .iter()
            .map(|b| (b.matches_reference && b.pages().all(&mut page_same)) || b.holds_in(space))
            .collect()
    }

    /// Blocks of a compile still in flight (0 if none).
    pub fn compiling_blocks(&self) -> u64 {
        self.staged.as_ref().map_or(0, |s| s.blocks.len() as u64)
    }

    /// The module to launch, if blocks were translated.
    pub fn function(&self) -> Option<&CudaFunction> {
        self.func.as_ref()
    }

    pub fn hot_table(&self) -> Option<&CudaSlice<Hot>> {
        (!self.broken).then_some(&self.hot)
    }

    /// Forget what is known about `space` (it was removed or replaced).
    pub fn forget_space(&mut self, space: u32) {
        self.verdicts.remove(&space);
    }

    /// Before a launch: re-check the spaces whose code may have changed and
    /// upload which blocks may run. `spaces` are (id, space, extra pages
    /// the host wrote) of the launch.
    pub fn prepare_launch(
        &mut self,
        gpu: &Gpu,
        spaces: &[(u32, &AddressSpace, &[u64])],
    ) -> Result<(), CudaError> {
        if self.func.is_none() {
            return Ok(());
        }
        let mut enabled: Vec<u8> = self.blocks.iter().map(|b| b.live as u8).collect();
        for &(id, space, extra) in spaces {
            let touched = self
                .block_pages
                .iter()
                .any(|&p| space.is_host_dirty(p) || extra.contains(&p));
            // Verdicts still true for the space's layout: all of them, or
            // those of the rounds before the latest (which adds blocks only).
            let version = space.layout_version();
            let known = match self.verdicts.get(&id) {
                Some((v, ok)) if !touched && *v == version => ok.len(),
                _ => 0,
            };
            if known < self.blocks.len() {
                let fresh = self.verdicts_in(space, known);
                let (v, ok) = self.verdicts.entry(id).or_default();
                *v = version;
                ok.truncate(known);
                ok.extend(fresh);
            }
            let (_, ok) = &self.verdicts[&id];
            for (e, &holds) in enabled.iter_mut().zip(ok) {
                *e &= holds as u8;
            }
        }
        if enabled != self.last_enabled {
            if let Some(d) = self.enabled.as_mut() {
                gpu.write(d, 0, &enabled)?;
            }
            self.last_enabled = enabled;
        }
        Ok(())
    }

    /// The launch arguments for the blocks, if there are any.
    pub fn launch_args(&self) -> Option<(&CudaSlice<u8>, &CudaSlice<u64>, u32)> {
        match (&self.func, &self.enabled, &self.pages) {
            (Some(_), Some(e), Some((p, mask))) => Some((e, p, *mask)),
            _ => None,
        }
    }

    /// A device store hit `page`: drop its blocks for good.
    pub fn code_written(&mut self, page: u64) {
        self.stats.code_writes += 1;
        self.volatile_pages.insert(page);
        let staged = self.staged.iter_mut().flat_map(|s| s.blocks.iter_mut());
        for b in self.blocks.iter_mut().chain(staged) {
            if b.live && b.pages().any(|p| p == page) {
                b.live = false;
            }
        }
        // Forces the enabled flags to be uploaded again.
        self.last_enabled.clear();
    }

    /// After a launch of `lanes` lanes that retired `retired` device
    /// instructions: install a module whose compile finished, or translate
    /// the blocks that became hot, reading code from `space`, and start
    /// compiling them. The counts are summed over lanes, so a block is hot
    /// when entered `threshold` times per lane (of the widest launch since
    /// the last look): once per lane is not hot however many lanes run.
    pub fn after_launch(
        &mut self,
        gpu: &Gpu,
        lanes: usize,
        retired: u64,
        space: &AddressSpace,
    ) -> Result<(), CudaError> {
        if self.broken {
            return Ok(());
        }
        if self
            .staged
            .as_ref()
            .is_some_and(|s| s.compile.is_finished())
        {
            return self.install(gpu);
        }
        self.since_check += retired;
        self.lanes_since_check = self
            .lanes_since_check
            .max(lanes.min(u32::MAX as usize) as u32);
        if self.staged.is_some() || self.since_check < CHECK_EVERY {
            return Ok(());
        }
        let hot_count = self.threshold.saturating_mul(self.lanes_since_check.max(1));
        self.since_check = 0;
        self.lanes_since_check = 0;
        let mut hot = vec![Hot::default(); HOT_ENTRIES];
        gpu.read(&self.hot, 0, &mut hot)?;
        gpu.write(&mut self.hot, 0, &vec![Hot::default(); HOT_ENTRIES])?;
        let mut candidates: Vec<(u32, u64)> = hot
            .iter()
            .filter(|h| h.count >= hot_count)
            .map(|h| (h.count, h.pc))
            .collect();
        candidates.sort_unstable_by(|a, b| b.cmp(a));
        let mut blocks: Vec<TbBlock> = Vec::new();
        for (_, pc) in candidates {
            if blocks.len() == MAX_NEW_PER_ROUND || self.blocks.len() + blocks.len() == MAX_BLOCKS {
                break;
            }
            // A pc can hold other code in other spaces: one block per code.
            let Some(mut b) = self.lift(space, pc) else {
                continue;
            };
            if self.tried.insert((pc, b.words.clone())) {
                self.note_reference(space, &mut b);
                blocks.push(b);
            }
        }
        if blocks.is_empty() {
            return Ok(());
        }
        // This round's blocks alone (numbered after the earlier rounds'), and
        // the small module whose switch finds every block so far.
        let irs: Vec<Block> = blocks.iter().map(|b| b.ir.clone()).collect();
        let (round, first) = (self.rounds.len(), self.blocks.len());
        let src = kernels::blocks_source(&irs, first, round);
        let entries: Vec<(u64, u32)> = self
            .blocks
            .iter()
            .chain(&blocks)
            .map(|b| (b.ir.start, b.ir.guest_len))
            .collect();
        let dispatch_src = kernels::dispatch_source(&entries);
        let (arch, interpreter) = (gpu.arch(), self.interpreter.clone());
        let compile = std::thread::Builder::new()
            .name("kvrm-nvrtc".into())
            .spawn(move || {
                let (blocks, _) = kernels::module_cubin(&src, arch)?;
                let (dispatch, _) = kernels::module_cubin(&dispatch_src, arch)?;
                Ok(Cubins {
                    interpreter: linked_interpreter(&interpreter, arch)?,
                    blocks: Arc::new(blocks),
                    dispatch,
                })
            })
            .map_err(|e| CudaError::Driver(format!("start the NVRTC thread: {e}")))?;
        self.staged = Some(Staged {
            blocks,
            started: Instant::now(),
            compile,
        });
        Ok(())
    }

    fn lift(&self, space: &AddressSpace, pc: u64) -> Option<TbBlock> {
        let mut words = Vec::new();
        let fetch = |a: u64| {
            if a & 3 != 0 || self.volatile_pages.contains(&(a >> PAGE_SHIFT)) {
                return None;
            }
            if !space.perms_at(a).is_some_and(|p| p.exec()) {
                return None;
            }
            let w = space.read_u32(a).ok()?;
            words.push(w);
            Some(w)
        };
        let mut ir = lift_block(pc, MAX_BLOCK_INSNS, fetch)?;
        if ir.fallbacks() >= ir.guest_len as usize || !translate::supported(&ir) {
            return None; // nothing to gain over the interpreter, or not yet
        }
        words.truncate(ir.guest_len as usize);
        // Barriers are nothing in the IR (one host thread runs a space on the
        // CPU), but lanes of a shared space run at once: keep them interpreted.
        let barrier =
            |w: u32| decode_a64(w).is_some_and(|id| matches!(table().name(id), "DMB" | "DSB"));
        if words.iter().any(|&w| barrier(w)) {
            return None;
        }
        opt::optimize(&mut ir);
        Some(TbBlock {
            ir,
            words,
            live: true,
            matches_reference: false,
        })
    }

    /// Wait for a compile in flight and install its module.
    pub fn finish_compile(&mut self, gpu: &Gpu) -> Result<(), CudaError> {
        if self.staged.is_some() {
            self.install(gpu)?;
        }
        Ok(())
    }

    /// Load the module of the finished compile and make its blocks the
    /// ones that run (those a store hit meanwhile stay off).
    fn install(&mut self, gpu: &Gpu) -> Result<(), CudaError> {
        let staged = self.staged.take().expect("a staged compile");
        let cubins = staged
            .compile
            .join()
            .unwrap_or_else(|_| Err(CudaError::Compile("the NVRTC thread panicked".into())));
        let linked = cubins.and_then(|c| {
            let mut modules: Vec<&[u8]> = vec![&c.interpreter];
            modules.extend(self.rounds.iter().map(|r| r.as_slice()));
            modules.extend([c.blocks.as_slice(), &c.dispatch]);
            gpu.link_function(&modules, "kvrm_run")
                .map(|f| (f, c.blocks))
        });
        let func = match linked {
            Ok((f, blocks)) => {
                self.rounds.push(blocks);
                f
            }
            Err(e) => {
                // A translator bug must not stop the guest: keep interpreting.
                self.broken = true;
                self.stats.failed += 1;
                eprintln!("kvrm: CUDA block translation disabled: {e}");
                return Ok(());
            }
        };
        self.stats.compiles += 1;
        self.stats.compile_ms += staged.started.elapsed().as_millis() as u64;
        self.blocks.extend(staged.blocks);
        self.stats.blocks = self.blocks.len() as u64;
        self.block_pages = self
            .blocks
            .iter()
            .filter(|b| b.live)
            .flat_map(|b| b.pages())
            .collect();
        // The page set: open addressing, at most half full.
        let cap = (self.block_pages.len() * 2).next_power_of_two().max(16);
        let mut set = vec![0u64; cap];
        for &p in &self.block_pages {
            let mut i = (page_hash(p) as usize) & (cap - 1);
            while set[i] != 0 {
                i = (i + 1) & (cap - 1);
            }
            set[i] = p + 1;
        }
        self.pages = Some((gpu.upload(&set)?, (cap - 1) as u32));
        self.enabled = Some(gpu.zeros::<u8>(self.blocks.len().max(1))?);
        self.last_enabled.clear();
        self.func = Some(func);
        Ok(())
    }
}

impl Drop for Translator {
    /// Waits for the NVRTC threads: a process that exits while one of them
    /// is inside NVRTC crashes in the library's teardown.
    fn drop(&mut self) {
        if let Some(s) = self.staged.take() {
            let _ = s.compile.join();
        }
        if let Some(t) = self.interpreter_compile.take() {
            let _ = t.join();
        }
    }
}
