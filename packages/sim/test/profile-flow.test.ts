/**
 * Calibrated market profiles (profiles/, flow/profile-flow.ts):
 *  - a profile file is validated field by field, the error names the bad field;
 *  - the `active` flow's book reproduces the recorded touch size and spread (within 2x), and
 *    the book changes about as often as recorded;
 *  - adverse selection: a naive quoter (fixed mid +/- 1c, re-quoted every second) has negative
 *    markouts at 10 s and 60 s on the calibrated flow (its fills come when informed traders
 *    and news sweep the book), positive on none of them;
 *  - the same seed gives the same flow.
 * Time is a SimClock advanced by hand; nothing sleeps.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ONE_CENT, ONE_CONTRACT, SeededRng, SimClock } from '@kmm/shared';
import { Engine } from '../src/engine/engine.js';
import { NULL_LISTENER } from '../src/engine/types.js';
import { buildCatalog, SERIES } from '../src/flow/catalog.js';
import { FlowDriver } from '../src/flow/flow.js';
import { ACTIVE_PROFILE } from '../src/profiles/builtin.js';
import { resolveProfile } from '../src/profiles/load.js';
import { validateProfile, type MarketProfile } from '../src/profiles/profile.js';

function world(profile: MarketProfile, markets: number, seed: number, speed = 1) {
  const clock = new SimClock();
  const root = new SeededRng(seed);
  const engine = new Engine({ clock, rng: root.fork('engine') });
  for (const s of SERIES) engine.addSeries(s);
  const catalog = buildCatalog(root.fork('catalog'), markets, clock.wallMs());
  for (const c of catalog) engine.addMarket(c.spec);
  let deltas = 0;
  engine.listener = { ...NULL_LISTENER, onBookDelta: () => void deltas++ };
  const flow = new FlowDriver(engine, root.fork('flow'), catalog, clock.wallMs(), speed, profile);
  return { clock, engine, flow, tickers: catalog.map((c) => c.spec.ticker), deltas: () => deltas };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

describe('profile validation', () => {
  it('names the bad field of a profile', () => {
    const bad = JSON.parse(JSON.stringify(ACTIVE_PROFILE));
    bad.book.touchSizeContracts.p90 = 'lots';
    expect(() => validateProfile(bad)).toThrow(/profile field book\.touchSizeContracts\.p90 must be a number, got "lots"/);
    const bad2 = JSON.parse(JSON.stringify(ACTIVE_PROFILE));
    bad2.activity.hourOfDay = [1, 2];
    expect(() => validateProfile(bad2)).toThrow(/activity\.hourOfDay must be a list of 24 numbers, got 2 entries/);
    const bad3 = JSON.parse(JSON.stringify(ACTIVE_PROFILE));
    bad3.news.sweepTrades = -3;
    expect(() => validateProfile(bad3)).toThrow(/news\.sweepTrades must be between 0 and 1000, got -3/);
    expect(validateProfile(JSON.parse(JSON.stringify(ACTIVE_PROFILE))).name).toBe('active');
  });

  it('resolves built-in names and files, and rejects unknown names and bad files clearly', () => {
    expect(resolveProfile(undefined)).toBe('synthetic');
    expect(resolveProfile('active')).toBe(ACTIVE_PROFILE);
    expect(() => resolveProfile('busy')).toThrow(/unknown profile 'busy' \(built-in: synthetic, active, quiet; or a JSON file path\)/);
    const dir = mkdtempSync(join(tmpdir(), 'kmm-prof-'));
    const f = join(dir, 'p.json');
    writeFileSync(f, JSON.stringify({ ...ACTIVE_PROFILE, trades: { ...ACTIVE_PROFILE.trades, burstGapS: -1 } }));
    expect(() => resolveProfile(f)).toThrow(new RegExp(`${f}: profile field trades\\.burstGapS must be between`));
    writeFileSync(f, '{ not json');
    expect(() => resolveProfile(f)).toThrow(/is not JSON/);
  });
});

describe('calibrated active flow', () => {
  it('reproduces the recorded touch size and spread within 2x, and the book changes per second', () => {
    const w = world(ACTIVE_PROFILE, 8, 11);
    const touch: number[] = [];
    const spread: number[] = [];
    const start = w.deltas();
    const seconds = 600;
    for (let s = 0; s < seconds; s++) {
      w.clock.advanceMs(1000);
      w.flow.step(w.clock.wallMs());
      for (const t of w.tickers) {
        const b = w.engine.markets.get(t)!.book;
        if (b.bestBidIdx < 0 || b.bestAskIdx < 0) continue;
        touch.push(b.bestBidSize() / ONE_CONTRACT, b.bestAskSize() / ONE_CONTRACT);
        spread.push((b.bestAsk() - b.bestBid()) / ONE_CENT);
      }
    }
    const m = ACTIVE_PROFILE.matches;
    const ratio = (a: number, b: number) => Math.max(a / b, b / a);
    expect(ratio(median(touch), m['touch size median (contracts)'])).toBeLessThan(2);
    expect(median(spread)).toBe(m['spread median (ticks)']);
    const perS = (w.deltas() - start) / seconds / w.tickers.length;
    console.log(`active flow, 10 min x 8 markets: touch median ${median(touch) / 1}, spread median ${median(spread)}, deltas/s ${perS.toFixed(2)}`);
    expect(ratio(perS, m['book deltas per second'])).toBeLessThan(2);
  });

  it('a naive quoter (mid +/- 1c) is adversely selected: negative markouts at 10 s and 60 s', () => {
    // 8 markets, 6 hours of market time at time scale 10 (every rate x10, 2,160 s of clock)
    const speed = 10;
    const w = world(ACTIVE_PROFILE, 8, 3, speed);
    const MM = 'naive';
    w.engine.createAccount(MM, 1e9 * 1e6, { keepHistory: true });
    const quotes = new Map<string, { bid: number; ask: number; ids: string[] }>();
    /** mids each 100 ms of clock, per market */
    const mids = new Map<string, number[]>(w.tickers.map((t) => [t, []]));
    const stepMs = 100;
    const steps = (6 * 3600 * 1000) / speed / stepMs;
    for (let i = 0; i < steps; i++) {
      w.clock.advanceMs(stepMs);
      w.flow.step(w.clock.wallMs());
      for (const t of w.tickers) {
        const b = w.engine.markets.get(t)!.book;
        const mid = b.bestBidIdx >= 0 && b.bestAskIdx >= 0 ? (b.bestBid() + b.bestAsk()) / 2 : NaN;
        mids.get(t)!.push(mid);
        // re-quote once a second (of clock) when the target moved
        if (i % 10 !== 0 || Number.isNaN(mid)) continue;
        const bid = Math.floor((mid - ONE_CENT) / ONE_CENT) * ONE_CENT;
        const ask = Math.ceil((mid + ONE_CENT) / ONE_CENT) * ONE_CENT;
        const q = quotes.get(t);
        if (q && q.bid === bid && q.ask === ask) continue;
        for (const id of q?.ids ?? []) w.engine.cancelOrder(MM, id);
        const ids: string[] = [];
        for (const [side, price] of [['bid', bid], ['ask', ask]] as const) {
          if (price <= 0 || price >= 100 * ONE_CENT) continue;
          const r = w.engine.createOrder(MM, { ticker: t, side, price, countCenti: 10 * ONE_CONTRACT, tif: 'good_till_canceled', stp: 'maker', postOnly: true });
          if (r.ok) ids.push(r.order.orderId);
        }
        quotes.set(t, { bid, ask, ids });
      }
    }
    const t0 = w.clock.wallMs() - steps * stepMs;
    const fills = w.engine.accounts.get(MM)!.fills.filter((f) => !f.isTaker);
    const curve = [1, 10, 60].map((hS) => {
      let sum = 0;
      let weight = 0;
      for (const f of fills) {
        // horizon in market time = clock time x speed
        const idx = Math.round((f.tsMs - t0 + (hS * 1000) / speed) / stepMs) - 1;
        const series = mids.get(f.ticker)!;
        if (idx >= series.length || Number.isNaN(series[idx])) continue;
        const w8 = f.countCenti / ONE_CONTRACT;
        sum += (((series[idx] - f.price) * (f.side === 'bid' ? 1 : -1)) / ONE_CENT) * w8;
        weight += w8;
      }
      return { horizonS: hS, cents: weight ? sum / weight : NaN };
    });
    console.log(`naive quoter on 'active': ${fills.length} passive fills in 6 h x 8 markets; markouts ${curve.map((c) => `${c.horizonS} s ${c.cents.toFixed(2)}c`).join(', ')}`);
    expect(fills.length).toBeGreaterThan(10);
    expect(curve[1].cents).toBeLessThan(0);
    expect(curve[2].cents).toBeLessThan(0);
  });

  it('is deterministic in the seed', () => {
    const run = () => {
      const w = world(ACTIVE_PROFILE, 3, 7, 20);
      for (let i = 0; i < 300; i++) {
        w.clock.advanceMs(100);
        w.flow.step(w.clock.wallMs());
      }
      return [w.deltas(), ...w.tickers.map((t) => w.engine.markets.get(t)!.book.bestBid())];
    };
    expect(run()).toEqual(run());
  });
});
