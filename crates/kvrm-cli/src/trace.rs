//! `--trace`: each executed instruction, disassembled, with the registers it wrote.

use std::cell::RefCell;
use std::io::{BufWriter, Stderr, Write};
use std::rc::Rc;

use kvrm_cpu::Cpu;
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
    fn emit(&mut self, after: &CpuState) {
        let Some(p) = self.pending.take() else {
            return;
        };
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
pub struct TraceHandle(Rc<RefCell<TracePrinter>>);

impl TraceHandle {
    /// Print the last instruction (call after the run).
    pub fn finish(self, state: &CpuState) {
        let mut p = self.0.borrow_mut();
        p.emit(state);
        let _ = p.out.flush();
    }
}

/// Install a tracer on `cpu` that prints to stderr.
pub fn install(cpu: &mut Cpu) -> TraceHandle {
    let printer = Rc::new(RefCell::new(TracePrinter {
        pending: None,
        out: BufWriter::new(std::io::stderr()),
    }));
    let p = printer.clone();
    cpu.set_tracer(Some(Box::new(move |state: &CpuState, word: u32| {
        let mut p = p.borrow_mut();
        p.emit(state);
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
