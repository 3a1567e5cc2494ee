/* Decoder strictness: reserved/unsupported encodings that must raise illegal
 * instruction (mtval = the instruction bits, as QEMU 7.2 reports them), and HINT
 * encodings that must execute as no-ops.
 * QEMU args: -cpu rv64,h=false -icount shift=0,sleep=off */
#define TEST_NAME "decode"
#include "test-macros.h"

/* 32-bit word that must trap illegal with mtval = word. */
#define ILL32(n, bits)                 \
    TEST_MTRAP(n, CAUSE_ILLEGAL, test_##n##_i: .word bits) \
    CHECK_MEPC(test_##n##_i)           \
    CHECK_MTVAL(bits)
/* 16-bit parcel that must trap illegal with mtval = parcel. */
#define ILL16(n, bits)                 \
    TEST_MTRAP(n, CAUSE_ILLEGAL, .balign 4; test_##n##_i: .half bits; .half 0x0001) \
    CHECK_MEPC(test_##n##_i)           \
    CHECK_MTVAL(bits)
/* Encoding that must execute without a trap and leave the registers alone. */
#define HINT32(n, bits)                \
    TEST_CASE(n, a0, 0x55, CLEAR_TRAPS; li a0, 0x55; .word bits; CHECK_MCOUNT(0))
#define HINT16(n, bits)                \
    TEST_CASE(n, a0, 0x55, CLEAR_TRAPS; li a0, 0x55; .balign 4; .half bits; .half 0x0001; CHECK_MCOUNT(0))

    .option norvc
TEST_BEGIN
    la a0, scratch                   /* a0 points at scratch memory for the load/store forms */
    /* ---- base ISA ---- */
    ILL32(1, 0x00057503)             /* LOAD funct3 = 7 (ldu, RV128) */
    ILL32(2, 0x00a54023)             /* STORE funct3 = 4 */
    ILL32(3, 0x00a57023)             /* STORE funct3 = 7 */
    ILL32(4, 0x00a52063)             /* BRANCH funct3 = 2 */
    ILL32(5, 0x00a53063)             /* BRANCH funct3 = 3 */
    ILL32(6, 0x00051567)             /* JALR funct3 = 1 */
    ILL32(7, 0x04a50533)             /* OP funct7 = 2 */
    ILL32(8, 0x40a51533)             /* OP funct7 = 0x20 with funct3 = 1 (sll) */
    ILL32(9, 0x40a5153b)             /* OP-32 funct7 = 0x20 with funct3 = 1 (sllw) */
    ILL32(10, 0x02a5153b)            /* OP-32 funct7 = 1 funct3 = 1 (no mulhw) */
    ILL32(11, 0x0205151b)            /* slliw with shamt[5] = 1 */
    ILL32(12, 0x0205551b)            /* srliw with shamt[5] = 1 */
    ILL32(13, 0x4205551b)            /* sraiw with shamt[5] = 1 */
    ILL32(14, 0x04051513)            /* slli with imm[11:6] = 1 */
    ILL32(15, 0x44055513)            /* srai with imm[11:6] = 0x11 */
    ILL32(16, 0x0005251b)            /* OP-IMM-32 funct3 = 2 */
    ILL32(17, 0x0000000b)            /* custom-0 opcode */
    ILL32(18, 0x0000007b)            /* custom-3 opcode */
    /* ---- A ---- */
    ILL32(19, 0x00a5052f)            /* AMO funct3 = 0 (byte AMOs not implemented) */
    ILL32(20, 0x28a5252f)            /* AMO funct5 = 5 */
    ILL32(21, 0x10a5252f)            /* lr.w with rs2 != 0 */
    /* ---- SYSTEM ---- */
    ILL32(22, 0x00000573)            /* ecall with rd != 0 */
    ILL32(23, 0x00150073)            /* ebreak with rs1 != 0 */
    ILL32(24, 0x30200573)            /* mret with rd != 0 */
    ILL32(25, 0x10550073)            /* wfi with rs1 != 0 */
    ILL32(26, 0x00054073)            /* SYSTEM funct3 = 4 */
    ILL32(27, 0x00300073)            /* funct12 = 3, not a defined system instruction */
    /* ---- F/D ---- */
    ILL32(28, 0x04a57553)            /* fadd.h (fmt = 2, no Zfh) */
    ILL32(29, 0x06a57553)            /* fadd.q (fmt = 3, no Q) */
    ILL32(30, 0xe0150553)            /* fmv.x.w with rs2 = 1 */
    ILL32(31, 0x58157553)            /* fsqrt.s with rs2 = 1 */
    ILL32(32, 0xc0457553)            /* fcvt.w.s with rs2 = 4 */
    ILL32(33, 0x00051507)            /* flh (no Zfh) */
    ILL32(34, 0x00a51027)            /* fsh (no Zfh) */
    ILL32(35, 0x04a57543)            /* fmadd with fmt = 2 */
    /* ---- compressed reserved encodings ---- */
    ILL16(37, 0x4002)                /* c.lwsp rd = 0 */
    ILL16(38, 0x6002)                /* c.ldsp rd = 0 */
    ILL16(39, 0x8002)                /* c.jr rs1 = 0 */
    ILL16(40, 0x6101)                /* c.addi16sp imm = 0 */
    ILL16(41, 0x0004)                /* c.addi4spn imm = 0 */
    ILL16(42, 0x8000)                /* quadrant 0 funct3 = 4 (reserved) */
    ILL16(43, 0x9c41)                /* CA reserved funct2 = 2 with bit 12 set */
    ILL16(44, 0x9c61)                /* CA reserved funct2 = 3 with bit 12 set */
    /* ---- HINTs execute as no-ops ---- */
    HINT32(60, 0x00151013)           /* slli x0, a0, 1 */
    HINT32(61, 0x00056013)           /* ori x0, a0, 0 (prefetch-style hint space) */
    HINT32(62, 0x8330000f)           /* fence.tso */
    HINT32(63, 0x0100000f)           /* pause */
    HINT32(64, 0x00a00033)           /* add x0, x0, a0 */
    HINT16(65, 0x0005)               /* c.nop with imm = 1 */
    HINT16(66, 0x4015)               /* c.li x0, 5 */
    HINT16(67, 0x6005)               /* c.lui x0, 1 */
    HINT16(68, 0x802a)               /* c.mv x0, a0 */
    HINT16(69, 0x902a)               /* c.add x0, a0 */
    HINT16(70, 0x0006)               /* c.slli x0, 1 */
TEST_END

    .data
    .balign 16
scratch: .dword 0, 0, 0, 0
