//! A minimal /sys: the CPU files glibc, libgomp, lscpu and language runtimes
//! read to count processors (`get_nprocs` and `sysconf(_SC_NPROCESSORS_ONLN)`
//! read `/sys/devices/system/cpu/online`; `get_nprocs_conf` the `cpuN`
//! directories or `possible`):
//!
//! ```text
//! /sys/devices/system/cpu/{online,possible,present,offline,kernel_max}
//! /sys/devices/system/cpu/cpuN/online
//! /sys/devices/system/cpu/cpuN/topology/{physical_package_id,core_id,...}
//! ```
//!
//! The CPUs are the guest's, the same ones /proc/cpuinfo and /proc/stat list
//! ([`guest_cpus`]): the host's own numbering (its online, possible and present
//! lists, as qemu-user shows the host's /sys), so the affinity mask
//! sched_getaffinity passes through from the host names CPUs that exist here;
//! one CPU, number 0, in deterministic runs (whose sched_getaffinity says one).
//! Each CPU is shown as a core of its own in one package (kvrm knows nothing of
//! the host's topology that would matter to a guest). Files are read-only
//! in-memory files like /proc's; their metadata and that of the directories
//! come from host sysfs entries (stand-ins), so stat and statfs say sysfs.

use std::fmt::Write as _;
use std::sync::OnceLock;

use crate::abi::errno::*;

/// The host directory whose metadata stands in for an emulated /sys directory.
pub(crate) const SYSFS_DIR_STAND_IN: &str = "/sys/devices/system/cpu";
/// The host file whose metadata stands in for an emulated /sys file.
pub(crate) const SYSFS_FILE_STAND_IN: &str = "/sys/devices/system/cpu/online";

const CPU_DIR: &str = "/sys/devices/system/cpu";

/// A set of CPU numbers, ascending.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct CpuList(pub Vec<u32>);

impl CpuList {
    /// Parse Linux's list format ("0-3,8,10-11"; empty for none).
    pub fn parse(s: &str) -> Option<CpuList> {
        let mut v = Vec::new();
        for part in s.trim().split(',').filter(|p| !p.is_empty()) {
            let (a, b) = part.split_once('-').unwrap_or((part, part));
            let (a, b): (u32, u32) = (a.parse().ok()?, b.parse().ok()?);
            if b < a || b - a > 1 << 16 {
                return None;
            }
            v.extend(a..=b);
        }
        v.sort_unstable();
        v.dedup();
        Some(CpuList(v))
    }

    /// CPUs `0..n`.
    pub fn first(n: u32) -> CpuList {
        CpuList((0..n.max(1)).collect())
    }

    /// Linux's list format, ranges joined ("0-3,8").
    pub fn format(&self) -> String {
        let mut s = String::new();
        let mut i = 0;
        while i < self.0.len() {
            let start = self.0[i];
            let mut end = start;
            while i + 1 < self.0.len() && self.0[i + 1] == end + 1 {
                i += 1;
                end = self.0[i];
            }
            if !s.is_empty() {
                s.push(',');
            }
            if end == start {
                let _ = write!(s, "{start}");
            } else {
                let _ = write!(s, "{start}-{end}");
            }
            i += 1;
        }
        s
    }

    /// Linux's mask format for `nbits` CPUs: hexadecimal, in comma-separated
    /// groups of 32 bits, the most significant first and only as wide as
    /// `nbits` needs ("3" for CPUs 0-1 of 2; "00000001,00000000" for CPU 32
    /// of 64).
    pub fn mask(&self, nbits: u32) -> String {
        let nbits = nbits.max(1);
        let words = nbits.div_ceil(32);
        let mut s = String::new();
        for w in (0..words).rev() {
            let mut v = 0u32;
            for b in 0..32 {
                if self.contains(w * 32 + b) {
                    v |= 1 << b;
                }
            }
            if w == words - 1 {
                let digits = ((nbits - 1) % 32 + 1).div_ceil(4) as usize;
                let _ = write!(s, "{v:0digits$x}");
            } else {
                let _ = write!(s, ",{v:08x}");
            }
        }
        s
    }

    pub fn contains(&self, cpu: u32) -> bool {
        self.0.binary_search(&cpu).is_ok()
    }
}

/// The guest's CPUs: online, possible, present, and the kernel_max figure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Cpus {
    pub online: CpuList,
    pub possible: CpuList,
    pub present: CpuList,
    pub kernel_max: u32,
}

impl Cpus {
    /// One CPU, number 0.
    fn single() -> Cpus {
        Cpus {
            online: CpuList::first(1),
            possible: CpuList::first(1),
            present: CpuList::first(1),
            kernel_max: 0,
        }
    }

    /// The possible CPUs that are not online.
    fn offline(&self) -> CpuList {
        CpuList(
            self.possible
                .0
                .iter()
                .copied()
                .filter(|&c| !self.online.contains(c))
                .collect(),
        )
    }
}

/// The host's CPUs, read once: its sysfs lists where it has them, else CPUs
/// 0..N for the processors it says are online.
fn host_cpus() -> &'static Cpus {
    static CPUS: OnceLock<Cpus> = OnceLock::new();
    CPUS.get_or_init(|| {
        let read = |name: &str| {
            std::fs::read_to_string(format!("{CPU_DIR}/{name}"))
                .ok()
                .and_then(|s| CpuList::parse(&s))
                .filter(|l| !l.0.is_empty())
        };
        // SAFETY: sysconf has no memory arguments.
        let n = unsafe { libc::sysconf(libc::_SC_NPROCESSORS_ONLN) }.clamp(1, 1 << 16) as u32;
        let online = read("online").unwrap_or_else(|| CpuList::first(n));
        let possible = read("possible").unwrap_or_else(|| online.clone());
        let present = read("present").unwrap_or_else(|| possible.clone());
        let kernel_max = std::fs::read_to_string(format!("{CPU_DIR}/kernel_max"))
            .ok()
            .and_then(|s| s.trim().parse().ok())
            .unwrap_or_else(|| possible.0.last().copied().unwrap_or(0));
        Cpus {
            online,
            possible,
            present,
            kernel_max,
        }
    })
}

/// The CPUs the guest sees (module documentation); `deterministic`: one.
pub(crate) fn guest_cpus(deterministic: bool) -> Cpus {
    if deterministic {
        Cpus::single()
    } else {
        host_cpus().clone()
    }
}

/// Is `path` (lexically normalized) under the emulated /sys?
pub(crate) fn is_sys(path: &[u8]) -> bool {
    path == b"/sys" || path.starts_with(b"/sys/")
}

/// The CPU number of a `cpuN` name that `cpus` has.
fn cpu_number(name: &str, cpus: &Cpus) -> Option<u32> {
    let n: u32 = name.strip_prefix("cpu")?.parse().ok()?;
    // "cpu01" is not a name Linux uses.
    (n.to_string() == name[3..] && cpus.possible.contains(n)).then_some(n)
}

/// The topology files of CPU `n`: each CPU a core (of one thread) of its
/// own, every online CPU in one cluster, die and package; each set as a
/// list and as a mask (lscpu counts threads and cores from the masks).
fn topology(n: u32, cpus: &Cpus) -> Vec<(&'static str, String)> {
    let nbits = cpus.possible.0.last().map_or(1, |&c| c + 1);
    let own = CpuList(vec![n]);
    let all = &cpus.online;
    let mut files = vec![
        ("core_id", n.to_string()),
        ("cluster_id", "0".into()),
        ("die_id", "0".into()),
        ("physical_package_id", "0".into()),
    ];
    for (name, set) in [
        ("thread_siblings", &own),
        ("core_cpus", &own),
        ("core_siblings", all),
        ("cluster_cpus", all),
        ("die_cpus", all),
        ("package_cpus", all),
    ] {
        files.push((name, set.mask(nbits)));
        let list: &'static str = match name {
            "thread_siblings" => "thread_siblings_list",
            "core_cpus" => "core_cpus_list",
            "core_siblings" => "core_siblings_list",
            "cluster_cpus" => "cluster_cpus_list",
            "die_cpus" => "die_cpus_list",
            _ => "package_cpus_list",
        };
        files.push((list, set.format()));
    }
    files
}

/// An entry of the emulated /sys: a directory's names (with d_type) or a
/// file's contents.
pub(crate) enum SysEntry {
    Dir(Vec<(String, u8)>),
    File(Vec<u8>),
}

const DT_DIR: u8 = 4;
const DT_REG: u8 = 8;

/// What /sys path `path` (lexically normalized, under /sys) is: None when
/// it is not emulated (ENOENT for the caller).
pub(crate) fn lookup(path: &str, cpus: &Cpus) -> Option<SysEntry> {
    let dir =
        |names: &[&str]| SysEntry::Dir(names.iter().map(|n| (n.to_string(), DT_DIR)).collect());
    let line = |s: String| SysEntry::File(format!("{s}\n").into_bytes());
    match path {
        "/sys" => return Some(dir(&["devices"])),
        "/sys/devices" => return Some(dir(&["system"])),
        "/sys/devices/system" => return Some(dir(&["cpu"])),
        CPU_DIR => {
            let mut names: Vec<(String, u8)> = cpus
                .possible
                .0
                .iter()
                .map(|n| (format!("cpu{n}"), DT_DIR))
                .collect();
            for f in ["kernel_max", "offline", "online", "possible", "present"] {
                names.push((f.to_string(), DT_REG));
            }
            return Some(SysEntry::Dir(names));
        }
        _ => {}
    }
    let rest = path.strip_prefix(CPU_DIR)?.strip_prefix('/')?;
    let (first, tail) = rest.split_once('/').unwrap_or((rest, ""));
    match (first, tail) {
        ("online", "") => return Some(line(cpus.online.format())),
        ("possible", "") => return Some(line(cpus.possible.format())),
        ("present", "") => return Some(line(cpus.present.format())),
        ("offline", "") => return Some(line(cpus.offline().format())),
        ("kernel_max", "") => return Some(line(cpus.kernel_max.to_string())),
        _ => {}
    }
    let n = cpu_number(first, cpus)?;
    match tail {
        "" => Some(SysEntry::Dir(vec![
            ("online".into(), DT_REG),
            ("topology".into(), DT_DIR),
        ])),
        "online" => Some(line(u8::from(cpus.online.contains(n)).to_string())),
        "topology" => Some(SysEntry::Dir(
            topology(n, cpus)
                .iter()
                .map(|(name, _)| (name.to_string(), DT_REG))
                .collect(),
        )),
        t => {
            let name = t.strip_prefix("topology/")?;
            topology(n, cpus)
                .into_iter()
                .find(|(f, _)| *f == name)
                .map(|(_, v)| line(v))
        }
    }
}

/// [`lookup`] for a path under /sys: ENOENT for a missing entry.
pub(crate) fn entry(path: &str, cpus: &Cpus) -> Result<SysEntry, i64> {
    lookup(path, cpus).ok_or(ENOENT)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_lists_parse_and_format_as_linux_writes_them() {
        let l = CpuList::parse("0-3,8,10-11\n").unwrap();
        assert_eq!(l.0, vec![0, 1, 2, 3, 8, 10, 11]);
        assert_eq!(l.format(), "0-3,8,10-11");
        assert_eq!(CpuList::parse("\n").unwrap().format(), "");
        assert_eq!(CpuList::first(1).format(), "0");
        assert!(CpuList::parse("3-1").is_none());
        assert_eq!(CpuList::parse("0-1").unwrap().mask(2), "3");
        assert_eq!(CpuList::parse("1").unwrap().mask(8), "02");
        assert_eq!(
            CpuList::parse("0,32").unwrap().mask(64),
            "00000001,00000001"
        );
        assert_eq!(CpuList::parse("4").unwrap().mask(36), "0,00000010");
    }

    #[test]
    fn the_tree_follows_the_cpu_lists() {
        let cpus = Cpus {
            online: CpuList::parse("0-2").unwrap(),
            possible: CpuList::parse("0-3").unwrap(),
            present: CpuList::parse("0-3").unwrap(),
            kernel_max: 7,
        };
        let file = |p: &str| match lookup(p, &cpus) {
            Some(SysEntry::File(b)) => String::from_utf8(b).unwrap(),
            _ => panic!("{p}: not a file"),
        };
        assert_eq!(file("/sys/devices/system/cpu/offline"), "3\n");
        assert_eq!(file("/sys/devices/system/cpu/cpu3/online"), "0\n");
        assert_eq!(
            file("/sys/devices/system/cpu/cpu2/topology/core_siblings_list"),
            "0-2\n"
        );
        assert!(lookup("/sys/devices/system/cpu/cpu4", &cpus).is_none());
        assert!(lookup("/sys/devices/system/cpu/cpu01", &cpus).is_none());
        match lookup("/sys/devices/system/cpu", &cpus) {
            Some(SysEntry::Dir(names)) => assert_eq!(names.len(), 9),
            _ => panic!("not a directory"),
        }
    }
}
