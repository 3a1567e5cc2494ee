#!/usr/bin/env node
/** The `retrovisor` command line. */
import { Command } from 'commander';
import { normalizeQemuArgs } from './qemu-style-args.js';
import { runCommand } from './run-command.js';
import { recordCommand } from './record-command.js';
import { replayCommand } from './replay-command.js';

const collect = (v: string, prev: string[] = []): string[] => [...prev, v];

export function buildProgram(): Command {
  const program = new Command();
  program
    .name('retrovisor')
    .description('RISC-V virtual machine with checkpointing and deterministic record/replay')
    .showHelpAfterError();

  const runOptions = (cmd: Command): Command => cmd
    .option('--m <size>', 'guest RAM, e.g. 256M (default) or 1G')
    .option('--kernel <file>', 'kernel image (ELF or raw)')
    .option('--initrd <file>', 'initial ramdisk')
    .option('--append <cmdline>', 'kernel command line')
    .option('--bios <file|none>', 'firmware (default: bundled OpenSBI fw_jump); "none" starts -kernel in M-mode at 0x80000000')
    .option('--drive <spec>', 'raw disk image (file=PATH), attached as virtio-blk through a copy-on-write overlay', collect)
    .option('--disk', 'attach the standard guest\'s ext4 disk')
    .option('--clock <mode>', 'virtual (default: time follows instructions, deterministic) or realtime')
    .option('--workload <name>', 'standard guest workload (shell, idle, memtouch, compute, files)')
    .option('--args <a,b,c>', 'workload arguments')
    .option('--pace', 'keep idle guest time from running ahead of the host clock (default on a terminal)')
    .option('--no-pace', 'let idle guest time skip ahead freely')
    .option('--max-instructions <n>', 'stop after this many instructions (e.g. 200M)')
    .option('--nographic', 'accepted for QEMU compatibility (the console is always the terminal)');

  runOptions(program
    .command('run', { isDefault: true })
    .description('boot a machine (with no options: the standard guest) with its console on this terminal'))
    .action(async (opts) => {
      process.exitCode = await runCommand(opts);
    });

  runOptions(program
    .command('record')
    .description('run a machine (same options as run) and record every input to a replay log'))
    .requiredOption('-o, --output <file>', 'replay log to write')
    .option('--hash-interval <n>', 'instructions between architectural state hashes (default 4M)')
    .option('--ram-hash-interval <n>', 'instructions between RAM hashes (default 512M; 0: only at start and end)')
    .action(async (opts) => {
      process.exitCode = await recordCommand(opts);
    });

  program
    .command('replay <log>')
    .description('re-execute a recording deterministically, reproducing its console output; stops at the first divergence')
    .option('--until <instret>', 'stop after this many instructions (e.g. 150M)')
    .option('--stats', 'print events, log size, bytes per 1000 instructions and replay speed')
    .option('--no-verify-ram', 'skip the RAM hash checks')
    .action((log: string, opts) => {
      process.exitCode = replayCommand(log, opts);
    });
  return program;
}

buildProgram().parseAsync(normalizeQemuArgs(process.argv)).catch((e: unknown) => {
  process.stderr.write(`retrovisor: ${(e as Error).message}\n`);
  process.exitCode = 2;
});
