/**
 * The strategy records its decision drains (StrategyEnv.drains): per mailbox drain, in the order
 * it handled them, its book features (the receive time of the newest frame behind them), its
 * ticks (their firing time) and its fills from the websocket (their frame's receive time), each
 * with the drain's end.
 * `kmm backtest --like` groups the capture's frames by these (shared/io/decision-drains.ts).
 */
import { describe, expect, it } from 'vitest';
import { LocalKernel, resolveConfig, SimClock } from '@kmm/shared';
import { strategyActor } from '../src/actor/index.js';
import { features } from './helpers.js';

describe('strategy: decision-drain record', () => {
  it('one line per drain with features: the newest frame behind them; drains without features write none', async () => {
    const recorded: [string, number, number][] = [];
    let closed = false;
    const k = new LocalKernel({ clock: new SimClock(1_767_225_600_000, 0), config: resolveConfig({}), onCrash: 'throw' });
    const markets = [{ market: 'A', status: 2, closeTimeMs: 1_767_225_600_000 + 86_400_000 }, { market: 'B', status: 2, closeTimeMs: 1_767_225_600_000 + 86_400_000 }];
    k.add({ name: 'strategy', descriptor: strategyActor, markets, makeEnv: () => ({ feed: null, drains: { record: (e, r, d) => void recorded.push([e, r, d]), close: async () => void (closed = true) } }) });
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
    // (and the strategy's ticks, every 250 ms: none yet)
    expect(recorded.map(([e, r]) => [e, r])).toEqual([['book', 9e6], ['book', 29e6]]);
    // each drain ended after the frames it decided on
    for (const [, r, d] of recorded) expect(d).toBeGreaterThanOrEqual(r);
    await k.stopAll(['strategy'], 100e6);
    expect(closed).toBe(true);
  });

  it('ticks: their firing time, in the drain order with the features around them', async () => {
    const recorded: [string, number, number][] = [];
    const k = new LocalKernel({ clock: new SimClock(1_767_225_600_000, 0), config: resolveConfig({}), onCrash: 'throw' });
    const markets = [{ market: 'A', status: 2, closeTimeMs: 1_767_225_600_000 + 86_400_000 }];
    const cause = (recvMonoNs: number) => ({ causationId: 1, recvMonoNs, exchangeTsMs: 0 });
    // features admitted just before the tick of 250 ms (this step was scheduled before the tick was armed): one drain, book then tick
    k.at(250e6, () => k.inject('strategy', { bookFeatures: features('A', 4900, 5100) }, 'book.0', cause(249e6)));
    k.add({ name: 'strategy', descriptor: strategyActor, markets, makeEnv: () => ({ feed: null, drains: { record: (e, r, d) => void recorded.push([e, r, d]), close: async () => {} } }) });
    // features admitted just after the tick of 500 ms (scheduled after that tick was re-armed, at 250 ms): tick then book
    k.at(300e6, () => k.at(500e6, () => k.inject('strategy', { bookFeatures: features('A', 4900, 5000) }, 'book.0', cause(499e6))));
    await k.runUntil(600e6);
    expect(recorded).toEqual([
      ['book', 249e6, 250e6],
      ['tick', 250e6, 250e6],
      ['tick', 500e6, 500e6],
      ['book', 499e6, 500e6],
    ]);
    await k.stopAll(['strategy'], 1000e6);
  });

  it('fills from the websocket: the receive time of their frame, after the features handled before them; a fill with none (a REST read) is not recorded', async () => {
    const recorded: [string, number, number][] = [];
    const k = new LocalKernel({ clock: new SimClock(1_767_225_600_000, 0), config: resolveConfig({}), onCrash: 'throw' });
    const markets = [{ market: 'A', status: 2, closeTimeMs: 1_767_225_600_000 + 86_400_000 }];
    const cause = (recvMonoNs: number) => ({ causationId: 1, recvMonoNs, exchangeTsMs: 0 });
    k.add({ name: 'strategy', descriptor: strategyActor, markets, makeEnv: () => ({ feed: null, drains: { record: (e, r, d) => void recorded.push([e, r, d]), close: async () => {} } }) });
    const fill = { tradeId: 't1', orderId: 'o1', market: 'A', side: 1, yesPrice: 4900, countCenti: 100, isTaker: false, postPositionCenti: 100 };
    k.at(10e6, () => {
      k.inject('strategy', { bookFeatures: features('A', 4900, 5100) }, 'book.0', cause(9e6));
      k.inject('strategy', { fill }, 'exec', cause(9.5e6));
    });
    k.at(20e6, () => k.inject('strategy', { fill: { ...fill, tradeId: 't2' } }, 'exec'));
    await k.runUntil(30e6);
    expect(recorded).toEqual([
      ['book', 9e6, 10e6],
      ['fill', 9.5e6, 10e6],
    ]);
    await k.stopAll(['strategy'], 100e6);
  });
});
