//! The kernel source (the generated kvrm-isa header, a class map, and the
//! CUDA files in `kernels/`, one per instruction class) and its compilation
//! with NVRTC, cached on disk by a hash of source, options and device.

use std::fmt::Write as _;
use std::path::PathBuf;

use kvrm_isa::table::CLASSES;

use crate::driver;
use crate::error::CudaError;

/// The kernel files in the order they are compiled.
pub const KERNEL_FILES: &[(&str, &str)] = &[
    ("common.cuh", include_str!("../kernels/common.cuh")),
    ("dp_imm.cuh", include_str!("../kernels/dp_imm.cuh")),
    ("dp_reg.cuh", include_str!("../kernels/dp_reg.cuh")),
    ("branch_sys.cuh", include_str!("../kernels/branch_sys.cuh")),
    ("ldst.cuh", include_str!("../kernels/ldst.cuh")),
    ("atomics.cuh", include_str!("../kernels/atomics.cuh")),
    ("fpcore.cuh", include_str!("../kernels/fpcore.cuh")),
    ("fp.cuh", include_str!("../kernels/fp.cuh")),
    ("simd_perm.cuh", include_str!("../kernels/simd_perm.cuh")),
    ("simd_int.cuh", include_str!("../kernels/simd_int.cuh")),
    ("simd_fp.cuh", include_str!("../kernels/simd_fp.cuh")),
    ("simd_ldst.cuh", include_str!("../kernels/simd_ldst.cuh")),
    ("crypto.cuh", include_str!("../kernels/crypto.cuh")),
    ("uniform.cuh", include_str!("../kernels/uniform.cuh")),
    ("interp.cu", include_str!("../kernels/interp.cu")),
];

/// The kernel's main loop; it comes after the translated blocks.
const RUN_FILE: (&str, &str) = ("run.cu", include_str!("../kernels/run.cu"));

/// The class of each instruction, by the header's `KVRM_OP_<name>` ids, so
/// the kernel dispatches by class whatever order the header lists entries in.
fn class_map() -> String {
    let mut s = String::new();
    for (i, (class, _)) in CLASSES.iter().enumerate() {
        let _ = writeln!(s, "#define KVRM_CLASS_{class} {i}");
    }
    s.push_str("__device__ __forceinline__ unsigned int kvrm_op_class(unsigned int id) {\n    switch (id) {\n");
    for (i, (_, entries)) in CLASSES.iter().enumerate() {
        for e in entries.iter() {
            let _ = writeln!(s, "    case KVRM_OP_{}:", e.name);
        }
        let _ = writeln!(s, "        return {i};");
    }
    s.push_str("    default: return 255;\n    }\n}\n");
    s
}

/// The whole translation unit NVRTC compiles.
pub fn kernel_source() -> String {
    kernel_source_with(
        &crate::translate::emit_module(&[], 0),
        Some(INTERPRETER_MIN_BLOCKS),
    )
}

/// Blocks of 128 lanes per SM the interpreter kernel is compiled for: 128
/// registers per lane (a few spilled). On an H100 (2026-12-07) CoreMark on
/// 67,584 lanes spent 7.3 s in kernels this way and 10.4 s with the
/// compiler's choice (251 registers, 2 blocks: the lanes ran in two waves);
/// one lane and 16,896 lanes ran as fast either way.
const INTERPRETER_MIN_BLOCKS: u32 = 4;

/// The kernel with `blocks` (CUDA C from [`crate::translate::emit_module`])
/// between the interpreter and its main loop, compiled for `min_blocks`
/// blocks per SM (`None`: the compiler's choice) unless
/// `KVRM_CUDA_MIN_BLOCKS` says otherwise.
fn kernel_source_with(blocks: &str, min_blocks: Option<u32>) -> String {
    let mut src = kvrm_isa::cuda_header::cuda_header();
    src.push('\n');
    if let Some(n) = min_blocks_from_env().or(min_blocks) {
        let _ = writeln!(src, "#define KVRM_MIN_BLOCKS {n}");
    }
    src.push_str(&class_map());
    for (name, text) in KERNEL_FILES {
        let _ = writeln!(src, "\n// ----- {name} -----");
        src.push_str(text);
    }
    src.push_str("\n// ----- translated blocks -----\n");
    src.push_str(blocks);
    let _ = writeln!(src, "\n// ----- {} -----", RUN_FILE.0);
    src.push_str(RUN_FILE.1);
    src
}

/// `KVRM_CUDA_MIN_BLOCKS=N` (1-16): ask the compiler to fit N blocks of
/// 128 lanes on each SM at once, bounding its registers per thread (more
/// resident warps hide more latency; fewer registers spill more), for
/// measuring.
fn min_blocks_from_env() -> Option<u32> {
    std::env::var("KVRM_CUDA_MIN_BLOCKS")
        .ok()?
        .parse()
        .ok()
        .filter(|n| (1..=16).contains(n))
}

/// What the interpreter of a linked build has in place of the blocks: the
/// dispatcher comes from a block module compiled on its own
/// ([`blocks_source`]), and the block module's fallbacks call back into
/// this interpreter. The two meet through C names, since each module has its
/// own copy of the types.
const LINKED_INTERPRETER_GLUE: &str = r#"
extern "C" __device__ int kvrm_tb_dispatch_linked(void *lane, u64 pc, u64 *retired, u64 budget,
                                                  u64 *reported, const u8 *enabled);
__device__ __forceinline__ int kvrm_tb_dispatch(Lane &L, u64 pc, u64 &retired, u64 budget,
                                                u64 &reported, const u8 *enabled) {
    return kvrm_tb_dispatch_linked(&L, pc, &retired, budget, &reported, enabled);
}
extern "C" __device__ __noinline__ int kvrm_execute_one_linked(void *lane, u32 id, u32 w) {
    return execute_one(*(Lane *)lane, id, w);
}
"#;

/// The interpreter of a linked build: compiled once (relocatable, to a
/// cubin, cached on disk), then linked with each round's block module, so a
/// round of translation compiles only its blocks.
pub fn linked_interpreter_source() -> String {
    // The compiler's choice: the linked block modules' registers count too.
    kernel_source_with(LINKED_INTERPRETER_GLUE, None)
}

/// Round `round`'s block module for [`linked_interpreter_source`]:
/// `blocks`, numbered from `first` (as CUDA C from
/// [`crate::translate::emit_blocks`], inlined into their entry points), with
/// the memory access code of `common.cuh`,
/// all in a namespace of the round's own so nothing clashes with the
/// interpreter's copy or another round's at link time; the interpreter runs
/// their fallbacks. Block `n` is entered through the C function
/// `kvrm_tb_entry_<n>`, which the dispatcher ([`dispatch_source`]) calls.
pub fn blocks_source(blocks: &[kvrm_ir::Block], first: usize, round: usize) -> String {
    let ns = format!("kvrm_blocks_r{round}");
    let mut src = format!("namespace {ns} {{\n");
    src.push_str(&header_without_decode_table());
    let _ = writeln!(src, "\n// ----- {} -----", KERNEL_FILES[0].0);
    src.push_str(KERNEL_FILES[0].1);
    src.push_str(
        r#"
extern "C" __device__ int kvrm_execute_one_linked(void *lane, u32 id, u32 w);
__device__ __forceinline__ int execute_one(Lane &L, u32 id, u32 w) {
    return kvrm_execute_one_linked(&L, id, w);
}
// ----- translated blocks -----
"#,
    );
    src.push_str(&crate::translate::emit_blocks(
        blocks,
        first,
        "__forceinline__",
    ));
    let _ = writeln!(src, "\n}} // namespace {ns}");
    for n in first..first + blocks.len() {
        let _ = writeln!(
            src,
            "extern \"C\" __device__ int kvrm_tb_entry_{n}({ENTRY_ARGS}) {{\n    \
             return {ns}::kvrm_tb_{n}(*({ns}::Lane *)lane, *retired, budget, *reported);\n}}"
        );
    }
    src
}

/// The parameters of a block's C entry point.
const ENTRY_ARGS: &str = "void *lane, unsigned long long *retired, unsigned long long budget, \
                          unsigned long long *reported";

/// The generated header without its decode table: blocks do not decode,
/// and a copy of the table (in constant memory) per linked block module
/// would pass the 64 KiB of constant data a linked module may hold.
fn header_without_decode_table() -> String {
    let header = kvrm_isa::cuda_header::cuda_header();
    let start = header
        .find("__constant__ const KvrmDecodeEntry KVRM_DECODE")
        .expect("the header has a decode table");
    let end = start + header[start..].find("};\n").expect("the table ends") + 3;
    format!("{}{}", &header[..start], &header[end..])
}

/// The module that ties the block modules to the interpreter: its
/// `kvrm_tb_dispatch_linked` is one `switch` over every block so far, given
/// as (start, guest length) in engine order, calling their C entry points
/// (in whichever round's module each is). Small: it is compiled again each
/// round, while a round's block module holds only the blocks new in it.
pub fn dispatch_source(blocks: &[(u64, u32)]) -> String {
    let mut src = String::from("#define TB_NONE 0\n");
    for n in 0..blocks.len() {
        let _ = writeln!(
            src,
            "extern \"C\" __device__ int kvrm_tb_entry_{n}({ENTRY_ARGS});"
        );
    }
    src.push_str(
        "extern \"C\" __device__ int kvrm_tb_dispatch_linked(void *lane, unsigned long long pc, \
         unsigned long long *retired_at, unsigned long long budget, unsigned long long *reported, \
         const unsigned char *enabled) {\n    unsigned long long retired = *retired_at;\n",
    );
    src.push_str(&crate::translate::dispatch_switch(blocks, 0, |n| {
        format!("kvrm_tb_entry_{n}(lane, retired_at, budget, reported)")
    }));
    src.push_str("}\n");
    src
}

/// FNV-1a, 64 bits: a stable hash for cache keys.
fn fnv1a(parts: &[&str]) -> u64 {
    let mut h = 0xcbf2_9ce4_8422_2325u64;
    for p in parts {
        for b in p.bytes().chain(std::iter::once(0)) {
            h ^= b as u64;
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    h
}

fn cache_dir() -> Option<PathBuf> {
    if let Some(d) = std::env::var_os("KVRM_CUDA_CACHE") {
        return Some(PathBuf::from(d));
    }
    if let Some(d) = std::env::var_os("XDG_CACHE_HOME") {
        return Some(PathBuf::from(d).join("kvrm/cuda"));
    }
    if let Some(d) = std::env::var_os("HOME") {
        return Some(PathBuf::from(d).join(".cache/kvrm/cuda"));
    }
    Some(std::env::temp_dir().join("kvrm-cuda-cache"))
}

/// PTX of the interpreter for `arch`, from the disk cache or NVRTC.
/// Returns the PTX and whether it came from the cache.
pub fn interpreter_ptx(arch: &'static str) -> Result<(String, bool), CudaError> {
    module_ptx(&kernel_source(), arch)
}

/// PTX for the kernel source `src` (from the disk cache if it was compiled
/// before for this architecture, on any machine: the cache can be filled
/// where no GPU is); the flag says whether it came from the cache.
pub fn module_ptx(src: &str, arch: &'static str) -> Result<(String, bool), CudaError> {
    let (bytes, cached) = cached(&ptx_cache_name(src, arch), || {
        driver::compile_ptx(src, arch, "kvrm_interp.cu").map(String::into_bytes)
    })?;
    let ptx = String::from_utf8(bytes)
        .map_err(|_| CudaError::Compile("a cached PTX file is not text".into()))?;
    Ok((ptx, cached))
}

/// Drop the interpreter's cached PTX for `arch` and compile it again: for a
/// cached module the driver would not load (made by an NVRTC newer than the
/// driver, on another machine).
pub fn recompile_interpreter_ptx(arch: &'static str) -> Result<String, CudaError> {
    let src = kernel_source();
    if let Some(d) = cache_dir() {
        let _ = std::fs::remove_file(d.join(ptx_cache_name(&src, arch)));
    }
    module_ptx(&src, arch).map(|(ptx, _)| ptx)
}

/// The cache file of the PTX of `src` for `arch`.
fn ptx_cache_name(src: &str, arch: &str) -> String {
    let key = fnv1a(&[src, driver::PTX_OPTIONS, arch]);
    format!("kvrm-interp-{key:016x}.ptx")
}

/// A relocatable cubin for `src` on `arch` (from the disk cache if this
/// source was compiled before for that architecture); the flag says whether
/// it came from the cache.
pub fn module_cubin(src: &str, arch: &'static str) -> Result<(Vec<u8>, bool), CudaError> {
    // Keyed by NVRTC's version too: the driver links cubins made by another
    // NVRTC badly or not at all, and block modules are compiled where they run.
    let nvrtc = format!("{:?}", driver::nvrtc_version());
    let key = fnv1a(&[src, driver::CUBIN_OPTIONS, arch, &nvrtc]);
    cached(&format!("kvrm-{key:016x}.cubin"), || {
        driver::compile_cubin(src, arch, "kvrm_module.cu")
    })
}

/// The file `name` of the disk cache, or what `build` makes (then stored
/// there); the flag says whether it came from the cache.
fn cached(
    name: &str,
    build: impl FnOnce() -> Result<Vec<u8>, CudaError>,
) -> Result<(Vec<u8>, bool), CudaError> {
    let path = cache_dir().map(|d| d.join(name));
    if let Some(p) = &path {
        if let Ok(bytes) = std::fs::read(p) {
            return Ok((bytes, true));
        }
    }
    let bytes = build()?;
    if let Some(p) = &path {
        // The cache is an optimisation: failing to write it is not an error.
        if let Some(dir) = p.parent() {
            let _ = std::fs::create_dir_all(dir);
        }
        let tmp = p.with_extension(format!("tmp{}", std::process::id()));
        if std::fs::write(&tmp, &bytes).is_ok() {
            let _ = std::fs::rename(&tmp, p);
        }
    }
    Ok((bytes, false))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn source_names_every_class_and_file() {
        let src = kernel_source();
        for (class, _) in CLASSES {
            assert!(src.contains(&format!("#define KVRM_CLASS_{class} ")));
        }
        for (name, _) in KERNEL_FILES {
            assert!(src.contains(&format!("// ----- {name} -----")));
        }
    }

    /// A compile error is a typed error with the log's error lines, not a panic.
    #[test]
    fn compile_errors_are_reported() {
        if !driver::nvrtc_present() {
            println!("skipped: libnvrtc not found");
            return;
        }
        match driver::compile_ptx("__global__ void k() { undeclared(); }", "sm_90", "bad.cu") {
            Err(CudaError::Compile(msg)) => {
                assert!(msg.contains("undeclared"), "{msg}");
                assert!(!msg.contains('\n'));
            }
            other => panic!("expected a compile error, got {other:?}"),
        }
    }

    /// Is libnvrtc loadable? If not, says that the test skips.
    fn nvrtc_or_skip() -> bool {
        let present = driver::nvrtc_present();
        if !present {
            println!(
                "skipped: libnvrtc not found (pip install nvidia-cuda-nvrtc; LD_LIBRARY_PATH)"
            );
        }
        present
    }

    /// NVRTC reports a version (CUDA 11 or later) where the library loads.
    #[test]
    fn nvrtc_reports_its_version() {
        if !nvrtc_or_skip() {
            return;
        }
        let v = driver::nvrtc_version().expect("a version");
        assert!(v.0 >= 11, "{v:?}");
    }

    /// Compiles the kernels for sm_90 when libnvrtc is present (no GPU needed).
    #[test]
    fn kernels_compile_with_nvrtc() {
        if !nvrtc_or_skip() {
            return;
        }
        match driver::compile_ptx(&kernel_source(), "sm_90", "kvrm_interp.cu") {
            Ok(ptx) => assert!(ptx.contains(".entry kvrm_run")),
            Err(e) => panic!("{e}"),
        }
    }

    /// Block modules carry no constant data: a linked module holds at most
    /// 64 KiB of it, and every round's module is linked in.
    #[test]
    fn block_modules_hold_no_constant_data() {
        let src = blocks_source(&[], 7, 3);
        assert!(!src.contains("__constant__"));
        assert!(src.contains("namespace kvrm_blocks_r3"));
        assert!(kernel_source().contains("__constant__ const KvrmDecodeEntry KVRM_DECODE"));
    }

    /// The relocatable modules of a linked build compile for sm_90 when
    /// libnvrtc is present: the interpreter, two rounds of blocks (a load, a
    /// store, a flag-setting loop; a fallback, an SVC) and their dispatcher.
    #[test]
    fn linked_modules_compile_with_nvrtc() {
        if !nvrtc_or_skip() {
            return;
        }
        // ldr x1, [x2]; str x1, [x3, #8]; add x0, x0, #1; subs x4, x4, #1;
        // b.ne start; svc #0
        let words = [
            0xf940_0041u32,
            0xf900_0461,
            0x9100_0400,
            0xf100_0484,
            0x54ff_ff81,
            0xd400_0001,
        ];
        let fetch = |a: u64| words.get(((a - 0x1000) / 4) as usize).copied();
        let blocks: Vec<_> = [0x1000, 0x1014]
            .into_iter()
            .map(|pc| kvrm_ir::lift_block(pc, 16, fetch).expect("lifts"))
            .collect();
        // Two rounds of one block each, and the module that ties them.
        let compile = |src: &str| {
            driver::compile_cubin(src, "sm_90", "module.cu").unwrap_or_else(|e| panic!("{e}"))
        };
        let round0 = compile(&blocks_source(&blocks[..1], 0, 0));
        let round1 = compile(&blocks_source(&blocks[1..], 1, 1));
        let entries: Vec<(u64, u32)> = blocks.iter().map(|b| (b.start, b.guest_len)).collect();
        let top = compile(&dispatch_source(&entries));
        let interp = compile(&linked_interpreter_source());
        // ELF images, each naming a symbol another one needs.
        for (cubin, name) in [
            (&round0, "kvrm_tb_entry_0"),
            (&round1, "kvrm_tb_entry_1"),
            (&top, "kvrm_tb_dispatch_linked"),
            (&interp, "kvrm_execute_one_linked"),
        ] {
            assert!(cubin.starts_with(b"\x7fELF"));
            assert!(cubin.windows(name.len()).any(|w| w == name.as_bytes()));
        }
    }
}
