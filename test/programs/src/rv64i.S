/* RV64I: ALU (incl. W forms), shifts, LUI/AUIPC, branches, jumps, loads/stores, x0. */
#define TEST_NAME "rv64i"
#include "test-macros.h"

/* Branch taken / not taken checks. */
#define TEST_BR_TAKEN(n, inst, v1, v2) \
test_##n: li gp, n; li a1, v1; li a2, v2; inst a1, a2, test_##n##_ok; j fail; test_##n##_ok:
#define TEST_BR_NOT(n, inst, v1, v2) \
test_##n: li gp, n; li a1, v1; li a2, v2; inst a1, a2, fail;

TEST_BEGIN
    /* ADD / SUB */
    TEST_RR(1, add, 0, 0, 0)
    TEST_RR(2, add, 3, 1, 2)
    TEST_RR(3, add, 0x8000000000000000, 0x7fffffffffffffff, 1)
    TEST_RR(4, add, 0, -1, 1)
    TEST_RR(5, add, 0xfffffffffffffffe, -1, -1)
    TEST_RR(6, sub, 0xffffffffffffffff, 0, 1)
    TEST_RR(7, sub, 0x7fffffffffffffff, 0x8000000000000000, 1)
    TEST_RR(8, sub, 0, 0x123456789abcdef0, 0x123456789abcdef0)
    TEST_RR_SRC1(9, add, 24, 13, 11)
    TEST_RR_SRC12(10, add, 26, 13)
    /* ADDW / SUBW: 32-bit result sign-extended */
    TEST_RR(11, addw, 0xffffffff80000000, 0x7fffffff, 1)
    TEST_RR(12, addw, 0, 0xffffffff, 1)
    TEST_RR(13, addw, 0x12345678, 0xaaaaaaaa12345678, 0)
    TEST_RR(14, addw, 0xffffffff87654321, 0x87654321, 0x5555555500000000)
    TEST_RR(15, subw, 0x7fffffff, 0x80000000, 1)
    TEST_RR(16, subw, 0xffffffffffffffff, 0x100000000, 1)
    /* ADDI / ADDIW */
    TEST_RI(17, addi, 0x800, 0x801, -1)
    TEST_RI(18, addi, 0xfffffffffffff800, 0, -2048)
    TEST_RI(19, addi, 2047, 0, 2047)
    TEST_RI(20, addi, 0x8000000000000000, 0x7fffffffffffffff, 1)
    TEST_RI(21, addiw, 0xffffffff80000000, 0x7fffffff, 1)
    TEST_RI(22, addiw, 0xffffffffffffffff, 0x1234567800000000, -1)
    TEST_RI(23, addiw, 0x7fffffff, 0xffffffff80000000, -1)
    TEST_RI(24, addiw, 5, 0xfedcba9800000005, 0)   /* sext.w */
    /* SLT / SLTU / SLTI / SLTIU */
    TEST_RR(25, slt, 1, -1, 0)
    TEST_RR(26, slt, 0, 0, -1)
    TEST_RR(27, slt, 1, 0x8000000000000000, 0x7fffffffffffffff)
    TEST_RR(28, slt, 0, 5, 5)
    TEST_RR(29, sltu, 0, -1, 0)
    TEST_RR(30, sltu, 1, 0, -1)
    TEST_RR(31, sltu, 0, 0x8000000000000000, 0x7fffffffffffffff)
    TEST_RR(32, sltu, 1, 0x7fffffffffffffff, 0x8000000000000000)
    TEST_RI(33, slti, 1, -2, -1)
    TEST_RI(34, slti, 0, 0, -2048)
    TEST_RI(35, slti, 1, 0x8000000000000000, 0)
    TEST_RI(36, sltiu, 1, 0xfffffffffffffffe, -1)   /* imm sign-extended, compared unsigned */
    TEST_RI(37, sltiu, 0, 0xffffffffffffffff, -1)
    TEST_RI(38, sltiu, 1, 0, 1)                      /* seqz */
    TEST_RI(39, sltiu, 0, 0x800, 0x7ff)
    /* Logical */
    TEST_RR(40, and, 0x0f000f000f000f00, 0xff00ff00ff00ff00, 0x0f0f0f0f0f0f0f0f)
    TEST_RR(41, or,  0xff0fff0fff0fff0f, 0xff00ff00ff00ff00, 0x0f0f0f0f0f0f0f0f)
    TEST_RR(42, xor, 0xf00ff00ff00ff00f, 0xff00ff00ff00ff00, 0x0f0f0f0f0f0f0f0f)
    TEST_RI(43, andi, 0xff00ff00ff00ff00, 0xff00ff00ff00ff00, -1)
    TEST_RI(44, andi, 0x700, 0xff00ff00ff00ff00, 0x70f)
    TEST_RI(45, andi, 0xff00ff00ff00f800, 0xff00ff00ff00ff00, -2048)
    TEST_RI(46, ori, 0xfffffffffffff80f, 0x0f, -2048)
    TEST_RI(47, xori, 0x00ff00ff00ff00ff, 0xff00ff00ff00ff00, -1)  /* not */
    TEST_RI(48, xori, 0xff00ff00ff00f80f, 0xff00ff00ff00ff00, 0x70f)
    /* 64-bit shifts: register shift amount uses low 6 bits */
    TEST_RR(49, sll, 0x8000000000000000, 1, 63)
    TEST_RR(50, sll, 8, 1, 67)
    TEST_RR(51, sll, 1, 1, 64)
    TEST_RR(52, sll, 0x2468acf0, 0x12345678, 0xffffffffffffffc1)
    TEST_RR(53, srl, 1, 0x8000000000000000, 63)
    TEST_RR(54, srl, 0x0800000000000000, 0x8000000000000000, 0x44)
    TEST_RR(55, sra, 0xffffffffffffffff, 0x8000000000000000, 63)
    TEST_RR(56, sra, 0xf800000000000000, 0x8000000000000000, 4)
    TEST_RR(57, sra, 0x0800000000000000, 0x4000000000000000, 3)
    TEST_RR(58, sra, 0x8000000000000000, 0x8000000000000000, 128)
    TEST_RI(59, slli, 0x8000000000000000, 1, 63)
    TEST_RI(60, slli, 0xfffffffe00000000, 0xffffffff, 33)
    TEST_RI(61, srli, 0x00000000ffffffff, 0xffffffffffffffff, 32)
    TEST_RI(62, srli, 1, 0xffffffffffffffff, 63)
    TEST_RI(63, srai, 0xffffffffffffffff, 0x8000000000000000, 63)
    TEST_RI(64, srai, 0xffffffff80000000, 0x8000000000000000, 32)
    TEST_RI(65, srai, 0x7fffffffffffffff, 0x7fffffffffffffff, 0)
    /* W shifts: 5-bit amount, 32-bit operation, result sign-extended */
    TEST_RR(66, sllw, 0xffffffff80000000, 1, 31)
    TEST_RR(67, sllw, 8, 1, 35)                       /* 35 & 31 = 3 */
    TEST_RR(68, sllw, 1, 1, 32)
    TEST_RR(69, sllw, 0, 0xffffffff00000000, 4)      /* upper input bits ignored */
    TEST_RR(70, sllw, 0xfffffffff0000000, 0x0fffffff, 28)
    TEST_RR(71, srlw, 0xffffffff80000000, 0x80000000, 0)   /* result bit 31 extends */
    TEST_RR(72, srlw, 0x40000000, 0xffffffff80000000, 1)
    TEST_RR(73, srlw, 1, 0x80000000, 63)              /* 63 & 31 = 31 */
    TEST_RR(74, srlw, 0x0fffffff, 0x12345678ffffffff, 4)
    TEST_RR(75, sraw, 0xffffffffffffffff, 0x80000000, 31)
    TEST_RR(76, sraw, 0xfffffffff8000000, 0x80000000, 4)
    TEST_RR(77, sraw, 0x07ffffff, 0xffffffff7fffffff, 36)  /* input bits 63:32 ignored */
    TEST_RI(78, slliw, 0xffffffff80000000, 1, 31)
    TEST_RI(79, slliw, 0x12345678, 0xffffffff12345678, 0)
    TEST_RI(80, slliw, 0x23456780, 0xabcdef0012345678, 4)
    TEST_RI(81, srliw, 0x7fffffff, 0xffffffff, 1)
    TEST_RI(82, srliw, 0xffffffffffffffff, 0xffffffff, 0)
    TEST_RI(83, srliw, 1, 0xffffffff80000000, 31)
    TEST_RI(84, sraiw, 0xffffffffffffffff, 0x80000000, 31)
    TEST_RI(85, sraiw, 0x00000000, 0xffffffff00000000, 31)
    TEST_RI(86, sraiw, 0xffffffffff876543, 0x7777777787654321, 8)
    /* LUI / AUIPC */
    TEST_CASE(87, a0, 0xffffffff80000000, lui a0, 0x80000)
    TEST_CASE(88, a0, 0x7ffff000, lui a0, 0x7ffff)
    TEST_CASE(89, a0, 0xfffffffffffff000, lui a0, 0xfffff)
    TEST_CASE(90, a0, 0xffffffffffffe800, lui a0, 0xfffff; addi a0, a0, -2048)
test_91:
    li gp, 91
1:  auipc a0, 0
    la a1, 1b
    bne a0, a1, fail
test_92:
    li gp, 92
1:  auipc a0, 1
    la a1, 1b
    sub a0, a0, a1
    CHECK(a0, 0x1000)
test_93:
    li gp, 93
1:  auipc a0, 0xfffff               /* -0x1000 */
    la a1, 1b
    sub a0, a0, a1
    CHECK(a0, -0x1000)
test_94:
    li gp, 94
1:  auipc a0, 0x80000               /* sign-extended: pc - 2 GiB */
    la a1, 1b
    sub a0, a0, a1
    CHECK(a0, 0xffffffff80000000)
    /* Branches */
    TEST_BR_TAKEN(95, beq, -1, -1)
    TEST_BR_NOT(96, beq, 0, 0x100000000)
    TEST_BR_TAKEN(97, bne, 0, 0x100000000)
    TEST_BR_NOT(98, bne, 7, 7)
    TEST_BR_TAKEN(99, blt, -1, 0)
    TEST_BR_NOT(100, blt, 0, -1)
    TEST_BR_NOT(101, blt, 5, 5)
    TEST_BR_TAKEN(102, blt, 0x8000000000000000, 0x7fffffffffffffff)
    TEST_BR_TAKEN(103, bge, 5, 5)
    TEST_BR_TAKEN(104, bge, 0, -1)
    TEST_BR_NOT(105, bge, -1, 0)
    TEST_BR_TAKEN(106, bltu, 0, -1)
    TEST_BR_NOT(107, bltu, -1, 0)
    TEST_BR_NOT(108, bltu, 0x8000000000000000, 0x7fffffffffffffff)
    TEST_BR_TAKEN(109, bltu, 0x7fffffffffffffff, 0x8000000000000000)
    TEST_BR_TAKEN(110, bgeu, -1, 0)
    TEST_BR_TAKEN(111, bgeu, 3, 3)
    TEST_BR_NOT(112, bgeu, 0, -1)
    TEST_BR_NOT(113, bltu, 0x100000000, 0xffffffff)
test_114:                            /* backward branch loop */
    li gp, 114
    li a0, 0
    li a1, 10
1:  addi a0, a0, 1
    blt a0, a1, 1b
    CHECK(a0, 10)
    /* JAL / JALR */
test_115:
    li gp, 115
    li ra, 0
    jal ra, 1f
2:  j fail
1:  la a1, 2b
    bne ra, a1, fail
test_116:                            /* jal x0 (j) leaves ra alone */
    li gp, 116
    li ra, 77
    jal x0, 1f
    j fail
1:  CHECK(ra, 77)
test_117:                            /* jalr clears bit 0 of the target */
    li gp, 117
    la a1, 1f
    addi a1, a1, 1
    jalr ra, 0(a1)
2:  j fail
    .balign 4
1:  la a2, 2b
    bne ra, a2, fail
test_118:                            /* jalr with negative offset, odd sum */
    li gp, 118
    la a1, 1f
    addi a1, a1, 7
    jalr t0, -6(a1)
2:  j fail
    .balign 4
1:  la a2, 2b
    bne t0, a2, fail
test_119:                            /* rd == rs1: target uses the old value */
    li gp, 119
    la a1, 1f
    jalr a1, 0(a1)
2:  j fail
1:  la a2, 2b
    bne a1, a2, fail
test_120:                            /* call / ret through a function */
    li gp, 120
    li a0, 5
    call times_three
    CHECK(a0, 15)
    /* Loads: sign / zero extension */
    TEST_CASE(121, a0, 0xffffffffffffff80, la a1, ldata; lb a0, 0(a1))
    TEST_CASE(122, a0, 0x80, la a1, ldata; lbu a0, 0(a1))
    TEST_CASE(123, a0, 0x7f, la a1, ldata; lb a0, 1(a1))
    TEST_CASE(124, a0, 0x7f80, la a1, ldata; lh a0, 0(a1))
    TEST_CASE(125, a0, 0xffffffffff01, la a1, ldata; lhu a0, 2(a1); li t0, 0xffff; and a0, a0, t0; li t0, 0xffffffff0000; or a0, a0, t0)
    TEST_CASE(126, a0, 0xffffffffffffff01, la a1, ldata; lh a0, 2(a1))
    TEST_CASE(127, a0, 0xffffffffffffff01, la a1, ldata+4; lh a0, -2(a1))
    TEST_CASE(128, a0, 0xffffffffff017f80, la a1, ldata; lw a0, 0(a1))
    TEST_CASE(129, a0, 0xff017f80, la a1, ldata; lwu a0, 0(a1))
    TEST_CASE(130, a0, 0x12345678, la a1, ldata; lw a0, 4(a1))
    TEST_CASE(131, a0, 0x12345678ff017f80, la a1, ldata; ld a0, 0(a1))
    TEST_CASE(132, a0, 0x8877665544332211, la a1, ldata+16; ld a0, -8(a1))
    TEST_CASE(133, a0, 0xffffffff88776655, la a1, ldata; lw a0, 12(a1))
    TEST_CASE(134, a0, 0x88776655, la a1, ldata; lwu a0, 12(a1))
    TEST_CASE(135, a0, 0xffffffffffff8877, la a1, ldata; lh a0, 14(a1))
    TEST_CASE(136, a0, 0x8877, la a1, ldata; lhu a0, 14(a1))
    TEST_CASE(137, a0, 0xffffffffffffff88, la a1, ldata; lb a0, 15(a1))
    /* Stores of every width, read back */
    TEST_CASE(138, a0, 0xaaaaaaaaaaaaaa11, la a1, sdata; li a2, 0xaaaaaaaaaaaaaaaa; sd a2, 0(a1); li a2, 0x1234567811; sb a2, 0(a1); ld a0, 0(a1))
    TEST_CASE(139, a0, 0xaaaaaaaaaaaa2211, la a1, sdata; li a2, 0xaaaaaaaaaaaaaaaa; sd a2, 0(a1); li a2, 0x12342211; sh a2, 0(a1); ld a0, 0(a1))
    TEST_CASE(140, a0, 0xaaaaaaaa44332211, la a1, sdata; li a2, 0xaaaaaaaaaaaaaaaa; sd a2, 0(a1); li a2, 0x9944332211; sw a2, 0(a1); ld a0, 0(a1))
    TEST_CASE(141, a0, 0x0102030405060708, la a1, sdata; li a2, 0x0102030405060708; sd a2, 0(a1); ld a0, 0(a1))
    TEST_CASE(142, a0, 0x55aaaaaaaaaaaaaa, la a1, sdata+8; li a2, 0xaaaaaaaaaaaaaaaa; sd a2, -8(a1); li a2, 0x55; sb a2, -1(a1); ld a0, -8(a1))
    TEST_CASE(143, a0, 0xbeefaaaaaaaaaaaa, la a1, sdata+8; li a2, 0xaaaaaaaaaaaaaaaa; sd a2, -8(a1); li a2, 0xbeef; sh a2, -2(a1); ld a0, -8(a1))
    TEST_CASE(144, a0, 0xcafebabeaaaaaaaa, la a1, sdata+8; li a2, 0xaaaaaaaaaaaaaaaa; sd a2, -8(a1); li a2, 0xcafebabe; sw a2, -4(a1); ld a0, -8(a1))
    TEST_CASE(145, a0, 0x00000000000000ab, la a1, sdata; li a2, 0xab; sd zero, 0(a1); sb a2, 0(a1); lbu a0, 0(a1))
    TEST_CASE(146, a0, 0xffffffffffffffab, la a1, sdata; lb a0, 0(a1))
    /* load into the base register */
    TEST_CASE(147, a1, 0x12345678ff017f80, la a1, ldata; ld a1, 0(a1))
    /* store then load through a different alias of the same address */
    TEST_CASE(148, a0, 0x77, la a1, sdata; li a2, 0x77; sb a2, 3(a1); addi a3, a1, 4; lbu a0, -1(a3))
    /* x0 is hardwired */
    TEST_CASE(149, x0, 0, addi x0, x0, 5)
    TEST_CASE(150, x0, 0, lui x0, 0x12345)
    TEST_CASE(151, x0, 0, la a1, ldata; ld x0, 0(a1))
    TEST_CASE(152, a0, 0, li a1, 9; add x0, a1, a1; mv a0, x0)
    TEST_CASE(153, a0, 0, jal x0, 1f; 1: auipc x0, 1; addi a0, x0, 0)
    TEST_RR_ZERODEST(154, sub, 3, 1)
    /* sd of x0 stores zero */
    TEST_CASE(155, a0, 0, la a1, sdata; li a2, -1; sd a2, 0(a1); sd x0, 0(a1); ld a0, 0(a1))
    /* FENCE / FENCE.I / pause execute without effect */
    TEST_CASE(156, a0, 1, fence; fence.i; fence rw, rw; .word 0x0100000f; li a0, 1)
    /* self-modifying code with fence.i: patch "li a0, 1" into "li a0, 2" */
test_157:
    li gp, 157
    la a1, 1f
    li a2, 0x00200513          /* addi a0, x0, 2 */
    sw a2, 0(a1)
    fence.i
    .option push
    .option norvc
1:  addi a0, x0, 1
    .option pop
    CHECK(a0, 2)
    /* a program counter far from zero: addresses are 64-bit */
    TEST_CASE(158, a0, 0x80000000, la a0, _start)
    /* every register holds its own value (register file aliasing); sp and gp saved */
test_159:
    li gp, 159
    csrw mscratch, sp
    la t0, regsave
    sd gp, 0(t0)
    li x1, 0x0101010101010101 * 1
    li x2, 0x0101010101010101 * 2
    li x3, 0x0101010101010101 * 3
    li x4, 0x0101010101010101 * 4
    li x5, 0x0101010101010101 * 5
    li x6, 0x0101010101010101 * 6
    li x7, 0x0101010101010101 * 7
    li x8, 0x0101010101010101 * 8
    li x9, 0x0101010101010101 * 9
    li x10, 0x0101010101010101 * 10
    li x11, 0x0101010101010101 * 11
    li x12, 0x0101010101010101 * 12
    li x13, 0x0101010101010101 * 13
    li x14, 0x0101010101010101 * 14
    li x15, 0x0101010101010101 * 15
    li x16, 0x0101010101010101 * 16
    li x17, 0x0101010101010101 * 17
    li x18, 0x0101010101010101 * 18
    li x19, 0x0101010101010101 * 19
    li x20, 0x0101010101010101 * 20
    li x21, 0x0101010101010101 * 21
    li x22, 0x0101010101010101 * 22
    li x23, 0x0101010101010101 * 23
    li x24, 0x0101010101010101 * 24
    li x25, 0x0101010101010101 * 25
    li x26, 0x0101010101010101 * 26
    li x27, 0x0101010101010101 * 27
    li x28, 0x0101010101010101 * 28
    li x29, 0x0101010101010101 * 29
    li x30, 0x0101010101010101 * 30
    li x31, 0x0101010101010101 * 31
    /* sum of k * 0x0101..01 for k = 1..31 = 496 * 0x0101..01, computed in x0-free chain */
    add x1, x1, x2
    add x1, x1, x3
    add x1, x1, x4
    add x1, x1, x5
    add x1, x1, x6
    add x1, x1, x7
    add x1, x1, x8
    add x1, x1, x9
    add x1, x1, x10
    add x1, x1, x11
    add x1, x1, x12
    add x1, x1, x13
    add x1, x1, x14
    add x1, x1, x15
    add x1, x1, x16
    add x1, x1, x17
    add x1, x1, x18
    add x1, x1, x19
    add x1, x1, x20
    add x1, x1, x21
    add x1, x1, x22
    add x1, x1, x23
    add x1, x1, x24
    add x1, x1, x25
    add x1, x1, x26
    add x1, x1, x27
    add x1, x1, x28
    add x1, x1, x29
    add x1, x1, x30
    add x1, x1, x31
    /* x31 (t6) and x30 (t5) are still intact: check a few directly */
    li x2, 0x0101010101010101 * 31
    bne x31, x2, 1f
    li x2, 0x0101010101010101 * 17
    bne x17, x2, 1f
    li x2, 0x0101010101010101 * 8
    bne x8, x2, 1f
    li x2, 0x0101010101010101 * 496
    bne x1, x2, 1f
    csrr sp, mscratch
    la t0, regsave
    ld gp, 0(t0)
    j 2f
1:  csrr sp, mscratch
    la t0, regsave
    ld gp, 0(t0)
    j fail
2:
    /* branches and jumps over about 4 KiB in both directions */
test_160:
    li gp, 160
    li a0, 0
    beqz a0, 1f
    j fail
    .skip 4000
1:  li a0, 1
    jal ra, 3f
    j 4f
2:  li a0, 2
    ret
    .skip 4000
3:  bnez a0, 2b                        /* backward branch of about -4 KiB */
    j fail
4:  CHECK(a0, 2)
test_161:                              /* lui/addi carry: bit 11 set in the low part */
    li gp, 161
    lui a0, 0x12345
    addi a0, a0, -0x800
    CHECK(a0, 0x12344800)
    lui a0, 0x80000
    addiw a0, a0, -1                   /* 0x7fffffff: addiw wraps */
    CHECK(a0, 0x7fffffff)
    /* code that already ran is patched, then runs again after fence.i (decode caches) */
test_162:
    li gp, 162
    call patchable
    CHECK(a0, 1)
    la a1, patchable
    li a2, 0x00500513                  /* addi a0, x0, 5 */
    sw a2, 0(a1)
    fence.i
    call patchable
    CHECK(a0, 5)
    li a2, 0x00900513                  /* addi a0, x0, 9 */
    sw a2, 0(a1)
    fence.i
    call patchable
    CHECK(a0, 9)
    li a2, 0x00100513                  /* restore */
    sw a2, 0(a1)
    fence.i
TEST_END

    .option push
    .option norvc
    .balign 4
patchable:
    addi a0, x0, 1
    ret
    .option pop

times_three:
    slli a1, a0, 1
    add a0, a0, a1
    ret

    .data
    .balign 16
ldata:
    .byte 0x80, 0x7f, 0x01, 0xff
    .word 0x12345678
    .dword 0x8877665544332211
sdata:
    .dword 0, 0
regsave:
    .dword 0
