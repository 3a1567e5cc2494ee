/**
 * Where the wasm tier's time goes during one boot to the ready marker:
 *   npm run bench:tier-up [-- --hot-threshold N] [--engine wasm]
 * prints the wall time, the instructions run translated, and the tier's
 * compile time split into planning, emitting, `new WebAssembly.Module` and
 * instantiation (Hart.engineStats()). V8 compiles wasm functions lazily, on
 * their first call, inside the run: compare with
 *   node --no-wasm-lazy-compilation dist/bench/bench/tier-up.js
 * (eager Liftoff compile, counted in the module column) or
 * `--trace-wasm-compilation-times` to see that part.
 */
import { loadavg } from 'node:os';
import { readFileSync, readdirSync } from 'node:fs';
import { GuestSession } from '../test/support/guest-session.js';
import { READY_MARKER } from '../src/node/guest-images.js';
import { wasmTierDefaults } from '../src/machine/cpu/wasm/wasm-tier.js';
import { engineSpec, hotThresholdArg, wasmCompileArg, type EngineName } from '../test/support/engines.js';

/**
 * `--cpu-clock`: performance.now() reads this thread's CPU time instead (Linux
 * /proc/thread-self/schedstat), so every millisecond printed, the tier's
 * split included, is main-thread CPU, robust to a loaded machine's waits.
 */
if (process.argv.includes('--cpu-clock')) {
  const cpuNow = (): number => Number(readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ')[0]) / 1e6;
  Object.defineProperty(performance, 'now', { value: cpuNow, configurable: true });
}
const i = process.argv.indexOf('--engine');
const engine = (i > 0 ? process.argv[i + 1] : 'wasm') as EngineName;
const HOT = hotThresholdArg(process.argv);
// `--batch N`, `--wait-calls N`, `--batch-delay N`: the wasm tier's batching policy (wasm-tier.ts)
for (const [flag, key] of [['--batch', 'batch'], ['--wait-calls', 'waitCalls'], ['--batch-delay', 'batchDelay']] as const) {
  const k = process.argv.indexOf(flag);
  if (k > 0) wasmTierDefaults[key] = Number(process.argv[k + 1]);
}
const COMPILE = wasmCompileArg(process.argv);
console.log(`Node ${process.version}; load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}; engine ${engine}; hot threshold ${HOT.value ?? 'default'}; wasm batching ${JSON.stringify({ ...wasmTierDefaults, compileService: undefined })}; wasm compile ${COMPILE.mode}`);
const c0 = process.cpuUsage();
const t0 = performance.now();
const s = new GuestSession(engineSpec(engine, HOT.value));
const t1 = performance.now();
s.runUntil(READY_MARKER, 1_000_000_000, 1_000_000);
const t2 = performance.now();
const cpu = process.cpuUsage(c0);
const st = s.machine.hart.engineStats();
const n = s.machine.instret;
s.close();
/** CPU milliseconds of this process's main thread and of its other threads (Linux /proc; V8 compiles wasm tiers and collects garbage on other threads). */
function threadCpuMs(): { main: number; others: number } {
  const tick = 10; // USER_HZ = 100 on Linux
  let main = 0, others = 0;
  for (const tid of readdirSync('/proc/self/task')) {
    const f = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
    const fields = f.slice(f.lastIndexOf(')') + 2).split(' ');
    const ms = (Number(fields[11]) + Number(fields[12])) * tick;
    if (Number(tid) === process.pid) main += ms; else others += ms;
  }
  return { main, others };
}
const th = threadCpuMs();
const f = (x: number | undefined): string => (x ?? 0).toFixed(1);
console.log(`construct ${f(t1 - t0)} ms, run ${f(t2 - t1)} ms, process CPU ${f((cpu.user + cpu.system) / 1000)} ms (all threads), ${n} instructions, ${(100 * (st.retired ?? 0) / n).toFixed(1)}% retired translated`);
console.log(`leaders ${st.leaders}, regions/blocks ${st.translations}, modules ${st.modules ?? '–'} (${st.bytes ?? 0} bytes, ${st.evicted ?? 0} evicted), calls ${st.calls ?? '–'}, dispatch hits ${st.dispatchHits ?? '–'} misses ${st.dispatchMisses ?? '–'}`);
console.log(`translation ${f(st.compileMs)} ms = plan ${f(st.planMs)} + emit ${f(st.emitMs)} + new Module ${f(st.moduleMs)} + instantiate ${f(st.instantiateMs)} + install/other ${f(st.compileMs - (st.planMs ?? 0) - (st.emitMs ?? 0) - (st.moduleMs ?? 0) - (st.instantiateMs ?? 0))}`);
if (COMPILE.mode !== 'sync') console.log(`compile service: submit ${f(st.submitMs)} ms + poll ${f(st.pollMs)} ms on this thread; emit + compile ${f(st.backgroundMs)} ms on the worker; ${st.inFlight ?? 0} batches still in flight`);
console.log(`CPU: main thread ${th.main} ms, other threads ${th.others} ms (whole process, construction included)`);
if (st.translations > 0) console.log(`per region ${(st.compileMs / st.translations).toFixed(2)} ms; per module ${st.modules ? (st.compileMs / st.modules).toFixed(2) : '–'} ms`);
console.log(JSON.stringify({ mode: COMPILE.mode, hot: HOT.value ?? null, constructMs: t1 - t0, runMs: t2 - t1, translated: (st.retired ?? 0) / n, regions: st.translations, modules: st.modules, compileMs: st.compileMs, moduleMs: st.moduleMs, emitMs: st.emitMs, mainCpuMs: th.main, otherCpuMs: th.others }));
