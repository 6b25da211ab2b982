//! The CPU backend: kvrm's reference interpreter of A64.
//!
//! Instructions are decoded once per address into a cache of (semantic
//! function, encoding) slots, one 1024-slot page per 4 KiB of guest code. The
//! hot loop holds the current page and, per instruction, reads a slot, makes an
//! indirect call and updates pc; it looks pages up again only when control
//! leaves the page. A store to a page holding decoded code (or an unmap /
//! mprotect of it) drops that page's slots at the next control transfer or ISB
//! (the architecture's context synchronisation), and between runs, so
//! self-modifying and re-mapped code runs correctly.
//!
//! The semantics live in [`exec`], one file per instruction class, bound to the
//! encoding table of `kvrm_isa::table` by instruction name.

use std::collections::HashMap;
use std::time::Instant;

use kvrm_isa::{AddressSpace, CpuState, MemFault, RunResult, StopReason};

pub mod engine;
pub mod exec;
pub mod jit;
pub mod memory;

pub use engine::CpuEngine;
pub use exec::{ExecFn, Flow};
pub use jit::{ExecMode, JitStats};
pub use memory::CpuMemory;

const SLOTS_PER_PAGE: usize = 1024;
/// Blocks the JIT's dispatcher lets the interpreter run in a row before
/// it looks at the compile thread's results again.
const MAX_INTERPRETED_RUN: u32 = 64;
const CODE_TLB: usize = 64;
/// `pc & !0xffc` always has bit 2 clear, so it never equals this tag (an
/// unaligned pc in page 0 once matched the old tag 1 and ran a stale slot).
const NO_TAG: u64 = u64::MAX;

#[derive(Clone, Copy)]
struct Slot {
    exec: ExecFn,
    word: u32,
    decoded: bool,
    /// A conditional branch (B.cond, CB(N)Z, TB(N)Z): when not taken, the
    /// next instruction starts a block, which the JIT's dispatcher counts.
    conditional: bool,
}

const UNDECODED: Slot = Slot {
    exec: exec::undefined,
    word: 0,
    decoded: false,
    conditional: false,
};

/// Whether `word` is a conditional branch: B.cond (and BC.cond), CBZ/CBNZ,
/// TBZ/TBNZ.
fn is_conditional_branch(word: u32) -> bool {
    word & 0xff00_0000 == 0x5400_0000 || word & 0x7c00_0000 == 0x3400_0000
}

type CodePage = Box<[Slot; SLOTS_PER_PAGE]>;

#[derive(Clone, Copy)]
struct CodeTlbEntry {
    tag: u64,
    page: u32,
}

/// Observer called with the state and the encoding before each instruction.
pub type Tracer = Box<dyn FnMut(&CpuState, u32) + Send>;

/// The interpreter bound to one address space: the state of the machine it
/// runs now, the space with its TLBs, and the code decoded from it.
pub struct Cpu {
    pub state: CpuState,
    pub mem: CpuMemory,
    /// Set by a semantic function that returns [`Flow::Stop`] / [`Flow::StopRetired`].
    pending_stop: Option<StopReason>,
    /// Decoded pages; `None` only while the hot loop holds that page.
    code_pages: Vec<Option<CodePage>>,
    free_code_pages: Vec<u32>,
    code_index: HashMap<u64, u32>,
    code_tlb: [CodeTlbEntry; CODE_TLB],
    /// Optional observer called before each instruction (for `--trace`).
    tracer: Option<Tracer>,
    /// The JIT, in [`ExecMode::Jit`].
    jit: Option<Box<jit::Jit>>,
    /// What CNTVCT_EL0 reads in a deterministic run (virtual time, fixed for
    /// the slice); `None`: host time.
    pub virtual_counter: Option<u64>,
    /// Breakpoint pcs (sorted; empty: none).
    breakpoints: Vec<u64>,
    /// The pc of the last breakpoint or watchpoint stop: a run that starts
    /// there steps over it (executes that instruction without the checks).
    pub resume_pc: Option<u64>,
}

impl Cpu {
    /// A CPU with the given address space and zeroed state.
    pub fn new(space: AddressSpace) -> Self {
        Cpu {
            state: CpuState::new(),
            mem: CpuMemory::new(space),
            pending_stop: None,
            code_pages: Vec::new(),
            free_code_pages: Vec::new(),
            code_index: HashMap::new(),
            code_tlb: [CodeTlbEntry {
                tag: NO_TAG,
                page: 0,
            }; CODE_TLB],
            tracer: None,
            jit: None,
            virtual_counter: None,
            breakpoints: Vec::new(),
            resume_pc: None,
        }
    }

    /// Stop before executing an instruction at any of `pcs`
    /// ([`StopReason::Breakpoint`]); empty: none. While breakpoints or
    /// watchpoints are set, the interpreter's checked loop runs (the JIT is
    /// not used).
    pub fn set_breakpoints(&mut self, pcs: &[u64]) {
        let mut v = pcs.to_vec();
        v.sort_unstable();
        v.dedup();
        self.breakpoints = v;
    }

    /// Stop before a data access to watched memory
    /// ([`StopReason::Watchpoint`]); empty: none.
    pub fn set_watchpoints(&mut self, list: &[kvrm_isa::Watchpoint]) {
        self.mem.set_watchpoints(list);
    }

    /// Are breakpoints or watchpoints set?
    pub fn debugging(&self) -> bool {
        !self.breakpoints.is_empty() || self.mem.watching()
    }

    /// Choose the interpreter or the JIT (dropping any compiled code).
    pub fn set_exec_mode(&mut self, mode: ExecMode) {
        self.jit = match mode {
            ExecMode::Interp => None,
            ExecMode::Jit { threshold } => Some(Box::new(jit::Jit::new(threshold))),
        };
    }

    pub fn exec_mode(&self) -> ExecMode {
        match &self.jit {
            None => ExecMode::Interp,
            Some(j) => ExecMode::Jit {
                threshold: j.threshold(),
            },
        }
    }

    /// The JIT's counters, in JIT mode.
    pub fn jit_stats(&self) -> Option<&JitStats> {
        self.jit.as_ref().map(|j| &j.stats)
    }

    /// Raw programs: flat RWX memory of `size` bytes at address 0.
    pub fn with_flat_memory(size: u64) -> Result<Self, kvrm_isa::MapError> {
        Ok(Self::new(AddressSpace::flat(size)?))
    }

    /// Copy `bytes` into mapped guest memory at `addr` (write permission is
    /// not required).
    pub fn load_program(&mut self, bytes: &[u8], addr: u64) -> Result<(), MemFault> {
        self.mem.write_bytes_force(addr, bytes)
    }

    /// Run until a stop or until `max_instructions` have retired.
    pub fn run(&mut self, max_instructions: u64) -> RunResult {
        self.run_for(max_instructions)
    }

    /// Call `f(state, word)` before every instruction (slows execution down).
    pub fn set_tracer(&mut self, f: Option<Tracer>) {
        self.tracer = f;
    }

    /// Remove the tracer (to move it elsewhere).
    pub fn take_tracer(&mut self) -> Option<Tracer> {
        self.tracer.take()
    }

    /// Record why the guest stops; returns [`Flow::Stop`] for `return`.
    #[inline]
    pub fn stop(&mut self, reason: StopReason) -> Flow {
        self.pending_stop = Some(reason);
        Flow::Stop
    }

    /// Stop with a memory fault at the current pc.
    #[cold]
    pub fn fault(&mut self, f: MemFault) -> Flow {
        let pc = self.state.pc;
        if let Some((addr, access)) = self.mem.take_watch_hit() {
            return self.stop(StopReason::Watchpoint { pc, addr, access });
        }
        self.stop(StopReason::fault(f, pc))
    }

    /// Stop with `Undefined` for `word` at the current pc.
    #[cold]
    pub fn undefined(&mut self, word: u32) -> Flow {
        let pc = self.state.pc;
        self.stop(StopReason::Undefined { pc, encoding: word })
    }

    /// Drop every decoded instruction (after bulk changes to guest memory).
    pub fn flush_code_cache(&mut self) {
        self.mem.take_dirty_code();
        if let Some(j) = self.jit.as_mut() {
            j.invalidate_all();
        }
        let pages: Vec<u64> = self.code_index.keys().copied().collect();
        self.release_code_pages(pages);
    }

    /// A copy-on-write copy of this CPU's address space, for `fork`, and a
    /// JIT for the child that starts with this one's compiled code (a forked
    /// process runs the code its parent ran: without it every child would
    /// interpret and compile its hot code again). The pages of that code are
    /// tracked as code in the copy, so a write there drops the child's blocks.
    pub fn fork_space(&mut self) -> (AddressSpace, Option<Box<jit::Jit>>) {
        // Code written since the last dispatch must not pass to the child.
        if self.mem.has_dirty_code() {
            self.drop_dirty_code();
        }
        let mut child = self.mem.fork();
        let jit = self.jit.as_ref().map(|j| Box::new(j.fork()));
        if let Some(j) = &jit {
            for page in j.code_pages() {
                child.mark_code_page(page);
            }
        }
        (child, jit)
    }

    /// Take `jit` (from [`Self::fork_space`]) as this CPU's JIT, if it runs
    /// the JIT with the same threshold.
    pub fn adopt_jit(&mut self, jit: Box<jit::Jit>) {
        if self.exec_mode()
            == (ExecMode::Jit {
                threshold: jit.threshold(),
            })
        {
            self.jit = Some(jit);
        }
    }

    #[cold]
    fn drop_dirty_code(&mut self) {
        let pages = self.mem.take_dirty_code();
        self.release_code_pages(pages);
    }

    fn release_code_pages(&mut self, pages: Vec<u64>) {
        for &page in &pages {
            if let Some(j) = self.jit.as_mut() {
                j.invalidate_page(page);
            }
        }
        for page in pages {
            if let Some(idx) = self.code_index.remove(&page) {
                if let Some(p) = self.code_pages[idx as usize].as_mut() {
                    p.fill(UNDECODED);
                }
                self.free_code_pages.push(idx);
            }
        }
        for e in self.code_tlb.iter_mut() {
            e.tag = NO_TAG;
        }
    }

    /// The code page index for `pc`, creating the page on first use. Faults
    /// (misaligned pc, no execute permission) stop the guest here.
    #[inline(always)]
    fn page_for(&mut self, pc: u64) -> Result<u32, Flow> {
        let e = self.code_tlb[(pc >> 12) as usize % CODE_TLB];
        if e.tag == pc & !0xffc {
            return Ok(e.page);
        }
        self.page_for_slow(pc)
    }

    #[cold]
    fn page_for_slow(&mut self, pc: u64) -> Result<u32, Flow> {
        if pc & 3 != 0 {
            return Err(self.fault(MemFault {
                addr: pc,
                access: kvrm_isa::Access::Execute,
                kind: kvrm_isa::FaultKind::Alignment,
            }));
        }
        let page = pc >> 12;
        let idx = match self.code_index.get(&page) {
            Some(&i) => i,
            None => {
                // Check execute permission now so a fault names this pc.
                if let Err(f) = self.mem.fetch_u32(pc) {
                    return Err(self.fault(f));
                }
                let i = match self.free_code_pages.pop() {
                    Some(i) => i,
                    None => {
                        self.code_pages
                            .push(Some(Box::new([UNDECODED; SLOTS_PER_PAGE])));
                        (self.code_pages.len() - 1) as u32
                    }
                };
                self.code_index.insert(page, i);
                i
            }
        };
        self.code_tlb[(pc >> 12) as usize % CODE_TLB] = CodeTlbEntry {
            tag: pc & !0xffc,
            page: idx,
        };
        Ok(idx)
    }

    /// Decode the instruction at `pc` (which must be executable).
    #[cold]
    fn decode_at(&mut self, pc: u64) -> Result<Slot, Flow> {
        match self.mem.fetch_u32(pc) {
            Ok(word) => Ok(Slot {
                exec: exec::handler_for(word),
                word,
                decoded: true,
                conditional: is_conditional_branch(word),
            }),
            Err(f) => Err(self.fault(f)),
        }
    }

    /// The decoded slot for `pc` (slow path, used when tracing).
    fn slot(&mut self, pc: u64) -> Result<Slot, Flow> {
        let idx = self.page_for(pc)? as usize;
        let i = ((pc >> 2) as usize) % SLOTS_PER_PAGE;
        let cached = self.code_pages[idx].as_ref().map(|p| p[i]);
        match cached {
            Some(s) if s.decoded => Ok(s),
            _ => {
                let s = self.decode_at(pc)?;
                if let Some(p) = self.code_pages[idx].as_mut() {
                    p[i] = s;
                }
                Ok(s)
            }
        }
    }

    /// Execute one instruction at the current pc.
    #[inline(always)]
    fn step(&mut self) -> Flow {
        let pc = self.state.pc;
        let slot = match self.slot(pc) {
            Ok(s) => s,
            Err(flow) => return flow,
        };
        let flow = (slot.exec)(self, slot.word);
        if let Flow::Next = flow {
            self.state.pc = pc.wrapping_add(4);
        }
        flow
    }

    /// Run until a stop or until `max` instructions have retired.
    pub fn run_for(&mut self, max: u64) -> RunResult {
        let start = Instant::now();
        let mut retired = 0u64;
        let stop = if self.tracer.is_some() || self.debugging() {
            // Breakpoints and watchpoints: the checked loop, never the JIT.
            self.run_traced(max, &mut retired)
        } else if self.jit.is_some() {
            self.resume_pc = None;
            self.run_jit(max, &mut retired)
        } else {
            self.resume_pc = None;
            self.run_fast(max, &mut retired)
        };
        RunResult {
            stop,
            instructions: retired,
            elapsed: start.elapsed(),
        }
    }

    /// The hot loop: runs of slots of one code page (`run_page`) until a
    /// stop or until `max` instructions have retired.
    fn run_fast(&mut self, max: u64, retired: &mut u64) -> StopReason {
        let mut n = 0u64;
        self.mem.sync_epoch();
        if self.mem.has_dirty_code() {
            // Memory changed between runs (a loader, mmap, mprotect).
            self.drop_dirty_code();
        }
        let stop = loop {
            if n >= max {
                break StopReason::CycleLimit;
            }
            let (k, stopped) = self.run_page::<false>(max - n);
            n += k;
            if self.mem.has_dirty_code() {
                self.drop_dirty_code();
            }
            if stopped {
                break self.take_stop();
            }
        };
        *retired = n;
        stop
    }

    /// Look the code page of pc up once and hold it, then run its slots
    /// until control leaves the page, `max` instructions have retired, the
    /// guest stops, or code was modified (semantic functions never touch
    /// the code cache); with `ONE_BLOCK` (the JIT's dispatcher), also
    /// right after a write into code and at a control transfer, unless the
    /// JIT lets the block branched to run on interpreted
    /// (`Jit::count_interpreted`, at most `MAX_INTERPRETED_RUN` in a row).
    /// Returns the instructions retired and whether the guest stopped (the
    /// reason is then [`Self::take_stop`]'s: a pair of scalars comes back in
    /// registers, a `StopReason` through memory, read back at once).
    pub(crate) fn run_page<const ONE_BLOCK: bool>(&mut self, max: u64) -> (u64, bool) {
        let mut n = 0u64;
        let mut pc = self.state.pc;
        let idx = match self.page_for(pc) {
            Ok(i) => i as usize,
            Err(_) => return (0, true),
        };
        let Some(mut page) = self.code_pages[idx].take() else {
            self.pending_stop = Some(StopReason::Undefined { pc, encoding: 0 });
            return (0, true);
        };
        let mut stop = false;
        let mut blocks = 0u32;
        while n < max {
            let i = ((pc >> 2) as usize) % SLOTS_PER_PAGE;
            let mut slot = page[i];
            if !slot.decoded {
                match self.decode_at(pc) {
                    Ok(s) => {
                        page[i] = s;
                        slot = s;
                    }
                    Err(_) => {
                        stop = true;
                        break;
                    }
                }
            }
            match (slot.exec)(self, slot.word) {
                Flow::Next => {
                    n += 1;
                    pc = pc.wrapping_add(4);
                    self.state.pc = pc;
                    if pc & 0xfff == 0 || (ONE_BLOCK && self.mem.has_dirty_code()) {
                        break;
                    }
                    // A branch not taken: its fall-through is a block the
                    // dispatcher counts like a branch target, so it joins
                    // the regions of its hot predecessors (uncounted, it
                    // would be left out and become a region of its own, one
                    // more wait for the compile thread) and its code, once
                    // compiled, runs from here.
                    if ONE_BLOCK && slot.conditional && !self.run_on_interpreted(&mut blocks, pc) {
                        break;
                    }
                }
                Flow::Jump => {
                    n += 1;
                    let target = self.state.pc;
                    // Modified code is picked up at control transfers and
                    // at ISB (which jumps to pc + 4): the architecture only
                    // guarantees that modified instructions are fetched
                    // after a context synchronisation event.
                    if (target ^ pc) >> 12 != 0 || target & 3 != 0 || self.mem.has_dirty_code() {
                        break;
                    }
                    // The JIT's dispatcher: go on with a block that stays
                    // interpreted (counted as the dispatcher counts it), a
                    // bounded number of times so that it soon sees code the
                    // compile thread finished.
                    if ONE_BLOCK && !self.run_on_interpreted(&mut blocks, target) {
                        break;
                    }
                    pc = target;
                }
                Flow::StopRetired => {
                    n += 1;
                    stop = true;
                    break;
                }
                Flow::Stop => {
                    stop = true;
                    break;
                }
            }
        }
        self.code_pages[idx] = Some(page);
        (n, stop)
    }

    /// The JIT's dispatcher interpreting: whether the block at `pc`, the
    /// `blocks`-th in a row (counted here), may run on interpreted without
    /// going back to the dispatcher (`Jit::count_interpreted`).
    #[inline(always)]
    fn run_on_interpreted(&mut self, blocks: &mut u32, pc: u64) -> bool {
        *blocks += 1;
        *blocks <= MAX_INTERPRETED_RUN && self.jit.as_mut().is_some_and(|j| j.count_interpreted(pc))
    }

    /// The checked loop: the tracer, breakpoints and watchpoints.
    fn run_traced(&mut self, max: u64, retired: &mut u64) -> StopReason {
        let mut tracer = self.tracer.take();
        let mut n = 0u64;
        self.mem.sync_epoch();
        // Resuming from a breakpoint or watchpoint stop: step over it.
        let step_over = self.resume_pc.take() == Some(self.state.pc);
        let stop = loop {
            if n >= max {
                break StopReason::CycleLimit;
            }
            let armed = !(step_over && n == 0);
            if armed && !self.breakpoints.is_empty() {
                let pc = self.state.pc;
                if self.breakpoints.binary_search(&pc).is_ok() {
                    break StopReason::Breakpoint { pc };
                }
            }
            self.mem.arm_watchpoints(armed);
            if let Some(t) = tracer.as_mut() {
                let word = self.mem.fetch_u32(self.state.pc).unwrap_or(0);
                t(&self.state, word);
            }
            match self.step() {
                Flow::Next | Flow::Jump => n += 1,
                Flow::StopRetired => {
                    n += 1;
                    break self.take_stop();
                }
                Flow::Stop => break self.take_stop(),
            }
            if self.mem.has_dirty_code() {
                self.drop_dirty_code();
            }
        };
        // Host accesses between runs are not watched.
        self.mem.arm_watchpoints(false);
        self.resume_pc = stop.debug_pc();
        self.tracer = tracer;
        *retired = n;
        stop
    }

    fn take_stop(&mut self) -> StopReason {
        self.pending_stop.take().unwrap_or(StopReason::Undefined {
            pc: self.state.pc,
            encoding: 0,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BRK: u32 = 0xd420_0000;
    const MOVZ_X0_1: u32 = 0xd280_0020;
    const MOVZ_X0_5: u32 = 0xd280_00a0;
    const MOVZ_X0_7: u32 = 0xd280_00e0;

    fn cpu_with(words: &[u32]) -> Cpu {
        let mut cpu = Cpu::with_flat_memory(0x10000).expect("memory");
        let bytes: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
        cpu.load_program(&bytes, 0).expect("load");
        cpu
    }

    /// A store over code that already ran, then a branch back: the new
    /// instruction runs (encodings from aarch64-linux-gnu-as).
    #[test]
    fn stored_code_runs_after_a_branch() {
        let mut cpu = cpu_with(&[
            0xd280_0049, // mov x9, #2
            MOVZ_X0_1,   // patched to movz x0, #7 on the first pass
            0xf100_0529, // subs x9, x9, #1
            0x5400_0060, // b.eq brk
            0xb900_0041, // str w1, [x2]
            0x17ff_fffc, // b 4
            BRK,
        ]);
        cpu.state.x[1] = MOVZ_X0_7 as u64;
        cpu.state.x[2] = 4;
        let r = cpu.run(100);
        assert!(
            matches!(r.stop, StopReason::Halted { pc: 0x18, .. }),
            "{:?}",
            r.stop
        );
        assert_eq!(cpu.state.x[0], 7);
        assert_eq!(
            r.instructions, 9,
            "6 on the first pass, 3 on the second; BRK does not retire"
        );
    }

    /// Code rewritten between runs (as a loader or execve does) is decoded anew,
    /// and an explicit flush leaves no stale slot behind for a reused page.
    #[test]
    fn code_rewritten_between_runs_is_decoded_anew() {
        let mut cpu = cpu_with(&[MOVZ_X0_1, BRK]);
        cpu.run(10);
        assert_eq!(cpu.state.x[0], 1);
        cpu.load_program(&MOVZ_X0_5.to_le_bytes(), 0).expect("load");
        cpu.state.pc = 0;
        cpu.run(10);
        assert_eq!(cpu.state.x[0], 5);

        cpu.flush_code_cache();
        // Another page now takes the freed slot page; it must not see page 0's slots.
        let mut other = vec![0u8; 8];
        other[..4].copy_from_slice(&MOVZ_X0_7.to_le_bytes());
        other[4..].copy_from_slice(&BRK.to_le_bytes());
        cpu.load_program(&other, 0x2000).expect("load");
        cpu.state.pc = 0x2000;
        cpu.run(10);
        assert_eq!(cpu.state.x[0], 7);
    }

    #[test]
    fn budget_is_exact_and_resumable() {
        let mut cpu = cpu_with(&[0x9100_0421, 0x17ff_ffff]); // add x1,x1,#1; b .-4
        let r = cpu.run(1001);
        assert_eq!(r.stop, StopReason::CycleLimit);
        assert_eq!(r.instructions, 1001);
        assert_eq!(cpu.state.x[1], 501);
        cpu.run(1);
        assert_eq!(cpu.state.x[1], 501, "the branch was next");
        cpu.run(1);
        assert_eq!(cpu.state.x[1], 502);
    }

    #[test]
    fn fetch_faults_are_clean() {
        let mut cpu = cpu_with(&[BRK]);
        cpu.state.pc = u64::MAX - 3; // the last instruction slot of the address space
        let r = cpu.run(10);
        assert!(matches!(
            r.stop,
            StopReason::Fault { access: kvrm_isa::Access::Execute, pc, .. } if pc == u64::MAX - 3
        ));
        cpu.state.pc = 2;
        let r = cpu.run(10);
        assert!(matches!(
            r.stop,
            StopReason::Fault {
                kind: kvrm_isa::FaultKind::Alignment,
                ..
            }
        ));
        assert_eq!(r.instructions, 0);
        // pc = 1 (mod 4) in page 0, traced and not: an alignment fault too.
        for traced in [false, true] {
            cpu.set_tracer(if traced {
                Some(Box::new(|_, _| {}))
            } else {
                None
            });
            cpu.state.pc = 0xd;
            let r = cpu.run(10);
            assert!(
                matches!(
                    r.stop,
                    StopReason::Fault {
                        kind: kvrm_isa::FaultKind::Alignment,
                        pc: 0xd,
                        ..
                    }
                ),
                "{:?}",
                r.stop
            );
        }
    }
}
