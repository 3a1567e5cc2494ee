/* RV64A: LR/SC success and failure, every AMO .W/.D, sign extension of .W results. */
#define TEST_NAME "rv64a"
#include "test-macros.h"

/* Store `init` (64-bit) at amo_mem, run `op rd, rs2, (addr)`; check rd (a0) then memory (a3). */
#define TEST_AMO(n, op, init, src, oldval, newmem) \
test_##n:                              \
    li gp, n;                          \
    la a1, amo_mem;                    \
    li a2, init;                       \
    sd a2, 0(a1);                      \
    li a2, src;                        \
    op a0, a2, (a1);                   \
    CHECK(a0, oldval);                 \
    ld a3, 0(a1);                      \
    CHECK(a3, newmem);

TEST_BEGIN
    /* .W: old value sign-extended into rd, only the low word of memory changes */
    TEST_AMO(1, amoswap.w, 0x1111111180000000, 0x12345678, 0xffffffff80000000, 0x1111111112345678)
    TEST_AMO(2, amoswap.w, 0x22222222ffffffff, 0xabcdef0000000005, 0xffffffffffffffff, 0x2222222200000005)
    TEST_AMO(3, amoadd.w, 0x333333337fffffff, 1, 0x7fffffff, 0x3333333380000000)
    TEST_AMO(4, amoadd.w, 0x44444444ffffffff, 1, 0xffffffffffffffff, 0x4444444400000000)   /* no carry into the upper word */
    TEST_AMO(5, amoxor.w, 0x00000000f0f0f0f0, 0xffffffffffffffff, 0xfffffffff0f0f0f0, 0x000000000f0f0f0f)
    TEST_AMO(6, amoand.w, 0x55555555ff00ff00, 0x0ff00ff0, 0xffffffffff00ff00, 0x555555550f000f00)
    TEST_AMO(7, amoor.w, 0x66666666000000f0, 0x8000000f, 0xf0, 0x66666666800000ff)
    TEST_AMO(8, amomin.w, 0x0000000080000000, 1, 0xffffffff80000000, 0x0000000080000000)
    TEST_AMO(9, amomin.w, 0x0000000000000005, 0xfffffffffffffffe, 5, 0x00000000fffffffe)
    TEST_AMO(10, amomax.w, 0x0000000080000000, 1, 0xffffffff80000000, 0x0000000000000001)
    TEST_AMO(11, amominu.w, 0x0000000080000000, 1, 0xffffffff80000000, 0x0000000000000001)
    TEST_AMO(12, amomaxu.w, 0x0000000080000000, 1, 0xffffffff80000000, 0x0000000080000000)
    /* .W compares only the low 32 bits of rs2: 0x1_00000001 acts as 1 */
    TEST_AMO(13, amomaxu.w, 0x0000000000000000, 0x0000000100000001, 0, 0x0000000000000001)
    TEST_AMO(14, amomin.w, 0x0000000000000003, 0x7fffffff00000001, 3, 0x0000000000000001)
    TEST_AMO(15, amomaxu.w, 0x00000000fffffffe, 0xffffffff, 0xfffffffffffffffe, 0x00000000ffffffff)
    /* .D */
    TEST_AMO(16, amoswap.d, 0x8000000000000000, 0x0123456789abcdef, 0x8000000000000000, 0x0123456789abcdef)
    TEST_AMO(17, amoadd.d, 0x00000000ffffffff, 1, 0x00000000ffffffff, 0x0000000100000000)
    TEST_AMO(18, amoadd.d, 0xffffffffffffffff, 1, 0xffffffffffffffff, 0)
    TEST_AMO(19, amoxor.d, 0xff00ff00ff00ff00, 0x0ff00ff00ff00ff0, 0xff00ff00ff00ff00, 0xf0f0f0f0f0f0f0f0)
    TEST_AMO(20, amoand.d, 0xff00ff00ff00ff00, 0x0ff00ff00ff00ff0, 0xff00ff00ff00ff00, 0x0f000f000f000f00)
    TEST_AMO(21, amoor.d, 0xff00ff00ff00ff00, 0x0ff00ff00ff00ff0, 0xff00ff00ff00ff00, 0xfff0fff0fff0fff0)
    TEST_AMO(22, amomin.d, 0x8000000000000000, 1, 0x8000000000000000, 0x8000000000000000)
    TEST_AMO(23, amomin.d, 0x7fffffffffffffff, 0xffffffffffffffff, 0x7fffffffffffffff, 0xffffffffffffffff)
    TEST_AMO(24, amomax.d, 0x8000000000000000, 1, 0x8000000000000000, 1)
    TEST_AMO(25, amomax.d, 0xffffffffffffffff, 0xfffffffffffffffe, 0xffffffffffffffff, 0xffffffffffffffff)
    TEST_AMO(26, amominu.d, 0x8000000000000000, 1, 0x8000000000000000, 1)
    TEST_AMO(27, amomaxu.d, 0x8000000000000000, 1, 0x8000000000000000, 0x8000000000000000)
    TEST_AMO(28, amominu.d, 0xffffffffffffffff, 0xfffffffffffffffe, 0xffffffffffffffff, 0xfffffffffffffffe)
    /* .W on the upper word of a doubleword */
test_29:
    li gp, 29
    la a1, amo_mem
    li a2, 0x00000001ffffffff
    sd a2, 0(a1)
    addi a4, a1, 4
    li a2, 2
    amoadd.w a0, a2, (a4)
    CHECK(a0, 1)
    ld a3, 0(a1)
    CHECK(a3, 0x00000003ffffffff)
    /* rd = x0 still updates memory; rd == rs2 reads the old value */
    TEST_CASE(30, a3, 15, la a1, amo_mem; li a2, 10; sd a2, 0(a1); li a2, 5; amoadd.d x0, a2, (a1); ld a3, 0(a1))
    TEST_CASE(31, a2, 15, la a1, amo_mem; li a2, 99; amoswap.d a2, a2, (a1); ld a3, 0(a1); li t0, 99; bne a3, t0, fail)
    /* aq/rl encodings behave the same */
    TEST_CASE(32, a0, 7, la a1, amo_mem; li a2, 7; sd a2, 0(a1); li a2, 1; amoadd.d.aqrl a0, a2, (a1); ld a3, 0(a1); li t0, 8; bne a3, t0, fail)
    TEST_CASE(33, a0, 8, la a1, amo_mem; li a2, 2; amoswap.w.aq a0, a2, (a1); amoor.w.rl x0, a2, (a1))

    /* LR/SC */
test_40:                            /* lr.d / sc.d success */
    li gp, 40
    la a1, amo_mem
    li a2, 100
    sd a2, 0(a1)
    lr.d a0, (a1)
    CHECK(a0, 100)
    li a2, 200
    sc.d a3, a2, (a1)
    CHECK(a3, 0)
    ld a4, 0(a1)
    CHECK(a4, 200)
test_41:                            /* second sc without a new lr fails (QEMU writes 1), memory unchanged */
    li gp, 41
    li a2, 300
    sc.d a3, a2, (a1)
    CHECK(a3, 1)
    ld a4, 0(a1)
    CHECK(a4, 200)
test_42:                            /* lr.w sign-extends; sc.w writes only 32 bits */
    li gp, 42
    li a2, 0x7777777780000000
    sd a2, 0(a1)
    lr.w a0, (a1)
    CHECK(a0, 0xffffffff80000000)
    li a2, 0xffffffff00000001
    sc.w a3, a2, (a1)
    CHECK(a3, 0)
    ld a4, 0(a1)
    CHECK(a4, 0x7777777700000001)
test_43:                            /* intervening successful sc kills the reservation */
    li gp, 43
    lr.d a0, (a1)
    sc.d a3, a0, (a1)
    CHECK(a3, 0)
    sc.d a3, a0, (a1)
    CHECK(a3, 1)
test_44:                            /* sc without any lr after reset of reservation */
    li gp, 44
    la a5, amo_mem2
    li a2, 5
    sd a2, 0(a5)
    sc.d a3, a2, (a5)
    CHECK(a3, 1)
test_45:                            /* sc to a different address than the lr fails (QEMU) */
    li gp, 45
    lr.d a0, (a1)
    li a2, 6
    sc.d a3, a2, (a5)
    CHECK(a3, 1)
    ld a4, 0(a5)
    CHECK(a4, 5)
test_46:
    /* Store by the same hart to the reserved word (changing its value), then sc:
     * QEMU implements sc as compare-and-swap against the lr value, so it fails.
     * (The spec allows success; our CPU matches QEMU.) */
    li gp, 46
    li a2, 1000
    sd a2, 0(a1)
    lr.d a0, (a1)
    li a2, 1001
    sd a2, 0(a1)
    li a2, 1002
    sc.d a3, a2, (a1)
    CHECK(a3, 1)
    ld a4, 0(a1)
    CHECK(a4, 1001)
test_47:                            /* lr.w then sc.d to same address (size mismatch) */
    li gp, 47
    lr.d a0, (a1)
    li a2, 55
    sc.d a3, a2, (a1)
    CHECK(a3, 0)
    lr.w a0, (a1)
    CHECK(a0, 55)
    li a2, 56
    sc.w a3, a2, (a1)
    CHECK(a3, 0)
    ld a4, 0(a1)
    CHECK(a4, 56)
test_48:                            /* a retry loop (the canonical CAS idiom) */
    li gp, 48
    li a2, 10
    sd a2, 0(a1)
1:  lr.d a0, (a1)
    addi a0, a0, 5
    sc.d a3, a0, (a1)
    bnez a3, 1b
    ld a4, 0(a1)
    CHECK(a4, 15)
test_49:                            /* sc rd = rs2 */
    li gp, 49
    lr.d a0, (a1)
    li a2, 77
    sc.d a2, a2, (a1)
    CHECK(a2, 0)
    ld a4, 0(a1)
    CHECK(a4, 77)
test_50:                            /* an exception between lr and sc: record QEMU's outcome */
    li gp, 50
    lr.d a0, (a1)
    SET_MRESUME(1f)
    ecall
    j fail
1:  li a2, 78
    sc.d a3, a2, (a1)
    /* QEMU drops the reservation across the trap: sc fails (the spec allows either). */
    CHECK(a3, 1)
    ld a4, 0(a1)
    CHECK(a4, 77)
TEST_END

    .data
    .balign 64
amo_mem:  .dword 0, 0
    .balign 64
amo_mem2: .dword 0, 0
