//! Linux user-mode emulation for AArch64 guests: ELF loading, process setup,
//! the syscall layer and the file-system sandbox. Backend-independent: it
//! works on any [`kvrm_isa::Backend`].
