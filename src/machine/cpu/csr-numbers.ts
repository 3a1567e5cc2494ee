/** CSR addresses used by the hart. */
export const CSR = {
  fflags: 0x001, frm: 0x002, fcsr: 0x003,
  sstatus: 0x100, sie: 0x104, stvec: 0x105, scounteren: 0x106, senvcfg: 0x10a,
  sscratch: 0x140, sepc: 0x141, scause: 0x142, stval: 0x143, sip: 0x144, satp: 0x180,
  mstatus: 0x300, misa: 0x301, medeleg: 0x302, mideleg: 0x303, mie: 0x304, mtvec: 0x305,
  mcounteren: 0x306, menvcfg: 0x30a, mcountinhibit: 0x320,
  mscratch: 0x340, mepc: 0x341, mcause: 0x342, mtval: 0x343, mip: 0x344,
  pmpcfg0: 0x3a0, pmpaddr0: 0x3b0,
  mcycle: 0xb00, minstret: 0xb02,
  cycle: 0xc00, time: 0xc01, instret: 0xc02,
  mvendorid: 0xf11, marchid: 0xf12, mimpid: 0xf13, mhartid: 0xf14, mconfigptr: 0xf15,
} as const;

// mstatus bits (low word)
export const MS_SIE = 1 << 1;
export const MS_MIE = 1 << 3;
export const MS_SPIE = 1 << 5;
export const MS_MPIE = 1 << 7;
export const MS_SPP = 1 << 8;
export const MS_MPP_SHIFT = 11;
export const MS_MPP = 3 << 11;
export const MS_FS = 3 << 13;
export const MS_MPRV = 1 << 17;
export const MS_SUM = 1 << 18;
export const MS_MXR = 1 << 19;
export const MS_TVM = 1 << 20;
export const MS_TW = 1 << 21;
export const MS_TSR = 1 << 22;

export const MSTATUS_WMASK = MS_SIE | MS_MIE | MS_SPIE | MS_MPIE | MS_SPP | MS_MPP | MS_FS | MS_MPRV | MS_SUM | MS_MXR | MS_TVM | MS_TW | MS_TSR;
export const SSTATUS_MASK = MS_SIE | MS_SPIE | MS_SPP | MS_FS | MS_SUM | MS_MXR;
/** UXL = SXL = 2 (64-bit) in mstatus bits 35:32. */
export const MSTATUS_HI = 0xa;
export const SSTATUS_HI = 0x2;

export const MIP_WRITABLE = 0x222; // SSIP | STIP | SEIP
export const MIE_MASK = 0xaaa;
export const MEDELEG_MASK = 0xb3ff;
export const MIDELEG_MASK = 0x222;

/** misa: MXL=2, extensions A C D F I M S U. */
export const MISA_LO = (1 << 0) | (1 << 2) | (1 << 3) | (1 << 5) | (1 << 8) | (1 << 12) | (1 << 18) | (1 << 20);
export const MISA_HI = 0x80000000 | 0;
