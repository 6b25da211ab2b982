//! Memory for compiled code on x86-64 hosts: functions packed one after
//! another in read-write-execute chunks.
//!
//! Cranelift's own providers give every finalized function pages of its own
//! and `mprotect` them to read-execute: a page per region (most regions are
//! a few hundred bytes, so the code cache's resident size was several times
//! its code) and a protection change, with its TLB shootdown on every core
//! running the process, per compiled region. x86-64 keeps instruction fetch
//! coherent with stores, so code written here runs once its address is
//! handed over (through the compile thread's channel, which orders the
//! writes before the reader's use). This is the layout qemu's TCG uses by
//! default on Linux; guest stores cannot reach it (they go through the
//! guest's own address space).

use std::io;

use cranelift_jit::{BranchProtection, JITMemoryKind, JITMemoryProvider};
use cranelift_module::ModuleResult;
use rustix::mm::{mmap_anonymous, munmap, MapFlags, ProtFlags};

/// Address space reserved per chunk; pages are committed as code is written.
const CHUNK: usize = 4 << 20;

pub(crate) struct CodeMemory {
    /// Every chunk mapped: (start, length).
    chunks: Vec<(usize, usize)>,
    /// Where the next allocation may start and where the current chunk ends.
    next: usize,
    end: usize,
}

// SAFETY: the chunks are plain memory owned by this provider, which moves
// between threads with the module that holds it (one user at a time).
unsafe impl Send for CodeMemory {}

impl CodeMemory {
    pub fn new() -> Self {
        CodeMemory {
            chunks: Vec::new(),
            next: 0,
            end: 0,
        }
    }
}

/// Map `len` bytes of read-write-execute memory (reserved, committed as
/// written) at an address the kernel picks; its start.
pub(crate) fn map_chunk(len: usize) -> io::Result<usize> {
    // SAFETY: a fresh anonymous mapping at an address the kernel picks.
    let ptr = unsafe {
        mmap_anonymous(
            std::ptr::null_mut(),
            len,
            ProtFlags::READ | ProtFlags::WRITE | ProtFlags::EXEC,
            MapFlags::PRIVATE | MapFlags::NORESERVE,
        )
    }
    .map_err(io::Error::from)?;
    Ok(ptr as usize)
}

impl JITMemoryProvider for CodeMemory {
    fn allocate(&mut self, size: usize, align: u64, _kind: JITMemoryKind) -> io::Result<*mut u8> {
        let align = usize::try_from(align)
            .ok()
            .filter(|a| a.is_power_of_two())
            .ok_or_else(|| io::Error::other("kvrm jit: bad code alignment"))?;
        let mut at = self.next.next_multiple_of(align);
        if self.chunks.is_empty() || at + size > self.end {
            let len = size.next_multiple_of(4096).max(CHUNK);
            let start = map_chunk(len)?;
            self.chunks.push((start, len));
            self.end = start + len;
            at = start.next_multiple_of(align);
        }
        self.next = at + size;
        Ok(at as *mut u8)
    }

    unsafe fn free_memory(&mut self) {
        for (start, len) in self.chunks.drain(..) {
            // SAFETY: mapped by `allocate`; the caller guarantees no code of
            // it can run any more.
            let _ = unsafe { munmap(start as *mut std::ffi::c_void, len) };
        }
        self.next = 0;
        self.end = 0;
    }

    fn finalize(&mut self, _branch_protection: BranchProtection) -> ModuleResult<()> {
        // Already executable; x86-64 needs no instruction-cache maintenance.
        Ok(())
    }
}
