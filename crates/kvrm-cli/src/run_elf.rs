//! `kvrm run PROGRAM [ARGS...]`: run a static Linux AArch64 executable on
//! kvrm's virtual kernel.

use std::ffi::OsString;
use std::io::Write;
use std::os::unix::ffi::OsStringExt;
use std::path::PathBuf;

use kvrm_cpu::CpuEngine;
use kvrm_isa::Engine;
use kvrm_linux::{Kernel, KernelConfig, ProgramSpec, RunEnd};

use crate::backend::{Backend, BackendChoice};

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
    /// `-L DIR`: read-only library prefix for absolute guest paths.
    pub lib_prefix: Option<PathBuf>,
    /// `--stats`: print instructions, IPS and syscalls by name to stderr at exit.
    pub stats: bool,
    /// `--max-instructions N`: stop after N instructions.
    pub max_instructions: Option<u64>,
    /// `--trace`: print each instruction to stderr.
    pub trace: bool,
    /// `--deterministic`: fixed thread interleaving, virtual clock, seeded randomness.
    pub deterministic: bool,
    /// `--seed N` for deterministic runs.
    pub seed: u64,
    /// `--memory-limit BYTES` (default: the host's memory).
    pub memory_limit: Option<u64>,
    /// `--max-processes N`: guest processes and threads alive at once.
    pub max_processes: Option<usize>,
    /// `--quiet`: no `kvrm:` diagnostics of kvrm's own (warnings, guest crash reports).
    pub quiet: bool,
    /// `--backend`: the engine under the kernel.
    pub backend: BackendChoice,
    /// `--net`: AF_INET and AF_INET6 sockets reach the host's network.
    pub net: bool,
    /// `--engine`: interpreter or JIT.
    pub engine: Option<kvrm_cpu::ExecMode>,
    /// `--break`: stop before these pcs (numbers or symbols of the program).
    pub breakpoints: Vec<String>,
    /// `--watch`: stop before accesses to these ranges.
    pub watchpoints: Vec<kvrm_isa::Watchpoint>,
    /// `--mode` (and `--batch`): how the kernel issues engine runs.
    pub launch: kvrm_linux::LaunchMode,
}

impl ElfRunOptions {
    /// Defaults for unit tests: the CPU interpreter, fixtures as the root.
    #[cfg(test)]
    pub(crate) fn for_tests(program: PathBuf) -> ElfRunOptions {
        ElfRunOptions {
            program: program.clone(),
            args: vec![],
            env_set: vec![],
            env_unset: vec![],
            fs_root: program.parent().map(std::path::Path::to_path_buf),
            lib_prefix: None,
            stats: false,
            max_instructions: None,
            trace: false,
            deterministic: false,
            seed: 0,
            memory_limit: None,
            max_processes: None,
            quiet: false,
            backend: BackendChoice::Cpu,
            net: false,
            engine: None,
            breakpoints: vec![],
            watchpoints: vec![],
            launch: kvrm_linux::LaunchMode::Standard,
        }
    }

    /// The `--mode` asked for, when it is one only the GPU has.
    pub fn gpu_mode(&self) -> Option<&'static str> {
        (self.launch != kvrm_linux::LaunchMode::Standard).then(|| self.launch.name())
    }

    /// These options for lane `lane` of a `--lanes` run: `{lane}` in the
    /// guest's arguments and in `-E` values becomes the lane index.
    pub fn for_lane(&self, lane: usize) -> ElfRunOptions {
        let index = lane.to_string();
        let sub = |s: &String| s.replace("{lane}", &index);
        let mut o = self.clone();
        o.args = self.args.iter().map(sub).collect();
        o.env_set = self
            .env_set
            .iter()
            .map(|pair| match pair.split_once('=') {
                Some((k, v)) => format!("{k}={}", v.replace("{lane}", &index)),
                None => pair.clone(),
            })
            .collect();
        o
    }

    /// The guest program: executable, argv, environment, root.
    pub fn program_spec(&self) -> anyhow::Result<ProgramSpec> {
        let root = match &self.fs_root {
            Some(r) => r.clone(),
            None => std::env::current_dir()?,
        };
        let mut argv = vec![self.program.as_os_str().as_encoded_bytes().to_vec()];
        argv.extend(self.args.iter().map(|a| a.as_bytes().to_vec()));
        Ok(ProgramSpec {
            exe: self.program.clone(),
            argv,
            envp: guest_env(self)?,
            root,
            cwd: None,
            lib_prefix: self.lib_prefix.clone(),
        })
    }

    /// The kernel's configuration for these options.
    pub fn kernel_config(&self) -> KernelConfig {
        let mut config = KernelConfig {
            deterministic: self.deterministic,
            seed: self.seed,
            max_instructions: self.max_instructions,
            quiet: self.quiet,
            net: self.net,
            launch: self.launch,
            ..KernelConfig::default()
        };
        if let Some(m) = self.memory_limit {
            config.memory_limit = m;
        }
        if let Some(n) = self.max_processes {
            config.max_tasks = n;
        }
        config
    }
}

/// kvrm's own diagnostics on stderr: `kvrm: MESSAGE` for warnings (unknown
/// syscalls, guest processes killed), `kvrm: LEVEL: MESSAGE` for the others.
struct KvrmFormat;

impl<S, N> tracing_subscriber::fmt::FormatEvent<S, N> for KvrmFormat
where
    S: tracing::Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
    N: for<'a> tracing_subscriber::fmt::FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        ctx: &tracing_subscriber::fmt::FmtContext<'_, S, N>,
        mut writer: tracing_subscriber::fmt::format::Writer<'_>,
        event: &tracing::Event<'_>,
    ) -> std::fmt::Result {
        let level = *event.metadata().level();
        write!(writer, "kvrm: ")?;
        if level != tracing::Level::WARN {
            write!(writer, "{}: ", level.as_str().to_ascii_lowercase())?;
        }
        ctx.field_format().format_fields(writer.by_ref(), event)?;
        writeln!(writer)
    }
}

/// Log warnings (unknown syscalls...) to stderr; `KVRM_LOG=trace` shows every syscall.
/// `quiet`: nothing unless KVRM_LOG asks for it.
pub fn init_logging(quiet: bool) {
    let default = if quiet { "off" } else { "warn" };
    let filter = tracing_subscriber::EnvFilter::try_from_env("KVRM_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .event_format(KvrmFormat)
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

/// How the `kvrm` process should end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    Code(i32),
    /// Die of this signal, as the guest did (the parent sees WIFSIGNALED).
    Signal(i32),
}

impl Exit {
    /// The status a shell shows.
    #[cfg(test)]
    pub fn status(self) -> i32 {
        match self {
            Exit::Code(c) => c,
            Exit::Signal(s) => 128 + s,
        }
    }
}

/// Run the program; returns how the `kvrm` process should end.
pub fn run_elf(opts: &ElfRunOptions) -> anyhow::Result<Exit> {
    init_logging(opts.quiet);
    let spec = opts.program_spec()?;
    let config = opts.kernel_config();
    let breakpoints = opts
        .breakpoints
        .iter()
        .map(|b| resolve_address(&opts.program, b))
        .collect::<anyhow::Result<Vec<u64>>>()?;
    let backend = crate::backend::open_in_mode(
        opts.backend,
        1,
        true,
        opts.quiet,
        opts.engine,
        opts.gpu_mode(),
    )?;
    let (mut engine, tracer): (Box<dyn Engine>, _) = match backend {
        Backend::Cpu => {
            let mut engine = CpuEngine::with_exec_mode(crate::backend::cpu_mode(opts.engine));
            let tracer = opts.trace.then(|| crate::trace::install(&mut engine));
            (Box::new(engine), tracer)
        }
        Backend::Cuda(mut engine) => {
            let tracer = opts.trace.then(|| crate::trace::install_cuda(&mut engine));
            (engine, tracer)
        }
    };
    engine.set_breakpoints(&breakpoints);
    engine.set_watchpoints(&opts.watchpoints);
    let mut kernel = Kernel::new(engine, config);
    kvrm_linux::spawn(&mut kernel, &spec)?;
    let summary = kernel.run();
    if let Some(t) = tracer {
        t.finish(None);
    }
    if let Some(e) = kernel.engine_mut().take_error() {
        eprintln!("kvrm: {e}");
    }
    let _ = std::io::stdout().flush();
    match summary.end {
        // Asked for with --break/--watch: reported even with --quiet.
        RunEnd::DebugStop { stop } => eprintln!("kvrm: {stop}"),
        _ if opts.quiet => {}
        RunEnd::Crashed { .. } => {}
        RunEnd::CycleLimit => {
            eprintln!(
                "kvrm: instruction limit of {} reached",
                summary.instructions
            );
        }
        RunEnd::Deadlock => {
            eprintln!("kvrm: every guest thread waits for something that cannot happen");
        }
        RunEnd::Exited(_) => {}
    }
    if opts.stats {
        eprint!("{}", kvrm_linux::format_stats(&summary, &kernel));
    }
    let stopped = matches!(summary.end, RunEnd::CycleLimit | RunEnd::DebugStop { .. });
    if kernel.live_processes() > 0 && !stopped {
        if kernel.engine().name() == "cpu" {
            finish_in_background(&mut kernel, summary.end.status());
        } else {
            // A forked host process cannot use the parent's GPU context: the
            // others finish before kvrm exits.
            kernel.run_rest();
        }
    }
    let signal = match summary.end {
        RunEnd::Crashed { signal, .. } => Some(signal),
        RunEnd::Exited(kvrm_linux::ProcessExit::Signaled(sig)) => Some(sig),
        _ => None,
    };
    Ok(match signal {
        Some(sig) => Exit::Signal(sig),
        None => Exit::Code(summary.end.status()),
    })
}

/// A `--break` address: a number (decimal or 0x-hex), or the name of a
/// symbol of a non-PIE `program` (its address in the file is where it runs).
pub fn resolve_address(program: &std::path::Path, s: &str) -> anyhow::Result<u64> {
    if let Ok(v) = crate::parse_u64(s) {
        return Ok(v);
    }
    use object::{Object, ObjectKind, ObjectSymbol};
    let data = std::fs::read(program)
        .map_err(|e| anyhow::anyhow!("--break {s}: cannot read {}: {e}", program.display()))?;
    let file = object::File::parse(&*data)
        .map_err(|e| anyhow::anyhow!("--break {s}: {}: {e}", program.display()))?;
    anyhow::ensure!(
        file.kind() == ObjectKind::Executable,
        "--break {s}: symbols only for non-PIE executables (give the address)"
    );
    file.symbols()
        .chain(file.dynamic_symbols())
        .find(|sym| sym.name() == Ok(s) && sym.address() != 0)
        .map(|sym| sym.address())
        .ok_or_else(|| {
            anyhow::anyhow!(
                "--break {s}: not a number and no symbol of {}",
                program.display()
            )
        })
}

/// The first guest process ended but others still run (a background job
/// of a shell): as with qemu-user, where each is a host process, kvrm's own
/// status is the first process's now and the others go on. The host process
/// forks; the parent returns, the child runs the rest and exits.
fn finish_in_background(kernel: &mut Kernel, _status: i32) {
    let _ = std::io::stderr().flush();
    // SAFETY: kvrm runs guests on this one thread; the child only goes on
    // running the kernel it has a copy of, then exits without unwinding.
    let pid = unsafe { libc::fork() };
    if pid == 0 {
        kernel.run_rest();
        let _ = std::io::stdout().flush();
        // SAFETY: ends the child without running the parent's exit handlers.
        unsafe { libc::_exit(0) }
    }
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
        ElfRunOptions::for_tests(program)
    }

    #[test]
    fn exit_status_is_the_guests() {
        // qemu-aarch64 exit42; echo $? -> 42
        assert_eq!(run_elf(&opts(fixture("exit42"))).unwrap().status(), 42);
        // qemu-aarch64 segv -> 139, sigill -> 132
        assert_eq!(run_elf(&opts(fixture("segv"))).unwrap(), Exit::Signal(11));
        assert_eq!(run_elf(&opts(fixture("sigill"))).unwrap(), Exit::Signal(4));
        let mut o = opts(fixture("exit42_pie"));
        o.stats = true;
        assert_eq!(run_elf(&o).unwrap(), Exit::Code(42));
    }

    #[test]
    fn cycle_limit_stops_the_guest() {
        let mut o = opts(fixture("hello"));
        o.max_instructions = Some(2);
        assert_eq!(run_elf(&o).unwrap(), Exit::Code(124));
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
