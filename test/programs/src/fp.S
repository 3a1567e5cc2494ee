/* F/D spot checks: loads/stores, NaN-boxing, FS = Off traps, fcsr flags, rounding
 * modes through frm and static rm. (Arithmetic is covered exhaustively elsewhere.)
 * QEMU args: -cpu rv64,h=false -icount shift=0 */
#define TEST_NAME "fp"
#include "test-macros.h"

#define NX 0x01
#define UF 0x02
#define OF 0x04
#define DZ 0x08
#define NV 0x10

/* Single-precision binary op on bit patterns; a0 = result bits (NaN-boxed, 64-bit), a1 = fflags. */
#define TEST_FOP_S(n, inst, result, flags, v1, v2) \
    TEST_CASE(n, a0, result, csrw fflags, zero; li t0, v1; fmv.w.x ft0, t0; li t0, v2; fmv.w.x ft1, t0; inst ft2, ft0, ft1; fmv.x.d a0, ft2; csrr a1, fflags) \
    CHECK(a1, flags)
#define TEST_FOP_D(n, inst, result, flags, v1, v2) \
    TEST_CASE(n, a0, result, csrw fflags, zero; li t0, v1; fmv.d.x ft0, t0; li t0, v2; fmv.d.x ft1, t0; inst ft2, ft0, ft1; fmv.x.d a0, ft2; csrr a1, fflags) \
    CHECK(a1, flags)
/* fcvt.w.s with dynamic rounding mode `rm` (via frm) */
#define TEST_CVT_FRM(n, rm, result, v) \
    TEST_CASE(n, a0, result, csrwi frm, rm; li t0, v; fmv.w.x ft0, t0; fcvt.w.s a0, ft0; csrwi frm, 0)
#define TEST_ADD_FRM(n, rm, result) \
    TEST_CASE(n, a0, result, csrwi frm, rm; li t0, 0x3f800000; fmv.w.x ft0, t0; li t0, 0x33800000; fmv.w.x ft1, t0; fadd.s ft2, ft0, ft1; fmv.x.w a0, ft2; csrwi frm, 0)

    .option norvc
TEST_BEGIN
    csrw fcsr, zero
    /* ---- loads / stores ---- */
    TEST_CASE(1, a0, 0x0123456789abcdef, la a1, fdata; fld fa0, 0(a1); fsd fa0, 16(a1); ld a0, 16(a1))
    TEST_CASE(2, a0, 0xffffffff89abcdef, la a1, fdata; flw fa0, 0(a1); fmv.x.d a0, fa0)    /* flw NaN-boxes */
    TEST_CASE(3, a0, 0x0000000001234567, la a1, fdata; flw fa0, 4(a1); fsw fa0, 24(a1); lwu a0, 24(a1))
    TEST_CASE(4, a0, 0xffffffff89abcdef, la a1, fdata; flw fa0, 0(a1); fmv.x.w a0, fa0)    /* fmv.x.w sign-extends */
    TEST_CASE(5, a0, 0x0000000001234567, la a1, fdata; flw fa0, 4(a1); fmv.x.w a0, fa0)
    TEST_CASE(6, a0, 0xffffffff3f800000, li t0, 0x123456783f800000; fmv.w.x fa0, t0; fmv.x.d a0, fa0)  /* fmv.w.x boxes */
    /* fsw / fmv.x.w of an improperly boxed value use the low 32 bits as they are */
    TEST_CASE(7, a0, 0x3f800000, li t0, 0x000000003f800000; fmv.d.x fa0, t0; la a1, fdata; fsw fa0, 24(a1); lwu a0, 24(a1))
    TEST_CASE(8, a0, 0x3f800000, li t0, 0x000000003f800000; fmv.d.x fa0, t0; fmv.x.w a0, fa0)
    /* ---- NaN-boxing: an unboxed single operand reads as the canonical NaN ---- */
    TEST_CASE(9, a0, 0xffffffff7fc00000, li t0, 0x000000003f800000; fmv.d.x fa0, t0; li t0, 0x3f800000; fmv.w.x fa1, t0; fadd.s fa2, fa0, fa1; fmv.x.d a0, fa2)
    TEST_CASE(10, a0, 0x3f800000, li t0, 0x3f800000; fmv.w.x fa1, t0; fcvt.d.s fa2, fa1; fcvt.s.d fa3, fa2; fmv.x.w a0, fa3)
    /* fsgnj.s with an unboxed operand: canonical NaN input, sign injected */
    TEST_CASE(11, a0, 0xffffffff7fc00000, li t0, 0x1111111140000000; fmv.d.x fa0, t0; fmv.w.x fa1, zero; fsgnj.s fa2, fa0, fa1; fmv.x.d a0, fa2)
    TEST_CASE(12, a0, 0x0000000000000200, li t0, 0x0000000040000000; fmv.d.x fa0, t0; fclass.s a0, fa0)  /* unboxed classifies as qNaN */
    /* ---- fcsr flags ---- */
    TEST_FOP_S(13, fdiv.s, 0xffffffff3eaaaaab, NX, 0x3f800000, 0x40400000)        /* 1/3 inexact */
    TEST_FOP_S(14, fdiv.s, 0xffffffff7f800000, DZ, 0x3f800000, 0x00000000)        /* 1/0 = +inf */
    TEST_FOP_S(15, fdiv.s, 0xffffffffff800000, DZ, 0xbf800000, 0x00000000)        /* -1/0 = -inf */
    TEST_FOP_S(16, fdiv.s, 0xffffffff7fc00000, NV, 0x00000000, 0x00000000)        /* 0/0 canonical NaN */
    TEST_FOP_S(17, fmul.s, 0xffffffff7f800000, OF | NX, 0x7f7fffff, 0x40000000)   /* overflow */
    TEST_FOP_S(18, fmul.s, 0xffffffff00400000, UF | NX, 0x00800001, 0x3f000000)   /* tiny and inexact */
    TEST_FOP_S(19, fadd.s, 0xffffffff40400000, 0, 0x3f800000, 0x40000000)         /* exact: no flags */
    TEST_FOP_S(20, fsub.s, 0xffffffff7fc00000, NV, 0x7f800000, 0x7f800000)        /* inf - inf */
    TEST_FOP_S(21, fadd.s, 0xffffffff7fc00000, NV, 0x7f800001, 0x3f800000)        /* sNaN input: NV, canonical NaN */
    TEST_FOP_S(22, fadd.s, 0xffffffff7fc00000, 0, 0x7fc12345, 0x3f800000)         /* qNaN input: no NV, canonical out */
    TEST_FOP_D(23, fdiv.d, 0x3fd5555555555555, NX, 0x3ff0000000000000, 0x4008000000000000)
    TEST_FOP_D(24, fdiv.d, 0x7ff0000000000000, DZ, 0x3ff0000000000000, 0)
    TEST_FOP_D(25, fdiv.d, 0x7ff8000000000000, NV, 0, 0)
    TEST_FOP_D(26, fmul.d, 0x7ff0000000000000, OF | NX, 0x7fefffffffffffff, 0x4000000000000000)
    /* min/max: signed zeros and NaNs */
    TEST_FOP_S(27, fmin.s, 0xffffffff80000000, 0, 0x00000000, 0x80000000)
    TEST_FOP_S(28, fmax.s, 0xffffffff00000000, 0, 0x80000000, 0x00000000)
    TEST_FOP_S(29, fmin.s, 0xffffffff3f800000, 0, 0x7fc00000, 0x3f800000)         /* one NaN: the other */
    TEST_FOP_S(30, fmin.s, 0xffffffff3f800000, NV, 0x7f800001, 0x3f800000)        /* sNaN: NV */
    TEST_FOP_S(31, fmax.s, 0xffffffff7fc00000, 0, 0x7fc00000, 0x7fc00000)
    /* fsqrt of a negative number */
    TEST_CASE(32, a0, 0xffffffff7fc00000, csrw fflags, zero; li t0, 0xbf800000; fmv.w.x ft0, t0; fsqrt.s ft1, ft0; fmv.x.d a0, ft1; csrr a1, fflags; li t0, NV; bne a1, t0, fail)
    /* flags accumulate until cleared */
    TEST_CASE(33, a0, NX | DZ, csrw fflags, zero; li t0, 0x3f800000; fmv.w.x ft0, t0; li t0, 0x40400000; fmv.w.x ft1, t0; fdiv.s ft2, ft0, ft1; fmv.w.x ft1, zero; fdiv.s ft2, ft0, ft1; csrr a0, fflags)
    /* comparisons: feq quiet, flt signaling on qNaN */
    TEST_CASE(34, a0, 0, csrw fflags, zero; li t0, 0x7fc00000; fmv.w.x ft0, t0; feq.s a0, ft0, ft0; csrr a1, fflags; bnez a1, fail)
    TEST_CASE(35, a0, 0, csrw fflags, zero; li t0, 0x7fc00000; fmv.w.x ft0, t0; flt.s a0, ft0, ft0; csrr a1, fflags; li t0, NV; bne a1, t0, fail)
    /* conversions: NaN and out-of-range saturate with NV */
    TEST_CASE(36, a0, 0x7fffffff, csrw fflags, zero; li t0, 0x7fc00000; fmv.w.x ft0, t0; fcvt.w.s a0, ft0; csrr a1, fflags; li t0, NV; bne a1, t0, fail)
    TEST_CASE(37, a0, 0xffffffff80000000, li t0, 0xcf800000; fmv.w.x ft0, t0; fcvt.w.s a0, ft0)  /* -2^32 */
    TEST_CASE(38, a0, 0, li t0, 0xbf800000; fmv.w.x ft0, t0; fcvt.wu.s a0, ft0)                 /* -1 -> 0 */
    TEST_CASE(39, a0, 0xffffffffffffffff, li t0, 0x4f800000; fmv.w.x ft0, t0; fcvt.wu.s a0, ft0) /* 2^32 -> sext(0xffffffff) */
    TEST_CASE(40, a0, 0x7fffffffffffffff, li t0, 0x7ff0000000000000; fmv.d.x ft0, t0; fcvt.l.d a0, ft0)
    TEST_CASE(41, a0, 0x43f0000000000000, li t0, -1; fcvt.d.lu ft0, t0; fmv.x.d a0, ft0)       /* 2^64-1 rounds to 2^64 */
    TEST_CASE(42, a0, 0xffffffff4f000000, li t0, 0x7fffffff; fcvt.s.w ft0, t0; fmv.x.d a0, ft0)
    /* ---- rounding modes through frm (dynamic) ---- */
    TEST_CVT_FRM(43, 0, 2, 0x40200000)                    /* 2.5: RNE */
    TEST_CVT_FRM(44, 1, 2, 0x40200000)                    /* RTZ */
    TEST_CVT_FRM(45, 2, 2, 0x40200000)                    /* RDN */
    TEST_CVT_FRM(46, 3, 3, 0x40200000)                    /* RUP */
    TEST_CVT_FRM(47, 4, 3, 0x40200000)                    /* RMM */
    TEST_CVT_FRM(48, 0, 0xfffffffffffffffe, 0xc0200000)   /* -2.5: RNE -> -2 */
    TEST_CVT_FRM(49, 1, 0xfffffffffffffffe, 0xc0200000)   /* RTZ -> -2 */
    TEST_CVT_FRM(50, 2, 0xfffffffffffffffd, 0xc0200000)   /* RDN -> -3 */
    TEST_CVT_FRM(51, 3, 0xfffffffffffffffe, 0xc0200000)   /* RUP -> -2 */
    TEST_CVT_FRM(52, 4, 0xfffffffffffffffd, 0xc0200000)   /* RMM -> -3 */
    TEST_CVT_FRM(53, 0, 4, 0x40600000)                    /* 3.5: RNE -> 4 */
    /* 1 + 2^-24 is a tie between 1 and 1 + 2^-23 */
    TEST_ADD_FRM(54, 0, 0x3f800000)
    TEST_ADD_FRM(55, 1, 0x3f800000)
    TEST_ADD_FRM(56, 2, 0x3f800000)
    TEST_ADD_FRM(57, 3, 0x3f800001)
    TEST_ADD_FRM(58, 4, 0x3f800001)
    /* a static rm in the instruction overrides frm */
    TEST_CASE(59, a0, 3, csrwi frm, 0; li t0, 0x40200000; fmv.w.x ft0, t0; fcvt.w.s a0, ft0, rup)
    TEST_CASE(60, a0, 2, csrwi frm, 3; li t0, 0x40200000; fmv.w.x ft0, t0; fcvt.w.s a0, ft0, rne; csrwi frm, 0)
    /* inexact conversion sets NX */
    TEST_CASE(61, a0, NX, csrw fflags, zero; li t0, 0x40200000; fmv.w.x ft0, t0; fcvt.w.s a1, ft0; csrr a0, fflags)
    /* invalid frm (5, 6, 7) with a dynamic-rm instruction is illegal */
    TEST_MTRAP(62, CAUSE_ILLEGAL, csrwi frm, 5; test_62_i: fadd.s ft0, ft0, ft0)
    CHECK_MEPC(test_62_i)
    TEST_MTRAP(63, CAUSE_ILLEGAL, csrwi frm, 7; fcvt.w.s a0, ft0)
    /* ... but not for instructions with a static rm, or without rounding */
    TEST_CASE(64, a0, 3, csrwi frm, 7; li t0, 0x40200000; fmv.w.x ft0, t0; fcvt.w.s a0, ft0, rup; fsgnj.s ft1, ft0, ft0; csrwi frm, 0)
    /* reserved static rm (5, 6) is illegal: fadd.s ft0, ft0, ft0 with rm = 5 */
    TEST_MTRAP(65, CAUSE_ILLEGAL, .word 0x00005053)
    CHECK_MTVAL(0x00005053)
    /* fused multiply-add rounds once: (1 + 2^-23) * (1 - 2^-23) - 1 = -2^-46 */
    TEST_CASE(66, a0, 0xffffffffa8800000, li t0, 0x3f800001; fmv.w.x ft0, t0; li t0, 0x3f7ffffe; fmv.w.x ft1, t0; li t0, 0xbf800000; fmv.w.x ft2, t0; fmadd.s ft3, ft0, ft1, ft2; fmv.x.d a0, ft3)
    TEST_CASE(67, a0, 0x0000000000000200, li t0, 0x7fc00000; fmv.w.x ft0, t0; fclass.s a0, ft0)
    TEST_CASE(68, a0, 0x0000000000000001, li t0, 0xfff0000000000000; fmv.d.x ft0, t0; fclass.d a0, ft0)
    /* ---- mstatus.FS = Off: every FP instruction and fcsr access is illegal ---- */
    TEST_MTRAP(69, CAUSE_ILLEGAL, li t0, MSTATUS_FS; csrc mstatus, t0; la a1, fdata; test_69_i: flw fa0, 0(a1))
    CHECK_MEPC(test_69_i)
    CHECK_TD(mtrap_data, TD_TVAL, 0x0005a507)
    TEST_MTRAP(70, CAUSE_ILLEGAL, fadd.d fa0, fa1, fa2)
    TEST_MTRAP(71, CAUSE_ILLEGAL, la a1, fdata; fsd fa0, 0(a1))
    TEST_MTRAP(72, CAUSE_ILLEGAL, fmv.x.d a0, fa0)
    TEST_MTRAP(73, CAUSE_ILLEGAL, csrr a0, frm)
    TEST_MTRAP(74, CAUSE_ILLEGAL, .option push; .option rvc; la a1, fdata; c.fld fa0, 0(a1); .option pop)
    /* FS = Off also from S */
    TEST_MTRAP(75, CAUSE_ILLEGAL, GOTO_PRIV(PRV_S, test_75_s); test_75_s: fmv.w.x fa0, zero)
    CHECK_MPP(PRV_S)
    /* FS = Initial/Clean: instructions work again; a write makes FS Dirty */
test_76:
    li gp, 76
    li t0, (2 << 13)                 /* Clean */
    csrs mstatus, t0
    la a1, fdata
    fld fa0, 0(a1)
    csrr a0, mstatus
    srli a0, a0, 13
    andi a0, a0, 3
    CHECK(a0, 3)
    /* an FP store alone does not dirty the state (QEMU marks dirty on FP register/fcsr writes) */
test_77:
    li gp, 77
    li t0, MSTATUS_FS
    csrc mstatus, t0
    li t0, (2 << 13)
    csrs mstatus, t0
    la a1, fdata
    fsd fa0, 16(a1)
    csrr a0, mstatus
    srli a0, a0, 13
    andi a0, a0, 3
    CHECK(a0, 2)
TEST_END

    .data
    .balign 16
fdata:
    .dword 0x0123456789abcdef
    .dword 0
    .dword 0, 0
