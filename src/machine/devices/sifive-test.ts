/**
 * sifive,test1 finisher (also the syscon that Linux's syscon-poweroff and
 * syscon-reboot drivers write to): 0x5555 powers off, 0x7777 reboots,
 * (code << 16) | 0x3333 fails with an exit code. Other values are ignored.
 */
import type { AccessSize, MmioDevice } from '../bus.js';
import { expectVersion, type StateRecord, type Stateful } from '../state.js';

export type FinisherEvent = { kind: 'poweroff' | 'reboot' | 'fail'; code: number };

const FINISHER_FAIL = 0x3333;
const FINISHER_PASS = 0x5555;
const FINISHER_RESET = 0x7777;
const STATE_VERSION = 1;

export class SifiveTest implements MmioDevice, Stateful {
  constructor(private readonly onEvent: (event: FinisherEvent) => void) {}

  read(_offset: number, _size: AccessSize): number {
    return 0;
  }

  write(offset: number, _size: AccessSize, value: number): void {
    if (offset !== 0) return;
    const v = value >>> 0;
    const status = v & 0xffff;
    if (status === FINISHER_PASS) this.onEvent({ kind: 'poweroff', code: 0 });
    else if (status === FINISHER_RESET) this.onEvent({ kind: 'reboot', code: 0 });
    else if (status === FINISHER_FAIL) this.onEvent({ kind: 'fail', code: v >>> 16 });
  }

  saveState(): StateRecord {
    return { version: STATE_VERSION };
  }

  loadState(record: StateRecord): void {
    expectVersion(record, 'sifive-test', STATE_VERSION);
  }
}
