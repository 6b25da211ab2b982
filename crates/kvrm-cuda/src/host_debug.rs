//! Breakpoints, watchpoints and the trace ring of the kernels compiled as
//! host C++: one lane stops exactly where the CPU backend stops on the same
//! program (same pcs, addresses, instruction counts, states, memory), and its
//! trace ring holds what the CPU backend's tracer sees.

use std::sync::{Arc, Mutex};

use kvrm_cpu::CpuEngine;
use kvrm_isa::space::PAGE_SIZE;
use kvrm_isa::{
    reg_writes, Access, AddressSpace, CpuState, Engine, Machine, StopReason, TraceEntry, WatchKind,
    Watchpoint,
};

use crate::engine::{lane_stop_reason, trace_entry, watch_dev};
use crate::host_kernel::{build_library_from, copy_back, image, RunFn};
use crate::kernels::kernel_source;
use crate::layout::*;

/// 0x00 movz x0, #5; 0x04 movz x2, #0x8000; 0x08 str x0, [x2];
/// 0x0c ldr x3, [x2]; 0x10 add x0, x0, #1; 0x14 cmp x0, #8; 0x18 b.ne 0x08;
/// 0x1c brk #0: stores 5, 6, 7 at 0x8000, then halts with x0 = 8.
pub(crate) const PROGRAM: [u32; 8] = [
    0xd280_00a0,
    0xd290_0002,
    0xf900_0040,
    0xf940_0043,
    0x9100_0400,
    0xf100_201f,
    0x54ff_ff81,
    0xd420_0000,
];

fn space() -> AddressSpace {
    let mut s = AddressSpace::flat(0x10000).unwrap();
    let bytes: Vec<u8> = PROGRAM.iter().flat_map(|w| w.to_le_bytes()).collect();
    s.write_bytes_force(0, &bytes).unwrap();
    s
}

/// One lane of the host-compiled kernel, driven as `CudaEngine` drives a
/// device lane (step over a breakpoint/watchpoint it resumes from).
struct HostLane<'a> {
    run: &'a RunFn,
    space: AddressSpace,
    state: CpuState,
    resume_pc: Option<u64>,
    bps: Vec<u64>,
    watch: Vec<Watch>,
    trace_cap: u32,
    trace: Vec<TraceEntry>,
}

impl HostLane<'_> {
    /// Launch until the lane stops (not at a budget of `budget`).
    fn run_to_stop(&mut self, budget: u64) -> (StopReason, u64) {
        let mut pool = Vec::new();
        let mut lane = image(&self.space, &mut pool);
        let used = (pool.len() / PAGE_SIZE as usize) as u32;
        pool.resize((used as usize + 8) * PAGE_SIZE as usize, 0);
        let devs = [SpaceDev {
            table: lane.table.as_mut_ptr() as u64,
            mask: lane.mask,
        }];
        let mut ctl = Control {
            frames_next: used,
            frames_cap: used + 8,
            events_next: 0,
            events_cap: 0,
            ..Control::default()
        };
        let mut decode_cache = vec![0u64; 1 << 16];
        let mut stop = LaneStop::default();
        let mut progress = 0u64;
        let zero = 0u32;
        let step_over = [u8::from(self.resume_pc == Some(self.state.pc))];
        let cap = self.trace_cap as usize;
        let mut recs = vec![TraceRec::default(); cap.max(1)];
        let mut count = [0u32];
        let dbg = DebugDev {
            bps: self.bps.as_ptr() as u64,
            watch: self.watch.as_ptr() as u64,
            step_over: step_over.as_ptr() as u64,
            trace: if cap > 0 { recs.as_mut_ptr() as u64 } else { 0 },
            trace_count: count.as_mut_ptr() as u64,
            nbps: self.bps.len() as u32,
            nwatch: self.watch.len() as u32,
            trace_cap: self.trace_cap,
            pad: 0,
        };
        // SAFETY: every pointer is to a live buffer for one lane (the pool
        // has room for 8 more frames, the table `mask + 1` entries, the trace
        // ring `trace_cap` records); no events are written.
        unsafe {
            (self.run)(
                &mut self.state,
                &zero,
                1,
                &zero,
                devs.as_ptr(),
                pool.as_mut_ptr(),
                &mut ctl,
                std::ptr::null_mut(),
                decode_cache.as_mut_ptr(),
                &budget,
                &mut stop,
                1,
                &mut progress,
                std::ptr::null_mut(),
                std::ptr::null(),
                std::ptr::null(),
                0,
                std::ptr::null_mut(),
                &dbg,
            )
        };
        copy_back(&lane, &pool, &mut self.space);
        if cap > 0 {
            let n = (count[0] as usize).min(cap);
            self.trace.extend(recs[..n].iter().map(trace_entry));
        }
        let reason = lane_stop_reason(&stop, self.state.pc).expect("a stop the engine reports");
        if stop.retired > 0 {
            self.resume_pc = None;
        }
        if let Some(pc) = reason.debug_pc() {
            self.resume_pc = Some(pc);
        }
        (reason, stop.retired)
    }
}

/// Run `f` with the host-compiled kernel (a library of its own per `tag`:
/// tests run in parallel).
fn with_lane(tag: &str, f: impl FnOnce(&RunFn)) {
    let Some(lib) = build_library_from(&kernel_source(), tag) else {
        return;
    };
    // SAFETY: built just now from our own source; `kvrm_run_host` has the C
    // signature of `RunFn`.
    let library = unsafe { libloading::Library::new(&lib) }.expect("load the host kernel");
    let run: libloading::Symbol<RunFn> =
        unsafe { library.get(b"kvrm_run_host") }.expect("kvrm_run_host");
    f(&run);
    drop(library);
    if let Some(dir) = lib.parent() {
        let _ = std::fs::remove_dir_all(dir);
    }
}

#[test]
fn host_kernel_breakpoints_and_watchpoints_stop_as_the_cpu_does() {
    with_lane("debug-stops", |run| {
        let bps = [0x10u64];
        let watches = [
            Watchpoint {
                addr: 0x8004,
                len: 4,
                kind: WatchKind::Write,
            },
            Watchpoint {
                addr: 0x8000,
                len: 1,
                kind: WatchKind::Read,
            },
        ];
        let mut cpu = Machine::new(CpuEngine::new(), space());
        cpu.engine.set_breakpoints(&bps);
        cpu.engine.set_watchpoints(&watches);
        let mut lane = HostLane {
            run,
            space: space(),
            state: CpuState::new(),
            resume_pc: None,
            bps: bps.to_vec(),
            watch: watches.iter().map(watch_dev).collect(),
            trace_cap: 0,
            trace: Vec::new(),
        };
        // Read by hand: each of the 3 iterations stops at the store (write
        // of 0x8004), the load (read of 0x8000) and the add (breakpoint);
        // then BRK halts.
        let mut expected = Vec::new();
        for _ in 0..3 {
            expected.push(StopReason::Watchpoint {
                pc: 8,
                addr: 0x8004,
                access: Access::Write,
            });
            expected.push(StopReason::Watchpoint {
                pc: 0xc,
                addr: 0x8000,
                access: Access::Read,
            });
            expected.push(StopReason::Breakpoint { pc: 0x10 });
        }
        for (k, want) in expected.iter().enumerate() {
            let c = cpu.run(1000);
            let (stop, n) = lane.run_to_stop(1000);
            assert_eq!(c.stop, *want, "cpu, stop {k}");
            assert_eq!(stop, *want, "host kernel, stop {k}");
            assert_eq!(n, c.instructions, "stop {k}");
            assert_eq!(lane.state, *cpu.state(), "stop {k}");
            assert_eq!(
                lane.space.read_u64(0x8000).unwrap(),
                cpu.memory().read_u64(0x8000).unwrap(),
                "stop {k}"
            );
        }
        let c = cpu.run(1000);
        let (stop, _) = lane.run_to_stop(1000);
        assert!(matches!(c.stop, StopReason::Halted { pc: 0x1c, .. }));
        assert_eq!(stop, c.stop);
        assert_eq!(lane.state.x[0], 8);
        assert_eq!(lane.space.read_u64(0x8000).unwrap(), 7);
    });
}

#[test]
fn host_kernel_trace_ring_matches_the_cpu_tracer() {
    with_lane("debug-trace", |run| {
        // The CPU backend's tracer: (state before, word) per instruction;
        // the registers written are the differences to the next state.
        let seen: Arc<Mutex<Vec<(CpuState, u32)>>> = Arc::default();
        let s = seen.clone();
        let mut engine = CpuEngine::new();
        engine.set_tracer(Some(Box::new(move |st: &CpuState, w: u32| {
            s.lock().unwrap().push((*st, w));
        })));
        let mut cpu = Machine::new(engine, space());
        let c = cpu.run(1000);
        let mut states = seen.lock().unwrap().clone();
        states.push((*cpu.state(), 0));
        let want: Vec<TraceEntry> = states
            .windows(2)
            .map(|p| TraceEntry {
                pc: p[0].0.pc,
                word: p[0].1,
                writes: reg_writes(&p[0].0, &p[1].0),
            })
            .collect();
        // 2 + 3 * 5 instructions, and the BRK it stops on.
        assert_eq!(want.len(), 18);

        let mut lane = HostLane {
            run,
            space: space(),
            state: CpuState::new(),
            resume_pc: None,
            bps: Vec::new(),
            watch: Vec::new(),
            trace_cap: 7,
            trace: Vec::new(),
        };
        // Launches of at most 6 instructions (a ring of 7), as the engine does.
        let stop = loop {
            let (stop, _) = lane.run_to_stop(6);
            if stop != StopReason::CycleLimit {
                break stop;
            }
        };
        assert_eq!(stop, c.stop);
        assert_eq!(lane.trace, want);
        assert_eq!(
            lane.trace[2].writes,
            vec![],
            "str writes no register: {:?}",
            lane.trace[2]
        );
    });
}
