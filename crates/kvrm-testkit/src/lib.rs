//! Replays the oracle fixtures in `tests/oracle/cases/*.jsonl.gz` on a kvrm backend.
//!
//! The fixtures are written by `tests/oracle/gen_cases.py` from Unicorn runs (see
//! `tests/oracle/oracle.py` for the memory layout); this crate only reads them,
//! so every expected value comes from the oracle. The same runner serves every
//! backend: pass a constructor of fresh backends with flat memory.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use kvrm_isa::{AddressSpace, CpuState, Engine, Machine, MachineId, SpaceId, StopReason};
use serde::Deserialize;

pub const MEM_SIZE: u64 = 0x10_0000;
pub const CODE_ADDR: u64 = 0x1000;
pub const DATA_ADDR: u64 = 0x10000;
pub const DATA_SIZE: u64 = 0x10000;
const BRK_0: u32 = 0xd420_0000;
const MAX_STEPS: u64 = 100_000;

#[derive(Debug, Deserialize)]
pub struct InitState {
    pub x: Vec<u64>,
    pub sp: u64,
    pub nzcv: u64,
    pub fpcr: u64,
    pub fpsr: u64,
    pub tpidr: u64,
    pub v: BTreeMap<String, [u64; 2]>,
    pub mem: Vec<(u64, String)>,
}

#[derive(Debug, Deserialize)]
pub struct ExpectState {
    pub stop: String,
    pub pc: u64,
    pub x: BTreeMap<String, u64>,
    pub sp: u64,
    pub nzcv: u64,
    pub fpsr: u64,
    pub tpidr: u64,
    pub v: BTreeMap<String, [u64; 2]>,
    pub mem: Vec<(u64, u64)>,
}

#[derive(Debug, Deserialize)]
pub struct OracleCase {
    pub name: String,
    pub asm: String,
    pub init: InitState,
    pub code: Vec<u32>,
    pub expect: ExpectState,
}

/// Initial content of the data area (same formula as `oracle.data_byte`).
pub fn data_byte(a: u64) -> u8 {
    ((a.wrapping_mul(131)) ^ (a >> 8)) as u8
}

/// Default SIMD register value (same formula as `oracle.default_v`).
pub fn default_v(i: u64) -> [u64; 2] {
    [
        0xD1B5_4A32_D192_ED03u64.wrapping_mul(i + 1),
        0xAEF1_7502_108E_F2D9u64.wrapping_mul(i + 1),
    ]
}

/// The repository's `tests/oracle/cases` directory (`$KVRM_ORACLE_CASES`
/// overrides it, for test binaries run on another machine).
pub fn cases_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("KVRM_ORACLE_CASES") {
        return PathBuf::from(d);
    }
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/oracle/cases")
}

/// Every fixture file, sorted by name.
pub fn case_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(cases_dir())
        .expect("tests/oracle/cases exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.to_string_lossy().ends_with(".jsonl.gz"))
        .collect();
    files.sort();
    files
}

pub fn load_cases(path: &Path) -> Vec<OracleCase> {
    use std::io::Read;
    let file = std::fs::File::open(path).expect("fixture readable");
    let mut text = String::new();
    flate2::read::GzDecoder::new(file)
        .read_to_string(&mut text)
        .unwrap_or_else(|e| panic!("{}: not a gzip JSON-lines fixture: {e}", path.display()));
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| {
            serde_json::from_str(l)
                .unwrap_or_else(|e| panic!("{}:{}: bad fixture line: {e}", path.display(), i + 1))
        })
        .collect()
}

fn initial_image(case: &OracleCase) -> Vec<u8> {
    let mut mem = vec![0u8; MEM_SIZE as usize];
    for a in DATA_ADDR..DATA_ADDR + DATA_SIZE {
        mem[a as usize] = data_byte(a);
    }
    for (i, w) in case.code.iter().enumerate() {
        let a = CODE_ADDR as usize + 4 * i;
        mem[a..a + 4].copy_from_slice(&w.to_le_bytes());
    }
    for (addr, hex) in &case.init.mem {
        let bytes: Vec<u8> = (0..hex.len() / 2)
            .map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).expect("hex"))
            .collect();
        let a = *addr as usize;
        mem[a..a + bytes.len()].copy_from_slice(&bytes);
    }
    mem
}

fn stop_name(stop: &StopReason, end: u64) -> String {
    match *stop {
        StopReason::Halted { pc, imm: 0, .. } if pc == end => "end".into(),
        StopReason::Halted { .. } => "halted".into(),
        other => other.kind_str().into(),
    }
}

/// A case set up on a machine of some engine, waiting to be run.
pub struct PreparedCase {
    pub machine: MachineId,
    pub space: SpaceId,
    image: Vec<u8>,
    end: u64,
    before: CpuState,
}

/// Set `case` up as a new machine (in a new flat address space) of `engine`,
/// so many cases can run in one [`Engine::run`] call.
pub fn prepare_case<E: Engine>(engine: &mut E, case: &OracleCase) -> Result<PreparedCase, String> {
    let space = AddressSpace::flat(MEM_SIZE).map_err(|e| format!("cannot map memory: {e}"))?;
    let space = engine.add_space(space);
    let machine = engine.add_machine(space, CpuState::new());
    let image = initial_image(case);
    let end = CODE_ADDR + 4 * case.code.len() as u64;
    let mem = engine.space_mut(space);
    mem.write_bytes_force(0, &image)
        .map_err(|f| format!("cannot load image: {f}"))?;
    mem.write_bytes_force(end, &BRK_0.to_le_bytes())
        .map_err(|f| format!("cannot load image: {f}"))?;
    let s = engine.state_mut(machine);
    set_initial_state(s, case);
    let before = *s;
    Ok(PreparedCase {
        machine,
        space,
        image,
        end,
        before,
    })
}

fn set_initial_state(s: &mut CpuState, case: &OracleCase) {
    s.x.copy_from_slice(&case.init.x);
    s.sp = case.init.sp;
    s.pc = CODE_ADDR;
    s.nzcv = case.init.nzcv;
    s.fpcr = case.init.fpcr;
    s.fpsr = case.init.fpsr;
    s.tpidr_el0 = case.init.tpidr;
    for i in 0..32 {
        s.v[i] = case
            .init
            .v
            .get(&i.to_string())
            .copied()
            .unwrap_or(default_v(i as u64));
    }
}

/// Instructions a case may run before it counts as a runaway.
pub const CASE_BUDGET: u64 = MAX_STEPS;

/// Compare a prepared case that stopped with `stop` against the oracle.
pub fn check_case<E: Engine>(
    engine: &E,
    p: &PreparedCase,
    case: &OracleCase,
    stop: &StopReason,
) -> Result<(), String> {
    check(
        &p.before,
        engine.state(p.machine),
        engine.space(p.space),
        &p.image,
        p.end,
        case,
        stop,
    )
}

/// Run one case on `backend` (fresh, with flat memory of at least `MEM_SIZE`).
/// Returns a printable report of every difference from the oracle.
pub fn run_case<E: Engine>(backend: &mut Machine<E>, case: &OracleCase) -> Result<(), String> {
    let image = initial_image(case);
    let end = CODE_ADDR + 4 * case.code.len() as u64;
    backend
        .load_program(&image, 0)
        .map_err(|f| format!("cannot load image: {f}"))?;
    backend
        .load_program(&BRK_0.to_le_bytes(), end)
        .map_err(|f| format!("cannot load image: {f}"))?;
    set_initial_state(backend.state_mut(), case);
    let before = *backend.state();
    let result = backend.run(MAX_STEPS);
    check(
        &before,
        backend.state(),
        backend.memory(),
        &image,
        end,
        case,
        &result.stop,
    )
}

fn check(
    before: &CpuState,
    after: &CpuState,
    memory: &AddressSpace,
    image: &[u8],
    end: u64,
    case: &OracleCase,
    stop: &StopReason,
) -> Result<(), String> {
    let e = &case.expect;
    let mut diffs = String::new();
    let got_stop = stop_name(stop, end);
    if got_stop != e.stop {
        let _ = writeln!(diffs, "  stop: got {got_stop} ({stop}), want {}", e.stop);
    }
    // On an exception Unicorn's pc is not architectural (ELR is); compare the
    // stop kind only there.
    let pc_defined = matches!(e.stop.as_str(), "end" | "syscall");
    if pc_defined && after.pc != e.pc {
        let _ = writeln!(diffs, "  pc: got {:#x}, want {:#x}", after.pc, e.pc);
    }
    for i in 0..31 {
        let want = e.x.get(&i.to_string()).copied().unwrap_or(case.init.x[i]);
        if after.x[i] != want {
            let _ = writeln!(
                diffs,
                "  x{i}: got {:#x}, want {:#x} (before {:#x})",
                after.x[i], want, before.x[i]
            );
        }
    }
    for (name, got, want) in [
        ("sp", after.sp, e.sp),
        ("nzcv", after.nzcv, e.nzcv),
        ("fpsr", after.fpsr, e.fpsr),
        ("tpidr_el0", after.tpidr_el0, e.tpidr),
    ] {
        if got != want {
            let _ = writeln!(diffs, "  {name}: got {got:#x}, want {want:#x}");
        }
    }
    for i in 0..32 {
        let want = e.v.get(&i.to_string()).copied().unwrap_or(before.v[i]);
        if after.v[i] != want {
            let _ = writeln!(
                diffs,
                "  v{i}: got {:#018x}_{:016x}, want {:#018x}_{:016x}",
                after.v[i][1], after.v[i][0], want[1], want[0]
            );
        }
    }
    // Memory: every changed doubleword must match, and nothing else may change.
    let mut want_mem: BTreeMap<u64, u64> = e.mem.iter().copied().collect();
    let mut buf = vec![0u8; MEM_SIZE as usize];
    memory
        .read_bytes(0, &mut buf)
        .map_err(|f| format!("cannot read back memory: {f}"))?;
    // The appended BRK is ours, not the oracle's.
    buf[end as usize..end as usize + 4].copy_from_slice(&image[end as usize..end as usize + 4]);
    let mut mem_diffs = 0;
    for a in (0..MEM_SIZE).step_by(8) {
        let got = u64::from_le_bytes(buf[a as usize..a as usize + 8].try_into().expect("8"));
        let orig = u64::from_le_bytes(image[a as usize..a as usize + 8].try_into().expect("8"));
        let want = want_mem.remove(&a).unwrap_or(orig);
        if got != want && mem_diffs < 8 {
            mem_diffs += 1;
            let _ = writeln!(diffs, "  mem[{a:#x}]: got {got:#018x}, want {want:#018x}");
        }
    }
    if diffs.is_empty() {
        Ok(())
    } else {
        let words: Vec<String> = case.code.iter().map(|w| format!("{w:#010x}")).collect();
        Err(format!(
            "case {} `{}` [{}] nzcv before {:#x}:\n{}",
            case.name,
            case.asm.replace('\n', "; "),
            words.join(" "),
            before.nzcv,
            diffs
        ))
    }
}

/// Run every fixture (optionally only files/cases whose name contains
/// `$KVRM_ORACLE_FILTER`) on fresh backends from `make`; panic with a report of
/// the first failures.
pub fn run_all_fixtures<E: Engine>(mut make: impl FnMut() -> Machine<E>) {
    let filter = std::env::var("KVRM_ORACLE_FILTER").unwrap_or_default();
    let mut failures = Vec::new();
    let mut total = 0;
    for file in case_files() {
        let stem = file
            .file_stem()
            .unwrap_or_default()
            .to_string_lossy()
            .to_string();
        let mut count = 0;
        let mut failed = 0;
        for case in load_cases(&file) {
            if !filter.is_empty() && !stem.contains(&filter) && !case.name.contains(&filter) {
                continue;
            }
            count += 1;
            let mut b = make();
            if let Err(report) = run_case(&mut b, &case) {
                failed += 1;
                failures.push(format!("{stem}: {report}"));
            }
        }
        total += count;
        if count > 0 {
            println!("{stem}: {} of {count} cases pass", count - failed);
        }
    }
    println!("{total} oracle cases run, {} failed", failures.len());
    if !failures.is_empty() {
        let shown: Vec<&String> = failures.iter().take(25).collect();
        panic!(
            "{} of {total} oracle cases differ from the oracle; first ones:\n{}",
            failures.len(),
            shown
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join("\n")
        );
    }
}
