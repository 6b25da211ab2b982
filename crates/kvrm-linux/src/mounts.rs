//! The guest's mount table: /proc/PID/mounts (and /proc/mounts) and
//! /proc/PID/mountinfo, as df, findmnt, libmount and `stat -f` read them.
//!
//! The guest's `/` is the sandbox root, a host directory: its entry is the
//! host mount that holds that directory (source, file system type, options and
//! device number as the host reports them, so statfs and stat of guest files
//! agree with it), shown mounted at `/` with root `/` (no host path leaks out).
//! Host mounts below the root follow at their guest paths, and kvrm's own /proc
//! and /sys (emulated, whatever the root holds there) replace anything the host
//! has at or below those paths; their device numbers are those of the host's
//! /proc and /sys, whose metadata stands in for theirs. Read from the host's
//! /proc/self/mountinfo at each open, so the table is as current as the host's.

use std::os::unix::fs::MetadataExt;
use std::path::Path;

/// One line of a mountinfo file; text fields keep their octal escapes
/// (`\040` for a space), as both files show them.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Mount {
    id: u64,
    parent: u64,
    dev: String,
    root: String,
    point: String,
    opts: String,
    /// The optional fields ("shared:1"...), space-separated, or empty.
    tags: String,
    fstype: String,
    source: String,
    super_opts: String,
}

/// A mountinfo line ("36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3
/// /dev/root rw,errors=continue").
fn parse(line: &str) -> Option<Mount> {
    let (left, right) = line.split_once(" - ")?;
    let mut l = left.split(' ');
    let id = l.next()?.parse().ok()?;
    let parent = l.next()?.parse().ok()?;
    let dev = l.next()?.to_string();
    let root = l.next()?.to_string();
    let point = l.next()?.to_string();
    let opts = l.next()?.to_string();
    let tags = l.collect::<Vec<_>>().join(" ");
    let mut r = right.splitn(3, ' ');
    Some(Mount {
        id,
        parent,
        dev,
        root,
        point,
        opts,
        tags,
        fstype: r.next()?.to_string(),
        source: r.next()?.to_string(),
        super_opts: r.next().unwrap_or("").to_string(),
    })
}

/// A mount point as a path: the octal escapes (`\040`, `\011`, `\012`,
/// `\134`) undone.
fn unescape(s: &str) -> Vec<u8> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\' && i + 4 <= b.len() {
            let digits = &b[i + 1..i + 4];
            if digits.iter().all(|d| (b'0'..=b'7').contains(d)) {
                let v = digits.iter().fold(0u32, |v, d| v * 8 + u32::from(d - b'0'));
                if v < 256 {
                    out.push(v as u8);
                    i += 4;
                    continue;
                }
            }
        }
        out.push(b[i]);
        i += 1;
    }
    out
}

/// A path as mount tables show it: space, tab, newline and backslash as
/// octal escapes.
fn escape(p: &[u8]) -> String {
    let mut out = Vec::with_capacity(p.len());
    for &b in p {
        match b {
            b' ' | b'\t' | b'\n' | b'\\' => out.extend_from_slice(format!("\\{b:03o}").as_bytes()),
            _ => out.push(b),
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// `path` below (or at) `dir`, both absolute host paths: the rest, "" at
/// `dir` itself, without the separating slash.
fn below<'a>(path: &'a [u8], dir: &[u8]) -> Option<&'a [u8]> {
    if dir == b"/" {
        return path.strip_prefix(b"/");
    }
    let rest = path.strip_prefix(dir)?;
    match rest.first() {
        None => Some(rest),
        Some(b'/') => Some(&rest[1..]),
        _ => None,
    }
}

/// Does guest path `p` lie at or below `/proc` or `/sys` (kvrm's own)?
fn shadowed(p: &[u8]) -> bool {
    [&b"/proc"[..], b"/sys"]
        .iter()
        .any(|d| p == *d || p.strip_prefix(*d).is_some_and(|r| r.first() == Some(&b'/')))
}

/// "MAJOR:MINOR" of the device of host path `p` ("0:0" if it is missing).
fn dev_of(p: &str) -> String {
    let dev = std::fs::metadata(p).map_or(0, |m| m.dev());
    format!("{}:{}", libc::major(dev), libc::minor(dev))
}

/// The mounts the guest sees with `root` (canonical) as its `/`.
fn guest_mounts(host: &[Mount], root: &Path) -> Vec<Mount> {
    let root = root.as_os_str().as_encoded_bytes();
    // The mount holding the root: the deepest mount point above it, the
    // last one mounted there.
    let holder = host
        .iter()
        .enumerate()
        .filter(|(_, m)| below(root, &unescape(&m.point)).is_some())
        .max_by_key(|&(i, m)| (unescape(&m.point).len(), i))
        .map(|(_, m)| m.clone());
    let mut out = Vec::new();
    let root_id = holder.as_ref().map_or(1, |m| m.id);
    out.push(match holder {
        Some(m) => Mount {
            root: "/".into(),
            point: "/".into(),
            ..m
        },
        // No host mount table: a plain root file system.
        None => Mount {
            id: 1,
            parent: 1,
            dev: dev_of("/"),
            root: "/".into(),
            point: "/".into(),
            opts: "rw,relatime".into(),
            tags: String::new(),
            fstype: "rootfs".into(),
            source: "rootfs".into(),
            super_opts: "rw".into(),
        },
    });
    let next_id = host.iter().map(|m| m.id).max().unwrap_or(1) + 1;
    for (i, (fs, point)) in [("proc", "/proc"), ("sysfs", "/sys")].iter().enumerate() {
        out.push(Mount {
            id: next_id + i as u64,
            parent: root_id,
            dev: dev_of(point),
            root: "/".into(),
            point: point.to_string(),
            opts: "rw,nosuid,nodev,noexec,relatime".into(),
            tags: String::new(),
            fstype: fs.to_string(),
            source: fs.to_string(),
            super_opts: "rw".into(),
        });
    }
    for m in host {
        let p = unescape(&m.point);
        let Some(rest) = below(&p, root) else {
            continue;
        };
        if rest.is_empty() {
            continue; // At the root itself: the holder or hidden by it.
        }
        let mut path = b"/".to_vec();
        path.extend_from_slice(rest);
        let guest = escape(&path);
        if shadowed(guest.as_bytes()) {
            continue;
        }
        out.push(Mount {
            point: guest,
            ..m.clone()
        });
    }
    out
}

/// The host's mount table as this process sees it.
fn host_mounts() -> Vec<Mount> {
    std::fs::read_to_string("/proc/self/mountinfo")
        .map(|s| s.lines().filter_map(parse).collect())
        .unwrap_or_default()
}

/// /proc/PID/mountinfo for a guest whose `/` is host directory `root`.
pub(crate) fn mountinfo(root: &Path) -> String {
    let mut s = String::new();
    for m in guest_mounts(&host_mounts(), root) {
        let tags = if m.tags.is_empty() {
            String::new()
        } else {
            format!(" {}", m.tags)
        };
        s.push_str(&format!(
            "{} {} {} {} {} {}{} - {} {} {}\n",
            m.id, m.parent, m.dev, m.root, m.point, m.opts, tags, m.fstype, m.source, m.super_opts
        ));
    }
    s
}

/// The options /proc/PID/mounts shows: read-only if either the mount or the
/// file system is, then the mount's other options and the file system's.
fn combined_opts(m: &Mount) -> String {
    let mount: Vec<&str> = m.opts.split(',').filter(|o| !o.is_empty()).collect();
    let sb: Vec<&str> = m.super_opts.split(',').filter(|o| !o.is_empty()).collect();
    let ro = mount.contains(&"ro") || sb.contains(&"ro");
    let mut all = vec![if ro { "ro" } else { "rw" }];
    all.extend(
        mount
            .iter()
            .chain(&sb)
            .filter(|o| !matches!(**o, "ro" | "rw")),
    );
    all.join(",")
}

/// /proc/PID/mounts (and /proc/mounts) for a guest whose `/` is `root`.
pub(crate) fn mounts(root: &Path) -> String {
    let mut s = String::new();
    for m in guest_mounts(&host_mounts(), root) {
        s.push_str(&format!(
            "{} {} {} {} 0 0\n",
            m.source,
            m.point,
            m.fstype,
            combined_opts(&m)
        ));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOST: &str = "\
22 27 0:21 / /proc rw,relatime - proc proc rw
23 27 0:22 / /sys rw,relatime - sysfs sysfs rw
27 1 254:0 / / rw,relatime shared:1 - ext4 /dev/vda rw,errors=remount-ro
30 27 0:30 / /srv/root\\040dir rw,nosuid - tmpfs tmpfs rw,size=1024k
31 30 0:31 / /srv/root\\040dir/mnt/data ro,relatime - ext4 /dev/vdb ro
32 30 0:5 / /srv/root\\040dir/proc rw - proc proc rw
33 27 0:33 / /srv/other rw - tmpfs tmpfs rw
";

    fn host() -> Vec<Mount> {
        HOST.lines().filter_map(parse).collect()
    }

    #[test]
    fn the_root_is_the_mount_holding_it_and_submounts_follow() {
        let g = guest_mounts(&host(), Path::new("/srv/root dir"));
        let points: Vec<&str> = g.iter().map(|m| m.point.as_str()).collect();
        assert_eq!(points, ["/", "/proc", "/sys", "/mnt/data"]);
        assert_eq!((g[0].id, g[0].fstype.as_str()), (30, "tmpfs"));
        assert_eq!(g[1].parent, 30);
        assert_eq!(g[1].id, 34);
        assert_eq!(combined_opts(&g[3]), "ro,relatime");
    }

    #[test]
    fn a_root_inside_a_mount_shows_that_mount_at_slash() {
        let g = guest_mounts(&host(), Path::new("/home/user/project"));
        assert_eq!(g[0].source, "/dev/vda");
        assert_eq!(g[0].root, "/");
        assert_eq!(combined_opts(&g[0]), "rw,relatime,errors=remount-ro");
        assert_eq!(g.len(), 3);
        let whole = guest_mounts(&host(), Path::new("/"));
        let points: Vec<&str> = whole.iter().map(|m| m.point.as_str()).collect();
        assert_eq!(
            points,
            [
                "/",
                "/proc",
                "/sys",
                "/srv/root\\040dir",
                "/srv/root\\040dir/mnt/data",
                "/srv/root\\040dir/proc",
                "/srv/other"
            ]
        );
    }

    #[test]
    fn escapes_are_undone_for_paths() {
        assert_eq!(unescape("/a\\040b\\134c"), b"/a b\\c");
        assert_eq!(unescape("/x\\"), b"/x\\");
        assert_eq!(escape(b"/a b\\c"), "/a\\040b\\134c");
    }
}
