import { createHash } from 'node:crypto';
import type { VirtMachine } from '../../src/machine/board/virt-machine.js';
import { encodeState } from '../../src/encoding/state-codec.js';

/** SHA-256 over RAM, CPU/device state (with disk overlays) and the input source's position. */
export function fingerprint(vm: VirtMachine): string {
  const h = createHash('sha256').update(vm.ram.u8).update(encodeState(vm.saveState()));
  for (const o of vm.overlays) for (const b of o.exportBlocks(o.heldBlocks())) h.update(`${b.index}:`).update(b.data);
  const src = vm.input.current as { saveState?: () => unknown };
  if (src.saveState) h.update(JSON.stringify(src.saveState()));
  return h.digest('hex');
}
