/**
 * One owner per run folder (issue 14 item 7) in the deterministic simulation: the world's KMM
 * holds a real run folder's lock through the code `kmm run` takes it with (openRunDir), under
 * pids of the world, and a second KMM starts on the folder during the run:
 *   - it is refused, naming the live holder's pid, and the run's every invariant holds;
 *   - after a process crash the restarted KMM takes over its dead process's lock (with a
 *     message), and a later second instance is refused naming the restarted process;
 *   - once the KMM has died (no restart), a new KMM may take the folder over;
 *   - the check catches a second KMM that was let in (the lock file deleted by hand before it
 *     started): the run fails with run_lock violated, naming both pids.
 * Virtual time: no sleeps; the lock is the only real file.
 */
import { unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runDst } from '@kmm/app';

const FIRST_PID = 4_000_001;

describe('run-folder lock (deterministic simulation)', () => {
  it('a second instance during the run is refused naming the holder; every invariant holds', async () => {
    const r = await runDst({ seed: 71, simMinutes: 1, markets: 2, faults: false, secondInstanceAtS: 25 });
    expect(r.faults.map((f) => f.kind)).toContain('second_instance');
    expect(r.runLockLines).toHaveLength(1);
    expect(r.runLockLines[0]).toMatch(new RegExp(`^25\\.000 second instance refused: run folder \\S+ is in use by another kmm \\(pid ${FIRST_PID}, lock file \\S+kmm\\.lock\\)`));
    expect(r.violations.run_lock).toBe(0);
    expect(r.problems).toEqual([]);
    expect(r.ok).toBe(true);
  });

  it('after a process crash the restarted KMM takes its lock over; a later second instance is refused naming it', async () => {
    const r = await runDst({ seed: 72, simMinutes: 1.5, markets: 2, schedule: [{ atS: 15, kind: 'process_crash', durS: 2 }], secondInstanceAtS: 40 });
    expect(r.runLockLines[0]).toMatch(new RegExp(`^15\\.000 run folder \\S+: took over the lock of pid ${FIRST_PID}, which is no longer running`));
    expect(r.runLockLines[1]).toContain(`is in use by another kmm (pid ${FIRST_PID + 1},`);
    expect(r.violations.run_lock).toBe(0);
    expect(r.problems).toEqual([]);
    expect(r.ok).toBe(true);
  });

  it('once the KMM died (no restart), a new KMM takes the folder over', async () => {
    const r = await runDst({ seed: 73, simMinutes: 1, markets: 2, faults: false, dieAtS: 20, secondInstanceAtS: 30 });
    expect(r.runLockLines).toEqual([expect.stringMatching(new RegExp(`^30\\.000 run folder \\S+: took over the lock of pid ${FIRST_PID}, which is no longer running`))]);
    expect(r.faults.find((f) => f.kind === 'second_instance')?.detail).toBe(`a second kmm on the run folder: took over the lock of the dead KMM (pid ${FIRST_PID})`);
    expect(r.violations.run_lock).toBe(0);
  });

  it('the check catches a second KMM let in beside a live one (its lock file deleted by hand)', async () => {
    const r = await runDst({ seed: 71, simMinutes: 1, markets: 2, faults: false, secondInstanceAtS: 25, beforeSecondInstance: (dir) => unlinkSync(join(dir, 'kmm.lock')) });
    expect(r.violations.run_lock).toBe(1);
    expect(r.problems).toContain(`a second KMM on the run folder was not refused (pid ${FIRST_PID + 1} took the lock while pid ${FIRST_PID} runs)`);
    expect(r.ok).toBe(false);
  });
});
