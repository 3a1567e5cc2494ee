/**
 * The anchor for checkpoint benchmarks: QEMU checkpointing a running guest by
 * migrating it to a file through QMP (what `savevm` and migration-based
 * snapshots do), with xbzrle and multifd zstd compression when asked, and
 * the statistics QEMU reports (downtime, bytes, zero pages). The stream goes
 * to a byte-counting sink: the size is what a file would hold.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { QmpClient } from './qmp.js';
import { bootQemu, type QemuGuest, type QemuOptions } from './qemu.js';

export interface QemuCheckpointOptions {
  /** Migration capabilities: xbzrle delta compression (QEMU's default cache is 64 MiB). */
  xbzrle?: boolean;
  xbzrleCacheBytes?: number;
  /** multifd with zstd compression over this many channels. */
  multifdZstd?: number;
}

export interface QemuCheckpointStats {
  /** Bytes QEMU wrote for the checkpoint (all channels). */
  fileBytes: number;
  /** Guest paused (ms), as QEMU reports it. */
  downtimeMs: number;
  /** Whole checkpoint (ms). */
  totalMs: number;
  ramTransferredBytes: number;
  zeroPages: number;
  normalPages: number;
  xbzrleBytes?: number;
  xbzrlePages?: number;
}

interface MigrateInfo {
  status: string;
  'total-time'?: number;
  downtime?: number;
  ram?: { transferred: number; duplicate: number; normal: number };
  'xbzrle-cache'?: { bytes: number; pages: number };
  'error-desc'?: string;
}

/** A QEMU guest with a QMP socket, able to checkpoint itself to files. */
export class QemuCheckpointer {
  private constructor(
    readonly guest: QemuGuest,
    readonly qmp: QmpClient,
    private readonly dir: string,
  ) {}

  static async start(options: QemuOptions = {}): Promise<QemuCheckpointer> {
    const dir = mkdtempSync(join(tmpdir(), 'retrovisor-qmp-'));
    const sock = join(dir, 'qmp.sock');
    const guest = bootQemu({ ...options, extraArgs: [...(options.extraArgs ?? []), '-qmp', `unix:${sock},server=on,wait=off`] });
    const qmp = await QmpClient.connect(sock);
    return new QemuCheckpointer(guest, qmp, dir);
  }

  async configure(opts: QemuCheckpointOptions): Promise<void> {
    const caps: Array<{ capability: string; state: boolean }> = [
      { capability: 'xbzrle', state: opts.xbzrle === true },
      { capability: 'multifd', state: (opts.multifdZstd ?? 0) > 0 },
    ];
    await this.qmp.execute('migrate-set-capabilities', { capabilities: caps });
    const params: Record<string, unknown> = {};
    if (opts.xbzrle) params['xbzrle-cache-size'] = opts.xbzrleCacheBytes ?? 64 * 1024 * 1024;
    if (opts.multifdZstd) {
      params['multifd-channels'] = opts.multifdZstd;
      params['multifd-compression'] = 'zstd';
    }
    if (Object.keys(params).length > 0) await this.qmp.execute('migrate-set-parameters', params);
  }

  /**
   * Migrates the running guest into a byte-counting sink (a Unix socket, so
   * multifd channels can connect too), then resumes it; returns QEMU's figures.
   */
  async checkpoint(name: string): Promise<QemuCheckpointStats> {
    const path = join(this.dir, `${name}.sock`);
    let bytes = 0;
    const server: Server = createServer((c) => { c.on('data', (d: Buffer) => { bytes += d.length; }); c.on('error', () => {}); });
    await new Promise<void>((resolve) => server.listen(path, resolve));
    try {
      const t0 = performance.now();
      await this.qmp.execute('migrate', { uri: `unix:${path}` });
      let info: MigrateInfo;
      for (;;) {
        info = await this.qmp.execute<MigrateInfo>('query-migrate');
        if (info.status === 'completed') break;
        if (info.status === 'failed' || info.status === 'cancelled') throw new Error(`QEMU migration ${info.status}: ${info['error-desc'] ?? ''}`);
        await new Promise((r) => setTimeout(r, 5));
      }
      const totalMs = performance.now() - t0;
      await this.qmp.execute('cont');
      await new Promise((r) => setTimeout(r, 20)); // let the sink drain the last bytes
      return {
        fileBytes: bytes,
        downtimeMs: info.downtime ?? NaN,
        totalMs: info['total-time'] ?? totalMs,
        ramTransferredBytes: info.ram?.transferred ?? NaN,
        zeroPages: info.ram?.duplicate ?? NaN,
        normalPages: info.ram?.normal ?? NaN,
        xbzrleBytes: info['xbzrle-cache']?.bytes,
        xbzrlePages: info['xbzrle-cache']?.pages,
      };
    } finally {
      server.close();
    }
  }

  async stop(): Promise<void> {
    this.qmp.close();
    await this.guest.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
