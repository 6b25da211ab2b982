//! The CUDA kernels compiled as host C++ (`kernels/host_shim.h`) and run on
//! oracle fixture cases, so kernel semantics are checked on machines with no
//! GPU (CI). One host thread plays the lanes in turn; cases whose lane stops
//! as "needs host" are left to the GPU test (they exercise the fallback).
//! Skips with a reason when there is no C++ compiler.

use std::path::PathBuf;

use kvrm_cpu::CpuEngine;
use kvrm_isa::space::{PAGE_SHIFT, PAGE_SIZE};
use kvrm_isa::{Access, AddressSpace, CpuState, Engine};
use kvrm_testkit::{case_files, check_case, load_cases, prepare_case, CASE_BUDGET};

use crate::devmem::DevSpace;
use crate::engine::lane_stop_reason;
use crate::kernels::kernel_source;
use crate::layout::*;

pub(crate) type RunFn = unsafe extern "C" fn(
    *mut CpuState,
    *const u32,
    u32,
    *const u32,
    *const SpaceDev,
    *mut u8,
    *mut Control,
    *mut PageEvent,
    *mut u64,
    *const u64,
    *mut LaneStop,
    u32,
    *mut u64,
    *mut u64,
    *const u8,
    *const u64,
    u32,
    *mut Hot,
    *const DebugDev,
);

const WRAPPER: &str = r#"
extern "C" void kvrm_run_host(KvrmCpuState *states, const u32 *lane_machine, u32 nlanes,
                              const u32 *lane_space, const KvrmSpaceDev *spaces, u8 *pool,
                              KvrmControl *ctl, KvrmPageEvent *events, u64 *decode_cache,
                              const u64 *budgets, KvrmLaneStop *stops, u32 gen,
                              u64 *progress, volatile u64 *host_progress,
                              const u8 *tb_enabled, const u64 *tb_pages, u32 tb_mask,
                              KvrmHot *hot, const KvrmDebug *dbg) {
    blockDim.x = 1;
    threadIdx.x = 0;
    for (u32 i = 0; i < nlanes; i++) {
        blockIdx.x = i;
        kvrm_run(states, lane_machine, nlanes, lane_space, spaces, pool, ctl, events,
                 decode_cache, budgets, stops, gen, progress, host_progress, tb_enabled,
                 tb_pages, tb_mask, hot, dbg, 0u);
    }
}
"#;

/// Build the host library; `None` (with the reason printed) without a compiler.
pub(crate) fn build_library() -> Option<PathBuf> {
    build_library_from(&kernel_source(), "plain")
}

/// Build `kernel` (a kernel source) as a host library named after `tag`.
pub(crate) fn build_library_from(kernel: &str, tag: &str) -> Option<PathBuf> {
    // A directory per call: tests in one process build their libraries at
    // the same time, and a compiler writing a library another test has
    // loaded would change code under it.
    static CALLS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let call = CALLS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!(
        "kvrm-host-kernel-{}-{tag}-{call}",
        std::process::id()
    ));
    std::fs::create_dir_all(&dir).ok()?;
    let src = dir.join("kernel.cpp");
    let lib = dir.join("libkvrm_kernel.so");
    let text = format!(
        "{}\n{}\n{}",
        include_str!("../kernels/host_shim.h"),
        kernel,
        WRAPPER
    );
    std::fs::write(&src, text).ok()?;
    let out = std::process::Command::new("c++")
        .args(["-std=c++17", "-O1", "-shared", "-fPIC", "-w", "-o"])
        .arg(&lib)
        .arg(&src)
        .output();
    match out {
        Ok(o) if o.status.success() => Some(lib),
        Ok(o) => panic!(
            "the kernels do not compile as host C++:\n{}",
            String::from_utf8_lossy(&o.stderr)
                .lines()
                .take(20)
                .collect::<Vec<_>>()
                .join("\n")
        ),
        Err(e) => {
            println!("skipped: no host C++ compiler ({e})");
            None
        }
    }
}

/// One lane's device view of a case's space: page table and frames.
pub(crate) struct HostSpace {
    pub table: Vec<Pte>,
    pub mask: u64,
}

/// Give every page of `space` a frame in `pool` holding its bytes.
pub(crate) fn image(space: &AddressSpace, pool: &mut Vec<u8>) -> HostSpace {
    let (mut table, mask, _, _) = DevSpace::build(space, None).expect("table");
    for pte in table.iter_mut().filter(|t| t.key != 0) {
        let page = pte.key - 1;
        let mut buf = vec![0u8; PAGE_SIZE as usize];
        space
            .read_bytes(page << PAGE_SHIFT, &mut buf)
            .expect("mapped");
        pte.frame = (pool.len() / PAGE_SIZE as usize) as u32;
        pool.extend_from_slice(&buf);
    }
    HostSpace { table, mask }
}

/// Copy the frames `lane` has in `pool` into `space` (the host copy).
pub(crate) fn copy_back(lane: &HostSpace, pool: &[u8], space: &mut AddressSpace) {
    for pte in lane
        .table
        .iter()
        .filter(|t| t.key != 0 && t.frame != NO_FRAME)
    {
        let page = pte.key - 1;
        let off = pte.frame as usize * PAGE_SIZE as usize;
        let idx = space
            .frame_index(page, Access::Write, page << PAGE_SHIFT, true)
            .expect("mapped");
        if let Some(f) = space.frame_mut(idx) {
            f.copy_from_slice(&pool[off..off + PAGE_SIZE as usize]);
        }
    }
}

#[test]
fn host_compiled_kernels_match_oracle_fixtures() {
    let Some(lib) = build_library() else { return };
    // SAFETY: the library was just built from our own source; `kvrm_run_host`
    // has the C signature of `RunFn` (see WRAPPER and kernels/interp.cu).
    let library = unsafe { libloading::Library::new(&lib) }.expect("load the host kernel");
    let run: libloading::Symbol<RunFn> =
        unsafe { library.get(b"kvrm_run_host") }.expect("kvrm_run_host");
    // Every `step`-th case of each file (all with KVRM_HOST_KERNEL_ALL=1).
    let step = if std::env::var_os("KVRM_HOST_KERNEL_ALL").is_some() {
        1
    } else {
        7
    };
    let (mut total, mut checked, mut host) = (0, 0, 0);
    let mut failures = Vec::new();
    for file in case_files() {
        let stem = file
            .file_stem()
            .unwrap_or_default()
            .to_string_lossy()
            .to_string();
        let cases: Vec<_> = load_cases(&file).into_iter().step_by(step).collect();
        let mut e = CpuEngine::new();
        let prepared: Vec<_> = cases
            .iter()
            .map(|c| prepare_case(&mut e, c).expect("prepare"))
            .collect();
        // Device images: tables and a pool holding every non-zero page.
        let mut pool: Vec<u8> = Vec::new();
        let mut spaces: Vec<HostSpace> = Vec::new();
        for p in &prepared {
            let space = e.space_mut(p.space);
            let (mut table, mask, _, _) = DevSpace::build(space, None).expect("table");
            for pte in table.iter_mut().filter(|t| t.key != 0) {
                let page = pte.key - 1;
                let mut buf = vec![0u8; PAGE_SIZE as usize];
                if space.read_bytes(page << PAGE_SHIFT, &mut buf).is_ok()
                    && buf.iter().any(|&b| b != 0)
                {
                    pte.frame = (pool.len() / PAGE_SIZE as usize) as u32;
                    pool.extend_from_slice(&buf);
                }
            }
            spaces.push(HostSpace { table, mask });
        }
        let n = prepared.len();
        let used = (pool.len() / PAGE_SIZE as usize) as u32;
        let cap = used + 64 * n as u32;
        pool.resize(cap as usize * PAGE_SIZE as usize, 0);
        let devs: Vec<SpaceDev> = spaces
            .iter_mut()
            .map(|s| SpaceDev {
                table: s.table.as_mut_ptr() as u64,
                mask: s.mask,
            })
            .collect();
        let mut states: Vec<CpuState> = prepared.iter().map(|p| *e.state(p.machine)).collect();
        let lanes: Vec<u32> = (0..n as u32).collect();
        let budgets = vec![CASE_BUDGET; n];
        let mut ctl = Control {
            frames_next: used,
            frames_cap: cap,
            events_next: 0,
            events_cap: 0,
            ..Control::default()
        };
        let mut decode_cache = vec![0u64; 1 << 16];
        let mut stops = vec![LaneStop::default(); n];
        let mut progress = 0u64;
        // SAFETY: every pointer is to a live buffer sized for `n` lanes (the
        // pool for `cap` frames, tables for their masks); the kernel writes
        // no events (events_cap 0) and only within these buffers.
        unsafe {
            run(
                states.as_mut_ptr(),
                lanes.as_ptr(),
                n as u32,
                lanes.as_ptr(),
                devs.as_ptr(),
                pool.as_mut_ptr(),
                &mut ctl,
                std::ptr::null_mut(),
                decode_cache.as_mut_ptr(),
                budgets.as_ptr(),
                stops.as_mut_ptr(),
                1,
                &mut progress,
                std::ptr::null_mut(),
                std::ptr::null(),
                std::ptr::null(),
                0,
                std::ptr::null_mut(),
                std::ptr::null(),
            )
        };
        let (mut file_failed, mut file_host) = (0, 0);
        for (i, (p, c)) in prepared.iter().zip(&cases).enumerate() {
            total += 1;
            let Some(stop) = lane_stop_reason(&stops[i], states[i].pc) else {
                assert_eq!(stops[i].kind, STOP_NEEDS_HOST, "{stem}: lane out of frames");
                host += 1;
                file_host += 1;
                continue;
            };
            *e.state_mut(p.machine) = states[i];
            copy_back(&spaces[i], &pool, e.space_mut(p.space));
            checked += 1;
            if let Err(report) = check_case(&e, p, c, &stop) {
                file_failed += 1;
                failures.push(format!("{stem}: {report}"));
            }
        }
        if file_failed > 0 {
            println!("{stem}: {file_failed} cases differ");
        }
        if file_host > 0 {
            println!("{stem}: {file_host} cases need the host fallback");
        }
    }
    drop(library);
    if let Some(dir) = lib.parent() {
        let _ = std::fs::remove_dir_all(dir);
    }
    println!(
        "host-compiled kernels: {total} cases, {checked} checked, {host} need the host fallback, {} failed",
        failures.len()
    );
    assert!(
        failures.is_empty(),
        "{} cases differ; first ones:\n{}",
        failures.len(),
        failures
            .iter()
            .take(15)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}
