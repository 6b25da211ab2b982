//! Architecture helper functions of the integer data-processing classes,
//! after the Arm ARM pseudocode (DecodeBitMasks, ShiftReg, ExtendReg,
//! bitfield moves, CountLeadingSignBits, CRC32).
//!
//! Every function is a pure function of integers with no tables larger than
//! the CRC ones, so the CUDA backend can mirror them line by line. `sf` selects
//! the 64-bit (`true`) or 32-bit (`false`) form; 32-bit results are returned
//! zero-extended.

/// `Ones(n)` as the low `n` bits of a `u64`, for `n` in 0..=64.
#[inline(always)]
pub const fn ones(n: u32) -> u64 {
    if n >= 64 {
        u64::MAX
    } else {
        (1u64 << n) - 1
    }
}

/// Mask of the operation width: all ones for sf=1, the low 32 bits for sf=0.
#[inline(always)]
pub const fn width_mask(sf: bool) -> u64 {
    if sf {
        u64::MAX
    } else {
        0xffff_ffff
    }
}

/// Operation width in bits.
#[inline(always)]
pub const fn datasize(sf: bool) -> u32 {
    if sf {
        64
    } else {
        32
    }
}

/// Sign-extend the low `len` (1..=64) bits of `x` to 64 bits.
#[inline(always)]
pub const fn sext(x: u64, len: u32) -> u64 {
    let s = 64 - len;
    (((x << s) as i64) >> s) as u64
}

/// Rotate the low `esize` bits of `x` right by `r` (< esize).
#[inline(always)]
pub const fn ror_elem(x: u64, r: u32, esize: u32) -> u64 {
    if r == 0 {
        x
    } else {
        ((x >> r) | (x << (esize - r))) & ones(esize)
    }
}

/// `Replicate(x)` of an `esize`-bit element (a power of two) to `m` bits.
#[inline(always)]
pub const fn replicate(x: u64, esize: u32, m: u32) -> u64 {
    let mut v = x;
    let mut e = esize;
    while e < m {
        v |= v << e;
        e *= 2;
    }
    v & ones(m)
}

/// `DecodeBitMasks(immN, imms, immr, immediate, M)`: the `(wmask, tmask)`
/// pair, or `None` where the architecture says UNDEFINED (no element size,
/// an element wider than `m`, or an all-ones element for a logical immediate).
#[inline(always)]
pub const fn decode_bit_masks(
    n: u32,
    imms: u32,
    immr: u32,
    immediate: bool,
    m: u32,
) -> Option<(u64, u64)> {
    let combined = ((n & 1) << 6) | (!imms & 0x3f);
    if combined < 2 {
        // HighestSetBit < 1 (includes no bit set).
        return None;
    }
    let len = 31 - combined.leading_zeros();
    let esize = 1u32 << len;
    if esize > m {
        return None;
    }
    let levels = esize - 1;
    if immediate && (imms & levels) == levels {
        return None;
    }
    let s = imms & levels;
    let r = immr & levels;
    let d = s.wrapping_sub(r) & levels;
    let welem = ones(s + 1);
    let telem = ones(d + 1);
    let wmask = replicate(ror_elem(welem, r, esize), esize, m);
    let tmask = replicate(telem, esize, m);
    Some((wmask, tmask))
}

/// NZCV of a logical operation result (ANDS/BICS): N and Z, C = V = 0.
#[inline(always)]
pub const fn logic_flags(result: u64, sf: bool) -> u64 {
    let top = if sf { result >> 63 } else { (result >> 31) & 1 };
    (top << 31) | (((result == 0) as u64) << 30)
}

/// `ShiftReg(x, type, amount)` for `amount` < datasize: 0 LSL, 1 LSR, 2 ASR, 3 ROR.
#[inline(always)]
pub const fn shift_reg(x: u64, shift_type: u32, amount: u32, sf: bool) -> u64 {
    if sf {
        match shift_type {
            0 => x << amount,
            1 => x >> amount,
            2 => ((x as i64) >> amount) as u64,
            _ => x.rotate_right(amount),
        }
    } else {
        let x = x as u32;
        (match shift_type {
            0 => x << amount,
            1 => x >> amount,
            2 => ((x as i32) >> amount) as u32,
            _ => x.rotate_right(amount),
        }) as u64
    }
}

/// `ExtendReg(x, type, shift)` to 64 bits (the caller masks to the width):
/// option 0..7 = UXTB, UXTH, UXTW, UXTX, SXTB, SXTH, SXTW, SXTX; `shift` <= 4.
#[inline(always)]
pub const fn extend_reg(x: u64, option: u32, shift: u32) -> u64 {
    let v = match option & 7 {
        0 => x & 0xff,
        1 => x & 0xffff,
        2 => x & 0xffff_ffff,
        3 => x,
        4 => x as i8 as i64 as u64,
        5 => x as i16 as i64 as u64,
        6 => x as i32 as i64 as u64,
        _ => x,
    };
    v << shift
}

/// UBFM for a valid (immr, imms) of the width (both < datasize).
#[inline(always)]
pub const fn ubfm(src: u64, immr: u32, imms: u32, sf: bool) -> u64 {
    if imms >= immr {
        (src >> immr) & ones(imms - immr + 1)
    } else {
        ((src & ones(imms + 1)) << (datasize(sf) - immr)) & width_mask(sf)
    }
}

/// SBFM for a valid (immr, imms) of the width (both < datasize).
#[inline(always)]
pub const fn sbfm(src: u64, immr: u32, imms: u32, sf: bool) -> u64 {
    if imms >= immr {
        sext(src >> immr, imms - immr + 1) & width_mask(sf)
    } else {
        (sext(src, imms + 1) << (datasize(sf) - immr)) & width_mask(sf)
    }
}

/// BFM for a valid (immr, imms) of the width (both < datasize): insert into `dst`.
#[inline(always)]
pub const fn bfm(dst: u64, src: u64, immr: u32, imms: u32, sf: bool) -> u64 {
    let (field, pos) = if imms >= immr {
        ((src >> immr) & ones(imms - immr + 1), 0)
    } else {
        (src & ones(imms + 1), datasize(sf) - immr)
    };
    let len = if imms >= immr {
        imms - immr + 1
    } else {
        imms + 1
    };
    let mask = ones(len) << pos;
    ((dst & !mask) | (field << pos)) & width_mask(sf)
}

/// EXTR: bits `[lsb + datasize - 1 : lsb]` of `hi:lo` (lsb < datasize).
#[inline(always)]
pub const fn extr(hi: u64, lo: u64, lsb: u32, sf: bool) -> u64 {
    if lsb == 0 {
        lo & width_mask(sf)
    } else if sf {
        (lo >> lsb) | (hi << (64 - lsb))
    } else {
        (((lo & 0xffff_ffff) >> lsb) | (hi << (32 - lsb))) & 0xffff_ffff
    }
}

/// `CountLeadingZeroBits` of the width.
#[inline(always)]
pub const fn clz(x: u64, sf: bool) -> u64 {
    if sf {
        x.leading_zeros() as u64
    } else {
        (x as u32).leading_zeros() as u64
    }
}

/// `CountLeadingSignBits` of the width: clz(x<N-1:1> EOR x<N-2:0>).
#[inline(always)]
pub const fn cls(x: u64, sf: bool) -> u64 {
    if sf {
        ((x ^ (x << 1)) | 1).leading_zeros() as u64
    } else {
        let x = x as u32;
        ((x ^ (x << 1)) | 1).leading_zeros() as u64
    }
}

/// Reverse the bytes within each `container`-byte chunk (2, 4 or 8) of the width.
#[inline(always)]
pub const fn rev_bytes(x: u64, container: u32, sf: bool) -> u64 {
    let r = match container {
        2 => ((x >> 8) & 0x00ff_00ff_00ff_00ff) | ((x & 0x00ff_00ff_00ff_00ff) << 8),
        4 => {
            let y = ((x >> 8) & 0x00ff_00ff_00ff_00ff) | ((x & 0x00ff_00ff_00ff_00ff) << 8);
            ((y >> 16) & 0x0000_ffff_0000_ffff) | ((y & 0x0000_ffff_0000_ffff) << 16)
        }
        _ => x.swap_bytes(),
    };
    r & width_mask(sf)
}

/// RBIT of the width.
#[inline(always)]
pub const fn rbit(x: u64, sf: bool) -> u64 {
    if sf {
        x.reverse_bits()
    } else {
        (x as u32).reverse_bits() as u64
    }
}

/// UDIV: division by zero gives 0.
#[inline(always)]
pub const fn udiv(n: u64, m: u64, sf: bool) -> u64 {
    let (n, m) = (n & width_mask(sf), m & width_mask(sf));
    match n.checked_div(m) {
        Some(q) => q,
        None => 0,
    }
}

/// SDIV: rounds towards zero; division by zero gives 0; INT_MIN / -1 gives INT_MIN.
#[inline(always)]
pub const fn sdiv(n: u64, m: u64, sf: bool) -> u64 {
    if sf {
        if m == 0 {
            0
        } else {
            (n as i64).wrapping_div(m as i64) as u64
        }
    } else if m as u32 == 0 {
        0
    } else {
        (n as i32).wrapping_div(m as i32) as u32 as u64
    }
}

/// LSLV/LSRV/ASRV/RORV: `shift_type` as in [`shift_reg`], amount taken modulo the width.
#[inline(always)]
pub const fn shift_var(x: u64, shift_type: u32, amount: u64, sf: bool) -> u64 {
    shift_reg(x, shift_type, (amount % datasize(sf) as u64) as u32, sf)
}

/// Reflected CRC polynomials: CRC-32 (0x04C11DB7) and CRC-32C (0x1EDC6F41).
pub const CRC32_POLY_REFLECTED: u32 = 0xedb8_8320;
pub const CRC32C_POLY_REFLECTED: u32 = 0x82f6_3b78;

const fn crc_table(poly: u32) -> [u32; 256] {
    let mut t = [0u32; 256];
    let mut i = 0;
    while i < 256 {
        let mut c = i as u32;
        let mut k = 0;
        while k < 8 {
            c = if c & 1 != 0 { (c >> 1) ^ poly } else { c >> 1 };
            k += 1;
        }
        t[i] = c;
        i += 1;
    }
    t
}

static CRC32_TABLE: [u32; 256] = crc_table(CRC32_POLY_REFLECTED);
static CRC32C_TABLE: [u32; 256] = crc_table(CRC32C_POLY_REFLECTED);

/// CRC32{B,H,W,X} / CRC32C{B,H,W,X}: fold the low `bytes` bytes of `val` into
/// `acc`. The Arm ARM's bit-reversed polynomial division equals the reflected
/// CRC update without initial or final inversion.
#[inline(always)]
pub fn crc32(acc: u32, val: u64, bytes: u32, castagnoli: bool) -> u32 {
    let table = if castagnoli {
        &CRC32C_TABLE
    } else {
        &CRC32_TABLE
    };
    let mut c = acc;
    let mut i = 0;
    while i < bytes {
        let b = (val >> (8 * i)) as u8;
        c = (c >> 8) ^ table[((c as u8) ^ b) as usize];
        i += 1;
    }
    c
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `Poly32Mod2` and the CRC32 pseudocode, literally (bit-reversal form).
    fn crc32_pseudocode(acc: u32, val: u64, size: u32, poly: u32) -> u32 {
        fn bitrev(x: u128, n: u32) -> u128 {
            let mut r = 0;
            for i in 0..n {
                r |= ((x >> i) & 1) << (n - 1 - i);
            }
            r
        }
        let val = val as u128 & ((1u128 << size) - 1);
        let tempacc = bitrev(acc as u128, 32) << size;
        let tempval = bitrev(val, size) << 32;
        let mut data = tempacc ^ tempval;
        let n = 32 + size;
        for i in (32..n).rev() {
            if (data >> i) & 1 != 0 {
                data ^= ((1u128 << 32) | poly as u128) << (i - 32);
            }
        }
        bitrev(data & 0xffff_ffff, 32) as u32
    }

    #[test]
    fn crc32_matches_pseudocode() {
        let mut s = 0x1234_5678_9abc_def1u64;
        for _ in 0..500 {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            let acc = (s >> 7) as u32;
            for (bytes, c) in [(1, false), (2, false), (4, true), (8, true), (8, false)] {
                let poly = if c { 0x1edc_6f41 } else { 0x04c1_1db7 };
                assert_eq!(
                    crc32(acc, s, bytes, c),
                    crc32_pseudocode(acc, s, bytes * 8, poly)
                );
            }
        }
        // Standard check value: CRC-32("123456789") = 0xCBF43926 with inversions.
        let mut c = !0u32;
        for b in b"123456789" {
            c = crc32(c, *b as u64, 1, false);
        }
        assert_eq!(!c, 0xcbf4_3926);
        let mut c = !0u32;
        for b in b"123456789" {
            c = crc32(c, *b as u64, 1, true);
        }
        assert_eq!(!c, 0xe306_9283);
    }

    #[test]
    fn bit_masks_of_every_element_size() {
        // (N, imms, immr, M) -> wmask, from the Arm ARM's logical immediate table.
        let cases = [
            (1, 0b000000, 0, 64, Some(1u64)),
            (1, 0b111110, 0, 64, Some(0x7fff_ffff_ffff_ffff)),
            (1, 0b111111, 0, 64, None), // all ones
            (0, 0b011111, 0, 32, None),
            (0, 0b000000, 0, 32, Some(0x0000_0001)),
            (0, 0b000000, 0, 64, Some(0x0000_0001_0000_0001)),
            (0, 0b100000, 0, 64, Some(0x0001_0001_0001_0001)),
            (0, 0b110000, 0, 64, Some(0x0101_0101_0101_0101)),
            (0, 0b111000, 0, 64, Some(0x1111_1111_1111_1111)),
            (0, 0b111100, 0, 64, Some(0x5555_5555_5555_5555)),
            (0, 0b111100, 1, 64, Some(0xaaaa_aaaa_aaaa_aaaa)),
            (0, 0b111101, 0, 64, None), // 2-bit all ones
            (0, 0b111110, 0, 64, None), // no element size
            (0, 0b111111, 0, 64, None),
            // 8-bit element 0b00001111 rotated right by 2 = 0b11000011.
            (0, 0b110011, 2, 64, Some(0xc3c3_c3c3_c3c3_c3c3)),
            (1, 0b000000, 0, 32, None), // element wider than M
        ];
        for (n, imms, immr, m, want) in cases {
            let got = decode_bit_masks(n, imms, immr, true, m).map(|p| p.0);
            assert_eq!(got, want, "N={n} imms={imms:#b} immr={immr} M={m}");
        }
    }

    /// The bitfield pseudocode, literally, with DecodeBitMasks.
    fn bitfield_pseudocode(opc: u32, dst: u64, src: u64, immr: u32, imms: u32, sf: bool) -> u64 {
        let m = datasize(sf);
        let (wmask, tmask) = decode_bit_masks(sf as u32, imms, immr, false, m).unwrap();
        let dst = dst & width_mask(sf);
        let src = src & width_mask(sf);
        let rot = ror_elem(src, immr, m);
        let bot = match opc {
            1 => (dst & !wmask) | (rot & wmask),
            _ => rot & wmask,
        };
        let top = match opc {
            0 if (src >> imms) & 1 != 0 => width_mask(sf),
            1 => dst,
            _ => 0,
        };
        ((top & !tmask) | (bot & tmask)) & width_mask(sf)
    }

    #[test]
    fn bitfield_fast_paths_match_pseudocode() {
        let mut s = 0x9e37_79b9_7f4a_7c15u64;
        for sf in [false, true] {
            let m = datasize(sf);
            for immr in 0..m {
                for imms in 0..m {
                    s ^= s << 13;
                    s ^= s >> 7;
                    s ^= s << 17;
                    let src = s;
                    let dst = s.rotate_left(29) ^ 0x5555;
                    assert_eq!(
                        sbfm(src, immr, imms, sf),
                        bitfield_pseudocode(0, dst, src, immr, imms, sf),
                        "SBFM sf={sf} immr={immr} imms={imms} src={src:#x}"
                    );
                    assert_eq!(
                        bfm(dst, src, immr, imms, sf),
                        bitfield_pseudocode(1, dst, src, immr, imms, sf),
                        "BFM sf={sf} immr={immr} imms={imms}"
                    );
                    assert_eq!(
                        ubfm(src, immr, imms, sf),
                        bitfield_pseudocode(2, dst, src, immr, imms, sf),
                        "UBFM sf={sf} immr={immr} imms={imms}"
                    );
                }
            }
        }
    }

    #[test]
    fn count_and_reverse() {
        assert_eq!(cls(0, true), 63);
        assert_eq!(cls(u64::MAX, true), 63);
        assert_eq!(cls(0xffff_ffff, false), 31);
        assert_eq!(cls(0x4000_0000, false), 0);
        assert_eq!(cls(0xc000_0000, false), 1);
        assert_eq!(cls(0xe000_0000, false), 2);
        assert_eq!(clz(0, false), 32);
        assert_eq!(clz(0xffff_ffff_0000_0000, false), 32);
        assert_eq!(
            rev_bytes(0x0102_0304_0506_0708, 2, true),
            0x0201_0403_0605_0807
        );
        assert_eq!(
            rev_bytes(0x0102_0304_0506_0708, 4, true),
            0x0403_0201_0807_0605
        );
        assert_eq!(rev_bytes(0x0102_0304_0506_0708, 4, false), 0x0807_0605);
        assert_eq!(
            rev_bytes(0x0102_0304_0506_0708, 8, true),
            0x0807_0605_0403_0201
        );
        assert_eq!(rbit(1, false), 0x8000_0000);
    }

    #[test]
    fn division_edges() {
        assert_eq!(sdiv(i64::MIN as u64, u64::MAX, true), i64::MIN as u64);
        assert_eq!(sdiv(0x8000_0000, 0xffff_ffff, false), 0x8000_0000);
        assert_eq!(sdiv(5, 0, true), 0);
        assert_eq!(udiv(5, 0x1_0000_0000, false), 0);
        assert_eq!(sdiv((-7i64) as u64, 2, true), (-3i64) as u64);
    }
}
