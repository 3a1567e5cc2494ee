// gdb-multiarch against the CLI as users run it (`retrovisor run|record ... -S -gdb tcp::PORT`),
// and the committed kernel symbols the kernel debugging tests load.
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { guestImagesDir, readGuestManifest } from '../../src/node/guest-images.js';
import { guestNodeArgs } from '../../src/node/guest-process-flags.js';
import { CLI, freePort } from './cli-vm.js';

/** True when the guest build wrote kernel symbols (guest/images/vmlinux-symbols.gz, from the same build as Image.gz). */
export const hasKernelSymbols = readGuestManifest().files['vmlinux-symbols.gz'] !== undefined;

/** Unpacks the committed kernel symbols into `dir`; returns the ELF's path. */
export function unpackKernelSymbols(dir: string): string {
  const path = join(dir, 'vmlinux-symbols');
  writeFileSync(path, gunzipSync(readFileSync(join(guestImagesDir(), 'vmlinux-symbols.gz'))));
  return path;
}

export interface LiveGdbRun {
  /** gdb's stdout and stderr. */
  gdb: string;
  /** The CLI's stdout and stderr. */
  vm: string;
  vmCode: number | null;
}

/**
 * Starts the CLI with `cliArgs` and a GDB server waiting at the first instruction (-S), runs
 * gdb-multiarch in batch mode with `commands` after loading `elf` and connecting, then waits for
 * the CLI to exit (killing it if it is still running 30 s after gdb is done).
 */
export async function liveGdbSession(cliArgs: string[], commands: string[], elf: string, gdbTimeoutMs = 60_000): Promise<LiveGdbRun> {
  const port = await freePort();
  const vm = spawn(process.execPath, [...guestNodeArgs(), CLI, ...cliArgs, '-S', '-gdb', `tcp::${port}`], { stdio: ['ignore', 'pipe', 'pipe'] });
  let vmOut = '';
  const ready = new Promise<void>((res) => {
    const on = (b: Buffer): void => { vmOut += b.toString(); if (vmOut.includes('gdb server on')) res(); };
    vm.stdout.on('data', on);
    vm.stderr.on('data', on);
  });
  const vmDone = new Promise<number | null>((res) => vm.on('close', (c) => res(c)));
  let gdb = '';
  let vmCode: number | null = null;
  try {
    await Promise.race([ready, vmDone]);
    const args = ['-batch', '-nx', '-ex', 'set pagination off', '-ex', 'set confirm off', '-ex', `file ${elf}`, '-ex', `target remote 127.0.0.1:${port}`];
    for (const c of commands) args.push('-ex', c);
    const g = spawnSync('gdb-multiarch', args, { encoding: 'utf8', timeout: gdbTimeoutMs });
    gdb = g.stdout + g.stderr;
  } finally {
    const timer = setTimeout(() => vm.kill('SIGKILL'), 30_000);
    vmCode = await vmDone;
    clearTimeout(timer);
  }
  return { gdb, vm: vmOut, vmCode };
}
