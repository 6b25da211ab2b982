//! Unit tests for what the oracle (Unicorn at EL1) cannot check: EL0-only
//! behaviour, kvrm's system register values, counters, DC ZVA, BC.cond, HLT.

use kvrm_isa::{Access, FaultKind, StopReason};

use super::sysreg::*;
use crate::Cpu;

const CODE: u64 = 0x1000;
const BRK0: u32 = 0xd420_0000;

/// Run `code` at 0x1000 (followed by BRK #0) on 1 MiB of flat memory.
fn run(code: &[u32], setup: impl FnOnce(&mut Cpu)) -> (Cpu, StopReason) {
    let mut cpu = Cpu::with_flat_memory(0x10_0000).unwrap();
    for (i, w) in code.iter().chain([BRK0].iter()).enumerate() {
        cpu.mem.write_u32(CODE + 4 * i as u64, *w).unwrap();
    }
    cpu.state.pc = CODE;
    setup(&mut cpu);
    let r = cpu.run_for(1000);
    (cpu, r.stop)
}

fn ends(stop: StopReason, code_len: usize) {
    match stop {
        StopReason::Halted { pc, imm: 0, .. } if pc == CODE + 4 * code_len as u64 => {}
        other => panic!("expected to reach the end, got {other}"),
    }
}

fn undefined(stop: StopReason) {
    assert!(
        matches!(stop, StopReason::Undefined { pc: CODE, .. }),
        "{stop}"
    );
}

/// MRS Xt, (op0, op1, CRn, CRm, op2).
fn mrs(t: u32, key: u32) -> u32 {
    0xd530_0000 | (key << 5) | t
}

fn msr(t: u32, key: u32) -> u32 {
    0xd510_0000 | (key << 5) | t
}

#[test]
fn bc_cond_branches_like_b_cond() {
    // BC.EQ +8 (0x54000050): taken with Z, not taken without.
    let code = [0x5400_0050, 0xd280_0020, 0xd503_201f]; // bc.eq 1f; mov x0,#1; 1: nop
    let (cpu, stop) = run(&code, |c| {
        c.state.x[0] = 7;
        c.state.nzcv = 1 << 30;
    });
    ends(stop, 3);
    assert_eq!(cpu.state.x[0], 7);
    let (cpu, stop) = run(&code, |c| c.state.x[0] = 7);
    ends(stop, 3);
    assert_eq!(cpu.state.x[0], 1);
    // BC.NV always branches.
    let (cpu, stop) = run(&[0x5400_005f, 0xd280_0020, 0xd503_201f], |c| {
        c.state.x[0] = 7
    });
    ends(stop, 3);
    assert_eq!(cpu.state.x[0], 7);
}

#[test]
fn hlt_halts_in_place() {
    let (_, stop) = run(&[0xd440_0060], |_| {}); // hlt #3
    assert_eq!(
        stop,
        StopReason::Halted {
            pc: CODE,
            imm: 3,
            hlt: true
        }
    );
}

#[test]
fn el1_and_pauth_encodings_are_undefined() {
    for w in [
        0xd400_0003u32, // smc #0
        0xd400_0002,    // hvc #0
        0xd69f_03e0,    // eret
        0xd65f_0bff,    // retaa
        0xd61f_0820,    // braaz x1
        0xd71f_0820,    // braa x1, x0
        0xd63f_083f,    // blraaz x1
        0xd503_43df,    // msr daifset, #3
        0xd500_40bf,    // msr spsel, #0
        0xd500_409f,    // msr pan, #0
        0xd503_403f,    // msr ssbs, #0 (no FEAT_SSBS)
        0xd538_1000,    // mrs x0, sctlr_el1
        0xd53b_4220,    // mrs x0, daif
        0xd538_4240,    // mrs x0, currentel
        0xd51b_d060,    // msr tpidrro_el0, x0
        0xd53b_e0c0,    // mrs x0, cntvctss_el0 (no FEAT_ECV)
        0xd538_0040,    // mrs x0, id register 3,0,0,0,2 (CRm = 0, not MIDR/MPIDR/REVIDR)
        0xd538_0100,    // mrs x0, 3,0,0,1,0 (ID_PFR0_EL1: CRm = 1 not emulated)
        0xd518_0000,    // msr midr_el1, x0
        0xd508_7620,    // dc ivac, x0 (EL1)
        0xd508_7500,    // ic iallu (EL1)
        0xd508_8700,    // tlbi vmalle1
        0xd50b_7380,    // cfp rctx, x0 (no FEAT_SPECRES)
        0xd503_101f,    // wfet xzr (no FEAT_WFxT)
        0xd4a0_0001,    // dcps1
        0xd503_323f,    // dsb nxs form (no FEAT_XS)
    ] {
        let (_, stop) = run(&[w], |c| c.state.x[0] = 0x10000);
        undefined(stop);
    }
}

#[test]
fn pac_hints_are_nops() {
    // PAuth is not advertised: PACIASP, AUTIASP, PACIA1716, XPACLRI, ... are NOPs.
    for w in [
        0xd503_233fu32,
        0xd503_23bf,
        0xd503_211f,
        0xd503_219f,
        0xd503_20ff,
    ] {
        let (cpu, stop) = run(&[w], |c| {
            c.state.x[30] = 0xfedc_ba98_7654_3210;
            c.state.x[17] = 0x1234_5678_9abc_def0;
            c.state.x[16] = 0x42;
        });
        ends(stop, 1);
        assert_eq!(cpu.state.x[30], 0xfedc_ba98_7654_3210);
        assert_eq!(cpu.state.x[17], 0x1234_5678_9abc_def0);
    }
    // WFI is a hint too (a NOP for one user-mode CPU).
    let (_, stop) = run(&[0xd503_207f], |_| {});
    ends(stop, 1);
}

#[test]
fn counters_are_monotonic_at_1ghz() {
    let (cpu, stop) = run(
        &[
            mrs(0, CNTVCT_EL0),
            mrs(1, CNTPCT_EL0),
            mrs(2, CNTVCT_EL0),
            mrs(3, CNTFRQ_EL0),
        ],
        |_| {},
    );
    ends(stop, 4);
    let s = &cpu.state;
    assert!(s.x[0] <= s.x[1] && s.x[1] <= s.x[2], "{:?}", &s.x[..3]);
    assert_eq!(s.x[3], 1_000_000_000);
    let before = counter_ticks();
    std::thread::sleep(std::time::Duration::from_millis(2));
    let after = counter_ticks();
    assert!(after - before >= 2_000_000, "{before} {after}");
}

#[test]
fn id_and_cache_registers_have_kvrm_values() {
    let regs = [
        (DCZID_EL0, 4),
        (CTR_EL0, 0xb444_c004),
        (MIDR_EL1, MIDR_VALUE),
        (MPIDR_EL1, 0x8000_0000),
        (REVIDR_EL1, 0),
        (TPIDRRO_EL0, 0),
        (ID_AA64PFR0_EL1, 0x11),
        (sysreg(3, 0, 0, 4, 1), 0), // PFR1: no BTI, no SSBS, no MTE
        (sysreg(3, 0, 0, 4, 4), 0), // ZFR0: no SVE
        (ID_AA64DFR0_EL1, 6),
        // TS=2, DP=1, SHA3=1, RDM=1, Atomic=2, CRC32=1, SHA2=2, SHA1=1, AES=2
        (ID_AA64ISAR0_EL1, 0x0020_1001_1021_2120),
        // SB=1, FRINTTS=1, LRCPC=2, JSCVT=1, DPB=2
        (ID_AA64ISAR1_EL1, 0x0000_0011_0020_1002),
        (ID_AA64ISAR2_EL1, 0x10_0000),
        (ID_AA64MMFR0_EL1, 0),
        (sysreg(3, 0, 0, 7, 2), 0), // MMFR2: AT = 0 (no LSE2)
        (sysreg(3, 0, 0, 2, 0), 0), // ID_ISAR0_EL1 (AArch32): RAZ
        (sysreg(3, 0, 0, 7, 7), 0), // unallocated ID register: RAZ
    ];
    for (key, want) in regs {
        let (cpu, stop) = run(&[mrs(5, key)], |c| c.state.x[5] = 0xdead);
        ends(stop, 1);
        assert_eq!(cpu.state.x[5], want, "sysreg {key:#x}");
    }
    // ISAR0: LSE atomics, CRC32 and the Cryptographic Extension without SM3/SM4.
    assert_eq!((ID_AA64ISAR0_VALUE >> 20) & 0xf, 2);
    assert_eq!((ID_AA64ISAR0_VALUE >> 16) & 0xf, 1);
    assert_eq!(ID_AA64ISAR0_VALUE & 0xfff0, 0x2120); // AES+PMULL, SHA1, SHA256+SHA512
    assert_eq!((ID_AA64ISAR0_VALUE >> 32) & 0xfff, 1); // SHA3; no SM3, SM4
    assert_eq!(ID_AA64ISAR1_VALUE & 0xff0, 0); // no PAuth (APA, API)
    assert_eq!((ID_AA64PFR0_VALUE >> 32) & 0xf, 0); // no SVE
}

#[test]
fn fpcr_fpsr_keep_only_their_defined_bits() {
    let (cpu, stop) = run(
        &[msr(1, FPCR), mrs(2, FPCR), msr(1, FPSR), mrs(3, FPSR)],
        |c| c.state.x[1] = u64::MAX,
    );
    ends(stop, 4);
    assert_eq!(cpu.state.x[2], 0x07c8_0000);
    assert_eq!(cpu.state.fpcr, 0x07c8_0000);
    assert_eq!(cpu.state.x[3], 0x0800_009f);
    assert_eq!(cpu.state.fpsr, 0x0800_009f);
}

#[test]
fn dc_zva_zeroes_one_aligned_64_byte_block() {
    let (mut cpu, stop) = run(&[0xd50b_7425], |c| {
        // dc zva, x5
        c.mem.write_bytes(0x20000, &[0xaa; 256]).unwrap();
        c.state.x[5] = 0x20000 + 64 + 13;
    });
    ends(stop, 1);
    let mut buf = [0u8; 256];
    cpu.mem.read_bytes(0x20000, &mut buf).unwrap();
    assert!(buf[..64].iter().all(|&b| b == 0xaa));
    assert!(buf[64..128].iter().all(|&b| b == 0));
    assert!(buf[128..].iter().all(|&b| b == 0xaa));
}

#[test]
fn dc_zva_faults_like_a_store() {
    let mut cpu = Cpu::with_flat_memory(0x10_0000).unwrap();
    cpu.mem.write_u32(CODE, 0xd50b_7425).unwrap();
    cpu.mem
        .write_bytes(0x30000, &[0xaa; 0x1000])
        .expect("writable");
    cpu.mem
        .protect(0x30000, 0x1000, kvrm_isa::Perms::R)
        .unwrap();
    cpu.state.pc = CODE;
    cpu.state.x[5] = 0x30040;
    let stop = cpu.run_for(10).stop;
    assert!(
        matches!(
            stop,
            StopReason::Fault {
                access: Access::Write,
                kind: FaultKind::Permission,
                pc: CODE,
                ..
            }
        ),
        "{stop}"
    );
    assert_eq!(cpu.mem.read_u8(0x30040).unwrap(), 0xaa);
    // Unmapped: a fault too.
    cpu.state.x[5] = 0x20_0000;
    let stop = cpu.run_for(10).stop;
    assert!(matches!(stop, StopReason::Fault { .. }), "{stop}");
}

#[test]
fn cache_maintenance_faults_only_on_unmapped_memory() {
    // dc cvau, x5 / ic ivau, x5 / dc civac, x5
    for w in [0xd50b_7b25u32, 0xd50b_7525, 0xd50b_7e25] {
        let (_, stop) = run(&[w], |c| c.state.x[5] = 0x12345);
        ends(stop, 1);
        let (_, stop) = run(&[w], |c| c.state.x[5] = 0x20_0000);
        assert!(
            matches!(
                stop,
                StopReason::Fault {
                    addr: 0x20_0000,
                    ..
                }
            ),
            "{stop}"
        );
    }
}
