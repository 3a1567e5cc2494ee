/* Which reserved FP encodings trap, per qemu-riscv64 (run: riscv64-linux-gnu-gcc -static -o ill illegal.c && qemu-riscv64 ./ill).
 * The illegal-encoding unit tests in test/cpu/fpu.test.ts follow what this printed (every case ILLEGAL except the last). */
#include <signal.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdint.h>
static sigjmp_buf jb;
static void h(int s) { (void)s; siglongjmp(jb, 1); }
#define T(name, insn) do { if (sigsetjmp(jb, 1) == 0) { asm volatile(".word " #insn ::: "memory"); printf("%-28s legal\n", name); } else printf("%-28s ILLEGAL\n", name); } while (0)
int main(void) {
  signal(SIGILL, h);
  /* opfp(f7,rs2,rs1,rm,rd) = f7<<25|rs2<<20|rs1<<15|rm<<12|rd<<7|0x53 ; rd=f1/x0 rs1=x0/f0 */
  T("fcvt.d.w rm=5", (0x69<<25)|(0<<20)|(0<<15)|(5<<12)|(1<<7)|0x53);
  T("fcvt.d.s rm=6", (0x21<<25)|(0<<20)|(0<<15)|(6<<12)|(1<<7)|0x53);
  T("fcvt.d.wu rm=5", (0x69<<25)|(1<<20)|(0<<15)|(5<<12)|(1<<7)|0x53);
  T("fsgnj.d rm=3", (0x11<<25)|(0<<20)|(0<<15)|(3<<12)|(1<<7)|0x53);
  T("fmin.s rm=2", (0x14<<25)|(0<<20)|(0<<15)|(2<<12)|(1<<7)|0x53);
  T("fsqrt.d rs2=1", (0x2d<<25)|(1<<20)|(0<<15)|(0<<12)|(1<<7)|0x53);
  T("fclass.d rs2=1", (0x71<<25)|(1<<20)|(0<<15)|(1<<12)|(0<<7)|0x53);
  T("fmv.x.d rm=2", (0x71<<25)|(0<<20)|(0<<15)|(2<<12)|(0<<7)|0x53);
  T("fcvt.s.d rs2=0", (0x20<<25)|(0<<20)|(0<<15)|(0<<12)|(1<<7)|0x53);
  T("fcvt.w.d rs2=4", (0x61<<25)|(4<<20)|(0<<15)|(0<<12)|(0<<7)|0x53);
  T("fadd.h", (0x02<<25)|(0<<20)|(0<<15)|(0<<12)|(1<<7)|0x53);
  asm volatile("csrwi frm, 5");
  T("fadd.d dyn frm=5", (0x01<<25)|(0<<20)|(0<<15)|(7<<12)|(1<<7)|0x53);
  T("fcvt.d.w dyn frm=5", (0x69<<25)|(0<<20)|(0<<15)|(7<<12)|(1<<7)|0x53);
  T("fsgnj.d (no rm) frm=5", (0x11<<25)|(0<<20)|(0<<15)|(0<<12)|(1<<7)|0x53);
  asm volatile("csrwi frm, 0");
  return 0;
}
