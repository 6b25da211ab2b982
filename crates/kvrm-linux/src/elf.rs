//! Loading AArch64 ELF executables into guest memory: static ones (ET_EXEC and
//! static-pie), dynamic ones (their PT_INTERP names the dynamic loader, which the
//! caller finds and loads with [`load_interpreter`]) and the dynamic loader itself.

use kvrm_isa::{AddressSpace, Perms, PAGE_SIZE};
use object::elf;
use object::read::elf::{FileHeader, ProgramHeader};
use object::LittleEndian as LE;

use crate::abi::layout;

/// Why an executable cannot be loaded.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ElfError {
    #[error("not an ELF file")]
    NotElf,
    #[error("32-bit ELF files are not supported (AArch64 executables are 64-bit)")]
    Elf32,
    #[error("big-endian ELF files are not supported")]
    BigEndian,
    #[error("not an AArch64 executable (e_machine {0})")]
    WrongMachine(u16),
    #[error("not an executable (ELF type {0}): only ET_EXEC and ET_DYN files run")]
    NotExecutable(u16),
    #[error("the ELF interpreter {0} names an interpreter itself")]
    NestedInterpreter(String),
    #[error("malformed ELF file: {0}")]
    Malformed(&'static str),
    #[error("truncated ELF file: {0}")]
    Truncated(&'static str),
    #[error("no loadable segment")]
    NoSegments,
    #[error("cannot map segment at {addr:#x}: {why}")]
    Map { addr: u64, why: String },
}

/// What the process setup needs to know about a loaded executable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadedElf {
    /// Entry point (load bias applied).
    pub entry: u64,
    /// Where the program headers are in guest memory (AT_PHDR).
    pub phdr: u64,
    pub phent: u64,
    pub phnum: u64,
    /// Load bias (0 for ET_EXEC).
    pub bias: u64,
    /// Page-aligned address just past the highest segment: the start of the brk heap.
    pub brk_start: u64,
    /// Lowest mapped address.
    pub low: u64,
    /// PT_INTERP: the guest path of the dynamic loader this program needs
    /// (bytes, without the NUL).
    pub interp: Option<Vec<u8>>,
}

fn page_down(a: u64) -> u64 {
    a & !(PAGE_SIZE - 1)
}

fn page_up(a: u64) -> Option<u64> {
    a.checked_add(PAGE_SIZE - 1).map(page_down)
}

fn seg_perms(flags: u32) -> Perms {
    let mut p = 0;
    if flags & elf::PF_R.0 != 0 {
        p |= Perms::R.0;
    }
    if flags & elf::PF_W.0 != 0 {
        p |= Perms::W.0;
    }
    if flags & elf::PF_X.0 != 0 {
        p |= Perms::X.0;
    }
    Perms(p)
}

struct Segment {
    offset: u64,
    vaddr: u64,
    filesz: u64,
    memsz: u64,
    perms: Perms,
}

/// Where a position-independent (ET_DYN) file goes.
#[derive(Debug, Clone, Copy)]
enum Place {
    /// A program: at [`layout::PIE_BASE`].
    Program,
    /// A dynamic loader: top-down in the mmap area, below this address (as Linux
    /// maps the interpreter with mmap).
    Below(u64),
}

/// Check `data` and load its segments into `mem`. Nothing is mapped on error.
/// A dynamic executable is loaded too: its [`LoadedElf::interp`] names the
/// dynamic loader, to be loaded with [`load_interpreter`].
pub fn load_elf(data: &[u8], mem: &mut AddressSpace) -> Result<LoadedElf, ElfError> {
    load_at(data, mem, Place::Program)
}

/// Load the dynamic loader `data` (named `path` by the program's PT_INTERP):
/// a position-independent file goes top-down in the mmap area, the first
/// mapping there, so the program's own mmaps come below it. Nothing is mapped on
/// error.
pub fn load_interpreter(
    data: &[u8],
    mem: &mut AddressSpace,
    path: &[u8],
) -> Result<LoadedElf, ElfError> {
    load_at(data, mem, Place::Below(layout::MMAP_TOP)).map_err(|e| match e {
        ElfError::NestedInterpreter(_) => {
            ElfError::NestedInterpreter(String::from_utf8_lossy(path).into_owned())
        }
        e => e,
    })
}

fn load_at(data: &[u8], mem: &mut AddressSpace, place: Place) -> Result<LoadedElf, ElfError> {
    if data.len() < 4 || &data[..4] != b"\x7fELF" {
        return Err(ElfError::NotElf);
    }
    if data.len() < 6 {
        return Err(ElfError::Truncated("ELF identification"));
    }
    match data[4] {
        2 => {}                           // ELFCLASS64
        1 => return Err(ElfError::Elf32), // ELFCLASS32
        _ => return Err(ElfError::Malformed("bad ELF class")),
    }
    match data[5] {
        1 => {}
        2 => return Err(ElfError::BigEndian),
        _ => return Err(ElfError::Malformed("bad ELF data encoding")),
    }
    if data.len() < std::mem::size_of::<elf::FileHeader64<LE>>() {
        return Err(ElfError::Truncated("ELF header"));
    }
    let hdr = elf::FileHeader64::<LE>::parse(data)
        .map_err(|_| ElfError::Malformed("unsupported ELF header"))?;
    let e = LE;
    let machine = hdr.e_machine(e).0;
    if machine != elf::EM_AARCH64.0 {
        return Err(ElfError::WrongMachine(machine));
    }
    let etype = hdr.e_type(e).0;
    let pie = etype == elf::ET_DYN.0;
    if etype != elf::ET_EXEC.0 && !pie {
        return Err(ElfError::NotExecutable(etype));
    }
    let phentsize = hdr.e_phentsize(e) as u64;
    if hdr.e_phnum(e) != 0 && phentsize != std::mem::size_of::<elf::ProgramHeader64<LE>>() as u64 {
        return Err(ElfError::Malformed("bad program header size"));
    }
    let phoff = hdr.e_phoff(e);
    let phs = hdr.program_headers(e, data).map_err(|_| {
        let end = phoff.saturating_add(phentsize.saturating_mul(hdr.e_phnum(e) as u64));
        if end > data.len() as u64 {
            ElfError::Truncated("program headers")
        } else {
            ElfError::Malformed("program headers")
        }
    })?;

    let mut segs = Vec::new();
    let mut phdr_vaddr = None;
    let mut interp = None;
    for ph in phs {
        let ptype = ph.p_type(e).0;
        if ptype == elf::PT_INTERP.0 {
            let bytes = ph
                .data(e, data)
                .map_err(|_| ElfError::Truncated("PT_INTERP past end of file"))?;
            let end = bytes.iter().rposition(|&b| b != 0).map_or(0, |i| i + 1);
            let path = bytes[..end].to_vec();
            if path.is_empty() {
                return Err(ElfError::Malformed("empty PT_INTERP"));
            }
            interp = Some(path);
        }
        if ptype == elf::PT_PHDR.0 {
            phdr_vaddr = Some(ph.p_vaddr(e));
        }
        if ptype != elf::PT_LOAD.0 || ph.p_memsz(e) == 0 {
            continue;
        }
        let s = Segment {
            offset: ph.p_offset(e),
            vaddr: ph.p_vaddr(e),
            filesz: ph.p_filesz(e),
            memsz: ph.p_memsz(e),
            perms: seg_perms(ph.p_flags(e).0),
        };
        if s.filesz > s.memsz {
            return Err(ElfError::Malformed("segment file size exceeds memory size"));
        }
        match s.offset.checked_add(s.filesz) {
            Some(end) if end <= data.len() as u64 => {}
            Some(_) => return Err(ElfError::Truncated("segment data past end of file")),
            None => return Err(ElfError::Malformed("segment offset overflows")),
        }
        if s.vaddr.checked_add(s.memsz).and_then(page_up).is_none() {
            return Err(ElfError::Malformed("segment wraps the address space"));
        }
        if s.vaddr % PAGE_SIZE != s.offset % PAGE_SIZE {
            return Err(ElfError::Malformed(
                "segment address and offset disagree modulo the page size",
            ));
        }
        segs.push(s);
    }
    if segs.is_empty() {
        return Err(ElfError::NoSegments);
    }
    if interp.is_some() && matches!(place, Place::Below(_)) {
        return Err(ElfError::NestedInterpreter(String::new()));
    }
    let lo = segs.iter().map(|s| page_down(s.vaddr)).min().unwrap_or(0);
    let hi = segs
        .iter()
        .filter_map(|s| page_up(s.vaddr + s.memsz))
        .max()
        .unwrap_or(0);
    let bias = match (pie, place) {
        (false, _) => 0,
        (true, Place::Program) => layout::PIE_BASE.wrapping_sub(lo),
        (true, Place::Below(top)) => {
            let base = mem
                .find_free_below(hi - lo, layout::MMAP_MIN, top)
                .map_err(|err| ElfError::Map {
                    addr: top,
                    why: err.to_string(),
                })?;
            base.wrapping_sub(lo)
        }
    };
    let top = hi.wrapping_add(bias);
    if top > layout::MMAP_TOP || lo.wrapping_add(bias) < PAGE_SIZE {
        return Err(ElfError::Malformed(
            "segments lie outside the user address space",
        ));
    }

    // Map every page with the union of the permissions of the segments on it.
    let mut pages: Vec<(u64, u64, Perms)> = Vec::new();
    for s in &segs {
        let start = page_down(s.vaddr).wrapping_add(bias);
        let end = page_up(s.vaddr + s.memsz).unwrap_or(0).wrapping_add(bias);
        pages.push((start, end, s.perms));
    }
    let mut mapped: Vec<(u64, u64)> = Vec::new();
    let result = (|| {
        for &(start, end, _) in &pages {
            let mut a = start;
            while a < end {
                let union = pages
                    .iter()
                    .filter(|&&(s, e, _)| s <= a && a < e)
                    .fold(0u8, |acc, &(_, _, p)| acc | p.0);
                // Extend the run while pages have the same union and are unmapped.
                let mut b = a + PAGE_SIZE;
                if mem.perms_at(a).is_none() {
                    while b < end
                        && mem.perms_at(b).is_none()
                        && pages
                            .iter()
                            .filter(|&&(s, e, _)| s <= b && b < e)
                            .fold(0u8, |acc, &(_, _, p)| acc | p.0)
                            == union
                    {
                        b += PAGE_SIZE;
                    }
                    mem.map(a, b - a, Perms(union))
                        .map_err(|err| ElfError::Map {
                            addr: a,
                            why: err.to_string(),
                        })?;
                    mapped.push((a, b));
                } else if !mapped.iter().any(|&(s, e)| s <= a && a < e) {
                    return Err(ElfError::Map {
                        addr: a,
                        why: "already mapped".into(),
                    });
                }
                a = b;
            }
        }
        for s in &segs {
            let bytes = &data[s.offset as usize..(s.offset + s.filesz) as usize];
            mem.write_bytes_force(s.vaddr.wrapping_add(bias), bytes)
                .map_err(|f| ElfError::Map {
                    addr: f.addr,
                    why: f.to_string(),
                })?;
        }
        Ok(())
    })();
    if let Err(err) = result {
        for (s, e) in mapped {
            let _ = mem.unmap(s, e - s);
        }
        return Err(err);
    }

    // AT_PHDR: PT_PHDR if present, else the loaded bytes holding e_phoff.
    let phdr = match phdr_vaddr {
        Some(v) => v.wrapping_add(bias),
        None => segs
            .iter()
            .find(|s| s.offset <= phoff && phoff < s.offset + s.filesz)
            .map(|s| (s.vaddr + (phoff - s.offset)).wrapping_add(bias))
            .unwrap_or(0),
    };
    Ok(LoadedElf {
        entry: hdr.e_entry(e).wrapping_add(bias),
        phdr,
        phent: phentsize,
        phnum: hdr.e_phnum(e) as u64,
        bias,
        brk_start: top,
        low: lo.wrapping_add(bias),
        interp,
    })
}
