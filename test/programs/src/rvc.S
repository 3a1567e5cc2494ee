/* RVC: explicit compressed instructions (c.* mnemonics), 2-byte aligned 32-bit instructions.
 * (c.jal is RV32-only; its RV64 encoding is c.addiw, tested here.) */
#define TEST_NAME "rvc"
#include "test-macros.h"

    .option rvc
TEST_BEGIN
    /* c.li / c.lui / c.addi / c.addiw */
    TEST_CASE(1, a0, 0xffffffffffffffe0, c.li a0, -32)
    TEST_CASE(2, a0, 31, c.li a0, 31)
    TEST_CASE(3, a0, 0xfffffffffffe0000, c.lui a0, 0xfffe0)
    TEST_CASE(4, a0, 0x1f000, c.lui a0, 0x1f)
    TEST_CASE(5, a0, 0x7fffffff, li a0, 0x7fffffe0; c.addi a0, 31)
    TEST_CASE(6, a0, 0xffffffff80000000, li a0, 0x7fffffff; c.addiw a0, 1)
    TEST_CASE(7, a0, 0x00000005, li a0, 0x1234567800000005; c.addiw a0, 0)   /* sext.w */
    TEST_CASE(8, a0, 0xffffffffffffffff, li a0, 0; c.addi a0, -1)
    /* c.mv / c.add / c.sub / c.xor / c.or / c.and / c.addw / c.subw */
    TEST_CASE(9, a0, 0x1234, li a1, 0x1234; c.mv a0, a1)
    TEST_CASE(10, a0, 0x8000000000000000, li a0, 0x7fffffffffffffff; li a1, 1; c.add a0, a1)
    TEST_CASE(11, a0, 0xffffffffffffffff, li a0, 0; li a1, 1; c.sub a0, a1)
    TEST_CASE(12, a0, 0xf00ff00ff00ff00f, li a0, 0xff00ff00ff00ff00; li a1, 0x0f0f0f0f0f0f0f0f; c.xor a0, a1)
    TEST_CASE(13, a0, 0xff0fff0fff0fff0f, li a0, 0xff00ff00ff00ff00; li a1, 0x0f0f0f0f0f0f0f0f; c.or a0, a1)
    TEST_CASE(14, a0, 0x0f000f000f000f00, li a0, 0xff00ff00ff00ff00; li a1, 0x0f0f0f0f0f0f0f0f; c.and a0, a1)
    TEST_CASE(15, a0, 0xffffffff80000000, li a0, 0x7fffffff; li a1, 1; c.addw a0, a1)
    TEST_CASE(16, a0, 0x7fffffff, li a0, 0x80000000; li a1, 1; c.subw a0, a1)
    TEST_CASE(17, a0, 0xffffffffffffffff, li a0, 0x100000000; li a1, 1; c.subw a0, a1)
    /* shifts: 6-bit shamt on RV64 */
    TEST_CASE(18, a0, 0x8000000000000000, li a0, 1; c.slli a0, 63)
    TEST_CASE(19, a0, 0x100000000, li a0, 1; c.slli a0, 32)
    TEST_CASE(20, a0, 1, li a0, 0x8000000000000000; c.srli a0, 63)
    TEST_CASE(21, a0, 0x00000000ffffffff, li a0, 0xffffffffffffffff; c.srli a0, 32)
    TEST_CASE(22, a0, 0xffffffffffffffff, li a0, 0x8000000000000000; c.srai a0, 63)
    TEST_CASE(23, a0, 0xfffffffff0000000, li a0, 0x8000000000000000; c.srai a0, 35)
    TEST_CASE(24, a0, 0x0000000012345678, li a0, 0x1234567800000000; c.srai a0, 32)
    /* c.andi sign-extends its 6-bit immediate */
    TEST_CASE(25, a0, 0xffffffffffffffe0, li a0, -1; c.andi a0, -32)
    TEST_CASE(26, a0, 0x1f, li a0, -1; c.andi a0, 31)
    TEST_CASE(27, a0, 0, li a0, -1; c.andi a0, 0)
    /* stack-relative: c.addi16sp / c.addi4spn / c.*sp loads and stores */
test_28:
    li gp, 28
    mv s0, sp
    c.addi16sp sp, -496
    sub a0, s0, sp
    CHECK(a0, 496)
    c.addi16sp sp, 496
    bne sp, s0, fail
test_29:
    li gp, 29
    c.addi16sp sp, -64
    c.addi4spn a0, sp, 8
    sub a0, a0, sp
    CHECK(a0, 8)
    c.addi4spn a0, sp, 1020
    sub a0, a0, sp
    CHECK(a0, 1020)
    c.addi16sp sp, 64
test_30:
    li gp, 30
    addi sp, sp, -512
    li a0, 0x8877665544332211
    c.sdsp a0, 504(sp)
    c.ldsp a1, 504(sp)
    bne a0, a1, fail
    c.sdsp a0, 248(sp)
    c.lwsp a2, 248(sp)
    CHECK(a2, 0x44332211)
    c.lwsp a2, 252(sp)
    CHECK(a2, 0xffffffff88776655)         /* c.lwsp sign-extends */
    li a0, 0xcafebabe
    c.swsp a0, 244(sp)
    lwu a3, 244(sp)
    CHECK(a3, 0xcafebabe)
    c.sdsp zero, 0(sp)
    ld a3, 0(sp)
    CHECK(a3, 0)
    addi sp, sp, 512
    /* register-based c.lw / c.ld / c.sw / c.sd (x8-x15 only) */
test_31:
    li gp, 31
    la s1, cdata
    c.ld a0, 0(s1)
    CHECK(a0, 0x0123456789abcdef)
    c.lw a0, 0(s1)
    CHECK(a0, 0xffffffff89abcdef)
    c.lw a0, 4(s1)
    CHECK(a0, 0x01234567)
    li a1, 0x55
    c.sw a1, 120(s1)
    lw a2, 120(s1)
    CHECK(a2, 0x55)
    li a1, -2
    c.sd a1, 248(s1)
    ld a2, 248(s1)
    CHECK(a2, -2)
    /* c.j / c.jr / c.jalr / c.beqz / c.bnez */
test_32:
    li gp, 32
    c.j 1f
    j fail
1:  li a0, 0
    c.beqz a0, 2f
    j fail
2:  li a0, 1
    c.beqz a0, fail
    c.bnez a0, 3f
    j fail
3:  li a0, 0
    c.bnez a0, fail
test_33:                                  /* backward c.bnez loop */
    li gp, 33
    li a0, 5
    li a1, 0
1:  c.addi a1, 3
    c.addi a0, -1
    c.bnez a0, 1b
    CHECK(a1, 15)
test_34:                                  /* c.jalr links pc+2 */
    li gp, 34
    la a1, 2f
    .balign 4
1:  c.jalr a1
    j fail
2:  la a2, 1b
    sub a2, ra, a2
    CHECK(a2, 2)
test_35:
    li gp, 35
    la a1, 1f
    c.jr a1
    j fail
1:  nop
test_36:                                  /* c.jalr to an odd address: bit 0 is cleared */
    li gp, 36
    la a1, 1f
    addi a1, a1, 1
    c.jalr a1
    j fail
    .balign 2
1:  c.nop
test_37:                                  /* a function call / return with c.jalr / c.jr (ret) */
    li gp, 37
    la a1, c_double
    li a0, 21
    c.jalr a1
    CHECK(a0, 42)
test_38:                                  /* c.ebreak: cause 3, mepc = its address */
    li gp, 38
    CLEAR_TRAPS
    SET_MRESUME(2f)
1:  c.ebreak
    j fail
2:  CHECK_MCOUNT(1)
    CHECK_MCAUSE(CAUSE_BREAKPOINT)
    CHECK_MEPC(1b)
    /* QEMU 7.2 leaves mtval = 0 for breakpoints (the spec also allows the pc) */
    CHECK_MTVAL(0)
test_39:                                  /* 32-bit instructions at 2-mod-4 addresses */
    li gp, 39
    .balign 4
    c.nop
    .option push
    .option norvc
    addi a0, zero, 0x123
    li a1, 0x8000000000000000
    addi a0, a0, 1
    .option pop
    CHECK(a0, 0x124)
test_40:                                  /* a 32-bit instruction straddling a 4 KiB page boundary */
    li gp, 40
    li a0, 0
    call straddle
    CHECK(a0, 0x77)
test_41:                                  /* c.fld / c.fsd / c.fldsp / c.fsdsp */
    li gp, 41
    la s1, cdata
    c.fld fa0, 0(s1)
    c.fsd fa0, 16(s1)
    ld a0, 16(s1)
    CHECK(a0, 0x0123456789abcdef)
    addi sp, sp, -16
    c.fsdsp fa0, 8(sp)
    c.fldsp fa1, 8(sp)
    fmv.x.d a0, fa1
    addi sp, sp, 16
    CHECK(a0, 0x0123456789abcdef)
test_42:                                  /* c.add with x0 source is c.add, c.mv to self */
    li gp, 42
    li a0, 9
    c.mv a0, a0
    CHECK(a0, 9)
    /* the all-zero halfword is an illegal instruction; mtval holds the (zero) bits */
    TEST_MTRAP(43, CAUSE_ILLEGAL, .half 0)
    CHECK_MTVAL(0)
    /* c.addi16sp/c.lui reserved encodings (imm 0) are illegal: c.lui x10, 0 = 0x6501 */
    TEST_MTRAP(44, CAUSE_ILLEGAL, .half 0x6501)
    CHECK_MTVAL(0x6501)
    /* every compressed register (x8-x15) as base and data in CL/CS and CA formats */
#define CREG_RT(n, rb, rd)             \
test_##n:                              \
    li gp, n;                          \
    la rb, cdata;                      \
    li rd, 0x5a5a0000 + n;             \
    c.sw rd, 64(rb);                   \
    li rd, 0;                          \
    c.lw rd, 64(rb);                   \
    CHECK(rd, 0x5a5a0000 + n)
    CREG_RT(45, s0, s1)
    CREG_RT(46, s1, a0)
    CREG_RT(47, a0, a1)
    CREG_RT(48, a1, a2)
    CREG_RT(49, a2, a3)
    CREG_RT(50, a3, a4)
    CREG_RT(51, a4, a5)
    CREG_RT(52, a5, s0)
#define CREG_ALU(n, r1, r2)            \
test_##n:                              \
    li gp, n;                          \
    li r1, 100;                        \
    li r2, 58;                         \
    c.sub r1, r2;                      \
    c.addw r1, r2;                     \
    c.subw r1, r2;                     \
    c.srli r1, 1;                      \
    c.andi r1, 0x1f;                   \
    CHECK(r1, 21)
    CREG_ALU(53, s0, a5)
    CREG_ALU(54, s1, a4)
    CREG_ALU(55, a0, a3)
    CREG_ALU(56, a1, a2)
    CREG_ALU(57, a2, a1)
    CREG_ALU(58, a3, a0)
    CREG_ALU(59, a4, s1)
    CREG_ALU(60, a5, s0)
    /* full-register forms with registers outside x8-x15 */
    TEST_CASE(61, t4, 0x30, li t3, 0x10; li t4, 0x20; c.add t4, t3)
    TEST_CASE(62, ra, 7, c.li ra, 7)
    TEST_CASE(63, s11, 0x12345678abcd0000, li s10, 0x12345678abcd0000; c.mv s11, s10)
test_64:                                  /* c.ldsp/c.sdsp with ra and a high register */
    li gp, 64
    addi sp, sp, -16
    li t0, 0x1122334455667788
    c.sdsp t0, 8(sp)
    c.ldsp t5, 8(sp)
    c.lwsp ra, 8(sp)
    addi sp, sp, 16
    CHECK(t5, 0x1122334455667788)
    CHECK(ra, 0x55667788)
    /* c.slli on a high register; c.addi16sp positive step */
    TEST_CASE(65, t2, 0x300, li t2, 3; c.slli t2, 8)
TEST_END

c_double:
    c.add a0, a0
    c.jr ra

    /* Place a 4-byte instruction so it starts 2 bytes before a page end. */
    .section .text.straddle, "ax"
    .balign 4096
    .skip 4096 - 4
straddle:
    c.nop
    .option push
    .option norvc
    addi a0, zero, 0x77                   /* bytes 4094..4097 */
    .option pop
    c.jr ra

    .data
    .balign 16
cdata:
    .dword 0x0123456789abcdef
    .skip 256
