/* Reference vectors for the RV64 F/D unit. Runs on a RISC-V host (qemu-riscv64 user mode):
 * every operation is executed by the real instruction under each rounding mode (set via fsrm),
 * and the result bits and accrued flags (frflags) are printed as one line:
 *   <op> <rm> <a> <b> <c> <result> <flags>     (hex; rm "-" for ops without rounding)
 * Single operands/results are 8 hex digits, doubles and integer-register values 16; a single
 * operand printed with 16 digits is a raw register that is not properly NaN-boxed.
 * Deterministic: fixed-seed PRNG; usage: gen [count-per-op-and-rm [seed]] */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t rs = 0x9e3779b97f4a7c15ull;
static uint64_t rnd(void) { rs ^= rs << 13; rs ^= rs >> 7; rs ^= rs << 17; return rs; }
static unsigned rn(unsigned n) { return (unsigned)(rnd() % n); }

/* ---- operand generators ---- */
static uint64_t mant_pattern(int bits) {
  uint64_t m, mask = (bits == 64) ? ~0ull : ((1ull << bits) - 1);
  switch (rn(8)) {
  case 0: m = 0; break;
  case 1: m = mask; break;
  case 2: m = 1ull << rn(bits); break;
  case 3: m = rnd() & ((1ull << rn(bits)) - 1); break;               /* low bits only */
  case 4: m = mask ^ (1ull << rn(bits)); break;
  case 5: m = (rnd() & mask) & ~((1ull << rn(bits)) - 1); break;     /* high bits only (few significant) */
  default: m = rnd(); break;
  }
  return m & mask;
}
/* exponent field biased; region chosen to stress subnormals, overflow and 1.0 */
static int exp_pick(int ebits) {
  int emax = (1 << ebits) - 1, bias = emax >> 1;
  switch (rn(10)) {
  case 0: return 0;                       /* zero/subnormal */
  case 1: return emax;                    /* inf/nan */
  case 2: return 1 + rn(3);               /* smallest normals */
  case 3: return emax - 1 - rn(3);        /* largest normals */
  case 4: case 5: return bias - 3 + rn(7); /* near 1 */
  case 6: return bias + rn(70);           /* integer range */
  default: return 1 + rn(emax - 1);
  }
}
static uint32_t gen_s(void) {
  if (rn(16) == 0) return (uint32_t)rnd();
  return ((uint32_t)rn(2) << 31) | ((uint32_t)exp_pick(8) << 23) | (uint32_t)mant_pattern(23);
}
static uint64_t gen_d(void) {
  if (rn(16) == 0) return rnd();
  return ((uint64_t)rn(2) << 63) | ((uint64_t)exp_pick(11) << 52) | mant_pattern(52);
}
/* a, b whose product or quotient lands near the underflow threshold (tininess after rounding) */
static void tiny_pair(int ebits, int mbits, uint64_t *a, uint64_t *b) {
  int bias = (1 << (ebits - 1)) - 1, emin = 1 - bias;
  int ea = 1 + rn(2 * bias), t = emin - 1 - rn(mbits + 3) + rn(3);
  int eb = rn(2) ? t - (ea - bias) + bias : (ea - bias) - t + bias;
  if (eb < 1) eb = 1;
  if (eb > 2 * bias) eb = 2 * bias;
  uint64_t ma = rn(3) ? mant_pattern(mbits) : ((1ull << mbits) - 1) ^ rn(4), mb = rn(3) ? mant_pattern(mbits) : rn(3);
  *a = ((uint64_t)rn(2) << (ebits + mbits)) | ((uint64_t)ea << mbits) | ma;
  *b = ((uint64_t)rn(2) << (ebits + mbits)) | ((uint64_t)eb << mbits) | mb;
}
/* b near a (halfway cases / cancellation for add) */
static uint32_t near_s(uint32_t a) {
  switch (rn(4)) {
  case 0: return a ^ 0x80000000u;
  case 1: return (a & 0x807fffffu) | ((uint32_t)((((a >> 23) & 0xff) - rn(27)) & 0xff) << 23);
  case 2: return a + (uint32_t)(rn(5)) - 2;
  default: return gen_s();
  }
}
static uint64_t near_d(uint64_t a) {
  switch (rn(4)) {
  case 0: return a ^ 0x8000000000000000ull;
  case 1: return (a & 0x800fffffffffffffull) | ((((a >> 52) - rn(56)) & 0x7ff) << 52);
  case 2: return a + rn(5) - 2;
  default: return gen_d();
  }
}
static uint64_t gen_int(void) {
  int k = rn(12);
  if (k == 0) { static const uint64_t e[] = {0, 1, ~0ull, 0x7fffffffull, 0x80000000ull, 0xffffffffull,
      0xffffffff80000000ull, 0x7fffffffffffffffull, 0x8000000000000000ull, 0x1000001ull, 0x20000000000001ull,
      0x1000000ull, 0x20000000000000ull, 0xffffffffffffffull};
    return e[rn(sizeof e / sizeof e[0])]; }
  uint64_t v = rnd() >> rn(64);
  return rn(3) == 0 ? (uint64_t)-(int64_t)v : v;
}
/* floats near integer boundaries for fcvt to int */
static double cvt_val(void) {
  static const double bnd[] = {0, 1, 2147483648.0, 4294967296.0, 9223372036854775808.0, 18446744073709551616.0, 16777216.0, 9007199254740992.0};
  double b = bnd[rn(8)];
  double v;
  switch (rn(5)) {
  case 0: v = b + (double)(int)(rn(9) - 4) * 0.25; break;
  case 1: v = b * (1.0 + (double)(int)(rn(5) - 2) * 0x1p-52); break;
  case 2: v = (double)(int64_t)(rnd() >> rn(64)) + (double)rn(4) * 0.25; break;
  case 3: v = (double)(int)(rn(21) - 10) * 0.25; break;
  default: v = b * (1.0 + (double)(int)(rn(5) - 2) * 0x1p-23); break;
  }
  return rn(2) ? -v : v;
}

/* a single operand as the full 64-bit register: NaN-boxed, except now and then (reads as canonical NaN) */
static uint64_t box(uint32_t v) {
  if (rn(25) != 0) return 0xffffffff00000000ull | v;
  static const uint64_t hi[] = {0, 0xfffffffe00000000ull, 0x7fffffff00000000ull, 0x8000000000000000ull};
  return rn(2) ? (rnd() & 0xfffffffeffffffffull) : (hi[rn(4)] | v);
}

static const char *rmname[] = {"0", "1", "2", "3", "4"};
static void pr(const char *op, int rm, int wa, uint64_t a, int wb, uint64_t b, int wc, uint64_t c, int wr, uint64_t r, unsigned fl) {
  printf("%s %s", op, rm < 0 ? "-" : rmname[rm]);
  uint64_t v[4] = {a, b, c, r}; int w[4] = {wa, wb, wc, wr};
  for (int i = 0; i < 4; i++) {
    if (w[i] == 0) printf(" -");
    else if (w[i] == 32 && (i == 3 || v[i] >> 32 == 0xffffffffu)) printf(" %08x", (unsigned)v[i]);
    else printf(" %016llx", (unsigned long long)v[i]);
  }
  printf(" %02x\n", fl);
}

/* ---- instruction wrappers: rm is written to frm, flags cleared, result and flags read ---- */
#define PRE "fsrm %[rm]\n\tfsflags zero\n\t"
#define POST "\n\tfrflags %[fl]"
#define F2(name, mvi, mvo, insn) static uint64_t name(uint64_t a, uint64_t b, uint64_t c, int rm, unsigned *fl) { \
  uint64_t r; (void)c; asm volatile(PRE mvi " ft0,%[a]\n\t" mvi " ft1,%[b]\n\t" insn " ft2,ft0,ft1\n\t" mvo " %[r],ft2" POST \
  : [r] "=&r"(r), [fl] "=&r"(*fl) : [a] "r"(a), [b] "r"(b), [rm] "r"(rm) : "ft0", "ft1", "ft2"); return r; }
#define F3(name, mvi, mvo, insn) static uint64_t name(uint64_t a, uint64_t b, uint64_t c, int rm, unsigned *fl) { \
  uint64_t r; asm volatile(PRE mvi " ft0,%[a]\n\t" mvi " ft1,%[b]\n\t" mvi " ft3,%[c]\n\t" insn " ft2,ft0,ft1,ft3\n\t" mvo " %[r],ft2" POST \
  : [r] "=&r"(r), [fl] "=&r"(*fl) : [a] "r"(a), [b] "r"(b), [c] "r"(c), [rm] "r"(rm) : "ft0", "ft1", "ft2", "ft3"); return r; }
#define F1(name, mvi, mvo, insn) static uint64_t name(uint64_t a, uint64_t b, uint64_t c, int rm, unsigned *fl) { \
  uint64_t r; (void)b; (void)c; asm volatile(PRE mvi " ft0,%[a]\n\t" insn " ft2,ft0\n\t" mvo " %[r],ft2" POST \
  : [r] "=&r"(r), [fl] "=&r"(*fl) : [a] "r"(a), [rm] "r"(rm) : "ft0", "ft2"); return r; }
#define FX2(name, mvi, insn) static uint64_t name(uint64_t a, uint64_t b, uint64_t c, int rm, unsigned *fl) { \
  uint64_t r; (void)c; asm volatile(PRE mvi " ft0,%[a]\n\t" mvi " ft1,%[b]\n\t" insn " %[r],ft0,ft1" POST \
  : [r] "=&r"(r), [fl] "=&r"(*fl) : [a] "r"(a), [b] "r"(b), [rm] "r"(rm) : "ft0", "ft1"); return r; }
#define FX1(name, mvi, insn) static uint64_t name(uint64_t a, uint64_t b, uint64_t c, int rm, unsigned *fl) { \
  uint64_t r; (void)b; (void)c; asm volatile(PRE mvi " ft0,%[a]\n\t" insn " %[r],ft0" POST \
  : [r] "=&r"(r), [fl] "=&r"(*fl) : [a] "r"(a), [rm] "r"(rm) : "ft0"); return r; }
#define XF1(name, mvo, insn) static uint64_t name(uint64_t a, uint64_t b, uint64_t c, int rm, unsigned *fl) { \
  uint64_t r; (void)b; (void)c; asm volatile(PRE insn " ft2,%[a]\n\t" mvo " %[r],ft2" POST \
  : [r] "=&r"(r), [fl] "=&r"(*fl) : [a] "r"(a), [rm] "r"(rm) : "ft2"); return r; }

#define S "fmv.d.x"
#define SO "fmv.x.w"
#define D "fmv.d.x"
#define DO "fmv.x.d"
F2(fadd_s, S, SO, "fadd.s") F2(fsub_s, S, SO, "fsub.s") F2(fmul_s, S, SO, "fmul.s") F2(fdiv_s, S, SO, "fdiv.s")
F2(fmin_s, S, SO, "fmin.s") F2(fmax_s, S, SO, "fmax.s") F2(fsgnj_s, S, SO, "fsgnj.s") F2(fsgnjn_s, S, SO, "fsgnjn.s") F2(fsgnjx_s, S, SO, "fsgnjx.s")
F1(fsqrt_s, S, SO, "fsqrt.s")
F3(fmadd_s, S, SO, "fmadd.s") F3(fmsub_s, S, SO, "fmsub.s") F3(fnmsub_s, S, SO, "fnmsub.s") F3(fnmadd_s, S, SO, "fnmadd.s")
FX2(feq_s, S, "feq.s") FX2(flt_s, S, "flt.s") FX2(fle_s, S, "fle.s")
FX1(fclass_s, S, "fclass.s") FX1(fmv_x_w, S, "fmv.x.w")
FX1(fcvt_w_s, S, "fcvt.w.s") FX1(fcvt_wu_s, S, "fcvt.wu.s") FX1(fcvt_l_s, S, "fcvt.l.s") FX1(fcvt_lu_s, S, "fcvt.lu.s")
XF1(fcvt_s_w, SO, "fcvt.s.w") XF1(fcvt_s_wu, SO, "fcvt.s.wu") XF1(fcvt_s_l, SO, "fcvt.s.l") XF1(fcvt_s_lu, SO, "fcvt.s.lu")
XF1(fmv_w_x, SO, "fmv.w.x")
F2(fadd_d, D, DO, "fadd.d") F2(fsub_d, D, DO, "fsub.d") F2(fmul_d, D, DO, "fmul.d") F2(fdiv_d, D, DO, "fdiv.d")
F2(fmin_d, D, DO, "fmin.d") F2(fmax_d, D, DO, "fmax.d") F2(fsgnj_d, D, DO, "fsgnj.d") F2(fsgnjn_d, D, DO, "fsgnjn.d") F2(fsgnjx_d, D, DO, "fsgnjx.d")
F1(fsqrt_d, D, DO, "fsqrt.d")
F3(fmadd_d, D, DO, "fmadd.d") F3(fmsub_d, D, DO, "fmsub.d") F3(fnmsub_d, D, DO, "fnmsub.d") F3(fnmadd_d, D, DO, "fnmadd.d")
FX2(feq_d, D, "feq.d") FX2(flt_d, D, "flt.d") FX2(fle_d, D, "fle.d")
FX1(fclass_d, D, "fclass.d") FX1(fmv_x_d, D, "fmv.x.d")
FX1(fcvt_w_d, D, "fcvt.w.d") FX1(fcvt_wu_d, D, "fcvt.wu.d") FX1(fcvt_l_d, D, "fcvt.l.d") FX1(fcvt_lu_d, D, "fcvt.lu.d")
XF1(fcvt_d_w, DO, "fcvt.d.w") XF1(fcvt_d_wu, DO, "fcvt.d.wu") XF1(fcvt_d_l, DO, "fcvt.d.l") XF1(fcvt_d_lu, DO, "fcvt.d.lu")
XF1(fmv_d_x, DO, "fmv.d.x")
F1(fcvt_s_d, D, SO, "fcvt.s.d") F1(fcvt_d_s, S, DO, "fcvt.d.s")

/* kinds of operand generation */
enum { G_S2, G_S1, G_S3, G_D2, G_D1, G_D3, G_SCVT, G_DCVT, G_INT, G_D2S, G_S2D, G_SRAW, G_DRAW };
typedef uint64_t (*fn_t)(uint64_t, uint64_t, uint64_t, int, unsigned *);
struct op { const char *name; fn_t fn; int gen; int rounds; int wres; };
static const struct op ops[] = {
  {"fadd.s", fadd_s, G_S2, 1, 32}, {"fsub.s", fsub_s, G_S2, 1, 32}, {"fmul.s", fmul_s, G_S2, 1, 32}, {"fdiv.s", fdiv_s, G_S2, 1, 32},
  {"fsqrt.s", fsqrt_s, G_S1, 1, 32}, {"fmin.s", fmin_s, G_S2, 0, 32}, {"fmax.s", fmax_s, G_S2, 0, 32},
  {"fsgnj.s", fsgnj_s, G_S2, 0, 32}, {"fsgnjn.s", fsgnjn_s, G_S2, 0, 32}, {"fsgnjx.s", fsgnjx_s, G_S2, 0, 32},
  {"fmadd.s", fmadd_s, G_S3, 1, 32}, {"fmsub.s", fmsub_s, G_S3, 1, 32}, {"fnmsub.s", fnmsub_s, G_S3, 1, 32}, {"fnmadd.s", fnmadd_s, G_S3, 1, 32},
  {"feq.s", feq_s, G_S2, 0, 64}, {"flt.s", flt_s, G_S2, 0, 64}, {"fle.s", fle_s, G_S2, 0, 64},
  {"fclass.s", fclass_s, G_S1, 0, 64}, {"fmv.x.w", fmv_x_w, G_S1, 0, 64},
  {"fcvt.w.s", fcvt_w_s, G_SCVT, 1, 64}, {"fcvt.wu.s", fcvt_wu_s, G_SCVT, 1, 64}, {"fcvt.l.s", fcvt_l_s, G_SCVT, 1, 64}, {"fcvt.lu.s", fcvt_lu_s, G_SCVT, 1, 64},
  {"fcvt.s.w", fcvt_s_w, G_INT, 1, 32}, {"fcvt.s.wu", fcvt_s_wu, G_INT, 1, 32}, {"fcvt.s.l", fcvt_s_l, G_INT, 1, 32}, {"fcvt.s.lu", fcvt_s_lu, G_INT, 1, 32},
  {"fmv.w.x", fmv_w_x, G_INT, 0, 32},
  {"fadd.d", fadd_d, G_D2, 1, 64}, {"fsub.d", fsub_d, G_D2, 1, 64}, {"fmul.d", fmul_d, G_D2, 1, 64}, {"fdiv.d", fdiv_d, G_D2, 1, 64},
  {"fsqrt.d", fsqrt_d, G_D1, 1, 64}, {"fmin.d", fmin_d, G_D2, 0, 64}, {"fmax.d", fmax_d, G_D2, 0, 64},
  {"fsgnj.d", fsgnj_d, G_D2, 0, 64}, {"fsgnjn.d", fsgnjn_d, G_D2, 0, 64}, {"fsgnjx.d", fsgnjx_d, G_D2, 0, 64},
  {"fmadd.d", fmadd_d, G_D3, 1, 64}, {"fmsub.d", fmsub_d, G_D3, 1, 64}, {"fnmsub.d", fnmsub_d, G_D3, 1, 64}, {"fnmadd.d", fnmadd_d, G_D3, 1, 64},
  {"feq.d", feq_d, G_D2, 0, 64}, {"flt.d", flt_d, G_D2, 0, 64}, {"fle.d", fle_d, G_D2, 0, 64},
  {"fclass.d", fclass_d, G_D1, 0, 64}, {"fmv.x.d", fmv_x_d, G_D1, 0, 64},
  {"fcvt.w.d", fcvt_w_d, G_DCVT, 1, 64}, {"fcvt.wu.d", fcvt_wu_d, G_DCVT, 1, 64}, {"fcvt.l.d", fcvt_l_d, G_DCVT, 1, 64}, {"fcvt.lu.d", fcvt_lu_d, G_DCVT, 1, 64},
  {"fcvt.d.w", fcvt_d_w, G_INT, 1, 64}, {"fcvt.d.wu", fcvt_d_wu, G_INT, 1, 64}, {"fcvt.d.l", fcvt_d_l, G_INT, 1, 64}, {"fcvt.d.lu", fcvt_d_lu, G_INT, 1, 64},
  {"fmv.d.x", fmv_d_x, G_INT, 0, 64},
  {"fcvt.s.d", fcvt_s_d, G_D2S, 1, 32}, {"fcvt.d.s", fcvt_d_s, G_S2D, 1, 64},
};

static uint32_t f2bits(float f) { uint32_t u; memcpy(&u, &f, 4); return u; }
static uint64_t d2bits(double d) { uint64_t u; memcpy(&u, &d, 8); return u; }
static float bits2f(uint32_t u) { float f; memcpy(&f, &u, 4); return f; }
static double bits2d(uint64_t u) { double d; memcpy(&d, &u, 8); return d; }

int main(int argc, char **argv) {
  int n = argc > 1 ? atoi(argv[1]) : 60;
  if (argc > 2) rs ^= strtoull(argv[2], 0, 0) * 0x2545f4914f6cdd1dull;
  for (unsigned i = 0; i < sizeof ops / sizeof ops[0]; i++) {
    const struct op *o = &ops[i];
    int count = o->rounds ? n : n * 2;
    for (int rmi = o->rounds ? 0 : -1; rmi < (o->rounds ? 5 : 0); rmi++) {
      for (int k = 0; k < count; k++) {
        uint64_t a = 0, b = 0, c = 0; int wa = 0, wb = 0, wc = 0;
        switch (o->gen) {
        case G_S1: a = gen_s(); wa = 32; break;
        case G_S2: a = gen_s(); b = rn(2) ? near_s((uint32_t)a) : gen_s(); wa = wb = 32;
          if (rn(5) == 0) tiny_pair(8, 23, &a, &b);
          break;
        case G_S3: a = gen_s(); b = gen_s(); wa = wb = wc = 32;
          if (rn(4) == 0) tiny_pair(8, 23, &a, &b);
          c = rn(3) == 0 ? near_s(f2bits(-(bits2f((uint32_t)a) * bits2f((uint32_t)b)))) : gen_s(); break;
        case G_D1: a = gen_d(); wa = 64; break;
        case G_D2: a = gen_d(); b = rn(2) ? near_d(a) : gen_d(); wa = wb = 64;
          if (rn(5) == 0) tiny_pair(11, 52, &a, &b);
          break;
        case G_D3: a = gen_d(); b = gen_d(); wa = wb = wc = 64;
          if (rn(4) == 0) tiny_pair(11, 52, &a, &b);
          c = rn(3) == 0 ? near_d(d2bits(-(bits2d(a) * bits2d(b)))) : gen_d(); break;
        case G_SCVT: a = rn(3) ? f2bits((float)cvt_val()) : gen_s(); if (rn(4) == 0) a += rn(3) - 1; a &= 0xffffffffu; wa = 32; break;
        case G_DCVT: a = rn(3) ? d2bits(cvt_val()) : gen_d(); if (rn(4) == 0) a += rn(3) - 1; wa = 64; break;
        case G_INT: a = gen_int(); wa = 64; break;
        case G_D2S: a = rn(2) ? d2bits((double)bits2f(gen_s()) * (1.0 + (double)(int)(rn(9) - 4) * 0x1p-25)) : gen_d(); wa = 64; break;
        case G_S2D: a = gen_s(); wa = 32; break;
        }
        if (wa == 32 && o->gen != G_INT) a = box((uint32_t)a);
        if (wb == 32) b = box((uint32_t)b);
        if (wc == 32) c = box((uint32_t)c);
        unsigned fl;
        uint64_t r = o->fn(a, b, c, rmi < 0 ? 0 : rmi, &fl);
        if (o->wres == 32) r &= 0xffffffffu;
        pr(o->name, rmi, wa, a, wb, b, wc, c, o->wres, r, fl);
      }
    }
  }
  return 0;
}
