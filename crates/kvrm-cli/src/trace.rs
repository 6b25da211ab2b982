//! `--trace`: each executed instruction, disassembled, with the registers it wrote.

use std::io::{BufWriter, Stderr, Write};
use std::sync::{Arc, Mutex};

use kvrm_cpu::CpuEngine;
use kvrm_cuda::CudaEngine;
use kvrm_isa::{reg_writes, CpuState, RegWrite, TraceEntry};
use yaxpeax_arch::{Decoder, U8Reader};
use yaxpeax_arm::armv8::a64::InstDecoder;

/// Disassemble one instruction word (`.inst 0x...` if the disassembler can't).
pub fn disassemble(word: u32) -> String {
    let bytes = word.to_le_bytes();
    let mut reader = U8Reader::new(&bytes);
    match InstDecoder::default().decode(&mut reader) {
        Ok(insn) => insn.to_string(),
        Err(_) => format!(".inst {word:#010x}"),
    }
}

struct Pending {
    before: CpuState,
    word: u32,
}

/// Prints a line per instruction once its effects are known (at the next one).
pub struct TracePrinter {
    pending: Option<Pending>,
    out: BufWriter<Stderr>,
}

impl TracePrinter {
    /// Print the pending instruction; `after` is the state after it (the
    /// next instruction's), `None` when that is not known.
    fn emit(&mut self, after: Option<&CpuState>) {
        let Some(p) = self.pending.take() else {
            return;
        };
        let after = after.unwrap_or(&p.before);
        let line = format_line(p.before.pc, p.word, &reg_writes(&p.before, after));
        let _ = writeln!(self.out, "{line}");
    }
}

/// One trace line: pc, encoding, disassembly, the registers written.
pub fn format_line(pc: u64, word: u32, writes: &[RegWrite]) -> String {
    let mut line = format!("{pc:#014x}: {word:08x}  {:<36}", disassemble(word));
    for w in writes {
        line.push(' ');
        line.push_str(&w.to_string());
    }
    line.trim_end().to_string()
}

/// Shared handle to the printer installed in a CPU.
pub struct TraceHandle(Arc<Mutex<TracePrinter>>);

impl TraceHandle {
    /// Print the last instruction (call after the run) with the final state
    /// if known.
    pub fn finish(self, state: Option<&CpuState>) {
        let mut p = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        p.emit(state);
        let _ = p.out.flush();
    }
}

/// Install a tracer on every machine of `engine` that prints to stderr.
pub fn install(engine: &mut CpuEngine) -> TraceHandle {
    let printer = Arc::new(Mutex::new(TracePrinter {
        pending: None,
        out: BufWriter::new(std::io::stderr()),
    }));
    let p = printer.clone();
    engine.set_tracer(Some(Box::new(move |state: &CpuState, word: u32| {
        let mut p = p.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        p.emit(Some(state));
        p.pending = Some(Pending {
            before: *state,
            word,
        });
    })));
    TraceHandle(printer)
}

/// Print the CUDA engine's trace (its per-lane trace rings, read after each
/// launch) to stderr in the same format.
pub fn install_cuda(engine: &mut CudaEngine) -> TraceHandle {
    let printer = Arc::new(Mutex::new(TracePrinter {
        pending: None,
        out: BufWriter::new(std::io::stderr()),
    }));
    let p = printer.clone();
    engine.set_trace(Some(Box::new(move |_, e: &TraceEntry| {
        let mut p = p.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let line = format_line(e.pc, e.word, &e.writes);
        let _ = writeln!(p.out, "{line}");
    })));
    TraceHandle(printer)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn disassembles_a64() {
        assert_eq!(disassemble(0x91000421), "add x1, x1, #0x1");
        assert!(disassemble(0xd4200000).starts_with("brk"));
    }

    #[test]
    fn lines_list_the_registers_written() {
        let w = [RegWrite::X(1, 2), RegWrite::Nzcv(0x6000_0000)];
        let line = format_line(0x40, 0x91000421, &w);
        assert!(
            line.starts_with("0x000000000040: 91000421  add x1, x1, #0x1"),
            "{line}"
        );
        assert!(line.ends_with(" x1=0x2 nzcv=0x6"), "{line}");
        assert!(!format_line(0, 0xd4200000, &[]).ends_with(' '));
    }
}
