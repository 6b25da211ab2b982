//! The CPU backend: kvrm's reference interpreter of A64.
//!
//! Instructions are decoded once per address into a cache of (semantic
//! function, encoding) slots, one 1024-slot page per 4 KiB of guest code; the
//! hot loop is a tag compare, an indirect call and a pc update. A store to a
//! page holding decoded code (or an unmap / mprotect of it) drops that page's
//! slots before the next instruction, so self-modifying code runs correctly.
//!
//! The semantics live in [`exec`], one file per instruction class, bound to the
//! encoding table of `kvrm_isa::table` by instruction name.

use std::collections::HashMap;
use std::time::Instant;

use kvrm_isa::{Backend, CpuState, GuestMemory, MemFault, RunResult, StopReason};

pub mod exec;

pub use exec::{ExecFn, Flow};

const SLOTS_PER_PAGE: usize = 1024;
const CODE_TLB: usize = 64;
/// Matches `pc & !0xffc` of any 4-byte aligned pc: never a valid tag.
const NO_TAG: u64 = 1;

#[derive(Clone, Copy)]
struct Slot {
    exec: ExecFn,
    word: u32,
}

const UNDECODED: Slot = Slot {
    exec: exec::decode_slot,
    word: 0,
};

#[derive(Clone, Copy)]
struct CodeTlbEntry {
    tag: u64,
    page: u32,
}

/// Observer called with the state and the encoding before each instruction.
pub type Tracer = Box<dyn FnMut(&CpuState, u32)>;

/// One emulated CPU running on the host.
pub struct Cpu {
    pub state: CpuState,
    pub mem: GuestMemory,
    /// Set by a semantic function that returns [`Flow::Stop`] / [`Flow::StopRetired`].
    pending_stop: Option<StopReason>,
    code_pages: Vec<Box<[Slot; SLOTS_PER_PAGE]>>,
    free_code_pages: Vec<u32>,
    code_index: HashMap<u64, u32>,
    code_tlb: [CodeTlbEntry; CODE_TLB],
    /// Optional observer called before each instruction (for `--trace`).
    tracer: Option<Tracer>,
}

impl Cpu {
    /// A CPU with the given guest memory and zeroed state.
    pub fn new(mem: GuestMemory) -> Self {
        Cpu {
            state: CpuState::new(),
            mem,
            pending_stop: None,
            code_pages: Vec::new(),
            free_code_pages: Vec::new(),
            code_index: HashMap::new(),
            code_tlb: [CodeTlbEntry {
                tag: NO_TAG,
                page: 0,
            }; CODE_TLB],
            tracer: None,
        }
    }

    /// The ancestor's model: flat RWX memory of `size` bytes at address 0.
    pub fn with_flat_memory(size: u64) -> Result<Self, kvrm_isa::MapError> {
        Ok(Self::new(GuestMemory::flat(size)?))
    }

    /// Call `f(state, word)` before every instruction (slows execution down).
    pub fn set_tracer(&mut self, f: Option<Tracer>) {
        self.tracer = f;
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
        self.code_index.clear();
        // Reused pages must not keep the old page's decoded slots.
        for page in self.code_pages.iter_mut() {
            page.fill(UNDECODED);
        }
        self.free_code_pages = (0..self.code_pages.len() as u32).collect();
        for e in self.code_tlb.iter_mut() {
            e.tag = NO_TAG;
        }
        self.mem.take_dirty_code();
    }

    #[cold]
    fn drop_dirty_code(&mut self) {
        for page in self.mem.take_dirty_code() {
            if let Some(idx) = self.code_index.remove(&page) {
                self.code_pages[idx as usize].fill(UNDECODED);
                self.free_code_pages.push(idx);
            }
        }
        for e in self.code_tlb.iter_mut() {
            e.tag = NO_TAG;
        }
    }

    /// The slot for `pc`, creating its code page on first use.
    #[inline(always)]
    fn slot(&mut self, pc: u64) -> Result<Slot, Flow> {
        let tag = pc & !0xffc;
        let e = self.code_tlb[(pc >> 12) as usize % CODE_TLB];
        if e.tag == tag {
            return Ok(self.code_pages[e.page as usize][((pc >> 2) as usize) % SLOTS_PER_PAGE]);
        }
        self.slot_slow(pc)
    }

    #[cold]
    fn slot_slow(&mut self, pc: u64) -> Result<Slot, Flow> {
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
                        self.code_pages.push(Box::new([UNDECODED; SLOTS_PER_PAGE]));
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
        Ok(self.code_pages[idx as usize][((pc >> 2) as usize) % SLOTS_PER_PAGE])
    }

    /// Decode the instruction at the current pc into its slot (see `exec::decode_slot`).
    pub(crate) fn decode_current(&mut self) -> Result<(ExecFn, u32), Flow> {
        let pc = self.state.pc;
        let word = match self.mem.fetch_u32(pc) {
            Ok(w) => w,
            Err(f) => return Err(self.fault(f)),
        };
        let exec = exec::handler_for(word);
        if let Some(&idx) = self.code_index.get(&(pc >> 12)) {
            self.code_pages[idx as usize][((pc >> 2) as usize) % SLOTS_PER_PAGE] =
                Slot { exec, word };
        }
        Ok((exec, word))
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
        let stop = if self.tracer.is_some() {
            self.run_traced(max, &mut retired)
        } else {
            self.run_fast(max, &mut retired)
        };
        RunResult {
            stop,
            instructions: retired,
            elapsed: start.elapsed(),
        }
    }

    /// The hot loop: look the code page up once, then run slots of that page
    /// until control leaves it, the budget is spent or code was modified.
    fn run_fast(&mut self, max: u64, retired: &mut u64) -> StopReason {
        let mut n = 0u64;
        let stop = 'outer: loop {
            if n >= max {
                break StopReason::CycleLimit;
            }
            let mut pc = self.state.pc;
            let page = match self.page_for(pc) {
                Ok(p) => p as usize,
                Err(_) => break self.take_stop(),
            };
            loop {
                let slot = self.code_pages[page][((pc >> 2) as usize) % SLOTS_PER_PAGE];
                match (slot.exec)(self, slot.word) {
                    Flow::Next => {
                        n += 1;
                        pc = pc.wrapping_add(4);
                        self.state.pc = pc;
                        if pc & 0xfff == 0 {
                            break;
                        }
                    }
                    Flow::Jump => {
                        n += 1;
                        let target = self.state.pc;
                        if (target ^ pc) >> 12 != 0 || target & 3 != 0 {
                            break;
                        }
                        pc = target;
                    }
                    Flow::StopRetired => {
                        n += 1;
                        break 'outer self.take_stop();
                    }
                    Flow::Stop => break 'outer self.take_stop(),
                }
                if n >= max || self.mem.has_dirty_code() {
                    break;
                }
            }
            if self.mem.has_dirty_code() {
                self.drop_dirty_code();
            }
        };
        *retired = n;
        stop
    }

    /// The code page index for `pc` (which must be 4-byte aligned and executable).
    #[inline(always)]
    fn page_for(&mut self, pc: u64) -> Result<u32, Flow> {
        let e = self.code_tlb[(pc >> 12) as usize % CODE_TLB];
        if e.tag == pc & !0xffc {
            return Ok(e.page);
        }
        self.slot_slow(pc)?;
        Ok(self.code_tlb[(pc >> 12) as usize % CODE_TLB].page)
    }

    fn run_traced(&mut self, max: u64, retired: &mut u64) -> StopReason {
        let mut tracer = self.tracer.take();
        let mut n = 0u64;
        let stop = loop {
            if n >= max {
                break StopReason::CycleLimit;
            }
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

impl Backend for Cpu {
    fn name(&self) -> &'static str {
        "cpu"
    }
    fn state(&self) -> &CpuState {
        &self.state
    }
    fn state_mut(&mut self) -> &mut CpuState {
        &mut self.state
    }
    fn memory(&self) -> &GuestMemory {
        &self.mem
    }
    fn memory_mut(&mut self) -> &mut GuestMemory {
        &mut self.mem
    }
    fn run(&mut self, max_instructions: u64) -> RunResult {
        self.run_for(max_instructions)
    }
    fn reset_memory(&mut self, mem: GuestMemory) {
        self.mem = mem;
        self.flush_code_cache();
    }
}
