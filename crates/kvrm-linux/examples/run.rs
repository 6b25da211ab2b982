//! Run a static AArch64 Linux executable on the CPU engine:
//! `cargo run -p kvrm-linux --example run -- PROGRAM [ARGS...]`.
//! Prints `--stats`-like numbers to stderr when KVRM_STATS is set.
//! KVRM_LANES=N spawns N copies in one kernel (the GPU's `--lanes` layout),
//! to profile the kernel's own cost per process.

use kvrm_cpu::CpuEngine;
use kvrm_linux::{
    format_stats, spawn, spawn_from, Kernel, KernelConfig, LoadedImage, ProgramSpec, RunEnd,
};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(prog) = args.first() else {
        eprintln!("usage: run PROGRAM [ARGS...]");
        std::process::exit(2);
    };
    let spec = ProgramSpec {
        exe: prog.into(),
        argv: args.iter().map(|a| a.as_bytes().to_vec()).collect(),
        envp: std::env::vars()
            .map(|(k, v)| format!("{k}={v}").into_bytes())
            .collect(),
        root: std::env::var("KVRM_ROOT")
            .unwrap_or_else(|_| ".".into())
            .into(),
        cwd: None,
        lib_prefix: None,
    };
    let mut kernel = Kernel::new(Box::new(CpuEngine::new()), KernelConfig::default());
    let lanes: usize = std::env::var("KVRM_LANES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(1);
    let t0 = std::time::Instant::now();
    let spawned = if lanes == 1 {
        spawn(&mut kernel, &spec).map(|_| ())
    } else {
        LoadedImage::load(&spec).and_then(|mut image| {
            (0..lanes).try_for_each(|_| spawn_from(&mut kernel, &mut image, &spec).map(|_| ()))
        })
    };
    if let Err(e) = spawned {
        eprintln!("run: {e}");
        std::process::exit(1);
    }
    if std::env::var_os("KVRM_STATS").is_some() {
        eprintln!(
            "run: {lanes} processes spawned in {:.3} s",
            t0.elapsed().as_secs_f64()
        );
    }
    let s = kernel.run();
    if let RunEnd::Crashed { stop, signal } = s.end {
        eprintln!("run: {stop}: signal {signal}");
    }
    if std::env::var_os("KVRM_STATS").is_some() {
        eprint!("{}", format_stats(&s, &kernel));
    }
    // Guest processes the first one left behind run to their end.
    kernel.run_rest();
    std::process::exit(s.end.status());
}
