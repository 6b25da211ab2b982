//! The JIT's run loop: dispatch by pc to compiled blocks, interpret the rest.
//!
//! Compiled blocks are chained: at an exit without a stop, the block looks
//! the next pc (a direct branch's target or an indirect branch's) up in the
//! code cache's direct-mapped front itself, and if it is compiled and fits in
//! the budget tail-calls it, without coming back to Rust. A store into code
//! ends the chain, so the dispatcher drops the stale blocks before anything
//! runs again.

use kvrm_isa::StopReason;

use super::emit::STOP_BIT;
use super::helpers::{self, JitCtx};
use super::shared::{self, RegionKey};
use super::{Jit, Tier};
use crate::{Cpu, Flow};

impl Cpu {
    /// Run until a stop or until `max` instructions retired, compiling hot
    /// blocks. Same stops, states and counts as `run_fast`.
    pub(crate) fn run_jit(&mut self, max: u64, retired: &mut u64) -> StopReason {
        // Compiled loads and stores are cheapest in a window.
        self.mem.attach_window();
        self.mem.sync_epoch();
        // Host writes between runs may have replaced frames (copy-on-write):
        // the TLBs' host addresses are then refilled from the space.
        self.mem.sync_frames();
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
            if let Some(jit) = self.jit.as_mut() {
                jit.poll();
                for start in jit.due_upgrades() {
                    self.compile_block(start, Tier::Optimized);
                }
            }
            let Some(jit) = self.jit.as_mut() else {
                let (k, stopped) = self.interpret_block(left);
                n += k;
                if stopped {
                    break self.take_stop();
                }
                continue;
            };
            let mut entry = jit.lookup(pc);
            if entry.is_none() && jit.is_hot(pc) {
                entry = self.compile_block(pc, Tier::Quick);
            }
            let stop = match entry {
                Some(e) if e.len <= left => {
                    let (k, stop) = self.run_chain(e.code, left);
                    n += k;
                    if k > 0 || stop.is_some() {
                        stop
                    } else {
                        // The code left at its first instruction (the
                        // accesses of a group it could not check): the
                        // interpreter goes on, or the dispatcher would
                        // enter the same code again.
                        self.interpret_counted(left, &mut n)
                    }
                }
                _ => self.run_first_tier(pc, left, &mut n),
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

    /// Compile the block at `pc` with the warm blocks it reaches by direct
    /// branches in its page (breadth first, see `MAX_REGION_*`); for
    /// `Tier::Optimized`, to replace its quick code.
    fn compile_block(&mut self, pc: u64, tier: Tier) -> Option<super::Entry> {
        let flat = self.mem.flat_addend().is_some();
        let mem = &mut self.mem;
        let found = shared::find(tier, flat, pc, |code| {
            shared::blocks(code).all(|(start, words)| {
                (start..)
                    .step_by(4)
                    .zip(words)
                    .all(|(a, &w)| mem.fetch_u32(a).ok() == Some(w))
            })
        });
        if let Some(found) = found {
            return self.jit.as_mut()?.install_found(pc, found, tier);
        }
        let max = Jit::MAX_BLOCK;
        // The region's blocks and words: the key to code compiled before.
        let mut key = RegionKey::new(tier, flat);
        let mut words = Vec::new();
        let mem = &mut self.mem;
        let first = kvrm_ir::lift_block(pc, max, |a| fetch_word(mem, a, &mut words));
        let jit = self.jit.as_mut()?;
        let first = match first {
            // Mostly instructions the JIT hands back to the interpreter: the
            // interpreter runs them faster than compiled calls into it.
            Some(b) if !worth_compiling(&b) => None,
            b => b,
        };
        let Some(first) = first else {
            if tier == Tier::Quick {
                jit.give_up(pc);
            }
            // (An upgrade that cannot be lifted keeps the quick code.)
            return None;
        };
        let mut insns = first.guest_len;
        debug_assert_eq!(first.guest_len as usize, words.len());
        key.push_block(pc, &words);
        let mut region = vec![first];
        let max_blocks = match tier {
            Tier::Quick => super::MAX_QUICK_REGION_BLOCKS,
            Tier::Optimized => super::MAX_REGION_BLOCKS,
        };
        let mut next = 0;
        while next < region.len() {
            // The block a call returns to joins too: a return to it from
            // a callee in the region is a jump (see `emit`).
            let mut targets = region[next].static_targets();
            targets.extend(region[next].return_point());
            for to in targets {
                if region.len() >= max_blocks {
                    break;
                }
                if to >> 12 != pc >> 12
                    || region.iter().any(|b| b.start == to)
                    || !self.jit.as_ref().is_some_and(|j| j.warm(to))
                {
                    continue;
                }
                let mem = &mut self.mem;
                words.clear();
                let Some(b) = kvrm_ir::lift_block(to, max, |a| fetch_word(mem, a, &mut words))
                else {
                    continue;
                };
                if worth_compiling(&b) && insns + b.guest_len <= super::MAX_REGION_INSNS {
                    insns += b.guest_len;
                    debug_assert_eq!(b.guest_len as usize, words.len());
                    key.push_block(to, &words);
                    region.push(b);
                }
            }
            next += 1;
        }
        self.jit.as_mut()?.compile(region, key, flat, tier)
    }

    /// The block at `pc` without Cranelift code (or too long for the budget
    /// left): its template code, made now if it is due, else the
    /// interpreter. The stop, if the guest stopped; `n` counts the
    /// instructions retired.
    fn run_first_tier(&mut self, pc: u64, left: u64, n: &mut u64) -> Option<StopReason> {
        #[cfg(target_arch = "x86_64")]
        if let Some(code) = self.template_for(pc) {
            let (k, stop) = self.run_template(code, left);
            *n += k;
            if k > 0 || stop.is_some() {
                return stop;
            }
            // Longer than the budget left: interpreted.
        }
        self.interpret_counted(left, n)
    }

    /// The template code of the block at `pc`, made now if it is due.
    #[cfg(target_arch = "x86_64")]
    fn template_for(&mut self, pc: u64) -> Option<u64> {
        let jit = self.jit.as_ref()?;
        if let Some(code) = jit.template_at(pc) {
            return Some(code);
        }
        if !jit.wants_template(pc) {
            return None;
        }
        let mut words = Vec::new();
        let mem = &mut self.mem;
        let block = kvrm_ir::lift_block(pc, Jit::MAX_BLOCK, |a| fetch_word(mem, a, &mut words))
            .filter(worth_compiling)
            .map(|mut b| {
                kvrm_ir::opt::optimize(&mut b);
                b
            });
        self.jit.as_mut()?.add_template(pc, block.as_ref())
    }

    /// Run template code from `code` (it chains to other template blocks
    /// itself). Returns (instructions retired, stop).
    #[cfg(target_arch = "x86_64")]
    fn run_template(&mut self, code: u64, budget: u64) -> (u64, Option<StopReason>) {
        let Some(front) = self.jit.as_ref().and_then(|j| j.entry_points()) else {
            return (0, None);
        };
        let budget = budget.min(STOP_BIT - 1);
        let mut ctx = self.jit_ctx(budget, front.1);
        // SAFETY: `code` is template code of this CPU's JIT, assembled for
        // the entry stub's convention and still installed, as is every
        // block it chains to through the front (templates are dropped only
        // between runs; a store into code ends the chain). As for
        // `run_chain`, the code reaches the CPU only through `ctx`.
        let r = unsafe { super::template::enter()(&mut ctx, code, budget) };
        let done = budget - (r & !STOP_BIT);
        // Template code leaves NZCV packed in the context, Cranelift's
        // code (which it may go on to) lazily.
        self.state.nzcv = helpers::nzcv_of(ctx.flag_kind, ctx.flag_a, ctx.flag_b);
        if let Some(j) = self.jit.as_mut() {
            j.stats.template_runs += 1;
            j.stats.insns_template += done;
            j.stats.insns_compiled += done;
        }
        if r & STOP_BIT != 0 {
            return (done, Some(self.take_stop()));
        }
        (done, None)
    }

    /// The context compiled code runs with, for `budget` instructions.
    fn jit_ctx(&mut self, budget: u64, front: *const super::Entry) -> JitCtx {
        let (tlb_read, tlb_write) = self.mem.tlb_arrays();
        let cpu: *mut Cpu = self;
        JitCtx {
            // SAFETY: a field address of a live `Cpu`, no reference made.
            state: unsafe { std::ptr::addr_of_mut!((*cpu).state) },
            tlb_read,
            tlb_write,
            cpu,
            budget,
            fault: 0,
            scratch: [0; 2],
            front,
            flag_kind: helpers::FLAGS_PACKED,
            flag_a: self.state.nzcv,
            flag_b: 0,
            ret: 0,
            flat_addend: self.mem.flat_addend().unwrap_or(0),
            slow: super::shared_entry().tramps.code,
            heat_limit: self.jit.as_ref().map_or(0, |j| u64::from(j.threshold())),
        }
    }

    /// Run compiled blocks from `first`; each chains to the next compiled
    /// one itself (a tail call through the front) while the budget covers
    /// it. Returns (instructions retired, stop).
    fn run_chain(
        &mut self,
        first: Option<super::BlockFn>,
        budget: u64,
    ) -> (u64, Option<StopReason>) {
        let (Some(code), Some((enter, front))) =
            (first, self.jit.as_ref().and_then(|j| j.entry_points()))
        else {
            return (0, None);
        };
        // Blocks return the budget left with `STOP_BIT` beside it.
        let budget = budget.min(STOP_BIT - 1);
        let mut ctx = self.jit_ctx(budget, front);
        // SAFETY: `code` was compiled by `Jit::compile` for the trampoline's
        // block signature and is still in the cache, as is every block the
        // chain reaches through the front (invalidation happens only between
        // calls, in `run_jit`; a store into code ends the chain). The code
        // reads and writes the CPU only through `ctx`, whose pointers were
        // derived from `self` just now and which is not used until the call
        // returns.
        let r = unsafe { enter(&mut ctx, code) };
        let done = budget - (r & !STOP_BIT);
        self.state.nzcv = helpers::nzcv_of(ctx.flag_kind, ctx.flag_a, ctx.flag_b);
        if let Some(j) = self.jit.as_mut() {
            j.stats.blocks_run += 1;
            j.stats.insns_compiled += done;
        }
        if r & STOP_BIT != 0 {
            return (done, Some(self.take_stop()));
        }
        (done, None)
    }

    /// [`Self::interpret_block`], counted in the statistics and in `n`, the
    /// instructions retired by the run; the stop, if the guest stopped.
    fn interpret_counted(&mut self, left: u64, n: &mut u64) -> Option<StopReason> {
        let (k, stopped) = self.interpret_block(left);
        if let Some(j) = self.jit.as_mut() {
            j.stats.blocks_interpreted += 1;
            j.stats.insns_interpreted += k;
        }
        *n += k;
        stopped.then(|| self.take_stop())
    }

    /// Interpret from pc to the next control transfer (or further, see
    /// `run_page`), page end, write into code, stop, or `max` instructions.
    /// Returns the instructions retired and whether the guest stopped (see
    /// `take_stop`).
    fn interpret_block(&mut self, max: u64) -> (u64, bool) {
        let profile = self.jit.as_ref().is_some_and(|j| j.profile.is_some());
        if !profile {
            return self.run_page::<true>(max);
        }
        let mut k = 0;
        // KVRM_JIT_PROFILE: count every interpreted instruction.
        while k < max {
            if let (Ok(w), Some(j)) = (self.mem.fetch_u32(self.state.pc), self.jit.as_mut()) {
                j.profile_word(w, 1);
            }
            match self.step() {
                Flow::Next => {
                    k += 1;
                    if self.state.pc & 0xfff == 0 || self.mem.has_dirty_code() {
                        break;
                    }
                }
                Flow::Jump => return (k + 1, false),
                Flow::StopRetired => return (k + 1, true),
                Flow::Stop => return (k, true),
            }
        }
        (k, false)
    }
}

/// The instruction word at `pc` for the lifter, kept in `words` (a block's
/// words are the ones it fetched: it stops at the first it cannot fetch).
fn fetch_word(mem: &mut crate::memory::CpuMemory, pc: u64, words: &mut Vec<u32>) -> Option<u32> {
    let w = mem.fetch_u32(pc).ok();
    words.extend(w);
    w
}

/// Not mostly instructions the JIT hands back to the interpreter (which
/// runs those faster than compiled calls into it).
fn worth_compiling(b: &kvrm_ir::Block) -> bool {
    2 * b.fallbacks() <= b.guest_len as usize
}
