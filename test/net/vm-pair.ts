/** Two VMs on one cable, booted, with static addresses 10.0.0.1 (A) and 10.0.0.2 (B). */
import { CliVm } from '../support/cli-vm.js';

/** `a`: `retrovisor run` options, or an already started VM (QEMU); `b`: `retrovisor run` options. */
export async function pair(a: string[] | CliVm, b: string[]): Promise<[CliVm, CliVm]> {
  const vmA = Array.isArray(a) ? new CliVm(['run', ...a]) : a;
  // the listening side is up before the other connects
  if (Array.isArray(a)) await vmA.waitFor(/link (up|down)/, { where: 'messages' });
  else await vmA.waitFor('RETROVISOR-READY');
  const vmB = new CliVm(['run', ...b]);
  await Promise.all([vmA.booted(), vmB.booted()]);
  await vmA.sh('ip addr add 10.0.0.1/24 dev eth0');
  await vmB.sh('ip addr add 10.0.0.2/24 dev eth0');
  return [vmA, vmB];
}
