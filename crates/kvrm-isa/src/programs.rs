//! The Metal system's two microbenchmarks as raw A64 programs, shared by
//! `kvrm bench`, the criterion benches and (later) the GPU benchmarks.
//!
//! ```text
//!   movz x0, #n[15:0]; movk x0, #n[31:16], lsl 16; movk x0, #n[47:32], lsl 32
//!   movz x2, #0x10, lsl 16          // x2 = 0x100000: the store target
//! loop:
//!   add  x1, x1, #1
//!   str  x1, [x2]                   // store loop only
//!   subs x0, x0, #1
//!   b.ne loop
//!   brk  #0
//! ```
//! Encodings checked against GNU as (aarch64-linux-gnu-as 2.40).

/// Which microbenchmark.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Microbench {
    /// `add; subs; b.ne`: 3 instructions per iteration.
    TightLoop,
    /// `add; str; subs; b.ne`: 4 instructions per iteration.
    StoreLoop,
}

impl Microbench {
    pub fn name(self) -> &'static str {
        match self {
            Microbench::TightLoop => "tight loop (add; subs; b.ne)",
            Microbench::StoreLoop => "loop with str (add; str; subs; b.ne)",
        }
    }

    pub fn insns_per_iteration(self) -> u64 {
        match self {
            Microbench::TightLoop => 3,
            Microbench::StoreLoop => 4,
        }
    }

    /// The program for `iterations` (< 2^48) loop iterations, to load at address 0.
    pub fn program(self, iterations: u64) -> Vec<u8> {
        assert!(iterations > 0 && iterations < 1 << 48);
        let n = iterations;
        let mut words = vec![
            0xd280_0000 | ((n & 0xffff) as u32) << 5,
            0xf2a0_0000 | (((n >> 16) & 0xffff) as u32) << 5,
            0xf2c0_0000 | (((n >> 32) & 0xffff) as u32) << 5,
            0xd2a0_0202,
            0x9100_0421,
        ];
        match self {
            Microbench::TightLoop => words.extend([0xf100_0400, 0x54ff_ffc1]),
            Microbench::StoreLoop => words.extend([0xf900_0041, 0xf100_0400, 0x54ff_ffa1]),
        }
        words.push(0xd420_0000);
        words.iter().flat_map(|w| w.to_le_bytes()).collect()
    }

    /// Instructions the program retires before its BRK.
    pub fn instructions(self, iterations: u64) -> u64 {
        4 + iterations * self.insns_per_iteration()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodings_match_the_assembler() {
        // From `aarch64-linux-gnu-as`: movz x0,#0x1234; movk x0,#0x5678,lsl 16;
        // movk x0,#0x9abc,lsl 32; ...; str x1,[x2]; subs; b.ne .-12; brk #0
        let p = Microbench::StoreLoop.program(0x9abc_5678_1234);
        let words: Vec<u32> = p
            .chunks(4)
            .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect();
        assert_eq!(
            words,
            [
                0xd2824680, 0xf2aacf00, 0xf2d35780, 0xd2a00202, 0x91000421, 0xf9000041, 0xf1000400,
                0x54ffffa1, 0xd4200000
            ]
        );
    }
}
