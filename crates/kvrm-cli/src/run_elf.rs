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
    /// `--max-instructions N`: stop after N instructions.
    pub max_instructions: Option<u64>,
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
    let tracer = opts.trace.then(|| crate::trace::install(&mut cpu));
    let summary = kvrm_linux::run(&mut cpu, &mut proc, opts.max_instructions);
    if let Some(t) = tracer {
        t.finish(&cpu.state);
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../kvrm-linux/tests/asm")
            .join(name)
    }

    fn opts(program: PathBuf) -> ElfRunOptions {
        ElfRunOptions {
            program,
            args: vec![],
            env_set: vec![],
            env_unset: vec![],
            fs_root: Some(fixture("")),
            stats: false,
            max_instructions: None,
            trace: false,
        }
    }

    #[test]
    fn exit_status_is_the_guests() {
        // qemu-aarch64 exit42; echo $? -> 42
        assert_eq!(run_elf(&opts(fixture("exit42"))).unwrap(), 42);
        // qemu-aarch64 segv -> 139, sigill -> 132
        assert_eq!(run_elf(&opts(fixture("segv"))).unwrap(), 139);
        assert_eq!(run_elf(&opts(fixture("sigill"))).unwrap(), 132);
        let mut o = opts(fixture("exit42_pie"));
        o.stats = true;
        assert_eq!(run_elf(&o).unwrap(), 42);
    }

    #[test]
    fn cycle_limit_stops_the_guest() {
        let mut o = opts(fixture("hello"));
        o.max_instructions = Some(2);
        assert_eq!(run_elf(&o).unwrap(), 124);
    }

    #[test]
    fn bad_programs_are_one_line_errors() {
        let e = run_elf(&opts(fixture("hello.S"))).unwrap_err().to_string();
        assert!(e.contains("not an ELF file") && !e.contains('\n'), "{e}");
        let e = run_elf(&opts(fixture("missing"))).unwrap_err().to_string();
        assert!(!e.contains('\n'), "{e}");
        let tmp = std::env::temp_dir().join(format!("kvrm-trunc-{}", std::process::id()));
        let bytes = std::fs::read(fixture("hello")).unwrap();
        std::fs::write(&tmp, &bytes[..40]).unwrap();
        let e = run_elf(&opts(tmp.clone())).unwrap_err().to_string();
        let _ = std::fs::remove_file(&tmp);
        assert!(e.contains("truncated"), "{e}");
    }

    #[test]
    fn environment_edits() {
        let mut o = opts(fixture("exit42"));
        o.env_set = vec!["KVRM_NEW=1".into(), "PATH=/guest/bin".into()];
        o.env_unset = vec!["HOME".into()];
        let env = guest_env(&o).unwrap();
        let has = |s: &str| env.iter().any(|e| e == s.as_bytes());
        assert!(has("KVRM_NEW=1"));
        assert!(has("PATH=/guest/bin"));
        assert!(!env.iter().any(|e| e.starts_with(b"HOME=")));
        assert_eq!(env.iter().filter(|e| e.starts_with(b"PATH=")).count(), 1);
        o.env_set = vec!["NOEQUALS".into()];
        assert!(guest_env(&o).is_err());
    }
}
