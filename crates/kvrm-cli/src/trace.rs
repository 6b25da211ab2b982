//! `--trace`: each executed instruction, disassembled, with the registers it wrote.

use std::io::{BufWriter, Stderr, Write};
use std::sync::{Arc, Mutex};

use kvrm_cpu::CpuEngine;
use kvrm_isa::CpuState;
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
        let mut line = format!(
            "{:#014x}: {:08x}  {:<36}",
            p.before.pc,
            p.word,
            disassemble(p.word)
        );
        let b = &p.before;
        for i in 0..31 {
            if b.x[i] != after.x[i] {
                line.push_str(&format!(" x{i}={:#x}", after.x[i]));
            }
        }
        if b.sp != after.sp {
            line.push_str(&format!(" sp={:#x}", after.sp));
        }
        if b.nzcv != after.nzcv {
            line.push_str(&format!(" nzcv={:#x}", after.nzcv >> 28));
        }
        for i in 0..32 {
            if b.v[i] != after.v[i] {
                line.push_str(&format!(" v{i}={:#x}", after.vreg(i as u32)));
            }
        }
        if b.fpsr != after.fpsr {
            line.push_str(&format!(" fpsr={:#x}", after.fpsr));
        }
        let _ = writeln!(self.out, "{}", line.trim_end());
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn disassembles_a64() {
        assert_eq!(disassemble(0x91000421), "add x1, x1, #0x1");
        assert!(disassemble(0xd4200000).starts_with("brk"));
    }
}
