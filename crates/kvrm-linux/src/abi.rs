//! The Linux AArch64 user ABI: errno values, flag bits, auxv keys, signal
//! numbers and the process address-space layout. Values are the guest's
//! (arm64), independent of the host. (The HWCAP bits kvrm advertises are in
//! `kvrm_isa::features`, next to the instructions they describe.)

/// errno values (asm-generic/errno-base.h, errno.h).
pub mod errno {
    pub const EPERM: i64 = 1;
    pub const ENOENT: i64 = 2;
    pub const ESRCH: i64 = 3;
    pub const EINTR: i64 = 4;
    pub const EIO: i64 = 5;
    pub const E2BIG: i64 = 7;
    pub const ENOEXEC: i64 = 8;
    pub const EBADF: i64 = 9;
    pub const ECHILD: i64 = 10;
    pub const EAGAIN: i64 = 11;
    pub const ENOMEM: i64 = 12;
    pub const EACCES: i64 = 13;
    pub const EFAULT: i64 = 14;
    pub const EEXIST: i64 = 17;
    pub const ENOTDIR: i64 = 20;
    pub const EISDIR: i64 = 21;
    pub const EINVAL: i64 = 22;
    pub const EMFILE: i64 = 24;
    pub const ENOTTY: i64 = 25;
    pub const ETXTBSY: i64 = 26;
    pub const ESPIPE: i64 = 29;
    pub const ERANGE: i64 = 34;
    pub const ENAMETOOLONG: i64 = 36;
    pub const ENOSYS: i64 = 38;
    pub const ENOTEMPTY: i64 = 39;
    pub const ELOOP: i64 = 40;
    pub const ETIMEDOUT: i64 = 110;
    pub const EOPNOTSUPP: i64 = 95;
    pub const EXDEV: i64 = 18;
    pub const EOVERFLOW: i64 = 75;
    pub const ENODEV: i64 = 19;
    pub const EBUSY: i64 = 16;
    pub const EPIPE: i64 = 32;
    pub const EROFS: i64 = 30;
    pub const ELIBBAD: i64 = 80;
    pub const EFBIG: i64 = 27;
    pub const ENOSPC: i64 = 28;
    pub const ENOMSG: i64 = 42;
    pub const EIDRM: i64 = 43;
}

/// openat flags (arm64 values; O_DIRECTORY, O_NOFOLLOW and O_LARGEFILE differ from x86).
pub mod open {
    pub const O_ACCMODE: u64 = 0o3;
    pub const O_RDONLY: u64 = 0;
    pub const O_WRONLY: u64 = 1;
    pub const O_RDWR: u64 = 2;
    pub const O_CREAT: u64 = 0o100;
    pub const O_EXCL: u64 = 0o200;
    pub const O_NOCTTY: u64 = 0o400;
    pub const O_TRUNC: u64 = 0o1000;
    pub const O_APPEND: u64 = 0o2000;
    pub const O_NONBLOCK: u64 = 0o4000;
    /// FASYNC: SIGIO to the owner (F_SETOWN) when I/O becomes possible.
    pub const O_ASYNC: u64 = 0o20000;
    pub const O_DIRECTORY: u64 = 0o40000;
    pub const O_NOFOLLOW: u64 = 0o100000;
    pub const O_LARGEFILE: u64 = 0o400000;
    pub const O_CLOEXEC: u64 = 0o2000000;
    pub const O_PATH: u64 = 0o10000000;
    pub const O_TMPFILE: u64 = 0o20000000;
}

/// `*at` syscall flags and the current-directory pseudo fd.
pub mod at {
    pub const AT_FDCWD: i64 = -100;
    pub const AT_SYMLINK_NOFOLLOW: u64 = 0x100;
    pub const AT_REMOVEDIR: u64 = 0x200;
    pub const AT_SYMLINK_FOLLOW: u64 = 0x400;
    pub const AT_NO_AUTOMOUNT: u64 = 0x800;
    pub const AT_EMPTY_PATH: u64 = 0x1000;
    pub const AT_EACCESS: u64 = 0x200;
}

/// mmap/mprotect/mremap bits.
pub mod mman {
    pub const PROT_READ: u64 = 1;
    pub const PROT_WRITE: u64 = 2;
    pub const PROT_EXEC: u64 = 4;
    pub const MAP_SHARED: u64 = 0x01;
    pub const MAP_PRIVATE: u64 = 0x02;
    pub const MAP_SHARED_VALIDATE: u64 = 0x03;
    pub const MAP_TYPE: u64 = 0x0f;
    pub const MAP_FIXED: u64 = 0x10;
    pub const MAP_ANONYMOUS: u64 = 0x20;
    pub const MAP_FIXED_NOREPLACE: u64 = 0x100000;
    pub const MREMAP_MAYMOVE: u64 = 1;
    pub const MREMAP_FIXED: u64 = 2;
    pub const MREMAP_DONTUNMAP: u64 = 4;
}

/// Auxiliary vector keys (linux/auxvec.h, arm64 asm/auxvec.h).
pub mod auxv {
    pub const AT_NULL: u64 = 0;
    pub const AT_PHDR: u64 = 3;
    pub const AT_PHENT: u64 = 4;
    pub const AT_PHNUM: u64 = 5;
    pub const AT_PAGESZ: u64 = 6;
    pub const AT_BASE: u64 = 7;
    pub const AT_FLAGS: u64 = 8;
    pub const AT_ENTRY: u64 = 9;
    pub const AT_UID: u64 = 11;
    pub const AT_EUID: u64 = 12;
    pub const AT_GID: u64 = 13;
    pub const AT_EGID: u64 = 14;
    pub const AT_PLATFORM: u64 = 15;
    pub const AT_HWCAP: u64 = 16;
    pub const AT_CLKTCK: u64 = 17;
    pub const AT_SECURE: u64 = 23;
    pub const AT_RANDOM: u64 = 25;
    pub const AT_HWCAP2: u64 = 26;
    pub const AT_EXECFN: u64 = 31;
    pub const AT_MINSIGSTKSZ: u64 = 51;
}

/// Signal numbers used by the layer (asm-generic/signal.h).
pub mod signal {
    pub const SIGHUP: i32 = 1;
    pub const SIGINT: i32 = 2;
    pub const SIGQUIT: i32 = 3;
    pub const SIGILL: i32 = 4;
    pub const SIGTRAP: i32 = 5;
    pub const SIGABRT: i32 = 6;
    pub const SIGBUS: i32 = 7;
    pub const SIGFPE: i32 = 8;
    pub const SIGKILL: i32 = 9;
    pub const SIGUSR1: i32 = 10;
    pub const SIGSEGV: i32 = 11;
    pub const SIGUSR2: i32 = 12;
    pub const SIGPIPE: i32 = 13;
    pub const SIGALRM: i32 = 14;
    pub const SIGTERM: i32 = 15;
    pub const SIGCHLD: i32 = 17;
    pub const SIGCONT: i32 = 18;
    pub const SIGSTOP: i32 = 19;
    pub const SIGTSTP: i32 = 20;
    pub const SIGTTIN: i32 = 21;
    pub const SIGTTOU: i32 = 22;
    pub const SIGURG: i32 = 23;
    pub const SIGVTALRM: i32 = 26;
    pub const SIGPROF: i32 = 27;
    pub const SIGWINCH: i32 = 28;
    pub const SIGIO: i32 = 29;
    pub const NSIG: i32 = 64;
    pub const SIG_DFL: u64 = 0;
    pub const SIG_IGN: u64 = 1;
    pub const SS_ONSTACK: u32 = 1;
    pub const SS_DISABLE: u32 = 2;
    /// arm64 MINSIGSTKSZ (asm/signal.h); sigaltstack rejects smaller stacks.
    pub const MINSIGSTKSZ: u64 = 5120;

    /// Does the default action of `sig` ignore it (rather than end the process)?
    pub fn default_ignores(sig: i32) -> bool {
        matches!(
            sig,
            SIGCHLD | SIGCONT | SIGURG | SIGWINCH | SIGSTOP | SIGTSTP | SIGTTIN | SIGTTOU
        )
    }
}

/// Address-space layout of a guest process.
pub mod layout {
    /// One past the highest user address: the guest sees the 39-bit virtual
    /// address space of an arm64 kernel built with `ARM64_VA_BITS_39` (as
    /// Raspberry Pi and Android kernels are), which the CPU backend's window
    /// covers ([`kvrm_isa::space::WINDOW_END`]). Mappings asked for above it
    /// are refused or placed below, as that kernel does.
    pub const USER_TOP: u64 = kvrm_isa::space::WINDOW_END;
    /// One past the highest stack byte: fixed, a page below the top (the
    /// signal trampoline page). A kernel randomizes it; guests do not rely
    /// on it.
    pub const STACK_TOP: u64 = USER_TOP - 0x1000;
    /// Size of the (fixed, non-growing) main stack.
    pub const STACK_SIZE: u64 = 8 * 1024 * 1024;
    /// mmap allocates top-down below this address (a gap below the stack).
    pub const MMAP_TOP: u64 = STACK_TOP - STACK_SIZE - 0x1000_0000;
    /// mmap never allocates below this address.
    pub const MMAP_MIN: u64 = 0x1_0000;
    /// Load base of static-pie (ET_DYN) executables.
    /// (Two thirds of the address space, as the kernel's `ELF_ET_DYN_BASE`.)
    pub const PIE_BASE: u64 = 0x55_5555_0000;
    /// The value of AT_MINSIGSTKSZ (a signal frame without SVE fits).
    pub const MIN_SIGSTKSZ: u64 = 5120;
}
