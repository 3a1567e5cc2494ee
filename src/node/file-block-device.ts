/**
 * A read-only block device over a host file (a disk image), read with
 * synchronous fs.readSync so requests complete deterministically inside the
 * guest's notify. Put a CowOverlay on top to give the guest a writable disk
 * that never modifies the image.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import type { BlockDevice } from '../machine/block/block-device.js';
import { checkRange } from '../machine/block/block-device.js';

export class FileBlockDevice implements BlockDevice {
  readonly readOnly = true;
  readonly size: number;
  private fd: number | null;

  constructor(readonly path: string) {
    this.fd = openSync(path, 'r');
    this.size = fstatSync(this.fd).size;
  }

  read(offset: number, dst: Uint8Array): void {
    checkRange(this.size, offset, dst.length);
    const fd = this.handle();
    let done = 0;
    while (done < dst.length) {
      const n = readSync(fd, dst, done, dst.length - done, offset + done);
      if (n <= 0) throw new Error(`${this.path}: unexpected end of file at ${offset + done}`);
      done += n;
    }
  }

  write(_offset: number, _src: Uint8Array): void {
    throw new Error(`${this.path}: file block devices are read-only (use a CowOverlay)`);
  }

  flush(): void {}

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }

  private handle(): number {
    if (this.fd === null) throw new Error(`${this.path}: block device is closed`);
    return this.fd;
  }
}
