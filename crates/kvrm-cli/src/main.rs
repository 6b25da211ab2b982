//! The `kvrm` command.

mod run_elf;

fn main() {
    let _ = run_elf::run_elf;
}
