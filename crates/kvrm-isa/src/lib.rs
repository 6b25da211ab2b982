//! kvrm's view of the A64 instruction set, shared by every backend:
//! the architectural state ([`state::CpuState`]), the encoding table and
//! decoder ([`table`], [`decode`]), address spaces ([`space::AddressSpace`]),
//! stop reasons, and the [`engine::Engine`] trait that backends implement
//! (many machines, each a state and the address space it runs in).
//! Nothing here depends on a GPU.

pub mod cuda_header;
pub mod decode;
pub mod engine;
pub mod features;
pub mod programs;
pub mod space;
pub mod state;
pub mod stop;
pub mod table;
pub mod trace;

pub use decode::{decode_a64, table, Encoding, InsnId};
pub use engine::{Engine, Machine, MachineId, MachineStop, RunResult, SpaceId};
pub use space::{AddressSpace, MapError, Perms, Region, PAGE_SIZE};
pub use state::CpuState;
pub use stop::{watch_hit, Access, FaultKind, MemFault, StopReason, WatchKind, Watchpoint};
pub use trace::{reg_writes, RegWrite, TraceEntry};
