//! The `kvrm` command: run ARM64 programs on kvrm's backends.

mod bench;
mod raw;
mod run_elf;
mod trace;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

const ABOUT: &str = "Run ARM64 (AArch64) programs: static Linux executables and raw images.";
const LONG_ABOUT: &str = "\
Run ARM64 (AArch64) programs on kvrm's backends: static Linux executables (glibc, musl,
busybox) with their Linux syscalls serviced on the host, as qemu-aarch64 does, and raw
images in a flat memory, as the kvrm ancestor did.

The CPU backend (a reference interpreter) runs everywhere and is the default.

Examples:
  kvrm run ./hello world                 run a static AArch64 ELF with arguments
  kvrm run --fs-root /tmp/sandbox ./prog the guest sees /tmp/sandbox as its /
  kvrm run --raw loop.bin --json         run a raw image at address 0, print JSON
  kvrm bench                             instructions per second on the microbenchmarks";

#[derive(Parser, Debug)]
#[command(name = "kvrm", version, about = ABOUT, long_about = LONG_ABOUT)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run a static Linux AArch64 executable, or a raw image with --raw.
    #[command(long_about = RUN_ABOUT)]
    Run(RunArgs),
    /// Measure instructions per second on the ancestor's two microbenchmarks.
    Bench(bench::BenchArgs),
}

const RUN_ABOUT: &str = "\
Run a static Linux AArch64 executable (like `qemu-aarch64 PROGRAM ARGS...`): its stdin,
stdout and stderr are this command's and its exit status becomes kvrm's. Guest file access
goes through --fs-root (default: the current directory).

With --raw FILE, run a raw image instead: FILE is copied to --load-addr in a flat
read/write/execute memory at address 0 (--memory-size, default 16 MiB) and executed from
--entry until BRK/HLT (halted), SVC (syscall), a fault, an undefined instruction or
--max-cycles. The stop reason, instruction count and registers are printed (--json: one
JSON object). Exit status: 0 for halted/syscall/cycle_limit, 1 for fault/undefined.";

#[derive(Args, Debug)]
struct RunArgs {
    /// Run a raw image (flat memory at address 0) instead of an ELF executable.
    #[arg(long, value_name = "FILE", conflicts_with = "program")]
    raw: Option<PathBuf>,
    /// Raw image: where to load FILE.
    #[arg(long, value_name = "ADDR", value_parser = parse_u64, default_value = "0")]
    load_addr: u64,
    /// Raw image: first pc (default: --load-addr).
    #[arg(long, value_name = "ADDR", value_parser = parse_u64)]
    entry: Option<u64>,
    /// Raw image: size of the flat memory (default 16 MiB).
    #[arg(long, value_name = "BYTES", value_parser = parse_u64)]
    memory_size: Option<u64>,
    /// Stop after N instructions (default: no limit).
    #[arg(long, value_name = "N", value_parser = parse_u64)]
    max_cycles: Option<u64>,
    /// Raw image: print the result as one JSON object.
    #[arg(long)]
    json: bool,
    /// Print every executed instruction, disassembled, with the registers it wrote (stderr).
    #[arg(long)]
    trace: bool,
    /// Print instructions executed, instructions/s and syscalls by name (stderr).
    #[arg(long)]
    stats: bool,
    /// Directory the guest sees as its root file system (default: current directory).
    #[arg(long, value_name = "DIR")]
    fs_root: Option<PathBuf>,
    /// Set a guest environment variable (repeatable).
    #[arg(short = 'E', value_name = "NAME=VALUE")]
    env_set: Vec<String>,
    /// Remove a guest environment variable (repeatable).
    #[arg(short = 'U', value_name = "NAME")]
    env_unset: Vec<String>,
    /// Reproducible runs: guest threads switch at fixed instruction counts, the clock is
    /// virtual (advanced by instructions retired), getrandom and AT_RANDOM come from --seed.
    #[arg(long)]
    deterministic: bool,
    /// The random seed of --deterministic runs.
    #[arg(long, value_name = "N", value_parser = parse_u64, default_value = "0", requires = "deterministic")]
    seed: u64,
    /// Most guest memory mapped at once, all guest processes together (e.g. 4G, 512M;
    /// default: the host's physical memory); beyond it mmap and brk fail with ENOMEM.
    #[arg(long, value_name = "BYTES", value_parser = parse_size)]
    memory_limit: Option<u64>,
    /// Most guest processes and threads alive at once (default 4096); beyond it clone
    /// fails with EAGAIN.
    #[arg(long, value_name = "N")]
    max_processes: Option<usize>,
    /// The static AArch64 Linux executable.
    #[arg(value_name = "PROGRAM", required_unless_present = "raw")]
    program: Option<PathBuf>,
    /// Arguments passed to the guest program.
    #[arg(
        value_name = "ARGS",
        trailing_var_arg = true,
        allow_hyphen_values = true
    )]
    args: Vec<String>,
}

/// Parse a decimal or 0x-prefixed hexadecimal number (underscores allowed).
fn parse_u64(s: &str) -> Result<u64, String> {
    let t = s.replace('_', "");
    let parsed = if let Some(hex) = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        u64::from_str_radix(hex, 16)
    } else {
        t.parse::<u64>()
    };
    parsed.map_err(|_| format!("`{s}` is not a number (decimal or 0x-hex)"))
}

/// A byte count: a number with an optional K, M, G or T suffix (powers of 1024).
fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let (digits, shift) = match t.chars().last().map(|c| c.to_ascii_uppercase()) {
        Some('K') => (&t[..t.len() - 1], 10),
        Some('M') => (&t[..t.len() - 1], 20),
        Some('G') => (&t[..t.len() - 1], 30),
        Some('T') => (&t[..t.len() - 1], 40),
        _ => (t, 0),
    };
    let n = parse_u64(digits)?;
    n.checked_mul(1u64 << shift)
        .filter(|&v| v > 0)
        .ok_or_else(|| format!("`{s}` is not a positive size"))
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Run(args) => run(args),
        Command::Bench(args) => bench::bench(&args).map(|()| run_elf::Exit::Code(0)),
    };
    match result {
        Ok(run_elf::Exit::Code(code)) => ExitCode::from(code.clamp(0, 255) as u8),
        Ok(run_elf::Exit::Signal(sig)) => kvrm_linux::syscalls::die_of_signal(sig),
        Err(e) => {
            eprintln!("kvrm: {}", error_chain(&e));
            ExitCode::from(1)
        }
    }
}

/// The error and its causes on one line, without repeating a cause that the
/// message before it already ends with.
fn error_chain(e: &anyhow::Error) -> String {
    let mut msg = e.to_string();
    for cause in e.chain().skip(1) {
        let c = cause.to_string();
        if !msg.ends_with(&c) {
            msg.push_str(": ");
            msg.push_str(&c);
        }
    }
    msg
}

fn run(args: RunArgs) -> anyhow::Result<run_elf::Exit> {
    if let Some(file) = &args.raw {
        if !args.args.is_empty() {
            anyhow::bail!("--raw takes no guest arguments");
        }
        let opts = raw::RawRunOptions {
            file: file.clone(),
            load_addr: args.load_addr,
            entry: args.entry.unwrap_or(args.load_addr),
            memory_size: args.memory_size,
            max_cycles: args.max_cycles.unwrap_or(u64::MAX),
            json: args.json,
            trace: args.trace,
        };
        return raw::run_raw(&opts).map(run_elf::Exit::Code);
    }
    let Some(program) = args.program else {
        anyhow::bail!("no PROGRAM given (see kvrm run --help)");
    };
    if args.json {
        anyhow::bail!("--json applies to --raw images only");
    }
    run_elf::run_elf(&run_elf::ElfRunOptions {
        program,
        args: args.args,
        env_set: args.env_set,
        env_unset: args.env_unset,
        fs_root: args.fs_root,
        stats: args.stats,
        max_cycles: args.max_cycles,
        trace: args.trace,
        deterministic: args.deterministic,
        seed: args.seed,
        memory_limit: args.memory_limit,
        max_processes: args.max_processes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_parse_in_decimal_and_hex() {
        assert_eq!(parse_u64("4096"), Ok(4096));
        assert_eq!(parse_u64("0x1000"), Ok(4096));
        assert_eq!(parse_u64("0x10_0000"), Ok(0x100000));
        assert!(parse_u64("12k").is_err());
    }

    #[test]
    fn error_chain_does_not_repeat_causes() {
        let io = std::io::Error::new(std::io::ErrorKind::NotFound, "gone");
        let e = anyhow::Error::new(io).context("cannot read x");
        assert_eq!(error_chain(&e), "cannot read x: gone");
        #[derive(Debug, thiserror::Error)]
        #[error("x: {source}")]
        struct Wrapped {
            source: std::io::Error,
        }
        let io = std::io::Error::new(std::io::ErrorKind::NotFound, "gone");
        let e = anyhow::Error::new(Wrapped { source: io });
        assert_eq!(error_chain(&e), "x: gone");
    }

    #[test]
    fn cli_definition_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
