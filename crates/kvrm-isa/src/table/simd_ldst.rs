//! Advanced SIMD load/store multiple structures (LD1-LD4 / ST1-ST4) and
//! single structures (lane and replicate), with and without post-index.
//!
//! Group bits: 31 = 0, 29..24 = 001100 (multiple) or 001101 (single), bit 23 =
//! post-index; bits 29..27 = 001 keep them apart from the scalar SIMD&FP
//! loads/stores (bits 29..27 = 111 / 101) and literal loads (011).
//! The no-offset forms fix Rm (bits 20..16) to 00000 as the Arm ARM requires;
//! the multiple-structure forms fix bit 21 = 0.

use crate::decode::{enc, Encoding};

#[rustfmt::skip]
pub const ENTRIES: &[Encoding] = &[
    // Multiple structures, no offset: Q         L        opcode size Rn  Rt
    enc("ST4_mult",     "0 q 0011000 0 000000 0000 ss nnnnn ttttt"),
    enc("ST1_mult4",    "0 q 0011000 0 000000 0010 ss nnnnn ttttt"),
    enc("ST3_mult",     "0 q 0011000 0 000000 0100 ss nnnnn ttttt"),
    enc("ST1_mult3",    "0 q 0011000 0 000000 0110 ss nnnnn ttttt"),
    enc("ST1_mult1",    "0 q 0011000 0 000000 0111 ss nnnnn ttttt"),
    enc("ST2_mult",     "0 q 0011000 0 000000 1000 ss nnnnn ttttt"),
    enc("ST1_mult2",    "0 q 0011000 0 000000 1010 ss nnnnn ttttt"),
    enc("LD4_mult",     "0 q 0011000 1 000000 0000 ss nnnnn ttttt"),
    enc("LD1_mult4",    "0 q 0011000 1 000000 0010 ss nnnnn ttttt"),
    enc("LD3_mult",     "0 q 0011000 1 000000 0100 ss nnnnn ttttt"),
    enc("LD1_mult3",    "0 q 0011000 1 000000 0110 ss nnnnn ttttt"),
    enc("LD1_mult1",    "0 q 0011000 1 000000 0111 ss nnnnn ttttt"),
    enc("LD2_mult",     "0 q 0011000 1 000000 1000 ss nnnnn ttttt"),
    enc("LD1_mult2",    "0 q 0011000 1 000000 1010 ss nnnnn ttttt"),
    // Multiple structures, post-index:  L   Rm    opcode
    enc("ST4_mult_post",  "0 q 0011001 0 0 mmmmm 0000 ss nnnnn ttttt"),
    enc("ST1_mult4_post", "0 q 0011001 0 0 mmmmm 0010 ss nnnnn ttttt"),
    enc("ST3_mult_post",  "0 q 0011001 0 0 mmmmm 0100 ss nnnnn ttttt"),
    enc("ST1_mult3_post", "0 q 0011001 0 0 mmmmm 0110 ss nnnnn ttttt"),
    enc("ST1_mult1_post", "0 q 0011001 0 0 mmmmm 0111 ss nnnnn ttttt"),
    enc("ST2_mult_post",  "0 q 0011001 0 0 mmmmm 1000 ss nnnnn ttttt"),
    enc("ST1_mult2_post", "0 q 0011001 0 0 mmmmm 1010 ss nnnnn ttttt"),
    enc("LD4_mult_post",  "0 q 0011001 1 0 mmmmm 0000 ss nnnnn ttttt"),
    enc("LD1_mult4_post", "0 q 0011001 1 0 mmmmm 0010 ss nnnnn ttttt"),
    enc("LD3_mult_post",  "0 q 0011001 1 0 mmmmm 0100 ss nnnnn ttttt"),
    enc("LD1_mult3_post", "0 q 0011001 1 0 mmmmm 0110 ss nnnnn ttttt"),
    enc("LD1_mult1_post", "0 q 0011001 1 0 mmmmm 0111 ss nnnnn ttttt"),
    enc("LD2_mult_post",  "0 q 0011001 1 0 mmmmm 1000 ss nnnnn ttttt"),
    enc("LD1_mult2_post", "0 q 0011001 1 0 mmmmm 1010 ss nnnnn ttttt"),
    // Single structure (one lane), no offset: L R         opcode S size Rn Rt
    // opcode<2:1> picks B (00), H (01), S/D (10); 11 is replicate (below) or
    // unallocated for stores and for S = 1.
    enc("ST1_lane",     "0 q 0011010 0 0 00000 oo0 x ss nnnnn ttttt"),
    enc("ST3_lane",     "0 q 0011010 0 0 00000 oo1 x ss nnnnn ttttt"),
    enc("ST2_lane",     "0 q 0011010 0 1 00000 oo0 x ss nnnnn ttttt"),
    enc("ST4_lane",     "0 q 0011010 0 1 00000 oo1 x ss nnnnn ttttt"),
    enc("LD1_lane",     "0 q 0011010 1 0 00000 oo0 x ss nnnnn ttttt"),
    enc("LD3_lane",     "0 q 0011010 1 0 00000 oo1 x ss nnnnn ttttt"),
    enc("LD2_lane",     "0 q 0011010 1 1 00000 oo0 x ss nnnnn ttttt"),
    enc("LD4_lane",     "0 q 0011010 1 1 00000 oo1 x ss nnnnn ttttt"),
    enc("LD1R",         "0 q 0011010 1 0 00000 110 0 ss nnnnn ttttt"),
    enc("LD3R",         "0 q 0011010 1 0 00000 111 0 ss nnnnn ttttt"),
    enc("LD2R",         "0 q 0011010 1 1 00000 110 0 ss nnnnn ttttt"),
    enc("LD4R",         "0 q 0011010 1 1 00000 111 0 ss nnnnn ttttt"),
    // Single structure, post-index:       L R  Rm    opcode S size
    enc("ST1_lane_post", "0 q 0011011 0 0 mmmmm oo0 x ss nnnnn ttttt"),
    enc("ST3_lane_post", "0 q 0011011 0 0 mmmmm oo1 x ss nnnnn ttttt"),
    enc("ST2_lane_post", "0 q 0011011 0 1 mmmmm oo0 x ss nnnnn ttttt"),
    enc("ST4_lane_post", "0 q 0011011 0 1 mmmmm oo1 x ss nnnnn ttttt"),
    enc("LD1_lane_post", "0 q 0011011 1 0 mmmmm oo0 x ss nnnnn ttttt"),
    enc("LD3_lane_post", "0 q 0011011 1 0 mmmmm oo1 x ss nnnnn ttttt"),
    enc("LD2_lane_post", "0 q 0011011 1 1 mmmmm oo0 x ss nnnnn ttttt"),
    enc("LD4_lane_post", "0 q 0011011 1 1 mmmmm oo1 x ss nnnnn ttttt"),
    enc("LD1R_post",     "0 q 0011011 1 0 mmmmm 110 0 ss nnnnn ttttt"),
    enc("LD3R_post",     "0 q 0011011 1 0 mmmmm 111 0 ss nnnnn ttttt"),
    enc("LD2R_post",     "0 q 0011011 1 1 mmmmm 110 0 ss nnnnn ttttt"),
    enc("LD4R_post",     "0 q 0011011 1 1 mmmmm 111 0 ss nnnnn ttttt"),
];
