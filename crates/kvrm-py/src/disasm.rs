//! Disassembly for the trace.

use yaxpeax_arch::{Decoder, U8Reader};
use yaxpeax_arm::armv8::a64::InstDecoder;

/// One instruction word as text (`.inst 0x...` if the disassembler can't).
pub fn disassemble(word: u32) -> String {
    let bytes = word.to_le_bytes();
    let mut reader = U8Reader::new(&bytes);
    match InstDecoder::default().decode(&mut reader) {
        Ok(insn) => insn.to_string(),
        Err(_) => format!(".inst {word:#010x}"),
    }
}
