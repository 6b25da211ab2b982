//! The JIT's run loop: dispatch by pc to compiled blocks, interpret the rest.
//!
//! Compiled blocks are chained: when one returns without a stop, the next pc
//! (a direct branch's target or an indirect branch's) is looked up in the
//! code cache's direct-mapped front, and if it is compiled and fits in the
//! budget it is called at once, without going back through the tiering
//! dispatcher. A store into code ends the chain, so the dispatcher drops the
//! stale blocks before anything runs again.

use kvrm_isa::StopReason;

use super::emit::STOP_BIT;
use super::helpers::JitCtx;
use super::Jit;
use crate::{Cpu, Flow};

impl Cpu {
    /// Run until a stop or until `max` instructions retired, compiling hot
    /// blocks. Same stops, states and counts as `run_fast`.
    pub(crate) fn run_jit(&mut self, max: u64, retired: &mut u64) -> StopReason {
        self.mem.sync_epoch();
        // Host writes between runs may have replaced frames (copy-on-write):
        // the TLBs' host addresses are refilled from the space.
        self.mem.flush_tlb();
        if self.mem.has_dirty_code() {
            self.drop_dirty_code();
        }
        let mut n = 0u64;
        let stop = loop {
            if n >= max {
                break StopReason::CycleLimit;
            }
            let pc = self.state.pc;
            let left = max - n;
            let Some(jit) = self.jit.as_mut() else {
                let (k, stop) = self.interpret_block(left);
                n += k;
                match stop {
                    Some(s) => break s,
                    None => continue,
                }
            };
            let mut entry = jit.lookup(pc);
            if entry.is_none() && jit.is_hot(pc) {
                entry = self.compile_block(pc);
            }
            let stop = match entry {
                Some(e) if e.len as u64 <= left => {
                    let (k, stop) = self.run_chain(e.code, left);
                    n += k;
                    stop
                }
                _ => {
                    if let Some(j) = self.jit.as_mut() {
                        j.stats.blocks_interpreted += 1;
                    }
                    let (k, stop) = self.interpret_block(left);
                    n += k;
                    stop
                }
            };
            if self.mem.has_dirty_code() {
                self.drop_dirty_code();
            }
            if let Some(s) = stop {
                break s;
            }
        };
        *retired = n;
        stop
    }

    fn compile_block(&mut self, pc: u64) -> Option<super::Entry> {
        let max = Jit::MAX_BLOCK;
        let mem = &mut self.mem;
        let block = kvrm_ir::lift_block(pc, max, |a| mem.fetch_u32(a).ok());
        let jit = self.jit.as_mut()?;
        match block {
            // Mostly instructions the JIT hands back to the interpreter: the
            // interpreter runs them faster than compiled calls into it.
            Some(b) if 2 * b.fallbacks() > b.guest_len as usize => {
                jit.give_up(pc);
                None
            }
            Some(b) => Some(jit.compile(b)),
            None => {
                jit.give_up(pc);
                None
            }
        }
    }

    /// Run compiled blocks from `first`, chaining from each to the next
    /// compiled one while the budget covers it; returns (instructions
    /// retired, stop).
    fn run_chain(
        &mut self,
        first: Option<super::BlockFn>,
        budget: u64,
    ) -> (u64, Option<StopReason>) {
        let Some(mut code) = first else {
            return (0, None);
        };
        let mut done = 0u64;
        let mut entries = 0u64;
        let stop = loop {
            entries += 1;
            let (tlb_read, tlb_write) = self.mem.tlb_arrays();
            let cpu: *mut Cpu = self;
            let mut ctx = JitCtx {
                // SAFETY: a field address of a live `Cpu`, no reference made.
                state: unsafe { std::ptr::addr_of_mut!((*cpu).state) },
                tlb_read,
                tlb_write,
                cpu,
                budget: budget - done,
                fault: 0,
                scratch: [0; 2],
            };
            // SAFETY: `code` was compiled by `Jit::compile` for this signature
            // and is still in the cache (invalidation happens only between
            // blocks, in `run_jit`). It reads and writes the CPU only through
            // `ctx`, whose pointers were derived from `self` just now and
            // which is not used until the call returns.
            let r = unsafe { code(&mut ctx) };
            done += r & !STOP_BIT;
            if r & STOP_BIT != 0 {
                break Some(self.take_stop());
            }
            if self.mem.has_dirty_code() {
                break None;
            }
            let pc = self.state.pc;
            let Some(jit) = self.jit.as_mut() else {
                break None;
            };
            match jit.lookup_front(pc) {
                Some(e) if e.len as u64 <= budget - done => match e.code {
                    Some(c) => code = c,
                    None => break None,
                },
                _ => break None,
            }
        };
        if let Some(j) = self.jit.as_mut() {
            j.stats.blocks_run += entries;
            j.stats.blocks_chained += entries - 1;
        }
        (done, stop)
    }

    /// Interpret from pc to the next control transfer, page end, write into
    /// code, stop, or `max` instructions.
    fn interpret_block(&mut self, max: u64) -> (u64, Option<StopReason>) {
        let mut k = 0;
        let profile = self.jit.as_ref().is_some_and(|j| j.profile.is_some());
        while k < max {
            if profile {
                if let (Ok(w), Some(j)) = (self.mem.fetch_u32(self.state.pc), self.jit.as_mut()) {
                    j.profile_word(w, 1);
                }
            }
            match self.step() {
                Flow::Next => {
                    k += 1;
                    if self.state.pc & 0xfff == 0 || self.mem.has_dirty_code() {
                        break;
                    }
                }
                Flow::Jump => return (k + 1, None),
                Flow::StopRetired => return (k + 1, Some(self.take_stop())),
                Flow::Stop => return (k, Some(self.take_stop())),
            }
        }
        (k, None)
    }
}
