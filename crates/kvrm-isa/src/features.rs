//! What kvrm implements, said once: the ID register values that MRS returns
//! (as Linux shows them to EL0) and the AT_HWCAP / AT_HWCAP2 bits the Linux
//! layer advertises. glibc picks its string and memory routines from the HWCAP
//! bits, so they must claim exactly what is implemented and oracle-tested.

/// ID_AA64PFR0_EL1: EL0 = EL1 = 1 (AArch64 only), FP = 0 and AdvSIMD = 0
/// (implemented, without half-precision arithmetic), no SVE.
pub const ID_AA64PFR0: u64 = 0x11;
/// ID_AA64DFR0_EL1: DebugVer = 6 (the safe value Linux shows).
pub const ID_AA64DFR0: u64 = 0x6;
/// ID_AA64ISAR0_EL1: TS = 2 (FlagM, FlagM2), DP = 1 (SDOT/UDOT), SHA3 = 1
/// (EOR3, BCAX, RAX1, XAR), RDM = 1 (SQRDMLAH/SQRDMLSH), Atomic = 2 (LSE),
/// CRC32 = 1, SHA2 = 2 (SHA-256 and SHA-512), SHA1 = 1, AES = 2 (AES and
/// 64-bit PMULL). No SM3/SM4/FHM/RNDR.
pub const ID_AA64ISAR0: u64 = (2 << 52)
    | (1 << 44)
    | (1 << 32)
    | (1 << 28)
    | (2 << 20)
    | (1 << 16)
    | (2 << 12)
    | (1 << 8)
    | (2 << 4);
/// ID_AA64ISAR1_EL1: SB = 1, FRINTTS = 1 (FRINT32/64), LRCPC = 2 (LDAPR,
/// LDAPUR/STLUR), JSCVT = 1 (FJCVTZS), DPB = 2 (DC CVAP, DC CVADP). No PAuth,
/// FCMA, BF16 or I8MM.
pub const ID_AA64ISAR1: u64 = (1 << 36) | (1 << 32) | (2 << 20) | (1 << 12) | 2;
/// ID_AA64ISAR2_EL1: BC = 1 (BC.cond).
pub const ID_AA64ISAR2: u64 = 1 << 20;

/// AT_HWCAP bits (Linux arch/arm64/include/uapi/asm/hwcap.h).
pub mod hwcap {
    pub const FP: u64 = 1 << 0;
    pub const ASIMD: u64 = 1 << 1;
    pub const EVTSTRM: u64 = 1 << 2;
    pub const AES: u64 = 1 << 3;
    pub const PMULL: u64 = 1 << 4;
    pub const SHA1: u64 = 1 << 5;
    pub const SHA2: u64 = 1 << 6;
    pub const CRC32: u64 = 1 << 7;
    pub const ATOMICS: u64 = 1 << 8;
    pub const FPHP: u64 = 1 << 9;
    pub const ASIMDHP: u64 = 1 << 10;
    pub const CPUID: u64 = 1 << 11;
    pub const ASIMDRDM: u64 = 1 << 12;
    pub const JSCVT: u64 = 1 << 13;
    pub const LRCPC: u64 = 1 << 15;
    pub const DCPOP: u64 = 1 << 16;
    pub const SHA3: u64 = 1 << 17;
    pub const ASIMDDP: u64 = 1 << 20;
    pub const SHA512: u64 = 1 << 21;
    pub const SVE: u64 = 1 << 22;
    pub const ILRCPC: u64 = 1 << 26;
    pub const FLAGM: u64 = 1 << 27;
    pub const SB: u64 = 1 << 29;
    pub const PACA: u64 = 1 << 30;
    pub const PACG: u64 = 1 << 31;
    /// AT_HWCAP2 bits.
    pub const HWCAP2_DCPODP: u64 = 1 << 0;
    pub const HWCAP2_FLAGM2: u64 = 1 << 7;
    pub const HWCAP2_FRINT: u64 = 1 << 8;
    pub const HWCAP2_HBC: u64 = 1 << 44;
}

/// AT_HWCAP: CPUID because MRS of the ID registers works as on Linux.
/// Not advertised: FPHP/ASIMDHP (no half-precision arithmetic), SM3/SM4,
/// SVE, pointer authentication, the event stream.
pub const HWCAP: u64 = hwcap::FP
    | hwcap::ASIMD
    | hwcap::AES
    | hwcap::PMULL
    | hwcap::SHA1
    | hwcap::SHA2
    | hwcap::CRC32
    | hwcap::ATOMICS
    | hwcap::CPUID
    | hwcap::ASIMDRDM
    | hwcap::JSCVT
    | hwcap::LRCPC
    | hwcap::DCPOP
    | hwcap::SHA3
    | hwcap::ASIMDDP
    | hwcap::SHA512
    | hwcap::ILRCPC
    | hwcap::FLAGM
    | hwcap::SB;

/// AT_HWCAP2.
pub const HWCAP2: u64 =
    hwcap::HWCAP2_DCPODP | hwcap::HWCAP2_FLAGM2 | hwcap::HWCAP2_FRINT | hwcap::HWCAP2_HBC;

#[cfg(test)]
mod tests {
    use super::*;

    fn field(reg: u64, lsb: u32) -> u64 {
        (reg >> lsb) & 0xf
    }

    /// Each HWCAP bit is set exactly when the ID register field Linux derives
    /// it from says the feature is there (arch/arm64/kernel/cpufeature.c).
    #[test]
    fn hwcaps_follow_the_id_registers() {
        let cases = [
            (HWCAP, hwcap::AES, field(ID_AA64ISAR0, 4) >= 1),
            (HWCAP, hwcap::PMULL, field(ID_AA64ISAR0, 4) >= 2),
            (HWCAP, hwcap::SHA1, field(ID_AA64ISAR0, 8) >= 1),
            (HWCAP, hwcap::SHA2, field(ID_AA64ISAR0, 12) >= 1),
            (HWCAP, hwcap::SHA512, field(ID_AA64ISAR0, 12) >= 2),
            (HWCAP, hwcap::SHA3, field(ID_AA64ISAR0, 32) >= 1),
            (HWCAP, hwcap::CRC32, field(ID_AA64ISAR0, 16) >= 1),
            (HWCAP, hwcap::ATOMICS, field(ID_AA64ISAR0, 20) >= 2),
            (HWCAP, hwcap::ASIMDRDM, field(ID_AA64ISAR0, 28) >= 1),
            (HWCAP, hwcap::ASIMDDP, field(ID_AA64ISAR0, 44) >= 1),
            (HWCAP, hwcap::FLAGM, field(ID_AA64ISAR0, 52) >= 1),
            (HWCAP2, hwcap::HWCAP2_FLAGM2, field(ID_AA64ISAR0, 52) >= 2),
            (HWCAP, hwcap::DCPOP, field(ID_AA64ISAR1, 0) >= 1),
            (HWCAP2, hwcap::HWCAP2_DCPODP, field(ID_AA64ISAR1, 0) >= 2),
            (HWCAP, hwcap::JSCVT, field(ID_AA64ISAR1, 12) >= 1),
            (HWCAP, hwcap::LRCPC, field(ID_AA64ISAR1, 20) >= 1),
            (HWCAP, hwcap::ILRCPC, field(ID_AA64ISAR1, 20) >= 2),
            (HWCAP2, hwcap::HWCAP2_FRINT, field(ID_AA64ISAR1, 32) >= 1),
            (HWCAP, hwcap::SB, field(ID_AA64ISAR1, 36) >= 1),
            (HWCAP2, hwcap::HWCAP2_HBC, field(ID_AA64ISAR2, 20) >= 1),
            (HWCAP, hwcap::FP, field(ID_AA64PFR0, 16) != 0xf),
            (HWCAP, hwcap::ASIMD, field(ID_AA64PFR0, 20) != 0xf),
        ];
        for (i, (word, bit, want)) in cases.into_iter().enumerate() {
            assert_eq!(word & bit != 0, want, "case {i}: bit {bit:#x}");
        }
    }
}
