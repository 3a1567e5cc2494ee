/**
 * A host-side carrier of Ethernet frames for one NIC (a stream socket, a UDP
 * socket). It reports what arrives and whether a peer is there; it never
 * touches the machine: `HostNic` queues what it reports and hands it to the
 * machine's input port at run-loop boundaries.
 */
export interface TransportEvents {
  /** A frame from the peer (a fresh array the callee may keep). */
  frame(frame: Uint8Array): void;
  /** The link to the peer came up or went down; `reason` says why (for the log). */
  link(up: boolean, reason: string): void;
  /** Something worth telling the user that changes nothing (a refused second peer, a dropped datagram). */
  note(text: string): void;
}

export interface TransportStats {
  txFrames: number;
  txBytes: number;
  /** Frames the guest sent while no peer was connected, or that the host could not take. */
  txDropped: number;
  rxFrames: number;
  rxBytes: number;
  /** Garbage from the peer: oversized lengths, truncated frames, datagrams from strangers. */
  rxErrors: number;
}

export interface FrameTransport {
  /** e.g. "stream unix:/tmp/x.sock (client)". */
  readonly description: string;
  readonly connected: boolean;
  readonly stats: TransportStats;
  /**
   * Starts: a client connects (rejects with a clear error when it cannot), a
   * server listens (resolves once listening; the link comes up when a peer
   * connects).
   */
  start(events: TransportEvents): Promise<void>;
  /** Sends one frame to the peer; dropped (and counted) without one. */
  send(frame: Uint8Array): void;
  /** Stop reading from the peer (the host queue is full): stream peers feel back-pressure. */
  pause(): void;
  resume(): void;
  close(): void;
}

export function emptyStats(): TransportStats {
  return { txFrames: 0, txBytes: 0, txDropped: 0, rxFrames: 0, rxBytes: 0, rxErrors: 0 };
}
