/** A level-triggered interrupt input (a PLIC source). */
export interface IrqSink {
  setLevel(source: number, level: boolean): void;
}
