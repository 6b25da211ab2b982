use kvrm_cpu::Cpu;
use kvrm_isa::Backend;
fn main() {
    // mov x0,#N(movz) ; loop: add x1,x1,#1 ; subs x0,x0,#1 ; b.ne loop ; brk
    let prog: [u32; 5] = [
        0xd2a00000 | (0x100 << 5),
        0x91000421,
        0xf1000400,
        0x54ffffc1,
        0xd4200000,
    ];
    let bytes: Vec<u8> = prog.iter().flat_map(|w| w.to_le_bytes()).collect();
    let mut cpu = Cpu::with_flat_memory(16 << 20).unwrap();
    cpu.load_program(&bytes, 0).unwrap();
    let r = cpu.run(1_000_000_000);
    println!(
        "{:?} {} insns {:.1} M IPS",
        r.stop,
        r.instructions,
        r.ips() / 1e6
    );
}
