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

// Decoding is a pure function of the word: memoise it in a table every lane
// shares (entries are (word << 32) | (id + 1); 0 is empty; racing writers
// store the same value).
__device__ __forceinline__ u32 decode(u64 *cache, u32 w) {
    u32 h = (w * 2654435761u) >> (32 - DECODE_CACHE_BITS);
    u64 e = *(volatile u64 *)&cache[h];
    if ((u32)(e >> 32) == w && (u32)e != 0) return (u32)e - 1;
    u32 id = decode_scan(w);
    *(volatile u64 *)&cache[h] = ((u64)w << 32) | (u64)(id + 1);
    return id;
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

__device__ __forceinline__ int execute(Lane &L, u32 id, u32 w) {
    if (id == 0xffff) return undefined(L, w);
    u32 cls = kvrm_op_class(id);
    int f;
    switch (cls) {
    case KVRM_CLASS_dp_imm: f = dispatch_dp_imm(L, id, w); break;
    case KVRM_CLASS_dp_reg: f = dispatch_dp_reg(L, id, w); break;
    case KVRM_CLASS_branch_sys: f = dispatch_branch_sys(L, id, w); break;
    case KVRM_CLASS_ldst: f = dispatch_ldst(L, cls, w); break;
    case KVRM_CLASS_atomics: f = dispatch_atomics(L, id, w); break;
    case KVRM_CLASS_simd_perm: f = dispatch_simd_perm(L, id, w); break;
    case KVRM_CLASS_simd_int: f = dispatch_simd_int(L, id, w); break;
    case KVRM_CLASS_simd_ldst: f = dispatch_simd_ldst(L, id, w); break;
    case KVRM_CLASS_simd_fp: f = dispatch_simd_fp(L, id, w); break;
    case KVRM_CLASS_fp: f = dispatch_fp(L, id, w); break;
    default: f = -1; break;
    }
    if (f < 0) return stop_with(L, STOP_NEEDS_HOST, w, id);
    return f;
}

extern "C" __global__ void __launch_bounds__(128) kvrm_run(KvrmCpuState *states, const u32 *lane_machine, u32 nlanes,
                                    const u32 *lane_space, const KvrmSpaceDev *spaces, u8 *pool,
                                    KvrmControl *ctl, KvrmPageEvent *events, u64 *decode_cache,
                                    const u64 *budgets, KvrmLaneStop *stops, u32 gen,
                                    u64 *progress, volatile u64 *host_progress) {
    u32 i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= nlanes) return;
    u32 m = lane_machine[i];
    KvrmCpuState st = states[m];
    Lane L;
    L.s = &st;
    L.space_id = lane_space[i];
    L.space = &spaces[L.space_id];
    L.pool = pool;
    L.ctl = ctl;
    L.events = events;
    L.gen = gen;
    L.rpage = L.wpage = L.xpage = ~0ull;
    L.rbase = L.wbase = L.xbase = 0;
    L.stop_kind = STOP_CYCLE_LIMIT;
    L.stop_aux = 0;
    L.stop_addr = 0;
    u64 budget = budgets[i], retired = 0, reported = 0;
    while (retired < budget) {
        if (retired - reported >= PROGRESS_STEP) {
            report_progress(progress, host_progress, retired - reported);
            reported = retired;
        }
        u64 pc = st.pc;
        if (pc & 3) {
            fault(L, pc, ACCESS_EXECUTE, FAULT_ALIGNMENT);
            break;
        }
        u8 *code = translate(L, pc, ACCESS_EXECUTE, pc);
        if (!code) break;
        u32 w = *(const u32 *)(code + (pc & (KVRM_PAGE_SIZE - 1)));
        u32 id = decode(decode_cache, w);
        int flow = execute(L, id, w);
        if (flow == FLOW_NEXT) {
            st.pc = pc + 4;
            retired++;
        } else if (flow == FLOW_JUMP) {
            retired++;
        } else {
            if (flow == FLOW_STOP_RETIRED) retired++;
            break;
        }
    }
    report_progress(progress, host_progress, retired - reported);
    if (retired >= budget && L.stop_kind == STOP_CYCLE_LIMIT) {
        L.stop_aux = 0;
    }
    states[m] = st;
    KvrmLaneStop s;
    s.kind = L.stop_kind;
    s.aux = L.stop_aux;
    s.addr = L.stop_addr;
    s.retired = retired;
    s.pad = 0;
    stops[i] = s;
}
