//! Template code for the IR's pure instructions: integer arithmetic,
//! comparisons, selection and the NZCV computations. Operands are loaded
//! into `rax` / `rcx`, the result stored from `rax`.

use dynasmrt::{dynasm, DynasmApi, DynasmLabelApi};
use kvrm_ir::{Arg, Op};
use kvrm_isa::state::CONDITION_SETS;

use super::emit::{Asm, RAX, RCX, RDI, RDX};

macro_rules! x64 {
    ($ops:expr; $($t:tt)*) => {
        dynasm!($ops ; .arch x64 ; $($t)*)
    };
}

extern "sysv64" fn rbit(x: u64) -> u64 {
    x.reverse_bits()
}

impl Asm {
    /// Pack the host flags of the operation just done into NZCV in `rax`:
    /// N = SF, Z = ZF, C = CF (`borrow`: its inverse, as Arm's subtraction
    /// sets it), V = OF.
    fn pack_flags(&mut self, borrow: bool) {
        x64!(self.ops ; sets r8b ; setz r9b ; seto r11b);
        if borrow {
            x64!(self.ops ; setnc r10b);
        } else {
            x64!(self.ops ; setc r10b);
        }
        x64!(self.ops
            ; movzx eax, r8b
            ; shl eax, 1
            ; or al, r9b
            ; shl eax, 1
            ; or al, r10b
            ; shl eax, 1
            ; or al, r11b
            ; shl eax, 28
        );
    }

    /// N and Z of the `test` just done, C = V = 0.
    fn pack_logic(&mut self) {
        x64!(self.ops
            ; sets r8b
            ; setz r9b
            ; movzx eax, r8b
            ; shl eax, 1
            ; or al, r9b
            ; shl eax, 30
        );
    }

    /// A pure instruction; `None` if templates do not handle it.
    pub(super) fn pure(&mut self, op: Op, a: &[Arg; 3], v: i32) -> Option<()> {
        let binary = matches!(
            op,
            Op::Add
                | Op::Sub
                | Op::Mul
                | Op::UMulH
                | Op::SMulH
                | Op::UDiv
                | Op::SDiv
                | Op::And
                | Op::Or
                | Op::Xor
                | Op::Shl
                | Op::Lshr
                | Op::Ashr
                | Op::Ror
                | Op::Ror32
                | Op::Eq
                | Op::Ne
                | Op::AddFlags
                | Op::SubFlags
                | Op::AddFlags32
                | Op::SubFlags32
        );
        if binary {
            self.load(RAX, a[0]);
            self.load(RCX, a[1]);
        }
        match op {
            Op::Add => x64!(self.ops ; add rax, rcx),
            Op::Sub => x64!(self.ops ; sub rax, rcx),
            Op::Mul => x64!(self.ops ; imul rax, rcx),
            Op::UMulH => x64!(self.ops ; mul rcx ; mov rax, rdx),
            Op::SMulH => x64!(self.ops ; imul rcx ; mov rax, rdx),
            Op::UDiv => {
                let (zero, done) = (self.ops.new_dynamic_label(), self.ops.new_dynamic_label());
                x64!(self.ops
                    ; test rcx, rcx
                    ; jz =>zero
                    ; xor edx, edx
                    ; div rcx
                    ; jmp =>done
                    ; =>zero
                    ; xor eax, eax
                    ; =>done
                );
            }
            Op::SDiv => {
                // x / 0 = 0; x / -1 = -x (wrapping: MIN / -1 = MIN, where
                // the host's division traps).
                let (zero, neg, done) = (
                    self.ops.new_dynamic_label(),
                    self.ops.new_dynamic_label(),
                    self.ops.new_dynamic_label(),
                );
                x64!(self.ops
                    ; test rcx, rcx
                    ; jz =>zero
                    ; cmp rcx, -1
                    ; je =>neg
                    ; cqo
                    ; idiv rcx
                    ; jmp =>done
                    ; =>neg
                    ; neg rax
                    ; jmp =>done
                    ; =>zero
                    ; xor eax, eax
                    ; =>done
                );
            }
            Op::And => x64!(self.ops ; and rax, rcx),
            Op::Or => x64!(self.ops ; or rax, rcx),
            Op::Xor => x64!(self.ops ; xor rax, rcx),
            // The host takes 64-bit shift counts modulo 64, 32-bit ones
            // modulo 32, as the IR defines them.
            Op::Shl => x64!(self.ops ; shl rax, cl),
            Op::Lshr => x64!(self.ops ; shr rax, cl),
            Op::Ashr => x64!(self.ops ; sar rax, cl),
            Op::Ror => x64!(self.ops ; ror rax, cl),
            Op::Ror32 => x64!(self.ops ; ror eax, cl),
            Op::Eq | Op::Ne => {
                x64!(self.ops ; xor edx, edx ; cmp rax, rcx);
                if op == Op::Eq {
                    x64!(self.ops ; sete dl);
                } else {
                    x64!(self.ops ; setne dl);
                }
                x64!(self.ops ; mov rax, rdx);
            }
            Op::AddFlags | Op::SubFlags | Op::AddFlags32 | Op::SubFlags32 => {
                match op {
                    Op::AddFlags => x64!(self.ops ; add rax, rcx),
                    Op::SubFlags => x64!(self.ops ; sub rax, rcx),
                    Op::AddFlags32 => x64!(self.ops ; add eax, ecx),
                    _ => x64!(self.ops ; sub eax, ecx),
                }
                self.pack_flags(matches!(op, Op::SubFlags | Op::SubFlags32));
            }
            Op::LogicFlags | Op::LogicFlags32 => {
                self.load(RAX, a[0]);
                if op == Op::LogicFlags {
                    x64!(self.ops ; test rax, rax);
                } else {
                    x64!(self.ops ; test eax, eax);
                }
                self.pack_logic();
            }
            Op::Not => {
                self.load(RAX, a[0]);
                x64!(self.ops ; not rax);
            }
            Op::Clz => {
                self.load(RAX, a[0]);
                let (zero, done) = (self.ops.new_dynamic_label(), self.ops.new_dynamic_label());
                x64!(self.ops
                    ; bsr rax, rax
                    ; jz =>zero
                    ; xor eax, 63
                    ; jmp =>done
                    ; =>zero
                    ; mov eax, 64
                    ; =>done
                );
            }
            Op::Rbit => {
                self.load(RDI, a[0]);
                self.call(rbit as *const ());
            }
            Op::Rev => {
                self.load(RAX, a[0]);
                x64!(self.ops ; bswap rax);
            }
            Op::Zext8 | Op::Zext16 | Op::Zext32 | Op::Sext8 | Op::Sext16 | Op::Sext32 => {
                self.load(RAX, a[0]);
                match op {
                    Op::Zext8 => x64!(self.ops ; movzx eax, al),
                    Op::Zext16 => x64!(self.ops ; movzx eax, ax),
                    Op::Zext32 => x64!(self.ops ; mov eax, eax),
                    Op::Sext8 => x64!(self.ops ; movsx rax, al),
                    Op::Sext16 => x64!(self.ops ; movsx rax, ax),
                    _ => x64!(self.ops ; movsxd rax, eax),
                }
            }
            Op::Select | Op::SelectNzcv => {
                // a[0] ? a[1] : a[2]
                self.load(RDX, a[0]);
                self.load(RAX, a[1]);
                self.load(RCX, a[2]);
                x64!(self.ops ; test rdx, rdx ; cmove rax, rcx);
            }
            Op::CondHolds => {
                let mask = i32::from(CONDITION_SETS[(a[0].imm() & 15) as usize]);
                self.load(RCX, a[1]);
                x64!(self.ops
                    ; shr ecx, 28
                    ; mov edx, mask
                    ; xor eax, eax
                    ; bt edx, ecx
                    ; setc al
                );
            }
            _ => return None,
        }
        self.out(v);
        Some(())
    }
}
