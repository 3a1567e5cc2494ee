/**
 * The one error type every log decoder throws on input it cannot have
 * produced (bad magic, unknown version, checksum mismatch, truncation,
 * malformed record). `where` names the file and frame.
 */
export class ReplayLogError extends Error {
  constructor(
    readonly where: string,
    readonly reason: string,
  ) {
    super(`${where}: ${reason}`);
    this.name = 'ReplayLogError';
  }
}
