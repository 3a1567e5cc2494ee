/** `retrovisor run`: boot a machine with the console on this terminal. */
import type { ClockMode, StopReason, VirtMachine } from '../machine/board/virt-machine.js';
import { TIMEBASE_HZ } from '../machine/clock.js';
import { resolveEngine } from '../machine/cpu/engines.js';
import type { InputSource } from '../machine/input.js';
import { HostInputSource } from '../node/host-input.js';
import { TerminalConsole, ESCAPE_HELP } from '../node/terminal-console.js';
import { buildMachine, type MachineSpec } from '../node/machine-builder.js';
import type { GdbServer } from '../node/gdb-server.js';
import type { LiveTarget } from '../debug/live-target.js';
import { isBalloonDevice, parseDrive, parseMemorySize, parseCount } from './qemu-style-args.js';
import { parseNetworkOptions } from './network-args.js';
// the GDB server, the debugger's live target and the host network are imported only by runs that use
// them (dynamic import below): a plain run starts sooner without their modules
import { IdlePacer } from '../node/idle-pacer.js';
import { useBackgroundWasmCompile } from '../node/wasm-compile-worker.js';

export interface RunOptions {
  m?: string;
  kernel?: string;
  initrd?: string;
  append?: string;
  bios?: string;
  drive?: string[];
  disk?: boolean;
  /** Attach a virtio-balloon with free page reporting. */
  balloon?: boolean;
  clock?: string;
  workload?: string;
  args?: string;
  pace?: boolean;
  maxInstructions?: string;
  /** false: interpret only (no block translation). */
  translate?: boolean;
  /** Execution engine (interpreter, js, ...). */
  engine?: string;
  /** Block executions before translation. */
  hotThreshold?: string;
  /** Where the wasm tier compiles its modules: sync (default), worker or worker-eager (src/node/wasm-compile-worker.ts). */
  wasmCompile?: string;
  stats?: boolean;
  /** Checkpoint repository (default $RETROVISOR_REPO or ./.retrovisor/repo). */
  repo?: string;
  /** Periodic checkpoints: guest time (100ms) or instructions (50M). */
  checkpointEvery?: string;
  /** Page codec for checkpoints (zstd, lz4, deflate, none). */
  codec?: string;
  /** The standard guest's images from here instead of guest/images (a recording's bundle). */
  imagesDir?: string;
  /** QEMU network options, as given (see network-args.ts). */
  nic?: string[];
  netdev?: string[];
  device?: string[];
  /** Build the NICs but leave them unplugged (restore --net detach). */
  netDetach?: boolean;
  /** GDB server: `-gdb tcp::PORT`; `-s` is tcp::1234; `-S` waits for the debugger before the first instruction. */
  gdb?: string;
  s?: boolean;
  S?: boolean;
  /** Sub-page deltas: true (64-byte blocks) or a block size. */
  subpageDelta?: boolean | string;
  /** Deltas against similar stored pages. */
  similarity?: boolean;
  /** false: encode balloon-reported free pages like any other page. */
  freePageExclusion?: boolean;
  /** Store RAM pages equal to base disk blocks as references. */
  pageCacheExclusion?: boolean;
  /** Find free pages in the guest kernel's allocator at each checkpoint, zero them and store them as zero pages. */
  kernelFreePages?: boolean;
  /** Capture mode: stop (stop-and-copy), cow (copy-on-write), cow+predict (default). */
  checkpointMode?: string;
  checkpointWorkers?: string;
  checkpointPressure?: string;
}

/** The GDB port the options ask for, or null. */
export async function gdbPort(opts: RunOptions): Promise<number | null> {
  if (opts.gdb !== undefined) return (await import('../node/gdb-server.js')).parseGdbAddress(opts.gdb);
  if (opts.s) return 1234;
  if (opts.S) return 1234;
  return null;
}

/** The options that rebuild the same machine (stored with each checkpoint so restore can rebuild it). */
export function machineOptions(opts: RunOptions): RunOptions {
  const { m, kernel, initrd, append, bios, drive, disk, clock, workload, args, nic, netdev, device, balloon } = opts;
  return JSON.parse(JSON.stringify({ m, kernel, initrd, append, bios, drive, disk, clock, workload, args, nic, netdev, device, balloon })) as RunOptions;
}

const CHUNK = 4_000_000;
/** With a live network, host frames wait at most one slice: shorter slices keep round trips short. */
const NET_CHUNK = 1_000_000;

/** Hooks for commands built on `run` (record): they see the machine without copying the loop. */
export interface RunHooks {
  /** Wraps the host input source the machine is built with. */
  input?: (host: InputSource) => InputSource;
  /** The machine is built and about to run (restore loads a checkpoint here). */
  started?: (machine: VirtMachine) => void;
  /** Capture a checkpoint now, if checkpointing is configured (Ctrl-A s); the run waits for a returned promise (a deferred session loads first). */
  checkpoint?: (machine: VirtMachine) => void | Promise<void>;
  /** Before each run slice: the largest next slice (periodic checkpoints bound it and capture here); default 4M instructions. */
  sliceLimit?: (machine: VirtMachine, max: number) => number;
  /** Guest time (ticks) an idle hart waiting for `deadline` may skip to (periodic checkpoints bound it). */
  skipLimit?: (machine: VirtMachine, deadline: number) => number;
  /** After each run slice (a few million instructions, or an idle stop). */
  slice?: (machine: VirtMachine) => void;
  /** The run is over (before the terminal closes); `quit` when the user quit with Ctrl-A x or a signal stopped the run. */
  finished?: (machine: VirtMachine, stop: StopReason, quit: boolean) => void;
  /** Console input was just handed to the guest (the recorder flushes its log after it). */
  consoleInput?: (machine: VirtMachine) => void;
  /** Background work while the guest idles on the realtime clock (a capture in flight); true while there is more, so the wait is cut short. */
  idleWork?: (machine: VirtMachine, ms: number) => boolean;
}

/** Signals that end a run cleanly: the loop stops at the next slice, hooks finish (log trailer, repository), the terminal is restored. */
const STOP_SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
const SIGNAL_NUMBER: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGTERM: 15 };

/** The options the network parser sees: `-device` entries other than the balloon. */
function networkOptions(opts: RunOptions): RunOptions {
  return opts.device ? { ...opts, device: opts.device.filter((d) => !isBalloonDevice(d)) } : opts;
}

/** The machine description behind run options (parsing of the QEMU-style text happens here, in the CLI). */
function parseHotThreshold(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0) throw new Error(`--hot-threshold must be a non-negative integer (got ${text})`);
  return n;
}

export function machineSpec(opts: RunOptions): MachineSpec {
  if (opts.clock && opts.clock !== 'virtual' && opts.clock !== 'realtime') throw new Error(`--clock must be virtual or realtime (got ${opts.clock})`);
  return {
    memoryBytes: opts.m ? parseMemorySize(opts.m) : undefined,
    bios: opts.bios === 'none' ? null : opts.bios,
    kernel: opts.kernel,
    initrd: opts.initrd,
    append: opts.append,
    workload: opts.workload,
    args: opts.args ? opts.args.split(',') : undefined,
    drives: (opts.drive ?? []).map(parseDrive),
    disk: opts.disk,
    clock: opts.clock as ClockMode | undefined,
    translate: opts.translate,
    engine: opts.engine,
    hotThreshold: opts.hotThreshold !== undefined ? parseHotThreshold(opts.hotThreshold) : undefined,
    imagesDir: opts.imagesDir,
    nics: parseNetworkOptions(networkOptions(opts)).map((n) => ({ mac: n.mac })),
    ...(opts.balloon || (opts.device ?? []).some(isBalloonDevice) ? { machine: { balloon: true } } : {}),
  };
}

export function buildMachineFromOptions(opts: RunOptions, consoleOut: (b: number) => void, input: InputSource = new HostInputSource()): { machine: VirtMachine; cleanup: () => void } {
  // on the guest's thread by default: on a 2-core host the worker took the core V8's background compiles need (docs/benchmarks.md)
  const compile = opts.wasmCompile ?? 'sync';
  if (compile !== 'sync' && compile !== 'worker' && compile !== 'worker-eager') throw new Error(`--wasm-compile takes sync, worker or worker-eager, not '${compile}'`);
  if (compile !== 'sync' && resolveEngine(opts) === 'wasm') useBackgroundWasmCompile(compile === 'worker-eager');
  return buildMachine(machineSpec(opts), { console: consoleOut, input });
}

export async function runCommand(opts: RunOptions, hooks: RunHooks = {}): Promise<number> {
  let term: TerminalConsole | null = null;
  const host = new HostInputSource();
  const say = (text: string): void => { process.stderr.write(`\r\n[retrovisor: ${text}]\r\n`); };
  const spec = machineSpec(opts);
  const nicSpecs = parseNetworkOptions(networkOptions(opts));
  // the NICs' networks are opened first (passt started, sockets connected), then the machine is built on them
  const network = nicSpecs.length > 0 && !opts.netDetach ? await (await import('../node/net/host-network.js')).HostNetwork.open(nicSpecs, say) : null;
  if (network) spec.nics = network.nics.map((n) => ({ mac: n.spec.mac, backend: n }));
  let built;
  try {
    built = buildMachine(spec, { console: (b) => term!.write(b), input: hooks.input ? hooks.input(host) : host });
  } catch (e) {
    network?.close();
    throw e;
  }
  const { machine, cleanup } = built;
  const pending: Uint8Array[] = [];
  let quit = false;
  let checkpointRequested = false;
  let inputEnded = false;
  let inputPosted = false;
  let wake: (() => void) | null = null;
  const poke = (): void => { const w = wake; wake = null; w?.(); };
  term = new TerminalConsole({
    input: (bytes) => { pending.push(bytes); poke(); },
    escape: (cmd) => {
      if (cmd === 'quit') { quit = true; poke(); }
      else if (cmd === 'help') process.stderr.write(ESCAPE_HELP);
      else if (hooks.checkpoint) { checkpointRequested = true; poke(); }
      else process.stderr.write('\r\n[retrovisor: no checkpoint repository configured]\r\n');
    },
    end: () => { inputEnded = true; poke(); },
  });
  let signalled: NodeJS.Signals | null = null;
  const onSignal = (sig: NodeJS.Signals): void => {
    if (signalled) {
      // a second signal: leave now, but give the terminal back first
      term?.close();
      process.stderr.write(`\r\nretrovisor: ${sig} again, exiting at once\n`);
      process.exit(128 + (SIGNAL_NUMBER[sig] ?? 1));
    }
    signalled = sig;
    quit = true;
    poke();
  };
  for (const s of STOP_SIGNALS) process.on(s, onSignal);
  // a guest on a live network keeps to the host clock, or its timeouts would fire before any reply could arrive
  const pace = opts.pace ?? (term.interactive || network !== null);
  const chunk = network ? NET_CHUNK : CHUNK;
  let stop: StopReason = { kind: 'limit' };
  let t0 = performance.now();
  let limit = Infinity;
  let startInstret = 0;
  const pacer = new IdlePacer();
  let live: LiveTarget | null = null;
  let gdb: GdbServer | null = null;
  try {
    hooks.started?.(machine);
    if (network) {
      network.attach(machine, poke);
      for (const line of network.describe()) say(line);
    } else if (nicSpecs.length > 0) {
      // detached: the NICs exist (the guest's state expects them) with the cable pulled
      machine.nets.forEach((_n, slot) => machine.input.post({ kind: 'net-link', slot, up: false }));
      say(`network detached: ${machine.nets.length} NIC(s) with the link down`);
    }
    const port = await gdbPort(opts);
    if (port !== null) {
      const [{ LiveTarget }, { serveGdb }] = await Promise.all([import('../debug/live-target.js'), import('../node/gdb-server.js')]);
      live = new LiveTarget(machine, { waitForDebugger: opts.S === true });
      live.wake = poke;
      gdb = await serveGdb(live, port);
      process.stderr.write(`retrovisor: gdb server on 127.0.0.1:${gdb.port}${opts.S ? ' (waiting for the debugger: target remote :' + gdb.port + ', then continue)' : ''}\r\n`);
    }
    // a restored machine starts late in guest time: pacing and limits count from here
    startInstret = machine.instret;
    limit = opts.maxInstructions ? startInstret + parseCount(opts.maxInstructions) : Infinity;
    t0 = performance.now();
    pacer.start(machine.now());
    while (!quit && machine.instret < limit) {
      if (checkpointRequested) {
        checkpointRequested = false;
        await hooks.checkpoint?.(machine);
      }
      // hold console input until the guest's driver listens, so early bytes are not flushed away
      if (pending.length > 0 && machine.uart.rxInterruptEnabled) {
        for (const data of pending) machine.input.post({ kind: 'console', data });
        pending.length = 0;
        inputPosted = true;
      }
      network?.pump();
      // a debugger may hold the machine here, or allow a single instruction
      const debugMax = live ? await live.gate() : Infinity;
      if (live?.killed) { quit = true; break; }
      const max = Math.min(chunk, limit - machine.instret, debugMax);
      stop = machine.run(hooks.sliceLimit ? hooks.sliceLimit(machine, max) : max, pace || hooks.skipLimit ? 'return' : 'skip');
      term.flush();
      hooks.slice?.(machine);
      if (inputPosted) { inputPosted = false; hooks.consoleInput?.(machine); }
      live?.afterRun(stop);
      if (stop.kind === 'debug') continue;
      if (stop.kind === 'poweroff' || stop.kind === 'reboot' || stop.kind === 'fail') break;
      if (stop.kind === 'idle') {
        if (pending.length > 0 && machine.uart.rxInterruptEnabled) continue;
        if (network?.ready) continue;
        if (stop.deadline === Infinity) {
          if (inputEnded && pending.length === 0 && !network) break; // nothing can ever wake the guest
          await new Promise<void>((res) => { wake = res; });
          continue;
        }
        if (machine.clockMode === 'realtime') {
          // guest time is host time: sleep until the deadline (or until input arrives)
          let waitMs = Math.max(0, ((stop.deadline - machine.now()) / TIMEBASE_HZ) * 1000);
          // a capture in flight uses the idle time (its page workers' results are consumed here), in short waits
          if (waitMs > 0.2 && hooks.idleWork?.(machine, Math.min(waitMs, 2))) waitMs = Math.min(waitMs, 1);
          if (waitMs > 0.2) {
            await new Promise<void>((res) => { const t = setTimeout(res, Math.min(waitMs, 100)); wake = () => { clearTimeout(t); res(); }; });
            wake = null;
          } else await new Promise<void>((res) => setImmediate(res));
          continue;
        }
        if (pace) {
          // idle guest time neither runs ahead of the host clock nor races to catch up with it (idle-pacer.ts)
          const waitMs = pacer.waitMs(machine.now(), stop.deadline);
          if (waitMs > 1) {
            await new Promise<void>((res) => { const t = setTimeout(res, Math.min(waitMs, 100)); wake = () => { clearTimeout(t); res(); }; });
            wake = null;
            if (pending.length > 0 || quit || network?.ready) continue;
            if (pacer.waitMs(machine.now(), stop.deadline) > 1) continue;
          }
        }
        machine.skipTo(hooks.skipLimit ? hooks.skipLimit(machine, stop.deadline) : stop.deadline);
        continue;
      }
      await new Promise<void>((res) => setImmediate(res));
    }
    hooks.finished?.(machine, stop, quit);
  } finally {
    await gdb?.close();
    term.close();
    network?.close();
    cleanup();
    for (const s of STOP_SIGNALS) process.off(s, onSignal);
  }
  const secs = (performance.now() - t0) / 1000;
  const n = machine.instret - startInstret;
  const why = signalled ? `stopped by ${signalled as string}` : quit ? 'quit' : stop.kind;
  process.stderr.write(`\r\nretrovisor: ${why}; ${n.toLocaleString('en-US')} instructions retired in ${secs.toFixed(2)} s (${(n / secs / 1e6).toFixed(1)} MIPS)\n`);
  if (signalled) return 128 + (SIGNAL_NUMBER[signalled as string] ?? 1);
  if (stop.kind === 'fail') return stop.code || 1;
  return 0;
}
