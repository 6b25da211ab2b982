//! AddressSpace against a trivially correct model: random map / unmap / protect /
//! read / write sequences must agree byte for byte and fault for fault.

use std::collections::HashMap;

use kvrm_isa::{Access, AddressSpace, FaultKind, Perms, PAGE_SIZE};
use proptest::prelude::*;

/// Pages 0..PAGES of a small window of the address space near the top, so
/// wraparound and the last page are exercised too.
const PAGES: u64 = 24;
const BASE: u64 = u64::MAX - PAGES * PAGE_SIZE + 1;

#[derive(Clone, Debug)]
enum Op {
    Map { page: u64, count: u64, perms: u8 },
    Unmap { page: u64, count: u64 },
    Protect { page: u64, count: u64, perms: u8 },
    Write { offset: u64, bytes: Vec<u8> },
    Read { offset: u64, len: usize },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (0..PAGES, 1..4u64, 0..8u8).prop_map(|(page, count, perms)| Op::Map { page, count, perms }),
        (0..PAGES, 1..4u64).prop_map(|(page, count)| Op::Unmap { page, count }),
        (0..PAGES, 1..4u64, 0..8u8).prop_map(|(page, count, perms)| Op::Protect {
            page,
            count,
            perms
        }),
        (
            0..PAGES * PAGE_SIZE,
            prop::collection::vec(any::<u8>(), 1..20)
        )
            .prop_map(|(offset, bytes)| Op::Write { offset, bytes }),
        (0..PAGES * PAGE_SIZE, 1..20usize).prop_map(|(offset, len)| Op::Read { offset, len }),
    ]
}

#[derive(Default)]
struct Model {
    perms: HashMap<u64, u8>,
    bytes: HashMap<u64, u8>,
}

impl Model {
    fn check(&self, addr: u64, len: usize, access: Access) -> Result<(), (u64, FaultKind)> {
        for i in 0..len as u64 {
            let Some(a) = addr.checked_add(i) else {
                return Err((addr, FaultKind::Unmapped));
            };
            let page = (a - BASE) / PAGE_SIZE;
            let start = if i == 0 { addr } else { a };
            match self.perms.get(&page) {
                None => return Err((start.max(BASE + page * PAGE_SIZE), FaultKind::Unmapped)),
                Some(&p) => {
                    let ok = match access {
                        Access::Read => p & 1 != 0,
                        Access::Write => p & 2 != 0,
                        Access::Execute => p & 4 != 0,
                    };
                    if !ok {
                        return Err((start.max(BASE + page * PAGE_SIZE), FaultKind::Permission));
                    }
                }
            }
        }
        Ok(())
    }
}

fn in_window(page: u64, count: u64) -> bool {
    page + count <= PAGES
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn memory_agrees_with_model(ops in prop::collection::vec(op(), 1..60)) {
        let mut mem = AddressSpace::new();
        let mut model = Model::default();
        for op in ops {
            match op {
                Op::Map { page, count, perms } if in_window(page, count) => {
                    // The last page of the address space cannot be mapped (its end
                    // would be 2^64); that is an error, never a wrap.
                    let top = page + count == PAGES;
                    let overlap = (page..page + count).any(|p| model.perms.contains_key(&p));
                    let r = mem.map(BASE + page * PAGE_SIZE, count * PAGE_SIZE, Perms(perms));
                    prop_assert_eq!(r.is_err(), overlap || top);
                    if !overlap && !top {
                        for p in page..page + count {
                            model.perms.insert(p, perms);
                            for i in 0..PAGE_SIZE { model.bytes.remove(&(p * PAGE_SIZE + i)); }
                        }
                    }
                }
                Op::Unmap { page, count } if in_window(page, count) => {
                    let r = mem.unmap(BASE + page * PAGE_SIZE, count * PAGE_SIZE);
                    prop_assert_eq!(r.is_err(), page + count == PAGES);
                    for p in (page..page + count).filter(|_| r.is_ok()) {
                        model.perms.remove(&p);
                        for i in 0..PAGE_SIZE { model.bytes.remove(&(p * PAGE_SIZE + i)); }
                    }
                }
                Op::Protect { page, count, perms } if in_window(page, count) => {
                    let all = page + count < PAGES
                        && (page..page + count).all(|p| model.perms.contains_key(&p));
                    let r = mem.protect(BASE + page * PAGE_SIZE, count * PAGE_SIZE, Perms(perms));
                    prop_assert_eq!(r.is_ok(), all);
                    if all {
                        for p in page..page + count { model.perms.insert(p, perms); }
                    }
                }
                Op::Write { offset, bytes } => {
                    let addr = BASE + offset;
                    let want = model.check(addr, bytes.len(), Access::Write);
                    let got = mem.write_bytes(addr, &bytes);
                    match (got, want) {
                        (Ok(()), Ok(())) => {
                            for (i, b) in bytes.iter().enumerate() {
                                model.bytes.insert(offset + i as u64, *b);
                            }
                        }
                        (Err(f), Err((a, kind))) => {
                            prop_assert_eq!(f.addr, a);
                            prop_assert_eq!(f.kind, kind);
                        }
                        (g, w) => prop_assert!(false, "write at {addr:#x}: got {g:?}, model {w:?}"),
                    }
                }
                Op::Read { offset, len } => {
                    let addr = BASE + offset;
                    let want = model.check(addr, len, Access::Read);
                    let mut buf = vec![0u8; len];
                    match (mem.read_bytes(addr, &mut buf), want) {
                        (Ok(()), Ok(())) => {
                            for (i, b) in buf.iter().enumerate() {
                                let m = model.bytes.get(&(offset + i as u64)).copied().unwrap_or(0);
                                prop_assert_eq!(*b, m, "byte {:#x}", addr + i as u64);
                            }
                        }
                        (Err(f), Err((a, kind))) => {
                            prop_assert_eq!(f.addr, a);
                            prop_assert_eq!(f.kind, kind);
                        }
                        (g, w) => prop_assert!(false, "read at {addr:#x}: got {g:?}, model {w:?}"),
                    }
                    // The fast typed path must agree with the byte path.
                    if len >= 8 {
                        let typed = mem.read_u64(addr);
                        prop_assert_eq!(typed.is_ok(), model.check(addr, 8, Access::Read).is_ok());
                    }
                }
                _ => {}
            }
        }
    }
}
