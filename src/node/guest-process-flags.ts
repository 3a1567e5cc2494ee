/**
 * Node flags for a process that runs a guest.
 *
 * V8's platform pool has 4 background threads whatever the host's core count
 * (Node's default `--v8-pool-size=4`). Its jobs (TurboFan recompiling the hot
 * wasm regions, the wasm interpreter and the JavaScript loop; GC helpers) then
 * take the guest thread's core on a small host: on 2 cores a wasm-engine boot
 * spent ~150 ms of its ~850 ms waiting for a CPU, and `compute` ran 25% slower
 * (docs/benchmarks.md, "V8's background threads"). `--v8-pool-size=0` lets Node
 * size the pool from the host's parallelism (one thread here), which leaves
 * the guest thread a core. The pool is sized at process start, so the flag
 * must be on the command line (or NODE_OPTIONS): the `retrovisor` script's
 * `#!` line carries it; this list is for processes started from code.
 */
export const GUEST_NODE_FLAGS: readonly string[] = ['--v8-pool-size=0'];

/**
 * The guest flags for a child Node process: this process's own `--v8-pool-size=N` when it was
 * started with one (so a comparison against another pool size reaches the children), none when
 * NODE_OPTIONS sets it (children inherit that), else GUEST_NODE_FLAGS.
 */
export function guestNodeArgs(execArgv: readonly string[] = process.execArgv): string[] {
  const name = (a: string): string => a.split('=')[0];
  if ((process.env.NODE_OPTIONS ?? '').split(/\s+/).some((a) => name(a) === '--v8-pool-size')) return [];
  const own = execArgv.filter((a) => name(a) === '--v8-pool-size');
  return own.length > 0 ? own : [...GUEST_NODE_FLAGS];
}
