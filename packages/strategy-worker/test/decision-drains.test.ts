/**
 * The strategy records its decision drains (StrategyEnv.drains): once per mailbox drain that
 * handled book features, the receive time of the newest frame behind them, and the drain's end.
 * `kmm backtest --like` groups the capture's frames by these (shared/io/decision-drains.ts).
 */
import { describe, expect, it } from 'vitest';
import { LocalKernel, resolveConfig, SimClock } from '@kmm/shared';
import { strategyActor } from '../src/actor/index.js';
import { features } from './helpers.js';

describe('strategy: decision-drain record', () => {
  it('one line per drain with features: the newest frame behind them; drains without features write none', async () => {
    const recorded: [number, number][] = [];
    let closed = false;
    const k = new LocalKernel({ clock: new SimClock(1_767_225_600_000, 0), config: resolveConfig({}), onCrash: 'throw' });
    const markets = [{ market: 'A', status: 2, closeTimeMs: 1_767_225_600_000 + 86_400_000 }, { market: 'B', status: 2, closeTimeMs: 1_767_225_600_000 + 86_400_000 }];
    k.add({ name: 'strategy', descriptor: strategyActor, markets, makeEnv: () => ({ feed: null, drains: { record: (r, d) => void recorded.push([r, d]), close: async () => void (closed = true) } }) });
    const cause = (recvMonoNs: number) => ({ causationId: 1, recvMonoNs, exchangeTsMs: 0 });
    k.at(10e6, () => {
      // two markets' features in one drain: frames received at 7 and 9 ms (out of order on purpose)
      k.inject('strategy', { bookFeatures: features('A', 4900, 5100) }, 'book.0', cause(9e6));
      k.inject('strategy', { bookFeatures: features('B', 4900, 5100) }, 'book.0', cause(7e6));
    });
    // a drain without features (a position) records nothing
    k.at(20e6, () => k.inject('strategy', { position: { market: 'A', positionCenti: 0, fromExchange: true } }, 'exec'));
    k.at(30e6, () => k.inject('strategy', { bookFeatures: features('A', 4900, 5000) }, 'book.0', cause(29e6)));
    await k.runUntil(40e6);
    expect(recorded.map(([r]) => r)).toEqual([9e6, 29e6]);
    // each drain ended after the frames it decided on
    for (const [r, d] of recorded) expect(d).toBeGreaterThanOrEqual(r);
    await k.stopAll(['strategy'], 100e6);
    expect(closed).toBe(true);
  });
});
