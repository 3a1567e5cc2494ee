import { describe, expect, it } from 'vitest';
import { SifiveTest, type FinisherEvent } from '../../src/machine/devices/sifive-test.js';

describe('sifive,test1 finisher', () => {
  it('reports poweroff, reboot and failures with exit codes', () => {
    const events: FinisherEvent[] = [];
    const dev = new SifiveTest((e) => events.push(e));
    dev.write(0, 4, 0x5555);
    dev.write(0, 4, 0x7777);
    dev.write(0, 4, (42 << 16) | 0x3333);
    dev.write(0, 4, 0xffff3333);
    dev.write(0, 4, 0x1234); // ignored
    dev.write(4, 4, 0x5555); // other offsets ignored
    expect(events).toEqual([
      { kind: 'poweroff', code: 0 },
      { kind: 'reboot', code: 0 },
      { kind: 'fail', code: 42 },
      { kind: 'fail', code: 0xffff },
    ]);
    expect(dev.read(0, 4)).toBe(0);
  });

  it('has a versioned (empty) state', () => {
    const dev = new SifiveTest(() => {});
    const rec = dev.saveState();
    dev.loadState(rec);
    expect(() => dev.loadState({ version: 7 })).toThrow(/version/);
  });
});
