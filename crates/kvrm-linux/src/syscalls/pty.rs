//! Pseudo-terminals. Opening /dev/ptmx opens a new one on the host; the
//! process that holds its master may then open its terminal side,
//! /dev/pts/<n> (the host's other terminals stay outside the sandbox). Reads,
//! writes, termios and window sizes go to the host's terminal driver as for
//! any host terminal (files.rs); the master's own requests TIOCGPTN,
//! TIOCSPTLCK, TIOCGPTLCK and TIOCPKT pass there too. Here: TIOCGPTPEER, which
//! makes a descriptor, and the controlling-terminal requests.
//!
//! A guest process cannot make a host terminal its controlling terminal (the
//! host would make it kvrm's): TIOCSCTTY and TIOCNOTTY succeed on a terminal
//! and change nothing, so login_tty and forkpty work, but a byte such as ^C
//! written to the master signals no guest process.

use std::os::fd::{FromRawFd, OwnedFd, RawFd};
use std::path::PathBuf;

use super::files::last_errno;
use super::{LinuxProcess, SysResult};
use crate::abi::{errno::*, open::*};
use crate::fd::{HostFd, LockFile, OpenFile};

const TIOCSCTTY: u64 = 0x540e;
const TIOCNOTTY: u64 = 0x5422;
const TIOCGPTPEER: u64 = 0x5441;

/// The pseudo-terminal number a /dev/pts name spells (digits, no leading
/// zero, as devpts names them).
pub(super) fn pty_number(name: &[u8]) -> Option<u32> {
    if name.is_empty() || name.len() > 9 || (name.len() > 1 && name[0] == b'0') {
        return None;
    }
    if !name.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(name).ok()?.parse().ok()
}

/// The host path of pseudo-terminal `n`'s terminal side, and its guest path
/// (the same).
pub(super) fn pty_path(n: u32) -> (PathBuf, Vec<u8>) {
    let path = format!("/dev/pts/{n}");
    (PathBuf::from(&path), path.into_bytes())
}

/// The number of the pseudo-terminal whose master is host descriptor `raw`
/// (None: not a master).
pub(super) fn host_pty_number(raw: RawFd) -> Option<u32> {
    let mut n: libc::c_uint = 0;
    // SAFETY: TIOCGPTN writes one unsigned int to the pointer.
    let r = unsafe { libc::ioctl(raw, libc::TIOCGPTN, &mut n) };
    (r == 0).then_some(n)
}

impl LinuxProcess {
    /// The requests above on descriptor `fd` (None: another request).
    pub(super) fn pty_ioctl(&mut self, fd: u64, req: u64, arg: u64) -> Option<SysResult> {
        if !matches!(req, TIOCSCTTY | TIOCNOTTY | TIOCGPTPEER) {
            return None;
        }
        let file = match self.fds.get(fd) {
            Ok(f) => f,
            Err(e) => return Some(Err(e)),
        };
        let (raw, master) = {
            let f = file.lock_file();
            (f.host.raw(), f.pty_master)
        };
        // SAFETY: isatty on a descriptor we hold.
        if unsafe { libc::isatty(raw) } != 1 {
            return Some(Err(ENOTTY));
        }
        if req != TIOCGPTPEER {
            return Some(Ok(0));
        }
        let Some(n) = master else {
            return Some(Err(ENOTTY));
        };
        Some(self.open_pty_peer(raw, n, arg))
    }

    /// TIOCGPTPEER: a new descriptor for the terminal side of the master at
    /// host descriptor `raw` (pseudo-terminal `n`), opened with `flags`.
    fn open_pty_peer(&mut self, raw: RawFd, n: u32, flags: u64) -> SysResult {
        if flags & !(O_ACCMODE | O_NOCTTY | O_NONBLOCK | O_CLOEXEC) != 0 {
            return Err(EINVAL);
        }
        let mut host_flags = libc::O_NOCTTY | libc::O_CLOEXEC | (flags & O_ACCMODE) as i32;
        if flags & O_NONBLOCK != 0 {
            host_flags |= libc::O_NONBLOCK;
        }
        // SAFETY: TIOCGPTPEER takes its open flags by value and returns a new
        // descriptor, which is ours.
        let peer = unsafe { libc::ioctl(raw, TIOCGPTPEER as _, host_flags) };
        if peer < 0 {
            return Err(last_errno());
        }
        // SAFETY: just opened for us, owned by nobody else.
        let owned = unsafe { OwnedFd::from_raw_fd(peer) };
        let mut of = OpenFile::new(
            HostFd::Owned(owned),
            (flags & (O_ACCMODE | O_NONBLOCK)) | O_LARGEFILE,
        );
        let (host, guest) = pty_path(n);
        of.guest_path = Some(guest);
        of.host_path = Some(host);
        self.install(of, flags & O_CLOEXEC != 0)
    }
}

#[cfg(test)]
mod tests {
    use kvrm_isa::{AddressSpace, Perms};

    use super::*;
    use crate::abi::at::AT_FDCWD;

    const BUF: u64 = 0x10000;
    const TIOCGPTN: u64 = 0x8004_5430;
    const TIOCSPTLCK: u64 = 0x4004_5431;
    const TIOCGPTLCK: u64 = 0x8004_5439;

    /// A process rooted in a scratch directory (not the host's /, where
    /// /dev/pts would be the host's), with memory at BUF.
    fn process(dir: &std::path::Path) -> (LinuxProcess, AddressSpace) {
        let p = LinuxProcess::new(crate::ProcessConfig {
            root: dir.into(),
            lib_prefix: None,
            exe_host: "/bin/true".into(),
            exe_link: b"/bin/true".to_vec(),
            cwd: "/".into(),
            brk_start: 0x100_0000,
        })
        .expect("a test process");
        let mut mem = AddressSpace::new();
        mem.map(BUF, 0x1000, Perms::RW).unwrap();
        (p, mem)
    }

    fn open(p: &mut LinuxProcess, mem: &mut AddressSpace, path: &str) -> SysResult {
        let mut name = path.as_bytes().to_vec();
        name.push(0);
        mem.write_bytes(BUF + 0x800, &name).unwrap();
        p.sys_openat(mem, AT_FDCWD as u64, BUF + 0x800, O_RDWR | O_NOCTTY, 0)
    }

    /// An int ioctl through the syscall table (the request as musl passes
    /// it: sign-extended) and the int it wrote or read at BUF.
    fn ioctl_int(
        p: &mut LinuxProcess,
        mem: &mut AddressSpace,
        fd: u64,
        req: u64,
        v: u32,
    ) -> (i64, u32) {
        mem.write_bytes(BUF, &v.to_le_bytes()).unwrap();
        let r = p.dispatch(
            mem,
            crate::syscalls::nr::IOCTL,
            [fd, req as u32 as i32 as u64, BUF, 0, 0, 0],
        );
        let mut out = [0u8; 4];
        mem.read_bytes(BUF, &mut out).unwrap();
        (r.map_or_else(|e| -e, |v| v as i64), u32::from_le_bytes(out))
    }

    #[test]
    fn a_guest_opens_the_terminals_of_the_masters_it_holds_only() {
        // SAFETY: a path literal; the descriptor is closed at the end.
        let host_master =
            unsafe { libc::open(c"/dev/ptmx".as_ptr(), libc::O_RDWR | libc::O_NOCTTY) };
        if host_master < 0 {
            eprintln!("skipped: the host gives no pseudo-terminal");
            return;
        }
        let dir = std::env::temp_dir().join(format!("kvrm-pty-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let (mut p, mut mem) = process(&dir);
        // One the host opened, not the guest: not there for the guest.
        let host_n = host_pty_number(host_master).expect("a host master");
        assert_eq!(
            open(&mut p, &mut mem, &format!("/dev/pts/{host_n}")),
            Err(ENOENT)
        );

        let m = open(&mut p, &mut mem, "/dev/ptmx").expect("/dev/ptmx");
        let (r, n) = ioctl_int(&mut p, &mut mem, m, TIOCGPTN, u32::MAX);
        assert_eq!(r, 0);
        assert_eq!(p.fds.get(m).unwrap().lock_file().pty_master, Some(n));
        // Locked until TIOCSPTLCK 0 (the host kernel's answers).
        assert_eq!(ioctl_int(&mut p, &mut mem, m, TIOCGPTLCK, 7), (0, 1));
        assert_eq!(open(&mut p, &mut mem, &format!("/dev/pts/{n}")), Err(EIO));
        assert_eq!(ioctl_int(&mut p, &mut mem, m, TIOCSPTLCK, 0).0, 0);
        assert_eq!(ioctl_int(&mut p, &mut mem, m, TIOCGPTLCK, 7), (0, 0));
        let s = open(&mut p, &mut mem, &format!("/dev/pts/{n}")).expect("the terminal side");
        // Names devpts never has are not terminals either.
        for bad in [
            format!("/dev/pts/0{n}"),
            format!("/dev/pts/{n}/"),
            "/dev/pts/x".into(),
        ] {
            assert!(open(&mut p, &mut mem, &bad).is_err(), "{bad}");
        }
        // TIOCGPTPEER: another descriptor of the terminal side, close-on-exec.
        let peer = p
            .sys_ioctl(&mut mem, m, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC)
            .expect("TIOCGPTPEER");
        assert!(p.fds.entry(peer).unwrap().cloexec);
        let path = format!("/dev/pts/{n}").into_bytes();
        assert_eq!(p.fds.get(peer).unwrap().lock_file().guest_path, Some(path));
        assert_eq!(p.sys_ioctl(&mut mem, s, TIOCGPTPEER, O_RDWR), Err(ENOTTY));
        assert_eq!(p.sys_ioctl(&mut mem, m, TIOCGPTPEER, 0o1000), Err(EINVAL));
        // A controlling terminal: accepted on a terminal, refused elsewhere.
        assert_eq!(p.sys_ioctl(&mut mem, s, TIOCSCTTY, 0), Ok(0));
        assert_eq!(p.sys_ioctl(&mut mem, s, TIOCNOTTY, 0), Ok(0));
        let (r, _w) = std::io::pipe().unwrap();
        let pipe = p
            .install(OpenFile::new(HostFd::Owned(r.into()), O_RDONLY), false)
            .unwrap();
        assert_eq!(p.sys_ioctl(&mut mem, pipe, TIOCSCTTY, 0), Err(ENOTTY));
        // Bytes cross from one side to the other through the host's driver.
        mem.write_bytes(BUF, b"hi\n").unwrap();
        assert_eq!(p.sys_write(&mut mem, peer, BUF, 3, None), Ok(3));
        let got = p.sys_read(&mut mem, m, BUF + 0x100, 16, None);
        let mut out = [0u8; 4];
        mem.read_bytes(BUF + 0x100, &mut out).unwrap();
        assert_eq!((got, &out), (Ok(4), b"hi\r\n"));
        // Once the master is closed, its terminal is out of reach again.
        p.fds.close(m).unwrap();
        assert_eq!(
            open(&mut p, &mut mem, &format!("/dev/pts/{n}")),
            Err(ENOENT)
        );
        // SAFETY: opened above.
        unsafe { libc::close(host_master) };
        let _ = std::fs::remove_dir_all(&dir);
    }
}
