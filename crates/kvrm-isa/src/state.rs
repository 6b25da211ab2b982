//! The architectural state of one emulated AArch64 CPU.
//!
//! `CpuState` is `#[repr(C)]` with a fixed layout because the CUDA backend keeps
//! the very same bytes in device memory (one `CpuState` per lane). Every offset
//! is asserted below. The generated CUDA header (`cuda_header`) carries the same
//! numbers: host compilers check them with `static_assert`; NVRTC cannot, so
//! scripts/gpu-check-header.py checks them on the device.
//!
//! | offset | field       | meaning                                               |
//! |-------:|-------------|-------------------------------------------------------|
//! |      0 | `x[0..31]`  | general registers x0..x30                             |
//! |    248 | `sp`        | stack pointer (SP_EL0)                                |
//! |    256 | `pc`        | program counter                                       |
//! |    264 | `nzcv`      | flags in architectural position (N=31 Z=30 C=29 V=28) |
//! |    272 | `fpcr`      | floating-point control register                       |
//! |    280 | `fpsr`      | floating-point status register (sticky flags, QC)     |
//! |    288 | `tpidr_el0` | user thread pointer                                   |
//! |    296 | `excl_addr` | exclusive monitor: reserved address (if `excl_size`)  |
//! |    304 | `excl_size` | exclusive monitor: bytes reserved, 0 = no reservation |
//! |    312 | `_reserved` | zero; puts `v` on a 16-byte boundary                  |
//! |    320 | `v[0..32]`  | SIMD&FP registers, each `[lo, hi]` 64-bit halves      |
//! |    832 | (size)      |                                                       |

use core::mem::{offset_of, size_of};

pub const NZCV_N: u64 = 1 << 31;
pub const NZCV_Z: u64 = 1 << 30;
pub const NZCV_C: u64 = 1 << 29;
pub const NZCV_V: u64 = 1 << 28;

/// FPSR cumulative exception bits.
pub const FPSR_IOC: u64 = 1 << 0;
pub const FPSR_DZC: u64 = 1 << 1;
pub const FPSR_OFC: u64 = 1 << 2;
pub const FPSR_UFC: u64 = 1 << 3;
pub const FPSR_IXC: u64 = 1 << 4;
pub const FPSR_IDC: u64 = 1 << 7;
pub const FPSR_QC: u64 = 1 << 27;

/// FPCR control bits.
pub const FPCR_AHP: u64 = 1 << 26;
pub const FPCR_DN: u64 = 1 << 25;
pub const FPCR_FZ: u64 = 1 << 24;
pub const FPCR_RMODE_SHIFT: u32 = 22;
pub const FPCR_FZ16: u64 = 1 << 19;

// The byte traits let a backend ship states to a device as plain bytes.
#[repr(C, align(16))]
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    zerocopy::IntoBytes,
    zerocopy::FromBytes,
    zerocopy::Immutable,
    zerocopy::KnownLayout,
)]
pub struct CpuState {
    pub x: [u64; 31],
    pub sp: u64,
    pub pc: u64,
    pub nzcv: u64,
    pub fpcr: u64,
    pub fpsr: u64,
    pub tpidr_el0: u64,
    pub excl_addr: u64,
    pub excl_size: u64,
    pub _reserved: u64,
    pub v: [[u64; 2]; 32],
}

const _: () = {
    assert!(offset_of!(CpuState, x) == 0);
    assert!(offset_of!(CpuState, sp) == 248);
    assert!(offset_of!(CpuState, pc) == 256);
    assert!(offset_of!(CpuState, nzcv) == 264);
    assert!(offset_of!(CpuState, fpcr) == 272);
    assert!(offset_of!(CpuState, fpsr) == 280);
    assert!(offset_of!(CpuState, tpidr_el0) == 288);
    assert!(offset_of!(CpuState, excl_addr) == 296);
    assert!(offset_of!(CpuState, excl_size) == 304);
    assert!(offset_of!(CpuState, v) == 320);
    assert!(size_of::<CpuState>() == 832);
};

impl Default for CpuState {
    fn default() -> Self {
        Self::new()
    }
}

impl CpuState {
    pub const fn new() -> Self {
        CpuState {
            x: [0; 31],
            sp: 0,
            pc: 0,
            nzcv: 0,
            fpcr: 0,
            fpsr: 0,
            tpidr_el0: 0,
            excl_addr: 0,
            excl_size: 0,
            _reserved: 0,
            v: [[0; 2]; 32],
        }
    }

    /// Register `n` where 31 reads as zero (XZR).
    #[inline(always)]
    pub fn xr(&self, n: u32) -> u64 {
        if n == 31 {
            0
        } else {
            self.x[n as usize]
        }
    }

    /// Write register `n` where 31 discards the value (XZR).
    #[inline(always)]
    pub fn set_xr(&mut self, n: u32, value: u64) {
        if n != 31 {
            self.x[n as usize] = value;
        }
    }

    /// Register `n` where 31 is the stack pointer.
    #[inline(always)]
    pub fn xsp(&self, n: u32) -> u64 {
        if n == 31 {
            self.sp
        } else {
            self.x[n as usize]
        }
    }

    /// Write register `n` where 31 is the stack pointer.
    #[inline(always)]
    pub fn set_xsp(&mut self, n: u32, value: u64) {
        if n == 31 {
            self.sp = value;
        } else {
            self.x[n as usize] = value;
        }
    }

    #[inline(always)]
    pub fn vreg(&self, n: u32) -> u128 {
        let [lo, hi] = self.v[n as usize];
        (lo as u128) | ((hi as u128) << 64)
    }

    #[inline(always)]
    pub fn set_vreg(&mut self, n: u32, value: u128) {
        self.v[n as usize] = [value as u64, (value >> 64) as u64];
    }

    #[inline(always)]
    pub fn flag_n(&self) -> bool {
        self.nzcv & NZCV_N != 0
    }
    #[inline(always)]
    pub fn flag_z(&self) -> bool {
        self.nzcv & NZCV_Z != 0
    }
    #[inline(always)]
    pub fn flag_c(&self) -> bool {
        self.nzcv & NZCV_C != 0
    }
    #[inline(always)]
    pub fn flag_v(&self) -> bool {
        self.nzcv & NZCV_V != 0
    }

    /// FPCR.RMode: 0 nearest-even, 1 towards +inf, 2 towards -inf, 3 towards zero.
    #[inline(always)]
    pub fn rounding_mode(&self) -> u32 {
        ((self.fpcr >> FPCR_RMODE_SHIFT) & 3) as u32
    }
}

/// For each condition, a 16-bit set of the NZCV values (index N<<3|Z<<2|C<<1|V)
/// for which it holds; built from the Arm ARM's `ConditionHolds` at compile time.
pub const CONDITION_SETS: [u16; 16] = {
    let mut sets = [0u16; 16];
    let mut cond = 0;
    while cond < 16 {
        let mut flags = 0;
        while flags < 16 {
            let (n, z, c, v) = (
                flags & 8 != 0,
                flags & 4 != 0,
                flags & 2 != 0,
                flags & 1 != 0,
            );
            let base = match cond >> 1 {
                0 => z,
                1 => c,
                2 => n,
                3 => v,
                4 => c && !z,
                5 => n == v,
                6 => n == v && !z,
                _ => true,
            };
            let holds = if cond & 1 == 1 && cond != 0b1111 {
                !base
            } else {
                base
            };
            if holds {
                sets[cond] |= 1 << flags;
            }
            flags += 1;
        }
        cond += 1;
    }
    sets
};

/// `ConditionHolds` from the Arm ARM: `cond` is the 4-bit condition field,
/// `nzcv` the flags in architectural position.
#[inline(always)]
pub fn condition_holds(cond: u32, nzcv: u64) -> bool {
    (CONDITION_SETS[(cond & 15) as usize] >> ((nzcv >> 28) & 15)) & 1 != 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xzr_and_sp_are_distinct_views_of_register_31() {
        let mut s = CpuState::new();
        s.set_xsp(31, 0x1000);
        s.set_xr(31, 0xdead);
        assert_eq!(s.sp, 0x1000);
        assert_eq!(s.xr(31), 0);
        assert_eq!(s.xsp(31), 0x1000);
    }

    #[test]
    fn conditions_follow_the_architecture_table() {
        // (cond, nzcv, expected) from the Arm ARM condition code table.
        let z = NZCV_Z;
        let n = NZCV_N;
        let v = NZCV_V;
        let c = NZCV_C;
        let cases = [
            (0x0, z, true),      // EQ
            (0x1, z, false),     // NE
            (0x2, c, true),      // CS
            (0x3, c, false),     // CC
            (0x4, n, true),      // MI
            (0x5, n, false),     // PL
            (0x6, v, true),      // VS
            (0x7, v, false),     // VC
            (0x8, c, true),      // HI
            (0x8, c | z, false), // HI
            (0x9, c | z, true),  // LS
            (0xa, n | v, true),  // GE
            (0xb, n, true),      // LT
            (0xc, 0, true),      // GT
            (0xc, z, false),     // GT
            (0xd, z, true),      // LE
            (0xe, 0, true),      // AL
            (0xf, 0, true),      // NV behaves as always
        ];
        for (cond, flags, want) in cases {
            assert_eq!(
                condition_holds(cond, flags),
                want,
                "cond {cond:#x} flags {flags:#x}"
            );
        }
    }
}
