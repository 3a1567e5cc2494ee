// The stub against a hostile or broken client (malformed packets, bad
// checksums, nonsense arguments): error replies, and the VM unharmed.
// Also the register file and target description GDB reads.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { GdbStub } from '../../src/debug/gdb-stub.js';
import { LiveTarget } from '../../src/debug/live-target.js';
import { RspDecoder, encodePacket, fromLatin1, latin1 } from '../../src/debug/rsp-codec.js';
import { fingerprint } from '../replay/session.js';
import { debuggeeMachine } from '../support/gdb.js';

function harness() {
  const m = debuggeeMachine();
  m.run(5_000); // somewhere inside the program
  const target = new LiveTarget(m, { waitForDebugger: true }); // halted, as after -S (no run loop here)
  const sent: Uint8Array[] = [];
  let closed = false;
  const stub = new GdbStub(target, { send: (b) => sent.push(b), close: () => { closed = true; } });
  const replies = (): string[] => {
    const d = new RspDecoder();
    const out: string[] = [];
    for (const b of sent.splice(0)) for (const e of d.feed(b)) out.push(e.kind === 'packet' ? fromLatin1(e.data) : e.kind === 'ack' ? '+' : e.kind === 'nack' ? '-' : e.kind);
    return out;
  };
  const ask = async (packet: string): Promise<string[]> => {
    stub.receive(encodePacket(packet));
    await stub.idle();
    return replies();
  };
  return { m, stub, target, ask, replies, isClosed: () => closed };
}

describe('GDB stub protocol', () => {
  it('answers qSupported, the target description and the register file', async () => {
    const { ask, m } = harness();
    expect((await ask('qSupported:multiprocess+;swbreak+'))[1]).toMatch(/PacketSize=4000;qXfer:features:read\+;swbreak\+/);
    const xml = (await ask('qXfer:features:read:target.xml:0,ffff'))[1];
    expect(xml[0]).toBe('l');
    for (const f of ['org.gnu.gdb.riscv.cpu', 'org.gnu.gdb.riscv.fpu', 'org.gnu.gdb.riscv.csr', 'org.gnu.gdb.riscv.virtual', 'name="fcsr"', 'regnum="68"', 'name="scause"', 'name="satp"', 'name="mcause"', 'name="priv"']) expect(xml).toContain(f);
    const g = (await ask('g'))[1];
    expect(g.length).toBe(33 * 16);
    const pc = BigInt('0x' + g.slice(32 * 16, 33 * 16).match(/../g)!.reverse().join(''));
    expect(pc).toBe(BigInt(m.hart.pcLo >>> 0));
    expect((await ask('p1041'))[1]).toBe('0300000000000000'); // priv: M
    expect((await ask('p44'))[1]).toMatch(/^[0-9a-f]{8}$/); // fcsr: 32 bits
    // a live target does not reverse
    expect((await ask('bs'))[1]).toBe('');
  });

  it('reads and writes memory by virtual address; breakpoints never touch guest RAM', async () => {
    const { ask, m } = harness();
    const before = m.ram.u8.slice(0, 0x100);
    expect((await ask('Z0,80000068,2'))[1]).toBe('OK');
    expect(m.ram.u8.slice(0, 0x100)).toEqual(before);
    expect((await ask('m80000000,4'))[1]).toBe(Array.from(before.subarray(0, 4), (b) => b.toString(16).padStart(2, '0')).join(''));
    expect((await ask('M80004080,8:0102030405060708'))[1]).toBe('OK');
    expect(Array.from(m.ram.u8.subarray(0x4080, 0x4088))).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect((await ask('X80004080,2:#$'))[1]).toBe('OK'); // binary, escaped on the wire
    expect(Array.from(m.ram.u8.subarray(0x4080, 0x4082))).toEqual([0x23, 0x24]);
    expect((await ask('m10000000,4'))[1]).toBe('E14'); // MMIO is never read by the debugger
    expect((await ask('mffffffffffff0000,4'))[1]).toBe('E14');
  });

  it('bad checksums get "-" and malformed commands get errors; the VM is unharmed', async () => {
    const { stub, replies, ask, m } = harness();
    const fp = fingerprint(m);
    stub.receive(latin1('$g#00'));
    await stub.idle();
    expect(replies()).toEqual(['-']);
    for (const bad of ['m', 'mzz,4', 'm1,', 'M80000000,4:zz', 'M80000000,8:00', 'P', 'Pzz=1', 'p', 'pzzzz', 'Z9,1,1', 'Z0,,', 'G00', 'qXfer:features:read:other.xml:0,10', 'qRcmd,zz', 'vCont;x']) {
      const r = await ask(bad);
      expect(r[0], bad).toBe('+');
      expect(r[1], bad).toMatch(/^(E[0-9a-f]{2}|)$/i);
    }
    expect(fingerprint(m)).toEqual(fp);
    expect((await ask('?'))[1]).toMatch(/^T05/);
  });

  it('random bytes and random packets never throw and leave the VM as it was (fuzz)', async () => {
    const { stub, replies, m, ask } = harness();
    const fp = fingerprint(m);
    // only commands that do not execute or write (a broken client can still ask the VM to run or change it, as GDB can)
    const readOnly = fc.constantFrom('g', 'm', 'p', 'q', 'Z', 'z', 'H', 'T', 'v', '?', 'x', 'Q');
    await fc.assert(fc.asyncProperty(fc.uint8Array({ maxLength: 200 }), readOnly, fc.string({ maxLength: 40 }), async (noise, c, rest) => {
      stub.receive(noise.filter((b) => b !== 0x24));
      stub.receive(encodePacket(c + rest));
      await stub.idle();
      replies();
    }), { numRuns: 300 });
    stub.receive(latin1('$')); // leave no half packet behind
    stub.receive(encodePacket('z0,0,0'));
    await stub.idle();
    replies();
    m.hart.setDebugHooks(null);
    expect(fingerprint(m)).toEqual(fp);
    expect((await ask('qC'))[1]).toBe('QC1');
  });

  it('k ends the session', async () => {
    const { ask, isClosed, target } = harness();
    await ask('k');
    expect(isClosed()).toBe(true);
    expect(target.killed).toBe(true);
  });
});
