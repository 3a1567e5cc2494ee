/**
 * QEMU's network options, parsed into NIC descriptions:
 *
 *   -nic user[,hostfwd=tcp:[HOSTADDR]:HOSTPORT-:GUESTPORT]...[,mac=MAC][,id=ID]
 *   -netdev TYPE,id=ID,...   with   -device virtio-net-device,netdev=ID[,mac=MAC]
 *
 * TYPE is user (passt), stream, socket or dgram. NICs given with -device come
 * first (eth0, eth1, ...), then those given with -nic, each in command-line
 * order; MACs default to QEMU's 52:54:00:12:34:56 plus the NIC's index.
 */
import { defaultMac } from '../machine/board/virt-machine.js';
import type { NetdevSpec, NicSpec } from '../node/net/netdev-spec.js';
import type { PortForward } from '../node/net/passt.js';
import type { StreamAddress } from '../node/net/stream-transport.js';
import type { UdpEndpoint } from '../node/net/datagram-transport.js';

export interface NetworkOptions {
  nic?: string[];
  netdev?: string[];
  device?: string[];
}

export const SUPPORTED_NETDEVS = 'user, stream, socket, dgram';
const SUPPORTED_KEYS: Record<string, string[]> = {
  user: ['id', 'hostfwd'],
  stream: ['id', 'server', 'addr.type', 'addr.path', 'addr.host', 'addr.port', 'reconnect'],
  socket: ['id', 'listen', 'connect', 'udp', 'localaddr'],
  dgram: ['id', 'local.type', 'local.host', 'local.port', 'remote.type', 'remote.host', 'remote.port'],
};

interface Parsed { head: string; pairs: Array<[string, string]> }

/** "type,k=v,k=v" with QEMU's ",," for a literal comma. */
function splitOptions(text: string, what: string): Parsed {
  const parts: string[] = [];
  let cur = '';
  for (let i = 0; i < text.length; i++) {
    if (text[i] === ',') {
      if (text[i + 1] === ',') { cur += ','; i++; continue; }
      parts.push(cur);
      cur = '';
    } else cur += text[i];
  }
  parts.push(cur);
  const head = parts[0].includes('=') ? '' : parts.shift() as string;
  const pairs: Array<[string, string]> = [];
  for (const p of parts) {
    const eq = p.indexOf('=');
    if (eq <= 0) throw new Error(`${what} ${text}: "${p}" is not KEY=VALUE`);
    pairs.push([p.slice(0, eq), p.slice(eq + 1)]);
  }
  return { head, pairs };
}

export function parseMac(text: string): Uint8Array {
  if (!/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i.test(text)) throw new Error(`bad MAC address "${text}" (use e.g. 52:54:00:12:34:56)`);
  const mac = Uint8Array.from(text.split(':').map((h) => parseInt(h, 16)));
  if (mac[0] & 1) throw new Error(`MAC address ${text} is a multicast address`);
  return mac;
}

function parsePort(text: string, what: string): number {
  if (!/^\d+$/.test(text) || Number(text) > 65535) throw new Error(`${what}: bad port "${text}"`);
  return Number(text);
}

/** "host:port" or ":port" (host 127.0.0.1: see docs/network.md) or "[v6]:port". */
function parseHostPort(text: string, what: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]*)\]|([^:]*)):(\d+)$/.exec(text);
  if (!m) throw new Error(`${what}: expected [HOST]:PORT, got "${text}"`);
  const host = m[1] ?? m[2] ?? '';
  return { host: host === '' ? '127.0.0.1' : host, port: parsePort(m[3], what) };
}

/** hostfwd=[tcp|udp]:[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT */
export function parseHostfwd(text: string): PortForward {
  const m = /^(tcp|udp)?:([^:]*):(\d+)-([^:]*):(\d+)$/.exec(text);
  if (!m) throw new Error(`hostfwd=${text}: expected [tcp|udp]:[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT, e.g. tcp::8080-:80`);
  if (m[4] !== '') throw new Error(`hostfwd=${text}: a guest address is not supported (passt forwards to the address it gave the guest); leave it empty: ${m[1] ?? 'tcp'}:${m[2]}:${m[3]}-:${m[5]}`);
  return { protocol: (m[1] ?? 'tcp') as 'tcp' | 'udp', hostAddress: m[2], hostPort: parsePort(m[3], 'hostfwd'), guestPort: parsePort(m[5], 'hostfwd') };
}

function onOff(v: string, what: string): boolean {
  if (v === 'on' || v === 'true' || v === 'yes') return true;
  if (v === 'off' || v === 'false' || v === 'no') return false;
  throw new Error(`${what}=${v}: expected on or off`);
}

/** A netdev from its type and key=value pairs (NIC keys already taken out). */
function netdevFrom(type: string, pairs: Array<[string, string]>, what: string): { id: string | undefined; netdev: NetdevSpec } {
  const allowed = SUPPORTED_KEYS[type];
  if (!allowed) {
    const hint = type === 'tap' || type === 'bridge' ? ' (no privileges needed here: use user, or socket/stream to link VMs)' : '';
    throw new Error(`${what}: unsupported network type "${type}"${hint}; supported: ${SUPPORTED_NETDEVS}`);
  }
  const kv = new Map<string, string>();
  const forwards: PortForward[] = [];
  for (const [k, v] of pairs) {
    if (!allowed.includes(k)) throw new Error(`${what}: unsupported option "${k}" for ${type} (supported: ${[...allowed, ...(what.startsWith('-nic') ? ['mac', 'model'] : [])].join(', ')})`);
    if (k === 'hostfwd') forwards.push(parseHostfwd(v));
    else if (kv.has(k)) throw new Error(`${what}: ${k} given twice`);
    else kv.set(k, v);
  }
  const id = kv.get('id');
  switch (type) {
    case 'user':
      return { id, netdev: { type: 'user', forwards } };
    case 'stream': {
      const server = onOff(kv.get('server') ?? 'off', 'server');
      const t = kv.get('addr.type');
      let address: StreamAddress;
      if (t === 'unix') {
        const path = kv.get('addr.path');
        if (!path) throw new Error(`${what}: addr.type=unix needs addr.path=PATH`);
        address = { kind: 'unix', path };
      } else if (t === 'inet') {
        const port = kv.get('addr.port');
        if (!port) throw new Error(`${what}: addr.type=inet needs addr.port=PORT`);
        address = { kind: 'inet', host: kv.get('addr.host') || '127.0.0.1', port: parsePort(port, what) };
      } else throw new Error(`${what}: stream needs addr.type=unix or addr.type=inet`);
      const reconnect = kv.get('reconnect') ?? '0';
      if (!/^\d+$/.test(reconnect)) throw new Error(`${what}: reconnect=${reconnect}: expected seconds`);
      if (server && reconnect !== '0') throw new Error(`${what}: reconnect is for clients (server=off)`);
      return { id, netdev: { type: 'stream', address, server, reconnectMs: Number(reconnect) * 1000 } };
    }
    case 'socket': {
      const modes = ['listen', 'connect', 'udp'].filter((k) => kv.has(k));
      if (modes.length !== 1) throw new Error(`${what}: socket needs exactly one of listen=[HOST]:PORT, connect=HOST:PORT, udp=HOST:PORT (mcast and fd are not supported)`);
      const mode = modes[0];
      const ep = parseHostPort(kv.get(mode) as string, `${what} ${mode}`);
      if (mode === 'udp') {
        const local = kv.get('localaddr');
        if (!local) throw new Error(`${what}: socket,udp= needs localaddr=HOST:PORT`);
        return { id, netdev: { type: 'dgram', local: parseHostPort(local, `${what} localaddr`), remote: ep } };
      }
      if (kv.has('localaddr')) throw new Error(`${what}: localaddr is only for socket,udp=`);
      return { id, netdev: { type: 'stream', address: { kind: 'inet', ...ep }, server: mode === 'listen', reconnectMs: 0 } };
    }
    default: {
      const end = (side: 'local' | 'remote'): UdpEndpoint => {
        if (kv.get(`${side}.type`) !== 'inet') throw new Error(`${what}: dgram needs ${side}.type=inet (unix and fd are not supported)`);
        const port = kv.get(`${side}.port`);
        if (!port) throw new Error(`${what}: dgram needs ${side}.port=PORT`);
        return { host: kv.get(`${side}.host`) || '127.0.0.1', port: parsePort(port, what) };
      };
      return { id, netdev: { type: 'dgram', local: end('local'), remote: end('remote') } };
    }
  }
}

/** Every NIC the options ask for, eth0 first. */
export function parseNetworkOptions(opts: NetworkOptions): NicSpec[] {
  const netdevs = new Map<string, NetdevSpec>();
  for (const text of opts.netdev ?? []) {
    const { head, pairs } = splitOptions(text, '-netdev');
    if (!head) throw new Error(`-netdev ${text}: the type comes first (one of ${SUPPORTED_NETDEVS})`);
    const { id, netdev } = netdevFrom(head, pairs, `-netdev ${text}`);
    if (!id) throw new Error(`-netdev ${text}: needs id=ID (a -device virtio-net-device,netdev=ID refers to it)`);
    if (netdevs.has(id)) throw new Error(`-netdev: id ${id} used twice`);
    netdevs.set(id, netdev);
  }
  type Pending = { id: string; mac?: Uint8Array; netdev: NetdevSpec };
  const nics: Pending[] = [];
  const used = new Set<string>();
  for (const text of opts.device ?? []) {
    const { head, pairs } = splitOptions(text, '-device');
    if (head !== 'virtio-net-device') {
      const hint = /-pci$|^e1000|^rtl8139/.test(head) ? ' (this board has no PCI: use virtio-net-device)' : '';
      throw new Error(`-device ${text}: unsupported device "${head}"${hint}; supported: virtio-net-device,netdev=ID[,mac=MAC] (disks: -drive)`);
    }
    let ref: string | undefined;
    let mac: Uint8Array | undefined;
    for (const [k, v] of pairs) {
      if (k === 'netdev') ref = v;
      else if (k === 'mac') mac = parseMac(v);
      else if (k !== 'id') throw new Error(`-device ${text}: unsupported option "${k}" (supported: netdev, mac, id)`);
    }
    if (!ref) throw new Error(`-device ${text}: needs netdev=ID`);
    const netdev = netdevs.get(ref);
    if (!netdev) throw new Error(`-device ${text}: no -netdev with id=${ref}`);
    if (used.has(ref)) throw new Error(`-device ${text}: netdev ${ref} is already connected to a NIC`);
    used.add(ref);
    nics.push({ id: ref, mac, netdev });
  }
  for (const id of netdevs.keys()) {
    if (!used.has(id)) throw new Error(`-netdev id=${id} is not connected to a NIC: add -device virtio-net-device,netdev=${id}`);
  }
  for (const text of opts.nic ?? []) {
    const { head, pairs } = splitOptions(text, '-nic');
    if (head === 'none') {
      if (pairs.length > 0) throw new Error(`-nic none takes no options`);
      continue;
    }
    if (!head) throw new Error(`-nic ${text}: the type comes first (one of ${SUPPORTED_NETDEVS})`);
    let mac: Uint8Array | undefined;
    const rest: Array<[string, string]> = [];
    for (const [k, v] of pairs) {
      if (k === 'mac') mac = parseMac(v);
      else if (k === 'model') {
        if (v !== 'virtio' && v !== 'virtio-net-device') throw new Error(`-nic ${text}: model=${v} is not supported (this board has virtio-net-device only)`);
      } else rest.push([k, v]);
    }
    const { id, netdev } = netdevFrom(head, rest, `-nic ${text}`);
    nics.push({ id: id ?? `nic${nics.length}`, mac, netdev });
  }
  return nics.map((n, i) => ({ id: n.id, mac: n.mac ?? defaultMac(i), netdev: n.netdev }));
}
