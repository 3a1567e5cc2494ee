// The committed kernel symbols (guest/images/vmlinux-symbols.gz) belong to the
// committed Image: a live debugging session of the standard guest's boot
// (`retrovisor run -S -gdb`) stops at `start_kernel` by name, names the caller
// in `bt` and reads kernel variables (symbols only: with a cast, or as memory). Short (about 15 M instructions of boot);
// the reverse-execution kernel case is test/debug/kernel-reverse.test.ts.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { guestImagesDir, readGuestManifest } from '../../src/node/guest-images.js';

const CLI = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));
const hasSymbols = readGuestManifest().files['vmlinux-symbols.gz'] !== undefined;
const dir = mkdtempSync(join(tmpdir(), 'retrovisor-ksym-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((res) => s.listen(0, '127.0.0.1', () => res()));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((res) => s.close(() => res()));
  return port;
}

describe.skipIf(!hasSymbols)('kernel symbols with a live standard guest', () => {
  it('break start_kernel, bt, read kernel variables', async () => {
    const symbols = join(dir, 'vmlinux-symbols');
    writeFileSync(symbols, gunzipSync(readFileSync(join(guestImagesDir(), 'vmlinux-symbols.gz'))));
    const port = await freePort();
    const vm = spawn(process.execPath, [CLI, 'run', '--no-pace', '--max-instructions', '60M', '-S', '-gdb', `tcp::${port}`], { stdio: ['ignore', 'pipe', 'pipe'] });
    let vmOut = '';
    const ready = new Promise<void>((res) => {
      const on = (b: Buffer): void => { vmOut += b.toString(); if (vmOut.includes('gdb server on')) res(); };
      vm.stdout.on('data', on);
      vm.stderr.on('data', on);
    });
    const vmDone = new Promise<number | null>((res) => vm.on('close', (c) => res(c)));
    try {
      await ready;
      const commands = [
        'break start_kernel', 'continue', 'bt', 'p $priv', 'p/x $pc', 'x/s &linux_banner', 'p (unsigned long)jiffies', 'kill',
      ];
      const args = ['-batch', '-nx', '-ex', 'set pagination off', '-ex', 'set confirm off', '-ex', `file ${symbols}`, '-ex', `target remote 127.0.0.1:${port}`];
      for (const c of commands) args.push('-ex', c);
      const g = spawnSync('gdb-multiarch', args, { encoding: 'utf8', timeout: 120_000 });
      const out = g.stdout + g.stderr;
      expect(out).toMatch(/Breakpoint 1, (0x[0-9a-f]+ in )?start_kernel \(\)/);
      expect(out, out).toMatch(/#0 {2}(0x[0-9a-f]+ in )?start_kernel \(\)/);
      expect(out).toMatch(/#1 {2}0x[0-9a-f]+ in _start_kernel \(\)/); // head.S, through the frame information
      expect(out).toMatch(/\$\d+ = 1\n/); // S-mode
      expect(out).toMatch(/\$\d+ = 0xffffffff80[0-9a-f]{6}\n/); // the kernel's virtual addresses
      expect(out).toMatch(/<linux_banner>:\s+"Linux version 6\.1\.\d+ \(retrovisor@retrovisor\)/); // read from the running kernel: the symbols match the Image
      expect(out).toMatch(/\$\d+ = 4294\d+\n/); // jiffies starts at INITIAL_JIFFIES (-300 s)
    } finally {
      const timer = setTimeout(() => vm.kill('SIGKILL'), 30_000);
      await vmDone;
      clearTimeout(timer);
    }
  }, 300_000);
});
