//! The initial process stack, as the Linux kernel builds it for a new program:
//! argc, argv[], NULL, envp[], NULL, auxv pairs ending with AT_NULL, and the
//! strings and AT_RANDOM bytes above them.

use kvrm_isa::{AddressSpace, CpuState, MemFault, Perms, PAGE_SIZE};

use crate::abi::{auxv::*, layout};
use crate::elf::LoadedElf;

/// What goes into the new process besides the executable.
#[derive(Debug, Clone)]
pub struct ProcessImage {
    /// argv, argv[0] included.
    pub argv: Vec<Vec<u8>>,
    /// envp entries, `NAME=VALUE`.
    pub envp: Vec<Vec<u8>>,
    /// AT_EXECFN string (the program path as given).
    pub execfn: Vec<u8>,
    /// The 16 AT_RANDOM bytes.
    pub random: [u8; 16],
    /// AT_UID, AT_EUID, AT_GID, AT_EGID.
    pub uid: u32,
    pub euid: u32,
    pub gid: u32,
    pub egid: u32,
}

/// Where things ended up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StackInfo {
    pub sp: u64,
    /// Lowest address of the stack mapping.
    pub stack_low: u64,
    pub argv_addr: u64,
    pub envp_addr: u64,
    pub auxv_addr: u64,
    pub random_addr: u64,
    /// Where the argv strings are (/proc/PID/cmdline).
    pub args: (u64, u64),
}

/// Map the stack and write argc/argv/envp/auxv and the strings. The registers
/// are set by [`init_registers`]. `elf` is the program (AT_PHDR, AT_PHNUM,
/// AT_ENTRY), `interp` its dynamic loader if it has one (AT_BASE).
pub fn setup_stack(
    mem: &mut AddressSpace,
    elf: &LoadedElf,
    interp: Option<&LoadedElf>,
    img: &ProcessImage,
) -> Result<StackInfo, MemFault> {
    let stack_low = layout::STACK_TOP - layout::STACK_SIZE;
    mem.map(stack_low, layout::STACK_SIZE, Perms::RW)
        .map_err(|_| MemFault {
            addr: stack_low,
            access: kvrm_isa::Access::Write,
            kind: kvrm_isa::FaultKind::Unmapped,
        })?;

    // Strings from the top down: a final NULL word, execfn, envp, argv.
    let mut p = layout::STACK_TOP - 8;
    let mut push = |mem: &mut AddressSpace, bytes: &[u8], align: u64| -> Result<u64, MemFault> {
        p -= bytes.len() as u64;
        p &= !(align - 1);
        mem.write_bytes(p, bytes)?;
        Ok(p)
    };
    let cstr = |s: &[u8]| {
        let mut v = s.to_vec();
        v.push(0);
        v
    };
    let execfn = push(mem, &cstr(&img.execfn), 1)?;
    let mut env_ptrs = Vec::with_capacity(img.envp.len());
    for s in img.envp.iter().rev() {
        env_ptrs.push(push(mem, &cstr(s), 1)?);
    }
    env_ptrs.reverse();
    let mut arg_ptrs = Vec::with_capacity(img.argv.len());
    for s in img.argv.iter().rev() {
        arg_ptrs.push(push(mem, &cstr(s), 1)?);
    }
    arg_ptrs.reverse();
    let platform = push(mem, b"aarch64\0", 1)?;
    let random = push(mem, &img.random, 16)?;

    let aux: [(u64, u64); 20] = [
        (AT_HWCAP, kvrm_isa::features::HWCAP),
        (AT_PAGESZ, PAGE_SIZE),
        (AT_CLKTCK, 100),
        (AT_PHDR, elf.phdr),
        (AT_PHENT, elf.phent),
        (AT_PHNUM, elf.phnum),
        (AT_BASE, interp.map_or(0, |i| i.bias)),
        (AT_FLAGS, 0),
        (AT_ENTRY, elf.entry),
        (AT_UID, img.uid as u64),
        (AT_EUID, img.euid as u64),
        (AT_GID, img.gid as u64),
        (AT_EGID, img.egid as u64),
        (AT_SECURE, 0),
        (AT_RANDOM, random),
        (AT_HWCAP2, kvrm_isa::features::HWCAP2),
        (AT_EXECFN, execfn),
        (AT_PLATFORM, platform),
        (AT_MINSIGSTKSZ, layout::MIN_SIGSTKSZ),
        (AT_NULL, 0),
    ];
    let words = 1 + arg_ptrs.len() + 1 + env_ptrs.len() + 1 + 2 * aux.len();
    let sp = (p - 8 * words as u64) & !15;
    if sp < stack_low + PAGE_SIZE {
        return Err(MemFault {
            addr: sp,
            access: kvrm_isa::Access::Write,
            kind: kvrm_isa::FaultKind::Unmapped,
        });
    }
    let mut table = Vec::with_capacity(words * 8);
    let mut put = |v: u64| table.extend_from_slice(&v.to_le_bytes());
    put(arg_ptrs.len() as u64);
    arg_ptrs.iter().for_each(|&a| put(a));
    put(0);
    env_ptrs.iter().for_each(|&a| put(a));
    put(0);
    for (k, v) in aux {
        put(k);
        put(v);
    }
    mem.write_bytes(sp, &table)?;

    let argv_addr = sp + 8;
    let envp_addr = argv_addr + 8 * (arg_ptrs.len() as u64 + 1);
    let auxv_addr = envp_addr + 8 * (env_ptrs.len() as u64 + 1);
    let args = match (arg_ptrs.first(), arg_ptrs.last(), img.argv.last()) {
        (Some(&s), Some(&l), Some(last)) => (s, l + last.len() as u64 + 1),
        _ => (0, 0),
    };
    Ok(StackInfo {
        args,
        sp,
        stack_low,
        argv_addr,
        envp_addr,
        auxv_addr,
        random_addr: random,
    })
}

/// The registers of a new process: everything zero, sp as built, pc = entry.
pub fn init_registers(state: &mut CpuState, entry: u64, sp: u64) {
    *state = CpuState::new();
    state.sp = sp;
    state.pc = entry;
}
