//! One-operand lane operations of the two-register misc groups.

use crate::exec::fp::fpcore::*;

pub const U_ABS: u32 = 0;
pub const U_NEG: u32 = 1;
pub const U_SQRT: u32 = 2;
pub const U_FRINTN: u32 = 3;
pub const U_FRINTM: u32 = 4;
pub const U_FRINTP: u32 = 5;
pub const U_FRINTZ: u32 = 6;
pub const U_FRINTA: u32 = 7;
pub const U_FRINTX: u32 = 8;
pub const U_FRINTI: u32 = 9;
pub const U_FRINT32Z: u32 = 10;
pub const U_FRINT32X: u32 = 11;
pub const U_FRINT64Z: u32 = 12;
pub const U_FRINT64X: u32 = 13;
pub const U_CVTNS: u32 = 14;
pub const U_CVTMS: u32 = 15;
pub const U_CVTAS: u32 = 16;
pub const U_CVTPS: u32 = 17;
pub const U_CVTZS: u32 = 18;
pub const U_CVTNU: u32 = 19;
pub const U_CVTMU: u32 = 20;
pub const U_CVTAU: u32 = 21;
pub const U_CVTPU: u32 = 22;
pub const U_CVTZU: u32 = 23;
pub const U_SCVTF: u32 = 24;
pub const U_UCVTF: u32 = 25;
pub const U_RECPE: u32 = 26;
pub const U_RSQRTE: u32 = 27;
pub const U_RECPX: u32 = 28;
pub const U_CMGT0: u32 = 29;
pub const U_CMEQ0: u32 = 30;
pub const U_CMLT0: u32 = 31;
pub const U_CMGE0: u32 = 32;
pub const U_CMLE0: u32 = 33;

/// One unary operation `op` (a `U_*` constant) on a lane of format `T`.
#[inline(always)]
pub fn unop<T: Fmt>(op: u32, x: u64, c: &Ctx, fl: &mut u32) -> u64 {
    match op {
        U_ABS => x & T::ABS,
        U_NEG => x ^ T::SIGN,
        U_SQRT => sqrt::<T>(x, c, fl),
        U_FRINTN => round_int::<T>(x, RN, false, c, fl),
        U_FRINTM => round_int::<T>(x, RM, false, c, fl),
        U_FRINTP => round_int::<T>(x, RP, false, c, fl),
        U_FRINTZ => round_int::<T>(x, RZ, false, c, fl),
        U_FRINTA => round_int::<T>(x, RA, false, c, fl),
        U_FRINTX => round_int::<T>(x, c.rmode, true, c, fl),
        U_FRINTI => round_int::<T>(x, c.rmode, false, c, fl),
        U_FRINT32Z => round_int_n::<T>(x, RZ, 32, c, fl),
        U_FRINT32X => round_int_n::<T>(x, c.rmode, 32, c, fl),
        U_FRINT64Z => round_int_n::<T>(x, RZ, 64, c, fl),
        U_FRINT64X => round_int_n::<T>(x, c.rmode, 64, c, fl),
        U_CVTNS => to_fixed::<T>(x, 0, false, T::N, RN, c, fl),
        U_CVTMS => to_fixed::<T>(x, 0, false, T::N, RM, c, fl),
        U_CVTAS => to_fixed::<T>(x, 0, false, T::N, RA, c, fl),
        U_CVTPS => to_fixed::<T>(x, 0, false, T::N, RP, c, fl),
        U_CVTZS => to_fixed::<T>(x, 0, false, T::N, RZ, c, fl),
        U_CVTNU => to_fixed::<T>(x, 0, true, T::N, RN, c, fl),
        U_CVTMU => to_fixed::<T>(x, 0, true, T::N, RM, c, fl),
        U_CVTAU => to_fixed::<T>(x, 0, true, T::N, RA, c, fl),
        U_CVTPU => to_fixed::<T>(x, 0, true, T::N, RP, c, fl),
        U_CVTZU => to_fixed::<T>(x, 0, true, T::N, RZ, c, fl),
        U_SCVTF => from_fixed::<T>(x, 0, false, T::N, c, fl),
        U_UCVTF => from_fixed::<T>(x, 0, true, T::N, c, fl),
        U_RECPE => recip_est::<T>(x, c, fl),
        U_RSQRTE => rsqrt_est::<T>(x, c, fl),
        U_RECPX => recpx::<T>(x, c, fl),
        U_CMGT0 => compare_mask::<T>(x, 0, CMP_GT, false, c, fl),
        U_CMEQ0 => compare_mask::<T>(x, 0, CMP_EQ, false, c, fl),
        U_CMLT0 => compare_mask::<T>(0, x, CMP_GT, false, c, fl),
        U_CMGE0 => compare_mask::<T>(x, 0, CMP_GE, false, c, fl),
        _ => compare_mask::<T>(0, x, CMP_GE, false, c, fl),
    }
}
