// The committed kernel symbols (guest/images/vmlinux-symbols.gz) belong to the
// committed Image: a live debugging session of the standard guest's boot
// (`retrovisor run -S -gdb`) stops at `start_kernel` by name, names the caller
// in `bt` and reads kernel variables (symbols only: with a cast, or as memory). Short (about 15 M instructions of boot);
// the reverse-execution kernel case is test/debug/kernel-reverse.test.ts.
import { afterAll, describe, expect, it } from 'vitest';
import { tempDir } from '../store/helpers.js';
import { hasKernelSymbols, liveGdbSession, unpackKernelSymbols } from '../support/live-gdb.js';

const { dir, cleanup } = tempDir('retrovisor-ksym-');
afterAll(cleanup);

describe.skipIf(!hasKernelSymbols)('kernel symbols with a live standard guest', () => {
  it('break start_kernel, bt, read kernel variables', async () => {
    const symbols = unpackKernelSymbols(dir);
    const commands = [
      'break start_kernel', 'continue', 'bt', 'p $priv', 'p/x $pc', 'x/s &linux_banner', 'p (unsigned long)jiffies', 'kill',
    ];
    const { gdb: out } = await liveGdbSession(['run', '--no-pace', '--max-instructions', '60M'], commands, symbols, 120_000);
    expect(out).toMatch(/Breakpoint 1, (0x[0-9a-f]+ in )?start_kernel \(\)/);
    expect(out, out).toMatch(/#0 {2}(0x[0-9a-f]+ in )?start_kernel \(\)/);
    expect(out).toMatch(/#1 {2}0x[0-9a-f]+ in _start_kernel \(\)/); // head.S, through the frame information
    expect(out).toMatch(/\$\d+ = 1\n/); // S-mode
    expect(out).toMatch(/\$\d+ = 0xffffffff80[0-9a-f]{6}\n/); // the kernel's virtual addresses
    expect(out).toMatch(/<linux_banner>:\s+"Linux version 6\.1\.\d+ \(retrovisor@retrovisor\)/); // read from the running kernel: the symbols match the Image
    expect(out).toMatch(/\$\d+ = 4294\d+\n/); // jiffies starts at INITIAL_JIFFIES (-300 s)
  }, 300_000);
});
