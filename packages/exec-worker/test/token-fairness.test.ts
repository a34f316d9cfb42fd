/**
 * Rate-limit fairness: markets that found no write tokens are served first when tokens come
 * back, in the order they started waiting; a market whose target (or book) happens to change
 * at that moment does not overtake them. Before: the first market to hit the limit got a retry
 * time at the refill while later ones retried at the next tick, and any event's market took the
 * tokens first, so the first blocked quote could wait for many refills (and a backtest's order
 * of creates differed from the live run's by the event timing alone).
 */
import { describe, expect, it } from 'vitest';
import type { ExecCore } from '../src/index.js';
import { ackAll, cmds, readyCore, target } from './helpers.js';

const MARKETS = ['KXFAIR-26-A', 'KXFAIR-26-B', 'KXFAIR-26-C', 'KXFAIR-26-D', 'KXFAIR-26-E', 'KXFAIR-26-F', 'KXFAIR-26-G', 'KXFAIR-26-H'];

/** the markets of the creates `core` sends from one call */
function createdMarkets(core: ExecCore, fx: ReturnType<ExecCore['onTimer']>, nowMs: number): string[] {
  const out: string[] = [];
  for (const c of cmds(fx)) {
    if (c.op === 'create' || c.op === 'batch_create') for (const o of c.orders) out.push(o.market as string);
    core.onCommandResult(ackAll(c), nowMs);
  }
  return out;
}

describe('exec: markets waiting for rate-limit tokens are served oldest first', () => {
  it('a later market\'s new target does not take the tokens the first waiting market is owed', () => {
    // basic tier at 30 %: a small bucket, so most of the first quotes wait
    const { core } = readyCore({ tier: 'basic', rateBudgetPermille: 300, batchMaxOrders: 1 }, MARKETS);
    let now = 1000;
    const first: string[] = [];
    for (const m of MARKETS) first.push(...createdMarkets(core, core.onTargets(target(4000, 0, 100, m), now), now));
    expect(first.length).toBeGreaterThan(0);
    expect(first.length).toBeLessThan(MARKETS.length);
    const waiting = MARKETS.filter((m) => !first.includes(m));
    // time passes to just when one more create fits; then the LAST waiting market's target
    // changes (its book moved): the create that goes is the first waiting market's
    const order: string[] = [];
    for (let step = 0; step < 400 && order.length < waiting.length; step++) {
      now += 5;
      const last = waiting[waiting.length - 1];
      const sent = createdMarkets(core, core.onTargets(target(step % 2 === 0 ? 4100 : 4000, 0, 100, last), now), now);
      order.push(...sent);
      order.push(...createdMarkets(core, core.onTimer(now), now));
    }
    expect(order).toEqual(waiting);
  });

  it("counts the market-time spent waiting (tokenWaitMarketsMs: from a market's first hold to the pump that sent its order)", () => {
    const { core } = readyCore({ tier: 'basic', rateBudgetPermille: 300, batchMaxOrders: 1 }, MARKETS);
    let now = 1000;
    const first: string[] = [];
    for (const m of MARKETS) first.push(...createdMarkets(core, core.onTargets(target(4000, 0, 100, m), now), now));
    const waiting = MARKETS.filter((m) => !first.includes(m));
    expect(core.stats.rateHeld).toBeGreaterThan(0);
    expect(core.stats.tokenWaitMarketsMs).toBe(0); // nobody has been served yet
    let expectedMs = 0;
    let served = 0;
    for (let step = 0; step < 400 && served < waiting.length; step++) {
      now += 5;
      const sent = createdMarkets(core, core.onTimer(now), now);
      served += sent.length;
      expectedMs += sent.length * (now - 1000);
    }
    expect(served).toBe(waiting.length);
    expect(core.stats.tokenWaitMarketsMs).toBe(expectedMs);
  });
});
