//! Sockets. A guest socket (AF_UNIX, AF_INET, AF_INET6, AF_NETLINK) is a host socket kept
//! non-blocking whatever the guest asked, like guest pipes: a call that would
//! wait returns EAGAIN here, and the kernel parks only the calling thread
//! until the host descriptor is ready (kernel/sockets.rs). The network
//! families need `KernelConfig::net` (`kvrm run --net`): without it
//! `socket(AF_INET*)` is EACCES. So is AF_NETLINK, of which only
//! NETLINK_ROUTE is offered, and only for reading: a request that is not an
//! RTM_GET* (or a control message) fails with EPERM before it reaches the
//! host, so a guest cannot change the host's links, addresses or routes.
//! (Its messages, `sockaddr_nl` included, have one layout on arm64 and a
//! 64-bit host.)
//!
//! Guest structures are decoded field by field, lengths checked first:
//! `sockaddr_in` (16 bytes) and `sockaddr_in6` (28) have the same layout on
//! arm64 and on a 64-bit Linux host; `msghdr` is 56 bytes and `cmsghdr` 16
//! (data 8-aligned), the LP64 layouts of both. Pathname AF_UNIX addresses
//! are resolved in the sandbox and handed to the host as
//! `/proc/self/fd/DIR/NAME` (DIR: the resolved parent directory, opened
//! O_PATH), so no path leaves the root and long host paths fit `sun_path`;
//! the names the host reports back are mapped to the guest's own.

use std::collections::BTreeMap;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::OpenOptionsExt;
use std::sync::Mutex;
use std::time::Duration;

use kvrm_isa::{AddressSpace, PAGE_SIZE};

use super::files::{guest_flags_from_host, last_errno};
use super::{check_writable, read_guest, write_guest, LinuxProcess, SysResult};
use crate::abi::errno::*;
use crate::abi::open::{O_ACCMODE, O_CLOEXEC, O_NONBLOCK, O_RDWR};
use crate::abi::signal::SIGPIPE;
use crate::fd::{HostFd, LockFile, OpenFile};

/// The socket syscalls (arm64 / asm-generic numbers).
#[allow(missing_docs)]
pub mod nr {
    pub const SOCKET: u64 = 198;
    pub const SOCKETPAIR: u64 = 199;
    pub const BIND: u64 = 200;
    pub const LISTEN: u64 = 201;
    pub const ACCEPT: u64 = 202;
    pub const CONNECT: u64 = 203;
    pub const GETSOCKNAME: u64 = 204;
    pub const GETPEERNAME: u64 = 205;
    pub const SENDTO: u64 = 206;
    pub const RECVFROM: u64 = 207;
    pub const SETSOCKOPT: u64 = 208;
    pub const GETSOCKOPT: u64 = 209;
    pub const SHUTDOWN: u64 = 210;
    pub const SENDMSG: u64 = 211;
    pub const RECVMSG: u64 = 212;
    pub const ACCEPT4: u64 = 242;
    pub const RECVMMSG: u64 = 243;
    pub const SENDMMSG: u64 = 269;
}

// Errnos of the socket calls (asm-generic/errno.h; the host shares them).
pub(crate) const ENOTSOCK: i64 = 88;
const EMSGSIZE: i64 = 90;
const ENOPROTOOPT: i64 = 92;
const EAFNOSUPPORT: i64 = 97;
const ENOBUFS: i64 = 105;
const EPROTONOSUPPORT: i64 = 93;
pub(crate) const EALREADY: i64 = 114;
pub(crate) const EINPROGRESS: i64 = 115;

const AF_UNIX: u16 = 1;
const AF_INET: u16 = 2;
const AF_INET6: u16 = 10;
const AF_NETLINK: u16 = 16;
const NETLINK_ROUTE: u64 = 0;
/// The first rtnetlink message type; those below are control messages.
const RTM_BASE: u16 = 16;
const NLMSG_HDRLEN: usize = 16;
const SO_DOMAIN: i32 = 39;
const SOCK_STREAM: i32 = 1;
const SOCK_TYPE_MASK: u64 = 0xf;
const SUN_PATH_MAX: usize = 108;

pub(crate) const MSG_DONTWAIT: u64 = 0x40;
const MSG_CTRUNC: i32 = 0x8;
const MSG_WAITALL: u64 = 0x100;
const MSG_NOSIGNAL: u64 = 0x4000;
const MSG_CMSG_CLOEXEC: u64 = 0x4000_0000;
/// The recv/send flags passed to the host (MSG_OOB, PEEK, DONTROUTE, TRUNC,
/// DONTWAIT, EOR, WAITALL, CONFIRM, ERRQUEUE, NOSIGNAL, MORE, ZEROCOPY off).
const MSG_PASSED: u64 = 0x1 | 0x2 | 0x4 | 0x20 | 0x40 | 0x80 | 0x100 | 0x800 | 0x2000 | 0x8000;

const SOL_SOCKET: i32 = 1;
const SCM_RIGHTS: i32 = 1;
const SO_TYPE: i32 = 3;
const SO_RCVBUF: i32 = 8;
const SO_RCVTIMEO: i32 = 20;
const SO_SNDTIMEO: i32 = 21;

/// The most one send or receive moves (stream sockets return short counts).
const IO_MAX: usize = 8 << 20;
/// The most option or control bytes taken (Linux's optmem limit is 20 KiB).
const OPT_MAX: usize = 512;
const CONTROL_MAX: u64 = 64 << 10;
const UIO_MAXIOV: u64 = 1024;
const MSGHDR_SIZE: usize = 56;
/// `struct mmsghdr`: a msghdr, the u32 count it moved, padding.
const MMSGHDR_SIZE: u64 = 64;
const MSG_WAITFORONE: u64 = 0x10000;
const CMSG_HDR: usize = 16;

const _: () = assert!(std::mem::size_of::<libc::sockaddr_in>() == 16);
const _: () = assert!(std::mem::size_of::<libc::sockaddr_in6>() == 28);
const _: () = assert!(std::mem::size_of::<libc::cmsghdr>() == CMSG_HDR);
const _: () = assert!(std::mem::size_of::<libc::sockaddr_storage>() == 128);

/// Host names of pathname sockets (`/proc/self/fd/N/NAME`) to the guest
/// names they were bound with: what getsockname, getpeername, accept and
/// recvfrom report. Shared by every guest process (a peer's name).
static UNIX_NAMES: Mutex<BTreeMap<Vec<u8>, Vec<u8>>> = Mutex::new(BTreeMap::new());

/// A guest socket address ready for a host call.
struct HostAddr {
    storage: libc::sockaddr_storage,
    len: libc::socklen_t,
    /// The parent directory a pathname address goes through (kept open
    /// for the call).
    _dir: Option<OwnedFd>,
    /// A bound pathname socket: (host name, guest name) to remember.
    names: Option<(Vec<u8>, Vec<u8>)>,
}

impl HostAddr {
    fn ptr(&self) -> *const libc::sockaddr {
        &self.storage as *const libc::sockaddr_storage as *const libc::sockaddr
    }
}

/// The guest's `struct msghdr` (LP64: name, namelen, iov, iovlen, control,
/// controllen, flags).
struct GuestMsg {
    name: u64,
    namelen: u32,
    iov: u64,
    iovlen: u64,
    control: u64,
    controllen: u64,
}

fn le_u64(b: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(b[at..at + 8].try_into().unwrap_or_default())
}

fn le_u32(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(b[at..at + 4].try_into().unwrap_or_default())
}

fn read_msghdr(mem: &AddressSpace, msg: u64) -> Result<GuestMsg, i64> {
    let b = read_guest(mem, msg, MSGHDR_SIZE)?;
    Ok(GuestMsg {
        name: le_u64(&b, 0),
        namelen: le_u32(&b, 8),
        iov: le_u64(&b, 16),
        iovlen: le_u64(&b, 24),
        control: le_u64(&b, 32),
        controllen: le_u64(&b, 40),
    })
}

/// The guest's iovec array: (base, len) pairs.
fn read_iovecs(mem: &AddressSpace, iov: u64, cnt: u64) -> Result<Vec<(u64, u64)>, i64> {
    if cnt > UIO_MAXIOV {
        return Err(EMSGSIZE);
    }
    let raw = read_guest(mem, iov, (cnt * 16) as usize)?;
    let mut total = 0u64;
    let mut v = Vec::with_capacity(cnt as usize);
    for c in raw.chunks_exact(16) {
        let (base, len) = (le_u64(c, 0), le_u64(c, 8));
        total = total.checked_add(len).ok_or(EINVAL)?;
        if total > i64::MAX as u64 {
            return Err(EINVAL);
        }
        v.push((base, len));
    }
    Ok(v)
}

/// A guest `socklen_t *`: the room it says the buffer has (EINVAL if negative).
fn read_socklen(mem: &AddressSpace, p: u64) -> Result<usize, i64> {
    let v = mem.read_u32(p).map_err(|_| EFAULT)? as i32;
    if v < 0 {
        return Err(EINVAL);
    }
    Ok(v as usize)
}

/// How many bytes from `addr` (at most `len`) the guest can write: a
/// receive fills that much (Linux copies until the first fault); EFAULT if
/// none of a non-empty buffer.
fn writable_prefix(mem: &AddressSpace, addr: u64, len: u64) -> Result<u64, i64> {
    let mut done = 0u64;
    while done < len {
        let Some(a) = addr.checked_add(done) else {
            break;
        };
        if !mem.perms_at(a).is_some_and(|p| p.write()) {
            break;
        }
        let page_end = (a & !(PAGE_SIZE - 1)).wrapping_add(PAGE_SIZE);
        done += page_end.wrapping_sub(a).min(len - done);
    }
    if done == 0 && len > 0 {
        return Err(EFAULT);
    }
    Ok(done)
}

fn zeroed_storage() -> libc::sockaddr_storage {
    // SAFETY: sockaddr_storage is plain bytes; all zeroes is AF_UNSPEC.
    unsafe { std::mem::zeroed() }
}

fn storage_bytes(st: &libc::sockaddr_storage, len: libc::socklen_t) -> &[u8] {
    let n = (len as usize).min(std::mem::size_of::<libc::sockaddr_storage>());
    // SAFETY: `st` is 128 initialized bytes and `n` is at most that.
    unsafe { std::slice::from_raw_parts(st as *const _ as *const u8, n) }
}

fn host_int_opt(raw: RawFd, level: i32, name: i32) -> Option<i32> {
    let mut v: i32 = 0;
    let mut l = 4 as libc::socklen_t;
    // SAFETY: `v` has room for the 4 bytes announced in `l`.
    let r = unsafe { libc::getsockopt(raw, level, name, &mut v as *mut i32 as *mut _, &mut l) };
    (r == 0).then_some(v)
}

/// The OpenFile of a new guest socket: non-blocking on the host, the
/// guest's O_NONBLOCK in its status.
fn socket_file(fd: OwnedFd, guest_nonblock: bool) -> OpenFile {
    let mut f = OpenFile::new(
        HostFd::Owned(fd),
        O_RDWR | if guest_nonblock { O_NONBLOCK } else { 0 },
    );
    f.host_nonblock = true;
    f.pollable = Some(true);
    f.socket = true;
    f.netlink = is_netlink(f.host.raw());
    f
}

/// Is host socket `raw` an AF_NETLINK one?
fn is_netlink(raw: RawFd) -> bool {
    let mut dom = 0i32;
    let mut l = 4 as libc::socklen_t;
    // SAFETY: `dom` has room for the int announced in `l`.
    let r = unsafe {
        libc::getsockopt(
            raw,
            SOL_SOCKET,
            SO_DOMAIN,
            &mut dom as *mut i32 as *mut _,
            &mut l,
        )
    };
    r == 0 && dom == AF_NETLINK as i32
}

/// May `data`, sent on a netlink socket, go to the host? Every message in it
/// must be a control message or an rtnetlink GET (types come in fours from
/// RTM_BASE: NEW, DEL, GET, SET). Like the kernel, the walk stops at a
/// header that is short or runs past the end.
fn netlink_request_allowed(data: &[u8]) -> bool {
    let mut at = 0;
    while data.len() - at >= NLMSG_HDRLEN {
        let h = &data[at..];
        let len = u32::from_le_bytes([h[0], h[1], h[2], h[3]]) as usize;
        let ty = u16::from_le_bytes([h[4], h[5]]);
        if len < NLMSG_HDRLEN || len > h.len() {
            break;
        }
        if ty >= RTM_BASE && (ty - RTM_BASE) % 4 != 2 {
            return false;
        }
        at += ((len + 3) & !3).min(h.len());
    }
    true
}

/// A descriptor received with SCM_RIGHTS: sockets and pipes become
/// non-blocking on the host like the guest's own (blocking to the guest).
fn received_file(fd: OwnedFd) -> OpenFile {
    let raw = fd.as_raw_fd();
    // SAFETY: F_GETFL and fstat on a descriptor we own.
    let fl = unsafe { libc::fcntl(raw, libc::F_GETFL) }.max(0);
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: `st` is a valid stat buffer.
    let mode = if unsafe { libc::fstat(raw, &mut st) } == 0 {
        st.st_mode & libc::S_IFMT
    } else {
        0
    };
    let waits = mode == libc::S_IFSOCK || mode == libc::S_IFIFO;
    if waits {
        // SAFETY: F_SETFL on a descriptor we own.
        unsafe { libc::fcntl(raw, libc::F_SETFL, fl | libc::O_NONBLOCK) };
        let mut f = OpenFile::new(HostFd::Owned(fd), guest_flags_from_host(fl) & O_ACCMODE);
        f.host_nonblock = true;
        f.pollable = Some(true);
        f.socket = mode == libc::S_IFSOCK;
        f.netlink = f.socket && is_netlink(raw);
        f
    } else {
        let mut f = OpenFile::new(HostFd::Owned(fd), guest_flags_from_host(fl));
        f.is_dir = mode == libc::S_IFDIR;
        f
    }
}

/// socket()/socketpair()'s type: the socket type and (nonblock, cloexec).
fn split_type(ty: u64) -> Result<(i32, bool, bool), i64> {
    let ty = ty as u32 as u64;
    let flags = ty & !SOCK_TYPE_MASK;
    if flags & !(O_NONBLOCK | O_CLOEXEC) != 0 {
        return Err(EINVAL);
    }
    Ok((
        (ty & SOCK_TYPE_MASK) as i32,
        flags & O_NONBLOCK != 0,
        flags & O_CLOEXEC != 0,
    ))
}

/// Which option a guest may set or get: (level, name) pairs whose values
/// hold no pointer (SO_ATTACH_FILTER's would point into guest memory) and
/// have the same layout on arm64 and on the host (asm-generic values).
fn option_allowed(level: i32, name: i32) -> bool {
    match level {
        // SOL_SOCKET: DEBUG..PEERCRED, RCVLOWAT..SNDTIMEO, BINDTODEVICE,
        // TIMESTAMP, ACCEPTCONN, SNDBUFFORCE, RCVBUFFORCE, TIMESTAMPNS, MARK,
        // PROTOCOL, DOMAIN, PEEK_OFF, BUSY_POLL, INCOMING_CPU, the _NEW timeouts.
        1 => matches!(
            name,
            1..=21 | 25 | 29 | 30 | 32 | 33 | 35 | 36 | 38 | 39 | 42 | 46 | 49 | 66 | 67
        ),
        // IPPROTO_IP: TOS..MTU, FREEBIND, BIND_ADDRESS_NO_PORT, multicast.
        0 => matches!(name, 1..=15 | 24 | 32..=36),
        // IPPROTO_TCP: NODELAY..CONGESTION, USER_TIMEOUT, FASTOPEN,
        // NOTSENT_LOWAT, FASTOPEN_CONNECT.
        6 => matches!(name, 1..=13 | 18 | 23 | 25 | 30),
        // IPPROTO_UDP: CORK, SEGMENT, GRO.
        17 => matches!(name, 1 | 103 | 104),
        // IPPROTO_IPV6: the RFC 2292 options and CHECKSUM, hop limits,
        // multicast, ROUTER_ALERT, MTU, RECVERR, V6ONLY, anycast, the RFC 3542
        // ancillary-data switches and headers (PKTINFO..PATHMTU, DONTFRAG,
        // TCLASS), AUTOFLOWLABEL, ADDR_PREFERENCES..FREEBIND.
        41 => matches!(name, 2..=8 | 16..=28 | 49..=62 | 66 | 67 | 70 | 72..=78),
        // IPPROTO_UDPLITE: SEND_CSCOV, RECV_CSCOV.
        136 => matches!(name, 10 | 11),
        _ => false,
    }
}

/// The bytes a receive with MSG_WAITALL wants (`None` without the flag).
pub(crate) fn waitall_len(mem: &AddressSpace, n: u64, a: [u64; 6]) -> Option<u64> {
    match n {
        nr::RECVFROM if a[3] & MSG_WAITALL != 0 => Some(a[2]),
        nr::RECVMSG if a[2] & MSG_WAITALL != 0 => {
            let m = read_msghdr(mem, a[1]).ok()?;
            let iovs = read_iovecs(mem, m.iov, m.iovlen).ok()?;
            Some(iovs.iter().map(|&(_, l)| l).sum())
        }
        _ => None,
    }
}

/// The buffers of a blocking vectored write, `writev` (`n` WRITEV) or
/// `sendmsg` (SENDMSG): (base, len) pairs; `None` if they cannot be read
/// (the call itself then fails with the reason).
pub(crate) fn write_segments(mem: &AddressSpace, n: u64, a: [u64; 6]) -> Option<Vec<(u64, u64)>> {
    match n {
        crate::syscalls::nr::WRITEV => read_iovecs(mem, a[1], a[2]).ok(),
        nr::SENDMSG => {
            let m = read_msghdr(mem, a[1]).ok()?;
            read_iovecs(mem, m.iov, m.iovlen).ok()
        }
        _ => None,
    }
}

/// A MSG_WAITALL receive of `want` bytes on stream socket `raw` must wait
/// although some bytes are there (with none, the receive itself says
/// EAGAIN): fewer are queued and the peer may send more. Wants beyond half
/// the receive buffer are cut to it (the host could never queue them all).
pub(crate) fn waitall_short(raw: RawFd, want: u64) -> bool {
    if host_int_opt(raw, SOL_SOCKET, SO_TYPE) != Some(SOCK_STREAM) {
        return false;
    }
    let rcvbuf = host_int_opt(raw, SOL_SOCKET, SO_RCVBUF)
        .unwrap_or(1 << 16)
        .max(2) as u64;
    let mut avail: i32 = 0;
    // SAFETY: FIONREAD writes one int.
    if unsafe { libc::ioctl(raw, libc::FIONREAD, &mut avail) } < 0 || avail <= 0 {
        return false;
    }
    if avail as u64 >= want.min(rcvbuf / 2) {
        return false;
    }
    let mut p = libc::pollfd {
        fd: raw,
        events: libc::POLLRDHUP,
        revents: 0,
    };
    // SAFETY: one valid pollfd.
    unsafe { libc::poll(&mut p, 1, 0) };
    p.revents & (libc::POLLRDHUP | libc::POLLHUP | libc::POLLERR) == 0
}

/// What a blocking socket call waits for (kernel/sockets.rs).
pub(crate) struct SocketWait {
    pub raw: RawFd,
    pub events: i16,
    /// SO_RCVTIMEO / SO_SNDTIMEO.
    pub timeout: Option<Duration>,
}

impl LinuxProcess {
    /// The socket syscalls (numbers in [`nr`]).
    pub(crate) fn socket_call(&mut self, mem: &mut AddressSpace, n: u64, a: [u64; 6]) -> SysResult {
        use nr::*;
        match n {
            SOCKET => self.sys_socket(a[0], a[1], a[2]),
            SOCKETPAIR => self.sys_socketpair(mem, a[0], a[1], a[2], a[3]),
            BIND => self.sys_bind(mem, a[0], a[1], a[2]),
            LISTEN => self.sys_listen(a[0], a[1]),
            ACCEPT => self.sys_accept4(mem, a[0], a[1], a[2], 0),
            ACCEPT4 => self.sys_accept4(mem, a[0], a[1], a[2], a[3]),
            CONNECT => self.sys_connect(mem, a[0], a[1], a[2]),
            GETSOCKNAME => self.sys_getname(mem, a[0], a[1], a[2], false),
            GETPEERNAME => self.sys_getname(mem, a[0], a[1], a[2], true),
            SENDTO => self.sys_sendto(mem, a[0], a[1], a[2], a[3], a[4], a[5]),
            RECVFROM => self.sys_recvfrom(mem, a[0], a[1], a[2], a[3], a[4], a[5]),
            SETSOCKOPT => self.sys_setsockopt(mem, a[0], a[1], a[2], a[3], a[4]),
            GETSOCKOPT => self.sys_getsockopt(mem, a[0], a[1], a[2], a[3], a[4]),
            SHUTDOWN => self.sys_shutdown(a[0], a[1]),
            SENDMSG => self.sys_sendmsg(mem, a[0], a[1], a[2]),
            RECVMSG => self.sys_recvmsg(mem, a[0], a[1], a[2]),
            SENDMMSG => self.sys_mmsg(mem, a[0], a[1], a[2], a[3], false),
            RECVMMSG => self.sys_mmsg(mem, a[0], a[1], a[2], a[3], true),
            _ => Err(ENOSYS),
        }
    }

    /// The host socket behind guest descriptor `fd` for sending `data`:
    /// EPERM for a netlink request that would change the host.
    fn send_fd(&self, fd: u64, data: &[u8]) -> Result<RawFd, i64> {
        let raw = self.socket_fd(fd)?;
        let f = self.fds.get(fd)?;
        if f.lock_file().netlink && !netlink_request_allowed(data) {
            return Err(EPERM);
        }
        Ok(raw)
    }

    /// The host socket behind guest descriptor `fd`: EBADF, ENOTSOCK.
    fn socket_fd(&self, fd: u64) -> Result<RawFd, i64> {
        let f = self.fds.get(fd)?;
        let f = f.lock_file();
        if !f.socket {
            return Err(ENOTSOCK);
        }
        Ok(f.host.raw())
    }

    /// For a call on socket `fd` that may wait (`write`: for room to send):
    /// what to wait for, or `None` when the guest does not wait (not a
    /// socket, O_NONBLOCK, MSG_DONTWAIT in `flags`).
    pub(crate) fn socket_wait(&self, fd: u64, write: bool, flags: u64) -> Option<SocketWait> {
        let f = self.fds.get(fd).ok()?;
        let f = f.lock_file();
        if !f.socket || f.status & O_NONBLOCK != 0 || flags & MSG_DONTWAIT != 0 {
            return None;
        }
        let raw = f.host.raw();
        let mut tv = [0u8; 16];
        let mut l = 16 as libc::socklen_t;
        let name = if write { SO_SNDTIMEO } else { SO_RCVTIMEO };
        // SAFETY: `tv` has room for the struct timeval announced in `l`.
        let r =
            unsafe { libc::getsockopt(raw, SOL_SOCKET, name, tv.as_mut_ptr() as *mut _, &mut l) };
        let timeout = (r == 0)
            .then(|| Duration::new(le_u64(&tv, 0), (le_u64(&tv, 8) * 1000) as u32))
            .filter(|d| !d.is_zero());
        Some(SocketWait {
            raw,
            events: if write { libc::POLLOUT } else { libc::POLLIN },
            timeout,
        })
    }

    fn check_family(&self, domain: u64) -> Result<(), i64> {
        match domain as u32 as u16 {
            _ if domain as u32 > u16::MAX as u32 => Err(EAFNOSUPPORT),
            AF_UNIX => Ok(()),
            AF_INET | AF_INET6 | AF_NETLINK if self.net => Ok(()),
            AF_INET | AF_INET6 | AF_NETLINK => Err(EACCES),
            _ => Err(EAFNOSUPPORT),
        }
    }

    pub(crate) fn sys_socket(&mut self, domain: u64, ty: u64, proto: u64) -> SysResult {
        let (stype, nb, cloexec) = split_type(ty)?;
        self.check_family(domain)?;
        if domain as u16 == AF_NETLINK && proto != NETLINK_ROUTE {
            return Err(EPROTONOSUPPORT);
        }
        let hty = stype | libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC;
        // SAFETY: creates a new descriptor that we own.
        let raw = unsafe { libc::socket(domain as i32, hty, proto as i32) };
        if raw < 0 {
            return Err(last_errno());
        }
        // SAFETY: `raw` was just created and is ours.
        let fd = unsafe { OwnedFd::from_raw_fd(raw) };
        self.install(socket_file(fd, nb), cloexec)
    }

    pub(crate) fn sys_socketpair(
        &mut self,
        mem: &mut AddressSpace,
        domain: u64,
        ty: u64,
        proto: u64,
        sv: u64,
    ) -> SysResult {
        let (stype, nb, cloexec) = split_type(ty)?;
        self.check_family(domain)?;
        check_writable(mem, sv, 8)?;
        let mut host = [0i32; 2];
        let hty = stype | libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC;
        // SAFETY: `host` has room for the two descriptors.
        if unsafe { libc::socketpair(domain as i32, hty, proto as i32, host.as_mut_ptr()) } < 0 {
            return Err(last_errno());
        }
        // SAFETY: both descriptors were just created and are ours.
        let (a, b) = unsafe { (OwnedFd::from_raw_fd(host[0]), OwnedFd::from_raw_fd(host[1])) };
        let fa = self.install(socket_file(a, nb), cloexec)?;
        let fb = match self.install(socket_file(b, nb), cloexec) {
            Ok(fd) => fd,
            Err(e) => {
                let _ = self.fds.close(fa);
                return Err(e);
            }
        };
        let mut out = [0u8; 8];
        out[..4].copy_from_slice(&(fa as i32).to_le_bytes());
        out[4..].copy_from_slice(&(fb as i32).to_le_bytes());
        write_guest(mem, sv, &out)?;
        Ok(0)
    }

    /// A guest socket address (`addr`, `len` bytes) for the host. `bind`:
    /// a pathname is created (its last component is not followed and must
    /// be writable).
    fn addr_from_guest(
        &self,
        mem: &AddressSpace,
        addr: u64,
        len: u64,
        bind: bool,
    ) -> Result<HostAddr, i64> {
        let len = len as u32 as i32;
        if len < 0 || len as usize > std::mem::size_of::<libc::sockaddr_storage>() {
            return Err(EINVAL);
        }
        let bytes = read_guest(mem, addr, len as usize)?;
        let mut out = HostAddr {
            storage: zeroed_storage(),
            len: len as libc::socklen_t,
            _dir: None,
            names: None,
        };
        let family = (bytes.len() >= 2).then(|| u16::from_le_bytes([bytes[0], bytes[1]]));
        let path = &bytes[2.min(bytes.len())..];
        if family == Some(AF_UNIX) && path.first().is_some_and(|&b| b != 0) {
            // A pathname socket (an abstract name starts with NUL).
            let end = path.iter().position(|&b| b == 0).unwrap_or(path.len());
            let guest = &path[..end];
            let mut r = self.sandbox.resolve(&self.cwd, guest, !bind)?;
            if bind {
                r = r.writable()?;
            }
            let (Some(parent), Some(name)) = (r.host.parent(), r.host.file_name()) else {
                return Err(EINVAL);
            };
            let dir = std::fs::OpenOptions::new()
                .read(true)
                .custom_flags(libc::O_PATH | libc::O_DIRECTORY)
                .open(parent)
                .map_err(|e| crate::sandbox::host_errno(&e))?;
            let mut host = format!("/proc/self/fd/{}/", dir.as_raw_fd()).into_bytes();
            host.extend_from_slice(name.as_bytes());
            if host.len() >= SUN_PATH_MAX {
                return Err(ENAMETOOLONG);
            }
            let mut sun = AF_UNIX.to_le_bytes().to_vec();
            sun.extend_from_slice(&host);
            sun.push(0);
            out.len = sun.len() as libc::socklen_t;
            // SAFETY: `sun` is at most 2 + 108 bytes, within the 128 of storage.
            unsafe {
                std::ptr::copy_nonoverlapping(
                    sun.as_ptr(),
                    &mut out.storage as *mut _ as *mut u8,
                    sun.len(),
                )
            };
            out._dir = Some(OwnedFd::from(dir));
            out.names = Some((host, guest.to_vec()));
            return Ok(out);
        }
        // Other families: the same layout on the host (asserted above).
        // SAFETY: `bytes` is at most 128 bytes, the size of storage.
        unsafe {
            std::ptr::copy_nonoverlapping(
                bytes.as_ptr(),
                &mut out.storage as *mut _ as *mut u8,
                bytes.len(),
            )
        };
        Ok(out)
    }

    /// The guest form of a host socket address.
    fn addr_to_guest_bytes(&self, st: &libc::sockaddr_storage, len: libc::socklen_t) -> Vec<u8> {
        let bytes = storage_bytes(st, len);
        if st.ss_family != AF_UNIX || bytes.len() <= 2 || bytes[2] == 0 {
            return bytes.to_vec();
        }
        let path = &bytes[2..];
        let end = path.iter().position(|&b| b == 0).unwrap_or(path.len());
        let host = &path[..end];
        let known = UNIX_NAMES
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(host)
            .cloned();
        let guest = known
            .or_else(|| {
                let p = std::path::Path::new(std::ffi::OsStr::from_bytes(host));
                self.sandbox.guest_path_of(p)
            })
            .unwrap_or_else(|| host.to_vec());
        let mut out = AF_UNIX.to_le_bytes().to_vec();
        out.extend_from_slice(&guest);
        out.push(0);
        out
    }

    /// Write a socket address to the guest's `addr` buffer of `room` bytes
    /// (truncated, as Linux) and its full length to `*lenp`.
    fn addr_to_guest(
        &self,
        mem: &mut AddressSpace,
        st: &libc::sockaddr_storage,
        len: libc::socklen_t,
        addr: u64,
        lenp: u64,
        room: usize,
    ) -> Result<(), i64> {
        let out = self.addr_to_guest_bytes(st, len);
        let n = room.min(out.len());
        if n > 0 {
            write_guest(mem, addr, &out[..n])?;
        }
        write_guest(mem, lenp, &(out.len() as u32).to_le_bytes())
    }

    pub(crate) fn sys_bind(
        &mut self,
        mem: &mut AddressSpace,
        fd: u64,
        addr: u64,
        len: u64,
    ) -> SysResult {
        let raw = self.socket_fd(fd)?;
        let a = self.addr_from_guest(mem, addr, len, true)?;
        // SAFETY: `a` holds a socket address of `a.len` bytes.
        if unsafe { libc::bind(raw, a.ptr(), a.len) } < 0 {
            return Err(last_errno());
        }
        if let Some((host, guest)) = a.names {
            UNIX_NAMES
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .insert(host, guest);
        }
        Ok(0)
    }

    pub(crate) fn sys_connect(
        &mut self,
        mem: &mut AddressSpace,
        fd: u64,
        addr: u64,
        len: u64,
    ) -> SysResult {
        let raw = self.socket_fd(fd)?;
        let a = self.addr_from_guest(mem, addr, len, false)?;
        // SAFETY: `a` holds a socket address of `a.len` bytes.
        if unsafe { libc::connect(raw, a.ptr(), a.len) } < 0 {
            return Err(last_errno());
        }
        Ok(0)
    }

    pub(crate) fn sys_listen(&mut self, fd: u64, backlog: u64) -> SysResult {
        let raw = self.socket_fd(fd)?;
        // SAFETY: listen on a socket we hold.
        if unsafe { libc::listen(raw, backlog as i32) } < 0 {
            return Err(last_errno());
        }
        Ok(0)
    }

    pub(crate) fn sys_accept4(
        &mut self,
        mem: &mut AddressSpace,
        fd: u64,
        addr: u64,
        lenp: u64,
        flags: u64,
    ) -> SysResult {
        if flags & !(O_NONBLOCK | O_CLOEXEC) != 0 {
            return Err(EINVAL);
        }
        let raw = self.socket_fd(fd)?;
        let room = if addr != 0 {
            Some(read_socklen(mem, lenp)?)
        } else {
            None
        };
        let mut st = zeroed_storage();
        let mut hl = std::mem::size_of::<libc::sockaddr_storage>() as libc::socklen_t;
        let hflags = libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC;
        // SAFETY: `st` has room for the `hl` bytes announced.
        let r = unsafe { libc::accept4(raw, &mut st as *mut _ as *mut _, &mut hl, hflags) };
        if r < 0 {
            return Err(last_errno());
        }
        // SAFETY: `r` is a new descriptor that we own.
        let new = unsafe { OwnedFd::from_raw_fd(r) };
        let gfd = self.install(
            socket_file(new, flags & O_NONBLOCK != 0),
            flags & O_CLOEXEC != 0,
        )?;
        if let Some(room) = room {
            if let Err(e) = self.addr_to_guest(mem, &st, hl, addr, lenp, room) {
                let _ = self.fds.close(gfd);
                return Err(e);
            }
        }
        Ok(gfd)
    }

    /// getsockname (`peer == false`) and getpeername.
    pub(crate) fn sys_getname(
        &mut self,
        mem: &mut AddressSpace,
        fd: u64,
        addr: u64,
        lenp: u64,
        peer: bool,
    ) -> SysResult {
        let raw = self.socket_fd(fd)?;
        let room = read_socklen(mem, lenp)?;
        let mut st = zeroed_storage();
        let mut hl = std::mem::size_of::<libc::sockaddr_storage>() as libc::socklen_t;
        let p = &mut st as *mut _ as *mut libc::sockaddr;
        // SAFETY: `st` has room for the `hl` bytes announced.
        let r = unsafe {
            if peer {
                libc::getpeername(raw, p, &mut hl)
            } else {
                libc::getsockname(raw, p, &mut hl)
            }
        };
        if r < 0 {
            return Err(last_errno());
        }
        self.addr_to_guest(mem, &st, hl, addr, lenp, room)?;
        Ok(0)
    }

    /// An EPIPE from a send raises SIGPIPE unless the guest said MSG_NOSIGNAL.
    fn send_result(&mut self, r: isize, flags: u64) -> SysResult {
        if r >= 0 {
            return Ok(r as u64);
        }
        let e = last_errno();
        if e == EPIPE && flags & MSG_NOSIGNAL == 0 {
            self.raise_default(SIGPIPE);
        }
        Err(e)
    }

    /// The bytes a send of `len` takes: stream sockets send a prefix of a
    /// huge buffer, others refuse it.
    fn send_len(raw: RawFd, len: u64) -> Result<usize, i64> {
        if len as usize <= IO_MAX {
            return Ok(len as usize);
        }
        match host_int_opt(raw, SOL_SOCKET, SO_TYPE) {
            Some(SOCK_STREAM) => Ok(IO_MAX),
            _ => Err(EMSGSIZE),
        }
    }

    #[allow(clippy::too_many_arguments)]
    pub(crate) fn sys_sendto(
        &mut self,
        mem: &mut AddressSpace,
        fd: u64,
        buf: u64,
        len: u64,
        flags: u64,
        addr: u64,
        alen: u64,
    ) -> SysResult {
        let raw = self.socket_fd(fd)?;
        let n = Self::send_len(raw, len)?;
        let data = read_guest(mem, buf, n)?;
        let raw = self.send_fd(fd, &data)?;
        let dest = if addr != 0 {
            Some(self.addr_from_guest(mem, addr, alen, false)?)
        } else {
            None
        };
        let (dp, dl) = dest
            .as_ref()
            .map_or((std::ptr::null(), 0), |d| (d.ptr(), d.len));
        let hflags = (flags & MSG_PASSED | MSG_NOSIGNAL | MSG_DONTWAIT) as i32;
        // SAFETY: `data` is `n` readable bytes; `dp` is null or an address of `dl` bytes.
        let r = unsafe { libc::sendto(raw, data.as_ptr() as *const _, n, hflags, dp, dl) };
        self.send_result(r, flags)
    }

    #[allow(clippy::too_many_arguments)]
    pub(crate) fn sys_recvfrom(
        &mut self,
        mem: &mut AddressSpace,
        fd: u64,
        buf: u64,
        len: u64,
        flags: u64,
        addr: u64,
        lenp: u64,
    ) -> SysResult {
        let raw = self.socket_fd(fd)?;
        let n = writable_prefix(mem, buf, len.min(IO_MAX as u64))? as usize;
        let room = if addr != 0 {
            Some(read_socklen(mem, lenp)?)
        } else {
            None
        };
        let mut data = vec![0u8; n];
        let mut st = zeroed_storage();
        let mut hl = std::mem::size_of::<libc::sockaddr_storage>() as libc::socklen_t;
        let hflags = (flags & MSG_PASSED | MSG_DONTWAIT) as i32;
        // SAFETY: `data` has room for `n` bytes, `st` for the `hl` announced.
        let r = unsafe {
            libc::recvfrom(
                raw,
                data.as_mut_ptr() as *mut _,
                n,
                hflags,
                &mut st as *mut _ as *mut _,
                &mut hl,
            )
        };
        if r < 0 {
            return Err(last_errno());
        }
        write_guest(mem, buf, &data[..(r as usize).min(n)])?;
        if let Some(room) = room {
            self.addr_to_guest(mem, &st, hl, addr, lenp, room)?;
        }
        Ok(r as u64)
    }

    /// Guest control messages to the host's: SCM_RIGHTS descriptors become
    /// the host descriptors behind them; others are copied (same layout).
    fn control_to_host(&self, c: &[u8]) -> Result<Vec<u8>, i64> {
        let mut out = Vec::with_capacity(c.len());
        let mut o = 0usize;
        while o + CMSG_HDR <= c.len() {
            let clen = le_u64(c, o) as usize;
            if clen < CMSG_HDR || clen > c.len() - o {
                return Err(EINVAL);
            }
            let (level, ty) = (le_u32(c, o + 8) as i32, le_u32(c, o + 12) as i32);
            let data = &c[o + CMSG_HDR..o + clen];
            let start = out.len();
            out.extend_from_slice(&c[o..o + CMSG_HDR]);
            if level == SOL_SOCKET && ty == SCM_RIGHTS {
                for fd in data.chunks_exact(4) {
                    let g = i32::from_le_bytes(fd.try_into().unwrap_or_default());
                    let h = if g < 0 {
                        Err(EBADF)
                    } else {
                        self.host_fd(g as u64)
                    }?;
                    out.extend_from_slice(&h.to_le_bytes());
                }
            } else {
                out.extend_from_slice(data);
            }
            out.resize(start + clen.next_multiple_of(8), 0);
            o += clen.next_multiple_of(8);
        }
        out.truncate(c.len());
        Ok(out)
    }

    /// Host control messages to the guest's: SCM_RIGHTS descriptors are
    /// installed in this process. Returns the bytes and MSG_CTRUNC if some
    /// descriptor found no room.
    fn control_to_guest(&mut self, c: &[u8], cloexec: bool) -> (Vec<u8>, i32) {
        let mut out = Vec::with_capacity(c.len());
        let mut extra = 0;
        let mut o = 0usize;
        while o + CMSG_HDR <= c.len() {
            let clen = (le_u64(c, o) as usize).clamp(CMSG_HDR, c.len() - o);
            let (level, ty) = (le_u32(c, o + 8) as i32, le_u32(c, o + 12) as i32);
            let data = &c[o + CMSG_HDR..o + clen];
            let start = out.len();
            out.extend_from_slice(&c[o..o + CMSG_HDR]);
            if level == SOL_SOCKET && ty == SCM_RIGHTS {
                for fd in data.chunks_exact(4) {
                    let h = i32::from_le_bytes(fd.try_into().unwrap_or_default());
                    // SAFETY: the host kernel gave us this descriptor: it is ours.
                    let owned = unsafe { OwnedFd::from_raw_fd(h) };
                    let g = match self.install(received_file(owned), cloexec) {
                        Ok(g) => g as i32,
                        Err(_) => {
                            extra = MSG_CTRUNC;
                            -1
                        }
                    };
                    out.extend_from_slice(&g.to_le_bytes());
                }
            } else {
                out.extend_from_slice(data);
            }
            out.resize(start + clen.next_multiple_of(8).min(c.len() - o), 0);
            o += clen.next_multiple_of(8);
        }
        (out, extra)
    }

    pub(crate) fn sys_sendmsg(
        &mut self,
        mem: &mut AddressSpace,
        fd: u64,
        msg: u64,
        flags: u64,
    ) -> SysResult {
        let raw = self.socket_fd(fd)?;
        let m = read_msghdr(mem, msg)?;
        let iovs = read_iovecs(mem, m.iov, m.iovlen)?;
        let total: u64 = iovs.iter().map(|&(_, l)| l).sum();
        let mut left = Self::send_len(raw, total)?;
        let mut data = Vec::with_capacity(left);
        for &(base, len) in &iovs {
            let n = (len as usize).min(left);
            if n > 0 {
                data.extend_from_slice(&read_guest(mem, base, n)?);
            }
            left -= n;
        }
        let raw = self.send_fd(fd, &data)?;
        let dest = if m.name != 0 && m.namelen != 0 {
            Some(self.addr_from_guest(mem, m.name, m.namelen as u64, false)?)
        } else {
            None
        };
        let control = if m.controllen != 0 {
            if m.controllen > CONTROL_MAX {
                return Err(ENOBUFS);
            }
            self.control_to_host(&read_guest(mem, m.control, m.controllen as usize)?)?
        } else {
            Vec::new()
        };
        let mut iov = libc::iovec {
            iov_base: data.as_mut_ptr() as *mut _,
            iov_len: data.len(),
        };
        // SAFETY: msghdr is plain data; zeroed is an empty message.
        let mut h: libc::msghdr = unsafe { std::mem::zeroed() };
        if let Some(d) = &dest {
            h.msg_name = d.ptr() as *mut _;
            h.msg_namelen = d.len;
        }
        h.msg_iov = &mut iov;
        h.msg_iovlen = 1;
        if !control.is_empty() {
            h.msg_control = control.as_ptr() as *mut _;
            h.msg_controllen = control.len() as _;
        }
        let hflags = (flags & MSG_PASSED | MSG_NOSIGNAL | MSG_DONTWAIT) as i32;
        // SAFETY: every pointer in `h` points to live buffers of the lengths given.
        let r = unsafe { libc::sendmsg(raw, &h, hflags) };
        self.send_result(r, flags)
    }

    pub(crate) fn sys_recvmsg(
        &mut self,
        mem: &mut AddressSpace,
        fd: u64,
        msg: u64,
        flags: u64,
    ) -> SysResult {
        let raw = self.socket_fd(fd)?;
        let m = read_msghdr(mem, msg)?;
        check_writable(mem, msg, MSGHDR_SIZE as u64)?;
        let iovs = read_iovecs(mem, m.iov, m.iovlen)?;
        let mut room = IO_MAX as u64;
        let mut targets = Vec::new();
        for &(base, len) in &iovs {
            let want = len.min(room);
            let n = match writable_prefix(mem, base, want) {
                Ok(n) => n,
                Err(e) if targets.is_empty() => return Err(e),
                Err(_) => break,
            };
            if n > 0 {
                targets.push((base, n as usize));
            }
            room -= n;
            if n < want {
                break;
            }
        }
        let total: usize = targets.iter().map(|&(_, n)| n).sum();
        let mut data = vec![0u8; total];
        let mut control = vec![
            0u8;
            if m.control != 0 {
                m.controllen.min(CONTROL_MAX) as usize
            } else {
                0
            }
        ];
        let mut st = zeroed_storage();
        let mut iov = libc::iovec {
            iov_base: data.as_mut_ptr() as *mut _,
            iov_len: total,
        };
        // SAFETY: msghdr is plain data; zeroed is an empty message.
        let mut h: libc::msghdr = unsafe { std::mem::zeroed() };
        if m.name != 0 {
            h.msg_name = &mut st as *mut _ as *mut _;
            h.msg_namelen = std::mem::size_of::<libc::sockaddr_storage>() as _;
        }
        h.msg_iov = &mut iov;
        h.msg_iovlen = 1;
        if !control.is_empty() {
            h.msg_control = control.as_mut_ptr() as *mut _;
            h.msg_controllen = control.len() as _;
        }
        let hflags = (flags & MSG_PASSED | MSG_DONTWAIT | MSG_CMSG_CLOEXEC) as i32;
        // SAFETY: every pointer in `h` points to live buffers of the lengths given.
        let r = unsafe { libc::recvmsg(raw, &mut h, hflags) };
        if r < 0 {
            return Err(last_errno());
        }
        let mut got = &data[..(r as usize).min(total)];
        for &(base, n) in &targets {
            if got.is_empty() {
                break;
            }
            let k = n.min(got.len());
            write_guest(mem, base, &got[..k])?;
            got = &got[k..];
        }
        // The host reports the MSG_CMSG_CLOEXEC kvrm always asks for.
        let mut hdr_flags =
            (h.msg_flags & !(MSG_CMSG_CLOEXEC as i32)) | (flags & MSG_CMSG_CLOEXEC) as i32;
        if m.name != 0 {
            let name = self.addr_to_guest_bytes(&st, h.msg_namelen);
            let k = (m.namelen as usize).min(name.len());
            write_guest(mem, m.name, &name[..k])?;
            write_guest(mem, msg + 8, &(name.len() as u32).to_le_bytes())?;
        }
        let clen = (h.msg_controllen as usize).min(control.len());
        let (cm, trunc) = self.control_to_guest(&control[..clen], flags & MSG_CMSG_CLOEXEC != 0);
        hdr_flags |= trunc;
        if !cm.is_empty() {
            write_guest(mem, m.control, &cm)?;
        }
        write_guest(mem, msg + 40, &(cm.len() as u64).to_le_bytes())?;
        write_guest(mem, msg + 48, &hdr_flags.to_le_bytes())?;
        Ok(r as u64)
    }

    /// sendmmsg / recvmmsg: sendmsg / recvmsg for each `struct mmsghdr`
    /// until one fails. Only the first receive may wait (the later ones
    /// take what is there, as with MSG_WAITFORONE); recvmmsg's timeout is
    /// not used.
    fn sys_mmsg(
        &mut self,
        mem: &mut AddressSpace,
        fd: u64,
        vec: u64,
        vlen: u64,
        flags: u64,
        recv: bool,
    ) -> SysResult {
        self.socket_fd(fd)?;
        let flags = flags & !MSG_WAITFORONE;
        let mut done = 0u64;
        for i in 0..(vlen as u32 as u64).min(UIO_MAXIOV) {
            let hdr = vec.wrapping_add(i * MMSGHDR_SIZE);
            let r = if recv {
                let f = if i > 0 { flags | MSG_DONTWAIT } else { flags };
                self.sys_recvmsg(mem, fd, hdr, f)
            } else {
                self.sys_sendmsg(mem, fd, hdr, flags)
            };
            match r {
                Ok(n) => {
                    let at = hdr.wrapping_add(MSGHDR_SIZE as u64);
                    write_guest(mem, at, &(n as u32).to_le_bytes())?
                }
                Err(e) if done == 0 => return Err(e),
                Err(_) => break,
            }
            done += 1;
        }
        Ok(done)
    }

    pub(crate) fn sys_shutdown(&mut self, fd: u64, how: u64) -> SysResult {
        let raw = self.socket_fd(fd)?;
        // SAFETY: shutdown on a socket we hold.
        if unsafe { libc::shutdown(raw, how as i32) } < 0 {
            return Err(last_errno());
        }
        Ok(0)
    }

    pub(crate) fn sys_setsockopt(
        &mut self,
        mem: &mut AddressSpace,
        fd: u64,
        level: u64,
        name: u64,
        val: u64,
        len: u64,
    ) -> SysResult {
        let raw = self.socket_fd(fd)?;
        let (level, name) = (level as i32, name as i32);
        if !option_allowed(level, name) {
            return Err(ENOPROTOOPT);
        }
        let len = len as u32 as i32;
        if len < 0 {
            return Err(EINVAL);
        }
        let v = read_guest(mem, val, (len as usize).min(OPT_MAX))?;
        // SAFETY: `v` holds the `v.len()` bytes announced.
        let r = unsafe {
            libc::setsockopt(
                raw,
                level,
                name,
                v.as_ptr() as *const _,
                v.len() as libc::socklen_t,
            )
        };
        if r < 0 {
            return Err(last_errno());
        }
        Ok(0)
    }

    pub(crate) fn sys_getsockopt(
        &mut self,
        mem: &mut AddressSpace,
        fd: u64,
        level: u64,
        name: u64,
        val: u64,
        lenp: u64,
    ) -> SysResult {
        let raw = self.socket_fd(fd)?;
        let (level, name) = (level as i32, name as i32);
        if !option_allowed(level, name) {
            return Err(ENOPROTOOPT);
        }
        let room = read_socklen(mem, lenp)?.min(OPT_MAX);
        let mut buf = vec![0u8; room];
        let mut hl = room as libc::socklen_t;
        // SAFETY: `buf` has room for the `hl` bytes announced.
        let r = unsafe { libc::getsockopt(raw, level, name, buf.as_mut_ptr() as *mut _, &mut hl) };
        if r < 0 {
            return Err(last_errno());
        }
        let n = (hl as usize).min(room);
        write_guest(mem, val, &buf[..n])?;
        write_guest(mem, lenp, &(n as u32).to_le_bytes())?;
        Ok(0)
    }
}

#[cfg(test)]
mod tests {
    use super::netlink_request_allowed;

    /// A netlink message header of `len` bytes and type `ty`, zero-padded.
    fn msg(len: u32, ty: u16) -> Vec<u8> {
        let mut m = len.to_le_bytes().to_vec();
        m.extend_from_slice(&ty.to_le_bytes());
        m.resize(len.max(16) as usize, 0);
        m
    }

    #[test]
    fn netlink_requests_that_read_pass_and_changes_do_not() {
        // RTM_GETLINK, RTM_GETADDR, RTM_GETROUTE; NLMSG_NOOP.
        for ty in [18, 22, 26, 1] {
            assert!(netlink_request_allowed(&msg(24, ty)), "{ty}");
        }
        // RTM_NEWLINK, RTM_DELLINK, RTM_SETLINK, RTM_NEWADDR, RTM_DELROUTE.
        for ty in [16, 17, 19, 20, 25] {
            assert!(!netlink_request_allowed(&msg(24, ty)), "{ty}");
        }
        // A change behind a GET in the same buffer (lengths 4-aligned).
        let mut two = msg(21, 18);
        two.resize(24, 0);
        two.extend(msg(20, 16));
        assert!(!netlink_request_allowed(&two));
        // The walk stops where the kernel's does: a short or overlong header.
        let mut bad = msg(8, 18);
        bad.extend(msg(20, 16));
        assert!(netlink_request_allowed(&bad));
        assert!(netlink_request_allowed(&msg(4096, 16)[..100]));
        assert!(netlink_request_allowed(&[]));
    }
}
