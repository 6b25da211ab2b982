//! Stock Debian arm64 programs, dynamically linked (coreutils, grep, sed, gawk, dash, findutils,
//! diffutils, sqlite3, bc, dc, lz4, datamash, envsubst, python3.11, perl, openssl), from the sysroot scripts/fetch-debian-arm64.sh unpacks into
//! tests/debian/build/sysroot, each case compared with qemu-aarch64 (stdout, stderr, exit
//! status; the harness and its knobs are in sysroot/mod.rs).

mod sysroot;

use std::fs;
use std::path::Path;
use std::process::Command;

use sysroot::{case, run_suite, sysroot, sysroot_or_skip, Case, Suite};

/// Files every scratch directory starts with.
const FILES: &[(&str, &str)] = &[
    ("words.txt", "pear\napple\nfig\napple\nbanana\ncherry\nfig\napple\n"),
    ("nums.txt", "10\n3\n250\n-4\n42\n7\n3\n"),
    (
        "people.txt",
        "root:x:0:0:root:/root:/bin/bash\nalice:x:1000:1000:Alice A:/home/alice:/bin/sh\n\
         bob:x:1001:1001:Bob B:/home/bob:/usr/bin/zsh\n",
    ),
    ("edit.sed", "s/apple/APPLE/g\n/fig/d\n$a\\\nthe end\n"),
    (
        "sum.awk",
        "{ n[$1]++; total += length($1) }\nEND { for (w in n) printf \"%s=%d\\n\", w, n[w] | \"sort\"; \
         close(\"sort\"); printf \"total %d mean %.3f\\n\", total, total / NR }\n",
    ),
    (
        "script.sh",
        "set -e\ncount=0\nfor w in $(sort -u words.txt); do\n  count=$((count + 1))\n  \
         printf '%d %s %s\\n' \"$count\" \"$w\" \"$(grep -c \"^$w\\$\" words.txt)\"\ndone\n\
         echo \"args: $# $*\"\nexit 4\n",
    ),
    ("other.txt", "pear\napple\nkiwi\napple\nbanana\ncherry\nfig\n"),
    (
        "stdlib.py",
        "import sys, math, struct, re, json, threading, hashlib, zlib, random, collections, fractions\n\
         print(sys.version_info[:2], sys.byteorder, sys.maxsize)\n\
         print([math.sqrt(x) for x in (2, 3.5, 1e-310)], math.fsum([0.1] * 10), math.lgamma(7.5), \
         math.erf(0.3), math.atan2(-0.0, -1.0))\n\
         print(struct.pack('<dfq', 1.5, -2.25, -3).hex(), float.fromhex('0x1.fffffffffffffp+1023'))\n\
         print('%.20g %r %s' % (2 / 3, 1 / 3, 1e22), round(2.5), divmod(-7, 2), pow(3, 10**4, 10**9 + 7))\n\
         print(re.findall(r'(\\w+)@(\\w+)\\.com', 'a@b.com, cc@dd.com x@y.org'))\n\
         d = {'k': [1, 2.5, None, True, 'e'], 'n': {'x': 1e-7}}\n\
         print(json.dumps(d, sort_keys=True), json.loads(json.dumps(d)) == d)\n\
         print(hashlib.sha256(b'abc' * 1000).hexdigest(), zlib.crc32(b'hello' * 1000))\n\
         random.seed(12345); print([random.random() for _ in range(3)])\n\
         print(sorted(collections.Counter('the quick brown fox jumps over the lazy dog').most_common(4)))\n\
         print(fractions.Fraction(3, 7) ** 5, int('9' * 300) % 97)\n\
         res = []\n\
         lock = threading.Lock()\n\
         def work(n):\n    s = sum(i * n for i in range(3000))\n    with lock:\n        res.append(s)\n\
         ts = [threading.Thread(target=work, args=(i,)) for i in range(6)]\n\
         [t.start() for t in ts]; [t.join() for t in ts]\n\
         print(sorted(res))\n",
    ),
    // CPython's GIL handed over every microsecond (its test_functools' threaded lru_cache
    // case): waiters spin on 1 µs timed waits; kvrm once starved the woken holder.
    (
        "gil.py",
        "import sys, threading, functools\n\
         f = functools.lru_cache(maxsize=55)(lambda x, y: 3 * x + y)\n\
         start = threading.Event()\n\
         def full(k):\n    start.wait(10)\n    for _ in range(11):\n        assert f(k, 0) == 3 * k\n\
         sys.setswitchinterval(1e-6)\n\
         ts = [threading.Thread(target=full, args=[k]) for k in range(5)]\n\
         [t.start() for t in ts]; start.set(); [t.join() for t in ts]\n\
         print(f.cache_info())\n",
    ),
    // Eleven threads take the GIL in turn every nanosecond, releasing it around a system
    // call (CPython's test_syslog); the main thread, back from a sleep, must get it to stop
    // them. kvrm once woke a futex's waiters lowest thread id first, so the lock's newest
    // threads were never woken again and the run hung. The main thread stops them only once
    // each has run (30 s at most), so the count printed does not depend on how busy the
    // host is (a loaded CI machine once let 7 of 11 run under qemu within the first 0.1 s).
    (
        "gil_many.py",
        "import os, sys, threading, time\n\
         start = threading.Event()\n\
         stop = False\n\
         counts = [0] * 11\n\
         def worker(k):\n    start.wait(10)\n    while not stop:\n        os.stat('/')\n        counts[k] += 1\n\
         sys.setswitchinterval(1e-9)\n\
         ts = [threading.Thread(target=worker, args=(k,)) for k in range(11)]\n\
         [t.start() for t in ts]; start.set(); time.sleep(0.1)\n\
         deadline = time.time() + 30\n\
         while min(counts) == 0 and time.time() < deadline:\n    time.sleep(0.01)\n\
         stop = True\n\
         [t.join() for t in ts]\n\
         print('stopped;', sum(1 for c in counts if c > 0), 'of 11 threads ran')\n",
    ),
];

const CASES: &[Case] = &[
    // coreutils
    case("sort", "sort", &["words.txt"], ""),
    case("sort_numeric_reverse", "sort", &["-n", "-r", "nums.txt"], ""),
    case("sort_key", "sort", &["-t:", "-k3,3n", "people.txt"], ""),
    case("sort_stdin_unique", "sort", &["-u"], "b\na\nc\na\n"),
    case("sort_missing", "sort", &["nosuch.txt"], ""),
    case("uniq_count", "uniq", &["-c"], "a\na\nb\nc\nc\nc\n"),
    case("wc", "wc", &["words.txt", "nums.txt"], ""),
    case("wc_stdin", "wc", &["-l"], "1\n2\n3\n"),
    case("cat_number", "cat", &["-n", "words.txt"], ""),
    case("cat_stdin", "cat", &[], "from stdin\n"),
    case("head", "head", &["-n", "3", "words.txt"], ""),
    case("tail", "tail", &["-n", "2", "words.txt"], ""),
    case("cut", "cut", &["-d:", "-f1,3,7", "people.txt"], ""),
    case("tr", "tr", &["a-z", "A-Z"], "hello, world\n"),
    case("ls", "ls", &[], ""),
    case("ls_all_one", "ls", &["-a1"], ""),
    case("ls_missing", "ls", &["nosuch", "words.txt"], ""),
    case("seq", "seq", &["1", "3", "20"], ""),
    case("expr", "expr", &["6", "*", "7"], ""),
    case("factor", "factor", &["1001", "65536", "999983"], ""),
    case("date_utc", "date", &["-u", "-d", "@86400", "+%F %T %A"], ""),
    case("sha256sum", "sha256sum", &["words.txt", "nums.txt"], ""),
    case("md5sum_check_fail", "md5sum", &["-c"], "00000000000000000000000000000000  words.txt\n"),
    case("base64", "base64", &["people.txt"], ""),
    case("od", "od", &["-A", "x", "-t", "x1z", "nums.txt"], ""),
    case("printf", "printf", &["%5.2f|%-6s|%x\\n", "3.14159", "ab", "255"], ""),
    case("stat_format", "stat", &["-c", "%n %s %F", "words.txt", "."], ""),
    case("stat_fs", "stat", &["-f", "-c", "%n %T %l %s", ".", "words.txt"], ""),
    case("true", "true", &[], ""),
    case("false", "false", &[], ""),
    // grep (PCRE2 for -P)
    case("grep_n", "grep", &["-n", "apple", "words.txt"], ""),
    case("grep_count_invert", "grep", &["-vc", "apple", "words.txt"], ""),
    case("grep_extended", "grep", &["-E", "^(fig|pear)$", "words.txt"], ""),
    case("grep_perl", "grep", &["-P", "\\d{2,}", "nums.txt"], ""),
    case("grep_recursive", "grep", &["-r", "-l", "banana", "."], ""),
    case("grep_no_match", "grep", &["kiwi", "words.txt"], ""),
    case("grep_missing", "grep", &["x", "nosuch.txt"], ""),
    case("grep_stdin", "grep", &["-i", "B"], "abc\nxyz\nBcd\n"),
    // sed
    case("sed_subst", "sed", &["s/a/A/g", "words.txt"], ""),
    case("sed_range", "sed", &["-n", "2,4p"], "1\n2\n3\n4\n5\n"),
    case("sed_script", "sed", &["-f", "edit.sed", "words.txt"], ""),
    case("sed_bad", "sed", &["s/x"], ""),
    // gawk
    case("gawk_sum", "gawk", &["{ s += $1 } END { print s, NR, s / NR }", "nums.txt"], ""),
    case("gawk_fields", "gawk", &["-F:", "{ print $1, $NF }", "people.txt"], ""),
    case("gawk_script", "gawk", &["-f", "sum.awk", "words.txt"], ""),
    case(
        "gawk_printf",
        "gawk",
        &["BEGIN { printf \"%.6f %e %d %s\\n\", atan2(1, 1) * 4, 12345.678, 2^40, toupper(\"x\") }"],
        "",
    ),
    // find, diff
    case("find", "find", &[".", "-name", "*.txt", "-size", "-1k", "-o", "-name", "*.sh"], ""),
    case("diff", "diff", &["-u", "words.txt", "other.txt"], ""),
    case("ls_long", "ls", &["-ln", "--time-style=+%s", "words.txt", "nums.txt"], ""),
    case("cmp", "cmp", &["words.txt", "other.txt"], ""),
    // dash: pipelines of the programs above
    case(
        "dash_pipeline",
        "dash",
        &["-c", "sort words.txt | uniq -c | sort -k1,1nr -k2 | head -n 3"],
        "",
    ),
    case(
        "dash_substitution",
        "dash",
        &["-c", "x=$(seq 10 | gawk '{ s += $1 } END { print s }'); echo \"sum=$x\"; \
               n=$(grep -c a words.txt); echo \"a-lines=$n\"; [ \"$n\" -gt 3 ] && echo many"],
        "",
    ),
    case(
        "dash_loop_files",
        "dash",
        &["-c", "for f in *.txt; do printf '%s ' \"$f\"; wc -l < \"$f\"; done | sort"],
        "",
    ),
    case(
        "dash_sed_inplace",
        "dash",
        &["-c", "cp words.txt w2 && sed -i 's/fig/FIG/' w2 && cat w2 && rm w2 && ls w2"],
        "",
    ),
    case(
        "dash_status",
        "dash",
        &["-c", "grep -q kiwi words.txt; echo grep=$?; nosuchcmd; echo missing=$?; \
               false | true; echo pipe=$?; (exit 7); echo sub=$?"],
        "",
    ),
    case("dash_script", "dash", &["script.sh", "one", "two"], ""),
    case(
        "dash_stdin_script",
        "dash",
        &[],
        "read a b; echo \"$b $a\" | tr a-z A-Z\nexit 2\n",
    ),
    case(
        "dash_redirections",
        "dash",
        &["-c", "sort -r nums.txt > out.txt 2>&1; head -n 2 < out.txt; cat nosuch 2>&1 | sed 's/^/err: /'; \
               echo appended >> out.txt; tail -n 1 out.txt"],
        "",
    ),
    // bc, dc, lz4, datamash, envsubst; nproc --all (glibc reads /sys/devices/system/cpu)
    case("bc_math", "bc", &["-l"], "scale=30\n4*a(1)\n2^200\nsqrt(2)\ne(1)\nl(10)\n"),
    case("bc_errors", "bc", &[], "1/0\n3+\nx=5\nx*x\n"),
    case("dc_calc", "dc", &["-e", "2 64 ^ p 20 k 2 v p 7 3 % p [3 2 + p] x"], ""),
    case(
        "lz4_roundtrip",
        "dash",
        &["-c", "lz4 -q -9 people.txt p.lz4 && lz4 -t p.lz4 && lz4 -dc p.lz4 | cmp - people.txt && \
               echo same; lz4 -dc nosuch.lz4; echo status=$?"],
        "",
    ),
    case(
        "datamash_groups",
        "datamash",
        &["-s", "-W", "-g", "1", "count", "1", "sum", "2", "mean", "2"],
        "b 3\na 1\nb 4\na 2\nc 10\n",
    ),
    case("datamash_stats", "datamash", &["median", "1", "sstdev", "1", "q1", "1", "iqr", "1"], "10\n3\n250\n-4\n42\n7\n3\n"),
    case("envsubst", "envsubst", &[], "home=$HOME tz=${TZ} none=[$NOPE]\n"),
    case("nproc_all", "nproc", &["--all"], ""),
    // sqlite3 (rollback journal and WAL)
    case(
        "sqlite_memory",
        "sqlite3",
        &[":memory:", "create table t(a, b); insert into t values (1, 'x'), (2, 'y'); \
                      select a * 10, upper(b) from t order by a desc; select sum(a) from t;"],
        "",
    ),
    case(
        "sqlite_journal",
        "dash",
        &["-c", "sqlite3 db 'create table t(k integer primary key, v text)' && \
               for i in 1 2 3 4 5; do sqlite3 db \"insert into t(v) values ('row$i')\"; done && \
               sqlite3 db 'begin; update t set v = upper(v) where k > 3; commit; select * from t' && \
               sqlite3 db 'pragma journal_mode; pragma integrity_check'"],
        "",
    ),
    case(
        "sqlite_wal",
        "dash",
        &["-c", "sqlite3 db 'pragma journal_mode=wal; create table t(x); insert into t values (1), (2)' && \
               sqlite3 db 'insert into t select x + 10 from t; select count(*), sum(x) from t' && \
               sqlite3 db 'pragma wal_checkpoint(truncate); select * from t order by x' && \
               sqlite3 db 'pragma journal_mode'"],
        "",
    ),
    case(
        "sqlite_stdin",
        "sqlite3",
        &["-batch"],
        "create table p(name, age);\ninsert into p values ('ann', 31), ('bob', 27);\n\
         .mode csv\nselect * from p order by age;\nselect nosuch from p;\n",
    ),
    // python3.11 and perl
    case("python_stdlib", "python3.11", &["-S", "stdlib.py"], ""),
    case("python_gil_handover", "python3.11", &["-S", "gil.py"], ""),
    case("python_gil_many", "python3.11", &["-S", "gil_many.py"], ""),
    case(
        "python_error",
        "python3.11",
        &["-S", "-c", "import sys; print('x'); sys.stdout.flush(); 1 / 0"],
        "",
    ),
    case(
        "perl_hash_sort",
        "perl",
        &["-e", "my %h; $h{$_ % 97} += $_ * $_ for 1 .. 20000; \
               print join(',', map { \"$_=$h{$_}\" } (sort { $a <=> $b } keys %h)[0 .. 9]), \"\\n\"; \
               printf(\"%.10f %s\\n\", atan2(1, 1) * 4, join(' ', (sort { $a <=> $b } \
               map { ($_ * 7919) % 100003 } 1 .. 5000)[0 .. 5]));"],
        "",
    ),
    // openssl: its AES, SHA and SHA-3 code for the Cryptographic Extension, which it picks
    // from AT_HWCAP (qemu's CPU has the extension too).
    case("openssl_sha1", "openssl", &["dgst", "-sha1", "-r", "stdlib.py"], ""),
    case("openssl_sha256", "openssl", &["dgst", "-sha256", "-r", "words.txt", "stdlib.py"], ""),
    case("openssl_sha512", "openssl", &["dgst", "-sha512", "-r", "stdlib.py"], ""),
    case("openssl_sha3", "openssl", &["dgst", "-sha3-256", "-r", "stdlib.py"], ""),
    case(
        "openssl_aes",
        "openssl",
        &["enc", "-aes-128-cbc", "-a", "-K", "000102030405060708090a0b0c0d0e0f",
          "-iv", "f0e0d0c0b0a090807060504030201000", "-in", "stdlib.py"],
        "",
    ),
    case(
        "openssl_aes_ctr_stdin",
        "openssl",
        &["enc", "-aes-256-ctr", "-a", "-K",
          "603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4",
          "-iv", "f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff"],
        "The quick brown fox jumps over the lazy dog, again and again and again.\n",
    ),
];

const SUITE: Suite = Suite {
    name: "debian",
    files: FILES,
    cases: CASES,
    path: &["usr/bin", "bin"],
};

#[test]
fn debian_programs_match_qemu() {
    if let Some(root) = sysroot_or_skip(&SUITE) {
        run_suite(&SUITE, &root);
    }
}

/// An absolute PROGRAM path that does not exist on the host is looked up in --fs-root, and
/// /proc/self/exe is the program's guest path (not the dynamic loader's).
#[test]
fn absolute_program_path_inside_fs_root() {
    let Ok(sysroot) = sysroot() else {
        eprintln!("SKIP: no Debian sysroot (scripts/fetch-debian-arm64.sh)");
        return;
    };
    let link = sysroot.join("usr/bin/kvrm-test-readlink");
    let _ = fs::remove_file(&link);
    std::os::unix::fs::symlink("readlink", &link).unwrap();
    let guest = "/usr/bin/kvrm-test-readlink";
    assert!(!Path::new(guest).exists());
    let out = Command::new(env!("CARGO_BIN_EXE_kvrm"))
        .args(["run", "--quiet", "--fs-root"])
        .arg(&sysroot)
        .args([guest, "/proc/self/exe"])
        .current_dir(&sysroot)
        .output()
        .unwrap();
    let _ = fs::remove_file(&link);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "/usr/bin/readlink\n",
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success());
}

/// /proc files kvrm makes from its own state: /proc/self/comm as the host kernel shows it,
/// /proc/meminfo from --memory-limit, /proc/cpuinfo's Features.
#[test]
fn proc_files_from_kvrm_state() {
    let Ok(sysroot) = sysroot() else {
        eprintln!("SKIP: no Debian sysroot (scripts/fetch-debian-arm64.sh)");
        return;
    };
    let kvrm = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_kvrm"))
            .args(["run", "--quiet", "--memory-limit", "256M", "--fs-root"])
            .arg(&sysroot)
            .arg(sysroot.join("usr/bin").join(args[0]))
            .args(&args[1..])
            .current_dir(&sysroot)
            .env_clear()
            .env("PATH", "/usr/bin:/bin")
            .output()
            .unwrap();
        assert!(out.status.success(), "{args:?}: {out:?}");
        String::from_utf8(out.stdout).unwrap()
    };
    let host = Command::new("cat").arg("/proc/self/comm").output().unwrap();
    assert_eq!(kvrm(&["cat", "/proc/self/comm"]).as_bytes(), host.stdout);
    let mem = kvrm(&["grep", "MemTotal", "/proc/meminfo"]);
    assert_eq!(mem, "MemTotal:         262144 kB\n");
    let features = kvrm(&["grep", "-m1", "^Features", "/proc/cpuinfo"]);
    assert!(features.starts_with("Features\t: fp asimd "), "{features}");
}
