/**
 * Every component describes its state as a plain, versioned record
 * (numbers, strings, booleans, arrays, Uint8Array and nested records only)
 * and can be rebuilt from one. Checkpoints, migration and replay stand on this.
 */
export type StateValue =
  | number
  | string
  | boolean
  | null
  | Uint8Array
  | StateValue[]
  | { [key: string]: StateValue };

export interface StateRecord {
  readonly version: number;
  readonly [key: string]: StateValue;
}

/** What a saveState() call leaves out (components ignore options that are not theirs). */
export interface SaveOptions {
  /**
   * Include disk contents held in memory (a copy-on-write overlay) in the
   * record. Default true; checkpoints say false because they store overlay
   * blocks as pages of their own.
   */
  readonly diskContents?: boolean;
}

export interface Stateful {
  saveState(options?: SaveOptions): StateRecord;
  /** Throws a clear Error on a record of an unknown version or shape. */
  loadState(record: StateRecord): void;
}

export function expectVersion(record: StateRecord, component: string, version: number): void {
  if (record === null || typeof record !== 'object' || record.version !== version) {
    throw new Error(`${component}: unsupported state record version ${String(record?.version)} (expected ${version})`);
  }
}
