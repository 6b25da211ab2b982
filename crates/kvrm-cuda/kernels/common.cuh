// kvrm CUDA backend: what every instruction class shares. Compiled by NVRTC
// after the generated header (kvrm_isa::cuda_header: KvrmCpuState, decode
// table) and before the class files; the layout of the structs below is
// asserted against the Rust side (crates/kvrm-cuda/src/layout.rs).

typedef unsigned long long u64;
typedef long long i64;
typedef unsigned int u32;
typedef int i32;
typedef unsigned short u16;
typedef unsigned char u8;

#define KVRM_PAGE_SHIFT 12
#define KVRM_PAGE_SIZE 4096ull
#define KVRM_NO_FRAME 0xffffffffu
// A page table entry's frame while one lane claims it (never seen by the host).
#define KVRM_CLAIMING 0xfffffffeu

// Stop kinds (crates/kvrm-cuda/src/layout.rs: StopKind).
#define STOP_CYCLE_LIMIT 0
#define STOP_HALTED 1
#define STOP_SYSCALL 2
#define STOP_FAULT 3
#define STOP_UNDEFINED 4
#define STOP_NEEDS_HOST 5
#define STOP_NEED_FRAMES 6
#define STOP_CODE_WRITE 7
#define STOP_BREAKPOINT 8  // addr = pc
#define STOP_WATCHPOINT 9  // aux = access, addr = lowest watched address accessed

#define ACCESS_READ 0
#define ACCESS_WRITE 1
#define ACCESS_EXECUTE 2
#define FAULT_UNMAPPED 0
#define FAULT_PERMISSION 1
#define FAULT_ALIGNMENT 2

#define PERM_R 1u
#define PERM_W 2u
#define PERM_X 4u

// What an instruction's semantic function tells the loop (as kvrm-cpu's Flow).
#define FLOW_NEXT 0
#define FLOW_JUMP 1
#define FLOW_STOP_RETIRED 2
#define FLOW_STOP 3

// One page-table entry: key = page + 1 (0 = empty slot), the frame in the
// pool (KVRM_NO_FRAME until first touched), the region's permissions, and the
// launch generation of the last device write (to log each written page once).
struct KvrmPte {
    u64 key;
    u32 frame;
    u32 perms;
    u32 gen;
    u32 pad[3];
};

// One address space on the device: an open-addressing hash table of pages.
struct KvrmSpaceDev {
    KvrmPte *table;
    u64 mask; // capacity - 1 (a power of two)
};

// A page event for the host: a frame claimed (kind 0) or a page written (kind 1).
struct KvrmPageEvent {
    u32 space;
    u32 frame;
    u64 page;
    u32 kind;
    u32 pad;
};

// Counters shared by every lane of a launch.
struct KvrmControl {
    u32 frames_next;   // first free frame of the pool
    u32 frames_cap;    // frames in the pool
    u32 events_next;   // events written (may exceed events_cap: then lost)
    u32 events_cap;
    u32 free_next;     // entries of free_list taken (may exceed free_count)
    u32 free_count;
    const u32 *free_list; // frames the host freed, reused before the pool's end
};

// Why a lane stopped (crates/kvrm-cuda/src/layout.rs: LaneStop).
struct KvrmLaneStop {
    u32 kind;
    u32 aux;      // imm (halted/syscall), encoding (undefined/needs host), access|kind<<8 (fault)
    u64 addr;     // fault address; decode id for needs-host
    u64 retired;  // instructions retired in this launch
    u64 block_retired; // ... of them in translated blocks
};

// A watched range (crates/kvrm-cuda/src/layout.rs: Watch): kind bit 0 =
// reads, bit 1 = writes.
struct KvrmWatch {
    u64 addr;
    u64 len;
    u32 kind;
    u32 pad;
};

// One register an instruction wrote, for the trace ring: reg 0-30 = x0-x30,
// 31 = sp, 32 = nzcv, 33 = fpsr, 64 + i = v<i> (lo, hi).
struct KvrmTraceWrite {
    u32 reg;
    u32 pad;
    u64 lo;
    u64 hi;
};
#define TRACE_WRITES 6

// One executed instruction (crates/kvrm-cuda/src/layout.rs: TraceRec):
// nwrites may exceed TRACE_WRITES (then only the first ones are kept).
struct KvrmTraceRec {
    u64 pc;
    u32 word;
    u32 nwrites;
    KvrmTraceWrite w[TRACE_WRITES];
};

// Debugging inputs of a launch (null when none: one test per instruction).
// Breakpoints stop a lane before the instruction at a listed pc; watchpoints
// stop it before a data access that touches a watched byte (the instruction
// does not execute). step_over[lane] != 0: the lane's first instruction runs
// unchecked (it resumes from a breakpoint or watchpoint stop). trace: per
// lane, trace_cap records, trace_count[lane] of them written (a ring).
struct KvrmDebug {
    const u64 *bps;
    const KvrmWatch *watch;
    const u8 *step_over;
    KvrmTraceRec *trace;
    u32 *trace_count;
    u32 nbps;
    u32 nwatch;
    u32 trace_cap;
    u32 pad;
};

// Everything one lane works with.
struct Lane {
    KvrmCpuState *s;
    const KvrmSpaceDev *space;
    u32 space_id;
    u8 *pool;
    KvrmControl *ctl;
    KvrmPageEvent *events;
    u32 gen;
    // One-entry translation caches (mappings do not change during a launch).
    u64 rpage, wpage, xpage;
    u8 *rbase, *wbase, *xbase;
    // The stop being recorded.
    u32 stop_kind, stop_aux;
    u64 stop_addr;
    // Pages holding translated blocks (open-addressing set of page + 1, or
    // null): a store to one ends the lane after its instruction
    // (STOP_CODE_WRITE) so the host can drop the blocks before they run stale.
    const u64 *tb_pages;
    u32 tb_mask;
    u32 code_write;
    u64 code_page;
    // Where a long-running translated loop reports progress (interp.cu).
    u64 *progress;
    volatile u64 *host_progress;
    // Watchpoints checked on data accesses (nwatch 0: none, or stepping over).
    const KvrmWatch *watch;
    u32 nwatch;
    // What the last load-exclusive of this launch read (atomics.cuh): its
    // store-exclusive stores only where memory still holds it, with a device
    // compare-and-swap, so lanes sharing memory see LDXR/STXR pairs atomic.
    // (16-byte pairs: the upper doubleword in excl_val_hi.)
    u64 excl_val, excl_val_hi;
    bool excl_known;
    // Other machines may change this lane's memory as it runs (threads of its
    // address space, processes mapping its MAP_SHARED memory).
    bool shared;
};

__device__ __forceinline__ u32 bits(u32 w, u32 lo, u32 len) { return (w >> lo) & ((1u << len) - 1u); }
__device__ __forceinline__ bool bit(u32 w, u32 n) { return (w >> n) & 1u; }
__device__ __forceinline__ u32 f_rd(u32 w) { return w & 31u; }
__device__ __forceinline__ u32 f_rn(u32 w) { return (w >> 5) & 31u; }
__device__ __forceinline__ u32 f_rt2(u32 w) { return (w >> 10) & 31u; }
__device__ __forceinline__ u32 f_rm(u32 w) { return (w >> 16) & 31u; }
__device__ __forceinline__ u64 sext(u64 x, u32 len) {
    u32 s = 64 - len;
    return (u64)(((i64)(x << s)) >> s);
}

// Register views (31 = XZR or SP).
__device__ __forceinline__ u64 xr(const Lane &L, u32 n) { return n == 31 ? 0ull : L.s->x[n]; }
__device__ __forceinline__ void set_xr(Lane &L, u32 n, u64 v) { if (n != 31) L.s->x[n] = v; }
__device__ __forceinline__ u64 xsp(const Lane &L, u32 n) { return n == 31 ? L.s->sp : L.s->x[n]; }
__device__ __forceinline__ void set_xsp(Lane &L, u32 n, u64 v) {
    if (n == 31) L.s->sp = v; else L.s->x[n] = v;
}

#define NZCV_N (1ull << 31)
#define NZCV_Z (1ull << 30)
#define NZCV_C (1ull << 29)
#define NZCV_V (1ull << 28)

// ConditionHolds from the Arm ARM.
__device__ __forceinline__ bool condition_holds(u32 cond, u64 nzcv) {
    bool n = nzcv & NZCV_N, z = nzcv & NZCV_Z, c = nzcv & NZCV_C, v = nzcv & NZCV_V;
    bool r;
    switch ((cond >> 1) & 7) {
    case 0: r = z; break;
    case 1: r = c; break;
    case 2: r = n; break;
    case 3: r = v; break;
    case 4: r = c && !z; break;
    case 5: r = n == v; break;
    case 6: r = n == v && !z; break;
    default: r = true; break;
    }
    if ((cond & 1) && cond != 15) r = !r;
    return r;
}

// AddWithCarry: result (zero-extended for 32 bits) and NZCV in place.
__device__ __forceinline__ u64 add_with_carry(u64 x, u64 y, bool carry, bool sf, u64 *flags) {
    if (sf) {
        u64 r1 = x + y;
        u64 c1 = r1 < x;
        u64 r = r1 + (u64)carry;
        u64 c2 = r < r1;
        u64 n = r >> 63, z = r == 0, c = c1 | c2, v = ((x ^ r) & (y ^ r)) >> 63;
        *flags = (n << 31) | (z << 30) | (c << 29) | (v << 28);
        return r;
    }
    u64 wide = (u64)(u32)x + (u64)(u32)y + (u64)carry;
    u32 r = (u32)wide;
    u64 n = r >> 31, z = r == 0, c = wide >> 32;
    u64 v = (((u32)x ^ r) & ((u32)y ^ r)) >> 31;
    *flags = (n << 31) | (z << 30) | (c << 29) | (v << 28);
    return r;
}

// ----- stops ---------------------------------------------------------------

__device__ __forceinline__ int stop_with(Lane &L, u32 kind, u32 aux, u64 addr) {
    L.stop_kind = kind;
    L.stop_aux = aux;
    L.stop_addr = addr;
    return FLOW_STOP;
}
__device__ __forceinline__ int undefined(Lane &L, u32 w) { return stop_with(L, STOP_UNDEFINED, w, 0); }
__device__ __forceinline__ int fault(Lane &L, u64 addr, u32 access, u32 kind) {
    return stop_with(L, STOP_FAULT, access | (kind << 8), addr);
}

// ----- guest memory ----------------------------------------------------------

// Does an access of `n` bytes at `addr` touch a watched byte? Then the lane
// stops (STOP_WATCHPOINT, the lowest such address) before the access.
__device__ __noinline__ bool watch_slow(Lane &L, u64 addr, u64 n, u32 access) {
    u32 want = access == ACCESS_READ ? 1u : 2u;
    u64 last = addr + (n - 1);
    if (last < addr) last = ~0ull;
    bool hit = false;
    u64 best = 0;
    for (u32 i = 0; i < L.nwatch; i++) {
        const KvrmWatch &w = L.watch[i];
        if (!(w.kind & want) || w.len == 0) continue;
        u64 wlast = w.addr + (w.len - 1);
        if (wlast < w.addr) wlast = ~0ull;
        if (addr <= wlast && w.addr <= last) {
            u64 a = addr > w.addr ? addr : w.addr;
            if (!hit || a < best) best = a;
            hit = true;
        }
    }
    if (hit) stop_with(L, STOP_WATCHPOINT, access, best);
    return hit;
}
__device__ __forceinline__ bool watched(Lane &L, u64 addr, u64 n, u32 access) {
    return L.nwatch != 0 && n != 0 && watch_slow(L, addr, n, access);
}

__device__ __forceinline__ u64 page_hash(u64 page) { return (page * 0x9e3779b97f4a7c15ull) >> 20; }

__device__ __forceinline__ void log_event(Lane &L, u32 frame, u64 page, u32 kind) {
    u32 i = atomicAdd(&L.ctl->events_next, 1u);
    if (i < L.ctl->events_cap) {
        KvrmPageEvent e;
        e.space = L.space_id;
        e.frame = frame;
        e.page = page;
        e.kind = kind;
        e.pad = 0;
        L.events[i] = e;
    }
}

// Translate `page` for `access`; on success returns the frame's bytes. On
// failure records the stop (fault at `addr`, or out of frames) and returns 0.
// Out of line, as mem_read and mem_write are: inlined into every access of
// every translated block, they made NVRTC's compile of blocks ~7x longer.
__device__ __noinline__ u8 *translate_slow(Lane &L, u64 page, u32 access, u64 addr) {
    const KvrmSpaceDev &sp = *L.space;
    u64 i = page_hash(page) & sp.mask;
    KvrmPte *e;
    for (;;) {
        e = &sp.table[i];
        u64 k = e->key;
        if (k == page + 1) break;
        if (k == 0) {
            fault(L, addr, access, FAULT_UNMAPPED);
            return 0;
        }
        i = (i + 1) & sp.mask;
    }
    u32 need = access == ACCESS_READ ? PERM_R : access == ACCESS_WRITE ? PERM_W : PERM_X;
    if (!(e->perms & need)) {
        fault(L, addr, access, FAULT_PERMISSION);
        return 0;
    }
    u32 frame = *(volatile u32 *)&e->frame;
    while (frame == KVRM_NO_FRAME || frame == KVRM_CLAIMING) {
        // First touch: one lane claims a zeroed frame from the pool while the
        // page's other lanes wait for it. (Each claiming for itself wasted a
        // frame per losing lane: 135,168 lanes on one page emptied the pool.)
        if (frame == KVRM_NO_FRAME &&
            atomicCAS(&e->frame, KVRM_NO_FRAME, KVRM_CLAIMING) == KVRM_NO_FRAME) {
            u32 f;
            u32 k = L.ctl->free_count ? atomicAdd(&L.ctl->free_next, 1u) : ~0u;
            if (k < L.ctl->free_count) {
                // A freed frame still holds its last page: clear it.
                f = L.ctl->free_list[k];
                u64 *p = (u64 *)(L.pool + (u64)f * KVRM_PAGE_SIZE);
                for (u32 j = 0; j < KVRM_PAGE_SIZE / 8; j++) p[j] = 0;
            } else {
                f = atomicAdd(&L.ctl->frames_next, 1u);
                if (f >= L.ctl->frames_cap) {
                    atomicExch(&e->frame, KVRM_NO_FRAME);
                    stop_with(L, STOP_NEED_FRAMES, 0, addr);
                    return 0;
                }
            }
            log_event(L, f, page, 0);
            __threadfence();
            atomicExch(&e->frame, f);
            frame = f;
            break;
        }
        frame = *(volatile u32 *)&e->frame;
    }
    if (access == ACCESS_WRITE && *(volatile u32 *)&e->gen != L.gen) {
        if (atomicExch(&e->gen, L.gen) != L.gen) log_event(L, frame, page, 1);
    }
    return L.pool + (u64)frame * KVRM_PAGE_SIZE;
}

// Is `page` one the translated blocks were built from?
__device__ __forceinline__ bool is_tb_page(const Lane &L, u64 page) {
    if (!L.tb_pages) return false;
    for (u32 i = (u32)page_hash(page) & L.tb_mask;; i = (i + 1) & L.tb_mask) {
        u64 k = L.tb_pages[i];
        if (k == page + 1) return true;
        if (k == 0) return false;
    }
}

// The frame bytes of the page holding `addr` for `access`, or 0 (stop recorded).
__device__ __forceinline__ u8 *translate(Lane &L, u64 addr, u32 access, u64 fault_addr) {
    u64 page = addr >> KVRM_PAGE_SHIFT;
    if (access == ACCESS_READ) {
        if (page == L.rpage) return L.rbase;
        u8 *b = translate_slow(L, page, access, fault_addr);
        if (b) { L.rpage = page; L.rbase = b; }
        return b;
    }
    if (access == ACCESS_WRITE) {
        if (page == L.wpage) return L.wbase;
        u8 *b = translate_slow(L, page, access, fault_addr);
        if (b) {
            if (is_tb_page(L, page)) {
                // Not cached: every store to this page must be seen.
                L.code_write = 1;
                L.code_page = page;
            } else {
                L.wpage = page;
                L.wbase = b;
            }
        }
        return b;
    }
    if (page == L.xpage) return L.xbase;
    u8 *b = translate_slow(L, page, access, fault_addr);
    if (b) { L.xpage = page; L.xbase = b; }
    return b;
}

// Read `n` bytes (n <= 64) at `addr` into `out`: any alignment, may cross
// pages; a fault leaves `out` partly written but changes no guest state.
__device__ __noinline__ bool mem_read(Lane &L, u64 addr, u32 n, u8 *out, u32 access = ACCESS_READ) {
    if (n == 0) return true;
    if (watched(L, addr, n, ACCESS_READ)) return false;
    if (addr + (u64)(n - 1) < addr) {
        fault(L, addr, access, FAULT_UNMAPPED);
        return false;
    }
    u32 done = 0;
    while (done < n) {
        u64 a = addr + done;
        u32 off = (u32)(a & (KVRM_PAGE_SIZE - 1));
        u32 k = min((u32)KVRM_PAGE_SIZE - off, n - done);
        u8 *b = translate(L, a, ACCESS_READ, a);
        if (!b) {
            if (access != ACCESS_READ && L.stop_kind == STOP_FAULT) L.stop_aux = access | (L.stop_aux & 0xff00);
            return false;
        }
        for (u32 j = 0; j < k; j++) out[done + j] = b[off + j];
        done += k;
    }
    return true;
}

// Write `n` bytes (n <= 64) at `addr`: every page is checked first, so a
// faulting write changes nothing.
__device__ __noinline__ bool mem_write(Lane &L, u64 addr, u32 n, const u8 *in) {
    if (n == 0) return true;
    if (watched(L, addr, n, ACCESS_WRITE)) return false;
    u64 last = addr + (u64)(n - 1);
    if (last < addr) {
        fault(L, addr, ACCESS_WRITE, FAULT_UNMAPPED);
        return false;
    }
    u8 *first = translate(L, addr, ACCESS_WRITE, addr);
    if (!first) return false;
    u64 p0 = addr >> KVRM_PAGE_SHIFT, p1 = last >> KVRM_PAGE_SHIFT;
    u8 *second = first;
    if (p1 != p0) {
        second = translate(L, p1 << KVRM_PAGE_SHIFT, ACCESS_WRITE, p1 << KVRM_PAGE_SHIFT);
        if (!second) return false;
    }
    u32 off = (u32)(addr & (KVRM_PAGE_SIZE - 1));
    for (u32 j = 0; j < n; j++) {
        u32 o = off + j;
        if (o < KVRM_PAGE_SIZE) first[o] = in[j];
        else second[o - KVRM_PAGE_SIZE] = in[j];
    }
    return true;
}

// Typed little-endian accesses of 1, 2, 4 or 8 bytes (aligned ones in one access).
__device__ __forceinline__ bool ld(Lane &L, u64 addr, u32 size, u64 *v) {
    if (watched(L, addr, size, ACCESS_READ)) return false;
    u32 off = (u32)(addr & (KVRM_PAGE_SIZE - 1));
    if ((addr & (size - 1)) == 0) {
        u8 *b = translate(L, addr, ACCESS_READ, addr);
        if (!b) return false;
        switch (size) {
        case 1: *v = b[off]; break;
        case 2: *v = *(const u16 *)(b + off); break;
        case 4: *v = *(const u32 *)(b + off); break;
        default: *v = *(const u64 *)(b + off); break;
        }
        return true;
    }
    u8 buf[8];
    if (!mem_read(L, addr, size, buf)) return false;
    u64 r = 0;
    for (u32 j = 0; j < size; j++) r |= (u64)buf[j] << (8 * j);
    *v = r;
    return true;
}

__device__ __forceinline__ bool st(Lane &L, u64 addr, u32 size, u64 v) {
    if (watched(L, addr, size, ACCESS_WRITE)) return false;
    if ((addr & (size - 1)) == 0) {
        u32 off = (u32)(addr & (KVRM_PAGE_SIZE - 1));
        u8 *b = translate(L, addr, ACCESS_WRITE, addr);
        if (!b) return false;
        switch (size) {
        case 1: b[off] = (u8)v; break;
        case 2: *(u16 *)(b + off) = (u16)v; break;
        case 4: *(u32 *)(b + off) = (u32)v; break;
        default: *(u64 *)(b + off) = v; break;
        }
        return true;
    }
    u8 buf[8];
    for (u32 j = 0; j < size; j++) buf[j] = (u8)(v >> (8 * j));
    return mem_write(L, addr, size, buf);
}

__device__ __forceinline__ u64 load_le(const u8 *b, u32 n) {
    u64 r = 0;
    for (u32 j = 0; j < n; j++) r |= (u64)b[j] << (8 * j);
    return r;
}
__device__ __forceinline__ void store_le(u8 *b, u32 n, u64 v) {
    for (u32 j = 0; j < n; j++) b[j] = (u8)(v >> (8 * j));
}

// Progress of a launch, readable by the host while it runs: lanes add what
// they retired to a device counter every PROGRESS_STEP instructions (and at
// the end), and store the sum into host-mapped pinned memory. Stores from
// different lanes may land out of order; the host keeps the largest value.
#define PROGRESS_STEP 65536ull

__device__ __forceinline__ void report_progress(u64 *progress, volatile u64 *host, u64 n) {
    if (n == 0) return;
    u64 total = atomicAdd((unsigned long long *)progress, (unsigned long long)n) + n;
    if (host) {
        *host = total;
        __threadfence_system();
    }
}

// What a translated block (or the dispatcher, kvrm_tb_dispatch, generated by
// crates/kvrm-cuda/src/translate.rs) tells the loop.
#define TB_NONE 0   // no block at this pc: interpret
#define TB_EXIT 1   // left the block with the state exact at the new pc
#define TB_STOP 2   // the lane stops (the stop is recorded in L)

static_assert(sizeof(KvrmPte) == 32, "KvrmPte");
static_assert(sizeof(KvrmSpaceDev) == 16, "KvrmSpaceDev");
static_assert(sizeof(KvrmPageEvent) == 24, "KvrmPageEvent");
static_assert(sizeof(KvrmControl) == 32, "KvrmControl");
static_assert(sizeof(KvrmLaneStop) == 32, "KvrmLaneStop");
static_assert(sizeof(KvrmWatch) == 24, "KvrmWatch");
static_assert(sizeof(KvrmTraceRec) == 160, "KvrmTraceRec");
static_assert(sizeof(KvrmDebug) == 56, "KvrmDebug");
