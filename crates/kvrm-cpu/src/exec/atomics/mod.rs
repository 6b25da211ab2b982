//! Exclusive, acquire/release (incl. RCpc) and LSE atomic memory instructions.
//!
//! The interpreter runs one CPU in program order, so acquire/release/RCpc
//! variants behave as their plain forms. All of these accesses need natural
//! alignment (pairs: the size of the pair): kvrm does not implement FEAT_LSE2
//! (ID_AA64MMFR2_EL1.AT = 0), so per `AArch64.CheckAlignment` an unaligned
//! exclusive, atomic or ordered access takes an Alignment fault.
//!
//! The exclusive monitor is address based, not a value compare: LDXR* records
//! (address, size) in `CpuState::excl_addr` / `excl_size`; STXR* stores only
//! when both match, always writes its status register (0 = stored, 1 =
//! failed) and always clears the monitor; CLREX clears it. Ordinary stores do
//! not clear it (IMPLEMENTATION DEFINED for the local monitor).

use kvrm_isa::decode::{bit, bits, rd, rm, rn, rt2, sign_extend};
use kvrm_isa::{Access, FaultKind, MemFault};

use crate::exec::{ExecFn, Flow};
use crate::{mem, Cpu};

#[cfg(test)]
mod tests;

pub const HANDLERS: &[(&str, ExecFn)] = &[
    ("STXR", stxr),
    ("LDXR", ldxr),
    ("STXP", stxp),
    ("LDXP", ldxp),
    ("CASP", casp),
    ("STLR", stlr),
    ("LDAR", ldar),
    ("CAS", cas),
    ("RCPC_unscaled", rcpc_unscaled),
    ("LDADD", ld_op::<OP_ADD>),
    ("LDCLR", ld_op::<OP_CLR>),
    ("LDEOR", ld_op::<OP_EOR>),
    ("LDSET", ld_op::<OP_SET>),
    ("LDSMAX", ld_op::<OP_SMAX>),
    ("LDSMIN", ld_op::<OP_SMIN>),
    ("LDUMAX", ld_op::<OP_UMAX>),
    ("LDUMIN", ld_op::<OP_UMIN>),
    ("SWP", ld_op::<OP_SWP>),
    ("LDAPR", ldar),
];

/// An alignment fault at `addr`.
#[cold]
fn misaligned(addr: u64, access: Access) -> MemFault {
    MemFault {
        addr,
        access,
        kind: FaultKind::Alignment,
    }
}

/// `addr` if it is aligned to `size` bytes (a power of two), else an
/// alignment fault for `access` (use with `mem!`).
#[inline(always)]
fn aligned(addr: u64, size: u64, access: Access) -> Result<u64, MemFault> {
    if addr & (size - 1) != 0 {
        return Err(misaligned(addr, access));
    }
    Ok(addr)
}

/// The base address Xn|SP, checked for alignment to `size` bytes.
#[inline(always)]
fn aligned_address(cpu: &Cpu, w: u32, size: u64, access: Access) -> Result<u64, MemFault> {
    aligned(cpu.state.xsp(rn(w)), size, access)
}

/// Pair forms: (64-bit registers, access size in bytes) from bit 30.
#[inline(always)]
fn pair_size(w: u32) -> (bool, u64) {
    let wide = bit(w, 30);
    (wide, if wide { 16 } else { 8 })
}

/// Whether the exclusive monitor holds exactly (`addr`, `size`).
#[inline(always)]
fn monitor_holds(cpu: &Cpu, addr: u64, size: u64) -> bool {
    cpu.state.excl_size == size && cpu.state.excl_addr == addr
}

/// End of a store-exclusive: clear the monitor, Ws = 0 if stored, else 1.
#[inline(always)]
fn store_exclusive_status(cpu: &mut Cpu, w: u32, pass: bool) -> Flow {
    cpu.state.excl_size = 0;
    cpu.state.set_xr(rs(w), (!pass) as u64);
    Flow::Next
}

/// Access size in bytes from bits [31:30].
#[inline(always)]
fn size_of(w: u32) -> u64 {
    1 << bits(w, 30, 2)
}

/// Rt (bits [4:0]).
#[inline(always)]
fn rt(w: u32) -> u32 {
    rd(w)
}

/// Rs (bits [20:16]).
#[inline(always)]
fn rs(w: u32) -> u32 {
    rm(w)
}

/// LDXR / LDAXR (B/H/W/X).
fn ldxr(cpu: &mut Cpu, w: u32) -> Flow {
    let size = size_of(w);
    let addr = mem!(cpu, aligned_address(cpu, w, size, Access::Read));
    let v = mem!(cpu, cpu.mem.read_sized(addr, size as u32));
    let s = &mut cpu.state;
    s.set_xr(rt(w), v);
    s.excl_addr = addr;
    s.excl_size = size;
    Flow::Next
}

/// STXR / STLXR (B/H/W/X): Ws = 0 if stored, 1 if the monitor did not hold
/// this address and size.
fn stxr(cpu: &mut Cpu, w: u32) -> Flow {
    let size = size_of(w);
    let addr = mem!(cpu, aligned_address(cpu, w, size, Access::Write));
    let pass = monitor_holds(cpu, addr, size);
    if pass {
        let v = cpu.state.xr(rt(w));
        mem!(cpu, cpu.mem.write_sized(addr, size as u32, v));
    }
    store_exclusive_status(cpu, w, pass)
}

/// LDXP / LDAXP: two W (bit 30 clear) or X registers from one aligned pair.
fn ldxp(cpu: &mut Cpu, w: u32) -> Flow {
    let (wide, size) = pair_size(w);
    let addr = mem!(cpu, aligned_address(cpu, w, size, Access::Read));
    let (lo, hi) = if wide {
        let v = mem!(cpu, cpu.mem.read_u128(addr));
        (v as u64, (v >> 64) as u64)
    } else {
        let v = mem!(cpu, cpu.mem.read_u64(addr));
        (v & 0xffff_ffff, v >> 32)
    };
    let s = &mut cpu.state;
    s.set_xr(rt(w), lo);
    s.set_xr(rt2(w), hi);
    s.excl_addr = addr;
    s.excl_size = size;
    Flow::Next
}

/// STXP / STLXP: Rt at the lower address, Rt2 above it.
fn stxp(cpu: &mut Cpu, w: u32) -> Flow {
    let (wide, size) = pair_size(w);
    let addr = mem!(cpu, aligned_address(cpu, w, size, Access::Write));
    let pass = monitor_holds(cpu, addr, size);
    if pass {
        let s = &cpu.state;
        let (lo, hi) = (s.xr(rt(w)), s.xr(rt2(w)));
        if wide {
            let v = (lo as u128) | ((hi as u128) << 64);
            mem!(cpu, cpu.mem.write_u128(addr, v));
        } else {
            let v = (lo & 0xffff_ffff) | (hi << 32);
            mem!(cpu, cpu.mem.write_u64(addr, v));
        }
    }
    store_exclusive_status(cpu, w, pass)
}

/// LDAR / LDLAR / LDAPR (B/H/W/X).
fn ldar(cpu: &mut Cpu, w: u32) -> Flow {
    let size = size_of(w);
    let addr = mem!(cpu, aligned_address(cpu, w, size, Access::Read));
    let v = mem!(cpu, cpu.mem.read_sized(addr, size as u32));
    cpu.state.set_xr(rt(w), v);
    Flow::Next
}

/// STLR / STLLR (B/H/W/X).
fn stlr(cpu: &mut Cpu, w: u32) -> Flow {
    let size = size_of(w);
    let addr = mem!(cpu, aligned_address(cpu, w, size, Access::Write));
    let v = cpu.state.xr(rt(w));
    mem!(cpu, cpu.mem.write_sized(addr, size as u32, v));
    Flow::Next
}

/// STLUR*, LDAPUR* (zero-extending), LDAPURS* (sign-extending to 64 or 32
/// bits) with a signed 9-bit unscaled offset.
fn rcpc_unscaled(cpu: &mut Cpu, w: u32) -> Flow {
    let sz = bits(w, 30, 2);
    let opc = bits(w, 22, 2);
    // opc 10 (sign-extend to 64) exists for B/H/W, opc 11 (to 32) for B/H.
    if (opc == 2 && sz == 3) || (opc == 3 && sz >= 2) {
        return cpu.undefined(w);
    }
    let size = 1u64 << sz;
    let offset = sign_extend(bits(w, 12, 9) as u64, 9) as u64;
    let access = if opc == 0 {
        Access::Write
    } else {
        Access::Read
    };
    let addr = cpu.state.xsp(rn(w)).wrapping_add(offset);
    let addr = mem!(cpu, aligned(addr, size, access));
    if opc == 0 {
        let v = cpu.state.xr(rt(w));
        mem!(cpu, cpu.mem.write_sized(addr, size as u32, v));
        return Flow::Next;
    }
    let v = mem!(cpu, cpu.mem.read_sized(addr, size as u32));
    let v = match opc {
        1 => v,
        2 => sign_extend(v, 8 * size as u32) as u64,
        _ => sign_extend(v, 8 * size as u32) as u64 & 0xffff_ffff,
    };
    cpu.state.set_xr(rt(w), v);
    Flow::Next
}

/// CAS / CASA / CASL / CASAL (B/H/W/X): compare with Rs, store Rt if equal;
/// Rs receives the old value (zero-extended).
fn cas(cpu: &mut Cpu, w: u32) -> Flow {
    let size = size_of(w);
    let addr = mem!(cpu, aligned_address(cpu, w, size, Access::Write));
    let mask = u64::MAX >> (64 - 8 * size);
    let old = mem!(cpu, cpu.mem.read_sized(addr, size as u32));
    if old == cpu.state.xr(rs(w)) & mask {
        let new = cpu.state.xr(rt(w));
        mem!(cpu, cpu.mem.write_sized(addr, size as u32, new));
    }
    cpu.state.set_xr(rs(w), old);
    Flow::Next
}

/// CASP / CASPA / CASPL / CASPAL (W or X pairs; Rs and Rt must be even).
fn casp(cpu: &mut Cpu, w: u32) -> Flow {
    let (s, t) = (rs(w), rt(w));
    if s & 1 != 0 || t & 1 != 0 {
        return cpu.undefined(w);
    }
    let (wide, size) = pair_size(w);
    let addr = mem!(cpu, aligned_address(cpu, w, size, Access::Write));
    let st = &cpu.state;
    let (cmp_lo, cmp_hi) = (st.xr(s), st.xr(s + 1));
    let (new_lo, new_hi) = (st.xr(t), st.xr(t + 1));
    let (lo, hi) = if wide {
        let old = mem!(cpu, cpu.mem.read_u128(addr));
        let (lo, hi) = (old as u64, (old >> 64) as u64);
        if lo == cmp_lo && hi == cmp_hi {
            let v = (new_lo as u128) | ((new_hi as u128) << 64);
            mem!(cpu, cpu.mem.write_u128(addr, v));
        }
        (lo, hi)
    } else {
        let old = mem!(cpu, cpu.mem.read_u64(addr));
        if old == (cmp_lo & 0xffff_ffff) | (cmp_hi << 32) {
            let v = (new_lo & 0xffff_ffff) | (new_hi << 32);
            mem!(cpu, cpu.mem.write_u64(addr, v));
        }
        (old & 0xffff_ffff, old >> 32)
    };
    cpu.state.set_xr(s, lo);
    cpu.state.set_xr(s + 1, hi);
    Flow::Next
}

const OP_ADD: u32 = 0;
const OP_CLR: u32 = 1;
const OP_EOR: u32 = 2;
const OP_SET: u32 = 3;
const OP_SMAX: u32 = 4;
const OP_SMIN: u32 = 5;
const OP_UMAX: u32 = 6;
const OP_UMIN: u32 = 7;
const OP_SWP: u32 = 8;

/// LDADD, LDCLR, LDEOR, LDSET, LDSMAX, LDSMIN, LDUMAX, LDUMIN and SWP, every
/// size and ordering (the ST* aliases are Rt = XZR): memory = old OP Rs,
/// Rt = old (zero-extended). Signed compares sign-extend at the access size.
fn ld_op<const OP: u32>(cpu: &mut Cpu, w: u32) -> Flow {
    let size = size_of(w);
    let addr = mem!(cpu, aligned_address(cpu, w, size, Access::Write));
    let nbits = 8 * size as u32;
    let mask = u64::MAX >> (64 - nbits);
    let old = mem!(cpu, cpu.mem.read_sized(addr, size as u32));
    let v = cpu.state.xr(rs(w)) & mask;
    let new = match OP {
        OP_ADD => old.wrapping_add(v),
        OP_CLR => old & !v,
        OP_EOR => old ^ v,
        OP_SET => old | v,
        OP_SMAX => {
            if sign_extend(old, nbits) >= sign_extend(v, nbits) {
                old
            } else {
                v
            }
        }
        OP_SMIN => {
            if sign_extend(old, nbits) <= sign_extend(v, nbits) {
                old
            } else {
                v
            }
        }
        OP_UMAX => old.max(v),
        OP_UMIN => old.min(v),
        _ => v,
    };
    mem!(cpu, cpu.mem.write_sized(addr, size as u32, new));
    cpu.state.set_xr(rt(w), old);
    Flow::Next
}
