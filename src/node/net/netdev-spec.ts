/**
 * What a NIC is plugged into, as a plain description (the CLI parses QEMU's
 * `-nic`/`-netdev`/`-device` text into these; tests build them directly).
 */
import type { PortForward } from './passt.js';
import type { StreamAddress } from './stream-transport.js';
import type { UdpEndpoint } from './datagram-transport.js';

export type NetdevSpec =
  /** passt: DHCP, NAT to the host, port forwards. */
  | { readonly type: 'user'; readonly forwards: readonly PortForward[] }
  /** QEMU `-netdev stream` and `-netdev socket,listen|connect` (TCP): length-prefixed frames. */
  | { readonly type: 'stream'; readonly address: StreamAddress; readonly server: boolean; readonly reconnectMs: number }
  /** QEMU `-netdev socket,udp=` and `-netdev dgram`: one datagram per frame. */
  | { readonly type: 'dgram'; readonly local: UdpEndpoint; readonly remote: UdpEndpoint };

export interface NicSpec {
  /** The netdev id (QEMU's `id=`), for messages. */
  readonly id: string;
  /** Six bytes. */
  readonly mac: Uint8Array;
  readonly netdev: NetdevSpec;
}

export function formatMac(mac: Uint8Array): string {
  return [...mac].map((b) => b.toString(16).padStart(2, '0')).join(':');
}
