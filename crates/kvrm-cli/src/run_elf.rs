//! `kvrm run PROGRAM [ARGS...]`: run a static Linux AArch64 executable.

use std::ffi::OsString;
use std::io::Write;
use std::os::unix::ffi::OsStringExt;
use std::path::PathBuf;

use kvrm_cpu::Cpu;
use kvrm_isa::GuestMemory;
use kvrm_linux::{ProgramSpec, RunEnd};

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

/// Log warnings (unknown syscalls...) to stderr; `KVRM_LOG=trace` shows every syscall.
fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("KVRM_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .without_time()
        .with_target(false)
        .try_init();
}

/// The guest environment: the host's, with `-U` names removed and `-E` pairs set.
fn guest_env(opts: &ElfRunOptions) -> anyhow::Result<Vec<Vec<u8>>> {
    let mut env: Vec<(OsString, OsString)> = std::env::vars_os().collect();
    for name in &opts.env_unset {
        env.retain(|(k, _)| k.as_os_str() != name.as_str());
    }
    for pair in &opts.env_set {
        let Some((k, v)) = pair.split_once('=') else {
            anyhow::bail!("-E {pair}: expected NAME=VALUE");
        };
        match env.iter_mut().find(|(ek, _)| ek.as_os_str() == k) {
            Some(e) => e.1 = v.into(),
            None => env.push((k.into(), v.into())),
        }
    }
    Ok(env
        .into_iter()
        .map(|(k, v)| {
            let mut b = k.into_vec();
            b.push(b'=');
            b.extend_from_slice(&v.into_vec());
            b
        })
        .collect())
}

/// Run the program; returns the exit status for the `kvrm` process.
pub fn run_elf(opts: &ElfRunOptions) -> anyhow::Result<i32> {
    init_logging();
    let root = match &opts.fs_root {
        Some(r) => r.clone(),
        None => std::env::current_dir()?,
    };
    let mut argv = vec![opts.program.as_os_str().as_encoded_bytes().to_vec()];
    argv.extend(opts.args.iter().map(|a| a.as_bytes().to_vec()));
    let spec = ProgramSpec {
        exe: opts.program.clone(),
        argv,
        envp: guest_env(opts)?,
        root,
        cwd: None,
    };
    let mut cpu = Cpu::new(GuestMemory::new());
    let mut proc = kvrm_linux::load(&mut cpu, &spec)?;
    if opts.trace {
        cpu.set_tracer(Some(Box::new(|state, word| {
            eprintln!("{:016x}: {:08x}", state.pc, word);
        })));
    }
    let summary = kvrm_linux::run(&mut cpu, &mut proc, opts.max_cycles);
    let _ = std::io::stdout().flush();
    match summary.end {
        RunEnd::Crashed { stop, signal } => {
            eprintln!("kvrm: {stop}: guest killed by signal {signal}");
        }
        RunEnd::CycleLimit => {
            eprintln!(
                "kvrm: instruction limit of {} reached at pc {:#x}",
                summary.instructions, cpu.state.pc
            );
        }
        RunEnd::Exited(_) => {}
    }
    if opts.stats {
        eprint!("{}", kvrm_linux::format_stats(&summary, &proc));
    }
    Ok(summary.end.status())
}
