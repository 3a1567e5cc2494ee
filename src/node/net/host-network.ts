/**
 * The host side of every NIC of a machine: opens what each NIC is plugged
 * into (passt, a stream or UDP socket), attaches them to the machine, pumps
 * what arrived into the machine's input port between run slices, and stops
 * it all (passt included) when the VM ends.
 */
import type { VirtMachine } from '../../machine/board/virt-machine.js';
import { DatagramTransport } from './datagram-transport.js';
import type { FrameTransport } from './frame-transport.js';
import { HostNic } from './host-nic.js';
import type { NicSpec } from './netdev-spec.js';
import { PasstProcess } from './passt.js';
import { StreamTransport } from './stream-transport.js';

export class HostNetwork {
  private closed = false;

  private constructor(readonly nics: HostNic[], private readonly passts: PasstProcess[]) {}

  /** Opens every NIC's backend; on any failure closes the ones already open and throws. */
  static async open(specs: readonly NicSpec[], log: (text: string) => void): Promise<HostNetwork> {
    const net = new HostNetwork([], []);
    try {
      for (const [index, spec] of specs.entries()) {
        const d = spec.netdev;
        let transport: FrameTransport;
        let context: (() => string) | undefined;
        if (d.type === 'user') {
          const passt = await PasstProcess.start({ forwards: d.forwards });
          net.passts.push(passt);
          transport = new StreamTransport({ address: { kind: 'unix', path: passt.socketPath }, server: false });
          context = () => (passt.exited ? `passt exited with ${passt.exited}: ${passt.lastOutput}` : '');
        } else if (d.type === 'stream') {
          transport = new StreamTransport({ address: d.address, server: d.server, reconnectMs: d.reconnectMs });
        } else {
          transport = new DatagramTransport(d.local, d.remote);
        }
        const nic = new HostNic(index, spec, transport, log, context);
        net.nics.push(nic);
        if (d.type === 'user') await startWithRetry(nic); // the socket file exists a moment before passt listens
        else await nic.start();
      }
      return net;
    } catch (e) {
      net.close();
      throw e;
    }
  }

  /** Connects every NIC to its device in `machine` (after any checkpoint was restored into it). */
  attach(machine: VirtMachine, wake: () => void): void {
    for (const nic of this.nics) nic.attach(machine, wake);
  }

  /** Posts what arrived, as far as the guest can take it; call right before each run slice. */
  pump(): void {
    for (const nic of this.nics) nic.pump();
  }

  /** Something could be delivered now (the run loop should not sleep). */
  get ready(): boolean {
    return this.nics.some((n) => n.ready);
  }

  /** One line per NIC: what it is plugged into and whether the link is up. */
  describe(): string[] {
    return this.nics.map((n) => `${n.name}: link ${n.linkUp ? 'up' : 'down (waiting for a peer)'}`);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const nic of this.nics) nic.close();
    for (const p of this.passts) p.stop();
  }
}

async function startWithRetry(nic: HostNic, attempts = 50): Promise<void> {
  for (let i = 0; ; i++) {
    try {
      return await nic.start();
    } catch (e) {
      if (i >= attempts) throw e;
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}
