//! The CPU backend as an [`Engine`]: many machines on one host thread.
//!
//! Each address space is a [`Cpu`] (the space with its TLBs and decoded code);
//! each machine is a [`CpuState`] and the id of its space. Running a machine
//! swaps its state into its space's `Cpu`, runs, and swaps it back, so threads
//! of one process share TLBs and decoded code. Machines run one after another:
//! every instruction is atomic with respect to the other machines, which keeps
//! exclusives and LSE atomics atomic between guest threads.

use kvrm_isa::{
    AddressSpace, CpuState, Engine, MachineId, MachineStop, SpaceId, StopReason, Watchpoint,
};

use crate::{Cpu, ExecMode};

struct MachineSlot {
    state: CpuState,
    space: SpaceId,
    /// Where this machine last stopped on a breakpoint or watchpoint (its
    /// next run steps over it).
    resume_pc: Option<u64>,
}

/// Many machines interpreted on the host.
#[derive(Default)]
pub struct CpuEngine {
    spaces: Vec<Option<Cpu>>,
    /// Machines running in each space (index = space id).
    users: Vec<u32>,
    machines: Vec<Option<MachineSlot>>,
    free_spaces: Vec<u32>,
    free_machines: Vec<u32>,
    /// Interpreter or JIT, for every space.
    mode: ExecMode,
    /// Called before every instruction of every machine (`--trace`).
    tracer: Option<crate::Tracer>,
    virtual_counter: Option<u64>,
    /// JIT counters of spaces already removed (boxed: kept small for the
    /// engine's users that hold it by value).
    removed_jit_stats: Box<crate::JitStats>,
    /// Breakpoints and watchpoints of every space (the checked interpreter
    /// loop runs while any is set, in JIT mode too); boxed, as above.
    debug: Box<(Vec<u64>, Vec<Watchpoint>)>,
}

impl CpuEngine {
    pub fn new() -> Self {
        Self::default()
    }

    /// An engine whose spaces run with `mode` (interpreter or JIT).
    pub fn with_exec_mode(mode: ExecMode) -> Self {
        CpuEngine {
            mode,
            ..Self::default()
        }
    }

    /// The JIT counters of `space` (JIT mode only).
    pub fn jit_stats(&self, space: SpaceId) -> Option<&crate::JitStats> {
        self.cpu(space).jit_stats()
    }

    /// Interpreter or JIT.
    pub fn exec_mode(&self) -> ExecMode {
        self.mode
    }

    /// The JIT counters of every space this engine ran, removed ones included
    /// (JIT mode only).
    pub fn jit_totals(&self) -> Option<crate::JitStats> {
        if self.mode == ExecMode::Interp {
            return None;
        }
        let mut all = (*self.removed_jit_stats).clone();
        for cpu in self.spaces.iter().flatten() {
            if let Some(s) = cpu.jit_stats() {
                all.add(s);
            }
        }
        Some(all)
    }

    fn cpu(&self, space: SpaceId) -> &Cpu {
        self.spaces[space.0 as usize]
            .as_ref()
            .expect("kvrm: no such address space")
    }

    fn cpu_mut(&mut self, space: SpaceId) -> &mut Cpu {
        self.spaces[space.0 as usize]
            .as_mut()
            .expect("kvrm: no such address space")
    }

    fn slot(&self, m: MachineId) -> &MachineSlot {
        self.machines[m.0 as usize]
            .as_ref()
            .expect("kvrm: no such machine")
    }

    fn slot_mut(&mut self, m: MachineId) -> &mut MachineSlot {
        self.machines[m.0 as usize]
            .as_mut()
            .expect("kvrm: no such machine")
    }

    /// Call `tracer(state, word)` before every instruction of every machine
    /// (slows execution down; `--trace`).
    pub fn set_tracer(&mut self, tracer: Option<crate::Tracer>) {
        self.tracer = tracer;
    }
}

fn take_slot<T>(slots: &mut Vec<Option<T>>, free: &mut Vec<u32>, value: T) -> u32 {
    match free.pop() {
        Some(i) => {
            slots[i as usize] = Some(value);
            i
        }
        None => {
            slots.push(Some(value));
            (slots.len() - 1) as u32
        }
    }
}

impl Engine for CpuEngine {
    fn name(&self) -> &'static str {
        "cpu"
    }

    fn add_space(&mut self, space: AddressSpace) -> SpaceId {
        let mut cpu = Cpu::new(space);
        cpu.set_exec_mode(self.mode);
        cpu.set_breakpoints(&self.debug.0);
        cpu.set_watchpoints(&self.debug.1);
        let id = take_slot(&mut self.spaces, &mut self.free_spaces, cpu);
        if self.users.len() <= id as usize {
            self.users.resize(id as usize + 1, 0);
        }
        self.users[id as usize] = 0;
        SpaceId(id)
    }

    fn fork_space(&mut self, space: SpaceId) -> SpaceId {
        let (child, jit) = self.cpu_mut(space).fork_space();
        let id = self.add_space(child);
        if let Some(jit) = jit {
            self.cpu_mut(id).adopt_jit(jit);
        }
        id
    }

    fn remove_space(&mut self, space: SpaceId) -> Option<AddressSpace> {
        let cpu = self.spaces.get_mut(space.0 as usize)?.take()?;
        self.free_spaces.push(space.0);
        if let Some(s) = cpu.jit_stats() {
            self.removed_jit_stats.add(s);
        }
        Some(cpu.mem.into_space())
    }

    fn space(&self, space: SpaceId) -> &AddressSpace {
        &self.cpu(space).mem
    }

    fn space_mut(&mut self, space: SpaceId) -> &mut AddressSpace {
        &mut self.cpu_mut(space).mem
    }

    fn add_machine(&mut self, space: SpaceId, state: CpuState) -> MachineId {
        self.users[space.0 as usize] += 1;
        let slot = MachineSlot {
            state,
            space,
            resume_pc: None,
        };
        MachineId(take_slot(&mut self.machines, &mut self.free_machines, slot))
    }

    fn remove_machine(&mut self, machine: MachineId) {
        if let Some(slot) = self
            .machines
            .get_mut(machine.0 as usize)
            .and_then(Option::take)
        {
            self.users[slot.space.0 as usize] -= 1;
            self.free_machines.push(machine.0);
        }
    }

    fn machine_space(&self, machine: MachineId) -> SpaceId {
        self.slot(machine).space
    }

    fn set_machine_space(&mut self, machine: MachineId, space: SpaceId) {
        let old = self.slot(machine).space;
        self.users[old.0 as usize] -= 1;
        self.users[space.0 as usize] += 1;
        self.slot_mut(machine).space = space;
    }

    fn state(&self, machine: MachineId) -> &CpuState {
        &self.slot(machine).state
    }

    fn state_mut(&mut self, machine: MachineId) -> &mut CpuState {
        &mut self.slot_mut(machine).state
    }

    fn set_virtual_counter(&mut self, ticks: Option<u64>) {
        self.virtual_counter = ticks;
    }

    fn stats(&self) -> Vec<(&'static str, u64)> {
        self.jit_totals().map(|s| s.lines()).unwrap_or_default()
    }

    fn set_breakpoints(&mut self, pcs: &[u64]) -> bool {
        self.debug.0 = pcs.to_vec();
        for cpu in self.spaces.iter_mut().flatten() {
            cpu.set_breakpoints(pcs);
        }
        true
    }

    fn set_watchpoints(&mut self, watch: &[Watchpoint]) -> bool {
        self.debug.1 = watch.to_vec();
        for cpu in self.spaces.iter_mut().flatten() {
            cpu.set_watchpoints(watch);
        }
        true
    }

    fn run(&mut self, machines: &[MachineId], budget: u64, out: &mut Vec<MachineStop>) {
        for &m in machines {
            let Some(slot) = self.machines[m.0 as usize].as_mut() else {
                continue;
            };
            let sid = slot.space.0 as usize;
            let shared = self.users[sid] > 1;
            let Some(cpu) = self.spaces[sid].as_mut() else {
                continue;
            };
            std::mem::swap(&mut cpu.state, &mut slot.state);
            cpu.virtual_counter = self.virtual_counter;
            if self.tracer.is_some() {
                cpu.set_tracer(self.tracer.take());
            }
            cpu.resume_pc = slot.resume_pc;
            let r = cpu.run_for(budget);
            slot.resume_pc = r.stop.debug_pc();
            if let Some(t) = cpu.take_tracer() {
                self.tracer = Some(t);
            }
            std::mem::swap(&mut cpu.state, &mut slot.state);
            if shared && r.stop == StopReason::CycleLimit {
                // Preempted, as by a timer interrupt: the exception return
                // clears the exclusive monitor, so another thread's store
                // between this thread's LDXR and STXR cannot go unnoticed.
                slot.state.excl_size = 0;
            }
            out.push(MachineStop {
                machine: m,
                stop: r.stop,
                instructions: r.instructions,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kvrm_isa::Machine;

    const BRK: u32 = 0xd420_0000;

    fn program(words: &[u32]) -> Vec<u8> {
        words.iter().flat_map(|w| w.to_le_bytes()).collect()
    }

    const fn assert_send<T: Send>() {}
    const _: () = assert_send::<CpuEngine>();
    const _: () = assert_send::<Machine<CpuEngine>>();

    /// Two machines in two spaces run in one engine call, each its own program.
    #[test]
    fn two_machines_run_independently() {
        let mut e = CpuEngine::new();
        let mut ids = Vec::new();
        for imm in [5u32, 9] {
            let mut space = AddressSpace::flat(0x10000).unwrap();
            // movz x0, #imm; brk #0
            let code = program(&[0xd280_0000 | (imm << 5), BRK]);
            space.write_bytes_force(0, &code).unwrap();
            let s = e.add_space(space);
            ids.push(e.add_machine(s, CpuState::new()));
        }
        let mut out = Vec::new();
        e.run(&ids, 100, &mut out);
        assert_eq!(out.len(), 2);
        assert_eq!(e.state(ids[0]).x[0], 5);
        assert_eq!(e.state(ids[1]).x[0], 9);
        assert!(out
            .iter()
            .all(|s| matches!(s.stop, StopReason::Halted { .. }) && s.instructions == 1));
    }

    /// Threads share a space: one's store is the other's load; a forked space
    /// is a copy.
    #[test]
    fn threads_share_and_forks_copy() {
        let mut e = CpuEngine::new();
        let mut space = AddressSpace::flat(0x10000).unwrap();
        // str x1, [x2]; ldr x3, [x2]; brk #0
        let code = program(&[0xf900_0041, 0xf940_0043, BRK]);
        space.write_bytes_force(0, &code).unwrap();
        let s = e.add_space(space);
        let mut st = CpuState::new();
        st.x[1] = 42;
        st.x[2] = 0x8000;
        let a = e.add_machine(s, st);
        let mut out = Vec::new();
        e.run(&[a], 100, &mut out);
        let child_space = e.fork_space(s);
        st.x[1] = 7;
        let b = e.add_machine(s, st);
        st.pc = 4; // the child only loads
        let c = e.add_machine(child_space, st);
        e.run(&[b, c], 100, &mut out);
        assert_eq!(e.state(b).x[3], 7);
        assert_eq!(e.space(s).read_u64(0x8000).unwrap(), 7);
        assert_eq!(e.state(c).x[3], 42, "the fork saw memory as it was");
        assert_eq!(e.space(child_space).read_u64(0x8000).unwrap(), 42);
        e.state_mut(a).pc = 4; // ldr again: sees b's store
        e.run(&[a], 1, &mut out);
        assert_eq!(e.state(a).x[3], 7);
    }
}
