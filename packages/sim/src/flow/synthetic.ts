/**
 * The `synthetic` profile: the simulator's original, uncalibrated order flow (kept as it was for
 * the deterministic simulation tests, which need fills within minutes; README "Market
 * profiles" says how it differs from Kalshi). Seeded synthetic order flow. Per market: a hidden fair value (logit random walk with jumps
 * for news), resting liquidity providers that keep a ladder of 5-20 levels around it (sizes in
 * the tens near the touch to thousands deeper, with gaps like the recorded real books), noise
 * traders sending IOC orders of heavy-tailed size at the touch, and informed traders that take
 * liquidity when the book is stale against the fair value. Each market has its own intensity,
 * so a run has busy and quiet markets. The markets of a mutually exclusive event trade on fair
 * values normalised across the event (flow/events.ts).
 *
 * Driven only by step(nowMs): events are drawn as Poisson arrivals from the seeded Rng and
 * processed in time order, so a seed plus the same sequence of step/engine calls gives the same
 * orders. Nothing here reads a clock or does I/O.
 */
import { ONE_CENT, ONE_DOLLAR, type Rng } from '@kmm/shared';
import type { Engine } from '../engine/engine.js';
import type { CatalogMarket } from './catalog.js';
import { EventCoupling } from './events.js';

export const FLOW_USERS = { lp: 'flow-lp', noise: 'flow-noise', informed: 'flow-informed' } as const;
const FLOW_CASH_MICRO = 1e9 * 1e6; // $1bn each: the synthetic traders never run out

/** Base rates per market per second at speed 1 and intensity 1. */
export const FLOW_RATES = {
  fairTickMs: 250,
  lpRequotePerS: 4,
  noisePerS: 0.8,
  informedPerS: 0.2,
  jumpPerS: 0.003,
  logitVolPerSqrtS: 0.025,
  jumpLogitSd: 0.6,
  /** maximum flow events handled in one step (overflow: the rest wait for the next step) */
  maxEventsPerStep: 20_000,
};

interface MarketFlow {
  ticker: string;
  /** index in the catalogue (and in `markets`) */
  idx: number;
  intensity: number;
  fairLogit: number;
  halfSpreadTicks: number;
  depthLevels: number;
  baseSize: number;
  nextFair: number;
  nextLp: number;
  nextNoise: number;
  nextInformed: number;
  /** LP orders by price */
  lpBids: Map<number, string>;
  lpAsks: Map<number, string>;
}

function logit(p: number): number {
  return Math.log(p / (1 - p));
}
function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

export class SyntheticFlow {
  readonly markets: MarketFlow[] = [];
  private lastMs: number;
  private readonly events: EventCoupling;
  /** the initial latent values (probabilities), for the markets not built yet while the constructor seeds ladders */
  private readonly latent0: number[];
  private readonly latent = (j: number): number => (this.markets[j] ? sigmoid(this.markets[j].fairLogit) : this.latent0[j]);

  constructor(
    private readonly engine: Engine,
    private readonly rng: Rng,
    catalog: CatalogMarket[],
    nowMs: number,
    private speed = 1,
  ) {
    this.lastMs = nowMs;
    for (const u of Object.values(FLOW_USERS)) if (!engine.accounts.has(u)) engine.createAccount(u, FLOW_CASH_MICRO);
    this.latent0 = catalog.map((c) => sigmoid(logit(c.fair0 / ONE_DOLLAR)));
    this.events = new EventCoupling(catalog, this.latent0, 1);
    for (const c of catalog) {
      const mf: MarketFlow = {
        ticker: c.spec.ticker,
        idx: this.markets.length,
        intensity: c.intensity,
        fairLogit: logit(c.fair0 / ONE_DOLLAR),
        halfSpreadTicks: rng.int(1, 3),
        depthLevels: rng.int(5, 20),
        baseSize: Math.round(Math.exp(2.5 + rng.normal() * 0.8)),
        nextFair: nowMs,
        nextLp: nowMs,
        nextNoise: nowMs,
        nextInformed: nowMs,
        lpBids: new Map(),
        lpAsks: new Map(),
      };
      mf.nextLp = nowMs + this.draw(FLOW_RATES.lpRequotePerS * mf.intensity);
      mf.nextNoise = nowMs + this.draw(FLOW_RATES.noisePerS * mf.intensity);
      mf.nextInformed = nowMs + this.draw(FLOW_RATES.informedPerS * mf.intensity);
      mf.nextFair = nowMs + FLOW_RATES.fairTickMs;
      this.markets.push(mf);
      this.seedLadder(mf);
    }
  }

  setSpeed(speed: number): void {
    this.speed = speed;
  }

  /** Exponential inter-arrival in ms for a rate per second (scaled by speed). */
  private draw(ratePerS: number): number {
    const r = ratePerS * this.speed;
    if (!(r > 0)) return 1e12;
    return this.rng.exp(1000 / r);
  }

  fairPrice(ticker: string): number {
    const mf = this.markets.find((m) => m.ticker === ticker);
    return mf ? Math.round(this.fairOf(mf)) : 0;
  }

  /** Processes every flow event due up to nowMs, in time order. Returns the number of events. */
  step(nowMs: number): number {
    let n = 0;
    while (n < FLOW_RATES.maxEventsPerStep) {
      let best: MarketFlow | null = null;
      let bestT = nowMs + 1;
      let kind = 0;
      for (let i = 0; i < this.markets.length; i++) {
        const m = this.markets[i];
        if (m.nextFair < bestT) ((bestT = m.nextFair), (best = m), (kind = 0));
        if (m.nextLp < bestT) ((bestT = m.nextLp), (best = m), (kind = 1));
        if (m.nextNoise < bestT) ((bestT = m.nextNoise), (best = m), (kind = 2));
        if (m.nextInformed < bestT) ((bestT = m.nextInformed), (best = m), (kind = 3));
      }
      if (!best || bestT > nowMs) break;
      n++;
      const mkt = this.engine.markets.get(best.ticker);
      const live = !!mkt && mkt.status === 'active' && this.engine.tradingActive;
      switch (kind) {
        case 0: {
          const dtS = FLOW_RATES.fairTickMs / 1000;
          best.fairLogit += FLOW_RATES.logitVolPerSqrtS * Math.sqrt(dtS * best.intensity) * this.rng.normal();
          if (this.rng.chance(FLOW_RATES.jumpPerS * best.intensity * dtS * this.speed)) best.fairLogit += this.rng.normal() * FLOW_RATES.jumpLogitSd;
          best.fairLogit = Math.max(-4, Math.min(4, best.fairLogit));
          best.nextFair += FLOW_RATES.fairTickMs;
          break;
        }
        case 1:
          if (live) this.requote(best);
          best.nextLp += this.draw(FLOW_RATES.lpRequotePerS * best.intensity);
          break;
        case 2:
          if (live) this.noise(best);
          best.nextNoise += this.draw(FLOW_RATES.noisePerS * best.intensity);
          break;
        default:
          if (live) this.informed(best);
          best.nextInformed += this.draw(FLOW_RATES.informedPerS * best.intensity);
      }
    }
    this.lastMs = nowMs;
    return n;
  }

  /**
   * Benchmark helper: `ops` LP re-quote operations on the given market (each emits at least one
   * book delta), without advancing flow time.
   */
  burst(ops: number, ticker?: string): void {
    const mf = ticker ? this.markets.find((m) => m.ticker === ticker) : this.markets[0];
    if (!mf) return;
    for (let i = 0; i < ops; i++) this.requote(mf);
  }

  /** The fair value (price units) market mf trades on: its latent value, normalised across an exclusive event. */
  private fairOf(mf: MarketFlow): number {
    return this.events.fair(mf.idx, this.latent) * ONE_DOLLAR;
  }

  /** Grid targets: best LP bid / ask around fair, then depth levels outwards. */
  private ladderPrice(mf: MarketFlow, side: 'bid' | 'ask', k: number): number {
    const grid = this.engine.markets.get(mf.ticker)!.book.grid;
    const fair = this.fairOf(mf);
    const tick = grid.tickAt(fair) || ONE_CENT;
    if (side === 'bid') {
      const top = grid.floor(fair - mf.halfSpreadTicks * tick);
      return grid.step(top, -k);
    }
    const top = grid.ceil(fair + mf.halfSpreadTicks * tick);
    return grid.step(top, k);
  }

  private levelSize(mf: MarketFlow, k: number): number {
    const contracts = mf.baseSize * (1 + k * 0.6) * Math.exp(this.rng.normal() * 0.7);
    const centi = Math.max(100, Math.round(contracts * 100));
    // most resting sizes are whole contracts; some are fractional like the recorded books
    return this.rng.chance(0.7) ? Math.round(centi / 100) * 100 : centi;
  }

  private seedLadder(mf: MarketFlow): void {
    for (let k = 0; k < mf.depthLevels; k++) {
      if (k > 0 && this.rng.chance(0.25)) continue; // gaps, as in real books
      this.placeLp(mf, 'bid', this.ladderPrice(mf, 'bid', k), this.levelSize(mf, k));
      this.placeLp(mf, 'ask', this.ladderPrice(mf, 'ask', k), this.levelSize(mf, k));
    }
  }

  private placeLp(mf: MarketFlow, side: 'bid' | 'ask', price: number, countCenti: number): void {
    const map = side === 'bid' ? mf.lpBids : mf.lpAsks;
    if (map.has(price)) return;
    const book = this.engine.markets.get(mf.ticker)!.book;
    // never cross: LPs only rest
    if (side === 'bid' && book.bestAskIdx >= 0 && price >= book.bestAsk()) return;
    if (side === 'ask' && book.bestBidIdx >= 0 && price <= book.bestBid()) return;
    const r = this.engine.createOrder(FLOW_USERS.lp, {
      ticker: mf.ticker,
      side,
      price,
      countCenti,
      tif: 'good_till_canceled',
      stp: 'maker',
      postOnly: true,
    });
    if (r.ok && r.order.status === 'resting') map.set(price, r.order.orderId);
  }

  private cancelLp(mf: MarketFlow, side: 'bid' | 'ask', price: number): void {
    const map = side === 'bid' ? mf.lpBids : mf.lpAsks;
    const id = map.get(price);
    if (id === undefined) return;
    map.delete(price);
    this.engine.cancelOrder(FLOW_USERS.lp, id);
  }

  /** Drops ids of LP orders that were filled away. */
  private prune(map: Map<number, string>): void {
    for (const [p, id] of map) {
      const o = this.engine.orders.get(id);
      if (!o || o.status !== 'resting') map.delete(p);
    }
  }

  private requote(mf: MarketFlow): void {
    this.prune(mf.lpBids);
    this.prune(mf.lpAsks);
    const topBid = this.ladderPrice(mf, 'bid', 0);
    const topAsk = this.ladderPrice(mf, 'ask', 0);
    const lowBid = this.ladderPrice(mf, 'bid', mf.depthLevels - 1);
    const highAsk = this.ladderPrice(mf, 'ask', mf.depthLevels - 1);
    // stale quotes inside the target spread, or beyond the ladder depth, are pulled
    for (const p of [...mf.lpBids.keys()]) if (p > topBid || p < lowBid) this.cancelLp(mf, 'bid', p);
    for (const p of [...mf.lpAsks.keys()]) if (p < topAsk || p > highAsk) this.cancelLp(mf, 'ask', p);
    const side = this.rng.chance(0.5) ? 'bid' : 'ask';
    // favour levels near the touch: that is where real books change most
    const k = Math.min(mf.depthLevels - 1, Math.floor(this.rng.exp(2.5)));
    const price = this.ladderPrice(mf, side, k);
    const map = side === 'bid' ? mf.lpBids : mf.lpAsks;
    if (map.has(price)) {
      if (this.rng.chance(0.6)) this.cancelLp(mf, side, price);
      if (this.rng.chance(0.7)) this.placeLp(mf, side, price, this.levelSize(mf, k));
    } else {
      this.placeLp(mf, side, price, this.levelSize(mf, k));
    }
  }

  /** Heavy-tailed trade size (contracts -> centi): median ~8, occasionally hundreds or thousands. */
  private tradeSize(): number {
    const contracts = Math.min(5000, Math.max(1, Math.exp(2.1 + this.rng.normal() * 1.3)));
    const centi = Math.round(contracts * 100);
    return this.rng.chance(0.75) ? Math.max(100, Math.round(centi / 100) * 100) : Math.max(1, centi);
  }

  private noise(mf: MarketFlow): void {
    const book = this.engine.markets.get(mf.ticker)!.book;
    const side = this.rng.chance(0.5) ? 'bid' : 'ask';
    if (side === 'bid' && book.bestAskIdx < 0) return;
    if (side === 'ask' && book.bestBidIdx < 0) return;
    const grid = book.grid;
    const slip = this.rng.int(0, 2);
    const price = side === 'bid' ? grid.step(book.bestAsk(), slip) : grid.step(book.bestBid(), -slip);
    this.engine.createOrder(FLOW_USERS.noise, {
      ticker: mf.ticker,
      side,
      price,
      countCenti: this.tradeSize(),
      tif: 'immediate_or_cancel',
      stp: 'taker_at_cross',
    });
  }

  private informed(mf: MarketFlow): void {
    const book = this.engine.markets.get(mf.ticker)!.book;
    const fair = this.fairOf(mf);
    const grid = book.grid;
    const edge = grid.tickAt(fair) || ONE_CENT;
    if (book.bestAskIdx >= 0 && fair - book.bestAsk() > edge) {
      this.engine.createOrder(FLOW_USERS.informed, {
        ticker: mf.ticker,
        side: 'bid',
        price: grid.floor(fair - edge),
        countCenti: this.tradeSize() * 2,
        tif: 'immediate_or_cancel',
        stp: 'taker_at_cross',
      });
    } else if (book.bestBidIdx >= 0 && book.bestBid() - fair > edge) {
      this.engine.createOrder(FLOW_USERS.informed, {
        ticker: mf.ticker,
        side: 'ask',
        price: grid.ceil(fair + edge),
        countCenti: this.tradeSize() * 2,
        tif: 'immediate_or_cancel',
        stp: 'taker_at_cross',
      });
    } else if (this.rng.chance(0.3)) {
      // small probe at the touch in the fair direction keeps flow two-way
      this.noise(mf);
    }
  }
}
