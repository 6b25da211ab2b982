"""The Cryptographic Extension: AES (AESE, AESD, AESMC, AESIMC), SHA-1 (SHA1C/P/M,
SHA1H, SHA1SU0/SU1), SHA-256 (SHA256H/H2, SHA256SU0/SU1), SHA-512 (SHA512H/H2,
SHA512SU0/SU1) and the SHA-3 helpers (EOR3, BCAX, RAX1, XAR). Each instruction gets
edge values (zeros, all-ones, single bits), known-answer inputs (a FIPS-197 round,
the first rounds of SHA-1/SHA-256/SHA-512 on "abc") and random cases with random
registers (Rd overlapping Rn/Rm included); a few unallocated neighbours stop as
undefined."""

import random

from oracle import case

M32 = (1 << 32) - 1
M64 = (1 << 64) - 1
M128 = (1 << 128) - 1
QC = 1 << 27
EDGE_BYTES = [0x00, 0x01, 0x7F, 0x80, 0xFF, 0xFE, 0x63, 0x1B]


def from_bytes(hexstr):
    """A register from FIPS-style byte order: the first byte is byte 0 (lowest)."""
    return int.from_bytes(bytes.fromhex(hexstr.replace(" ", "")), "little")


def from_words(ws, e=32):
    v = 0
    for i, x in enumerate(ws):
        v |= (x & ((1 << e) - 1)) << (i * e)
    return v


def rand_v(rng):
    r = rng.random()
    if r < 0.6:
        return rng.getrandbits(128)
    if r < 0.75:
        return int.from_bytes(bytes(rng.choice(EDGE_BYTES) for _ in range(16)), "little")
    if r < 0.85:
        return from_words([rng.choice([0, 1, M32, 0x80000000, 0x7FFFFFFF, rng.getrandbits(32)]) for _ in range(4)])
    if r < 0.92:
        return rng.choice([0, M128, 1, 1 << 127, M128 >> 1])
    return rng.getrandbits(64) << rng.choice([0, 64])


def rand_regs(rng, k):
    """k register numbers; a third of the time some of them coincide."""
    regs = [rng.randrange(32) for _ in range(k)]
    if k > 1 and rng.random() < 0.33:
        i, j = rng.sample(range(k), 2)
        regs[j] = regs[i]
    return regs


def edge_sets(nregs):
    """Hand-picked operand tuples: zeros, all-ones, single bits, alternating bits."""
    vals = [0, M128, 1, 1 << 127, 0x5555_5555_5555_5555_5555_5555_5555_5555,
            from_words([0x80000000, 1, M32, 0])]
    out = [tuple(v for _ in range(nregs)) for v in vals[:4]]
    out.append(tuple(vals[(4 + i) % len(vals)] for i in range(nregs)))
    out.append(tuple(vals[(i * 2 + 1) % len(vals)] for i in range(nregs)))
    return out


# ----- operand syntax of each instruction: (mnemonic, operand templates) ---------------

FORMS = {
    "aese": ("v{d}.16b", "v{n}.16b"),
    "aesd": ("v{d}.16b", "v{n}.16b"),
    "aesmc": ("v{d}.16b", "v{n}.16b"),
    "aesimc": ("v{d}.16b", "v{n}.16b"),
    "sha1c": ("q{d}", "s{n}", "v{m}.4s"),
    "sha1p": ("q{d}", "s{n}", "v{m}.4s"),
    "sha1m": ("q{d}", "s{n}", "v{m}.4s"),
    "sha1su0": ("v{d}.4s", "v{n}.4s", "v{m}.4s"),
    "sha256h": ("q{d}", "q{n}", "v{m}.4s"),
    "sha256h2": ("q{d}", "q{n}", "v{m}.4s"),
    "sha256su1": ("v{d}.4s", "v{n}.4s", "v{m}.4s"),
    "sha1h": ("s{d}", "s{n}"),
    "sha1su1": ("v{d}.4s", "v{n}.4s"),
    "sha256su0": ("v{d}.4s", "v{n}.4s"),
    "sha512h": ("q{d}", "q{n}", "v{m}.2d"),
    "sha512h2": ("q{d}", "q{n}", "v{m}.2d"),
    "sha512su1": ("v{d}.2d", "v{n}.2d", "v{m}.2d"),
    "rax1": ("v{d}.2d", "v{n}.2d", "v{m}.2d"),
    "sha512su0": ("v{d}.2d", "v{n}.2d"),
    "eor3": ("v{d}.16b", "v{n}.16b", "v{m}.16b", "v{a}.16b"),
    "bcax": ("v{d}.16b", "v{n}.16b", "v{m}.16b", "v{a}.16b"),
}
FIELDS = "dnma"
N_RANDOM = 44


def asm(mn, regs, imm=None):
    ops = [t.format(**{FIELDS[i]: r}) for i, (t, r) in enumerate(zip(FORMS.get(mn, ()), regs))]
    if mn == "xar":
        d, n, m = regs
        ops = [f"v{d}.2d", f"v{n}.2d", f"v{m}.2d", f"#{imm}"]
    return f"{mn} " + ", ".join(ops)


def vinit(regs, vals):
    """Later registers win where numbers coincide, so the earlier value is the one lost."""
    return {r: v for r, v in zip(regs, vals)}


def instr_cases(rng, mn, nregs, imm_fn=None):
    out = []
    base = list(range(nregs))  # v0, v1, ... distinct
    for k, vals in enumerate(edge_sets(nregs)):
        imm = imm_fn(rng, k) if imm_fn else None
        out.append(case(f"{mn}_edge{k}", asm(mn, base, imm), v=vinit(base, vals)))
    for k in range(N_RANDOM):
        regs = rand_regs(rng, nregs)
        imm = imm_fn(rng, k + 6) if imm_fn else None
        vals = [rand_v(rng) for _ in range(nregs)]
        fpsr = QC if rng.random() < 0.2 else 0
        out.append(case(f"{mn}_r{k}", asm(mn, regs, imm), v=vinit(regs, vals), fpsr=fpsr))
    # Every register the same.
    r = rng.randrange(32)
    imm = imm_fn(rng, 99) if imm_fn else None
    out.append(case(f"{mn}_same", asm(mn, [r] * nregs, imm), v={r: rand_v(rng)}))
    return out


def xar_imm(rng, k):
    fixed = [0, 1, 63, 32, 31, 0, 1, 63, 2, 62, 33, 8]
    return fixed[k] if k < len(fixed) else rng.randrange(64)


# ----- known-answer sequences -----------------------------------------------------------

# FIPS-197 Appendix B: plaintext, cipher key, round-1 key.
AES_IN = from_bytes("32 43 f6 a8 88 5a 30 8d 31 31 98 a2 e0 37 07 34")
AES_K0 = from_bytes("2b 7e 15 16 28 ae d2 a6 ab f7 15 88 09 cf 4f 3c")
AES_K1 = from_bytes("a0 fa fe 17 88 54 2c b1 23 a3 39 39 2a 6c 76 05")
# The round-1 state after SubBytes/ShiftRows/MixColumns (FIPS-197 Appendix B).
AES_R1_MIX = from_bytes("04 66 81 e5 e0 cb 19 9a 48 f8 d3 7a 28 06 26 4c")

SHA256_IV = [0x6A09E667, 0xBB67AE85, 0x3C6EF372, 0xA54FF53A,
             0x510E527F, 0x9B05688C, 0x1F83D9AB, 0x5BE0CD19]
SHA256_K = [0x428A2F98, 0x71374491, 0xB5C0FBCF, 0xE9B5DBA5,
            0x3956C25B, 0x59F111F1, 0x923F82A4, 0xAB1C5ED5]
# The padded one-block message "abc".
ABC_W = [0x61626380] + [0] * 14 + [0x18]

SHA1_IV = [0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0]

SHA512_IV = [0x6A09E667F3BCC908, 0xBB67AE8584CAA73B, 0x3C6EF372FE94F82B, 0xA54FF53A5F1D36F1,
             0x510E527FADE682D1, 0x9B05688C2B3E6C1F, 0x1F83D9ABFB41BD6B, 0x5BE0CD19137E2179]
SHA512_K = [0x428A2F98D728AE22, 0x7137449123EF65CD]
ABC_W64 = [0x6162638000000000, 0]


def known_answer_cases():
    out = []
    # One AES encryption round: AddRoundKey + SubBytes + ShiftRows, MixColumns, AddRoundKey.
    out.append(case("kat_aes_round1", "aese v0.16b, v1.16b; aesmc v0.16b, v0.16b; eor v0.16b, v0.16b, v2.16b",
                    v={0: AES_IN, 1: AES_K0, 2: AES_K1}))
    out.append(case("kat_aese_fips197", "aese v0.16b, v1.16b", v={0: AES_IN, 1: AES_K0}))
    out.append(case("kat_aesmc_fips197", "aesmc v3.16b, v4.16b",
                    v={4: from_bytes("d4 bf 5d 30 e0 b4 52 ae b8 41 11 f1 1e 27 98 e5")}))
    # The inverse round undoes it: InvMixColumns, then AESD with a zero key.
    out.append(case("kat_aesimc_fips197", "aesimc v5.16b, v6.16b", v={6: AES_R1_MIX}))
    out.append(case("kat_aes_inverse", "aese v0.16b, v1.16b; aesmc v0.16b, v0.16b; aesimc v0.16b, v0.16b; "
                    "aesd v0.16b, v2.16b", v={0: AES_IN, 1: AES_K0, 2: 0}))
    # The S-box on every byte value (AESE with a zero key after undoing ShiftRows).
    for k in range(16):
        out.append(case(f"kat_aese_bytes{k}", "aese v0.16b, v1.16b",
                        v={0: int.from_bytes(bytes(range(16 * k, 16 * k + 16)), "little"), 1: 0}))
        out.append(case(f"kat_aesd_bytes{k}", "aesd v0.16b, v1.16b",
                        v={0: int.from_bytes(bytes(range(16 * k, 16 * k + 16)), "little"), 1: 0}))
    # SHA-256 "abc": rounds 0-3 and 4-7 as a kernel writes them.
    wk0 = from_words([(w + k) & M32 for w, k in zip(ABC_W[0:4], SHA256_K[0:4])])
    wk1 = from_words([(w + k) & M32 for w, k in zip(ABC_W[4:8], SHA256_K[4:8])])
    seq = ("mov v3.16b, v0.16b; sha256h q0, q1, v2.4s; sha256h2 q1, q3, v2.4s; "
           "mov v3.16b, v0.16b; sha256h q0, q1, v4.4s; sha256h2 q1, q3, v4.4s")
    out.append(case("kat_sha256_abc_r0_7", seq,
                    v={0: from_words(SHA256_IV[:4]), 1: from_words(SHA256_IV[4:]), 2: wk0, 4: wk1}))
    out.append(case("kat_sha256h_abc", "sha256h q0, q1, v2.4s",
                    v={0: from_words(SHA256_IV[:4]), 1: from_words(SHA256_IV[4:]), 2: wk0}))
    out.append(case("kat_sha256h2_abc", "sha256h2 q1, q0, v2.4s",
                    v={0: from_words(SHA256_IV[:4]), 1: from_words(SHA256_IV[4:]), 2: wk0}))
    # SHA-256 schedule: W16..W19 from W0..W15 of "abc".
    out.append(case("kat_sha256_sched_abc", "sha256su0 v0.4s, v1.4s; sha256su1 v0.4s, v2.4s, v3.4s",
                    v={0: from_words(ABC_W[0:4]), 1: from_words(ABC_W[4:8]),
                       2: from_words(ABC_W[8:12]), 3: from_words(ABC_W[12:16])}))
    # SHA-1 "abc": rounds 0-3 (e from sha1h of the old a for the next group).
    wk = from_words([(w + 0x5A827999) & M32 for w in ABC_W[0:4]])
    out.append(case("kat_sha1_abc_r0_3", "sha1h s3, s0; sha1c q0, s1, v2.4s",
                    v={0: from_words(SHA1_IV[:4]), 1: SHA1_IV[4], 2: wk}))
    out.append(case("kat_sha1p_abc", "sha1p q0, s1, v2.4s", v={0: from_words(SHA1_IV[:4]), 1: SHA1_IV[4], 2: wk}))
    out.append(case("kat_sha1m_abc", "sha1m q0, s1, v2.4s", v={0: from_words(SHA1_IV[:4]), 1: SHA1_IV[4], 2: wk}))
    out.append(case("kat_sha1_sched_abc", "sha1su0 v0.4s, v1.4s, v2.4s; sha1su1 v0.4s, v3.4s",
                    v={0: from_words(ABC_W[0:4]), 1: from_words(ABC_W[4:8]),
                       2: from_words(ABC_W[8:12]), 3: from_words(ABC_W[12:16])}))
    # SHA-512 "abc": rounds 0-1 as in the usual sequence (ef gh cd ab pairs).
    ab, cd, ef, gh = (from_words(SHA512_IV[i:i + 2], 64) for i in (0, 2, 4, 6))
    wk = from_words([(w + k) & M64 for w, k in zip(ABC_W64, SHA512_K)], 64)
    seq = ("add v5.2d, v4.2d, v3.2d; ext v5.16b, v5.16b, v5.16b, #8; "
           "ext v6.16b, v2.16b, v3.16b, #8; ext v7.16b, v1.16b, v2.16b, #8; "
           "sha512h q5, q6, v7.2d; add v8.2d, v1.2d, v5.2d; sha512h2 q5, q1, v0.2d")
    out.append(case("kat_sha512_abc_r0_1", seq, v={0: ab, 1: cd, 2: ef, 3: gh, 4: wk}))
    out.append(case("kat_sha512_sched", "sha512su0 v0.2d, v1.2d; sha512su1 v0.2d, v2.2d, v3.2d",
                    v={0: from_words(ABC_W64, 64), 1: 0, 2: 0, 3: from_words([0, 0x18], 64)}))
    return out


def undef_cases():
    """Unallocated neighbours of these groups (SM3/SM4 encodings left out: not implemented)."""
    words = {
        "aese_size01": 0x4E284800 | 1 << 22,
        "aes_opcode01000": 0x4E288800,
        "sha1c_size01": 0x5E000000 | 1 << 22,
        "sha3reg_opcode111": 0x5E007000,
        "sha1h_opcode00011": 0x5E283800,
        "sha512_2reg_opcode10": 0xCEC08800,
        "four_reg_op0_11": 0xCE600000,
    }
    return [case(f"undef_{k}", f".inst {w:#010x}") for k, w in words.items()]


def cases():
    rng = random.Random(0xC4_7970)
    out = known_answer_cases()
    for mn, ops in FORMS.items():
        out += instr_cases(rng, mn, len(ops))
    out += instr_cases(rng, "xar", 3, xar_imm)
    out += undef_cases()
    return out
