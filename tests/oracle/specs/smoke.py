"""A few cases that exercise the oracle pipeline itself."""

from oracle import case


def cases():
    return [
        case("add_imm_basic", "add x0, x1, #1", x1=41),
        case("subs_imm_loop", "mov x0, #0; mov x1, #10; 1: add x0, x0, #3; subs x1, x1, #1; b.ne 1b", ),
        case("str_ldr_x", "mov x2, #0x10000; movk x0, #0x1234; str x0, [x2, #8]; ldr x3, [x2, #16]"),
        case("movn_w", "movn w4, #5, lsl #16"),
        case("svc_stops", "mov x8, #93; svc #0"),
    ]
