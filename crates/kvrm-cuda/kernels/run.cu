// The kernel: one lane (machine) per CUDA thread. Each lane fetches, decodes
// and executes (interp.cu) until it stops or has retired its budget, then
// writes its state and a KvrmLaneStop back. Where the host has translated
// hot blocks into CUDA C (crates/kvrm-cuda/src/translate.rs; the generated
// kvrm_tb_dispatch comes between interp.cu and this file), a lane at a block
// start runs the block instead, while it fits in the budget.

// Copies frames `frames[0..n)` of the pool one after another into `out`, so
// the pages a launch wrote come home in one device-to-host copy.
extern "C" __global__ void kvrm_gather_frames(const u8 *pool, const u32 *frames, u32 n, u8 *out) {
    const u64 per_frame = KVRM_PAGE_SIZE / 8;
    u64 words = (u64)n * per_frame;
    for (u64 i = (u64)blockIdx.x * blockDim.x + threadIdx.x; i < words;
         i += (u64)gridDim.x * blockDim.x) {
        const u64 *src = (const u64 *)(pool + (u64)frames[i / per_frame] * KVRM_PAGE_SIZE);
        ((u64 *)out)[i] = src[i % per_frame];
    }
}

// One piece of a launch's batched uploads (crates/kvrm-cuda/src/layout.rs:
// UploadPiece): `len` bytes (a multiple of 8) from `from` in the uploaded
// buffer to device address `dst`.
struct KvrmUploadPiece {
    u64 dst;
    u64 from;
    u64 len;
};
static_assert(sizeof(KvrmUploadPiece) == 24, "KvrmUploadPiece");

// Puts each of `pieces[0..n)` of `src` where it belongs (pool frames, page
// table slots), so the pages and tables of thousands of spaces go up in one
// host-to-device copy instead of one or more each. A block per piece.
extern "C" __global__ void kvrm_scatter(const KvrmUploadPiece *pieces, u32 n, const u8 *src) {
    for (u32 p = blockIdx.x; p < n; p += gridDim.x) {
        KvrmUploadPiece q = pieces[p];
        u64 *dst = (u64 *)q.dst;
        const u64 *from = (const u64 *)(src + q.from);
        for (u64 i = threadIdx.x; i < q.len / 8; i += blockDim.x) dst[i] = from[i];
    }
}

// KVRM_MIN_BLOCKS: the blocks of 128 lanes each SM should hold at once (it
// bounds the registers per thread; kernels.rs sets it).
#ifndef KVRM_MIN_BLOCKS
#define KVRM_MIN_BLOCKS 1
#endif
extern "C" __global__ void __launch_bounds__(128, KVRM_MIN_BLOCKS) kvrm_run(KvrmCpuState *states, const u32 *lane_machine, u32 nlanes,
                                    const u32 *lane_space, const KvrmSpaceDev *spaces, u8 *pool,
                                    KvrmControl *ctl, KvrmPageEvent *events, u64 *decode_cache,
                                    const u64 *budgets, KvrmLaneStop *stops, u32 gen,
                                    u64 *progress, volatile u64 *host_progress,
                                    const u8 *tb_enabled, const u64 *tb_pages, u32 tb_mask,
                                    KvrmHot *hot, const KvrmDebug *dbg, u32 gate) {
    u32 i = blockIdx.x * blockDim.x + threadIdx.x;
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
    // The lanes of this warp that run (the warp votes below count them).
    u32 warp = __ballot_sync(0xffffffffu, i < nlanes);
    if (__popc(warp) < 2) gate = 0;
#else
    gate = 0;
#endif
    if (i >= nlanes) return;
    u32 m = lane_machine[i];
    KvrmCpuState st = states[m];
    Lane L;
    L.s = &st;
    // (The top bit of a lane's space index: other machines may change the
    // space's memory as the lane runs.)
    L.space_id = lane_space[i] & 0x7fffffffu;
    L.shared = lane_space[i] >> 31;
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
    L.tb_pages = tb_pages;
    L.tb_mask = tb_mask;
    L.code_write = 0;
    L.code_page = 0;
    L.progress = progress;
    L.host_progress = host_progress;
    L.watch = 0;
    L.nwatch = 0;
    L.excl_val = L.excl_val_hi = 0;
    L.excl_known = false;
    // Debugging (breakpoints, watchpoints, trace): the host turns translated
    // blocks off while any is set, so only this loop runs.
    u32 nbps = 0, nwatch = 0, tcap = 0, tn = 0;
    bool step_over = false;
    KvrmTraceRec *trace = 0;
    if (dbg) {
        nbps = dbg->nbps;
        nwatch = dbg->nwatch;
        L.watch = dbg->watch;
        step_over = dbg->step_over && dbg->step_over[i];
        if (dbg->trace && dbg->trace_cap) {
            tcap = dbg->trace_cap;
            trace = dbg->trace + (u64)i * tcap;
        }
    }
    u64 budget = budgets[i], retired = 0, reported = 0, block_retired = 0;
    // At a block boundary (a jump target, a fall-through after a branch, a
    // block exit): where a translated block may start.
    bool boundary = true;
    // The warp gate (`gate` > 0): at a block boundary a lane runs only if its
    // pc is the lowest of the warp's running lanes, or it has sat out `gate`
    // turns. Lanes of one program at different pcs would otherwise run their
    // blocks one after another on every turn, for ever; this way the lanes
    // behind catch up and the warp runs together again where paths join. The
    // age bound keeps a lane spinning at a low pc from starving the others.
    bool live = true;
    u32 waited = 0;
    // The code page being run, kept in registers (mappings do not change
    // during a launch): fetching from it needs no translation.
    u64 code_vpn = ~0ull;
    const u8 *code_frame = 0;
    for (;;) {
        if (retired >= budget) live = false;
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
        if (gate) {
            if (!__any_sync(warp, live)) break;
            u64 lowest = warp_min_u64(warp, live ? st.pc : ~0ull);
            if (!live) continue;
            if (boundary && st.pc != lowest && waited < gate) {
                waited++;
                continue;
            }
            waited = 0;
        } else if (!live) {
            break;
        }
#else
        if (!live) break;
#endif
        if (retired - reported >= PROGRESS_STEP) {
            report_progress(progress, host_progress, retired - reported);
            reported = retired;
        }
        u64 pc = st.pc;
        // Only a jump or a block exit can leave pc unaligned.
        bool check_align = boundary;
        if (boundary) {
            if (tb_enabled) {
                u64 before = retired;
                int r = kvrm_tb_dispatch(L, pc, retired, budget, reported, tb_enabled);
                block_retired += retired - before;
                if (r == TB_STOP) { live = false; continue; }
                if (r == TB_EXIT) {
                    if (L.code_write) {
                        stop_with(L, STOP_CODE_WRITE, 0, L.code_page);
                        live = false;
                        continue;
                    }
                    continue;
                }
            }
            if (hot) count_hot(hot, pc);
        }
        boundary = false;
        KvrmCpuState before;
        if (dbg) {
            // The instruction a run resumes at steps over its checks.
            bool armed = !(step_over && retired == 0);
            if (armed && nbps && is_breakpoint(dbg->bps, nbps, pc)) {
                stop_with(L, STOP_BREAKPOINT, 0, pc);
                live = false;
                continue;
            }
            L.nwatch = armed ? nwatch : 0;
            if (trace) before = st;
        }
        if (check_align && (pc & 3)) {
            fault(L, pc, ACCESS_EXECUTE, FAULT_ALIGNMENT);
            live = false;
            continue;
        }
        if (pc >> KVRM_PAGE_SHIFT != code_vpn) {
            u8 *code = translate(L, pc, ACCESS_EXECUTE, pc);
            if (!code) { live = false; continue; }
            code_vpn = pc >> KVRM_PAGE_SHIFT;
            code_frame = code;
        }
        u32 w = *(const u32 *)(code_frame + (pc & (KVRM_PAGE_SIZE - 1)));
        u32 d = decode(decode_cache, pc, w);
        u32 cls = decoded_class(d), form = decoded_form(d);
        int flow = form ? execute_uniform(L, form, w) : execute_class(L, cls, decoded_id(d), w);
        // Traced: every instruction the CPU backend's tracer sees (those that
        // stop the lane included), not the ones the host or a relaunch runs.
        if (trace && flow != FLOW_NEEDS_HOST &&
            !(flow == FLOW_STOP &&
              (L.stop_kind == STOP_NEEDS_HOST || L.stop_kind == STOP_NEED_FRAMES))) {
            trace_record(&trace[tn % tcap], pc, w, before, st);
            tn++;
        }
        if (flow == FLOW_NEXT) {
            st.pc = pc + 4;
            retired++;
            boundary = cls == KVRM_CLASS_branch_sys;
        } else if (flow == FLOW_JUMP) {
            retired++;
            boundary = true;
        } else {
            if (flow < 0) stop_unhandled(L, flow, decoded_id(d), w);
            else if (flow == FLOW_STOP_RETIRED) retired++;
            live = false;
            continue;
        }
        if (L.code_write) {
            stop_with(L, STOP_CODE_WRITE, 0, L.code_page);
            live = false;
            continue;
        }
    }
    report_progress(progress, host_progress, retired - reported);
    if (retired >= budget && L.stop_kind == STOP_CYCLE_LIMIT) {
        L.stop_aux = 0;
    }
    if (trace) dbg->trace_count[i] = tn;
    states[m] = st;
    KvrmLaneStop s;
    s.kind = L.stop_kind;
    s.aux = L.stop_aux;
    s.addr = L.stop_addr;
    s.retired = retired;
    s.block_retired = block_retired;
    stops[i] = s;
}
