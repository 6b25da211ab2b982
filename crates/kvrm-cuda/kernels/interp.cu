// The interpreter kernel: one lane (machine) per CUDA thread. Each lane
// fetches, decodes (through a decode memo shared by all lanes) and executes
// until it stops or has retired its budget, then writes its state and a
// KvrmLaneStop back. Encodings no class file implements stop the lane as
// "needs host": the host runs exactly that instruction on the CPU backend
// and resumes the lane.

#define DECODE_CACHE_BITS 16

// The instruction id of `w`, or 0xffff: the header lists the entries in the
// CPU decoder's priority order, so the first match is the decoder's answer.
__device__ u32 decode_scan(u32 w) {
    for (u32 i = 0; i < KVRM_OP_COUNT; i++) {
        if ((w & KVRM_DECODE[i].mask) == KVRM_DECODE[i].value) {
            return KVRM_DECODE[i].op;
        }
    }
    return 0xffff;
}

// The class of a word no entry matches (id 0xffff).
#define CLASS_UNDEFINED 0xfeu
__device__ __forceinline__ u32 class_of(u32 id) {
    return id == 0xffff ? CLASS_UNDEFINED : kvrm_op_class(id);
}

// A decoded word: the instruction id in bits 0-15, its class in bits 16-23,
// its uniform form (uniform.cuh) in bits 24-30, bit 31 set so no entry is 0.
__device__ __forceinline__ u32 decoded_id(u32 d) { return d & 0xffffu; }
__device__ __forceinline__ u32 decoded_class(u32 d) { return (d >> 16) & 0xffu; }
__device__ __forceinline__ u32 decoded_form(u32 d) { return (d >> 24) & 0x7fu; }

// The memo's slot for the word at `pc`. Neighbouring instructions take
// neighbouring slots, so one lane walking its code, or the lanes of a warp
// at different pcs of one function, read few cache lines (slots hashed from
// the word cost a line per instruction); code a table's span apart lands on
// slots offset by a hash of its higher pc bits, not on the same ones.
__device__ __forceinline__ u32 decode_slot(u64 pc) {
    u32 span = (u32)(pc >> (2 + DECODE_CACHE_BITS));
    return ((u32)(pc >> 2) + span * 2654435761u) & ((1u << DECODE_CACHE_BITS) - 1);
}

// Decoding is a pure function of the word: memoise it, with the class, in a
// table every lane shares (entries are (word << 32) | decoded; 0 is empty;
// racing writers store the same value; the word is the tag, so whatever pc
// filled a slot, a hit is the decoder's answer), so the loop goes from a hit
// straight to the class's dispatch.
__device__ __forceinline__ u32 decode(u64 *cache, u64 pc, u32 w) {
    u32 h = decode_slot(pc);
    // A plain (L1-cached) load: a stale entry is empty or holds the same
    // value, since the id is a function of the word.
    u64 e = cache[h];
    if ((u32)(e >> 32) == w && (u32)e != 0) return (u32)e;
    u32 id = decode_scan(w);
    u32 d = 0x80000000u | (uniform_form(id, w) << 24) | (class_of(id) << 16) | id;
    cache[h] = ((u64)w << 32) | (u64)d;
    return d;
}

// What execute_class answers besides FLOW_*: no entry matched the word, or
// the class file lacks the instruction (the host runs it).
#define FLOW_UNDEFINED (-2)
#define FLOW_NEEDS_HOST (-1)

// Run instruction `id` of class `cls` (word `w`). The stop for a negative
// answer is the caller's (stop_unhandled), so that in the loop every
// instruction's path joins at one place instead of at nested ones, each of
// which costs a lane a reconvergence barrier per instruction.
__device__ __forceinline__ int execute_class(Lane &L, u32 cls, u32 id, u32 w) {
    switch (cls) {
    case KVRM_CLASS_dp_imm: return dispatch_dp_imm(L, id, w);
    case KVRM_CLASS_dp_reg: return dispatch_dp_reg(L, id, w);
    case KVRM_CLASS_branch_sys: return dispatch_branch_sys(L, id, w);
    case KVRM_CLASS_ldst: return dispatch_ldst(L, cls, w);
    case KVRM_CLASS_atomics: return dispatch_atomics(L, id, w);
    case KVRM_CLASS_simd_perm: return dispatch_simd_perm(L, id, w);
    case KVRM_CLASS_simd_int: return dispatch_simd_int(L, id, w);
    case KVRM_CLASS_simd_ldst: return dispatch_simd_ldst(L, id, w);
    case KVRM_CLASS_simd_fp: return dispatch_simd_fp(L, id, w);
    case KVRM_CLASS_fp: return dispatch_fp(L, id, w);
    case KVRM_CLASS_crypto: return dispatch_crypto(L, id, w);
    case CLASS_UNDEFINED: return FLOW_UNDEFINED;
    default: return FLOW_NEEDS_HOST;
    }
}

// Record the stop for execute_class's negative answer `f`.
__device__ __forceinline__ int stop_unhandled(Lane &L, int f, u32 id, u32 w) {
    return f == FLOW_UNDEFINED ? undefined(L, w) : stop_with(L, STOP_NEEDS_HOST, w, id);
}

__device__ __forceinline__ int execute(Lane &L, u32 id, u32 w) {
    u32 form = uniform_form(id, w);
    int f = form ? execute_uniform(L, form, w) : execute_class(L, class_of(id), id, w);
    return f < 0 ? stop_unhandled(L, f, id, w) : f;
}

// One instruction for a translated block's fallback (not inlined into every
// block that has one).
__device__ __noinline__ int execute_one(Lane &L, u32 id, u32 w) { return execute(L, id, w); }


// Counts of entries into untranslated block starts, for the host to pick
// blocks worth translating (KvrmHot: crates/kvrm-cuda/src/layout.rs).
struct KvrmHot {
    u64 pc;
    u32 count;
    u32 pad;
};
#define HOT_BITS 12

// Lanes of a warp at the same pc (the usual case: lanes run one program)
// add to its counter once, together: one atomic per warp instead of 32 on
// one address. Counts stop near 2^31 instead of wrapping to small.
__device__ __forceinline__ void count_hot(KvrmHot *hot, u64 pc) {
    u32 h = (u32)((pc >> 2) * 2654435761u) >> (32 - HOT_BITS);
#ifdef __CUDA_ARCH__
    u32 peers = __match_any_sync(__activemask(), pc);
    if ((threadIdx.x & 31) != (u32)(__ffs(peers) - 1)) return;
    u32 n = __popc(peers);
#else
    u32 n = 1;
#endif
    if (hot[h].pc != pc) hot[h].pc = pc; // racy: a heuristic only
    if (hot[h].count < 0x80000000u) atomicAdd(&hot[h].count, n);
}


#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
// The least of `x` over the lanes of `mask` (all of which call this).
__device__ __forceinline__ u64 warp_min_u64(u32 mask, u64 x) {
    u32 hi = __reduce_min_sync(mask, (u32)(x >> 32));
    u32 lo = __reduce_min_sync(mask, (u32)(x >> 32) == hi ? (u32)x : 0xffffffffu);
    return ((u64)hi << 32) | lo;
}
#endif

// Is `pc` one of the breakpoints?
__device__ __noinline__ bool is_breakpoint(const u64 *bps, u32 n, u64 pc) {
    for (u32 k = 0; k < n; k++)
        if (bps[k] == pc) return true;
    return false;
}

__device__ __forceinline__ void trace_write(KvrmTraceRec *r, u32 reg, u64 lo, u64 hi) {
    if (r->nwrites < TRACE_WRITES) {
        KvrmTraceWrite &t = r->w[r->nwrites];
        t.reg = reg;
        t.pad = 0;
        t.lo = lo;
        t.hi = hi;
    }
    r->nwrites++;
}

// Record an instruction and the registers it changed, in the order the
// CLI's --trace prints them (x, sp, nzcv, v, fpsr).
__device__ __noinline__ void trace_record(KvrmTraceRec *r, u64 pc, u32 w, const KvrmCpuState &b,
                                          const KvrmCpuState &a) {
    r->pc = pc;
    r->word = w;
    r->nwrites = 0;
    for (u32 k = 0; k < 31; k++)
        if (a.x[k] != b.x[k]) trace_write(r, k, a.x[k], 0);
    if (a.sp != b.sp) trace_write(r, 31, a.sp, 0);
    if (a.nzcv != b.nzcv) trace_write(r, 32, a.nzcv, 0);
    for (u32 k = 0; k < 32; k++)
        if (a.v[k][0] != b.v[k][0] || a.v[k][1] != b.v[k][1]) trace_write(r, 64 + k, a.v[k][0], a.v[k][1]);
    if (a.fpsr != b.fpsr) trace_write(r, 33, a.fpsr, 0);
}
