//! Linux user-mode emulation for AArch64 guests: ELF loading, process setup,
//! the syscall layer and the file-system sandbox. Backend-independent: it
//! works on any [`kvrm_isa::Backend`].
//!
//! ```text
//! let mut cpu = Cpu::new(AddressSpace::new());
//! let mut proc = kvrm_linux::load(&mut cpu, &ProgramSpec::new(path, argv, envp, root))?;
//! let summary = kvrm_linux::run(&mut cpu, &mut proc, None);
//! std::process::exit(summary.end.status());
//! ```

use kvrm_isa::{AddressSpace, CpuState, FaultKind, StopReason};
use std::path::{Path, PathBuf};

pub mod abi;
pub mod elf;
pub mod fd;
pub mod kernel;
mod locks;
mod mounts;
mod procfs;
pub mod sandbox;
mod shared;
pub mod stack;
mod stats;
pub mod syscalls;
mod sysfs;

pub use elf::{load_elf, ElfError, LoadedElf};
pub use kernel::{
    Kernel, KernelConfig, LaunchMode, LaunchStats, Pid, RunEnd, RunSummary, DEBUG_STOP_STATUS,
    MEGA_SLICE,
};
pub use sandbox::Sandbox;
pub use stack::{ProcessImage, StackInfo};
pub use stats::StatsReport;
pub use syscalls::{
    stdio_file, syscall_name, syscall_number, LinuxProcess, ProcessConfig, ProcessExit,
    SyscallOutcome,
};

/// Why a program could not be started.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("{path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: {source}")]
    Elf { path: PathBuf, source: ElfError },
    #[error("{path}: dynamically linked: its interpreter {interp} is not in the guest's file system ({why}); give the sysroot that has it with --fs-root or -L")]
    Interpreter {
        path: PathBuf,
        interp: String,
        why: String,
    },
    #[error("cannot use {path} as the guest root: {source}")]
    Root {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot build the initial stack: {0}")]
    Stack(kvrm_isa::MemFault),
}

/// What to run.
#[derive(Debug, Clone, Default)]
pub struct ProgramSpec {
    /// The executable's host path. An absolute path that does not exist on the
    /// host is looked up in the guest's file system (the root, the prefix).
    pub exe: PathBuf,
    /// Guest argv (argv[0] included).
    pub argv: Vec<Vec<u8>>,
    /// Guest environment, `NAME=VALUE`.
    pub envp: Vec<Vec<u8>>,
    /// Host directory that is the guest's `/`.
    pub root: PathBuf,
    /// Guest working directory (a guest path: any bytes but NUL); `None`: the
    /// host's current directory if it is inside the root, else `/`.
    pub cwd: Option<Vec<u8>>,
    /// Read-only library prefix searched first for absolute guest paths
    /// (`kvrm run -L DIR`, see [`Sandbox`]): where the dynamic loader and the
    /// shared libraries of a dynamic program can be.
    pub lib_prefix: Option<PathBuf>,
}

/// Load `spec` as the kernel's first process (or another top-level one):
/// segments, stack, auxv, registers. Returns its guest pid.
pub fn spawn(kernel: &mut Kernel, spec: &ProgramSpec) -> Result<Pid, LoadError> {
    let mut image = LoadedImage::load(spec)?;
    let space = std::mem::take(&mut image.space);
    spawn_image(kernel, &image, space, spec)
}

/// A program loaded once for many processes (`kvrm run --lanes`): each
/// [`spawn_from`] gives a new process a copy-on-write copy of the loaded
/// segments and a stack of its own, instead of reading and loading the
/// file again (thousands of lanes spent seconds doing that).
pub struct LoadedImage {
    /// The spec fields it was loaded for.
    exe: PathBuf,
    root: PathBuf,
    lib_prefix: Option<PathBuf>,
    sandbox: Sandbox,
    /// The program and its dynamic loader, before any stack.
    space: AddressSpace,
    loaded: LoadedElf,
    interp: Option<LoadedElf>,
    exe_abs: PathBuf,
    exe_link: Vec<u8>,
}

impl LoadedImage {
    /// Read and load `spec`'s program (and its dynamic loader).
    pub fn load(spec: &ProgramSpec) -> Result<Self, LoadError> {
        let root_err = |path: &Path| {
            let path = path.to_path_buf();
            move |source| LoadError::Root { path, source }
        };
        let mut sandbox = Sandbox::new(&spec.root).map_err(root_err(&spec.root))?;
        if let Some(prefix) = &spec.lib_prefix {
            sandbox = sandbox.with_prefix(prefix).map_err(root_err(prefix))?;
        }
        // An absolute program path missing on the host names a file in the
        // guest's file system.
        let mut exe = spec.exe.clone();
        let mut exe_guest = None;
        if exe.is_absolute() && !exe.exists() {
            if let Ok(r) = sandbox.resolve(b"/", spec.exe.as_os_str().as_encoded_bytes(), true) {
                if r.host.exists() {
                    exe = r.host;
                    exe_guest = Some(r.guest);
                }
            }
        }
        let data = std::fs::read(&exe).map_err(|source| LoadError::Read {
            path: spec.exe.clone(),
            source,
        })?;
        let mut space = AddressSpace::new();
        let loaded = load_elf(&data, &mut space).map_err(|source| LoadError::Elf {
            path: spec.exe.clone(),
            source,
        })?;
        let interp = match &loaded.interp {
            None => None,
            Some(ipath) => {
                let ierr = |why: String| LoadError::Interpreter {
                    path: spec.exe.clone(),
                    interp: String::from_utf8_lossy(ipath).into_owned(),
                    why,
                };
                let r = sandbox
                    .resolve(b"/", ipath, true)
                    .map_err(|e| ierr(format!("errno {e}")))?;
                let idata = std::fs::read(&r.host).map_err(|e| ierr(e.to_string()))?;
                Some(
                    elf::load_interpreter(&idata, &mut space, ipath).map_err(|source| {
                        LoadError::Elf {
                            path: r.host.clone(),
                            source,
                        }
                    })?,
                )
            }
        };
        let exe_abs = std::fs::canonicalize(&exe).unwrap_or_else(|_| exe.clone());
        let exe_link = exe_guest
            .or_else(|| sandbox.guest_path_of(&exe_abs))
            .unwrap_or_else(|| exe_abs.as_os_str().as_encoded_bytes().to_vec());
        Ok(LoadedImage {
            exe: spec.exe.clone(),
            root: spec.root.clone(),
            lib_prefix: spec.lib_prefix.clone(),
            sandbox,
            space,
            loaded,
            interp,
            exe_abs,
            exe_link,
        })
    }

    /// Was it loaded from the program, root and prefix `spec` names?
    pub fn fits(&self, spec: &ProgramSpec) -> bool {
        self.exe == spec.exe && self.root == spec.root && self.lib_prefix == spec.lib_prefix
    }
}

/// Start `spec` (whose program, root and prefix `image` was loaded from, see
/// [`LoadedImage::fits`]; its argv, environment and cwd are its own) as a new
/// top-level process on a copy-on-write copy of `image`.
pub fn spawn_from(
    kernel: &mut Kernel,
    image: &mut LoadedImage,
    spec: &ProgramSpec,
) -> Result<Pid, LoadError> {
    debug_assert!(image.fits(spec));
    let space = image.space.fork();
    spawn_image(kernel, image, space, spec)
}

/// The process of `spec` on `space` (holding `image`'s segments): stack,
/// auxv, registers, its Linux layer.
fn spawn_image(
    kernel: &mut Kernel,
    image: &LoadedImage,
    mut space: AddressSpace,
    spec: &ProgramSpec,
) -> Result<Pid, LoadError> {
    let sandbox = &image.sandbox;
    let cwd = match &spec.cwd {
        Some(c) => sandbox
            .resolve(b"/", c, true)
            .map(|r| r.guest)
            .unwrap_or_else(|_| b"/".to_vec()),
        None => std::env::current_dir()
            .ok()
            .and_then(|d| sandbox.guest_path_of(&d))
            .unwrap_or_else(|| b"/".to_vec()),
    };
    let mut proc = LinuxProcess::new(ProcessConfig {
        root: sandbox.root().to_path_buf(),
        lib_prefix: sandbox.prefix().map(Path::to_path_buf),
        exe_host: image.exe_abs.clone(),
        exe_link: image.exe_link.clone(),
        cwd,
        brk_start: image.loaded.brk_start,
    })
    .map_err(|source| LoadError::Root {
        path: spec.root.clone(),
        source,
    })?;
    proc.det = kernel.det_for_new_process();
    proc.note_start();
    let random = match kernel.seeded_random() {
        Some(r) => r,
        None => {
            let mut r = [0u8; 16];
            syscalls::fill_random(&mut r);
            r
        }
    };
    let img = ProcessImage {
        argv: spec.argv.clone(),
        envp: spec.envp.clone(),
        execfn: spec.exe.as_os_str().as_encoded_bytes().to_vec(),
        random,
        uid: proc.creds.ruid,
        euid: proc.creds.euid,
        gid: proc.creds.rgid,
        egid: proc.creds.egid,
    };
    let (loaded, interp) = (&image.loaded, image.interp.as_ref());
    let info = stack::setup_stack(&mut space, loaded, interp, &img).map_err(LoadError::Stack)?;
    let mut state = CpuState::new();
    let entry = interp.map_or(loaded.entry, |i| i.entry);
    stack::init_registers(&mut state, entry, info.sp);
    proc.args_range = info.args;
    proc.map_names = procfs_names(loaded, interp, &proc.exe_link, sandbox, &loaded.interp);
    Ok(kernel.add_process(space, state, proc))
}

/// /proc/PID/maps names of a new program's mappings: the program and its
/// dynamic loader.
pub(crate) fn procfs_names(
    prog: &LoadedElf,
    interp: Option<&LoadedElf>,
    exe_link: &[u8],
    sandbox: &Sandbox,
    interp_path: &Option<Vec<u8>>,
) -> Vec<procfs::NamedMapping> {
    let mut v = vec![procfs::NamedMapping {
        start: prog.low,
        end: prog.brk_start,
        offset: 0,
        name: exe_link.to_vec(),
    }];
    if let (Some(i), Some(path)) = (interp, interp_path) {
        let name = sandbox
            .resolve(b"/", path, true)
            .map(|r| r.guest)
            .unwrap_or_else(|_| path.clone());
        v.push(procfs::NamedMapping {
            start: i.low,
            end: i.brk_start,
            offset: 0,
            name,
        });
    }
    v
}

/// The signal Linux sends for a stop that is not a syscall, if any.
pub fn signal_for_stop(stop: &StopReason) -> Option<i32> {
    use abi::signal::*;
    match stop {
        StopReason::Fault {
            kind: FaultKind::Alignment | FaultKind::Bus,
            ..
        } => Some(SIGBUS),
        StopReason::Fault { .. } => Some(SIGSEGV),
        StopReason::Undefined { .. } => Some(SIGILL),
        StopReason::Halted { hlt: false, .. } => Some(SIGTRAP),
        StopReason::Halted { hlt: true, .. } => Some(SIGILL),
        _ => None,
    }
}

/// The `--stats` report: instructions, instructions/s, syscalls by name
/// (every guest process), host times, the engine's counters.
pub fn format_stats(summary: &RunSummary, kernel: &Kernel) -> String {
    StatsReport::of(summary, kernel).to_string()
}

/// The guest path of a host path under `root`, as [`Sandbox::guest_path_of`].
pub fn guest_path(root: &Path, host: &Path) -> Option<Vec<u8>> {
    Sandbox::new(root).ok()?.guest_path_of(host)
}
