/** Exception causes (mcause without the interrupt bit). */
export const enum Cause {
  InstMisaligned = 0,
  InstAccessFault = 1,
  IllegalInst = 2,
  Breakpoint = 3,
  LoadMisaligned = 4,
  LoadAccessFault = 5,
  StoreMisaligned = 6,
  StoreAccessFault = 7,
  EcallU = 8,
  EcallS = 9,
  EcallM = 11,
  InstPageFault = 12,
  LoadPageFault = 13,
  StorePageFault = 15,
}

/** Access kinds, used to pick fault causes and TLBs. */
export const enum Access {
  Fetch = 0,
  Load = 1,
  Store = 2,
}

/** Thrown (one shared instance) to unwind the interpreter after a trap has been taken. */
export class TrapTaken {
  readonly name = 'TrapTaken';
}
export const TRAP_TAKEN = new TrapTaken();
