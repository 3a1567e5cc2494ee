/**
 * Free-page exclusion without the guest's help: at a checkpoint, the pages
 * the guest kernel's page allocator holds free (src/introspection) are
 * discarded, i.e. zeroed in the running machine, before the capture reads
 * RAM. The discard goes through the machine's input port, so a recorder logs
 * it at this instant and a replay zeroes the same pages at the same
 * instruction: the original run, a restore of this checkpoint and every replay
 * see the same bytes. A page the kernel hands out again is written before use
 * or zeroed by the kernel itself (free pages carry no meaning).
 * When the kernel's structures cannot be trusted at this instant, nothing is
 * discarded and the checkpoint is an ordinary one (see linux-free-pages.ts).
 */
import type { VirtMachine } from '../machine/board/virt-machine.js';
import { findLinuxFreePages } from '../introspection/linux-free-pages.js';
import type { LinuxLayout } from '../introspection/linux-layout.js';

export type KernelFreeDiscard =
  | { readonly ok: true; /** One byte per RAM page, 1 = discarded (free). */ readonly log: Uint8Array; readonly pages: number }
  | { readonly ok: false; readonly reason: string };

export function discardKernelFreePages(vm: VirtMachine, layout: LinuxLayout): KernelFreeDiscard {
  const found = findLinuxFreePages(vm.hart, vm.ram, layout);
  if (!found.ok) return found;
  if (found.runs.length > 0) {
    vm.input.post({ kind: 'discard', runs: found.runs });
    vm.applyInputs();
  }
  return { ok: true, log: found.free, pages: found.pages };
}
