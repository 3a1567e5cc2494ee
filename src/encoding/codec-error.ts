/** Thrown by every decoder on input it cannot have produced; never a silent wrong page. */
export class CodecError extends Error {
  constructor(readonly codec: string, message: string) {
    super(`${codec}: ${message}`);
    this.name = 'CodecError';
  }
}
