import { describe, expect, it } from 'vitest';
import { kmm, ORDER_GROUP_WINDOW_MS } from '@kmm/shared';
import { OrderGroupWindow } from '../src/core/order-group-window.js';
import { MKT, readyCore } from './helpers.js';

const BID = kmm.v1.BookSide.BID;

describe('OrderGroupWindow', () => {
  it('sums the fills of the last 15 s and alerts once per window at 80 % of the limit', () => {
    const w = new OrderGroupWindow(10); // alert at 8 contracts
    expect(w.onFill(500, 0)).toBe(false);
    expect(w.onFill(200, 1000)).toBe(false);
    expect(w.matchedCenti(1000)).toBe(700);
    expect(w.onFill(100, 2000)).toBe(true); // 8.00 contracts
    expect(w.onFill(100, 3000)).toBe(false); // already alerted in this window
    // the first fill leaves the window at 15 s: 4 contracts remain
    expect(w.matchedCenti(ORDER_GROUP_WINDOW_MS)).toBe(400);
    // past the quiet window and over 80 % again: alerts again
    expect(w.onFill(400, 2000 + ORDER_GROUP_WINDOW_MS)).toBe(false); // fills up to 2000 expired: 1 + 4 = 5
    expect(w.onFill(300, 2001 + ORDER_GROUP_WINDOW_MS)).toBe(true); // 8, and the quiet window is over
  });

  it('never alerts without a group (limit 0)', () => {
    const w = new OrderGroupWindow(0);
    expect(w.onFill(1_000_000, 0)).toBe(false);
  });
});

describe('exec: order_group_near_limit', () => {
  const fill = (n: number, countCenti: number) => ({ tradeId: `T${n}`, market: MKT, side: BID, yesPrice: 4800, countCenti });
  const nearLimit = (fx: { ops: Array<{ event: string; fields: Record<string, unknown> }> }) => fx.ops.filter((o) => o.event === 'order_group_near_limit');

  it('emits one warning per window when the group matched 80 % of its limit, from exec\'s own fills', () => {
    const { core } = readyCore({ orderGroupContractsLimit: 10 });
    expect(nearLimit(core.onFill(fill(1, 400), 100))).toEqual([]);
    expect(nearLimit(core.onFill(fill(1, 400), 101))).toEqual([]); // duplicate trade id: not counted
    const ev = nearLimit(core.onFill(fill(2, 400), 200));
    expect(ev.length).toBe(1);
    expect(ev[0].fields).toMatchObject({ order_group_id: 'og-1', matched_contracts: 8, limit_contracts: 10, window_ms: 15_000 });
    expect(nearLimit(core.onFill(fill(3, 100), 300))).toEqual([]);
    expect(nearLimit(core.onFill(fill(4, 800), 200 + ORDER_GROUP_WINDOW_MS)).length).toBe(1);
  });

  it('is silent below the threshold and without an order group', () => {
    const { core } = readyCore({ orderGroupContractsLimit: 100 });
    for (let i = 0; i < 10; i++) expect(nearLimit(core.onFill(fill(i, 700), i * 10))).toEqual([]); // 70 contracts
    const paper = readyCore({ orderGroupContractsLimit: 0 }).core;
    expect(nearLimit(paper.onFill(fill(99, 1_000_000), 0))).toEqual([]);
  });
});
