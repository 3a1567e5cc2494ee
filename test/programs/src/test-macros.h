/*
 * Shared scaffolding for Retrovisor's bare-metal RISC-V test programs.
 *
 * Platform: QEMU virt with -bios none (entry at 0x80000000 in M-mode).
 * Protocol: write 0x5555 to the sifive test device (0x100000) on success,
 * (n << 16) | 0x3333 on failure of test case n (QEMU exits with status n).
 * Progress and the failing case number are printed on the ns16550a UART.
 *
 * Register conventions inside a program:
 *   gp (x3)  current test case number (fail reports it)
 *   t6 (x31) scratch used by the check macros (never holds a value across a check)
 *   sp       a 16 KiB stack in .bss
 * Everything else is free for the test code.
 *
 * Usage:
 *   #define TEST_NAME "rv64i"
 *   #include "test-macros.h"
 *   TEST_BEGIN
 *     TEST_CASE(1, a0, 42, li a0, 42)
 *   TEST_END
 */
#ifndef TEST_MACROS_H
#define TEST_MACROS_H

#define UART_BASE    0x10000000
#define TESTDEV_BASE 0x100000
#define CLINT_BASE   0x2000000
#define CLINT_MSIP     (CLINT_BASE + 0x0)
#define CLINT_MTIMECMP (CLINT_BASE + 0x4000)
#define CLINT_MTIME    (CLINT_BASE + 0xbff8)

#define PRV_U 0
#define PRV_S 1
#define PRV_M 3

#define MSTATUS_SIE  (1 << 1)
#define MSTATUS_MIE  (1 << 3)
#define MSTATUS_SPIE (1 << 5)
#define MSTATUS_UBE  (1 << 6)
#define MSTATUS_MPIE (1 << 7)
#define MSTATUS_SPP  (1 << 8)
#define MSTATUS_MPP  (3 << 11)
#define MSTATUS_FS   (3 << 13)
#define MSTATUS_XS   (3 << 15)
#define MSTATUS_MPRV (1 << 17)
#define MSTATUS_SUM  (1 << 18)
#define MSTATUS_MXR  (1 << 19)
#define MSTATUS_TVM  (1 << 20)
#define MSTATUS_TW   (1 << 21)
#define MSTATUS_TSR  (1 << 22)

#define MIP_SSIP (1 << 1)
#define MIP_MSIP (1 << 3)
#define MIP_STIP (1 << 5)
#define MIP_MTIP (1 << 7)
#define MIP_SEIP (1 << 9)
#define MIP_MEIP (1 << 11)

#define CAUSE_MISALIGNED_FETCH 0
#define CAUSE_FETCH_ACCESS     1
#define CAUSE_ILLEGAL          2
#define CAUSE_BREAKPOINT       3
#define CAUSE_MISALIGNED_LOAD  4
#define CAUSE_LOAD_ACCESS      5
#define CAUSE_MISALIGNED_STORE 6
#define CAUSE_STORE_ACCESS     7
#define CAUSE_ECALL_U          8
#define CAUSE_ECALL_S          9
#define CAUSE_ECALL_M          11
#define CAUSE_FETCH_PAGE       12
#define CAUSE_LOAD_PAGE        13
#define CAUSE_STORE_PAGE       15
#define INTR                   0x8000000000000000
#define IRQ_S_SOFT  1
#define IRQ_M_SOFT  3
#define IRQ_S_TIMER 5
#define IRQ_M_TIMER 7

/* Layout of mtrap_data / strap_data (one record per handler). */
#define TD_COUNT   0
#define TD_CAUSE   8
#define TD_EPC     16
#define TD_TVAL    24
#define TD_STATUS  32
#define TD_RESUME  40
#define TD_SAVE1   48
#define TD_SAVE2   56
#define TD_LOG     64   /* causes of the last 8 traps: log[(count - 1) % 8] */
#define TD_SIZE    128

/* ------------------------------------------------------------------ */
/* Program frame                                                       */

#define TEST_BEGIN                     \
    .section .text.init, "ax";         \
    .globl _start;                     \
_start:                                \
    j test_reset;                      \
    .text;                             \
    .globl test_main;                  \
test_main:

#define TEST_END                       \
    j pass;

/* ------------------------------------------------------------------ */
/* Checks. t6 is scratch. `code` runs first, then testreg is compared. */

#define TEST_CASE(n, testreg, correctval, code...) \
test_##n:                              \
    li gp, n;                          \
    code;                              \
    li t6, correctval;                 \
    bne testreg, t6, fail;

/* Compare a register against another register (after running code). */
#define TEST_CASE_REG(n, testreg, otherreg, code...) \
test_##n:                              \
    li gp, n;                          \
    code;                              \
    bne testreg, otherreg, fail;

/* Assert a register value inside a multi-step test (gp already set). */
#define CHECK(reg, val)                \
    li t6, val;                        \
    bne reg, t6, fail;

/* Load 64-bit memory at symbol and compare. Clobbers t6 and t5. */
#define CHECK_MEM64(sym, val)          \
    la t5, sym;                        \
    ld t5, 0(t5);                      \
    li t6, val;                        \
    bne t5, t6, fail;

/* Compare a recorded trap field (TD_*) of the M (mtrap_data) or S handler. */
#define CHECK_TD(data, field, val)     \
    la t5, data;                       \
    ld t5, field(t5);                  \
    li t6, val;                        \
    bne t5, t6, fail;

/* Compare a recorded trap field with the address of a label. */
#define CHECK_TD_ADDR(data, field, label) \
    la t5, data;                       \
    ld t5, field(t5);                  \
    la t6, label;                      \
    bne t5, t6, fail;

/* Accept either of two values (used where QEMU 7.2 deviates from the spec:
 * the first value is QEMU's, the second the spec's). */
#define CHECK_TD2(data, field, val1, val2) \
    la t5, data;                       \
    ld t5, field(t5);                  \
    li t6, val1;                       \
    beq t5, t6, 98f;                   \
    li t6, val2;                       \
    bne t5, t6, fail;                  \
98:

#define CHECK_MCAUSE(val)  CHECK_TD(mtrap_data, TD_CAUSE, val)
#define CHECK_MTVAL(val)   CHECK_TD(mtrap_data, TD_TVAL, val)
#define CHECK_MEPC(label)  CHECK_TD_ADDR(mtrap_data, TD_EPC, label)
#define CHECK_MCOUNT(val)  CHECK_TD(mtrap_data, TD_COUNT, val)
#define CHECK_SCAUSE(val)  CHECK_TD(strap_data, TD_CAUSE, val)
#define CHECK_STVAL(val)   CHECK_TD(strap_data, TD_TVAL, val)
#define CHECK_SEPC(label)  CHECK_TD_ADDR(strap_data, TD_EPC, label)
#define CHECK_SCOUNT(val)  CHECK_TD(strap_data, TD_COUNT, val)

/* The M handler's saved mstatus had MPP == mode (trap came from that mode). */
#define CHECK_MPP(mode)                \
    la t5, mtrap_data;                 \
    ld t5, TD_STATUS(t5);              \
    srli t5, t5, 11;                   \
    andi t5, t5, 3;                    \
    li t6, mode;                       \
    bne t5, t6, fail;

/* Reset the trap counters of both handlers. Clobbers t5. */
#define CLEAR_TRAPS                    \
    la t5, mtrap_data;                 \
    sd zero, TD_COUNT(t5);             \
    sd zero, TD_CAUSE(t5);             \
    sd zero, TD_TVAL(t5);              \
    la t5, strap_data;                 \
    sd zero, TD_COUNT(t5);             \
    sd zero, TD_CAUSE(t5);             \
    sd zero, TD_TVAL(t5);

/*
 * The next exception taken by the M handler resumes at `label`, always in
 * M-mode (MPP is forced to M). Interrupts handled while a resume address
 * is armed also resume there. Clobbers t5, t6.
 */
#define SET_MRESUME(label)             \
    la t6, label;                      \
    la t5, mtrap_data;                 \
    sd t6, TD_RESUME(t5);

/* Same for the S handler: resumes at `label` in S-mode (SPP forced to S). */
#define SET_SRESUME(label)             \
    la t6, label;                      \
    la t5, strap_data;                 \
    sd t6, TD_RESUME(t5);

/*
 * Run `code` (in M-mode, or code that drops privilege itself); it must trap
 * to M with mcause == cause. Resumes at test_<n>_resume in M-mode.
 */
#define TEST_MTRAP(n, cause, code...)  \
test_##n:                              \
    li gp, n;                          \
    CLEAR_TRAPS;                       \
    SET_MRESUME(test_##n##_resume);    \
    code;                              \
    j fail;                            \
test_##n##_resume:                     \
    CHECK_MCOUNT(1);                   \
    CHECK_MCAUSE(cause);

/* Switch to privilege `mode` at `target` via mret. Clobbers t0. MPIE is cleared
 * first so that a later trap back to M (and a resume) leaves mstatus.MIE = 0. */
#define GOTO_PRIV(mode, target)        \
    li t0, MSTATUS_MPP | MSTATUS_MPIE; \
    csrc mstatus, t0;                  \
    li t0, ((mode) << 11);             \
    csrs mstatus, t0;                  \
    la t0, target;                     \
    csrw mepc, t0;                     \
    mret;

/* Check the cause of the k-th trap (1-based) recorded since CLEAR_TRAPS (k <= 8). */
#define CHECK_LOG(data, k, val)        \
    la t5, data;                       \
    ld t5, (TD_LOG + ((k) - 1) * 8)(t5); \
    li t6, val;                        \
    bne t5, t6, fail;

/* From S-mode: switch to privilege `mode` (U or S) at `target` via sret. Clobbers t0. */
#define GOTO_SPRIV(mode, target)       \
    li t0, MSTATUS_SPP;                \
    csrc sstatus, t0;                  \
    li t0, ((mode) << 8);              \
    csrs sstatus, t0;                  \
    la t0, target;                     \
    csrw sepc, t0;                     \
    sret;

/* Print a string literal on the UART. Clobbers a0, a1, ra. */
#define PRINT(text)                     \
    .pushsection .rodata.str, "a";     \
  99: .asciz text;                      \
    .popsection;                       \
    la a0, 99b;                        \
    call print_str;

/* Register-register / register-immediate op checks (a0 = result, a1/a2 = sources). */
#define TEST_RR(n, inst, result, v1, v2) \
    TEST_CASE(n, a0, result, li a1, v1; li a2, v2; inst a0, a1, a2)
#define TEST_RI(n, inst, result, v1, imm) \
    TEST_CASE(n, a0, result, li a1, v1; inst a0, a1, imm)
/* Destination equals first source. */
#define TEST_RR_SRC1(n, inst, result, v1, v2) \
    TEST_CASE(n, a1, result, li a1, v1; li a2, v2; inst a1, a1, a2)
#define TEST_RR_SRC12(n, inst, result, v1) \
    TEST_CASE(n, a1, result, li a1, v1; inst a1, a1, a1)
/* Writes to x0 are discarded. */
#define TEST_RR_ZERODEST(n, inst, v1, v2) \
    TEST_CASE(n, x0, 0, li a1, v1; li a2, v2; inst x0, a1, a2)

/* ------------------------------------------------------------------ */
/* Library code (emitted once per program, the header is included once) */

#ifndef TEST_NAME
#error "define TEST_NAME before including test-macros.h"
#endif

    .option nopic
    .pushsection .text.lib, "ax"
    .option push
    .option norvc
    .balign 4
test_reset:
    /* Only hart 0 runs the tests; others park. */
    csrr t0, mhartid
    bnez t0, park
    /* Zero .bss (page tables rely on it); RAM need not be clean at entry. */
    la t0, __bss_start
    la t1, __bss_end
1:  bgeu t0, t1, 2f
    sd zero, 0(t0)
    addi t0, t0, 8
    j 1b
2:  la sp, test_stack_top
    la t0, trap_entry_m
    csrw mtvec, t0
    csrw mie, zero
    csrw mideleg, zero
    csrw medeleg, zero
    csrw satp, zero
    /* PMP as OpenSBI leaves it for S/U: one NAPOT entry covering everything.
     * QEMU denies S/U accesses when no PMP entry matches. */
    li t0, -1
    csrw pmpaddr0, t0
    li t0, 0x1f
    csrw pmpcfg0, t0
    /* FS = Initial so FP/fcsr instructions work unless a test turns it off. */
    li t0, MSTATUS_FS
    csrc mstatus, t0
    li t0, (1 << 13)
    csrs mstatus, t0
    la a0, msg_start
    call print_str
    la a0, test_name
    call print_str
    la a0, msg_nl
    call print_str
    li gp, 0
    j test_main

park:
    wfi
    j park

pass:
    csrr s0, minstret
    la a0, test_name
    call print_str
    la a0, msg_pass
    call print_str
    mv a0, s0
    call print_dec
    la a0, msg_nl
    call print_str
    li t0, TESTDEV_BASE
    li t1, 0x5555
    sw t1, 0(t0)
1:  j 1b

/* gp = failing test number; 0 becomes 0xffff so it never looks like success. */
fail:
    mv s0, gp
    bnez s0, 1f
    li s0, 0xffff
1:  la a0, test_name
    call print_str
    la a0, msg_fail
    call print_str
    mv a0, s0
    call print_dec
    la a0, msg_nl
    call print_str
    /* Last recorded M trap, to help diagnose. */
    la s4, mtrap_data
    la a0, msg_last
    call print_str
    ld a0, TD_COUNT(s4)
    call print_dec
    la a0, msg_cause
    call print_str
    ld a0, TD_CAUSE(s4)
    call print_hex
    la a0, msg_epc
    call print_str
    ld a0, TD_EPC(s4)
    call print_hex
    la a0, msg_tval
    call print_str
    ld a0, TD_TVAL(s4)
    call print_hex
    la a0, msg_nl
    call print_str
    la a0, msg_log
    call print_str
    li s5, 0
2:  slli t0, s5, 3
    add t0, t0, s4
    ld a0, TD_LOG(t0)
    call print_hex
    li a0, ' '
    call print_char
    addi s5, s5, 1
    li t0, 8
    blt s5, t0, 2b
    la a0, msg_nl
    call print_str
    slli t1, s0, 16
    li t0, 0x3333
    or t1, t1, t0
    li t0, TESTDEV_BASE
    sw t1, 0(t0)
1:  j 1b

/* Unexpected trap: print cause/epc/tval, then fail with the current test number. */
unexpected_trap:
    mv s1, t1
    csrr s2, mepc
    csrr s3, mtval
    la a0, msg_unexp
    call print_str
    mv a0, s1
    call print_hex
    la a0, msg_epc
    call print_str
    mv a0, s2
    call print_hex
    la a0, msg_tval
    call print_str
    mv a0, s3
    call print_hex
    la a0, msg_nl
    call print_str
    j fail

/* a0 = NUL-terminated string. Clobbers a0, a1. Polls LSR.THRE for real UARTs. */
print_str:
    li a1, UART_BASE
1:  lbu t6, 0(a0)
    beqz t6, 3f
2:  lbu t5, 5(a1)
    andi t5, t5, 0x20
    beqz t5, 2b
    sb t6, 0(a1)
    addi a0, a0, 1
    j 1b
3:  ret

/* a0 = byte to print. Clobbers a1, t5. */
print_char:
    li a1, UART_BASE
1:  lbu t5, 5(a1)
    andi t5, t5, 0x20
    beqz t5, 1b
    sb a0, 0(a1)
    ret

/* a0 = value, printed as 0x%016x. Clobbers a0-a3, t5, ra saved on stack. */
print_hex:
    addi sp, sp, -16
    sd ra, 0(sp)
    mv a2, a0
    li a0, '0'
    call print_char
    li a0, 'x'
    call print_char
    li a3, 60
1:  srl a0, a2, a3
    andi a0, a0, 15
    addi a0, a0, '0'
    li t5, '9'
    ble a0, t5, 2f
    addi a0, a0, 'a' - '9' - 1
2:  call print_char
    addi a3, a3, -4
    bgez a3, 1b
    ld ra, 0(sp)
    addi sp, sp, 16
    ret

/* a0 = unsigned value printed in decimal. Clobbers a0-a4, t5. */
print_dec:
    addi sp, sp, -48
    sd ra, 40(sp)
    mv a2, a0
    addi a3, sp, 32
    sb zero, 0(a3)
    li a4, 10
1:  remu a0, a2, a4
    divu a2, a2, a4
    addi a0, a0, '0'
    addi a3, a3, -1
    sb a0, 0(a3)
    bnez a2, 1b
    mv a0, a3
    call print_str
    ld ra, 40(sp)
    addi sp, sp, 48
    ret

/*
 * M-mode trap handler. Records count/cause/epc/tval/mstatus in mtrap_data.
 * Exceptions need an armed resume address (SET_MRESUME), else the test fails.
 * Interrupts: the source is silenced (CLINT msip cleared, mtimecmp set to
 * max, mip.SSIP/STIP/SEIP cleared) and execution continues at mepc, or at the
 * armed resume address if there is one.
 */
    .balign 4
trap_entry_m:
    csrw mscratch, t0
    la t0, mtrap_data
    sd t1, TD_SAVE1(t0)
    sd t2, TD_SAVE2(t0)
    ld t1, TD_COUNT(t0)
    addi t1, t1, 1
    sd t1, TD_COUNT(t0)
    addi t1, t1, -1
    andi t1, t1, 7
    slli t1, t1, 3
    add t2, t0, t1
    csrr t1, mcause
    sd t1, TD_CAUSE(t0)
    sd t1, TD_LOG(t2)
    csrr t2, mepc
    sd t2, TD_EPC(t0)
    csrr t2, mtval
    sd t2, TD_TVAL(t0)
    csrr t2, mstatus
    sd t2, TD_STATUS(t0)
    bltz t1, m_interrupt
    ld t2, TD_RESUME(t0)
    beqz t2, unexpected_trap
m_resume:
    sd zero, TD_RESUME(t0)
    csrw mepc, t2
    li t2, MSTATUS_MPP
    csrs mstatus, t2
m_out:
    ld t1, TD_SAVE1(t0)
    ld t2, TD_SAVE2(t0)
    csrr t0, mscratch
    mret
m_interrupt:
    slli t1, t1, 1
    srli t1, t1, 1
    li t2, IRQ_M_SOFT
    bne t1, t2, 1f
    li t2, CLINT_MSIP
    sw zero, 0(t2)
    j m_int_done
1:  li t2, IRQ_M_TIMER
    bne t1, t2, 1f
    li t2, CLINT_MTIMECMP
    li t1, -1
    sd t1, 0(t2)
    j m_int_done
1:  li t2, IRQ_S_SOFT
    bne t1, t2, 1f
    csrci mip, MIP_SSIP
    j m_int_done
1:  li t2, IRQ_S_TIMER
    bne t1, t2, 1f
    li t2, MIP_STIP
    csrc mip, t2
    j m_int_done
1:  li t2, 9
    bne t1, t2, 1f
    li t2, MIP_SEIP
    csrc mip, t2
    j m_int_done
1:  csrr t1, mcause
    j unexpected_trap
m_int_done:
    ld t2, TD_RESUME(t0)
    beqz t2, m_out
    j m_resume

/*
 * S-mode trap handler (used once a test delegates via medeleg/mideleg and
 * sets stvec = trap_entry_s). Same policy as the M handler, with sret and
 * SPP forced to S on resume. Interrupts: SSIP is cleared; a delegated STIP or
 * SEIP cannot be cleared from S, so STIE / SEIE is disabled instead.
 */
    .balign 4
trap_entry_s:
    csrw sscratch, t0
    la t0, strap_data
    sd t1, TD_SAVE1(t0)
    sd t2, TD_SAVE2(t0)
    ld t1, TD_COUNT(t0)
    addi t1, t1, 1
    sd t1, TD_COUNT(t0)
    addi t1, t1, -1
    andi t1, t1, 7
    slli t1, t1, 3
    add t2, t0, t1
    csrr t1, scause
    sd t1, TD_CAUSE(t0)
    sd t1, TD_LOG(t2)
    csrr t2, sepc
    sd t2, TD_EPC(t0)
    csrr t2, stval
    sd t2, TD_TVAL(t0)
    csrr t2, sstatus
    sd t2, TD_STATUS(t0)
    bltz t1, s_interrupt
    ld t2, TD_RESUME(t0)
    beqz t2, s_unexpected
s_resume:
    sd zero, TD_RESUME(t0)
    csrw sepc, t2
    li t2, MSTATUS_SPP
    csrs sstatus, t2
s_out:
    ld t1, TD_SAVE1(t0)
    ld t2, TD_SAVE2(t0)
    csrr t0, sscratch
    sret
s_interrupt:
    slli t1, t1, 1
    srli t1, t1, 1
    li t2, IRQ_S_SOFT
    bne t1, t2, 1f
    csrci sip, MIP_SSIP
    j s_int_done
1:  li t2, IRQ_S_TIMER
    bne t1, t2, 1f
    /* Only M can clear STIP (no Sstc use here): disable STIE instead. */
    li t2, MIP_STIP
    csrc sie, t2
    j s_int_done
1:  li t2, 9
    bne t1, t2, s_unexpected
    /* SEIP set by M software cannot be cleared from S: disable SEIE. */
    li t2, MIP_SEIP
    csrc sie, t2
s_int_done:
    ld t2, TD_RESUME(t0)
    beqz t2, s_out
    j s_resume
s_unexpected:
    /* Report through M: an ecall with no resume armed lands in unexpected_trap. */
    la t0, mtrap_data
    sd zero, TD_RESUME(t0)
    ecall

    .option pop
    .popsection

    .pushsection .rodata.str, "a"
test_name: .asciz TEST_NAME
msg_start: .asciz "START "
msg_pass:  .asciz ": PASS instret="
msg_fail:  .asciz ": FAIL test "
msg_unexp: .asciz "unexpected trap mcause="
msg_epc:   .asciz " mepc="
msg_last:  .asciz "  last M trap: count="
msg_cause: .asciz " mcause="
msg_log:   .asciz "  M trap cause log: "
msg_tval:  .asciz " mtval="
msg_nl:    .asciz "\n"
    .popsection

    .pushsection .data.trap, "aw"
    .balign 8
    .globl mtrap_data
    .globl strap_data
mtrap_data: .fill TD_SIZE / 8, 8, 0
strap_data: .fill TD_SIZE / 8, 8, 0
    .popsection

    .pushsection .bss.stack, "aw", @nobits
    .balign 16
test_stack: .skip 16384
test_stack_top:
    .popsection

#endif
