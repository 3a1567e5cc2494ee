/**
 * The part of the WebAssembly JavaScript API the machine uses. TypeScript's
 * ES2022 library lacks it (it lives in the DOM library, which the core
 * layers must not depend on); Node and browsers provide it at run time.
 */
declare namespace WebAssembly {
  interface MemoryDescriptor { initial: number; maximum?: number; shared?: boolean }
  class Memory {
    constructor(descriptor: MemoryDescriptor);
    readonly buffer: ArrayBuffer | SharedArrayBuffer;
  }
  class Module {
    constructor(bytes: Uint8Array);
  }
  interface TableDescriptor { element: 'anyfunc'; initial: number; maximum?: number }
  /** A funcref table: the wasm tier's regions, called by its dispatcher. */
  class Table {
    constructor(descriptor: TableDescriptor);
    readonly length: number;
    grow(delta: number): number;
    get(index: number): unknown;
    set(index: number, value: unknown): void;
  }
  type ImportValue = ((...args: number[]) => number | void) | Memory | Table;
  type Imports = Record<string, Record<string, ImportValue>>;
  class Instance {
    constructor(module: Module, imports?: Imports);
    readonly exports: Record<string, unknown>;
  }
  class CompileError extends Error {}
  function validate(bytes: Uint8Array): boolean;
}
