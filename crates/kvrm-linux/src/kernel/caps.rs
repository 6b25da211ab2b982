//! capget naming another guest process: the kernel knows every process's
//! capabilities; the Linux layer answers for the caller itself.

use super::{Kernel, Outcome, Pid};
use crate::abi::errno::*;

impl Kernel {
    /// capget naming another process: its capabilities, or ESRCH for a pid
    /// that does not exist (after the header checks, as Linux orders them);
    /// `None`: the caller's own, answered by the Linux layer.
    pub(super) fn capget_other(&mut self, me: Pid, a: [u64; 6]) -> Option<Outcome> {
        let hdr = self.read_caller(me, a[0], 8).ok()?;
        let version = u32::from_le_bytes(hdr[..4].try_into().ok()?);
        let pid = i32::from_le_bytes(hdr[4..].try_into().ok()?);
        let caller = self.threads[&me].pid;
        if pid <= 0 || pid as Pid == caller || a[1] == 0 {
            return None;
        }
        if !crate::syscalls::knobs::cap_version_known(version) {
            return None;
        }
        let Some(owner) = self.threads.get(&(pid as Pid)).map(|t| t.pid) else {
            return Some(Outcome::errno(ESRCH));
        };
        let caps = self.procs[&owner].linux.knobs.caps;
        let p = self.procs.get_mut(&caller)?;
        let mem = self.engine.space_mut(p.space);
        Some(p.linux.sys_capget(mem, a[0], a[1], caps).into())
    }
}
