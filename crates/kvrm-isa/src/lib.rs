//! kvrm's view of the A64 instruction set, shared by every backend:
//! the architectural state ([`state::CpuState`]), the encoding table and
//! decoder ([`table`], [`decode`]), guest memory ([`memory::GuestMemory`]),
//! stop reasons, and the [`backend::Backend`] trait that backends implement.
//! Nothing here depends on a GPU.

pub mod backend;
pub mod cuda_header;
pub mod decode;
pub mod features;
pub mod memory;
pub mod programs;
pub mod state;
pub mod stop;
pub mod table;

pub use backend::{Backend, RunResult};
pub use decode::{decode_a64, table, Encoding, InsnId};
pub use memory::{GuestMemory, MapError, Perms, PAGE_SIZE};
pub use state::CpuState;
pub use stop::{Access, FaultKind, MemFault, StopReason};
