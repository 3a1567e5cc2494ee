/* Zicsr: CSR instruction forms, read-only traps, WARL fields, counters, fcsr aliasing.
 * Run QEMU with -cpu rv64,h=false (the modelled CPU has no H extension) and
 * -icount shift=0 (QEMU's instret/cycle are host ticks without icount). */
#define TEST_NAME "csr"
#include "test-macros.h"

/* Expected illegal-instruction trap whose mtval holds the instruction bits (read at mepc). */
#define TEST_ILLEGAL(n, code...)       \
    TEST_MTRAP(n, CAUSE_ILLEGAL, code) \
    la t6, mtrap_data;                 \
    ld t5, TD_EPC(t6);                 \
    lwu t5, 0(t5);                     \
    ld t6, TD_TVAL(t6);                \
    bne t5, t6, fail;

    .option norvc
TEST_BEGIN
    /* CSRRW / CSRRS / CSRRC and immediate forms on mscratch */
    TEST_CASE(1, a0, 0x1234, li a1, 0x1234; csrw mscratch, a1; csrr a0, mscratch)
    TEST_CASE(2, a0, 0x1234, li a1, 0xffff0000ffff0000; csrrw a0, mscratch, a1)
    TEST_CASE(3, a0, 0xffff0000ffff0000, csrr a0, mscratch)
    TEST_CASE(4, a0, 0xffff0000ffff0000, li a1, 0x0f; csrrs a0, mscratch, a1)
    TEST_CASE(5, a0, 0xffff0000ffff000f, csrr a0, mscratch)
    TEST_CASE(6, a0, 0xffff0000ffff000f, li a1, 0xffff000000000003; csrrc a0, mscratch, a1)
    TEST_CASE(7, a0, 0x0000000ffff000c, csrr a0, mscratch)
    TEST_CASE(8, a0, 0x0000000ffff000c, csrrwi a0, mscratch, 31)
    TEST_CASE(9, a0, 31, csrr a0, mscratch)
    TEST_CASE(10, a0, 31, csrrci a0, mscratch, 0x11)
    TEST_CASE(11, a0, 14, csrrsi a0, mscratch, 0x10)
    TEST_CASE(12, a0, 30, csrr a0, mscratch)
    /* immediate forms zero-extend the 5-bit field */
    TEST_CASE(13, a0, 0x1f, csrwi mscratch, 0x1f; csrr a0, mscratch)
    /* rd = x0 still writes; rs1 = x0 in csrrs/csrrc does not write */
    TEST_CASE(14, a0, 0x55, li a1, 0x55; csrrw x0, mscratch, a1; csrrs x0, mscratch, x0; csrrc x0, mscratch, x0; csrr a0, mscratch)
    /* rd == rs1: old value read before the write */
    TEST_CASE(15, a1, 0x55, li a1, 0x66; csrrw a1, mscratch, a1; csrr a2, mscratch; li t0, 0x66; bne a2, t0, fail)
    /* Identification registers (QEMU 7.2 values) */
    TEST_CASE(16, a0, 0x800000000014112d, csrr a0, misa)   /* RV64 ACDFIMSU */
    TEST_CASE(17, a0, 0, csrr a0, mhartid)
    TEST_CASE(18, a0, 0, csrr a0, mvendorid)
    TEST_CASE(19, a0, 0x70216, csrr a0, marchid)
    TEST_CASE(20, a0, 0x70216, csrr a0, mimpid)
    /* misa writes are ignored by QEMU 7.2 */
    TEST_CASE(21, a0, 0x800000000014112d, li a1, 0x8000000000141129; csrw misa, a1; csrr a0, misa)
    /* Writes to read-only CSRs trap; mtval = instruction bits (QEMU 7.2) */
    TEST_ILLEGAL(22, csrw mhartid, a1)
    TEST_ILLEGAL(23, csrw cycle, a1)
    TEST_ILLEGAL(24, csrrwi x0, mvendorid, 0)     /* csrrw always writes, even with rd = x0 */
    TEST_ILLEGAL(25, csrrsi a0, instret, 1)
    TEST_ILLEGAL(26, li a1, 1; csrrs a0, mimpid, a1)
    TEST_ILLEGAL(27, csrrc a0, time, a1)
    /* reads of read-only CSRs with rs1 = x0 / uimm = 0 do not trap */
    TEST_CASE(28, a0, 0, csrrs a0, mhartid, x0; csrrc a0, mhartid, x0; csrrsi a0, mhartid, 0; csrrci a0, mhartid, 0)
    /* Unimplemented CSR numbers trap */
    TEST_ILLEGAL(29, csrr a0, 0x7c0)
    TEST_ILLEGAL(30, csrr a0, 0x5ff)
    TEST_ILLEGAL(31, csrw 0xfc0, a0)
    /* mstatus: SXL/UXL read as 2 (64-bit) */
    TEST_CASE(32, a0, 0xa00000000, csrr a0, mstatus; li t0, 0xf00000000; and a0, a0, t0)
    /* SD summarises FS: FS=Dirty sets bit 63 */
test_33:
    li gp, 33
    li t0, MSTATUS_FS
    csrs mstatus, t0
    csrr a0, mstatus
    bgez a0, fail
    csrr a0, sstatus
    bgez a0, fail
    li t0, MSTATUS_FS
    csrc mstatus, t0
    csrr a0, mstatus
    bltz a0, fail
    li t0, (1 << 13)               /* back to Initial */
    csrs mstatus, t0
test_34:                           /* an FP write makes FS Dirty */
    li gp, 34
    fmv.d.x fa0, zero
    csrr a0, mstatus
    srli a0, a0, 13
    andi a0, a0, 3
    CHECK(a0, 3)
    bgez a0, 1f
1:  csrr a0, mstatus
    bgez a0, fail
test_35:                           /* MPP holds M, S, U */
    li gp, 35
    li t0, MSTATUS_MPP
    csrc mstatus, t0
    csrr a0, mstatus
    and a0, a0, t0
    CHECK(a0, 0)
    li t1, (PRV_S << 11)
    csrs mstatus, t1
    csrr a0, mstatus
    and a0, a0, t0
    CHECK(a0, 0x800)
    csrs mstatus, t0
    csrr a0, mstatus
    and a0, a0, t0
    CHECK(a0, 0x1800)
test_36:                           /* single-bit fields are writable */
    li gp, 36
    li t0, MSTATUS_SIE | MSTATUS_SPIE | MSTATUS_MPIE | MSTATUS_SPP | MSTATUS_SUM | MSTATUS_MXR | MSTATUS_TVM | MSTATUS_TW | MSTATUS_TSR
    csrs mstatus, t0
    csrr a0, mstatus
    and a0, a0, t0
    bne a0, t0, fail
    csrc mstatus, t0
    csrr a0, mstatus
    and a0, a0, t0
    bnez a0, fail
test_37:                           /* sstatus is a view: no MIE/MPIE/MPP/TVM bits, writes only S fields */
    li gp, 37
    li t0, MSTATUS_MIE | MSTATUS_MPIE | MSTATUS_MPP | MSTATUS_TVM | MSTATUS_TW | MSTATUS_TSR | MSTATUS_MPRV
    csrs mstatus, t0
    csrr a0, sstatus
    and a0, a0, t0
    bnez a0, fail
    csrc mstatus, t0
    li t1, -1
    csrs sstatus, t1
    csrr a0, mstatus
    and a0, a0, t0
    bnez a0, fail
    csrr a0, sstatus
    li t1, MSTATUS_SIE | MSTATUS_SPIE | MSTATUS_SPP | MSTATUS_SUM | MSTATUS_MXR
    and a0, a0, t1
    bne a0, t1, fail
    csrc sstatus, t1
    csrr a0, mstatus
    and a0, a0, t1
    bnez a0, fail
    /* XS is read-only 0, UBE/SBE/MBE are 0 (little-endian only) */
    TEST_CASE(38, a0, 0, li t0, MSTATUS_XS | MSTATUS_UBE | (3 << 36); csrs mstatus, t0; csrr a0, mstatus; and a0, a0, t0)
    /* mie / mip / mideleg / medeleg writable bits (masked to the standard ones) */
    TEST_CASE(39, a0, 0xaaa, li t0, -1; csrw mie, t0; csrr a0, mie; li t1, 0xfff & ~0x444; and a0, a0, t1; csrw mie, zero)  /* QEMU 7.2 also keeps VS bits 2,6,10 even without H */
    TEST_CASE(40, a0, 0x222, li t0, -1; csrw mideleg, t0; csrr a0, mideleg; li t1, 0xfff & ~0x444; and a0, a0, t1)
    TEST_CASE(41, a0, 0x222, li t0, 0x222; csrr a0, sie; csrw sie, t0; csrr a0, sie; li t1, 0xfff & ~0x444; and a0, a0, t1)
    TEST_CASE(42, a0, 0x222, csrr a0, mie; li t1, 0xfff & ~0x444; and a0, a0, t1; csrw sie, zero)
    /* sie is masked by mideleg: with nothing delegated S sees and sets nothing */
    TEST_CASE(43, a0, 0, csrw mideleg, zero; li t0, 0x222; csrw sie, t0; csrr a0, sie; csrr a1, mie; or a0, a0, a1)
    TEST_CASE(44, a0, 0xb1ff, li t0, -1; csrw medeleg, t0; csrr a0, medeleg; li t1, 0xb1ff; and a0, a0, t1; csrw medeleg, zero)
    /* mip: SSIP/STIP/SEIP are writable by M; MSIP/MTIP/MEIP are not */
    TEST_CASE(45, a0, 0x222, li t0, MIP_SSIP | MIP_STIP | MIP_SEIP | MIP_MSIP | MIP_MEIP; csrw mip, t0; csrr a0, mip; li t1, 0xb2a; and a0, a0, t1; csrw mip, zero)
    TEST_CASE(46, a0, 0, csrr a0, mip; li t1, 0x222; and a0, a0, t1)
    /* sip.SSIP writable when delegated */
    TEST_CASE(47, a0, 2, li t0, 0x222; csrw mideleg, t0; csrsi sip, 2; csrr a0, sip; andi a0, a0, 0x222; csrw sip, zero; csrw mideleg, zero)
    /* mtvec: direct and vectored modes; modes 2 and 3 are ignored by QEMU (mtvec unchanged) */
test_48:
    li gp, 48
    csrr s0, mtvec
    la t0, trap_entry_m
    bne s0, t0, fail
    ori t1, t0, 1
    csrw mtvec, t1
    csrr a0, mtvec
    bne a0, t1, fail
    ori t1, t0, 2
    csrw mtvec, t1
    csrr a0, mtvec
    ori t2, t0, 1
    bne a0, t2, fail
    csrw mtvec, s0
    li t1, 0x80001003
    csrw stvec, t1
    csrr a0, stvec
    li t1, 0x80001000
    csrw stvec, t1
    csrr a1, stvec
    bne a1, t1, fail
    li t1, 0x80002003
    csrw stvec, t1
    csrr a2, stvec
    li t1, 0x80001000
    bne a2, t1, fail
    /* mepc/sepc hold 2-byte aligned addresses. (The spec makes bit 0 read 0; QEMU 7.2
     * stores and returns it unmasked, so bit 0 is deliberately not tested.) */
    TEST_CASE(49, a0, 0xfffffffffffffffe, li t0, -2; csrw mepc, t0; csrr a0, mepc)
    TEST_CASE(50, a0, 0x80000002, li t0, 0x80000002; csrw sepc, t0; csrr a0, sepc)
    /* mcause/mtval/scause/stval/sscratch hold full 64-bit values in QEMU */
    TEST_CASE(51, a0, 0x8000000000000005, li t0, 0x8000000000000005; csrw mcause, t0; csrr a0, mcause)
    TEST_CASE(52, a0, 0x123456789, li t0, 0x123456789; csrw mtval, t0; csrr a0, mtval)
    TEST_CASE(53, a0, 0xdeadbeefcafe, li t0, 0xdeadbeefcafe; csrw stval, t0; csrr a0, stval)
    TEST_CASE(54, a0, 0x8000000000000009, li t0, 0x8000000000000009; csrw scause, t0; csrr a0, scause)
    TEST_CASE(55, a0, -1, li t0, -1; csrw sscratch, t0; csrr a0, sscratch)
    /* Counters (-icount shift=0: one tick per instruction) */
test_56:                           /* instret counts exactly: 10 nops + the second read */
    li gp, 56
    rdinstret a1
    nop; nop; nop; nop; nop; nop; nop; nop; nop; nop
    rdinstret a0
    sub a0, a0, a1
    CHECK(a0, 11)
test_57:                           /* cycle increases */
    li gp, 57
    rdcycle a1
    nop; nop; nop; nop
    rdcycle a0
    bleu a0, a1, fail
test_58:                           /* mcycle/minstret are aliases of cycle/instret and writable */
    li gp, 58
    csrr a0, minstret
    rdinstret a1
    sub a1, a1, a0
    CHECK(a1, 1)
    li t0, 1000
    csrw minstret, t0
    rdinstret a0
    /* QEMU: the written value, plus 1 for the csrw itself, is what the next read sees */
    CHECK(a0, 1001)
    li t0, 5000
    csrw mcycle, t0
    rdcycle a0
    li t1, 5000
    bltu a0, t1, fail
    li t1, 5010
    bgeu a0, t1, fail
test_59:                           /* time follows CLINT mtime */
    li gp, 59
    rdtime a0
    li t0, CLINT_MTIME
    ld a1, 0(t0)
    bltu a1, a0, fail
    sub a1, a1, a0
    li t1, 1000
    bgeu a1, t1, fail
    /* a loop counted by instret */
test_60:
    li gp, 60
    li a2, 100
    rdinstret a1
1:  addi a2, a2, -1
    bnez a2, 1b
    rdinstret a0
    sub a0, a0, a1
    CHECK(a0, 201)
    /* Counter access from S-mode depends on mcounteren */
test_61:
    li gp, 61
    csrw mcounteren, zero
    CLEAR_TRAPS
    SET_MRESUME(1f)
    GOTO_PRIV(PRV_S, 2f)
2:  rdcycle a0
    j fail
1:  CHECK_MCOUNT(1)
    CHECK_MCAUSE(CAUSE_ILLEGAL)
    CHECK_MPP(PRV_S)
test_62:                           /* with mcounteren.CY/TM/IR set, S reads all three */
    li gp, 62
    li t0, 7
    csrw mcounteren, t0
    CLEAR_TRAPS
    SET_MRESUME(1f)
    GOTO_PRIV(PRV_S, 2f)
2:  rdcycle a0
    rdtime a0
    rdinstret a0
    ecall
    j fail
1:  CHECK_MCOUNT(1)
    CHECK_MCAUSE(CAUSE_ECALL_S)
test_63:                           /* U needs scounteren too */
    li gp, 63
    csrw scounteren, zero
    CLEAR_TRAPS
    SET_MRESUME(1f)
    GOTO_PRIV(PRV_U, 2f)
2:  rdtime a0
    j fail
1:  CHECK_MCOUNT(1)
    CHECK_MCAUSE(CAUSE_ILLEGAL)
    CHECK_MPP(PRV_U)
test_64:
    li gp, 64
    li t0, 7
    csrw scounteren, t0
    CLEAR_TRAPS
    SET_MRESUME(1f)
    GOTO_PRIV(PRV_U, 2f)
2:  rdinstret a0
    rdcycle a0
    ecall
    j fail
1:  CHECK_MCAUSE(CAUSE_ECALL_U)
    /* Privilege checks on CSR numbers: S cannot touch M CSRs, U cannot touch S CSRs */
    TEST_MTRAP(65, CAUSE_ILLEGAL, GOTO_PRIV(PRV_S, test_65_s); test_65_s: csrr a0, mstatus)
    CHECK_MPP(PRV_S)
    TEST_MTRAP(66, CAUSE_ILLEGAL, GOTO_PRIV(PRV_U, test_66_u); test_66_u: csrr a0, sstatus)
    CHECK_MPP(PRV_U)
    TEST_MTRAP(67, CAUSE_ILLEGAL, GOTO_PRIV(PRV_S, test_67_s); test_67_s: csrw mscratch, a0)
    /* S can use its own CSRs */
    TEST_MTRAP(68, CAUSE_ECALL_S, GOTO_PRIV(PRV_S, test_68_s); test_68_s: li a0, 0x99; csrw sscratch, a0; csrr a1, sscratch; bne a0, a1, fail; ecall)
    /* fcsr = frm << 5 | fflags */
    TEST_CASE(69, a0, 0xff, li t0, 0xff; csrw fcsr, t0; csrr a0, fcsr)
    TEST_CASE(70, a0, 7, csrr a0, frm)
    TEST_CASE(71, a0, 0x1f, csrr a0, fflags)
    TEST_CASE(72, a0, 0x7f, csrwi frm, 3; csrr a0, fcsr)
    TEST_CASE(73, a0, 0x60, csrwi fflags, 0; csrr a0, fcsr)
    TEST_CASE(74, a0, 0x6a, csrsi fflags, 0xa; csrr a0, fcsr)
    TEST_CASE(75, a0, 0xff, li t0, -1; csrw fcsr, t0; csrr a0, fcsr)     /* bits 31:8 read 0 */
    TEST_CASE(76, a0, 0x1f, li t0, -1; csrw fflags, t0; csrr a0, fflags)
    TEST_CASE(77, a0, 0x7, li t0, -1; csrw frm, t0; csrr a0, frm)
    TEST_CASE(78, a0, 0x15, li t0, 0x15; csrrw a0, fflags, t0; csrr a0, fflags)
    TEST_CASE(79, a0, 0, csrw fcsr, zero; csrr a0, fcsr)
    /* FS = Off: fcsr access traps */
    TEST_ILLEGAL(80, li t0, MSTATUS_FS; csrc mstatus, t0; test_80_x: csrr a0, fcsr)
test_81:
    li gp, 81
    li t0, (1 << 13)
    csrs mstatus, t0
    csrr a0, fflags
    /* S/U can access fcsr when FS != Off */
    TEST_MTRAP(82, CAUSE_ECALL_U, GOTO_PRIV(PRV_U, test_82_u); test_82_u: csrwi fflags, 3; csrr a0, fcsr; li t0, 3; bne a0, t0, fail; ecall)
    /* satp: Bare is writable; unsupported MODE (Sv64 = 11, reserved 1..7, 15) leaves satp unchanged */
    TEST_CASE(83, a0, 0, csrw satp, zero; li t0, (11 << 60) | 0x1234; csrw satp, t0; csrr a0, satp)
    TEST_CASE(84, a0, 0, li t0, (1 << 60) | 5; csrw satp, t0; csrr a0, satp)
    TEST_CASE(85, a0, 0, li t0, -1; csrw satp, t0; csrr a0, satp)
    /* mcountinhibit exists and reads 0; CY/IR inhibit stops the counters */
    TEST_CASE(86, a0, 0, csrr a0, mcountinhibit)
    TEST_CASE(89, a0, 0, csrwi mcountinhibit, 5; rdcycle a1; rdinstret a2; nop; nop; rdcycle a0; rdinstret a3; sub a0, a0, a1; sub a3, a3, a2; or a0, a0, a3; csrwi mcountinhibit, 0)
    /* menvcfg resets to 0 */
    TEST_CASE(87, a0, 0, csrr a0, menvcfg)
    /* mscratch survives privilege round trips untouched */
    TEST_CASE(88, a0, 0x77, li t0, 0x77; csrw sscratch, t0; CLEAR_TRAPS; SET_MRESUME(test_88_r); GOTO_PRIV(PRV_U, test_88_u); test_88_u: ecall; test_88_r: csrr a0, sscratch)
    /* instret and trapping instructions, calibrated against a load access fault
     * (never counted; the trap handler's own instructions are counted in both runs).
     * The spec says ecall/ebreak/illegal instructions do not retire (difference 0);
     * QEMU 7.2 counts them (difference 1). Either is accepted. */
#define TRAP_DELTA(reg, code...)        \
    SET_MRESUME(90f);                  \
    li a2, 0x90000000;                 \
    rdinstret a1;                      \
    code;                              \
90: rdinstret reg;                     \
    sub reg, reg, a1;
test_90:
    li gp, 90
    TRAP_DELTA(s2, ld a3, 0(a2))
    TRAP_DELTA(s3, ecall)
    TRAP_DELTA(s4, ebreak)
    TRAP_DELTA(s5, .word 0xfe000033)
    sub s3, s3, s2
    sub s4, s4, s2
    sub s5, s5, s2
    bne s3, s4, fail
    bne s3, s5, fail
    beqz s3, 1f
    CHECK(s3, 1)
1:
TEST_END
