// Exclusives, acquire/release (incl. RCpc) and LSE atomics, mirroring
// crates/kvrm-cpu/src/exec/atomics/. Natural alignment is required (no
// FEAT_LSE2). LSE read-modify-writes and CAS of 1-8 bytes are real device
// atomics (a compare-and-swap loop on the aligned 32- or 64-bit word that
// holds them), so lanes sharing memory see them atomically.
//
// The exclusive monitor is the CPU backend's, (address, size) in the state,
// and more where other machines may change the lane's memory as it runs
// (threads of its address space, processes mapping its MAP_SHARED memory):
// a store-exclusive whose load-exclusive ran in the same launch stores only
// if memory still holds the value that load read (a device compare-and-swap),
// and the host clears such lanes' monitors at every launch's end, as the CPU
// backend does when it preempts a thread. The 16-byte forms (LDXP/STXP and
// CASP of X registers) do the same with a 128-bit compare-and-swap on devices
// that have one (compute capability 9.0 and later); on older devices, and in
// the host build of these kernels, they are a plain read and write, atomic
// only against the lane itself. Acquire and exclusive
// loads read past the SM's L1 (volatile), where a line another SM's lane
// wrote since could be stale; release stores and barriers fence.

#define AOP_ADD 0
#define AOP_CLR 1
#define AOP_EOR 2
#define AOP_SET 3
#define AOP_SMAX 4
#define AOP_SMIN 5
#define AOP_UMAX 6
#define AOP_UMIN 7
#define AOP_SWP 8
#define AOP_CAS 9

__device__ __forceinline__ bool misaligned(Lane &L, u64 addr, u64 size, u32 access) {
    if (addr & (size - 1)) {
        fault(L, addr, access, FAULT_ALIGNMENT);
        return true;
    }
    return false;
}

__device__ __forceinline__ u64 rmw_value(u32 op, u64 old, u64 v, u32 nbits, u64 cmp) {
    switch (op) {
    case AOP_ADD: return old + v;
    case AOP_CLR: return old & ~v;
    case AOP_EOR: return old ^ v;
    case AOP_SET: return old | v;
    case AOP_SMAX: return (i64)sext(old, nbits) >= (i64)sext(v, nbits) ? old : v;
    case AOP_SMIN: return (i64)sext(old, nbits) <= (i64)sext(v, nbits) ? old : v;
    case AOP_UMAX: return old > v ? old : v;
    case AOP_UMIN: return old < v ? old : v;
    case AOP_CAS: return old == cmp ? v : old;
    default: return v; // SWP
    }
}

// Atomically apply `op` to the `size`-byte field at `p` (naturally aligned);
// returns the old field value (zero-extended).
__device__ u64 atomic_field(u8 *p, u32 size, u32 op, u64 v, u64 cmp) {
    u32 nbits = 8 * size;
    u64 mask = ~0ull >> (64 - nbits);
    if (size == 8) {
        u64 *q = (u64 *)p;
        u64 old = *(volatile u64 *)q;
        for (;;) {
            u64 nv = rmw_value(op, old, v, 64, cmp);
            if (op == AOP_CAS && old != cmp) return old;
            u64 seen = atomicCAS((unsigned long long *)q, old, nv);
            if (seen == old) return old;
            old = seen;
        }
    }
    u32 *q = (u32 *)((u64)p & ~3ull);
    u32 shift = 8 * (u32)((u64)p & 3);
    u32 word = *(volatile u32 *)q;
    for (;;) {
        u64 old = (word >> shift) & mask;
        if (op == AOP_CAS && old != cmp) return old;
        u64 nv = rmw_value(op, old, v, nbits, cmp) & mask;
        u32 nw = (word & ~((u32)mask << shift)) | ((u32)nv << shift);
        u32 seen = atomicCAS(q, word, nw);
        if (seen == word) return old;
        word = seen;
    }
}

// 16 bytes that the device swaps as one (aligned as the hardware needs).
struct __align__(16) Pair16 {
    u64 lo, hi;
};

// The naturally aligned 16 bytes at `p`: if they hold (c0, c1), they become
// (n0, n1); (*o0, *o1) gets what they held. One device compare-and-swap where
// the device has 128-bit atomics, else a plain read, compare and write.
__device__ void cas16(u8 *p, u64 c0, u64 c1, u64 n0, u64 n1, u64 *o0, u64 *o1) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
    Pair16 old = atomicCAS((Pair16 *)p, Pair16{c0, c1}, Pair16{n0, n1});
    *o0 = old.lo;
    *o1 = old.hi;
#else
    volatile u64 *q = (volatile u64 *)p;
    *o0 = q[0];
    *o1 = q[1];
    if (*o0 == c0 && *o1 == c1) {
        q[0] = n0;
        q[1] = n1;
    }
#endif
}

// LD<op>/SWP (every size and ordering) and CAS: read permission is checked
// first (a fault is a read fault), then write permission unless a CAS
// compare fails (then nothing is written, as on the CPU backend).
__device__ int exec_atomic_rmw(Lane &L, u32 w, u32 op) {
    u32 size = 1u << bits(w, 30, 2);
    u64 addr = xsp(L, f_rn(w));
    if (misaligned(L, addr, size, ACCESS_WRITE)) return FLOW_STOP;
    if (watched(L, addr, size, ACCESS_READ)) return FLOW_STOP;
    u8 *r = translate(L, addr, ACCESS_READ, addr);
    if (!r) return FLOW_STOP;
    u64 mask = ~0ull >> (64 - 8 * size);
    u32 s = f_rm(w), t = f_rd(w);
    u64 v = (op == AOP_CAS ? xr(L, t) : xr(L, s)) & mask;
    u64 cmp = xr(L, s) & mask;
    u32 off = (u32)(addr & (KVRM_PAGE_SIZE - 1));
    if (L.nwatch && (op != AOP_CAS || load_le(r + off, size) == cmp) &&
        watched(L, addr, size, ACCESS_WRITE))
        return FLOW_STOP; // a CAS whose compare fails writes nothing
    u8 *wp = translate(L, addr, ACCESS_WRITE, addr);
    u64 old;
    if (!wp) {
        if (op != AOP_CAS) return FLOW_STOP;
        // Read-only page: a CAS whose compare fails writes nothing and is fine.
        u64 cur = load_le(r + off, size);
        if (cur == cmp) return FLOW_STOP;
        L.stop_kind = 0; // clear the recorded fault
        old = cur;
    } else {
        old = atomic_field(wp + off, size, op, v, cmp);
    }
    if (op == AOP_CAS) set_xr(L, s, old);
    else set_xr(L, t, old);
    return FLOW_NEXT;
}

// The naturally aligned `size` bytes at `addr`, read as an acquire or
// exclusive load: volatile, so from the device's coherent L2 rather than a
// line of this SM's L1 another SM's lane has written behind, then a fence so
// that later accesses are not seen before it.
// A 16-byte read gives its upper doubleword in `*hi`.
__device__ bool ld_acquire(Lane &L, u64 addr, u32 size, u64 *v, u64 *hi = 0) {
    if (watched(L, addr, size, ACCESS_READ)) return false;
    u8 *b = translate(L, addr, ACCESS_READ, addr);
    if (!b) return false;
    const u8 *p = b + (addr & (KVRM_PAGE_SIZE - 1));
    switch (size) {
    case 1: *v = *(volatile const u8 *)p; break;
    case 2: *v = *(volatile const u16 *)p; break;
    case 4: *v = *(volatile const u32 *)p; break;
    case 8: *v = *(volatile const u64 *)p; break;
    default:
        *v = *(volatile const u64 *)p;
        *hi = *(volatile const u64 *)(p + 8);
        break;
    }
    __threadfence();
    return true;
}

// A store-exclusive of `v` (1-16 bytes, aligned; the upper doubleword of a
// 16-byte one in `v_hi`) whose load-exclusive read `expect` (`expect_hi`) in
// this launch: stores only if memory still holds what that load read.
// `stored` says whether it did; false on a fault (recorded).
__device__ bool st_exclusive(Lane &L, u64 addr, u32 size, u64 v, u64 v_hi, u64 expect,
                             u64 expect_hi, bool *stored) {
    if (watched(L, addr, size, ACCESS_WRITE)) return false;
    u8 *wp = translate(L, addr, ACCESS_WRITE, addr);
    if (!wp) return false;
    u8 *p = wp + (addr & (KVRM_PAGE_SIZE - 1));
    if (size == 16) {
        u64 o0, o1;
        cas16(p, expect, expect_hi, v, v_hi, &o0, &o1);
        *stored = o0 == expect && o1 == expect_hi;
        return true;
    }
    u64 mask = ~0ull >> (64 - 8 * size);
    u64 old = atomic_field(p, size, AOP_CAS, v & mask, expect & mask);
    *stored = old == (expect & mask);
    return true;
}

__device__ int exec_ldxr(Lane &L, u32 w, bool exclusive) {
    u32 size = 1u << bits(w, 30, 2);
    u64 addr = xsp(L, f_rn(w));
    if (misaligned(L, addr, size, ACCESS_READ)) return FLOW_STOP;
    u64 v;
    if (!ld_acquire(L, addr, size, &v)) return FLOW_STOP;
    set_xr(L, f_rd(w), v);
    if (exclusive) {
        L.s->excl_addr = addr;
        L.s->excl_size = size;
        L.excl_val = v;
        L.excl_known = true;
    }
    return FLOW_NEXT;
}

__device__ int exec_stxr(Lane &L, u32 w, bool exclusive) {
    u32 size = 1u << bits(w, 30, 2);
    u64 addr = xsp(L, f_rn(w));
    if (misaligned(L, addr, size, ACCESS_WRITE)) return FLOW_STOP;
    bool pass = !exclusive || (L.s->excl_size == size && L.s->excl_addr == addr);
    __threadfence(); // release: earlier accesses are seen first
    if (pass) {
        if (exclusive && L.shared && L.excl_known) {
            if (!st_exclusive(L, addr, size, xr(L, f_rd(w)), 0, L.excl_val, 0, &pass))
                return FLOW_STOP;
        } else if (!st(L, addr, size, xr(L, f_rd(w)))) {
            return FLOW_STOP;
        }
    }
    if (exclusive) {
        L.s->excl_size = 0;
        L.excl_known = false;
        set_xr(L, f_rm(w), pass ? 0 : 1);
    }
    return FLOW_NEXT;
}

__device__ int exec_ldxp(Lane &L, u32 w) {
    bool wide = bit(w, 30);
    u32 size = wide ? 16 : 8;
    u64 addr = xsp(L, f_rn(w));
    if (misaligned(L, addr, size, ACCESS_READ)) return FLOW_STOP;
    u64 v0, v1 = 0;
    if (!ld_acquire(L, addr, size, &v0, &v1)) return FLOW_STOP;
    set_xr(L, f_rd(w), wide ? v0 : v0 & 0xffffffffull);
    set_xr(L, f_rt2(w), wide ? v1 : v0 >> 32);
    L.s->excl_addr = addr;
    L.s->excl_size = size;
    // What memory held, as it holds it (a pair of words is one doubleword).
    L.excl_val = v0;
    L.excl_val_hi = v1;
    L.excl_known = true;
    return FLOW_NEXT;
}

__device__ int exec_stxp(Lane &L, u32 w) {
    bool wide = bit(w, 30);
    u32 size = wide ? 16 : 8;
    u64 addr = xsp(L, f_rn(w));
    if (misaligned(L, addr, size, ACCESS_WRITE)) return FLOW_STOP;
    bool pass = L.s->excl_size == size && L.s->excl_addr == addr;
    __threadfence(); // release
    if (pass) {
        u64 lo = xr(L, f_rd(w)), hi = xr(L, f_rt2(w));
        u64 v0 = wide ? lo : (lo & 0xffffffffull) | (hi << 32), v1 = wide ? hi : 0;
        if (L.shared && L.excl_known) {
            if (!st_exclusive(L, addr, size, v0, v1, L.excl_val, L.excl_val_hi, &pass))
                return FLOW_STOP;
        } else {
            u8 b[16];
            store_le(b, 8, v0);
            store_le(b + 8, 8, v1);
            if (!mem_write(L, addr, size, b)) return FLOW_STOP;
        }
    }
    L.s->excl_size = 0;
    L.excl_known = false;
    set_xr(L, f_rm(w), pass ? 0 : 1);
    return FLOW_NEXT;
}

// CASP (W or X pairs, Rs and Rt even): read permission first (a fault is a
// read fault), then write permission unless the compare fails.
__device__ int exec_casp(Lane &L, u32 w) {
    u32 s = f_rm(w), t = f_rd(w);
    if ((s & 1) || (t & 1)) return undefined(L, w);
    bool wide = bit(w, 30);
    u32 size = wide ? 16 : 8;
    u64 addr = xsp(L, f_rn(w));
    if (misaligned(L, addr, size, ACCESS_WRITE)) return FLOW_STOP;
    // The compared and new values as memory holds them: two doublewords, or
    // two words in one doubleword.
    u64 cl = xr(L, s), ch = xr(L, s + 1), nl = xr(L, t), nh = xr(L, t + 1);
    u64 c0 = wide ? cl : (cl & 0xffffffffull) | (ch << 32), c1 = wide ? ch : 0;
    u64 n0 = wide ? nl : (nl & 0xffffffffull) | (nh << 32), n1 = wide ? nh : 0;
    if (watched(L, addr, size, ACCESS_READ)) return FLOW_STOP;
    u8 *r = translate(L, addr, ACCESS_READ, addr);
    if (!r) return FLOW_STOP;
    u32 off = (u32)(addr & (KVRM_PAGE_SIZE - 1));
    u64 o0 = load_le(r + off, 8), o1 = wide ? load_le(r + off + 8, 8) : 0;
    bool equal = o0 == c0 && o1 == c1;
    if (L.nwatch && equal && watched(L, addr, size, ACCESS_WRITE)) return FLOW_STOP;
    u8 *wp = translate(L, addr, ACCESS_WRITE, addr);
    if (!wp) {
        // Read-only page: a compare that fails writes nothing and is fine.
        if (equal) return FLOW_STOP;
        L.stop_kind = 0;
    } else if (wide) {
        cas16(wp + off, c0, c1, n0, n1, &o0, &o1);
    } else {
        o0 = atomic_field(wp + off, 8, AOP_CAS, n0, c0);
    }
    set_xr(L, s, wide ? o0 : o0 & 0xffffffffull);
    set_xr(L, s + 1, wide ? o1 : o0 >> 32);
    return FLOW_NEXT;
}

__device__ int exec_rcpc_unscaled(Lane &L, u32 w) {
    u32 sz = bits(w, 30, 2), opc = bits(w, 22, 2);
    if ((opc == 2 && sz == 3) || (opc == 3 && sz >= 2)) return undefined(L, w);
    u32 size = 1u << sz;
    u64 addr = xsp(L, f_rn(w)) + sext(bits(w, 12, 9), 9);
    if (misaligned(L, addr, size, opc == 0 ? ACCESS_WRITE : ACCESS_READ)) return FLOW_STOP;
    if (opc == 0) return st(L, addr, size, xr(L, f_rd(w))) ? FLOW_NEXT : FLOW_STOP;
    u64 v;
    if (!ld(L, addr, size, &v)) return FLOW_STOP;
    if (opc == 2) v = sext(v, 8 * size);
    else if (opc == 3) v = sext(v, 8 * size) & 0xffffffffull;
    set_xr(L, f_rd(w), v);
    return FLOW_NEXT;
}

__device__ __forceinline__ int dispatch_atomics(Lane &L, u32 id, u32 w) {
    switch (id) {
    case KVRM_OP_LDXR: return exec_ldxr(L, w, true);
    case KVRM_OP_STXR: return exec_stxr(L, w, true);
    case KVRM_OP_LDXP: return exec_ldxp(L, w);
    case KVRM_OP_STXP: return exec_stxp(L, w);
    case KVRM_OP_CASP: return exec_casp(L, w);
    case KVRM_OP_LDAR: case KVRM_OP_LDAPR: return exec_ldxr(L, w, false);
    case KVRM_OP_STLR: return exec_stxr(L, w, false);
    case KVRM_OP_CAS: return exec_atomic_rmw(L, w, AOP_CAS);
    case KVRM_OP_RCPC_unscaled: return exec_rcpc_unscaled(L, w);
    case KVRM_OP_LDADD: return exec_atomic_rmw(L, w, AOP_ADD);
    case KVRM_OP_LDCLR: return exec_atomic_rmw(L, w, AOP_CLR);
    case KVRM_OP_LDEOR: return exec_atomic_rmw(L, w, AOP_EOR);
    case KVRM_OP_LDSET: return exec_atomic_rmw(L, w, AOP_SET);
    case KVRM_OP_LDSMAX: return exec_atomic_rmw(L, w, AOP_SMAX);
    case KVRM_OP_LDSMIN: return exec_atomic_rmw(L, w, AOP_SMIN);
    case KVRM_OP_LDUMAX: return exec_atomic_rmw(L, w, AOP_UMAX);
    case KVRM_OP_LDUMIN: return exec_atomic_rmw(L, w, AOP_UMIN);
    case KVRM_OP_SWP: return exec_atomic_rmw(L, w, AOP_SWP);
    default: return -1;
    }
}
