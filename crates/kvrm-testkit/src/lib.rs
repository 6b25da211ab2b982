//! Replays the oracle fixtures in `tests/oracle/cases/*.jsonl.gz` on a kvrm backend.
//!
//! The fixtures are written by `tests/oracle/gen_cases.py` from Unicorn runs (see
//! `tests/oracle/oracle.py` for the memory layout); this crate only reads them,
//! so every expected value comes from the oracle. The same runner serves every
//! backend: pass a constructor of fresh backends with flat memory.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use kvrm_isa::{AddressSpace, CpuState, Engine, Machine, MachineId, SpaceId, StopReason};
use serde::Deserialize;

pub const MEM_SIZE: u64 = 0x10_0000;
pub const CODE_ADDR: u64 = 0x1000;
pub const DATA_ADDR: u64 = 0x10000;
pub const DATA_SIZE: u64 = 0x10000;
const BRK_0: u32 = 0xd420_0000;
const MAX_STEPS: u64 = 100_000;
const PAGE: usize = 4096;

/// xorshift64*: a small deterministic generator for the random tests of
/// every crate (operands, instruction fields).
pub struct Rng(pub u64);

impl Rng {
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// Uniform enough below `n` (> 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    /// One element of `from` (not empty).
    pub fn pick<T: Copy>(&mut self, from: &[T]) -> T {
        from[self.below(from.len() as u64) as usize]
    }
}

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

/// The data area's initial content, computed once.
fn data_area() -> &'static [u8] {
    static DATA: OnceLock<Vec<u8>> = OnceLock::new();
    DATA.get_or_init(|| (DATA_ADDR..DATA_ADDR + DATA_SIZE).map(data_byte).collect())
}

type Page = Box<[u8; PAGE]>;

/// The pages the fixture gives content to (data area, code, `init.mem`), each with
/// its initial bytes; every other page of the flat memory starts zeroed. The
/// appended BRK is not in here: it is ours, not the oracle's.
fn initial_pages(case: &OracleCase) -> BTreeMap<u64, Page> {
    let mut pages: BTreeMap<u64, Page> = BTreeMap::new();
    let mut put = |addr: u64, bytes: &[u8]| {
        let mut done = 0;
        while done < bytes.len() {
            let a = addr + done as u64;
            let off = (a % PAGE as u64) as usize;
            let n = (PAGE - off).min(bytes.len() - done);
            let page = pages
                .entry(a / PAGE as u64)
                .or_insert_with(|| Box::new([0; PAGE]));
            page[off..off + n].copy_from_slice(&bytes[done..done + n]);
            done += n;
        }
    };
    put(DATA_ADDR, data_area());
    let code: Vec<u8> = case.code.iter().flat_map(|w| w.to_le_bytes()).collect();
    put(CODE_ADDR, &code);
    for (addr, hex) in &case.init.mem {
        let bytes: Vec<u8> = (0..hex.len() / 2)
            .map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).expect("hex"))
            .collect();
        put(*addr, &bytes);
    }
    pages
}

fn stop_name(stop: &StopReason, end: u64) -> String {
    match *stop {
        StopReason::Halted { pc, imm: 0, .. } if pc == end => "end".into(),
        StopReason::Halted { .. } => "halted".into(),
        other => other.kind_str().into(),
    }
}

/// Load `case`'s memory image and its appended BRK into a flat memory;
/// returns the pages with content and the BRK's address.
fn load_case(
    mem: &mut AddressSpace,
    case: &OracleCase,
) -> Result<(BTreeMap<u64, Page>, u64), String> {
    let mut pages = initial_pages(case);
    let end = CODE_ADDR + 4 * case.code.len() as u64;
    pages
        .entry(end / PAGE as u64)
        .or_insert_with(|| Box::new([0; PAGE]));
    for (&page, bytes) in &pages {
        mem.write_bytes_force(page * PAGE as u64, &bytes[..])
            .map_err(|f| format!("cannot load image: {f}"))?;
    }
    mem.write_bytes_force(end, &BRK_0.to_le_bytes())
        .map_err(|f| format!("cannot load image: {f}"))?;
    Ok((pages, end))
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

/// A case set up on a machine of some engine, waiting to be run.
pub struct PreparedCase {
    pub machine: MachineId,
    pub space: SpaceId,
    pages: BTreeMap<u64, Page>,
    end: u64,
    before: CpuState,
}

/// Instructions a case may run before it counts as a runaway.
pub const CASE_BUDGET: u64 = MAX_STEPS;

/// Set `case` up as a new machine (in a new flat address space) of `engine`,
/// so many cases can run in one [`Engine::run`] call.
pub fn prepare_case<E: Engine>(engine: &mut E, case: &OracleCase) -> Result<PreparedCase, String> {
    let space = AddressSpace::flat(MEM_SIZE).map_err(|e| format!("cannot map memory: {e}"))?;
    let space = engine.add_space(space);
    let machine = engine.add_machine(space, CpuState::new());
    let (pages, end) = load_case(engine.space_mut(space), case)?;
    let s = engine.state_mut(machine);
    set_initial_state(s, case);
    let before = *s;
    Ok(PreparedCase {
        machine,
        space,
        pages,
        end,
        before,
    })
}

/// Compare a prepared case that stopped with `stop` against the oracle.
pub fn check_case<E: Engine>(
    engine: &E,
    p: &PreparedCase,
    case: &OracleCase,
    stop: &StopReason,
) -> Result<(), String> {
    let pages = p.pages.iter().map(|(&k, v)| (k, v.clone())).collect();
    check(
        &p.before,
        engine.state(p.machine),
        engine.space(p.space),
        pages,
        p.end,
        case,
        stop,
    )
}

/// Run one case on `backend` (fresh, with flat memory of at least `MEM_SIZE`).
/// Returns a printable report of every difference from the oracle.
pub fn run_case<E: Engine>(backend: &mut Machine<E>, case: &OracleCase) -> Result<(), String> {
    let (pages, end) = load_case(backend.memory_mut(), case)?;
    set_initial_state(backend.state_mut(), case);
    let before = *backend.state();
    let result = backend.run(MAX_STEPS);
    check(
        &before,
        backend.state(),
        backend.memory(),
        pages,
        end,
        case,
        &result.stop,
    )
}

fn check(
    before: &CpuState,
    after: &CpuState,
    memory: &AddressSpace,
    pages: BTreeMap<u64, Page>,
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
    // Only the pages the fixture names are compared (initial content and
    // recorded changes): frames are allocated on first touch, so if no other
    // page is resident the guest touched no other page. Otherwise (a load from
    // zeroed memory, or a stray store) the whole flat memory is compared.
    let mut want = pages;
    for &(a, v) in &e.mem {
        let page = want
            .entry(a / PAGE as u64)
            .or_insert_with(|| Box::new([0; PAGE]));
        let off = (a % PAGE as u64) as usize;
        page[off..off + 8].copy_from_slice(&v.to_le_bytes());
    }
    let touched_elsewhere = memory.resident_pages() != want.len();
    let zero: Page = Box::new([0; PAGE]);
    let scan: Vec<u64> = if touched_elsewhere {
        (0..MEM_SIZE / PAGE as u64).collect()
    } else {
        want.keys().copied().collect()
    };
    let mut mem_diffs = 0;
    let mut got = [0u8; PAGE];
    for page in scan {
        let base = page * PAGE as u64;
        let want = want.get(&page).unwrap_or(&zero);
        memory
            .read_bytes(base, &mut got)
            .map_err(|f| format!("cannot read back memory: {f}"))?;
        if page == end / PAGE as u64 {
            // The appended BRK is ours, not the oracle's.
            let o = (end % PAGE as u64) as usize;
            got[o..o + 4].copy_from_slice(&want[o..o + 4]);
        }
        if got[..] == want[..] {
            continue;
        }
        for off in (0..PAGE).step_by(8) {
            let g = u64::from_le_bytes(got[off..off + 8].try_into().expect("8"));
            let w = u64::from_le_bytes(want[off..off + 8].try_into().expect("8"));
            if g != w && mem_diffs < 8 {
                mem_diffs += 1;
                let a = base + off as u64;
                let _ = writeln!(diffs, "  mem[{a:#x}]: got {g:#018x}, want {w:#018x}");
            }
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

/// The stem (`branch` for `branch.jsonl.gz`) of every fixture file, sorted.
pub fn fixture_stems() -> Vec<String> {
    case_files()
        .iter()
        .map(|p| {
            let name = p.file_name().unwrap_or_default().to_string_lossy();
            name.trim_end_matches(".jsonl.gz").to_string()
        })
        .collect()
}

/// Replay the fixture `tests/oracle/cases/{stem}.jsonl.gz` on fresh backends
/// from `make`, all its cases, or with `$KVRM_ORACLE_FILTER` set only those
/// whose file or case name contains it. Records the counts for `scripts/test.sh`
/// (suite `oracle`) and panics with a report of the first failures.
pub fn run_fixture_file<E: Engine>(stem: &str, mut make: impl FnMut() -> Machine<E>) {
    let filter = std::env::var("KVRM_ORACLE_FILTER").unwrap_or_default();
    let file = cases_dir().join(format!("{stem}.jsonl.gz"));
    let mut failures = Vec::new();
    let mut count = 0;
    for case in load_cases(&file) {
        if !filter.is_empty() && !stem.contains(&filter) && !case.name.contains(&filter) {
            continue;
        }
        count += 1;
        let mut b = make();
        if let Err(report) = run_case(&mut b, &case) {
            failures.push(report);
        }
    }
    counts::record("oracle", count - failures.len(), failures.len(), 0);
    if count > 0 {
        println!("{stem}: {} of {count} cases pass", count - failures.len());
    }
    if !failures.is_empty() {
        let shown: Vec<&str> = failures.iter().take(25).map(String::as_str).collect();
        panic!(
            "{stem}.jsonl.gz: {} of {count} oracle cases differ from the oracle; first ones:\n{}",
            failures.len(),
            shown.join("\n")
        );
    }
}

/// One `#[test]` per fixture file, named after it, each replaying that file on
/// fresh backends from `$make` (see [`run_fixture_file`]), plus a test that the
/// list names every fixture file and nothing else:
///
/// ```text
/// kvrm_testkit::fixture_tests!(|| Machine::new(CpuEngine::new(), AddressSpace::flat(MEM_SIZE).unwrap()); branch, smoke);
/// ```
#[macro_export]
macro_rules! fixture_tests {
    ($make:expr; $($stem:ident),+ $(,)?) => {
        $(
            #[test]
            fn $stem() {
                $crate::run_fixture_file(stringify!($stem), $make);
            }
        )+

        #[test]
        fn every_fixture_file_has_a_test() {
            let listed: Vec<&str> = vec![$(stringify!($stem)),+];
            assert_eq!(
                listed,
                $crate::fixture_stems(),
                "the fixture_tests! list must name every tests/oracle/cases file, sorted"
            );
        }
    };
}

/// [`fixture_tests!`] over every fixture file (the list `fixture_tests!`
/// checks against `tests/oracle/cases`), for suites that replay them all
/// on one engine.
#[macro_export]
macro_rules! every_fixture_test {
    ($make:expr) => {
        $crate::fixture_tests!(
            $make;
            atomic_excl, atomic_lse, branch, crypto, dp_imm, dp_imm_bitfield, dp_random_seq,
            dp_reg_1src, dp_reg_arith, dp_reg_carry, dp_reg_cond, dp_reg_logic, dp_reg_math,
            fp_arith, fp_common, fp_cvt, ldst_fp, ldst_fpidx, ldst_idx, ldst_imm, ldst_misc,
            ldst_pair, ldst_reg, random_mix_all, random_mix_fp, random_mix_int, random_mix_mem,
            random_mix_simd, simd_fp_arith, simd_fp_misc, simd_int_diff, simd_int_misc,
            simd_int_rdm, simd_int_same, simd_int_shift, simd_ldst_mult, simd_ldst_single,
            simd_perm, smoke, sys,
        );
    };
}

pub mod counts {
    //! Test counts for `scripts/test.sh`'s summary. When `$KVRM_COUNTS_FILE` is
    //! set, each suite test appends one line `SUITE PASSED FAILED SKIPPED` to it;
    //! test.sh adds the lines up per suite.

    use std::io::Write;

    /// Append one line of counts for `suite` (no-op without `$KVRM_COUNTS_FILE`).
    pub fn record(suite: &str, passed: usize, failed: usize, skipped: usize) {
        let Some(path) = std::env::var_os("KVRM_COUNTS_FILE") else {
            return;
        };
        // One short write to a file opened for appending: lines from parallel
        // tests and processes do not interleave.
        let line = format!("{suite} {passed} {failed} {skipped}\n");
        let written = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .and_then(|mut f| f.write_all(line.as_bytes()));
        if let Err(e) = written {
            eprintln!("cannot append counts to {}: {e}", path.to_string_lossy());
        }
    }

    /// Counts one test that is one case of `suite`: failed if the test panics
    /// (the guard is dropped while unwinding), passed otherwise, unless
    /// [`Case::skip`] was called.
    pub struct Case {
        suite: &'static str,
        skipped: bool,
    }

    impl Case {
        pub fn new(suite: &'static str) -> Self {
            Case {
                suite,
                skipped: false,
            }
        }

        pub fn skip(mut self) {
            self.skipped = true;
        }
    }

    impl Drop for Case {
        fn drop(&mut self) {
            let failed = std::thread::panicking();
            let (p, f, s) = match (self.skipped, failed) {
                (_, true) => (0, 1, 0),
                (true, false) => (0, 0, 1),
                (false, false) => (1, 0, 0),
            };
            record(self.suite, p, f, s);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kvrm_isa::{Access, AddressSpace, CpuState, MachineId, MachineStop, SpaceId, PAGE_SIZE};

    /// An engine that does not execute: `run` performs scripted accesses (a
    /// load touches its page, as a backend's does) and stops at the appended
    /// BRK, so the memory comparison can be checked against hand-written
    /// expectations.
    struct Scripted {
        state: CpuState,
        mem: AddressSpace,
        writes: Vec<(u64, u64)>,
        reads: Vec<u64>,
        end: u64,
    }

    impl Engine for Scripted {
        fn name(&self) -> &'static str {
            "scripted"
        }
        fn add_space(&mut self, space: AddressSpace) -> SpaceId {
            self.mem = space;
            SpaceId(0)
        }
        fn fork_space(&mut self, _: SpaceId) -> SpaceId {
            unreachable!("one space")
        }
        fn remove_space(&mut self, _: SpaceId) -> Option<AddressSpace> {
            None
        }
        fn space(&self, _: SpaceId) -> &AddressSpace {
            &self.mem
        }
        fn space_mut(&mut self, _: SpaceId) -> &mut AddressSpace {
            &mut self.mem
        }
        fn add_machine(&mut self, _: SpaceId, state: CpuState) -> MachineId {
            self.state = state;
            MachineId(0)
        }
        fn remove_machine(&mut self, _: MachineId) {}
        fn machine_space(&self, _: MachineId) -> SpaceId {
            SpaceId(0)
        }
        fn set_machine_space(&mut self, _: MachineId, _: SpaceId) {}
        fn state(&self, _: MachineId) -> &CpuState {
            &self.state
        }
        fn state_mut(&mut self, _: MachineId) -> &mut CpuState {
            &mut self.state
        }
        fn run(&mut self, _: &[MachineId], _: u64, out: &mut Vec<MachineStop>) {
            for &(a, v) in &self.writes {
                self.mem.write_u64(a, v).expect("mapped");
            }
            for &a in &self.reads {
                self.mem
                    .frame_index(a / PAGE_SIZE, Access::Read, a, false)
                    .expect("mapped");
            }
            self.state.pc = self.end;
            out.push(MachineStop {
                machine: MachineId(0),
                stop: StopReason::Halted {
                    pc: self.end,
                    imm: 0,
                    hlt: false,
                },
                instructions: 1,
            });
        }
    }

    const STORED: u64 = 0x1122_3344_5566_7788;

    /// One NOP whose oracle run changed the doubleword at 0x10008 to STORED.
    fn case() -> OracleCase {
        let line = format!(
            r#"{{"name":"t","asm":"nop","code":[3573751839],
            "init":{{"x":[{zeros}],"sp":524288,"nzcv":0,"fpcr":0,"fpsr":0,"tpidr":0,"v":{{}},"mem":[]}},
            "expect":{{"stop":"end","pc":4100,"x":{{}},"sp":524288,"nzcv":0,"fpsr":0,"tpidr":0,
            "v":{{}},"mem":[[65544,{STORED}]]}}}}"#,
            zeros = vec!["0"; 31].join(",")
        );
        serde_json::from_str(&line).expect("valid case")
    }

    fn replay(writes: &[(u64, u64)], reads: &[u64]) -> Result<(), String> {
        let engine = Scripted {
            state: CpuState::new(),
            mem: AddressSpace::new(),
            writes: writes.to_vec(),
            reads: reads.to_vec(),
            end: CODE_ADDR + 4,
        };
        let mut m = Machine::new(engine, AddressSpace::flat(MEM_SIZE).unwrap());
        run_case(&mut m, &case())
    }

    #[test]
    fn the_recorded_store_passes() {
        assert_eq!(replay(&[(0x10008, STORED)], &[]), Ok(()));
        // A load from a page the fixture does not name is allowed.
        assert_eq!(replay(&[(0x10008, STORED)], &[0x7_fff8]), Ok(()));
    }

    #[test]
    fn a_missing_store_is_reported() {
        let e = replay(&[], &[]).unwrap_err();
        assert!(e.contains("mem[0x10008]"), "{e}");
    }

    #[test]
    fn stray_stores_are_reported_wherever_they_land() {
        // In the data area, next to the recorded change.
        let e = replay(&[(0x10008, STORED), (0x10010, 5)], &[]).unwrap_err();
        assert!(e.contains("mem[0x10010]: got 0x0000000000000005"), "{e}");
        // In zeroed memory no fixture page covers.
        let e = replay(&[(0x10008, STORED), (0xf_0000, 7)], &[]).unwrap_err();
        assert!(
            e.contains("mem[0xf0000]: got 0x0000000000000007, want 0x0000000000000000"),
            "{e}"
        );
        // Over the code.
        let e = replay(&[(0x10008, STORED), (0x1000, 0)], &[]).unwrap_err();
        assert!(e.contains("mem[0x1000]"), "{e}");
    }
}
