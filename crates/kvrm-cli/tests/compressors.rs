//! Debian's zstd and xz-utils for arm64 (dynamic, with libzstd, liblzma, liblz4, libstdc++):
//! round trips of a generated file with `zstd -T2`, pzstd (C++ std::thread), `zstd -19`,
//! `xz -T2` (several blocks, so several worker threads), `xz -9e --check=sha256`, `-d`, `-t`,
//! `--list`, and corrupt input; the compressed bytes (their sha256), the listings and the
//! messages are compared with qemu-aarch64 (harness: sysroot/mod.rs).

mod sysroot;

use sysroot::{case, run_suite, sysroot_or_skip, Case, Suite};

/// 28 KB of text that compresses well, and 8 KB that does not.
const GEN: &str = "seq 1 1200 | sed 's/$/ some text to compress/' > data.txt\n\
                   gawk 'BEGIN { srand(7); for (i = 0; i < 8000; i++) printf \"%c\", 32 + int(rand() * 90) }' \
                   > noise.txt\n";

const FILES: &[(&str, &str)] = &[("gen.sh", GEN)];

const CASES: &[Case] = &[
    case(
        "zstd_threads",
        "dash",
        &["-c", ". ./gen.sh && zstd -q -T2 -o data.zst data.txt && zstd -q -d -o back.txt data.zst && \
               cmp data.txt back.txt && zstd -T2 -q -c noise.txt > noise.zst && zstd -dc noise.zst | cmp - noise.txt && \
               sha256sum data.zst noise.zst && echo round trip ok"],
        "",
    ),
    case(
        "zstd_19",
        "dash",
        &["-c", ". ./gen.sh && zstd -q -19 -o data19.zst data.txt && zstd -q -t data19.zst && echo tested && \
               zstd -lv data19.zst && sha256sum data19.zst"],
        "",
    ),
    case(
        "zstd_list_stdin",
        "dash",
        &["-c", ". ./gen.sh && zstd -q -c < data.txt > s.zst && zstd --list s.zst data.txt; echo status=$?; \
               zstd -dc s.zst | wc -c"],
        "",
    ),
    case(
        "zstd_corrupt",
        "dash",
        &["-c", "echo garbage > bad.zst; zstd -d bad.zst; echo status=$?; zstd -t bad.zst; echo status=$?; \
               printf '\\050\\265\\057\\375\\044' > trunc.zst; zstd -dc trunc.zst; echo status=$?"],
        "",
    ),
    case(
        "pzstd_threads",
        "dash",
        &["-c", ". ./gen.sh && pzstd -p 2 -q -c data.txt > p.zst && pzstd -d -p 2 -q -c p.zst | cmp - data.txt && \
               pzstd -p 2 -q -c noise.txt | zstd -dc | cmp - noise.txt && sha256sum p.zst"],
        "",
    ),
    case(
        "xz_threads",
        "dash",
        &["-c", ". ./gen.sh && xz -T2 --block-size=8KiB -k data.txt && xz -t data.txt.xz && \
               xz -d -c -T2 data.txt.xz | cmp - data.txt && xz -lvv data.txt.xz && sha256sum data.txt.xz"],
        "",
    ),
    case(
        "xz_9e_sha256",
        "dash",
        &["-c", ". ./gen.sh && xz -9e --check=sha256 -c data.txt > data9.xz && xz -d -c data9.xz | cmp - data.txt && \
               xz --list data9.xz && xz -k -1 noise.txt && xz -l data9.xz noise.txt.xz && sha256sum data9.xz noise.txt.xz"],
        "",
    ),
    case(
        "xz_decompress_stdin",
        "dash",
        &["-c", ". ./gen.sh && xz -c data.txt | xz -d | sha256sum - data.txt && xz -dv < data.txt; echo status=$?"],
        "",
    ),
    case(
        "xz_corrupt",
        "dash",
        &["-c", ". ./gen.sh && xz -c data.txt | head -c 3000 > cut.xz; xz -t cut.xz; echo status=$?; \
               xz -d bad.xz; echo status=$?; echo nonsense > n.xz; xz -l n.xz; echo status=$?"],
        "",
    ),
];

const SUITE: Suite = Suite {
    name: "compressors",
    files: FILES,
    cases: CASES,
    path: &["usr/bin"],
};

#[test]
fn zstd_and_xz_match_qemu() {
    if let Some(root) = sysroot_or_skip(&SUITE) {
        run_suite(&SUITE, &root);
    }
}
