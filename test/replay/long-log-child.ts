/**
 * Child process of long-log tests: `write PATH MIB` writes a synthetic replay
 * log of about MIB MiB (incompressible entropy events spread over 10^10+
 * instructions); `read PATH` streams every event and prints
 * "<events> <last instret> <peak RSS bytes>".
 */
import { randomFillSync } from 'node:crypto';
import { FileLogSink, openReplayLog, replayLogCompressor } from '../../src/node/replay-log-file.js';
import { LogWriter } from '../../src/replay/log-writer.js';

const [mode, path, mibText] = process.argv.slice(2);
if (mode === 'write') {
  const sink = new FileLogSink(path);
  const w = new LogWriter(sink, replayLogCompressor(), { format: 'retrovisor-replay', start: { kind: 'boot' }, clockMode: 'virtual', hashInterval: 4_000_000, ramHashInterval: 0, machine: {} });
  const data = new Uint8Array(4096);
  const events = Math.ceil((Number(mibText) * 2 ** 20) / 4110);
  const step = Math.ceil(2e10 / events);
  for (let i = 0; i < events; i++) {
    randomFillSync(data);
    w.add({ kind: 'entropy', instret: i * step, pc: 0x80000000, data });
  }
  w.close();
  sink.close();
} else if (mode === 'read') {
  const r = openReplayLog(path);
  let n = 0, last = 0;
  for (const e of r.all()) { n++; last = e.instret; }
  process.stdout.write(`${n} ${last} ${process.resourceUsage().maxRSS * 1024} ${r.size}\n`);
}
