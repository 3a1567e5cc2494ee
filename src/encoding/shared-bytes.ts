/**
 * A SharedArrayBuffer (page workers read it), or where SharedArrayBuffer is
 * missing (a browser page that is not cross-origin isolated) a plain
 * ArrayBuffer: then only the same-thread page pool can run.
 */
export function sharedBytes(n: number): SharedArrayBuffer {
  return (typeof SharedArrayBuffer === 'function' ? new SharedArrayBuffer(n) : new ArrayBuffer(n)) as SharedArrayBuffer;
}
