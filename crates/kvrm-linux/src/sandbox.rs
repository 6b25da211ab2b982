//! The guest's file-system view: every guest path is resolved inside one host
//! directory, the root. Absolute guest paths start at the root, `..` stops at
//! it, and symbolic links (in any component) are followed by this resolver, not
//! by the host, with their targets read as guest paths. The host path that
//! comes out names no symbolic link except, when asked not to follow it, the
//! last component; so host calls on it stay inside the root.

use std::collections::VecDeque;
use std::ffi::{OsStr, OsString};
use std::io;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::{Path, PathBuf};

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
    /// The same path as the guest sees it: absolute, normalized, `/` for the root.
    pub guest: String,
}

/// The root directory of the guest's file system.
#[derive(Debug, Clone)]
pub struct Sandbox {
    root: PathBuf,
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
        Ok(Sandbox { root })
    }

    /// The host directory that is the guest's `/`.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The guest path of a host path inside the root, if it is inside.
    pub fn guest_path_of(&self, host: &Path) -> Option<String> {
        let host = host.canonicalize().ok()?;
        let rel = host.strip_prefix(&self.root).ok()?;
        let mut g = String::from("/");
        g.push_str(&rel.to_string_lossy());
        Some(g)
    }

    /// Resolve guest `path` relative to the guest directory `base` (absolute,
    /// normalized). `follow_last`: follow a symbolic link in the last
    /// component. A missing last component is fine (the caller may create it);
    /// a missing or non-directory intermediate component is ENOENT / ENOTDIR.
    pub fn resolve(&self, base: &str, path: &[u8], follow_last: bool) -> Result<Resolved, i64> {
        if path.is_empty() {
            return Err(ENOENT);
        }
        if path.len() >= PATH_MAX {
            return Err(ENAMETOOLONG);
        }
        let mut stack: Vec<OsString> = if path[0] == b'/' {
            Vec::new()
        } else {
            split(base.as_bytes()).collect()
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
            let host = self.host_of(&stack);
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
        let host = self.host_of(&stack);
        let mut guest = String::new();
        for c in &stack {
            guest.push('/');
            guest.push_str(&c.to_string_lossy());
        }
        if guest.is_empty() {
            guest.push('/');
        }
        Ok(Resolved { host, guest })
    }

    fn host_of(&self, stack: &[OsString]) -> PathBuf {
        let mut p = self.root.clone();
        for c in stack {
            p.push(c);
        }
        p
    }
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
        let r = sb.resolve("/", b"/a/b/file", true).unwrap();
        assert_eq!(r.host, root.join("a/b/file"));
        assert_eq!(r.guest, "/a/b/file");
        let r = sb.resolve("/a", b"b/./file", true).unwrap();
        assert_eq!(r.guest, "/a/b/file");
        assert_eq!(sb.resolve("/", b"/", true).unwrap().host, root);
        assert_eq!(sb.resolve("/", b"", true), Err(ENOENT));
    }

    #[test]
    fn dotdot_cannot_climb_above_root() {
        let (_t, sb, root) = setup();
        let r = sb.resolve("/", b"../../../secret", true).unwrap();
        assert_eq!(r.host, root.join("secret"));
        assert_eq!(r.guest, "/secret");
        assert!(!r.host.exists(), "must not reach the host's file");
        let r = sb.resolve("/a/b", b"../../../../..", true).unwrap();
        assert_eq!(r.host, root);
        let r = sb.resolve("/a", b"/../a/../../a/b/file", true).unwrap();
        assert_eq!(r.host, root.join("a/b/file"));
    }

    #[test]
    fn symlinks_resolve_inside_root() {
        let (_t, sb, root) = setup();
        // Absolute target: relative to the root, not the host's /.
        symlink("/a/b", root.join("abs")).unwrap();
        assert_eq!(
            sb.resolve("/", b"/abs/file", true).unwrap().host,
            root.join("a/b/file")
        );
        // A link to the host's real path of the outside file stays inside.
        let outside = root.parent().unwrap().join("secret");
        symlink(&outside, root.join("escape_abs")).unwrap();
        // (it names root/<host path>, whose first directory does not exist)
        assert_eq!(sb.resolve("/", b"escape_abs", true), Err(ENOENT));
        std::fs::create_dir_all(root.join(outside.parent().unwrap().strip_prefix("/").unwrap()))
            .unwrap();
        let r = sb.resolve("/", b"escape_abs", true).unwrap();
        assert!(r.host.starts_with(&root), "{:?}", r.host);
        assert!(!r.host.exists());
        // Relative `..` targets stop at the root.
        symlink("../../../../secret", root.join("a/escape_rel")).unwrap();
        let r = sb.resolve("/", b"/a/escape_rel", true).unwrap();
        assert_eq!(r.host, root.join("secret"));
        assert!(!r.host.exists());
        // Intermediate component that is a link pointing outside.
        symlink("../..", root.join("a/b/up")).unwrap();
        let r = sb.resolve("/", b"/a/b/up/../../secret", true).unwrap();
        assert_eq!(r.host, root.join("secret"));
        let r = sb.resolve("/", b"/a/b/up/a/b/file", true).unwrap();
        assert_eq!(r.host, root.join("a/b/file"));
        symlink(root.parent().unwrap(), root.join("outdir")).unwrap();
        let r = sb.resolve("/", b"/outdir/secret", true).unwrap();
        assert!(r.host.starts_with(&root), "{:?}", r.host);
        assert!(!r.host.exists());
        // Not following the last component names the link itself.
        let r = sb.resolve("/", b"/escape_abs", false).unwrap();
        assert_eq!(r.host, root.join("escape_abs"));
    }

    #[test]
    fn symlink_loops_and_errors() {
        let (_t, sb, root) = setup();
        symlink("loop2", root.join("loop1")).unwrap();
        symlink("loop1", root.join("loop2")).unwrap();
        assert_eq!(sb.resolve("/", b"loop1", true), Err(ELOOP));
        assert_eq!(sb.resolve("/", b"missing/x", true), Err(ENOENT));
        assert_eq!(sb.resolve("/", b"a/b/file/x", true), Err(ENOTDIR));
        assert_eq!(sb.resolve("/", b"a/b/file/", true), Err(ENOTDIR));
        assert!(sb.resolve("/", b"a/b/new_file", true).is_ok());
        let long = vec![b'x'; 5000];
        assert_eq!(sb.resolve("/", &long, true), Err(ENAMETOOLONG));
    }

    #[test]
    fn guest_path_of_host_paths() {
        let (_t, sb, root) = setup();
        assert_eq!(
            sb.guest_path_of(&root.join("a/b/file")).as_deref(),
            Some("/a/b/file")
        );
        assert_eq!(sb.guest_path_of(root.parent().unwrap()), None);
    }
}
