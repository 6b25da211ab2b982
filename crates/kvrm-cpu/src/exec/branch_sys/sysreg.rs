//! System registers readable or writable at EL0 (MRS / MSR register form) and
//! the EL0 cache maintenance instructions (DC ZVA, DC CVA*, IC IVAU).
//!
//! What a Linux process sees at EL0 is modelled:
//! - NZCV, FPCR, FPSR, TPIDR_EL0 read/write; TPIDRRO_EL0 reads 0 (Linux keeps
//!   it 0 for native tasks); CNTFRQ_EL0 = 1 GHz; CNTVCT_EL0 / CNTPCT_EL0 count
//!   nanoseconds of host monotonic time since the first counter read in this
//!   process; CTR_EL0 and DCZID_EL0 as below.
//! - The ID register space Linux emulates for EL0 (op0 = 3, op1 = 0, CRn = 0,
//!   CRm = 0 and 2..7): MIDR_EL1, MPIDR_EL1 (the kernel's safe value, bit 31),
//!   REVIDR_EL1 (0) in CRm = 0 (other CRm = 0 registers are UNDEFINED, as
//!   Linux sends SIGILL); the ID_AA64* registers hold the sanitised values
//!   below; every other register of CRm = 2..7 reads as zero.
//! - Everything else (DAIF, SPSel, CurrentEL, DIT, SSBS, TCO, debug registers,
//!   EL1 registers, writes of read-only registers) is UNDEFINED.
//!
//! The ID values describe exactly what kvrm implements. Fields not listed are
//! zero ("not implemented" for feature fields). When another instruction
//! class gains a feature (FP16, RDM, dot product, JSCVT, FCMA, FRINTTS, ...),
//! its field must be raised here and in the Linux layer's AT_HWCAP together.

use std::sync::OnceLock;
use std::time::Instant;

use kvrm_isa::decode::{bits, rd};
use kvrm_isa::state::{FPSR_IDC, FPSR_QC};
use kvrm_isa::{Access, MemFault};

use crate::exec::Flow;
use crate::{mem, Cpu};

/// `o0:op1:CRn:CRm:op2` (bits [19:5] of MRS/MSR) for a register `op0, op1, CRn, CRm, op2`.
pub const fn sysreg(op0: u32, op1: u32, crn: u32, crm: u32, op2: u32) -> u32 {
    ((op0 & 1) << 14) | (op1 << 11) | (crn << 7) | (crm << 3) | op2
}

pub const NZCV: u32 = sysreg(3, 3, 4, 2, 0);
pub const FPCR: u32 = sysreg(3, 3, 4, 4, 0);
pub const FPSR: u32 = sysreg(3, 3, 4, 4, 1);
pub const TPIDR_EL0: u32 = sysreg(3, 3, 13, 0, 2);
pub const TPIDRRO_EL0: u32 = sysreg(3, 3, 13, 0, 3);
pub const CNTFRQ_EL0: u32 = sysreg(3, 3, 14, 0, 0);
pub const CNTPCT_EL0: u32 = sysreg(3, 3, 14, 0, 1);
pub const CNTVCT_EL0: u32 = sysreg(3, 3, 14, 0, 2);
pub const CTR_EL0: u32 = sysreg(3, 3, 0, 0, 1);
pub const DCZID_EL0: u32 = sysreg(3, 3, 0, 0, 7);
pub const MIDR_EL1: u32 = sysreg(3, 0, 0, 0, 0);
pub const MPIDR_EL1: u32 = sysreg(3, 0, 0, 0, 5);
pub const REVIDR_EL1: u32 = sysreg(3, 0, 0, 0, 6);
pub const ID_AA64PFR0_EL1: u32 = sysreg(3, 0, 0, 4, 0);
pub const ID_AA64DFR0_EL1: u32 = sysreg(3, 0, 0, 5, 0);
pub const ID_AA64ISAR0_EL1: u32 = sysreg(3, 0, 0, 6, 0);
pub const ID_AA64ISAR1_EL1: u32 = sysreg(3, 0, 0, 6, 1);
pub const ID_AA64ISAR2_EL1: u32 = sysreg(3, 0, 0, 6, 2);
pub const ID_AA64MMFR0_EL1: u32 = sysreg(3, 0, 0, 7, 0);

/// FPCR bits that hold a value: AHP, DN, FZ, RMode, FZ16. Len/Stride are RES0
/// without AArch32; the trap enables are RAZ/WI (no trapping); no FEAT_AFP.
pub const FPCR_WRITABLE: u64 = 0x07c8_0000;
/// FPSR bits that hold a value: QC and the cumulative flags (bits 31:28 are
/// RES0 without AArch32).
pub const FPSR_WRITABLE: u64 = FPSR_QC | FPSR_IDC | 0x1f;

/// Counter frequency: 1 GHz, so a counter tick is a nanosecond.
pub const CNTFRQ_HZ: u64 = 1_000_000_000;

/// DCZID_EL0: DZP = 0 (DC ZVA permitted), BS = 4 (2^4 words = 64 bytes).
pub const DCZID_VALUE: u64 = 4;
/// Bytes zeroed by DC ZVA.
pub const ZVA_BYTES: u64 = 4 << DCZID_VALUE;

/// CTR_EL0: RES1 bit 31, DIC = 1 (instruction fetch is coherent: the decode
/// cache follows stores, IC IVAU is not needed), IDC = 1, CWG = ERG = 4
/// (64 bytes), DminLine = IminLine = 4 (64-byte lines), L1Ip = 0b11 (PIPT).
pub const CTR_VALUE: u64 =
    (1 << 31) | (1 << 29) | (1 << 28) | (4 << 24) | (4 << 20) | (4 << 16) | (3 << 14) | 4;

/// MIDR_EL1: implementer 0x00 ("reserved for software use"), architecture
/// 0xf (ID registers), part number 0x4b5, variant and revision 0: no code
/// tuned for a real core picks kvrm by mistake.
pub const MIDR_VALUE: u64 = 0x000f_4b50;
/// MPIDR_EL1 as Linux emulates it for EL0 (bit 31 RES1, affinity 0).
pub const MPIDR_VALUE: u64 = 1 << 31;

// The feature ID registers are defined once, with the HWCAPs, in kvrm_isa::features.
pub use kvrm_isa::features::{
    ID_AA64DFR0 as ID_AA64DFR0_VALUE, ID_AA64ISAR0 as ID_AA64ISAR0_VALUE,
    ID_AA64ISAR1 as ID_AA64ISAR1_VALUE, ID_AA64ISAR2 as ID_AA64ISAR2_VALUE,
    ID_AA64PFR0 as ID_AA64PFR0_VALUE,
};

/// The value of an ID register at EL0, or `None` when Linux would SIGILL.
pub fn id_register(key: u32) -> Option<u64> {
    Some(match key {
        MIDR_EL1 => MIDR_VALUE,
        MPIDR_EL1 => MPIDR_VALUE,
        REVIDR_EL1 => 0,
        ID_AA64PFR0_EL1 => ID_AA64PFR0_VALUE,
        ID_AA64DFR0_EL1 => ID_AA64DFR0_VALUE,
        ID_AA64ISAR0_EL1 => ID_AA64ISAR0_VALUE,
        ID_AA64ISAR1_EL1 => ID_AA64ISAR1_VALUE,
        ID_AA64ISAR2_EL1 => ID_AA64ISAR2_VALUE,
        // ID_AA64PFR1 (no BTI/SSBS/MTE/SME), ZFR0, SMFR0, DFR1, AFR*, MMFR0-4
        // (4 KiB/64 KiB granules, 32-bit PA, no LSE2 unaligned atomicity),
        // AArch32 ID registers: zero.
        k if k >> 3 >= sysreg(3, 0, 0, 2, 0) >> 3 && k >> 3 <= sysreg(3, 0, 0, 7, 0) >> 3 => 0,
        _ => return None,
    })
}

fn start_instant() -> Instant {
    static START: OnceLock<Instant> = OnceLock::new();
    *START.get_or_init(Instant::now)
}

/// CNTVCT_EL0 / CNTPCT_EL0: nanoseconds of host monotonic time since the
/// process-wide start instant (ticks of CNTFRQ_EL0 = 1 GHz).
pub fn counter_ticks() -> u64 {
    start_instant().elapsed().as_nanos() as u64
}

/// MRS Xt, <sysreg>.
pub fn mrs(cpu: &mut Cpu, w: u32) -> Flow {
    let key = bits(w, 5, 15);
    let s = &cpu.state;
    let value = match key {
        NZCV => s.nzcv & 0xf000_0000,
        FPCR => s.fpcr & FPCR_WRITABLE,
        FPSR => s.fpsr & FPSR_WRITABLE,
        TPIDR_EL0 => s.tpidr_el0,
        TPIDRRO_EL0 => 0,
        CNTFRQ_EL0 => CNTFRQ_HZ,
        CNTPCT_EL0 | CNTVCT_EL0 => cpu.virtual_counter.unwrap_or_else(counter_ticks),
        CTR_EL0 => CTR_VALUE,
        DCZID_EL0 => DCZID_VALUE,
        _ => match id_register(key) {
            Some(v) => v,
            None => return cpu.undefined(w),
        },
    };
    cpu.state.set_xr(rd(w), value);
    Flow::Next
}

/// MSR <sysreg>, Xt.
pub fn msr_reg(cpu: &mut Cpu, w: u32) -> Flow {
    let v = cpu.state.xr(rd(w));
    let s = &mut cpu.state;
    match bits(w, 5, 15) {
        NZCV => s.nzcv = v & 0xf000_0000,
        FPCR => s.fpcr = v & FPCR_WRITABLE,
        FPSR => s.fpsr = v & FPSR_WRITABLE,
        TPIDR_EL0 => s.tpidr_el0 = v,
        _ => return cpu.undefined(w),
    }
    Flow::Next
}

/// DC ZVA, Xt: zero the 64-byte block holding Xt; faults like a store (all
/// or nothing).
pub fn dc_zva(cpu: &mut Cpu, w: u32) -> Flow {
    let addr = cpu.state.xr(rd(w)) & !(ZVA_BYTES - 1);
    mem!(cpu, cpu.mem.write(addr, [0u8; ZVA_BYTES as usize]));
    Flow::Next
}

/// DC CVAC/CVAU/CVAP/CVADP/CIVAC and IC IVAU: no cache to maintain (the
/// decode cache already follows stores), but the address must be mapped and
/// readable, as for the real instruction (a translation or permission fault).
pub fn cache_maintenance(cpu: &mut Cpu, w: u32) -> Flow {
    let addr = cpu.state.xr(rd(w));
    if let Err(f) = cpu.mem.read_u8(addr) {
        return cpu.fault(MemFault {
            addr,
            access: Access::Read,
            kind: f.kind,
        });
    }
    Flow::Next
}
