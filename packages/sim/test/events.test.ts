/**
 * Mutually exclusive events (flow/events.ts, catalog EXCLUSIVE_SERIES, REST /events):
 *  - on both flows (`synthetic`, the calibrated `active`) the YES fair values of an exclusive
 *    event's markets sum to at most $0.98 at every step, and the markets move together (a change
 *    of one market's fair value is offset by the others': their changes correlate at -1); two markets of a non-exclusive event move
 *    on their own;
 *  - the same seed gives the same fair values;
 *  - the REST event object says `mutually_exclusive`, GET /events lists the events (nested
 *    markets on request) and the market object carries `event_ticker`.
 * Time is a SimClock advanced by hand; nothing sleeps.
 */
import { describe, expect, it } from 'vitest';
import { ONE_DOLLAR, SeededRng, SimClock } from '@kmm/shared';
import { Engine } from '../src/engine/engine.js';
import { buildCatalog, SERIES } from '../src/flow/catalog.js';
import { MAX_EVENT_TOTAL } from '../src/flow/events.js';
import { FlowDriver } from '../src/flow/flow.js';
import { ACTIVE_PROFILE } from '../src/profiles/builtin.js';
import type { ProfileSpec } from '../src/profiles/profile.js';
import { NO_READ_LAG, startSim } from '../src/index.js';
import { call } from './helpers.js';

const T0 = Date.UTC(2026, 6, 1);
// seed 1, 20 markets: KXINXY-26DEC31 has three range markets (exclusive, their initial fair
// values sum to $1.31: the coupling scales them), KXNCAAFPLAYOFF-25 two qualifiers (not exclusive)
const SEED = 1;
const N = 20;

function fairPath(profile: ProfileSpec, seed: number, steps: number) {
  const clock = new SimClock(T0);
  const root = new SeededRng(seed);
  const engine = new Engine({ clock, rng: root.fork('engine') });
  for (const s of SERIES) engine.addSeries(s);
  const catalog = buildCatalog(root.fork('catalog'), N, clock.wallMs());
  for (const c of catalog) engine.addMarket(c.spec);
  const flow = new FlowDriver(engine, root.fork('flow'), catalog, clock.wallMs(), 30, profile);
  const ofEvent = (ev: string) => catalog.filter((c) => c.spec.eventTicker === ev).map((c) => c.spec.ticker);
  const exclusive = ofEvent('KXINXY-26DEC31');
  const independent = ofEvent('KXNCAAFPLAYOFF-25');
  const rows: { ex: number[]; ind: number[] }[] = [];
  for (let i = 0; i < steps; i++) {
    clock.advanceMs(1000);
    flow.step(clock.wallMs());
    rows.push({ ex: exclusive.map((t) => flow.fairPrice(t)), ind: independent.map((t) => flow.fairPrice(t)) });
  }
  return { rows, exclusive, independent, catalog };
}

/** Correlation of the step changes of market 0's fair value with those of the other markets' sum. */
function changeCorrelation(series: number[][]): number {
  const a: number[] = [];
  const b: number[] = [];
  for (let i = 1; i < series.length; i++) {
    a.push(series[i][0] - series[i - 1][0]);
    let d = 0;
    for (let k = 1; k < series[i].length; k++) d += series[i][k] - series[i - 1][k];
    b.push(d);
  }
  const mean = (x: number[]) => x.reduce((s, v) => s + v, 0) / x.length;
  const ma = mean(a);
  const mb = mean(b);
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < a.length; i++) {
    sab += (a[i] - ma) * (b[i] - mb);
    saa += (a[i] - ma) ** 2;
    sbb += (b[i] - mb) ** 2;
  }
  return sab / Math.sqrt(saa * sbb);
}

describe('mutually exclusive events in the flow', () => {
  for (const profile of ['synthetic', ACTIVE_PROFILE] as ProfileSpec[]) {
    const name = profile === 'synthetic' ? 'synthetic' : 'active';
    it(`${name}: an exclusive event's fair values sum to at most $${MAX_EVENT_TOTAL} and move together`, () => {
      const { rows, exclusive, independent, catalog } = fairPath(profile, SEED, 300);
      expect(exclusive.length).toBe(3);
      expect(independent.length).toBe(2);
      expect(catalog.find((c) => c.spec.ticker === exclusive[0])!.spec.mutuallyExclusive).toBe(true);
      expect(catalog.find((c) => c.spec.ticker === independent[0])!.spec.mutuallyExclusive).toBe(false);
      for (const r of rows) {
        const sum = r.ex.reduce((a, x) => a + x, 0);
        // each fair value is rounded to a price unit: at most one unit per market above T
        expect(sum).toBeLessThanOrEqual(MAX_EVENT_TOTAL * ONE_DOLLAR + exclusive.length);
        for (const x of r.ex) expect(x).toBeGreaterThan(0);
      }
      // one hidden state: what one outcome gains the others lose (the sum is the event's total)
      expect(changeCorrelation(rows.map((r) => r.ex))).toBeLessThan(-0.95);
      expect(Math.abs(changeCorrelation(rows.map((r) => r.ind)))).toBeLessThan(0.3);
    });
  }

  it('the same seed gives the same fair values', () => {
    const a = fairPath(ACTIVE_PROFILE, SEED, 120).rows;
    const b = fairPath(ACTIVE_PROFILE, SEED, 120).rows;
    expect(b).toEqual(a);
  });
});

describe('REST events', () => {
  it('GET /events and /events/{event_ticker} carry mutually_exclusive; markets carry event_ticker', async () => {
    const sim = await startSim({ seed: SEED, markets: N, flow: false, clock: new SimClock(T0), tier: 'unlimited', keyDir: '/tmp/kmm-sim-test-events', readLag: NO_READ_LAG });
    try {
      const one = await call(sim, 'GET', '/events/KXINXY-26DEC31', undefined, { signer: null });
      expect(one.status).toBe(200);
      expect(one.json.event).toMatchObject({ event_ticker: 'KXINXY-26DEC31', series_ticker: 'KXINXY', mutually_exclusive: true, collateral_return_type: 'MECNET' });
      expect(one.json.markets.map((m: { event_ticker: string }) => m.event_ticker)).toEqual(['KXINXY-26DEC31', 'KXINXY-26DEC31', 'KXINXY-26DEC31']);
      const ind = await call(sim, 'GET', '/events/KXNCAAFPLAYOFF-25', undefined, { signer: null });
      expect(ind.json.event.mutually_exclusive).toBe(false);
      const missing = await call(sim, 'GET', '/events/NOPE-1', undefined, { signer: null });
      expect(missing.status).toBe(404);
      const list = await call(sim, 'GET', '/events?with_nested_markets=true&limit=200', undefined, { signer: null });
      expect(list.status).toBe(200);
      const total = list.json.events.reduce((a: number, e: { markets: unknown[] }) => a + e.markets.length, 0);
      expect(total).toBe(N);
      const m = await call(sim, 'GET', `/markets/${one.json.markets[0].ticker}`, undefined, { signer: null });
      expect(m.json.market.event_ticker).toBe('KXINXY-26DEC31');
    } finally {
      await sim.close();
    }
  });
});
