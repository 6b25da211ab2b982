//! Lua 5.4 and the sqlite3 shell built from Debian's source packages (lua5.4, sqlite3) as
//! static AArch64 programs by scripts/build-lua-sqlite.sh (into the Debian sysroot's
//! /usr/local/bin): Lua scripts (strings and patterns, string.format of floats, tables and
//! metatables, closures, coroutines, error/pcall, files and popen), and sqlite with a rollback
//! journal and in WAL mode with several processes at once (a reader's snapshot kept open while
//! another process writes; two processes writing at once through the MAP_SHARED wal-index). Each case is compared with qemu-aarch64 (harness: sysroot/mod.rs).

mod sysroot;

use sysroot::{case, run_script, run_suite, skip, sysroot_or_skip, Case, Suite};

macro_rules! file {
    ($dir:literal, $name:literal) => {
        (
            $name,
            include_str!(concat!("../../../tests/debian/", $dir, "/", $name)),
        )
    };
}

const FILES: &[(&str, &str)] = &[
    file!("lua", "strings.lua"),
    file!("lua", "tables.lua"),
    file!("lua", "coroutines.lua"),
    file!("lua", "io.lua"),
    file!("sqlite", "journal.sql"),
    file!("sqlite", "wal.sh"),
    file!("sqlite", "wal_concurrent.sh"),
    ("bad.lua", "local x = = 1\n"),
    ("people.csv", "name,age\nann,31\nbob,27\ncyd,45\n"),
];

const LUA: &str = "usr/local/bin/lua";
const SQLITE: &str = "usr/local/bin/sqlite3";

const CASES: &[Case] = &[
    case("lua_strings", LUA, &["strings.lua"], ""),
    case("lua_tables", LUA, &["tables.lua"], ""),
    case("lua_coroutines", LUA, &["coroutines.lua"], ""),
    case("lua_io", LUA, &["io.lua"], ""),
    case("lua_syntax_error", LUA, &["bad.lua"], ""),
    case(
        "lua_stdin",
        LUA,
        &["-", "x", "y"],
        "print(#arg, arg[1], arg[2], ...)\nfor l in io.lines() do print(l) end\n",
    ),
    case(
        "lua_e",
        LUA,
        &["-e", "local t = {} for i = 1, 20 do t[i] = i / 8 end print(table.concat(t, ' '))"],
        "",
    ),
    case("sqlite_journal", SQLITE, &["db"], include_str!("../../../tests/debian/sqlite/journal.sql")),
    case("sqlite_wal", "usr/bin/dash", &["wal.sh"], ""),
    case("sqlite_wal_concurrent", "usr/bin/dash", &["wal_concurrent.sh"], ""),
    case(
        "sqlite_csv",
        SQLITE,
        &[":memory:"],
        ".mode csv\n.import people.csv p\n.mode column\n.headers on\n\
         select name, age * 1.5 as x from p order by age;\n.mode json\nselect * from p where age > 30;\n\
         .mode line\nselect count(*) n, avg(age) a from p;\n",
    ),
];

const SUITE: Suite = Suite {
    name: "lua_sqlite",
    files: FILES,
    cases: CASES,
    path: &["usr/local/bin", "usr/bin"],
};

#[test]
fn lua_and_sqlite_from_source_match_qemu() {
    let Some(root) = sysroot_or_skip(&SUITE) else {
        return;
    };
    if let Err(why) = run_script("build-lua-sqlite.sh") {
        skip(&SUITE, &why);
        return;
    }
    run_suite(&SUITE, &root);
}
