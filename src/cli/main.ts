#!/usr/bin/env -S node --v8-pool-size=0
/** The `retrovisor` command line. (The `#!` flag sizes V8's background pool to the host: src/node/guest-process-flags.ts.) */
import { Command } from 'commander';
import { normalizeQemuArgs } from './qemu-style-args.js';
import { runCommand } from './run-command.js';
import { DEFAULT_ENGINE, engineNames } from '../machine/cpu/engines.js';
import { checkpointHooksFor } from './deferred-checkpoint-hooks.js';

// Every command but `run` is imported when it runs: a plain run (the common case) then loads only
// the machine, the terminal and the builder, not the store, codecs, replay, debugger and analysis
// (about 110 modules and two native addons, ~80 ms of CPU before the first guest instruction).
const checkpointCommands = (): Promise<typeof import('./checkpoint-command.js')> => import('./checkpoint-command.js');
const repoCommands = (): Promise<typeof import('./repo-command.js')> => import('./repo-command.js');

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
    .option('--balloon', 'attach a virtio-balloon with free page reporting: pages the guest reports free are zeroed (and checkpoints store them as zero pages)')
    .option('--clock <mode>', 'virtual (default: time follows instructions, deterministic) or realtime')
    .option('--workload <name>', 'standard guest workload (shell, idle, memtouch, compute, files)')
    .option('--args <a,b,c>', 'workload arguments')
    .option('--pace', 'keep idle guest time from running ahead of (or racing to catch up with) the host clock (default on a terminal or a network)')
    .option('--no-pace', 'let idle guest time skip ahead freely')
    .option('--max-instructions <n>', 'stop after this many instructions (e.g. 200M)')
    .option('--no-translate', 'interpret every instruction (no JIT block translation; for strict environments and comparisons)')
    .option('--engine <name>', `execution engine: ${engineNames().join(', ')} (default ${DEFAULT_ENGINE}: wasm where WebAssembly has shared memory, else js); never changes what the guest computes`)
    .option('--hot-threshold <n>', 'block executions before translation (default 20000; 0 translates everything at first execution)')
    .option('--wasm-compile <mode>', 'where the wasm engine compiles hot code: sync (default, on the guest thread), worker or worker-eager (a worker thread)')
    .option('--nographic', 'accepted for QEMU compatibility (the console is always the terminal)')
    .option('--nic <spec>', 'a NIC and its network: user[,hostfwd=tcp::HOSTPORT-:GUESTPORT][,mac=MAC], or stream/socket/dgram options (see docs/network.md)', collect)
    .option('--netdev <spec>', 'a network backend: user|stream|socket|dgram,id=ID,... (connect it with -device virtio-net-device,netdev=ID)', collect)
    .option('--device <spec>', 'virtio-net-device,netdev=ID[,mac=MAC], or virtio-balloon-device (same as --balloon)', collect)
    .option('--gdb <dev>', 'GDB server on tcp::PORT (loopback only), as QEMU\'s -gdb')
    .option('-s', 'shorthand for -gdb tcp::1234')
    .option('-S', 'wait for the debugger before the first instruction (with -s or -gdb; alone it implies -s)');

  const reduction = (cmd: Command): Command => cmd
    .option('--subpage-delta [bytes]', 'checkpoints: also encode changed pages as changed blocks (default 64 bytes) and keep whichever of that and XBZRLE is smaller')
    .option('--similarity', 'checkpoints: store a page as a delta against a similar stored page (sampled fingerprints, 512 KiB index)')
    .option('--page-cache-exclusion', 'checkpoints: store RAM pages equal to a block of a disk image as a reference to it (verified byte for byte)')
    .option('--no-free-page-exclusion', 'checkpoints: encode pages the guest reported free (--balloon) like any other page')
    .option('--kernel-free-pages', 'checkpoints: find the pages the guest kernel\'s allocator holds free (standard kernel, read through its layout file), zero them and store them as zero pages (see docs/checkpoints.md)');

  const REPO_HELP = 'checkpoint repository (default: $RETROVISOR_REPO or ./.retrovisor/repo)';
  reduction(runOptions(program
    .command('run', { isDefault: true })
    .description('boot a machine (with no options: the standard guest) with its console on this terminal')))
    .option('--repo <dir>', REPO_HELP)
    .option('--checkpoint-every <interval>', 'checkpoint periodically: guest time (100ms, 1s) or instructions (50M)')
    .option('--codec <name>', 'page compression for checkpoints: zstd (default), lz4, deflate, none')
    .option('--checkpoint-mode <mode>', 'stop (stop-and-copy), cow (copy-on-write: the guest resumes at once, pages are read in the background) or cow+predict (default; copies pages written in recent intervals first)')
    .option('--checkpoint-workers <n>', 'copy-on-write: page worker threads for zero test, hashing, deltas and compression (default: cores - 1, at least 1; 0: on the guest\'s thread)')
    .option('--checkpoint-pressure <policy>', 'when a checkpoint falls due before the previous one is durable: wait (keeps the grid; default on the virtual clock) or coalesce (the guest runs on, the checkpoint is taken later; default on the realtime clock)')
    .action(async (opts) => {
      process.exitCode = await runCommand(opts, await checkpointHooksFor(opts));
    });

  reduction(program
    .command('restore <checkpoint>')
    .description('rebuild the machine of a checkpoint (id or "latest"), load it and run on with the console on this terminal'))
    .option('--repo <dir>', REPO_HELP)
    .option('--checkpoint-every <interval>', 'keep checkpointing: guest time (100ms) or instructions (50M)')
    .option('--codec <name>', 'page compression for new checkpoints')
    .option('--checkpoint-mode <mode>', 'stop (stop-and-copy), cow (copy-on-write: the guest resumes at once, pages are read in the background) or cow+predict (default; copies pages written in recent intervals first)')
    .option('--checkpoint-workers <n>', 'copy-on-write: page worker threads for zero test, hashing, deltas and compression (default: cores - 1, at least 1; 0: on the guest\'s thread)')
    .option('--checkpoint-pressure <policy>', 'when a checkpoint falls due before the previous one is durable: wait (keeps the grid; default on the virtual clock) or coalesce (the guest runs on, the checkpoint is taken later; default on the realtime clock)')
        .option('--max-instructions <n>', 'stop after this many more instructions')
    .option('--pace', 'keep idle guest time from running ahead of (or racing to catch up with) the host clock (default on a terminal or a network)')
    .option('--no-pace', 'let idle guest time skip ahead freely')
    .option('--net <mode>', 'attach (default): reconnect the checkpoint\'s NICs to their networks; detach: restore them with the cable pulled')
    .option('--gdb <dev>', 'GDB server on tcp::PORT (loopback only)')
    .option('-s', 'shorthand for -gdb tcp::1234')
    .option('-S', 'wait for the debugger before the first instruction')
    .option('--eager', 'load every page before the first instruction (default: lazily, pages load on first use and in the background)')
    .action(async (id: string, opts) => {
      const { restoreCommand } = await import('./restore-command.js');
      process.exitCode = await restoreCommand(id, opts);
    });

  const ckpt = program.command('checkpoint').description('list, inspect, compare and remove checkpoints');
  const repoOpts = (cmd: Command): Command => cmd.option('--repo <dir>', REPO_HELP).option('--json', 'machine-readable output');
  repoOpts(ckpt.command('ls').description('list checkpoints')).action(async (opts) => { process.exitCode = (await checkpointCommands()).checkpointLs(opts); });
  repoOpts(ckpt.command('show <id>').description('metadata and capture metrics of one checkpoint (id or "latest")'))
    .action(async (id: string, opts) => { process.exitCode = (await checkpointCommands()).checkpointShow(id, opts); });
  repoOpts(ckpt.command('diff <a> <b>').description('pages and machine state that differ between two checkpoints'))
    .action(async (a: string, b: string, opts) => { process.exitCode = (await checkpointCommands()).checkpointDiff(a, b, opts); });
  repoOpts(ckpt.command('rm <ids...>').description('remove checkpoints (others stay restorable) and collect garbage'))
    .option('--no-gc', 'leave unreferenced chunks in the packs')
    .action(async (ids: string[], opts) => { process.exitCode = (await checkpointCommands()).checkpointRm(ids, opts); });
  repoOpts(ckpt.command('prune').description('keep the newest N and/or one per interval, remove the rest'))
    .option('--keep-last <n>', 'keep the N newest checkpoints')
    .option('--keep-every <interval>', 'keep the oldest checkpoint of every interval: guest time (1s, 100ms) or instructions (500M)')
    .option('--dry-run', 'only list what would be removed')
    .option('--no-gc', 'leave unreferenced chunks in the packs')
    .action(async (opts) => { process.exitCode = (await checkpointCommands()).checkpointPrune(opts); });

  const repo = program.command('repo').description('checkpoint repository maintenance');
  repoOpts(repo.command('verify').description('check every file, chunk and checkpoint; exit 1 on errors'))
    .action(async (opts) => { process.exitCode = (await repoCommands()).repoVerify(opts); });
  repoOpts(repo.command('stats').description('sizes, chunk counts and savings'))
    .action(async (opts) => { process.exitCode = (await repoCommands()).repoStats(opts); });

  reduction(runOptions(program
    .command('record')
    .description('run a machine (same options as run) and record every input to a replay log')))
    .requiredOption('-o, --output <file>', 'replay log to write')
    .option('--from <checkpoint>', 'start the recording at this repository checkpoint (id or "latest"; its machine options are used)')
    .option('--hash-interval <n>', 'instructions between architectural state hashes (default 4M)')
    .option('--ram-hash-interval <n>', 'instructions between RAM hashes (default 512M; 0: only at start and end)')
    .option('--repo <dir>', REPO_HELP)
    .option('--checkpoint-every <interval>', 'checkpoint into the repository periodically, marking the log (replay can start there with --from): guest time (100ms) or instructions (50M)')
    .option('--codec <name>', 'page compression for checkpoints')
    .option('--bundle', 'copy every image the machine is built from next to the log (LOG.images/), so the recording replays on another host')
    .action(async (opts) => {
      const { recordCommand } = await import('./record-command.js');
      process.exitCode = await recordCommand(opts);
    });

  program
    .command('replay <log>')
    .description('re-execute a recording deterministically, reproducing its console output; stops at the first divergence')
    .option('--until <instret>', 'stop after this many instructions (e.g. 150M)')
    .option('--stats', 'print events, log size, bytes per 1000 instructions and replay speed')
    .option('--no-verify-ram', 'skip the RAM and device-state hash checks')
    .option('--from <id>', 'start at a checkpoint the recording marked (taken by record --checkpoint-every or Ctrl-A s)')
    .option('--repo <dir>', REPO_HELP)
    .action(async (log: string, opts) => {
      const { replayCommand } = await import('./replay-command.js');
      process.exitCode = replayCommand(log, opts);
    });
  program
    .command('debug <log>')
    .description('serve a recording to GDB (gdb-multiarch): step, continue, watch, and reverse-step/continue through it')
    .option('--repo <dir>', REPO_HELP)
    .option('--port <port>', 'TCP port on 127.0.0.1 (default 1234; tcp::PORT also accepted)')
    .option('--checkpoint-every <n>', 'instructions between in-memory checkpoints (default 10M): denser is faster backwards, costs memory')
    .option('--console', 'show the guest console output as the replay produces it (on stderr)')
    .option('--verbose', 'log the remote protocol packets')
    .action(async (log: string, opts) => {
      const { debugCommand } = await import('./debug-command.js');
      process.exitCode = await debugCommand(log, opts);
    });

  program
    .command('analyze <log>')
    .description('replay every interval of a recording (between its checkpoints) with analysis plugins, in parallel, and merge the results')
    .requiredOption('--plugin <names>', 'plugins, comma-separated, each with options as name:key=value (insn-mix, syscalls, memtrace, cachesim, coverage)')
    .option('--repo <dir>', REPO_HELP)
    .option('--jobs <n>', 'worker threads (default: the number of cores)')
    .option('--from <instret>', 'analyse from this instruction count on (e.g. 200M)')
    .option('--until <instret>', 'analyse up to this instruction count')
    .option('-o, --output <file>', 'write the JSON results here (default: stdout)')
    .option('--stats', 'print checkpoint cost, interval length, replay slowdown, restore time and the modelled speed-up')
    .option('--no-verify', 'do not compare each interval\'s end with the next checkpoint')
    .option('--no-progress', 'no progress bar')
    .action(async (log: string, opts) => {
      const { analyzeCommand } = await import('./analyze-command.js');
      process.exitCode = await analyzeCommand(log, opts);
    });

  program
    .command('cut <log>')
    .description('replay a recording once, checkpointing every N instructions into the repository, and write a copy of the log that marks them (more intervals for analyze)')
    .requiredOption('--every <n>', 'instructions between new checkpoints (e.g. 50M)')
    .requiredOption('-o, --output <file>', 'the new replay log')
    .option('--repo <dir>', REPO_HELP)
    .option('--codec <name>', 'page compression for the new checkpoints')
    .action(async (log: string, opts) => {
      const { cutCommand } = await import('./cut-command.js');
      process.exitCode = cutCommand(log, opts);
    });
  return program;
}

buildProgram().parseAsync(normalizeQemuArgs(process.argv)).catch((e: unknown) => {
  process.stderr.write(`retrovisor: ${(e as Error).message}\n`);
  process.exitCode = 2;
});
