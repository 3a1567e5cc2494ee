/* Entry at 0x80000000 (M-mode, -bios none): a stack, zeroed .bss, main, then power off. */
  .section .text.init
  .globl _start
_start:
  la sp, stack_top
  la t0, __bss_start
  la t1, __bss_end
1: bgeu t0, t1, 2f
  sd zero, 0(t0)
  addi t0, t0, 8
  j 1b
2: call main
  li t0, 0x100000
  li t1, 0x5555
  sw t1, 0(t0)
3: wfi
  j 3b
  .bss
  .align 4
  .space 8192
stack_top:
