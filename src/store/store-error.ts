/** locked: another process holds the repository lock too long; conflict: a concurrent change (gc) invalidated a commit; io: the file system failed. */
export type StoreErrorKind = 'version' | 'corrupt' | 'truncated' | 'missing' | 'usage' | 'locked' | 'conflict' | 'io';

/** Every failure to read the repository names the file (and checkpoint/chunk when known). */
export class StoreError extends Error {
  constructor(
    readonly kind: StoreErrorKind,
    readonly file: string,
    message: string,
    readonly checkpoint?: number,
    readonly chunk?: number,
  ) {
    super(`${file}${checkpoint !== undefined ? ` (checkpoint ${checkpoint})` : ''}${chunk !== undefined ? ` (chunk ${chunk})` : ''}: ${message}`);
    this.name = 'StoreError';
  }
}
