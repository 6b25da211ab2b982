//! The `kvrm` command: run ARM64 programs on kvrm's backends.

mod backend;
mod bench;
mod lanes;
mod mode;
mod raw;
mod run_elf;
mod trace;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use backend::BackendChoice;

const ABOUT: &str = "Run ARM64 (AArch64) programs: static Linux executables and raw images.";
const LONG_ABOUT: &str = "\
Run ARM64 (AArch64) programs on kvrm's backends: static Linux executables (glibc, musl,
busybox) with their Linux syscalls serviced on the host, as qemu-aarch64 does, and raw
images in a flat memory, as the Metal system (an earlier ARM64 emulator on Apple GPUs)
ran them.

Backends (--backend): the CPU backend (a reference interpreter) runs everywhere; the CUDA
backend runs many machines per GPU launch. The default, auto, takes the GPU only for
--lanes runs of 64 lanes or more and falls back to the CPU where no GPU is usable: one
program is one GPU lane, which the CPU interpreter outruns about 200 times.

Examples:
  kvrm run ./hello world                 run a static AArch64 ELF with arguments
  kvrm run --stats ./busybox ls --help   kvrm's options before PROGRAM, the guest's after
  kvrm run --fs-root /tmp/sandbox ./prog the guest sees /tmp/sandbox as its /
  kvrm run -L /usr/aarch64-linux-gnu ./dynprog   dynamic loader and libraries from a sysroot
  kvrm run --engine jit ./prog           compile hot code (Cranelift JIT) instead of interpreting
  kvrm run --raw loop.bin --json         run a raw image at address 0, print JSON
  kvrm run --lanes 1024 --out runs ./prog --seed={lane}
                                         1024 isolated copies, one output set per lane
  kvrm bench                             instructions per second on the microbenchmarks";

#[derive(Parser, Debug)]
#[command(name = "kvrm", version, about = ABOUT, long_about = LONG_ABOUT)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
#[allow(clippy::large_enum_variant)] // parsed once
enum Command {
    /// Run a Linux AArch64 executable (static or dynamic), or a raw image with --raw.
    #[command(long_about = RUN_ABOUT, override_usage = RUN_USAGE)]
    Run(RunArgs),
    /// Measure instructions per second on the Metal system's two microbenchmarks.
    Bench(bench::BenchArgs),
}

const RUN_USAGE: &str = "\
kvrm run [OPTIONS] PROGRAM [ARGS]...
       kvrm run --raw FILE [OPTIONS]";

const RUN_ABOUT: &str = "\
Run a Linux AArch64 executable (like `qemu-aarch64 PROGRAM ARGS...`): its stdin,
stdout and stderr are this command's and its exit status becomes kvrm's. Guest file access
goes through --fs-root (default: the current directory). kvrm's options come before
PROGRAM; everything after PROGRAM is passed to the guest (`kvrm run busybox --help`).
A dynamic executable's loader (PT_INTERP) and libraries are guest paths: found under
-L DIR first, then in --fs-root.

With --raw FILE, run a raw image instead: FILE is copied to --load-addr in a flat
read/write/execute memory at address 0 (--memory-size, default 16 MiB) and executed from
--entry until BRK/HLT (halted), SVC (syscall), a fault, an undefined instruction or
--max-instructions. The stop reason, instruction count and registers are printed (--json:
one JSON object). Exit status: 0 for halted/syscall/cycle_limit, 1 for fault/undefined.

--backend cpu|cuda|auto picks the engine. auto (the default) runs a single program on
the CPU (one GPU lane is about 200 times slower than the CPU interpreter) and a --lanes
run of 64 lanes or more on the GPU when one is usable; where none is, it says so once
on stderr (not with --quiet) and runs on the CPU. --backend cuda without a usable GPU
is an error.

--lanes N runs N isolated copies of the program (or raw image): `{lane}` in a guest
argument or an -E value becomes the lane index (0..N-1). On the CPU backend lanes run on
every host core; on the CUDA backend lanes run in the same GPU launches (ELF programs:
one kernel and GPU stream per --host-threads thread, each a slice of the lanes). Every lane
gets the same stdin: kvrm's stdin read once to its end, or nothing when it is a terminal.
With --out DIR each lane writes DIR/lane-<i>.stdout, .stderr and .status (one line: the
exit code, `signal N` for a lane killed by signal N, `instruction-limit` or `deadlock`;
raw images: the exit status a single run would have). Without --out lane 0's output goes
to kvrm's stdout and stderr and the other lanes' is discarded. Then stdout gets a summary
(lanes, how many exited 0, the failed ones, instructions, wall time, instructions/s). kvrm
exits 0 when every lane exited 0, else 1. Lanes report crashes in their status, not as
`kvrm:` lines on stderr.

Options for one mode are errors in the other (exit status 2).";

#[derive(Args, Debug)]
struct RunArgs {
    /// Run a raw image (flat memory at address 0) instead of an ELF executable.
    #[arg(long, value_name = "FILE")]
    raw: Option<PathBuf>,
    /// Raw image: where to load FILE (default 0).
    #[arg(long, value_name = "ADDR", value_parser = parse_u64)]
    load_addr: Option<u64>,
    /// Raw image: first pc (default: --load-addr).
    #[arg(long, value_name = "ADDR", value_parser = parse_u64)]
    entry: Option<u64>,
    /// Raw image: size of the flat memory (default 16 MiB).
    #[arg(long, value_name = "BYTES", value_parser = parse_u64)]
    memory_size: Option<u64>,
    /// Stop after N instructions (default: no limit).
    #[arg(
        long,
        visible_alias = "max-cycles",
        value_name = "N",
        value_parser = parse_u64
    )]
    max_instructions: Option<u64>,
    /// Raw image: print the result as one JSON object.
    #[arg(long)]
    json: bool,
    /// Print every executed instruction, disassembled, with the registers it wrote (stderr).
    #[arg(long)]
    trace: bool,
    /// Print instructions executed, time and instructions/s, and for ELF programs the
    /// syscalls by name (stderr).
    #[arg(long)]
    stats: bool,
    /// ELF: directory the guest sees as its root file system (default: current directory).
    #[arg(long, value_name = "DIR")]
    fs_root: Option<PathBuf>,
    /// ELF: library prefix, as qemu-user's -L: absolute guest paths are looked up in DIR
    /// first (read-only), then in --fs-root; where the dynamic loader and the shared
    /// libraries of a dynamic program are (e.g. -L /usr/aarch64-linux-gnu).
    #[arg(short = 'L', value_name = "DIR")]
    lib_prefix: Option<PathBuf>,
    /// ELF: no `kvrm:` diagnostics of kvrm's own (unimplemented syscall warnings, guest
    /// crash reports): the guest's stderr alone, byte for byte. KVRM_LOG still applies.
    #[arg(long, short = 'q')]
    quiet: bool,
    /// ELF: set a guest environment variable (repeatable).
    #[arg(short = 'E', value_name = "NAME=VALUE")]
    env_set: Vec<String>,
    /// ELF: remove a guest environment variable (repeatable).
    #[arg(short = 'U', value_name = "NAME")]
    env_unset: Vec<String>,
    /// ELF: reproducible runs. Guest threads switch at fixed instruction counts, the clock
    /// is virtual (advanced by instructions retired), getrandom and AT_RANDOM come from --seed.
    #[arg(long)]
    deterministic: bool,
    /// How guest code runs: `interp` (the interpreter) or `jit` (hot blocks compiled, the
    /// rest interpreted, compiled on a background thread; same results and instruction
    /// counts); `jit:N` compiles blocks that ran N times (below 100: at once; on CUDA, N
    /// times per lane of a launch). Default:
    /// `jit` on the CPU backend, `interp` on CUDA (whose JIT compiles through NVRTC, in
    /// seconds).
    #[arg(long, value_name = "ENGINE", value_parser = parse_engine)]
    engine: Option<kvrm_cpu::ExecMode>,
    /// ELF: the random seed of --deterministic runs.
    #[arg(long, value_name = "N", value_parser = parse_u64, requires = "deterministic")]
    seed: Option<u64>,
    /// ELF: most guest memory mapped at once, all guest processes together (e.g. 4G, 512M;
    /// default: the host's physical memory); beyond it mmap and brk fail with ENOMEM.
    #[arg(long, value_name = "BYTES", value_parser = parse_size)]
    memory_limit: Option<u64>,
    /// ELF: most guest processes and threads alive at once (default 4096); beyond it clone
    /// fails with EAGAIN.
    #[arg(long, value_name = "N")]
    max_processes: Option<usize>,
    /// Engine: cpu, cuda, or auto (the GPU for --lanes runs of 64 lanes or more
    /// when one is usable, else the CPU).
    #[arg(long, value_enum, default_value_t = BackendChoice::Auto)]
    backend: BackendChoice,
    /// Run N isolated copies; `{lane}` in guest arguments and -E values becomes the
    /// lane index. Prints a summary on stdout.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    lanes: Option<u32>,
    /// With --lanes: write each lane's DIR/lane-<i>.stdout, .stderr and .status.
    #[arg(long, value_name = "DIR", requires = "lanes")]
    out: Option<PathBuf>,
    /// With --lanes: host threads. CPU backend: the threads running the lanes (default: one
    /// per core). CUDA backend, ELF programs: the lanes are split over N threads, each a
    /// kernel and a GPU stream of its own, so that their host work (loading, syscalls,
    /// exits) runs side by side and beside the GPU's launches (default 1; a lane's pids
    /// and --deterministic clock are its thread's kernel's).
    #[arg(long, value_name = "N", requires = "lanes", value_parser = clap::value_parser!(u32).range(1..))]
    host_threads: Option<u32>,
    /// Stop before executing the instruction at ADDR (decimal or 0x-hex; for a non-PIE ELF
    /// program also a symbol name). Repeatable. The stop is reported with its pc and kvrm
    /// exits with status 126; the instruction has not executed.
    #[arg(long = "break", value_name = "ADDR")]
    breakpoints: Vec<String>,
    /// Stop before a load or store (atomics and SIMD included) touches one of LEN bytes
    /// (default 8) at ADDR; r: reads, w: writes (default), rw: both. Repeatable. The stop
    /// is reported with pc, address and access; kvrm exits with status 126.
    #[arg(long = "watch", value_name = "ADDR[:LEN][:r|w|rw]", value_parser = parse_watch)]
    watchpoints: Vec<kvrm_isa::Watchpoint>,
    /// CUDA backend: how runs are issued (the Metal system's modes). Raw images: standard:
    /// one run to the stop; continuous: runs of --batch instructions in a host loop; mega:
    /// one launch for the whole budget (as standard on this engine); async: start the
    /// launch, poll its progress from the host, wait. ELF programs (the kernel's rounds):
    /// standard: slices the scheduler picks; continuous: every round runs --batch
    /// instructions per thread; mega: each round runs every thread to its next syscall
    /// while none waits; async: rounds are started and not waited for, and waiting threads
    /// of other processes are serviced while one is in flight. The CPU backend has
    /// standard only.
    #[arg(long, value_enum, default_value_t = mode::RunMode::Standard)]
    mode: mode::RunMode,
    /// --mode continuous: instructions per run (default 1,000,000).
    #[arg(long, value_name = "N", value_parser = parse_u64)]
    batch: Option<u64>,
    /// ELF: let guests open AF_INET and AF_INET6 sockets on the host's network (without
    /// it socket() refuses them with EACCES; AF_UNIX sockets always work, inside --fs-root).
    #[arg(long)]
    net: bool,
    /// The AArch64 Linux executable and its arguments. Everything from PROGRAM on
    /// belongs to the guest, options included.
    // One trailing positional rather than PROGRAM plus ARGS: clap would otherwise
    // still read kvrm's own flags between PROGRAM and the first argument.
    #[arg(value_name = "PROGRAM [ARGS]", trailing_var_arg = true)]
    command: Vec<String>,
}

impl RunArgs {
    /// Options given that do not apply to the chosen mode (raw image or ELF).
    fn misplaced_options(&self) -> Vec<&'static str> {
        let given = |present: bool, name: &'static str| present.then_some(name);
        if self.raw.is_some() {
            [
                given(self.fs_root.is_some(), "--fs-root"),
                given(!self.env_set.is_empty(), "-E"),
                given(!self.env_unset.is_empty(), "-U"),
                given(!self.command.is_empty(), "PROGRAM"),
                given(self.deterministic, "--deterministic"),
                given(self.memory_limit.is_some(), "--memory-limit"),
                given(self.max_processes.is_some(), "--max-processes"),
                given(self.net, "--net"),
            ]
        } else {
            [
                given(self.load_addr.is_some(), "--load-addr"),
                given(self.entry.is_some(), "--entry"),
                given(self.memory_size.is_some(), "--memory-size"),
                given(self.json, "--json"),
                None,
                None,
                None,
                None,
            ]
        }
        .into_iter()
        .flatten()
        .collect()
    }

    /// Why these arguments cannot run, if they cannot: a usage error.
    fn usage_error(&self) -> Option<String> {
        let wrong = self.misplaced_options();
        if !wrong.is_empty() {
            let (mode, other) = if self.raw.is_some() {
                ("--raw images", "ELF programs")
            } else {
                ("ELF programs", "--raw images")
            };
            let verb = if wrong.len() == 1 { "does" } else { "do" };
            return Some(format!(
                "{} {verb} not apply to {mode}, only to {other}",
                wrong.join(", ")
            ));
        }
        if self.raw.is_none() && self.command.is_empty() {
            return Some("no PROGRAM given".into());
        }
        if self.lanes.is_some() && self.trace {
            return Some("--trace does not apply to --lanes runs".into());
        }
        let debug = !self.breakpoints.is_empty() || !self.watchpoints.is_empty();
        if self.raw.is_none() && self.lanes.is_some() && debug {
            return Some("--break and --watch do not apply to --lanes runs of ELF programs".into());
        }
        if self.mode != mode::RunMode::Standard && self.backend == BackendChoice::Cpu {
            return Some(format!(
                "--mode {} needs the CUDA backend (--backend cuda); the CPU backend runs standard only",
                self.mode.name()
            ));
        }
        if self.batch.is_some() && self.mode != mode::RunMode::Continuous {
            return Some("--batch applies to --mode continuous only".into());
        }
        if self.raw.is_some() {
            if let Some(b) = self.breakpoints.iter().find(|b| parse_u64(b).is_err()) {
                return Some(format!(
                    "--break {b}: raw images need a number (decimal or 0x-hex)"
                ));
            }
        }
        None
    }
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

/// `--watch ADDR[:LEN][:r|w|rw]`: LEN defaults to 8 bytes, the kind to w.
fn parse_watch(s: &str) -> Result<kvrm_isa::Watchpoint, String> {
    use kvrm_isa::WatchKind;
    let mut parts = s.split(':');
    let addr = parse_u64(parts.next().unwrap_or(""))?;
    let (mut len, mut kind) = (8u64, WatchKind::Write);
    let mut rest: Vec<&str> = parts.collect();
    if let Some(&last) = rest.last() {
        let k = match last {
            "r" => Some(WatchKind::Read),
            "w" => Some(WatchKind::Write),
            "rw" | "wr" => Some(WatchKind::ReadWrite),
            _ => None,
        };
        if let Some(k) = k {
            kind = k;
            rest.pop();
        }
    }
    match rest[..] {
        [] => {}
        [l] => len = parse_u64(l)?,
        _ => return Err(format!("`{s}`: expected ADDR[:LEN][:r|w|rw]")),
    }
    if len == 0 {
        return Err(format!("`{s}`: LEN must be at least 1"));
    }
    Ok(kvrm_isa::Watchpoint { addr, len, kind })
}

/// `--engine interp|jit`.
pub(crate) fn parse_engine(s: &str) -> Result<kvrm_cpu::ExecMode, String> {
    s.parse()
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

/// glibc's malloc raises its trim threshold each time a large block is
/// freed, so the heap of the JIT's compile thread (Cranelift allocates and
/// frees megabytes per region) kept its high-water mark resident: a fixed
/// threshold gives that memory back (0.7 MB of peak memory on
/// sprintf/strtod; BENCHMARKS.md).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn return_freed_memory() {
    // SAFETY: mallopt only sets a parameter of the allocator.
    unsafe {
        libc::mallopt(libc::M_TRIM_THRESHOLD, 128 << 10);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn return_freed_memory() {}

fn main() -> ExitCode {
    return_freed_memory();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Run(args) => {
            if let Some(msg) = args.usage_error() {
                eprintln!("kvrm run: {msg} (see kvrm run --help)");
                return ExitCode::from(USAGE_ERROR);
            }
            run(args)
        }
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

/// Exit status of usage errors, as clap uses for its own.
const USAGE_ERROR: u8 = 2;

fn run(args: RunArgs) -> anyhow::Result<run_elf::Exit> {
    let lanes = args.lanes.map(|n| lanes::LaneOptions {
        lanes: n as usize,
        out: args.out.clone(),
        backend: args.backend,
        quiet: args.quiet,
        stats: args.stats,
        host_threads: args.host_threads.map(|n| n as usize),
    });
    if let Some(file) = &args.raw {
        let load_addr = args.load_addr.unwrap_or(0);
        let opts = raw::RawRunOptions {
            file: file.clone(),
            load_addr,
            entry: args.entry.unwrap_or(load_addr),
            memory_size: args.memory_size,
            max_instructions: args.max_instructions.unwrap_or(u64::MAX),
            json: args.json,
            trace: args.trace,
            stats: args.stats,
            backend: args.backend,
            engine: args.engine,
            breakpoints: args
                .breakpoints
                .iter()
                .map(|b| parse_u64(b).map_err(anyhow::Error::msg))
                .collect::<anyhow::Result<_>>()?,
            watchpoints: args.watchpoints.clone(),
            mode: args.mode,
            batch: args.batch.unwrap_or(mode::DEFAULT_BATCH),
        };
        return match lanes {
            Some(l) => lanes::run_raw_lanes(&opts, &l),
            None => raw::run_raw(&opts).map(run_elf::Exit::Code),
        };
    }
    let mut command = args.command.into_iter();
    let program = PathBuf::from(command.next().expect("checked by usage_error"));
    let opts = run_elf::ElfRunOptions {
        program,
        args: command.collect(),
        env_set: args.env_set,
        env_unset: args.env_unset,
        fs_root: args.fs_root,
        lib_prefix: args.lib_prefix,
        quiet: args.quiet,
        stats: args.stats,
        max_instructions: args.max_instructions,
        trace: args.trace,
        deterministic: args.deterministic,
        seed: args.seed.unwrap_or(0),
        memory_limit: args.memory_limit,
        max_processes: args.max_processes,
        backend: args.backend,
        net: args.net,
        engine: args.engine,
        breakpoints: args.breakpoints,
        watchpoints: args.watchpoints,
        launch: args
            .mode
            .for_kernel(args.batch.unwrap_or(mode::DEFAULT_BATCH)),
    };
    match lanes {
        Some(l) => lanes::run_elf_lanes(&opts, &l),
        None => run_elf::run_elf(&opts),
    }
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
    fn watch_specs_parse() {
        use kvrm_isa::{WatchKind, Watchpoint};
        let w = |addr, len, kind| Watchpoint { addr, len, kind };
        assert_eq!(parse_watch("0x8000"), Ok(w(0x8000, 8, WatchKind::Write)));
        assert_eq!(parse_watch("0x8000:4"), Ok(w(0x8000, 4, WatchKind::Write)));
        assert_eq!(parse_watch("0x8000:r"), Ok(w(0x8000, 8, WatchKind::Read)));
        assert_eq!(
            parse_watch("4096:16:rw"),
            Ok(w(4096, 16, WatchKind::ReadWrite))
        );
        assert!(parse_watch("0x8000:0").is_err());
        assert!(parse_watch("0x8000:4:x").is_err());
        assert!(parse_watch("sym").is_err());
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
