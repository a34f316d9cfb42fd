/**
 * Event skew (event-skew.ts): in a mutually exclusive event the market whose win loses most is
 * lifted and the others lowered, by up to kmm_event_skew_ticks, scaled by the payoff table's
 * spread over the cap; a flat (hedged) table, a lone market or the skew off gives 0.
 */
import { describe, expect, it } from 'vitest';
import { eventSkewTicks } from '../src/core/event-skew.js';

const CAP = 100_00; // 100 contracts
const ev = (a: number, b: number, c: number) => [
  { market: 'A', positionCenti: a * 100 },
  { market: 'B', positionCenti: b * 100 },
  { market: 'C', positionCenti: c * 100 },
];

describe('event skew', () => {
  it('short one outcome: that market is lifted, the others lowered', () => {
    // short 100 A: we lose most if A wins; buying A or selling B / C reduces that
    expect(['A', 'B', 'C'].map((m) => eventSkewTicks(m, ev(-100, 0, 0), 2, CAP))).toEqual([2, -2, -2]);
    // half the cap: one tick of two
    expect(['A', 'B', 'C'].map((m) => eventSkewTicks(m, ev(-50, 0, 0), 2, CAP))).toEqual([1, -1, -1]);
  });

  it('long only: the worst outcome is none of them, every market is lowered', () => {
    expect(['A', 'B', 'C'].map((m) => eventSkewTicks(m, ev(60, 40, 0), 1, CAP))).toEqual([-1, -1, -1]);
  });

  it('long A and short B: B winning is worst; the spread of the table (A wins vs B wins) scales it', () => {
    // v(A) = -30, v(B) = +30, v(C) = v(none) = 0: spread 60 of 100 -> round(3 x 0.6) = 2
    expect(['A', 'B', 'C'].map((m) => eventSkewTicks(m, ev(30, -30, 0), 3, CAP))).toEqual([-2, 2, -2]);
  });

  it('0 when flat, alone, or off', () => {
    expect(eventSkewTicks('A', ev(0, 0, 0), 2, CAP)).toBe(0);
    expect(eventSkewTicks('A', [{ market: 'A', positionCenti: -5000 }], 2, CAP)).toBe(0);
    expect(eventSkewTicks('A', ev(-100, 0, 0), 0, CAP)).toBe(0);
  });
});
