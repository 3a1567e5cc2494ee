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

export interface Stateful {
  saveState(): StateRecord;
  /** Throws a clear Error on a record of an unknown version or shape. */
  loadState(record: StateRecord): void;
}

export function expectVersion(record: StateRecord, component: string, version: number): void {
  if (record === null || typeof record !== 'object' || record.version !== version) {
    throw new Error(`${component}: unsupported state record version ${String(record?.version)} (expected ${version})`);
  }
}
