//! Breakpoints and watchpoints on the CPU backend (interpreter and JIT mode).
//! Expected stops come from the guest programs below, read by hand.

use kvrm_cpu::{CpuEngine, ExecMode};
use kvrm_isa::{Access, AddressSpace, Engine, Machine, StopReason, WatchKind, Watchpoint};

const BRK: u32 = 0xd420_0000;

/// 0x00 movz x0, #5; 0x04 movz x2, #0x8000; 0x08 str x0, [x2];
/// 0x0c ldr x3, [x2]; 0x10 add x0, x0, #1; 0x14 brk #0
const STORE_LOAD: [u32; 6] = [
    0xd280_00a0,
    0xd290_0002,
    0xf900_0040,
    0xf940_0043,
    0x9100_0400,
    BRK,
];

/// 0x00 movz x1, #0; 0x04 add x1, x1, #1; 0x08 cmp x1, #3; 0x0c b.ne 0x04;
/// 0x10 brk #0
const LOOP3: [u32; 5] = [0xd280_0001, 0x9100_0421, 0xf100_0c3f, 0x54ff_ffc1, BRK];

fn machine(mode: ExecMode, words: &[u32]) -> Machine<CpuEngine> {
    let mut m = Machine::new(
        CpuEngine::with_exec_mode(mode),
        AddressSpace::flat(0x10000).unwrap(),
    );
    let bytes: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
    m.load_program(&bytes, 0).unwrap();
    m
}

const MODES: [ExecMode; 2] = [ExecMode::Interp, ExecMode::Jit { threshold: 1 }];

#[test]
fn breakpoint_stops_before_the_instruction_and_resumes_over_it() {
    for mode in MODES {
        let mut m = machine(mode, &STORE_LOAD);
        assert!(m.engine.set_breakpoints(&[0x10]));
        let r = m.run(100);
        assert_eq!(r.stop, StopReason::Breakpoint { pc: 0x10 }, "{mode:?}");
        assert_eq!(r.instructions, 4);
        assert_eq!(m.pc(), 0x10);
        assert_eq!(m.reg(0), 5, "the add has not run");
        assert_eq!(m.reg(3), 5);
        let r = m.run(100);
        assert!(
            matches!(r.stop, StopReason::Halted { pc: 0x14, .. }),
            "{r:?}"
        );
        assert_eq!(m.reg(0), 6);
    }
}

#[test]
fn breakpoint_on_the_first_instruction_stops_at_once() {
    let mut m = machine(ExecMode::Interp, &STORE_LOAD);
    m.engine.set_breakpoints(&[0]);
    let r = m.run(100);
    assert_eq!(r.stop, StopReason::Breakpoint { pc: 0 });
    assert_eq!(r.instructions, 0);
    assert_eq!(m.reg(0), 0);
    // Resuming steps over it; nothing else stops the program.
    let r = m.run(100);
    assert!(matches!(r.stop, StopReason::Halted { pc: 0x14, .. }));
    assert_eq!(r.instructions, 5);
}

#[test]
fn breakpoint_in_a_loop_stops_every_iteration() {
    for mode in MODES {
        let mut m = machine(mode, &LOOP3);
        m.engine.set_breakpoints(&[4]);
        for x1 in 0..3 {
            let r = m.run(1000);
            assert_eq!(r.stop, StopReason::Breakpoint { pc: 4 }, "{mode:?}");
            assert_eq!(m.reg(1), x1);
        }
        let r = m.run(1000);
        assert!(matches!(r.stop, StopReason::Halted { pc: 0x10, .. }));
        assert_eq!(m.reg(1), 3);
        // Removed: the next run goes through.
        m.engine.set_breakpoints(&[]);
        m.set_pc(0);
        let r = m.run(1000);
        assert!(matches!(r.stop, StopReason::Halted { pc: 0x10, .. }));
    }
}

#[test]
fn a_syscall_does_not_step_over_the_next_breakpoint() {
    // 0x00 svc #0; 0x04 brk #0
    let mut m = machine(ExecMode::Interp, &[0xd400_0001, BRK]);
    m.engine.set_breakpoints(&[4]);
    assert_eq!(m.run(10).stop, StopReason::Syscall { imm: 0 });
    assert_eq!(m.run(10).stop, StopReason::Breakpoint { pc: 4 });
}

#[test]
fn write_watchpoint_stops_before_the_store() {
    for mode in MODES {
        let mut m = machine(mode, &STORE_LOAD);
        // The 8-byte store at 0x8000 covers 0x8004.
        m.engine.set_watchpoints(&[Watchpoint {
            addr: 0x8004,
            len: 4,
            kind: WatchKind::Write,
        }]);
        let r = m.run(100);
        assert_eq!(
            r.stop,
            StopReason::Watchpoint {
                pc: 8,
                addr: 0x8004,
                access: Access::Write
            },
            "{mode:?}"
        );
        assert_eq!(r.instructions, 2);
        assert_eq!(m.memory().read_u64(0x8000).unwrap(), 0, "not stored yet");
        // Resume: the store goes through, the load is not watched.
        let r = m.run(100);
        assert!(
            matches!(r.stop, StopReason::Halted { pc: 0x14, .. }),
            "{r:?}"
        );
        assert_eq!(m.memory().read_u64(0x8000).unwrap(), 5);
        assert_eq!(m.reg(3), 5);
    }
}

#[test]
fn read_watchpoint_stops_before_the_load() {
    let mut m = machine(ExecMode::Interp, &STORE_LOAD);
    m.engine.set_watchpoints(&[Watchpoint {
        addr: 0x8007,
        len: 1,
        kind: WatchKind::Read,
    }]);
    let r = m.run(100);
    assert_eq!(
        r.stop,
        StopReason::Watchpoint {
            pc: 0xc,
            addr: 0x8007,
            access: Access::Read
        }
    );
    assert_eq!(m.reg(3), 0, "the load has not run");
    assert_eq!(m.memory().read_u64(0x8000).unwrap(), 5);
    let r = m.run(100);
    assert!(matches!(r.stop, StopReason::Halted { .. }));
    assert_eq!(m.reg(3), 5);
}

#[test]
fn read_write_watchpoint_and_misses() {
    let mut m = machine(ExecMode::Interp, &STORE_LOAD);
    m.engine.set_watchpoints(&[
        // Just past the 8-byte access: never hit.
        Watchpoint {
            addr: 0x8008,
            len: 8,
            kind: WatchKind::ReadWrite,
        },
        Watchpoint {
            addr: 0x7ff0,
            len: 0x11,
            kind: WatchKind::ReadWrite,
        },
    ]);
    let r = m.run(100);
    assert_eq!(
        r.stop,
        StopReason::Watchpoint {
            pc: 8,
            addr: 0x8000,
            access: Access::Write
        }
    );
    let r = m.run(100);
    assert_eq!(
        r.stop,
        StopReason::Watchpoint {
            pc: 0xc,
            addr: 0x8000,
            access: Access::Read
        }
    );
    let r = m.run(100);
    assert!(matches!(r.stop, StopReason::Halted { pc: 0x14, .. }));
}

#[test]
fn stop_reasons_have_names_and_messages() {
    let b = StopReason::Breakpoint { pc: 0x40 };
    assert_eq!(b.kind_str(), "breakpoint");
    assert_eq!(b.to_string(), "breakpoint at pc 0x40");
    let w = StopReason::Watchpoint {
        pc: 8,
        addr: 0x8004,
        access: Access::Write,
    };
    assert_eq!(w.kind_str(), "watchpoint");
    assert_eq!(w.to_string(), "watchpoint: write of 0x8004 at pc 0x8");
}
