//! `kvrm run --raw FILE`: a raw image in flat memory, the Metal system's model.

use std::path::PathBuf;

use anyhow::Context;
use kvrm_cpu::CpuEngine;
use kvrm_isa::space::DEFAULT_RAW_MEMORY;
use kvrm_isa::{AddressSpace, CpuState, Engine, Machine, RunResult, StopReason, Watchpoint};

use crate::backend::{Backend, BackendChoice};

#[derive(Debug, Clone)]
pub struct RawRunOptions {
    pub file: PathBuf,
    pub load_addr: u64,
    pub entry: u64,
    pub memory_size: Option<u64>,
    pub max_instructions: u64,
    pub json: bool,
    pub trace: bool,
    /// Print instructions, time and instructions/s to stderr.
    pub stats: bool,
    /// `--backend`: the engine that runs the image.
    pub backend: BackendChoice,
    /// Interpreter or JIT (CPU backend).
    pub engine: Option<kvrm_cpu::ExecMode>,
    /// `--break`: stop before these pcs.
    pub breakpoints: Vec<u64>,
    /// `--watch`: stop before accesses to these ranges.
    pub watchpoints: Vec<Watchpoint>,
    /// `--mode`: how the CUDA backend issues the run.
    pub mode: crate::mode::RunMode,
    /// `--batch`: instructions per run of `--mode continuous`.
    pub batch: u64,
}

pub fn run_raw(opts: &RawRunOptions) -> anyhow::Result<i32> {
    let image = read_image(opts)?;
    let backend = crate::backend::open_in_mode(
        opts.backend,
        1,
        true,
        false,
        opts.engine,
        opts.mode.gpu_only_name(),
    )?;
    match backend {
        Backend::Cpu => {
            let mut engine = CpuEngine::with_exec_mode(crate::backend::cpu_mode(opts.engine));
            engine.set_breakpoints(&opts.breakpoints);
            engine.set_watchpoints(&opts.watchpoints);
            let printer = opts.trace.then(|| crate::trace::install(&mut engine));
            let mut cpu = Machine::new(engine, flat_memory(opts)?);
            load(opts, &image, cpu.memory_mut())?;
            cpu.set_pc(opts.entry);
            let result = cpu.run(opts.max_instructions);
            if let Some(p) = printer {
                p.finish(Some(cpu.state()));
            }
            let stats = kvrm_isa::Engine::stats(&cpu.engine);
            Ok(finish(opts, &result, cpu.state(), &stats))
        }
        Backend::Cuda(engine) => {
            let mut engine = *engine;
            engine.set_breakpoints(&opts.breakpoints);
            engine.set_watchpoints(&opts.watchpoints);
            let printer = opts.trace.then(|| crate::trace::install_cuda(&mut engine));
            let mut gpu = Machine::new(engine, flat_memory(opts)?);
            load(opts, &image, gpu.memory_mut())?;
            gpu.set_pc(opts.entry);
            let (result, mode_stats) = crate::mode::run_one(
                &mut gpu.engine,
                gpu.id,
                opts.max_instructions,
                opts.mode,
                opts.batch,
            )?;
            if let Some(p) = printer {
                p.finish(None);
            }
            if let Some(e) = gpu.engine.take_error() {
                eprintln!("kvrm: {e}");
            }
            let mut stats = kvrm_isa::Engine::stats(&gpu.engine);
            stats.push(("cuda mode runs", mode_stats.runs));
            if opts.mode == crate::mode::RunMode::Async {
                stats.push(("cuda async progress polls", mode_stats.polls));
            }
            Ok(finish(opts, &result, gpu.state(), &stats))
        }
    }
}

/// The image file's bytes.
pub fn read_image(opts: &RawRunOptions) -> anyhow::Result<Vec<u8>> {
    std::fs::read(&opts.file).with_context(|| format!("cannot read {}", opts.file.display()))
}

/// A fresh flat memory of `--memory-size`.
pub fn flat_memory(opts: &RawRunOptions) -> anyhow::Result<AddressSpace> {
    AddressSpace::flat(opts.memory_size.unwrap_or(DEFAULT_RAW_MEMORY))
        .context("invalid --memory-size (must be a non-zero multiple of 4096)")
}

/// Copy the image into `memory` (the machine's pc goes to `opts.entry`).
pub fn load(opts: &RawRunOptions, image: &[u8], memory: &mut AddressSpace) -> anyhow::Result<()> {
    memory
        .write_bytes_force(opts.load_addr, image)
        .map_err(|f| {
            anyhow::anyhow!(
                "{} ({} bytes) does not fit at {:#x} in the flat memory: {f}",
                opts.file.display(),
                image.len(),
                opts.load_addr
            )
        })?;
    Ok(())
}

/// Print the result (and `--stats`); returns the exit status.
fn finish(
    opts: &RawRunOptions,
    result: &RunResult,
    state: &CpuState,
    stats: &[(&'static str, u64)],
) -> i32 {
    if opts.stats {
        // The first line of an ELF run's --stats, which raw runs share.
        eprintln!(
            "kvrm: {} instructions in {:.3} s ({:.1} M instructions/s)",
            result.instructions,
            result.elapsed.as_secs_f64(),
            result.ips() / 1e6
        );
        for (name, v) in stats {
            eprintln!("kvrm: {name}: {v}");
        }
    }
    print!("{}", report(opts, result, state));
    exit_status(&result.stop)
}

/// What a run prints on stdout: the text report or one JSON line.
pub fn report(opts: &RawRunOptions, result: &RunResult, state: &CpuState) -> String {
    if opts.json {
        format!("{}\n", json_report(result, state))
    } else {
        text_report(result, state)
    }
}

/// A raw run's exit status: 1 for a fault, an undefined instruction or an
/// engine error, 126 for a breakpoint or watchpoint (as an ELF run), else 0.
pub fn exit_status(stop: &StopReason) -> i32 {
    match stop {
        StopReason::Fault { .. }
        | StopReason::Undefined { .. }
        | StopReason::EngineError { .. } => 1,
        StopReason::Breakpoint { .. } | StopReason::Watchpoint { .. } => {
            kvrm_linux::DEBUG_STOP_STATUS
        }
        _ => 0,
    }
}

fn json_report(r: &RunResult, s: &CpuState) -> serde_json::Value {
    let mut v = serde_json::json!({
        "stop": r.stop.kind_str(),
        "message": r.stop.to_string(),
        "cycles": r.instructions,
        "ips": r.ips().round(),
        "pc": s.pc,
        "x": s.x.to_vec(),
        "sp": s.sp,
        "nzcv": s.nzcv,
    });
    match r.stop {
        StopReason::Fault {
            addr, access, kind, ..
        } => {
            v["fault"] = serde_json::json!({
                "addr": addr, "access": access.as_str(), "kind": kind.as_str()
            });
        }
        StopReason::Undefined { encoding, .. } => v["encoding"] = encoding.into(),
        StopReason::Syscall { imm } => v["svc_imm"] = imm.into(),
        StopReason::Halted { imm, .. } => v["imm"] = imm.into(),
        StopReason::Watchpoint { addr, access, .. } => {
            v["watch"] = serde_json::json!({ "addr": addr, "access": access.as_str() });
        }
        _ => {}
    }
    v
}

fn text_report(r: &RunResult, s: &CpuState) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let _ = writeln!(out, "stop: {}", r.stop);
    let _ = writeln!(
        out,
        "instructions: {} ({:.1} M instructions/s)",
        r.instructions,
        r.ips() / 1e6
    );
    let flag = |bit: u64, c: char| if s.nzcv & bit != 0 { c } else { '-' };
    use kvrm_isa::state::{NZCV_C, NZCV_N, NZCV_V, NZCV_Z};
    let _ = writeln!(
        out,
        "pc {:#018x}  sp {:#018x}  nzcv {}{}{}{}",
        s.pc,
        s.sp,
        flag(NZCV_N, 'N'),
        flag(NZCV_Z, 'Z'),
        flag(NZCV_C, 'C'),
        flag(NZCV_V, 'V')
    );
    for row in (0..31).collect::<Vec<_>>().chunks(4) {
        let cells: Vec<String> = row
            .iter()
            .map(|&i| format!("x{i:<2} {:#018x}", s.x[i]))
            .collect();
        let _ = writeln!(out, "{}", cells.join("  "));
    }
    out
}
