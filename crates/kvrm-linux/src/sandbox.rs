//! The guest's file-system view: every guest path is resolved inside one host
//! directory, the root. Absolute guest paths start at the root, `..` stops at
//! it, and symbolic links (in any component) are followed by this resolver, not
//! by the host, with their targets read as guest paths. The host path that
//! comes out names no symbolic link except, when asked not to follow it, the
//! last component; so host calls on it stay inside the root.
//!
//! An optional *library prefix* (`kvrm run -L DIR`, as qemu-user's `-L`) is a
//! read-only overlay on top of the root, meant for a sysroot that holds the
//! dynamic loader and the shared libraries. Lookup order for a guest path:
//!
//! 1. A path given as absolute (`/lib/libc.so.6`) is first resolved inside the
//!    prefix, by the same rules as inside the root (`..` stops at the prefix,
//!    symbolic links are read as paths inside the prefix). When that names an
//!    existing object that is not a directory, it is the answer
//!    ([`Resolved::overlay`] is set): it can be read and executed but not
//!    modified (the callers answer EROFS).
//! 2. Otherwise (a relative path, nothing there, or a directory) the path is
//!    resolved inside the root. Directories therefore always come from the root:
//!    listing `/lib`, `chdir` and creating files never see the prefix.
//!
//! `/dev/shm` (POSIX shared memory and named semaphores: `shm_open`,
//! `sem_open`, Python's multiprocessing) is, unless the root has a `dev/shm`
//! of its own, a private host directory of the sandbox's, made on first use
//! and removed when the last process holding the sandbox goes: the guest's
//! processes share it, nothing else sees it.

use std::collections::VecDeque;
use std::ffi::{OsStr, OsString};
use std::io;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, OnceLock};

use crate::abi::errno::*;

/// The longest guest path accepted (PATH_MAX, NUL included).
pub const PATH_MAX: usize = 4096;
/// Symbolic links followed in one resolution before ELOOP (as Linux).
pub const MAX_SYMLINKS: u32 = 40;

/// A guest path resolved to a host path inside the root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    /// The host path (root joined with the components).
    pub host: PathBuf,
    /// The same path as the guest sees it: absolute, normalized, `/` for the
    /// root. Bytes, as Linux paths are: any but NUL, UTF-8 or not.
    pub guest: Vec<u8>,
    /// Found in the read-only library prefix rather than the root.
    pub overlay: bool,
}

impl Resolved {
    /// This path, for a call that modifies what it names: EROFS in the
    /// read-only library prefix.
    pub fn writable(self) -> Result<Self, i64> {
        if self.overlay {
            return Err(EROFS);
        }
        Ok(self)
    }
}

/// The root directory of the guest's file system.
#[derive(Debug, Clone)]
pub struct Sandbox {
    root: PathBuf,
    /// The read-only library prefix (`-L`), searched first for absolute paths.
    prefix: Option<PathBuf>,
    /// The private `/dev/shm` (module documentation), shared by the clones
    /// that forked processes hold.
    shm: Arc<ShmDir>,
}

/// The guest's `/dev/shm`.
const SHM: &[u8] = b"/dev/shm";

/// The host directory behind the guest's `/dev/shm`, once made (`None`: the
/// host refused; the guest then sees no `/dev/shm`).
#[derive(Debug, Default)]
struct ShmDir(OnceLock<Option<PathBuf>>);

impl ShmDir {
    fn get(&self) -> Option<&Path> {
        self.0
            .get_or_init(|| {
                // Memory, as the guest expects of /dev/shm, where the host has it.
                let parent = Path::new(OsStr::from_bytes(SHM));
                let parent = if parent.is_dir() {
                    parent.to_path_buf()
                } else {
                    std::env::temp_dir()
                };
                static MADE: AtomicU32 = AtomicU32::new(0);
                for _ in 0..16 {
                    let n = MADE.fetch_add(1, Ordering::Relaxed);
                    let dir = parent.join(format!("kvrm-shm-{}-{n}", std::process::id()));
                    let made = std::os::unix::fs::DirBuilderExt::mode(
                        &mut std::fs::DirBuilder::new(),
                        0o700,
                    )
                    .create(&dir);
                    if made.is_ok() {
                        return dir.canonicalize().ok();
                    }
                }
                None
            })
            .as_deref()
    }
}

impl Drop for ShmDir {
    fn drop(&mut self) {
        if let Some(Some(dir)) = self.0.get() {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

/// `path` relative to `base` (absolute), normalized without looking at any
/// file: `.` and `..` applied, no trailing slash (`""` for the root).
pub(crate) fn lexical(base: &[u8], path: &[u8]) -> Vec<u8> {
    let mut parts: Vec<&[u8]> = Vec::new();
    let start: &[u8] = if path.first() == Some(&b'/') {
        b""
    } else {
        base
    };
    for c in start
        .split(|&b| b == b'/')
        .chain(path.split(|&b| b == b'/'))
    {
        match c {
            b"" | b"." => {}
            b".." => {
                parts.pop();
            }
            c => parts.push(c),
        }
    }
    let mut out = Vec::new();
    for c in parts {
        out.push(b'/');
        out.extend_from_slice(c);
    }
    out
}

/// The errno for a host I/O error (Linux hosts share the guest's numbers).
pub fn host_errno(e: &io::Error) -> i64 {
    match e.raw_os_error() {
        Some(n) => n as i64,
        None => match e.kind() {
            io::ErrorKind::NotFound => ENOENT,
            io::ErrorKind::PermissionDenied => EACCES,
            io::ErrorKind::AlreadyExists => EEXIST,
            io::ErrorKind::InvalidInput => EINVAL,
            _ => EIO,
        },
    }
}

fn split(path: &[u8]) -> impl Iterator<Item = OsString> + '_ {
    path.split(|&b| b == b'/')
        .filter(|c| !c.is_empty())
        .map(|c| OsStr::from_bytes(c).to_os_string())
}

impl Sandbox {
    /// A sandbox rooted at `root` (which must be an existing directory).
    pub fn new(root: &Path) -> io::Result<Self> {
        let root = root.canonicalize()?;
        if !root.is_dir() {
            return Err(io::Error::new(
                io::ErrorKind::NotADirectory,
                format!("{} is not a directory", root.display()),
            ));
        }
        Ok(Sandbox {
            root,
            prefix: None,
            shm: Arc::default(),
        })
    }

    /// This sandbox with `prefix` (an existing directory) as its read-only
    /// library prefix (see the module documentation for the lookup order).
    pub fn with_prefix(mut self, prefix: &Path) -> io::Result<Self> {
        let p = prefix.canonicalize()?;
        if !p.is_dir() {
            return Err(io::Error::new(
                io::ErrorKind::NotADirectory,
                format!("{} is not a directory", p.display()),
            ));
        }
        self.prefix = Some(p);
        Ok(self)
    }

    /// The host directory that is the guest's `/`.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The read-only library prefix, if any.
    pub fn prefix(&self) -> Option<&Path> {
        self.prefix.as_deref()
    }

    /// The guest path of a host path inside the root (or the library prefix),
    /// if it is inside.
    pub fn guest_path_of(&self, host: &Path) -> Option<Vec<u8>> {
        let host = host.canonicalize().ok()?;
        if let Some(rest) = self
            .shm
            .0
            .get()
            .and_then(|d| host.strip_prefix(d.as_ref()?).ok())
        {
            let mut g = SHM.to_vec();
            if !rest.as_os_str().is_empty() {
                g.push(b'/');
                g.extend_from_slice(rest.as_os_str().as_bytes());
            }
            return Some(g);
        }
        let rel = host
            .strip_prefix(&self.root)
            .ok()
            .or_else(|| host.strip_prefix(self.prefix.as_ref()?).ok())?;
        let mut g = b"/".to_vec();
        g.extend_from_slice(rel.as_os_str().as_bytes());
        Some(g)
    }

    /// Resolve guest `path` relative to the guest directory `base` (absolute,
    /// normalized). `follow_last`: follow a symbolic link in the last
    /// component. A missing last component is fine (the caller may create it);
    /// a missing or non-directory intermediate component is ENOENT / ENOTDIR.
    ///
    /// An absolute `path` is looked up in the library prefix first (module
    /// documentation).
    pub fn resolve(&self, base: &[u8], path: &[u8], follow_last: bool) -> Result<Resolved, i64> {
        if path.is_empty() {
            return Err(ENOENT);
        }
        if path.len() >= PATH_MAX {
            return Err(ENAMETOOLONG);
        }
        let r = self.resolve_guest(base, path, follow_last);
        if path.first() == Some(&b'/') {
            if let Some(alias) = self.resolve_host_alias(path, follow_last, &r) {
                return alias;
            }
        }
        r
    }

    /// See [`Self::resolve`]: the guest path, without the host alias.
    fn resolve_guest(&self, base: &[u8], path: &[u8], follow_last: bool) -> Result<Resolved, i64> {
        if let Some(r) = self.resolve_shm(base, path, follow_last) {
            return r;
        }
        if let (Some(prefix), Some(b'/')) = (&self.prefix, path.first()) {
            if let Ok(mut r) = Self::resolve_in(prefix, base, path, follow_last) {
                if std::fs::symlink_metadata(&r.host).is_ok_and(|m| !m.is_dir()) {
                    r.overlay = true;
                    return Ok(r);
                }
            }
        }
        Self::resolve_in(&self.root, base, path, follow_last)
    }

    /// An absolute path that names nothing in the guest but starts with the
    /// root's (or the prefix's) host path: what is there. The user names a
    /// program by its host path (`kvrm run --fs-root R R/usr/bin/gcc`, as with
    /// qemu's `-L`) and it finds its own files through that path (gcc its
    /// `cc1`, Python its library and `sys.executable`); qemu finds them on the
    /// host. Nothing outside the root (or prefix) becomes reachable.
    /// `literal`: `path` resolved as a guest path, which wins if it exists.
    fn resolve_host_alias(
        &self,
        path: &[u8],
        follow_last: bool,
        literal: &Result<Resolved, i64>,
    ) -> Option<Result<Resolved, i64>> {
        let full = lexical(b"/", path);
        let under = |dir: &Path| -> Option<Vec<u8>> {
            let rest = full.strip_prefix(dir.as_os_str().as_bytes())?;
            match rest {
                [] => Some(b"/".to_vec()),
                [b'/', ..] if dir != Path::new("/") => Some(rest.to_vec()),
                _ => None,
            }
        };
        let (in_root, in_prefix) = (under(&self.root), self.prefix.as_deref().and_then(under));
        // Only a path under the root's or prefix's host path costs a look
        // at whether the guest has it.
        if (in_root.is_none() && in_prefix.is_none())
            || literal
                .as_ref()
                .is_ok_and(|r| std::fs::symlink_metadata(&r.host).is_ok())
        {
            return None;
        }
        if let Some(rest) = in_root {
            return Some(self.resolve_guest(b"/", &rest, follow_last));
        }
        let (prefix, rest) = (self.prefix.as_ref()?, in_prefix?);
        let mut r = Self::resolve_in(prefix, b"/", &rest, follow_last).ok()?;
        std::fs::symlink_metadata(&r.host).ok()?;
        r.overlay = true;
        Some(Ok(r))
    }

    /// `path` in the private `/dev/shm`, if it names it or something in it
    /// and the root has no `dev/shm` of its own.
    fn resolve_shm(
        &self,
        base: &[u8],
        path: &[u8],
        follow_last: bool,
    ) -> Option<Result<Resolved, i64>> {
        let full = lexical(base, path);
        let rest = full.strip_prefix(SHM)?;
        if !(rest.is_empty() || rest.starts_with(b"/")) || self.root.join("dev/shm").is_dir() {
            return None;
        }
        let Some(dir) = self.shm.get() else {
            return Some(Err(ENOENT));
        };
        let rest = if rest.is_empty() { &b"/"[..] } else { rest };
        Some(Self::resolve_in(dir, b"/", rest, follow_last).map(|mut r| {
            r.guest = if r.guest == b"/" {
                SHM.to_vec()
            } else {
                [SHM, &r.guest].concat()
            };
            r
        }))
    }

    fn resolve_in(
        root: &Path,
        base: &[u8],
        path: &[u8],
        follow_last: bool,
    ) -> Result<Resolved, i64> {
        let mut stack: Vec<OsString> = if path[0] == b'/' {
            Vec::new()
        } else {
            split(base).collect()
        };
        // A trailing slash makes the last component a directory, followed.
        let trailing_slash = path.ends_with(b"/");
        let mut queue: VecDeque<OsString> = split(path).collect();
        let mut links = 0u32;
        while let Some(comp) = queue.pop_front() {
            let bytes = comp.as_bytes();
            if bytes == b"." {
                continue;
            }
            if bytes == b".." {
                stack.pop();
                continue;
            }
            if bytes.len() > 255 {
                return Err(ENAMETOOLONG);
            }
            stack.push(comp);
            let is_last = queue.is_empty();
            let host = host_of(root, &stack);
            match std::fs::symlink_metadata(&host) {
                Ok(md) if md.file_type().is_symlink() => {
                    if is_last && !follow_last && !trailing_slash {
                        continue;
                    }
                    links += 1;
                    if links > MAX_SYMLINKS {
                        return Err(ELOOP);
                    }
                    let target = std::fs::read_link(&host).map_err(|e| host_errno(&e))?;
                    let target = target.into_os_string().into_vec();
                    stack.pop();
                    if target.first() == Some(&b'/') {
                        stack.clear();
                    }
                    if target.is_empty() {
                        return Err(ENOENT);
                    }
                    for c in split(&target).collect::<Vec<_>>().into_iter().rev() {
                        queue.push_front(c);
                    }
                }
                Ok(md) => {
                    if (!is_last || trailing_slash) && !md.is_dir() {
                        return Err(ENOTDIR);
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::NotFound => {
                    if !is_last {
                        return Err(ENOENT);
                    }
                }
                Err(e) => return Err(host_errno(&e)),
            }
        }
        let host = host_of(root, &stack);
        let mut guest = Vec::new();
        for c in &stack {
            guest.push(b'/');
            guest.extend_from_slice(c.as_bytes());
        }
        if guest.is_empty() {
            guest.push(b'/');
        }
        Ok(Resolved {
            host,
            guest,
            overlay: false,
        })
    }
}

fn host_of(root: &Path, stack: &[OsString]) -> PathBuf {
    let mut p = root.to_path_buf();
    for c in stack {
        p.push(c);
    }
    p
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    fn setup() -> (tempfile::TempDir, Sandbox, PathBuf) {
        let outer = tempfile::tempdir().unwrap();
        let root = outer.path().join("root");
        std::fs::create_dir_all(root.join("a/b")).unwrap();
        std::fs::write(root.join("a/b/file"), b"inside").unwrap();
        std::fs::write(outer.path().join("secret"), b"outside").unwrap();
        let sb = Sandbox::new(&root).unwrap();
        let root = sb.root().to_path_buf();
        (outer, sb, root)
    }

    #[test]
    fn absolute_and_relative_paths() {
        let (_t, sb, root) = setup();
        let r = sb.resolve(b"/", b"/a/b/file", true).unwrap();
        assert_eq!(r.host, root.join("a/b/file"));
        assert_eq!(r.guest, b"/a/b/file");
        let r = sb.resolve(b"/a", b"b/./file", true).unwrap();
        assert_eq!(r.guest, b"/a/b/file");
        assert_eq!(sb.resolve(b"/", b"/", true).unwrap().host, root);
        assert_eq!(sb.resolve(b"/", b"", true), Err(ENOENT));
    }

    #[test]
    fn dotdot_cannot_climb_above_root() {
        let (_t, sb, root) = setup();
        let r = sb.resolve(b"/", b"../../../secret", true).unwrap();
        assert_eq!(r.host, root.join("secret"));
        assert_eq!(r.guest, b"/secret");
        assert!(!r.host.exists(), "must not reach the host's file");
        let r = sb.resolve(b"/a/b", b"../../../../..", true).unwrap();
        assert_eq!(r.host, root);
        let r = sb.resolve(b"/a", b"/../a/../../a/b/file", true).unwrap();
        assert_eq!(r.host, root.join("a/b/file"));
    }

    #[test]
    fn symlinks_resolve_inside_root() {
        let (_t, sb, root) = setup();
        // Absolute target: relative to the root, not the host's /.
        symlink("/a/b", root.join("abs")).unwrap();
        assert_eq!(
            sb.resolve(b"/", b"/abs/file", true).unwrap().host,
            root.join("a/b/file")
        );
        // A link to the host's real path of the outside file stays inside.
        let outside = root.parent().unwrap().join("secret");
        symlink(&outside, root.join("escape_abs")).unwrap();
        // (it names root/<host path>, whose first directory does not exist)
        assert_eq!(sb.resolve(b"/", b"escape_abs", true), Err(ENOENT));
        std::fs::create_dir_all(root.join(outside.parent().unwrap().strip_prefix("/").unwrap()))
            .unwrap();
        let r = sb.resolve(b"/", b"escape_abs", true).unwrap();
        assert!(r.host.starts_with(&root), "{:?}", r.host);
        assert!(!r.host.exists());
        // Relative `..` targets stop at the root.
        symlink("../../../../secret", root.join("a/escape_rel")).unwrap();
        let r = sb.resolve(b"/", b"/a/escape_rel", true).unwrap();
        assert_eq!(r.host, root.join("secret"));
        assert!(!r.host.exists());
        // Intermediate component that is a link pointing outside.
        symlink("../..", root.join("a/b/up")).unwrap();
        let r = sb.resolve(b"/", b"/a/b/up/../../secret", true).unwrap();
        assert_eq!(r.host, root.join("secret"));
        let r = sb.resolve(b"/", b"/a/b/up/a/b/file", true).unwrap();
        assert_eq!(r.host, root.join("a/b/file"));
        symlink(root.parent().unwrap(), root.join("outdir")).unwrap();
        let r = sb.resolve(b"/", b"/outdir/secret", true).unwrap();
        assert!(r.host.starts_with(&root), "{:?}", r.host);
        assert!(!r.host.exists());
        // Not following the last component names the link itself.
        let r = sb.resolve(b"/", b"/escape_abs", false).unwrap();
        assert_eq!(r.host, root.join("escape_abs"));
    }

    #[test]
    fn symlink_loops_and_errors() {
        let (_t, sb, root) = setup();
        symlink("loop2", root.join("loop1")).unwrap();
        symlink("loop1", root.join("loop2")).unwrap();
        assert_eq!(sb.resolve(b"/", b"loop1", true), Err(ELOOP));
        assert_eq!(sb.resolve(b"/", b"missing/x", true), Err(ENOENT));
        assert_eq!(sb.resolve(b"/", b"a/b/file/x", true), Err(ENOTDIR));
        assert_eq!(sb.resolve(b"/", b"a/b/file/", true), Err(ENOTDIR));
        assert!(sb.resolve(b"/", b"a/b/new_file", true).is_ok());
        let long = vec![b'x'; 5000];
        assert_eq!(sb.resolve(b"/", &long, true), Err(ENAMETOOLONG));
    }

    #[test]
    fn library_prefix_is_a_read_only_overlay_for_files() {
        let (t, sb, root) = setup();
        let prefix = t.path().join("prefix");
        std::fs::create_dir_all(prefix.join("lib")).unwrap();
        std::fs::create_dir_all(prefix.join("a")).unwrap();
        std::fs::write(prefix.join("lib/libc.so.6"), b"lib").unwrap();
        symlink("/lib/libc.so.6", prefix.join("lib/libc.so")).unwrap();
        std::fs::write(prefix.join("a/only_in_prefix"), b"p").unwrap();
        std::fs::write(prefix.join("a/b"), b"not a dir").unwrap();
        let sb = sb.with_prefix(&prefix).unwrap();
        let prefix = prefix.canonicalize().unwrap();
        // Absolute paths: files of the prefix first, symlinks read inside it.
        let r = sb.resolve(b"/", b"/lib/libc.so", true).unwrap();
        assert_eq!(r.host, prefix.join("lib/libc.so.6"));
        assert_eq!(r.guest, b"/lib/libc.so.6");
        assert!(r.overlay);
        assert_eq!(r.clone().writable(), Err(EROFS));
        // ...not for relative paths.
        let r = sb.resolve(b"/a", b"only_in_prefix", true).unwrap();
        assert_eq!(r.host, root.join("a/only_in_prefix"));
        assert!(!r.overlay);
        // Missing in the prefix, or a directory there: the root's.
        let r = sb.resolve(b"/", b"/a/b/file", true).unwrap();
        assert_eq!(r.host, root.join("a/b/file"));
        assert!(!r.overlay && r.clone().writable().is_ok());
        assert_eq!(sb.resolve(b"/", b"/a", true).unwrap().host, root.join("a"));
        assert_eq!(sb.resolve(b"/", b"/", true).unwrap().host, root);
        // The prefix's files are read-only; new files go to the root.
        assert_eq!(
            sb.resolve(b"/", b"/a/new", true).unwrap().host,
            root.join("a/new")
        );
        assert_eq!(
            sb.guest_path_of(&prefix.join("lib/libc.so.6")).as_deref(),
            Some(&b"/lib/libc.so.6"[..])
        );
    }

    #[test]
    fn guest_path_of_host_paths() {
        let (_t, sb, root) = setup();
        assert_eq!(
            sb.guest_path_of(&root.join("a/b/file")).as_deref(),
            Some(&b"/a/b/file"[..])
        );
        assert_eq!(sb.guest_path_of(root.parent().unwrap()), None);
    }

    #[test]
    fn names_that_are_not_utf8_keep_their_bytes() {
        let (_t, sb, root) = setup();
        let dir = OsStr::from_bytes(b"d\xff");
        std::fs::create_dir(root.join(dir)).unwrap();
        std::fs::write(root.join(dir).join("f"), b"x").unwrap();
        // As the base of a relative path (a directory descriptor, the cwd).
        let r = sb.resolve(b"/d\xff", b"f", true).unwrap();
        assert_eq!(r.host, root.join(dir).join("f"));
        assert_eq!(r.guest, b"/d\xff/f");
        // Through a symbolic link whose target is not UTF-8 either.
        symlink(OsStr::from_bytes(b"/d\xff"), root.join("link")).unwrap();
        assert_eq!(
            sb.resolve(b"/", b"link/f", true).unwrap().guest,
            b"/d\xff/f"
        );
        assert_eq!(
            sb.guest_path_of(&root.join(dir)).as_deref(),
            Some(&b"/d\xff"[..])
        );
    }

    #[test]
    fn dev_shm_is_private_shared_by_clones_and_removed_with_the_last() {
        let (_t, sb, root) = setup();
        let r = sb.resolve(b"/", b"/dev/shm/sem.x", true).unwrap();
        assert_eq!(r.guest, b"/dev/shm/sem.x");
        let dir = r.host.parent().unwrap().to_path_buf();
        assert!(dir.is_dir() && !dir.starts_with(&root));
        std::fs::write(&r.host, b"x").unwrap();
        // Relative, through `..`, and from a clone (a forked process): the same file.
        let child = sb.clone();
        assert_eq!(
            child.resolve(b"/dev", b"shm/./sem.x", true).unwrap().host,
            r.host
        );
        assert_eq!(
            child
                .resolve(b"/a", b"../dev/shm/../shm/sem.x", true)
                .unwrap()
                .host,
            r.host
        );
        let d = sb.resolve(b"/", b"/dev/shm", true).unwrap();
        assert_eq!((d.host, &d.guest[..]), (dir.clone(), &b"/dev/shm"[..]));
        assert_eq!(
            sb.guest_path_of(&r.host).as_deref(),
            Some(&b"/dev/shm/sem.x"[..])
        );
        // `..` leaves it; other paths under /dev are the root's.
        assert_eq!(
            sb.resolve(b"/dev/shm", b"..", true).unwrap().host,
            root.join("dev")
        );
        assert_eq!(sb.resolve(b"/", b"/dev/shmx/f", true), Err(ENOENT));
        // Another sandbox (another run, or another lane) has its own.
        let other = Sandbox::new(&root).unwrap();
        assert_ne!(
            other.resolve(b"/", b"/dev/shm/sem.x", true).unwrap().host,
            r.host
        );
        drop(other);
        drop(sb);
        assert!(dir.is_dir(), "the clone still holds it");
        drop(child);
        assert!(!dir.exists(), "removed with the last holder");
    }

    #[test]
    fn a_root_with_its_own_dev_shm_keeps_it() {
        let (_t, sb, root) = setup();
        std::fs::create_dir_all(root.join("dev/shm")).unwrap();
        let r = sb.resolve(b"/", b"/dev/shm/f", true).unwrap();
        assert_eq!(r.host, root.join("dev/shm/f"));
    }

    #[test]
    fn the_roots_host_path_names_what_is_inside_it() {
        let (_t, sb, root) = setup();
        let mut host = root.as_os_str().as_bytes().to_vec();
        host.extend_from_slice(b"/a/b/file");
        let r = sb.resolve(b"/", &host, true).unwrap();
        assert_eq!(
            (r.host, &r.guest[..]),
            (root.join("a/b/file"), &b"/a/b/file"[..])
        );
        let r = sb.resolve(b"/", root.as_os_str().as_bytes(), true).unwrap();
        assert_eq!(r.host, root);
        // Nothing above the root: `..` stays inside, as for any guest path.
        let mut up = root.as_os_str().as_bytes().to_vec();
        up.extend_from_slice(b"/../secret");
        assert!(
            sb.resolve(b"/", &up, true).is_ok_and(|r| !r.host.exists())
                || sb.resolve(b"/", &up, true).is_err()
        );
        // A path that exists in the guest wins over the alias.
        let guest_copy = root.join(root.strip_prefix("/").unwrap()).join("a/b");
        std::fs::create_dir_all(&guest_copy).unwrap();
        std::fs::write(guest_copy.join("file"), b"guest's").unwrap();
        assert_eq!(
            sb.resolve(b"/", &host, true).unwrap().host,
            guest_copy.join("file")
        );
    }
}
