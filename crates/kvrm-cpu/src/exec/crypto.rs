//! The Cryptographic Extension (see `kvrm_isa::table::crypto`): AES rounds
//! (AESE, AESD, AESMC, AESIMC), SHA-1 and SHA-256 rounds and schedule updates,
//! SHA-512 rounds and schedule updates, and the SHA-3 helpers (EOR3, BCAX,
//! RAX1, XAR). Semantics follow the Arm ARM pseudo-code.
//!
//! Registers are handled as `u128` values; SHA-1/SHA-256 see them as four
//! 32-bit words ([`words`] / [`from_words`]), SHA-512 and SHA-3 as two 64-bit
//! halves ([`halves`] / [`from_halves`]). Every result writes the whole V
//! register. None of these instructions touches FPSR.

use kvrm_isa::decode::{bits, rd, rm, rn};

use crate::exec::{ExecFn, Flow};
use crate::Cpu;

pub const HANDLERS: &[(&str, ExecFn)] = &[
    ("AESE", aese),
    ("AESD", aesd),
    ("AESMC", aesmc),
    ("AESIMC", aesimc),
    ("SHA1C", sha1_hash::<0>),
    ("SHA1P", sha1_hash::<1>),
    ("SHA1M", sha1_hash::<2>),
    ("SHA1SU0", sha1su0),
    ("SHA256H", sha256h),
    ("SHA256H2", sha256h2),
    ("SHA256SU1", sha256su1),
    ("SHA1H", sha1h),
    ("SHA1SU1", sha1su1),
    ("SHA256SU0", sha256su0),
    ("SHA512H", sha512h),
    ("SHA512H2", sha512h2),
    ("SHA512SU1", sha512su1),
    ("RAX1", rax1),
    ("SHA512SU0", sha512su0),
    ("EOR3", eor3),
    ("BCAX", bcax),
    ("XAR", xar),
];

// ----- register views ---------------------------------------------------------------

/// The four 32-bit words of `v`, word 0 the least significant.
#[inline(always)]
fn words(v: u128) -> [u32; 4] {
    [
        v as u32,
        (v >> 32) as u32,
        (v >> 64) as u32,
        (v >> 96) as u32,
    ]
}

#[inline(always)]
fn from_words(w: [u32; 4]) -> u128 {
    w.iter().rev().fold(0, |acc, &x| (acc << 32) | x as u128)
}

/// The two 64-bit halves of `v`: [bits 63..0, bits 127..64].
#[inline(always)]
fn halves(v: u128) -> [u64; 2] {
    [v as u64, (v >> 64) as u64]
}

#[inline(always)]
fn from_halves(lo: u64, hi: u64) -> u128 {
    lo as u128 | (hi as u128) << 64
}

/// Ra of the four-register forms (bits 14..10).
#[inline(always)]
fn ra(w: u32) -> u32 {
    bits(w, 10, 5)
}

// ----- AES --------------------------------------------------------------------------
//
// The AES state is the 16 bytes of the register, byte i = row i % 4 of column
// i / 4 (FIPS-197's column-major input order).

/// Multiplication in GF(2^8) modulo the AES polynomial x^8 + x^4 + x^3 + x + 1.
const fn gf_mul(mut a: u8, mut b: u8) -> u8 {
    let mut p = 0u8;
    while b != 0 {
        if b & 1 != 0 {
            p ^= a;
        }
        // xtime: multiply a by x, reducing by the polynomial.
        a = (a << 1) ^ if a & 0x80 != 0 { 0x1B } else { 0 };
        b >>= 1;
    }
    p
}

/// The multiplicative inverse in GF(2^8) (0 maps to 0): a^254, since a^255 = 1.
const fn gf_inv(a: u8) -> u8 {
    let mut result = 1u8;
    let mut base = a;
    let mut e = 254u32;
    while e != 0 {
        if e & 1 != 0 {
            result = gf_mul(result, base);
        }
        base = gf_mul(base, base);
        e >>= 1;
    }
    result
}

/// FIPS-197's S-box: the inverse followed by the affine map
/// b ^ rotl(b,1) ^ rotl(b,2) ^ rotl(b,3) ^ rotl(b,4) ^ 0x63.
const SBOX: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut i = 0;
    while i < 256 {
        let b = gf_inv(i as u8);
        t[i] = b ^ b.rotate_left(1) ^ b.rotate_left(2) ^ b.rotate_left(3) ^ b.rotate_left(4) ^ 0x63;
        i += 1;
    }
    t
};

/// The inverse S-box, by inverting [`SBOX`].
const INV_SBOX: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut i = 0;
    while i < 256 {
        t[SBOX[i] as usize] = i as u8;
        i += 1;
    }
    t
};

/// AESShiftRows (`right` false: row r rotates left by r columns, so
/// out[row r, column c] = in[row r, column (c + r) % 4]) or AESInvShiftRows
/// (`right`: row r rotates right by r columns), then each byte through
/// `table` (SubBytes or InvSubBytes: the two steps commute).
#[inline(always)]
fn shift_sub(s: [u8; 16], right: bool, table: &[u8; 256]) -> [u8; 16] {
    let mut out = [0u8; 16];
    for (i, o) in out.iter_mut().enumerate() {
        let (r, c) = (i % 4, i / 4);
        let from = if right { (c + 4 - r) % 4 } else { (c + r) % 4 };
        *o = table[s[r + 4 * from] as usize];
    }
    out
}

/// `x` times the constant `k` in GF(2^8), for every byte `x`.
const fn times(k: u8) -> [u8; 256] {
    let mut t = [0u8; 256];
    let mut i = 0;
    while i < 256 {
        t[i] = gf_mul(i as u8, k);
        i += 1;
    }
    t
}

/// The products MixColumns and InvMixColumns need, by lookup instead of
/// `gf_mul`'s loop (AES code runs one of them every round).
static TIMES_1: [u8; 256] = times(1);
static TIMES_2: [u8; 256] = times(2);
static TIMES_3: [u8; 256] = times(3);
static TIMES_9: [u8; 256] = times(9);
static TIMES_11: [u8; 256] = times(11);
static TIMES_13: [u8; 256] = times(13);
static TIMES_14: [u8; 256] = times(14);

/// Each column times the circulant matrix whose first row multiplies by
/// `row` ({2,3,1,1} for MixColumns, {14,11,13,9} for InvMixColumns): byte r
/// of a column is the sum over k of row[k] times byte (r + k) % 4.
#[inline(always)]
fn mix_columns(s: [u8; 16], row: [&[u8; 256]; 4]) -> [u8; 16] {
    let mut out = [0u8; 16];
    for c in 0..4 {
        let col = &s[4 * c..4 * c + 4];
        for r in 0..4 {
            out[4 * c + r] = row[0][col[r] as usize]
                ^ row[1][col[(r + 1) % 4] as usize]
                ^ row[2][col[(r + 2) % 4] as usize]
                ^ row[3][col[(r + 3) % 4] as usize];
        }
    }
    out
}

/// AESE: Vd = SubBytes(ShiftRows(Vd EOR Vn)) (AddRoundKey, then the round).
fn aese(cpu: &mut Cpu, w: u32) -> Flow {
    let s = (cpu.state.vreg(rd(w)) ^ cpu.state.vreg(rn(w))).to_le_bytes();
    let s = shift_sub(s, false, &SBOX);
    cpu.state.set_vreg(rd(w), u128::from_le_bytes(s));
    Flow::Next
}

/// AESD: Vd = InvSubBytes(InvShiftRows(Vd EOR Vn)).
fn aesd(cpu: &mut Cpu, w: u32) -> Flow {
    let s = (cpu.state.vreg(rd(w)) ^ cpu.state.vreg(rn(w))).to_le_bytes();
    let s = shift_sub(s, true, &INV_SBOX);
    cpu.state.set_vreg(rd(w), u128::from_le_bytes(s));
    Flow::Next
}

/// AESMC: Vd = MixColumns(Vn).
fn aesmc(cpu: &mut Cpu, w: u32) -> Flow {
    let s = mix_columns(
        cpu.state.vreg(rn(w)).to_le_bytes(),
        [&TIMES_2, &TIMES_3, &TIMES_1, &TIMES_1],
    );
    cpu.state.set_vreg(rd(w), u128::from_le_bytes(s));
    Flow::Next
}

/// AESIMC: Vd = InvMixColumns(Vn).
fn aesimc(cpu: &mut Cpu, w: u32) -> Flow {
    let s = mix_columns(
        cpu.state.vreg(rn(w)).to_le_bytes(),
        [&TIMES_14, &TIMES_11, &TIMES_13, &TIMES_9],
    );
    cpu.state.set_vreg(rd(w), u128::from_le_bytes(s));
    Flow::Next
}

// ----- SHA-1 ------------------------------------------------------------------------

/// SHAchoose: bits of y where x is set, else of z.
#[inline(always)]
fn choose(x: u32, y: u32, z: u32) -> u32 {
    ((y ^ z) & x) ^ z
}

#[inline(always)]
fn parity(x: u32, y: u32, z: u32) -> u32 {
    x ^ y ^ z
}

#[inline(always)]
fn majority(x: u32, y: u32, z: u32) -> u32 {
    (x & y) | ((x | y) & z)
}

/// SHA1C (F = 0: choose), SHA1P (1: parity), SHA1M (2: majority): four SHA-1
/// rounds on abcd = Qd and e = Sn with the schedule words Vm.4S; Qd gets the
/// new abcd.
fn sha1_hash<const F: u8>(cpu: &mut Cpu, w: u32) -> Flow {
    let f = match F {
        0 => choose,
        1 => parity,
        _ => majority,
    };
    // x = [a, b, c, d] as the words 0..3 of Qd; y = e.
    let mut x = words(cpu.state.vreg(rd(w)));
    let mut y = cpu.state.vreg(rn(w)) as u32;
    let wk = words(cpu.state.vreg(rm(w)));
    for &wk_e in &wk {
        let t = f(x[1], x[2], x[3]);
        y = y
            .wrapping_add(x[0].rotate_left(5))
            .wrapping_add(t)
            .wrapping_add(wk_e);
        x[1] = x[1].rotate_left(30);
        // <Y, X> = ROL(Y:X, 32): the 160-bit rotate moves each word up one
        // place, Y into word 0 and word 3 out into Y.
        let out = x[3];
        x = [y, x[0], x[1], x[2]];
        y = out;
    }
    cpu.state.set_vreg(rd(w), from_words(x));
    Flow::Next
}

/// SHA1H: Sd = ROL(Sn, 30), the fixed rotate of b in a SHA-1 round.
fn sha1h(cpu: &mut Cpu, w: u32) -> Flow {
    let x = cpu.state.vreg(rn(w)) as u32;
    cpu.state.set_vreg(rd(w), x.rotate_left(30) as u128);
    Flow::Next
}

/// SHA1SU0: Vd = (Vn<63:0> : Vd<127:64>) EOR Vd EOR Vm, the first half of the
/// SHA-1 schedule update W[t-14] ^ W[t-16] ^ W[t-8].
fn sha1su0(cpu: &mut Cpu, w: u32) -> Flow {
    let d = cpu.state.vreg(rd(w));
    let n = cpu.state.vreg(rn(w));
    let m = cpu.state.vreg(rm(w));
    let t = (n << 64) | (d >> 64);
    cpu.state.set_vreg(rd(w), t ^ d ^ m);
    Flow::Next
}

/// SHA1SU1: the second half, EOR with W[t-3] and ROL 1; the last word's
/// W[t-3] is the first word's result, hence its extra ROL(T<31:0>, 2).
fn sha1su1(cpu: &mut Cpu, w: u32) -> Flow {
    let t = words(cpu.state.vreg(rd(w)) ^ (cpu.state.vreg(rn(w)) >> 32));
    let mut r = t.map(|x| x.rotate_left(1));
    r[3] ^= t[0].rotate_left(2);
    cpu.state.set_vreg(rd(w), from_words(r));
    Flow::Next
}

// ----- SHA-256 ----------------------------------------------------------------------

/// Σ0 of the SHA-256 compression function.
#[inline(always)]
fn sigma0_256(x: u32) -> u32 {
    x.rotate_right(2) ^ x.rotate_right(13) ^ x.rotate_right(22)
}

/// Σ1 of the SHA-256 compression function.
#[inline(always)]
fn sigma1_256(x: u32) -> u32 {
    x.rotate_right(6) ^ x.rotate_right(11) ^ x.rotate_right(25)
}

/// SHA256hash: four rounds on x = abcd and y = efgh with the words `wk`
/// (message plus round constant); returns the new (abcd, efgh).
fn sha256_rounds(mut x: [u32; 4], mut y: [u32; 4], wk: [u32; 4]) -> ([u32; 4], [u32; 4]) {
    for &wk_e in &wk {
        let chs = choose(y[0], y[1], y[2]);
        let maj = majority(x[0], x[1], x[2]);
        let t = y[3]
            .wrapping_add(sigma1_256(y[0]))
            .wrapping_add(chs)
            .wrapping_add(wk_e);
        x[3] = t.wrapping_add(x[3]);
        y[3] = t.wrapping_add(sigma0_256(x[0])).wrapping_add(maj);
        // <Y, X> = ROL(Y:X, 32) over 256 bits.
        (x, y) = ([y[3], x[0], x[1], x[2]], [x[3], y[0], y[1], y[2]]);
    }
    (x, y)
}

/// SHA256H: Qd = abcd after four rounds of (abcd = Qd, efgh = Qn, Vm.4S).
fn sha256h(cpu: &mut Cpu, w: u32) -> Flow {
    let x = words(cpu.state.vreg(rd(w)));
    let y = words(cpu.state.vreg(rn(w)));
    let wk = words(cpu.state.vreg(rm(w)));
    let (abcd, _) = sha256_rounds(x, y, wk);
    cpu.state.set_vreg(rd(w), from_words(abcd));
    Flow::Next
}

/// SHA256H2: Qd = efgh after four rounds of (abcd = Qn, efgh = Qd, Vm.4S).
fn sha256h2(cpu: &mut Cpu, w: u32) -> Flow {
    let x = words(cpu.state.vreg(rn(w)));
    let y = words(cpu.state.vreg(rd(w)));
    let wk = words(cpu.state.vreg(rm(w)));
    let (_, efgh) = sha256_rounds(x, y, wk);
    cpu.state.set_vreg(rd(w), from_words(efgh));
    Flow::Next
}

/// σ0 of the SHA-256 message schedule.
#[inline(always)]
fn ssig0_256(x: u32) -> u32 {
    x.rotate_right(7) ^ x.rotate_right(18) ^ (x >> 3)
}

/// σ1 of the SHA-256 message schedule.
#[inline(always)]
fn ssig1_256(x: u32) -> u32 {
    x.rotate_right(17) ^ x.rotate_right(19) ^ (x >> 10)
}

/// SHA256SU0: Vd.S[e] += σ0(W[t-15]), where T = Vn<31:0> : Vd<127:32>
/// supplies W[t-15] for each of the four words.
fn sha256su0(cpu: &mut Cpu, w: u32) -> Flow {
    let d = cpu.state.vreg(rd(w));
    let t = words((cpu.state.vreg(rn(w)) << 96) | (d >> 32));
    let d = words(d);
    let r: [u32; 4] = std::array::from_fn(|e| ssig0_256(t[e]).wrapping_add(d[e]));
    cpu.state.set_vreg(rd(w), from_words(r));
    Flow::Next
}

/// SHA256SU1: Vd.S[e] += W[t-7] + σ1(W[t-2]); W[t-7] comes from
/// T0 = Vm<31:0> : Vn<127:32>, W[t-2] from Vm<127:64> for words 0 and 1 and
/// from the words 0 and 1 just computed for words 2 and 3.
fn sha256su1(cpu: &mut Cpu, w: u32) -> Flow {
    let d = words(cpu.state.vreg(rd(w)));
    let m = cpu.state.vreg(rm(w));
    let t0 = words((m << 96) | (cpu.state.vreg(rn(w)) >> 32));
    let m = words(m);
    let mut r = [0u32; 4];
    for e in 0..4 {
        let w2 = if e < 2 { m[e + 2] } else { r[e - 2] };
        r[e] = ssig1_256(w2).wrapping_add(d[e]).wrapping_add(t0[e]);
    }
    cpu.state.set_vreg(rd(w), from_words(r));
    Flow::Next
}

// ----- SHA-512 ----------------------------------------------------------------------

/// Σ0 of the SHA-512 compression function.
#[inline(always)]
fn sigma0_512(x: u64) -> u64 {
    x.rotate_right(28) ^ x.rotate_right(34) ^ x.rotate_right(39)
}

/// Σ1 of the SHA-512 compression function.
#[inline(always)]
fn sigma1_512(x: u64) -> u64 {
    x.rotate_right(14) ^ x.rotate_right(18) ^ x.rotate_right(41)
}

/// σ0 of the SHA-512 message schedule.
#[inline(always)]
fn ssig0_512(x: u64) -> u64 {
    x.rotate_right(1) ^ x.rotate_right(8) ^ (x >> 7)
}

/// σ1 of the SHA-512 message schedule.
#[inline(always)]
fn ssig1_512(x: u64) -> u64 {
    x.rotate_right(19) ^ x.rotate_right(61) ^ (x >> 6)
}

/// The SHA-512 Ch(x, y, z): bits of y where x is set, else of z.
#[inline(always)]
fn ch64(x: u64, y: u64, z: u64) -> u64 {
    (x & y) ^ (!x & z)
}

/// The SHA-512 Maj(x, y, z).
#[inline(always)]
fn maj64(x: u64, y: u64, z: u64) -> u64 {
    (x & y) ^ (x & z) ^ (y & z)
}

/// SHA512H: Σ1 + Ch of two SHA-512 rounds added to Vd (which holds the
/// h + K + W sums); X = Vn, Y = Vm as in the Arm ARM. The high half is
/// computed first: the low half's round uses it (plus Y<63:0>) as its e.
fn sha512h(cpu: &mut Cpu, w: u32) -> Flow {
    let [x0, x1] = halves(cpu.state.vreg(rn(w)));
    let [y0, y1] = halves(cpu.state.vreg(rm(w)));
    let [w0, w1] = halves(cpu.state.vreg(rd(w)));
    let hi = ch64(y1, x0, x1)
        .wrapping_add(sigma1_512(y1))
        .wrapping_add(w1);
    let tmp = hi.wrapping_add(y0);
    let lo = ch64(tmp, y1, x0)
        .wrapping_add(sigma1_512(tmp))
        .wrapping_add(w0);
    cpu.state.set_vreg(rd(w), from_halves(lo, hi));
    Flow::Next
}

/// SHA512H2: the T2 halves (Σ0 + Maj) of two rounds, added to Vd; X = Vn,
/// Y = Vm; the low half uses the high half just computed.
fn sha512h2(cpu: &mut Cpu, w: u32) -> Flow {
    let [x0, _] = halves(cpu.state.vreg(rn(w)));
    let [y0, y1] = halves(cpu.state.vreg(rm(w)));
    let [w0, w1] = halves(cpu.state.vreg(rd(w)));
    let hi = maj64(x0, y1, y0)
        .wrapping_add(sigma0_512(y0))
        .wrapping_add(w1);
    let lo = maj64(hi, y0, y1)
        .wrapping_add(sigma0_512(hi))
        .wrapping_add(w0);
    cpu.state.set_vreg(rd(w), from_halves(lo, hi));
    Flow::Next
}

/// SHA512SU0: Vd.D[i] += σ0(W[t-15]): W[t-15] is Vd<127:64> for the low
/// half and Vn<63:0> for the high half.
fn sha512su0(cpu: &mut Cpu, w: u32) -> Flow {
    let [x0, _] = halves(cpu.state.vreg(rn(w)));
    let [w0, w1] = halves(cpu.state.vreg(rd(w)));
    let lo = w0.wrapping_add(ssig0_512(w1));
    let hi = w1.wrapping_add(ssig0_512(x0));
    cpu.state.set_vreg(rd(w), from_halves(lo, hi));
    Flow::Next
}

/// SHA512SU1: Vd.D[i] += σ1(Vn.D[i]) + Vm.D[i] (σ1 of W[t-2], plus W[t-7]).
fn sha512su1(cpu: &mut Cpu, w: u32) -> Flow {
    let [x0, x1] = halves(cpu.state.vreg(rn(w)));
    let [y0, y1] = halves(cpu.state.vreg(rm(w)));
    let [w0, w1] = halves(cpu.state.vreg(rd(w)));
    let lo = w0.wrapping_add(ssig1_512(x0)).wrapping_add(y0);
    let hi = w1.wrapping_add(ssig1_512(x1)).wrapping_add(y1);
    cpu.state.set_vreg(rd(w), from_halves(lo, hi));
    Flow::Next
}

// ----- SHA-3 helpers ----------------------------------------------------------------

/// EOR3: Vd = Vn EOR Vm EOR Va.
fn eor3(cpu: &mut Cpu, w: u32) -> Flow {
    let v = cpu.state.vreg(rn(w)) ^ cpu.state.vreg(rm(w)) ^ cpu.state.vreg(ra(w));
    cpu.state.set_vreg(rd(w), v);
    Flow::Next
}

/// BCAX: Vd = Vn EOR (Vm AND NOT Va), Keccak's chi step.
fn bcax(cpu: &mut Cpu, w: u32) -> Flow {
    let v = cpu.state.vreg(rn(w)) ^ (cpu.state.vreg(rm(w)) & !cpu.state.vreg(ra(w)));
    cpu.state.set_vreg(rd(w), v);
    Flow::Next
}

/// RAX1: Vd.2D = Vn EOR ROL(Vm, 1) per 64-bit lane (Keccak's theta step).
fn rax1(cpu: &mut Cpu, w: u32) -> Flow {
    let [n0, n1] = halves(cpu.state.vreg(rn(w)));
    let [m0, m1] = halves(cpu.state.vreg(rm(w)));
    let v = from_halves(n0 ^ m0.rotate_left(1), n1 ^ m1.rotate_left(1));
    cpu.state.set_vreg(rd(w), v);
    Flow::Next
}

/// XAR: Vd.2D = ROR(Vn EOR Vm, imm6) per 64-bit lane (Keccak's rho step).
fn xar(cpu: &mut Cpu, w: u32) -> Flow {
    let imm6 = bits(w, 10, 6);
    let [t0, t1] = halves(cpu.state.vreg(rn(w)) ^ cpu.state.vreg(rm(w)));
    let v = from_halves(t0.rotate_right(imm6), t1.rotate_right(imm6));
    cpu.state.set_vreg(rd(w), v);
    Flow::Next
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sbox_matches_fips197() {
        // FIPS-197 Figure 7 / Figure 14 spot checks.
        assert_eq!(SBOX[0x00], 0x63);
        assert_eq!(SBOX[0x01], 0x7C);
        assert_eq!(SBOX[0x53], 0xED);
        assert_eq!(SBOX[0xFF], 0x16);
        assert_eq!(INV_SBOX[0x63], 0x00);
        assert_eq!(INV_SBOX[0x16], 0xFF);
    }

    #[test]
    fn mix_columns_inverts() {
        // FIPS-197 section 5.1.3 example column: db 13 53 45 -> 8e 4d a1 bc.
        let mut s = [0u8; 16];
        s[..4].copy_from_slice(&[0xDB, 0x13, 0x53, 0x45]);
        let m = mix_columns(s, [&TIMES_2, &TIMES_3, &TIMES_1, &TIMES_1]);
        assert_eq!(m[..4], [0x8E, 0x4D, 0xA1, 0xBC]);
        assert_eq!(
            mix_columns(m, [&TIMES_14, &TIMES_11, &TIMES_13, &TIMES_9]),
            s
        );
    }
}
