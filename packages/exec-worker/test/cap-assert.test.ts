/**
 * The pre-flight cap invariant is checked on send, independently of pre-flight itself: with a
 * broken pre-flight (mocked to pass everything) an order over the cap is stopped by the assertion.
 */
import { describe, expect, it, vi } from 'vitest';
import { InvariantError } from '@kmm/shared';
import { readyCore, target } from './helpers.js';

vi.mock('../src/core/preflight.js', async (importOriginal) => ({
  ...(await importOriginal<typeof import('../src/core/preflight.js')>()),
  preflight: () => ({ ok: true, code: 0, reason: '' }),
}));

describe('pre-flight cap invariant', () => {
  it('an order that would push the worst case over the cap is never sent', () => {
    const { core } = readyCore({ longCapCenti: 300, shortCapCenti: 300 });
    let err: unknown;
    try {
      core.onTargets(target(4800, 0, 500), 10);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InvariantError);
    expect((err as Error).message).toMatch(/invariant violated: an order that passed pre-flight never makes the worst-case position exceed the cap \(market="KXTEST-26JAN01-T50", side=1, positionCenti=0, worstBeforeCenti=0, worstCenti=500, capCenti=300\)/);
  });
  it('within the cap the same path sends', () => {
    const { core } = readyCore({ longCapCenti: 300, shortCapCenti: 300 });
    expect(core.onTargets(target(4800, 0, 200), 10).commands).toHaveLength(1);
  });
});
