//! `kvrm run PROGRAM [ARGS...]`: run a static Linux AArch64 executable.

use std::path::PathBuf;

/// Options of an ELF run, as parsed from the command line.
#[derive(Debug, Clone)]
pub struct ElfRunOptions {
    pub program: PathBuf,
    /// Guest argv[1..].
    pub args: Vec<String>,
    /// `-E NAME=VALUE`, in order.
    pub env_set: Vec<String>,
    /// `-U NAME`, in order.
    pub env_unset: Vec<String>,
    /// `--fs-root DIR` (default: the current directory).
    pub fs_root: Option<PathBuf>,
    /// `--stats`: print instructions, IPS and syscalls by name to stderr at exit.
    pub stats: bool,
    /// `--max-cycles N`: stop after N instructions.
    pub max_cycles: Option<u64>,
    /// `--trace`: print each instruction to stderr.
    pub trace: bool,
}

/// Run the program; returns the exit status for the `kvrm` process.
pub fn run_elf(opts: &ElfRunOptions) -> anyhow::Result<i32> {
    anyhow::bail!(
        "{}: running Linux ELF programs is not implemented yet",
        opts.program.display()
    )
}
