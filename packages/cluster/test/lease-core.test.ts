import { describe, expect, it } from 'vitest';
import { LeaseMachine, type LeaseAction } from '../src/core/lease.js';

const kinds = (a: LeaseAction[]): string[] => a.map((x) => x.kind);

describe('LeaseMachine', () => {
  it('acquires by create, renews by revision, and fences itself when renewals stop being acknowledged', () => {
    const m = new LeaseMachine('a', { leaseMs: 300 }); // renew every 100, guard 60
    expect(kinds(m.step({ kind: 'start', nowMs: 0 }))).toEqual(['create']);
    const got = m.step({ kind: 'created', nowMs: 5, sentMs: 0, revision: 7 });
    expect(got[0]).toEqual({ kind: 'acquired', epoch: 7 });
    expect(got[1]).toEqual({ kind: 'wakeAt', atMs: 100 });
    expect(m.step({ kind: 'tick', nowMs: 100 })).toContainEqual({ kind: 'renew', revision: 7 });
    // NATS does not answer: retried, then the lease is given up before the server could expire it (0 + 300 - 60)
    expect(kinds(m.step({ kind: 'renewFailed', nowMs: 150, conflict: false }))).toEqual(['wakeAt']);
    expect(m.step({ kind: 'tick', nowMs: 180 })).toContainEqual({ kind: 'renew', revision: 7 });
    const lost = m.step({ kind: 'tick', nowMs: 240 });
    expect(lost[0]).toMatchObject({ kind: 'lost' });
    expect(m.role).toBe('standby');
  });

  it('a standby tries to create when the holder write it saw has aged out, and again while refused', () => {
    const m = new LeaseMachine('b', { leaseMs: 200 });
    m.step({ kind: 'start', nowMs: 0 });
    m.step({ kind: 'observed', nowMs: 1, revision: 3, holder: 'a' });
    expect(m.step({ kind: 'createRefused', nowMs: 2 })).toEqual([{ kind: 'wakeAt', atMs: 201 }]);
    // the holder renews: the deadline moves
    expect(m.step({ kind: 'observed', nowMs: 60, revision: 4, holder: 'a' })).toEqual([{ kind: 'wakeAt', atMs: 260 }]);
    expect(kinds(m.step({ kind: 'tick', nowMs: 260 }))).toEqual(['create']);
    // the server had not expired it yet: retry after retryMs (20)
    expect(m.step({ kind: 'createRefused', nowMs: 262 })).toEqual([{ kind: 'wakeAt', atMs: 282 }]);
    expect(kinds(m.step({ kind: 'tick', nowMs: 282 }))).toEqual(['create']);
    expect(m.step({ kind: 'created', nowMs: 283, sentMs: 282, revision: 9 })[0]).toEqual({ kind: 'acquired', epoch: 9 });
  });

  it('a deleted key is taken at once; a leader that sees another holder steps down', () => {
    const m = new LeaseMachine('b', { leaseMs: 200 });
    m.step({ kind: 'start', nowMs: 0 });
    m.step({ kind: 'createRefused', nowMs: 1 });
    expect(kinds(m.step({ kind: 'observed', nowMs: 5, revision: 6, holder: null }))).toEqual(['create']);
    m.step({ kind: 'created', nowMs: 6, sentMs: 5, revision: 7 });
    expect(m.step({ kind: 'observed', nowMs: 7, revision: 7, holder: 'b' })).toEqual([{ kind: 'wakeAt', atMs: 71 }]);
    expect(m.step({ kind: 'observed', nowMs: 8, revision: 8, holder: 'c' })[0]).toEqual({ kind: 'lost', reason: 'lease now held by c' });
    // a late, older write changes nothing
    expect(m.step({ kind: 'observed', nowMs: 9, revision: 5, holder: 'z' })).toEqual([{ kind: 'wakeAt', atMs: 208 }]);
  });

  it('release deletes at the held revision; bad options are refused', () => {
    const m = new LeaseMachine('a', { leaseMs: 100 });
    m.step({ kind: 'start', nowMs: 0 });
    m.step({ kind: 'created', nowMs: 1, sentMs: 0, revision: 2 });
    expect(m.step({ kind: 'release', nowMs: 2 })).toEqual([
      { kind: 'delete', revision: 2 },
      { kind: 'lost', reason: 'released' },
    ]);
    expect(m.step({ kind: 'tick', nowMs: 50 })).toEqual([]);
    expect(() => new LeaseMachine('a', { leaseMs: 50 })).toThrow(/>= 100/);
    expect(() => new LeaseMachine('a', { leaseMs: 100, renewEveryMs: 90 })).toThrow(/must be below leaseMs/);
  });
});
