//! Rust mirrors of the device structs in `kernels/common.cuh`. Sizes are
//! asserted here and with `static_assert` in the kernel, so both sides agree.

use core::mem::size_of;

use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

/// Frame index meaning "no frame yet" (the page reads as zeros).
pub const NO_FRAME: u32 = u32::MAX;

/// One page-table entry (`KvrmPte`).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, IntoBytes, Immutable)]
pub struct Pte {
    /// page + 1; 0 = empty slot.
    pub key: u64,
    pub frame: u32,
    pub perms: u32,
    /// Launch generation of the last device write.
    pub gen: u32,
    pub pad: [u32; 3],
}

/// One address space on the device (`KvrmSpaceDev`).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, IntoBytes, FromBytes, Immutable, KnownLayout)]
pub struct SpaceDev {
    pub table: u64,
    pub mask: u64,
}

/// A page event from the device (`KvrmPageEvent`).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct PageEvent {
    pub space: u32,
    pub frame: u32,
    pub page: u64,
    /// 0: frame claimed; 1: page written.
    pub kind: u32,
    pub pad: u32,
}

/// Launch-wide counters (`KvrmControl`).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, IntoBytes, FromBytes, Immutable, KnownLayout)]
pub struct Control {
    pub frames_next: u32,
    pub frames_cap: u32,
    pub events_next: u32,
    pub events_cap: u32,
    /// Entries of the free list the device took (may exceed `free_count`).
    pub free_next: u32,
    pub free_count: u32,
    /// Device address of the free list (frames to reuse first), or 0.
    pub free_list: u64,
}

/// One piece of a launch's batched uploads (`KvrmUploadPiece`,
/// `kvrm_scatter`): `len` bytes, a multiple of 8, from `from` in the
/// uploaded buffer to device address `dst`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct UploadPiece {
    pub dst: u64,
    pub from: u64,
    pub len: u64,
}

/// Why a lane stopped (`KvrmLaneStop`).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, IntoBytes, FromBytes, Immutable, KnownLayout)]
pub struct LaneStop {
    pub kind: u32,
    pub aux: u32,
    pub addr: u64,
    pub retired: u64,
    /// ... of them in translated blocks.
    pub block_retired: u64,
}

pub const STOP_CYCLE_LIMIT: u32 = 0;
pub const STOP_HALTED: u32 = 1;
pub const STOP_SYSCALL: u32 = 2;
pub const STOP_FAULT: u32 = 3;
pub const STOP_UNDEFINED: u32 = 4;
pub const STOP_NEEDS_HOST: u32 = 5;
pub const STOP_NEED_FRAMES: u32 = 6;
/// A store hit a page holding translated blocks (`addr`: the page number).
pub const STOP_CODE_WRITE: u32 = 7;

/// A breakpoint stopped the lane before the instruction at its pc.
pub const STOP_BREAKPOINT: u32 = 8;
/// A watchpoint stopped the lane before an access (`aux`: access, `addr`:
/// the lowest watched address accessed).
pub const STOP_WATCHPOINT: u32 = 9;

/// A watched range (`KvrmWatch`): kind bit 0 = reads, bit 1 = writes.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct Watch {
    pub addr: u64,
    pub len: u64,
    pub kind: u32,
    pub pad: u32,
}

/// Registers kept per trace record (`TRACE_WRITES`).
pub const TRACE_WRITES: usize = 6;

/// One register an instruction wrote (`KvrmTraceWrite`): reg 0-30 = x0-x30,
/// 31 = sp, 32 = nzcv, 33 = fpsr, 64 + i = v<i>.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct TraceWrite {
    pub reg: u32,
    pub pad: u32,
    pub lo: u64,
    pub hi: u64,
}

/// One traced instruction (`KvrmTraceRec`).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct TraceRec {
    pub pc: u64,
    pub word: u32,
    /// Registers written; only the first `TRACE_WRITES` are in `w`.
    pub nwrites: u32,
    pub w: [TraceWrite; TRACE_WRITES],
}

/// The debugging inputs of a launch (`KvrmDebug`): device addresses.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct DebugDev {
    pub bps: u64,
    pub watch: u64,
    pub step_over: u64,
    pub trace: u64,
    pub trace_count: u64,
    pub nbps: u32,
    pub nwatch: u32,
    pub trace_cap: u32,
    pub pad: u32,
}

/// Entries of the device's hot-block table (`HOT_BITS` in interp.cu).
pub const HOT_ENTRIES: usize = 1 << 12;

/// Entries into an untranslated block start (`KvrmHot`).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct Hot {
    pub pc: u64,
    pub count: u32,
    pub pad: u32,
}

const _: () = {
    assert!(size_of::<Pte>() == 32);
    assert!(size_of::<SpaceDev>() == 16);
    assert!(size_of::<PageEvent>() == 24);
    assert!(size_of::<Control>() == 32);
    assert!(size_of::<LaneStop>() == 32);
    assert!(size_of::<UploadPiece>() == 24);
    assert!(size_of::<Hot>() == 16);
    assert!(size_of::<Watch>() == 24);
    assert!(size_of::<TraceRec>() == 160);
    assert!(size_of::<DebugDev>() == 56);
};

/// The device's page hash (`page_hash` in common.cuh).
#[inline]
pub fn page_hash(page: u64) -> u64 {
    page.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 20
}
