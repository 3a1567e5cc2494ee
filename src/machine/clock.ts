/**
 * Guest time. The timebase ticks at 10 MHz as on QEMU's virt board.
 * In the default deterministic mode it is derived from the retired-instruction
 * count (plus a skip offset that WFI advances to the next timer deadline), so
 * two runs with the same inputs see the same time at the same instruction.
 */
export const TIMEBASE_HZ = 10_000_000;

export interface Clock {
  /** Current guest time in timebase ticks. */
  now(): number;
}

/** The hart's interrupt-pending inputs driven by devices (mip bits MSIP=3, MTIP=7, SEIP=9, MEIP=11). */
export interface HartInterruptLines {
  setPending(bit: number, level: boolean): void;
}

export const MIP_SSIP = 1;
export const MIP_MSIP = 3;
export const MIP_STIP = 5;
export const MIP_MTIP = 7;
export const MIP_SEIP = 9;
export const MIP_MEIP = 11;
