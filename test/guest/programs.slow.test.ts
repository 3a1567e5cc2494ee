// Differential check on real programs: Lua, SQLite's shell and bzip2 (built from Debian sources,
// guest/images/programs.cpio.gz) print byte-identical output on Retrovisor and on QEMU.
import { afterAll, expect, test } from 'vitest';
import { GuestSession } from '../support/guest-session.js';
import { bootQemu } from '../support/qemu.js';
import { materializeProgramsGuest, PROGRAMS_APPEND, PROGRAMS_END, programEnd, programOutput } from '../support/programs-guest.js';

const guest = materializeProgramsGuest();
afterAll(() => guest.cleanup());

test('lua, sqlite and bzip2 give the same output on Retrovisor as on QEMU', async () => {
  const programs = guest.manifest.programs;
  const q = bootQemu({ images: guest, append: PROGRAMS_APPEND, workload: 'programs', args: [1, ...programs] });
  let qemuText: string;
  try {
    await q.waitFor(PROGRAMS_END, { timeoutMs: 600_000 });
    qemuText = q.text();
  } finally {
    await q.kill();
  }
  const s = new GuestSession({ initrd: guest.initrd, append: PROGRAMS_APPEND, workload: 'programs', args: [1, ...programs] });
  try {
    expect(s.runToPoweroff(20_000_000_000).kind).toBe('poweroff');
    for (const name of programs) {
      const ours = programOutput(s.output, name);
      expect(programEnd(name).exec(ours)?.[1], `${name} exit status`).toBe('0');
      expect(ours, name).toBe(programOutput(qemuText, name));
    }
  } finally {
    s.close();
  }
});
