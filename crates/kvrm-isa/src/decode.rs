//! The A64 decoder, built from the encoding table in [`crate::table`].
//!
//! Each table entry is a name and a 32-character bit pattern, most significant
//! bit first: `0`/`1` are fixed bits, any other character (a field letter or
//! `-`) is "don't care". `_` and spaces may separate groups for readability and
//! are ignored. The decoder picks the matching entry with the most fixed bits,
//! so specific encodings (aliases, special cases) win over general ones without
//! depending on table order; equal-specificity overlaps are rejected by a test.
//!
//! An instruction is identified by its index in [`table()`] (`InsnId`). The CPU
//! backend binds a semantic function to every name; the CUDA backend's decoder
//! is generated from the same (mask, value) list.

use std::sync::OnceLock;

/// One line of the encoding table.
#[derive(Clone, Copy, Debug)]
pub struct Encoding {
    /// Unique name, e.g. `ADD_imm`; semantic functions are bound to it.
    pub name: &'static str,
    /// The pattern as written in the table.
    pub pattern: &'static str,
    pub mask: u32,
    pub value: u32,
}

impl Encoding {
    #[inline]
    pub fn matches(&self, word: u32) -> bool {
        word & self.mask == self.value
    }

    pub fn fixed_bits(&self) -> u32 {
        self.mask.count_ones()
    }
}

/// Build an [`Encoding`] at compile time; a malformed pattern is a compile error.
pub const fn enc(name: &'static str, pattern: &'static str) -> Encoding {
    let bytes = pattern.as_bytes();
    let mut mask = 0u32;
    let mut value = 0u32;
    let mut bits = 0;
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        i += 1;
        if c == b'_' || c == b' ' {
            continue;
        }
        assert!(bits < 32, "encoding pattern has more than 32 bits");
        mask <<= 1;
        value <<= 1;
        if c == b'0' {
            mask |= 1;
        } else if c == b'1' {
            mask |= 1;
            value |= 1;
        }
        bits += 1;
    }
    assert!(bits == 32, "encoding pattern must have exactly 32 bits");
    Encoding {
        name,
        pattern,
        mask,
        value,
    }
}

/// Index of an entry in [`table()`].
pub type InsnId = u16;

/// The whole encoding table with a lookup index.
pub struct DecodeTable {
    pub entries: Vec<Encoding>,
    /// Candidate entries for each value of bits [28:25] (the A64 `op0` field).
    buckets: [Vec<InsnId>; 16],
}

impl DecodeTable {
    fn build() -> Self {
        let entries: Vec<Encoding> = crate::table::CLASSES
            .iter()
            .flat_map(|(_, class)| class.iter().copied())
            .collect();
        let mut buckets: [Vec<InsnId>; 16] = Default::default();
        for (op0, bucket) in buckets.iter_mut().enumerate() {
            let bits = (op0 as u32) << 25;
            let field = 0xf << 25;
            for (id, e) in entries.iter().enumerate() {
                if (bits ^ e.value) & e.mask & field == 0 {
                    bucket.push(id as InsnId);
                }
            }
        }
        DecodeTable { entries, buckets }
    }

    /// The most specific entry matching `word`, if any.
    pub fn decode(&self, word: u32) -> Option<InsnId> {
        let mut best: Option<(InsnId, u32)> = None;
        for &id in &self.buckets[((word >> 25) & 0xf) as usize] {
            let e = &self.entries[id as usize];
            if e.matches(word) {
                let fixed = e.fixed_bits();
                if best.is_none_or(|(_, b)| fixed > b) {
                    best = Some((id, fixed));
                }
            }
        }
        best.map(|(id, _)| id)
    }

    /// Every entry in the order [`decode`](Self::decode) prefers them: most fixed
    /// bits first, table order among equals. The first entry of this list that
    /// matches a word is the one `decode` returns (the CUDA header lists its
    /// entries in this order so a device decoder can stop at the first match).
    pub fn priority_order(&self) -> Vec<InsnId> {
        let mut order: Vec<InsnId> = (0..self.entries.len() as InsnId).collect();
        // Stable: among equal fixed-bit counts `decode` keeps the first match,
        // which is the lowest id (its buckets are in table order).
        order.sort_by_key(|&id| std::cmp::Reverse(self.entries[id as usize].fixed_bits()));
        order
    }

    /// All entries matching `word` (for diagnostics and the ambiguity test).
    pub fn all_matches(&self, word: u32) -> Vec<InsnId> {
        (0..self.entries.len() as InsnId)
            .filter(|&id| self.entries[id as usize].matches(word))
            .collect()
    }

    pub fn name(&self, id: InsnId) -> &'static str {
        self.entries[id as usize].name
    }

    pub fn id_of(&self, name: &str) -> Option<InsnId> {
        self.entries
            .iter()
            .position(|e| e.name == name)
            .map(|i| i as InsnId)
    }
}

/// The process-wide decode table.
pub fn table() -> &'static DecodeTable {
    static TABLE: OnceLock<DecodeTable> = OnceLock::new();
    TABLE.get_or_init(DecodeTable::build)
}

/// Decode one instruction word.
pub fn decode_a64(word: u32) -> Option<InsnId> {
    table().decode(word)
}

// ----- field extraction helpers shared by the backends ---------------------------

/// Bits `[lo + len - 1 : lo]` of `word`.
#[inline(always)]
pub const fn bits(word: u32, lo: u32, len: u32) -> u32 {
    (word >> lo) & ((1u32 << len) - 1)
}

#[inline(always)]
pub const fn bit(word: u32, n: u32) -> bool {
    (word >> n) & 1 != 0
}

#[inline(always)]
pub const fn rd(word: u32) -> u32 {
    word & 31
}

#[inline(always)]
pub const fn rn(word: u32) -> u32 {
    (word >> 5) & 31
}

#[inline(always)]
pub const fn rt2(word: u32) -> u32 {
    (word >> 10) & 31
}

#[inline(always)]
pub const fn rm(word: u32) -> u32 {
    (word >> 16) & 31
}

/// Sign-extend the low `len` bits of `value`.
#[inline(always)]
pub const fn sign_extend(value: u64, len: u32) -> i64 {
    let shift = 64 - len;
    ((value << shift) as i64) >> shift
}

/// `AdvSIMDExpandImm` for the integer cmode values (cmode 1111 is FMOV).
#[inline]
pub fn adv_simd_expand_imm(op: bool, cmode: u32, imm8: u64) -> u64 {
    let rep2 = |x: u64| x | (x << 32);
    let rep4 = |x: u64| x * 0x0001_0001_0001_0001;
    match cmode >> 1 {
        0..=3 => rep2(imm8 << (8 * (cmode >> 1))),
        4 | 5 => rep4(imm8 << (8 * ((cmode >> 1) & 1))),
        6 => {
            if cmode & 1 == 0 {
                rep2((imm8 << 8) | 0xff)
            } else {
                rep2((imm8 << 16) | 0xffff)
            }
        }
        _ => {
            if op {
                let mut r = 0u64;
                for i in 0..8 {
                    if (imm8 >> i) & 1 != 0 {
                        r |= 0xff << (8 * i);
                    }
                }
                r
            } else {
                imm8 * 0x0101_0101_0101_0101
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn pattern_parses_to_mask_and_value() {
        let e = enc("T", "1x01_----_0000_0000_0000_0000_0000_0011");
        assert_eq!(e.mask, 0xb0ff_ffff);
        assert_eq!(e.value, 0x9000_0003);
    }

    #[test]
    fn entry_names_are_unique() {
        let mut seen = HashSet::new();
        for e in &table().entries {
            assert!(seen.insert(e.name), "duplicate table name {}", e.name);
        }
    }

    #[test]
    fn no_two_entries_share_mask_and_value() {
        let mut seen = HashSet::new();
        for e in &table().entries {
            assert!(
                seen.insert((e.mask, e.value)),
                "entry {} repeats another's pattern",
                e.name
            );
        }
    }

    /// Two entries that both match some word must differ in specificity, or the
    /// decoder's choice would depend on table order. Checked on the words that
    /// are most likely to expose it: each entry's own value with its don't-care
    /// bits filled from a fixed pseudo-random stream.
    #[test]
    fn overlapping_entries_are_ordered_by_specificity() {
        let t = table();
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        for e in &t.entries {
            for _ in 0..64 {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                let word = e.value | (seed as u32 & !e.mask);
                let ids = t.all_matches(word);
                let best = t.decode(word).expect("own pattern decodes");
                let best_bits = t.entries[best as usize].fixed_bits();
                for id in ids {
                    let other = &t.entries[id as usize];
                    assert!(
                        id == best || other.fixed_bits() < best_bits,
                        "{word:#010x} matches {} and {} with equal specificity",
                        t.name(best),
                        other.name
                    );
                }
            }
        }
    }

    #[test]
    fn sign_extend_works() {
        assert_eq!(sign_extend(0x80, 8), -128);
        assert_eq!(sign_extend(0x7f, 8), 127);
        assert_eq!(sign_extend(0x3ffffff, 26), -1);
    }
}
