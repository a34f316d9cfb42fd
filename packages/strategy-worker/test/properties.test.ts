/**
 * Property tests (fast-check; a failure prints its seed and path):
 *  - quotes never cross, stay on the grid and inside it, never at/through the opposite touch
 *  - skew and reservation are monotone in inventory (both pricing models)
 *  - for any sequence of fills / positions / working orders / books, no emitted target lets
 *    |position| + unrelated resting + target exceed a cap (contracts and dollars), and no
 *    taker intent exceeds what is needed to reach its target
 *  - v2 flags off: v2-only inputs change nothing; v2 flags on without v2 triggers = v1 output
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { kmm, LINEAR_CENT, PriceGrid, resolveConfig, type PriceBand } from '@kmm/shared';
import { computeQuotes, inventorySkewBps, strategyParamsOf, QuoteResult, StrategyCore, type StrategyParams } from '../src/index.js';
import { features, marketInfo, NEUTRAL, snap, T0 } from './helpers.js';

const GRIDS: PriceBand[][] = [
  LINEAR_CENT,
  [{ startPrice: 10, endPrice: 9990, stepPrice: 10 }],
  [
    { startPrice: 10, endPrice: 1000, stepPrice: 10 },
    { startPrice: 1000, endPrice: 9000, stepPrice: 100 },
    { startPrice: 9000, endPrice: 9990, stepPrice: 10 },
  ],
];
const GRID_OBJS = GRIDS.map((b) => new PriceGrid(b));

const configArb = fc.record({
  MM_SPREAD_MULTIPLIER: fc.double({ min: 0, max: 3, noNaN: true }),
  MM_MIN_OFFSET_BPS: fc.double({ min: 0, max: 100, noNaN: true }),
  MM_MAX_OFFSET_BPS: fc.double({ min: 100, max: 5000, noNaN: true }),
  MM_INVENTORY_SKEW_FACTOR: fc.double({ min: 0, max: 1, noNaN: true }),
  MM_SKEW_SHAPE_K: fc.double({ min: 0, max: 4, noNaN: true }),
  MM_INVENTORY_DEADBAND_PCT: fc.double({ min: 0, max: 0.5, noNaN: true }),
  MM_SKEW_MAX_BPS: fc.double({ min: 0, max: 500, noNaN: true }),
  MM_NUM_PRICE_LEVELS: fc.integer({ min: 1, max: 5 }),
  MM_SIZE_SCALE_PER_LEVEL: fc.double({ min: 0.3, max: 1.5, noNaN: true }),
  MM_MICRO_VOL_MAX_BPS: fc.double({ min: 0, max: 20, noNaN: true }),
  MM_MICRO_DRIFT_MAX_BPS: fc.double({ min: 0, max: 20, noNaN: true }),
  MM_IMBALANCE_PAUSE_THRESHOLD: fc.double({ min: 0, max: 1, noNaN: true }),
  MM_MARKET_PROFILE: fc.constantFrom('legacy', 'crypto'),
  MM_VOL_REGIME_ENABLED: fc.boolean(),
  MM_TREND_ENABLED: fc.boolean(),
  MM_FUNDING_BIAS_ENABLED: fc.boolean(),
  risk_aversion: fc.double({ min: 0, max: 0.1, noNaN: true }),
  base_spread: fc.double({ min: 0, max: 0.1, noNaN: true }),
  min_spread: fc.double({ min: 0, max: 0.05, noNaN: true }),
  max_spread: fc.double({ min: 0.05, max: 0.5, noNaN: true }),
  skew_price_adjustment_per_10: fc.double({ min: 0, max: 0.03, noNaN: true }),
  inventory_spread_multiplier: fc.double({ min: 1, max: 2, noNaN: true }),
  quote_size: fc.integer({ min: 1, max: 50 }),
  kmm_pricing_model: fc.constantFrom('stoikov', 'logodds'),
  kmm_level_spacing_ticks: fc.integer({ min: 1, max: 3 }),
  // the registry requires min_spread <= base_spread <= max_spread
}).map((c) => ({ ...c, base_spread: Math.min(Math.max(c.base_spread, c.min_spread), c.max_spread) }));

const bookArb = fc
  .record({
    grid: fc.integer({ min: 0, max: GRIDS.length - 1 }),
    a: fc.double({ min: 0, max: 1, noNaN: true }),
    width: fc.integer({ min: 1, max: 30 }),
    spreadEma: fc.double({ min: 0, max: 3000, noNaN: true }),
    imbalanceEma: fc.double({ min: -1, max: 1, noNaN: true }),
    microVolBps: fc.double({ min: 0, max: 30, noNaN: true }),
    microDriftBps: fc.double({ min: -30, max: 30, noNaN: true }),
    volMediumBps: fc.double({ min: 0, max: 100, noNaN: true }),
    trendStrength: fc.double({ min: -1, max: 1, noNaN: true }),
  })
  .map((r) => {
    const g = GRID_OBJS[r.grid];
    const i = Math.min(g.size - 2, Math.floor(r.a * (g.size - 1)));
    const j = Math.min(g.size - 1, i + r.width);
    const f = features('M', g.prices[i], g.prices[j], {
      spreadEma: r.spreadEma,
      imbalanceEma: r.imbalanceEma,
      microVolBps: r.microVolBps,
      microDriftBps: r.microDriftBps,
      volMediumBps: r.volMediumBps,
      trendStrength: r.trendStrength,
    });
    return { gridIdx: r.grid, f };
  });

function paramsOf(c: Record<string, unknown>): StrategyParams {
  return strategyParamsOf(resolveConfig({ ...NEUTRAL, MM_MAX_POS: 100, MM_MAX_LONG_POS: 100, MM_MAX_SHORT_POS: 100, MM_MAX_POSITION_SIZE: 100, max_position_size: 100, max_inventory: 100, ...c }));
}

function run(p: StrategyParams, gridIdx: number, f: kmm.v1.IBookFeatures, qCenti: number, extra: { ttc?: number; alpha?: number; funding?: number } = {}): QuoteResult {
  const out = new QuoteResult();
  computeQuotes(
    p,
    { grid: GRID_OBJS[gridIdx], f, positionCenti: qCenti, longCapCenti: p.longCapCenti, shortCapCenti: p.shortCapCenti, timeToCloseMs: extra.ttc ?? 1e9, alphaSkewTicks: extra.alpha ?? 0, fundingBps: extra.funding ?? 0, liquidityMoney: 1e9 },
    out,
    null,
  );
  return out;
}

describe('pricing properties', () => {
  it('quotes never cross, stay on the grid and in range, never at/through the opposite touch', () => {
    fc.assert(
      fc.property(configArb, bookArb, fc.integer({ min: -15_000, max: 15_000 }), fc.integer({ min: -5, max: 5 }), fc.double({ min: -20, max: 20, noNaN: true }), fc.integer({ min: 0, max: 200 }), (c, b, q, alpha, funding, ttcH) => {
        const p = paramsOf(c);
        const g = GRID_OBJS[b.gridIdx];
        const r = run(p, b.gridIdx, b.f, q, { alpha, funding, ttc: ttcH * 3_600_000 });
        if (!r.ok) return;
        const bb = b.f.bestBid as number;
        const ba = b.f.bestAsk as number;
        for (let i = 0; i < r.nBid; i++) {
          expect(g.isValid(r.bidPrices[i])).toBe(true);
          expect(r.bidPrices[i]).toBeGreaterThanOrEqual(g.minPrice);
          expect(r.bidPrices[i]).toBeLessThan(ba);
          if (i > 0) expect(r.bidPrices[i]).toBeLessThan(r.bidPrices[i - 1]);
          expect(r.bidSizes[i] % 100).toBe(0);
          expect(r.bidSizes[i]).toBeGreaterThan(0);
        }
        for (let i = 0; i < r.nAsk; i++) {
          expect(g.isValid(r.askPrices[i])).toBe(true);
          expect(r.askPrices[i]).toBeLessThanOrEqual(g.maxPrice);
          expect(r.askPrices[i]).toBeGreaterThan(bb);
          if (i > 0) expect(r.askPrices[i]).toBeGreaterThan(r.askPrices[i - 1]);
          expect(r.askSizes[i] % 100).toBe(0);
        }
        if (r.nBid > 0 && r.nAsk > 0) expect(r.bidPrices[0]).toBeLessThan(r.askPrices[0]);
      }),
      { numRuns: 3000 },
    );
  });

  it('skew is monotone in inventory; the reservation price is non-increasing in inventory', () => {
    fc.assert(
      fc.property(configArb, bookArb, fc.integer({ min: -15_000, max: 15_000 }), fc.integer({ min: -15_000, max: 15_000 }), fc.double({ min: -20, max: 20, noNaN: true }), (c, b, q1, q2, funding) => {
        const [lo, hi] = q1 <= q2 ? [q1, q2] : [q2, q1];
        const p = paramsOf(c);
        expect(inventorySkewBps(p, lo, p.longCapCenti, p.shortCapCenti)).toBeLessThanOrEqual(inventorySkewBps(p, hi, p.longCapCenti, p.shortCapCenti) + 1e-12);
        const rLo = run(p, b.gridIdx, b.f, lo, { funding });
        const rHi = run(p, b.gridIdx, b.f, hi, { funding });
        if (!rLo.ok || !rHi.ok) return;
        expect(rHi.reservation).toBeLessThanOrEqual(rLo.reservation + 1e-9);
        if (p.kmm_pricing_model === 'logodds') {
          // the bounded variant never leaves (0, $1)
          expect(rHi.reservation).toBeGreaterThan(0);
          expect(rHi.reservation).toBeLessThan(10_000);
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('log-odds: the inventory shift self-limits near 1c and 99c', () => {
    const p = paramsOf({ kmm_pricing_model: 'logodds', skew_price_adjustment_per_10: 0.01, inventory_skew_threshold: 0 });
    const pl = paramsOf({ kmm_pricing_model: 'stoikov', skew_price_adjustment_per_10: 0.01, inventory_skew_threshold: 0 });
    const near1 = features('M', 100, 300);
    const atHalf = features('M', 4900, 5100);
    const shiftAt = (pp: StrategyParams, f: kmm.v1.IBookFeatures) => run(pp, 1, f, 0).reservation - run(pp, 1, f, 5000).reservation;
    expect(shiftAt(p, atHalf)).toBeCloseTo(shiftAt(pl, atHalf), -1); // ~5c either way at 0.50
    expect(shiftAt(p, near1)).toBeLessThan(0.2 * shiftAt(pl, near1)); // far smaller at 2c
    expect(run(p, 1, near1, 5000).reservation).toBeGreaterThan(0);
  });
});

// ---------------------------------------------------------------- risk over random sequences

type Cmd =
  | { k: 'fill'; side: 1 | 2; count: number }
  | { k: 'pos'; v: number }
  | { k: 'wo'; bid: number; ask: number; execPos: number | undefined; roomBid: number; roomAsk: number }
  | { k: 'book'; bid: number; width: number }
  | { k: 'timer'; dt: number };

const cmdArb: fc.Arbitrary<Cmd> = fc.oneof(
  fc.record({ k: fc.constant('fill' as const), side: fc.constantFrom(1 as const, 2 as const), count: fc.integer({ min: 1, max: 8 }).map((c) => c * 100) }),
  fc.record({ k: fc.constant('pos' as const), v: fc.integer({ min: -40, max: 40 }).map((c) => c * 50) }),
  fc.record({
    k: fc.constant('wo' as const),
    bid: fc.integer({ min: 0, max: 20 }).map((c) => c * 100),
    ask: fc.integer({ min: 0, max: 20 }).map((c) => c * 100),
    // exec's gating state: its position (undefined: not known yet) and room per side
    execPos: fc.option(fc.integer({ min: -40, max: 40 }).map((c) => c * 50), { nil: undefined }),
    roomBid: fc.integer({ min: 0, max: 20 }).map((c) => c * 100),
    roomAsk: fc.integer({ min: 0, max: 20 }).map((c) => c * 100),
  }),
  fc.record({ k: fc.constant('book' as const), bid: fc.integer({ min: 1, max: 97 }), width: fc.integer({ min: 1, max: 4 }) }),
  fc.record({ k: fc.constant('timer' as const), dt: fc.integer({ min: 1, max: 4000 }) }),
);

const riskCfgArb = fc.record({
  MM_MAX_POS: fc.integer({ min: 1, max: 20 }),
  MM_MAX_LONG_POS: fc.integer({ min: 1, max: 20 }),
  MM_MAX_SHORT_POS: fc.integer({ min: 1, max: 20 }),
  MM_MAX_POSITION_NOTIONAL_USD: fc.integer({ min: 1, max: 20 }),
  MM_MAX_ORDER_NOTIONAL_USD: fc.integer({ min: 1, max: 20 }),
  quote_size: fc.integer({ min: 1, max: 10 }),
  MM_NUM_PRICE_LEVELS: fc.integer({ min: 1, max: 3 }),
  IMPULSE_CONTROL_ENABLED: fc.boolean(),
  QUEUE_OPTIMIZATION_ENABLED: fc.boolean(),
  Q_critical: fc.integer({ min: 2, max: 10 }),
  Q_target: fc.integer({ min: 0, max: 1 }), // the registry requires Q_target < Q_critical
  risk_aversion: fc.double({ min: 0, max: 0.5, noNaN: true }),
  MM_INVENTORY_SKEW_FACTOR: fc.double({ min: 0, max: 1, noNaN: true }),
  skew_price_adjustment_per_10: fc.double({ min: 0, max: 0.02, noNaN: true }),
}).map((c) => {
  // only configurations the registry accepts (limits.ts): quote <= cap / 2, Q_critical >= cap
  const lo = Math.max(2, Math.min(c.MM_MAX_POS, c.MM_MAX_LONG_POS, c.MM_MAX_SHORT_POS));
  const hi = Math.min(c.MM_MAX_POS, Math.max(c.MM_MAX_LONG_POS, c.MM_MAX_SHORT_POS));
  return { ...c, MM_MAX_POS: Math.max(2, c.MM_MAX_POS), MM_MAX_LONG_POS: Math.max(2, c.MM_MAX_LONG_POS), MM_MAX_SHORT_POS: Math.max(2, c.MM_MAX_SHORT_POS),
    quote_size: Math.min(c.quote_size, Math.floor(lo / 2)), Q_critical: Math.max(c.Q_critical, hi, 2) };
});

describe('risk properties', () => {
  it('no emitted target can take |position + unrelated resting + target| past any cap (strategy\'s, exec\'s, or exec\'s position); takers never overshoot', () => {
    fc.assert(
      fc.property(riskCfgArb, fc.array(cmdArb, { minLength: 1, maxLength: 60 }), (cfg, cmds) => {
        const p = strategyParamsOf(resolveConfig({ ...NEUTRAL, MM_MAX_POSITION_SIZE: 100, max_position_size: 100, max_inventory: 100, ...cfg, MM_QUOTE_REFRESH_MS: 1000, kmm_taker_cooldown_ms: 500 }));
        const core = new StrategyCore(p, [marketInfo('M', { closeTimeMs: T0 + 30 * 86_400_000 })], { startMs: T0 });
        let now = T0;
        core.onTimer(now);
        let exch = 0;
        let local = 0;
        let rb = 0;
        let ra = 0;
        let execPos: number | undefined;
        let acceptsB = Infinity;
        let acceptsA = Infinity;
        let prevB = 0;
        let prevA = 0;
        let book: kmm.v1.IBookFeatures | null = null;
        for (const c of cmds) {
          now += 1;
          let fx;
          switch (c.k) {
            case 'fill':
              local += c.side === 2 ? -c.count : c.count;
              fx = core.onFill({ market: 'M', side: c.side, countCenti: c.count, yesPrice: 5000 }, now);
              break;
            case 'pos':
              exch = local = c.v;
              fx = core.onPosition({ market: 'M', positionCenti: c.v, fromExchange: true }, now);
              break;
            case 'wo':
              rb = c.bid;
              ra = c.ask;
              execPos = c.execPos;
              acceptsB = c.execPos === undefined ? Infinity : c.bid + c.roomBid;
              acceptsA = c.execPos === undefined ? Infinity : c.ask + c.roomAsk;
              fx = core.onWorkingOrders(
                { market: 'M', restingBidCenti: c.bid, restingAskCenti: c.ask, positionKnown: c.execPos !== undefined, positionCenti: c.execPos ?? 0, roomBidCenti: c.roomBid, roomAskCenti: c.roomAsk },
                now,
              );
              break;
            case 'book':
              book = features('M', c.bid * 100, (c.bid + c.width) * 100, { ofi: 0 });
              fx = core.onBookFeatures(book, now);
              break;
            default:
              now += c.dt;
              fx = core.onTimer(now);
          }
          for (const t of fx.targets) {
            let tb = 0;
            let ta = 0;
            let bidTouch = 0;
            let askTouch = 0;
            for (const l of t.levels ?? []) {
              if (l.side === 1) {
                tb += Number(l.countCenti);
                if (l.level === 0) bidTouch = l.price as number;
              } else {
                ta += Number(l.countCenti);
                if (l.level === 0) askTouch = l.price as number;
              }
            }
            // exec's cap check accepts every target: a side never asks for more than exec's resting + room
            expect(tb).toBeLessThanOrEqual(acceptsB);
            expect(ta).toBeLessThanOrEqual(acceptsA);
            if (tb > 0) {
              const longPos = Math.max(exch, local, execPos ?? -Infinity);
              const proj = longPos + Math.max(0, rb - prevB) + tb;
              expect(proj).toBeLessThanOrEqual(p.longCapCenti);
              expect(proj * bidTouch).toBeLessThanOrEqual(p.positionNotionalMoney * 100);
            }
            if (ta > 0) {
              const shortPos = -Math.min(exch, local, execPos ?? Infinity);
              const proj = shortPos + Math.max(0, ra - prevA) + ta;
              expect(proj).toBeLessThanOrEqual(p.shortCapCenti);
              expect(proj * (10_000 - askTouch)).toBeLessThanOrEqual(p.positionNotionalMoney * 100);
            }
            prevB = tb;
            prevA = ta;
          }
          for (const tk of fx.takers) {
            const qRed = exch > 0 && local > 0 ? Math.min(exch, local) : exch < 0 && local < 0 ? Math.max(exch, local) : 0;
            expect(tk.reduceOnly).toBe(true); // no oracle in this test: only reducing takers
            expect(tk.side).toBe(qRed > 0 ? 2 : 1);
            const size = Number(tk.countCenti);
            expect(size).toBeGreaterThan(0);
            const target = tk.reason === kmm.v1.TakerReason.INVENTORY_BREACH ? p.qTargetCenti : 0;
            expect(size).toBeLessThanOrEqual(Math.abs(qRed) - target);
          }
        }
      }),
      { numRuns: 1500 },
    );
  });
});

// ---------------------------------------------------------------- v1 exactness

const seqArb = fc.array(
  fc.record({
    bid: fc.integer({ min: 1, max: 97 }),
    width: fc.integer({ min: 1, max: 4 }),
    ofi: fc.double({ min: -1000, max: 1000, noNaN: true }),
    ahead: fc.integer({ min: 0, max: 500_000 }),
    onBid: fc.boolean(),
    pos: fc.integer({ min: -3, max: 3 }),
    alpha: fc.option(fc.integer({ min: 100, max: 9900 }), { nil: undefined }),
  }),
  { minLength: 1, maxLength: 30 },
);

describe('v1 exactness', () => {
  it('with both v2 flags off, v2-only inputs (queue, OFI, alpha toxicity) change nothing; with them on but idle, output is v1', () => {
    fc.assert(
      fc.property(seqArb, fc.boolean(), (seq, gamma) => {
        const base = { MM_MAX_POS: 50, MM_MAX_LONG_POS: 50, MM_MAX_SHORT_POS: 50, MM_INVENTORY_SKEW_FACTOR: 0.5, skew_price_adjustment_per_10: 0.01, inventory_skew_threshold: 0, risk_aversion: gamma ? 0.01 : 0 };
        const mk = (v2: boolean) => new StrategyCore(strategyParamsOf(resolveConfig({ ...NEUTRAL, ...base, IMPULSE_CONTROL_ENABLED: v2, QUEUE_OPTIMIZATION_ENABLED: v2 })), [marketInfo('M')], { startMs: T0 });
        const full = mk(false);
        const stripped = mk(false);
        const idleV2 = mk(true);
        const outs: string[][] = [[], [], []];
        let now = T0;
        for (const c of [full, stripped, idleV2]) c.onTimer(now);
        for (const s of seq) {
          now += 100;
          const bb = s.bid * 100;
          const ba = (s.bid + s.width) * 100;
          const queue = [{ side: s.onBid ? 1 : 2, price: s.onBid ? bb : ba, aheadCenti: s.ahead, exchangeAheadCenti: -1 }];
          const pos = { market: 'M', positionCenti: s.pos * 100, fromExchange: true };
          outs[0].push(JSON.stringify(snap(full.onPosition(pos, now))));
          outs[1].push(JSON.stringify(snap(stripped.onPosition(pos, now))));
          if (s.alpha !== undefined) {
            // alpha is a v1 input too (get_external_skew): both v1 cores get it
            outs[0].push(JSON.stringify(snap(full.onExternalFairValues([{ market: 'M', fairPrice: s.alpha, fundingBps: 0 }], now))));
            outs[1].push(JSON.stringify(snap(stripped.onExternalFairValues([{ market: 'M', fairPrice: s.alpha, fundingBps: 0 }], now))));
          }
          outs[0].push(JSON.stringify(snap(full.onBookFeatures(features('M', bb, ba, { ofi: s.ofi, queue }), now))));
          outs[1].push(JSON.stringify(snap(stripped.onBookFeatures(features('M', bb, ba, { ofi: 0 }), now))));
          // idle v2: no queue, no OFI, no alpha, |q| << Q_critical; bailout idle only without gamma
          if (!gamma) {
            idleV2.onPosition(pos, now);
            outs[2].push(JSON.stringify(snap(idleV2.onBookFeatures(features('M', bb, ba, { ofi: 0 }), now))));
          }
        }
        expect(outs[0]).toEqual(outs[1]);
        if (!gamma && seq.every((s) => s.alpha === undefined)) expect(outs[2]).toEqual(outs[1].filter((_, i) => i % 2 === 1));
      }),
      { numRuns: 500 },
    );
  });

  it('same inputs, same outputs (determinism)', () => {
    fc.assert(
      fc.property(seqArb, (seq) => {
        const outs: string[] = [];
        for (let k = 0; k < 2; k++) {
          const c = new StrategyCore(strategyParamsOf(resolveConfig({ ...NEUTRAL, MM_JOURNAL_REPRICE_DECISIONS: true, IMPULSE_CONTROL_ENABLED: true, QUEUE_OPTIMIZATION_ENABLED: true, risk_aversion: 0.05 })), [marketInfo('M')], { startMs: T0 });
          let now = T0;
          let all = '';
          for (const s of seq) {
            now += 100;
            all += JSON.stringify(snap(c.onPosition({ market: 'M', positionCenti: s.pos * 100, fromExchange: true }, now)));
            if (s.alpha !== undefined) all += JSON.stringify(snap(c.onExternalFairValues([{ market: 'M', fairPrice: s.alpha, fundingBps: 0 }], now)));
            all += JSON.stringify(snap(c.onBookFeatures(features('M', s.bid * 100, (s.bid + s.width) * 100, { ofi: s.ofi }), now)));
            all += JSON.stringify(snap(c.onTimer(now + 50)));
          }
          outs.push(all);
        }
        expect(outs[0]).toBe(outs[1]);
      }),
      { numRuns: 200 },
    );
  });
});
