/**
 * Calibrated order flow: a MarketProfile (profiles/profile.ts) turned into orders on the engine.
 *
 * Per market: a hidden fair value (cents, continuous) that moves by persistent trade impact, a
 * small diffusion and news jumps; liquidity providers (LPs) that keep a ladder of whole-cent
 * levels around it (touch sizes and spread as the profile says, deeper levels with gaps) and
 * change it `deltasPerS` times a second, one order added or cancelled per change; public trades
 * that take the touch, isolated or in bursts; and before each jump informed traders taking the
 * touch in the jump's direction. At the jump the LPs pull their stale quotes and an informed
 * sweep takes what is left between the old touch and the new fair value: a passive order left
 * on the wrong side of a jump is filled by the informed flow (adverse selection, as on Kalshi).
 *
 * Events: the markets of a mutually exclusive event trade on fair values normalised across the
 * event (flow/events.ts): `fairCents` is a market's latent value, `fair(m)` what it trades on.
 *
 * Activity: each market has its own multiplier (lognormal, mean 1); quiet periods cut every
 * rate; trades and news follow the hour of day (New York, UTC-5) and ramp up before close.
 * `speed` is a time scale: every rate is multiplied by it (speed 30: 30 s of market a second).
 *
 * Driven only by step(nowMs): every random draw comes from the seeded Rng, events are processed
 * in time order, so a seed and the same calls give the same orders. No clock, no I/O.
 */
import { ONE_CENT, ONE_CONTRACT, type Rng } from '@kmm/shared';
import type { Engine } from '../engine/engine.js';
import type { BookSide } from '../engine/types.js';
import type { MarketProfile } from '../profiles/profile.js';
import type { CatalogMarket } from './catalog.js';
import { EventCoupling } from './events.js';
import { FLOW_USERS } from './synthetic.js';

const FLOW_CASH_MICRO = 1e9 * 1e6;
const DIFFUSE_MS = 1000;
const HOUR_MS = 3_600_000;
const NY_OFFSET_H = -5;
/** maximum flow events handled in one step (the rest wait for the next step) */
const MAX_EVENTS_PER_STEP = 20_000;
/** fair value kept inside [MIN, 100 - MIN] cents so both sides of the book exist */
const FAIR_MIN_CENTS = 1.5;

interface Jump {
  atMs: number;
  dir: 1 | -1;
  cents: number;
}

interface PMarket {
  ticker: string;
  /** index in the catalogue (and in `markets`) */
  idx: number;
  activity: number;
  fairCents: number;
  /** the fair value the LPs last centred their ladder on: they move only when the fair value leaves their spread */
  centreCents: number;
  spreadTicks: number;
  touchTargetCenti: number;
  quiet: boolean;
  nextQuietToggle: number;
  nextLp: number;
  nextIsolated: number;
  nextBurst: number;
  burstLeft: number;
  nextBurstTrade: number;
  nextJump: number;
  jump: Jump | null;
  nextInformed: number;
  nextDiffuse: number;
  /** LP order ids by side and whole-cent price */
  lp: Map<string, string[]>;
  /** per side and price: empty by design (gap) or the level's target size */
  levels: Map<string, number>;
  /** the top of the ladder the LP orders were last checked against */
  lastBidTop: number;
}

const key = (side: BookSide, cents: number) => `${side}${cents}`;

export class ProfileFlow {
  private readonly markets: PMarket[] = [];
  private readonly sizeMu: number;
  private readonly sizeSigma: number;
  private readonly touchMu: number;
  private readonly touchSigma: number;
  private readonly events: EventCoupling;
  /** the initial latent values, for the markets not built yet while the constructor seeds ladders */
  private readonly latent0: number[];
  private readonly latent = (j: number): number => this.markets[j]?.fairCents ?? this.latent0[j];

  constructor(
    private readonly engine: Engine,
    private readonly rng: Rng,
    catalog: CatalogMarket[],
    nowMs: number,
    private speed: number,
    private readonly p: MarketProfile,
  ) {
    for (const u of Object.values(FLOW_USERS)) if (!engine.accounts.has(u)) engine.createAccount(u, FLOW_CASH_MICRO);
    const s = p.trades.sizeContracts;
    this.sizeMu = Math.log(s.median);
    this.sizeSigma = Math.sqrt(Math.max(0, 2 * Math.log(s.mean / s.median)));
    const t = p.book.touchSizeContracts;
    this.touchMu = Math.log(t.median);
    // p10..p90 spans 2 x 1.2816 sd of a lognormal; most of it is between markets
    this.touchSigma = (Math.log(t.p90 / t.p10) / 2.5631) * 0.8;
    const spreadTotal = p.book.spreadTicks.reduce((a, x) => a + x.weight, 0);
    // spreads by stratified draw: the run's share of each spread matches the weights closely
    const spreadOffset = rng.next();
    this.latent0 = catalog.map((c) => clampFair(c.fair0 / ONE_CENT));
    this.events = new EventCoupling(catalog, this.latent0, 100);
    catalog.forEach((c, i) => {
      let u = (((i + spreadOffset) / catalog.length) % 1) * spreadTotal;
      let spreadTicks = p.book.spreadTicks[0].ticks;
      for (const x of p.book.spreadTicks) {
        if (u < x.weight) {
          spreadTicks = x.ticks;
          break;
        }
        u -= x.weight;
      }
      const sd = p.activity.marketSd;
      const m: PMarket = {
        ticker: c.spec.ticker,
        idx: i,
        activity: Math.exp(sd * rng.normal() - (sd * sd) / 2),
        fairCents: clampFair(c.fair0 / ONE_CENT),
        centreCents: clampFair(c.fair0 / ONE_CENT),
        spreadTicks,
        touchTargetCenti: Math.max(ONE_CONTRACT, Math.round(Math.exp(this.touchMu + this.touchSigma * rng.normal()) * ONE_CONTRACT)),
        quiet: rng.chance(p.activity.quiet.share),
        nextQuietToggle: nowMs,
        nextLp: nowMs,
        nextIsolated: nowMs,
        nextBurst: nowMs,
        burstLeft: 0,
        nextBurstTrade: Infinity,
        nextJump: nowMs,
        jump: null,
        nextInformed: Infinity,
        nextDiffuse: nowMs + DIFFUSE_MS,
        lp: new Map(),
        levels: new Map(),
        lastBidTop: -1,
      };
      this.markets.push(m);
      this.drawQuietToggle(m, nowMs);
      this.redraw(m, nowMs);
      this.seedLadder(m);
    });
  }

  setSpeed(speed: number): void {
    this.speed = speed;
  }

  fairPrice(ticker: string): number {
    const m = this.markets.find((x) => x.ticker === ticker);
    return m ? Math.round(this.fair(m) * ONE_CENT) : 0;
  }

  /** The fair value (cents) market m trades on: its latent value, normalised across an exclusive event. */
  private fair(m: PMarket): number {
    return clampFair(this.events.fair(m.idx, this.latent));
  }

  /**
   * Benchmark helper (`kmm bench latency`, burst scenario): a news event on every market at
   * once: each fair value moves `cents` up or down (seeded) and the LPs pull the levels their
   * ladder left behind, in one call: every market's book changes in the same instant.
   */
  moveAll(cents: number): void {
    for (const m of this.markets) {
      const mkt = this.engine.markets.get(m.ticker);
      if (!mkt || mkt.status !== 'active' || !this.engine.tradingActive) continue;
      m.fairCents = clampFair(m.fairCents + (this.rng.chance(0.5) ? cents : -cents));
      this.recentre(m);
    }
  }

  burst(ops: number, ticker?: string): void {
    const m = ticker ? this.markets.find((x) => x.ticker === ticker) : this.markets[0];
    if (!m) return;
    for (let i = 0; i < ops; i++) this.lpChange(m);
  }

  // ------------------------------------------------------------------ rates and time

  /** exponential wait in ms for a rate per hour (0 or less: never) */
  private wait(perHour: number): number {
    const r = perHour * this.speed;
    return r > 0 ? this.rng.exp(HOUR_MS / r) : Infinity;
  }

  private base(m: PMarket): number {
    return m.activity * (m.quiet ? this.p.activity.quiet.rateMultiplier : 1);
  }

  /** hour-of-day and close-time multiplier for trades and news */
  private timeMult(m: PMarket, nowMs: number): number {
    const a = this.p.activity;
    const hourNy = (((Math.floor(nowMs / HOUR_MS) + NY_OFFSET_H) % 24) + 24) % 24;
    let mult = a.hourOfDay[hourNy];
    const close = this.engine.markets.get(m.ticker)?.spec.closeTimeMs;
    if (close !== undefined && a.closeRampHours > 0) {
      const leftH = (close - nowMs) / HOUR_MS;
      if (leftH >= 0 && leftH < a.closeRampHours) mult *= 1 + (a.closeMultiplier - 1) * (1 - leftH / a.closeRampHours);
    }
    return mult;
  }

  /** all arrival times drawn afresh (memoryless: valid whenever a rate changes) */
  private redraw(m: PMarket, nowMs: number): void {
    const b = this.base(m);
    const tb = b * this.timeMult(m, nowMs);
    m.nextLp = nowMs + this.wait(this.p.book.deltasPerS * 3600 * b);
    m.nextIsolated = nowMs + this.wait(this.p.trades.isolatedPerHour * tb);
    m.nextBurst = nowMs + this.wait(this.p.trades.burstsPerHour * tb);
    if (!m.jump) m.nextJump = nowMs + this.wait(this.p.news.jumpsPerHour * tb);
  }

  private drawQuietToggle(m: PMarket, nowMs: number): void {
    const q = this.p.activity.quiet;
    if (q.share <= 0) {
      m.nextQuietToggle = Infinity;
      return;
    }
    const meanS = m.quiet ? q.meanS : (q.meanS * (1 - q.share)) / q.share;
    m.nextQuietToggle = nowMs + this.rng.exp(meanS * 1000) / this.speed;
  }

  // ------------------------------------------------------------------ event loop

  step(nowMs: number): number {
    let n = 0;
    while (n < MAX_EVENTS_PER_STEP) {
      let best: PMarket | null = null;
      let bestT = nowMs + 1;
      let kind = 0;
      for (const m of this.markets) {
        const ts = nextTimes(m);
        for (let k = 0; k < ts.length; k++) if (ts[k] < bestT) ((bestT = ts[k]), (best = m), (kind = k));
      }
      if (!best || bestT > nowMs) break;
      n++;
      this.handle(best, kind, bestT);
    }
    return n;
  }

  private handle(m: PMarket, kind: number, t: number): void {
    const mkt = this.engine.markets.get(m.ticker);
    const live = !!mkt && mkt.status === 'active' && this.engine.tradingActive;
    switch (kind) {
      case 0: {
        const sdCents = (this.p.diffusion.centsPerSqrtHour / 60) * Math.sqrt((DIFFUSE_MS / 1000) * this.speed);
        m.fairCents = clampFair(m.fairCents + sdCents * this.rng.normal());
        m.nextDiffuse = t + DIFFUSE_MS;
        break;
      }
      case 1:
        m.quiet = !m.quiet;
        this.drawQuietToggle(m, t);
        this.redraw(m, t);
        break;
      case 2:
        if (live) this.lpChange(m);
        m.nextLp = t + this.wait(this.p.book.deltasPerS * 3600 * this.base(m));
        break;
      case 3:
        if (live) this.publicTrade(m, this.rng.chance(0.5) ? 1 : -1, FLOW_USERS.noise);
        m.nextIsolated = t + this.wait(this.p.trades.isolatedPerHour * this.base(m) * this.timeMult(m, t));
        break;
      case 4:
        // a burst: tradesPerBurst on average (at least 2), gaps of burstGapS
        m.burstLeft += 2 + Math.round(this.rng.exp(Math.max(0.001, this.p.trades.tradesPerBurst - 2)));
        if (m.nextBurstTrade === Infinity) m.nextBurstTrade = t;
        m.nextBurst = t + this.wait(this.p.trades.burstsPerHour * this.base(m) * this.timeMult(m, t));
        break;
      case 5:
        if (live) this.publicTrade(m, this.rng.chance(0.5) ? 1 : -1, FLOW_USERS.noise);
        m.burstLeft--;
        m.nextBurstTrade = m.burstLeft > 0 ? t + this.rng.exp(this.p.trades.burstGapS * 1000) / this.speed : Infinity;
        break;
      case 6: {
        // news: the jump happens informedLeadS from now; informed traders act in between
        const n = this.p.news;
        const cents = Math.max(1, n.jumpMedianCents * Math.exp(0.4 * this.rng.normal()));
        m.jump = { atMs: t + (n.informedLeadS * 1000) / this.speed, dir: this.rng.chance(0.5) ? 1 : -1, cents };
        m.nextJump = Infinity;
        m.nextInformed = n.informedLeadS > 0 && n.informedTrades > 0 ? t + this.rng.exp((n.informedLeadS * 1000) / n.informedTrades) / this.speed : Infinity;
        break;
      }
      case 7:
        if (live && m.jump) this.publicTrade(m, m.jump.dir, FLOW_USERS.informed);
        m.nextInformed = m.jump ? t + this.rng.exp((this.p.news.informedLeadS * 1000) / Math.max(1e-9, this.p.news.informedTrades)) / this.speed : Infinity;
        if (m.jump && m.nextInformed >= m.jump.atMs) m.nextInformed = Infinity;
        break;
      default: {
        const j = m.jump!;
        m.jump = null;
        m.nextInformed = Infinity;
        m.fairCents = clampFair(m.fairCents + j.dir * j.cents);
        // the LPs pull their stale quotes first; the informed sweep then takes what is left
        // between the old touch and the new fair value: the slow quoters' orders
        this.recentre(m);
        if (live) this.sweep(m, j.dir);
        m.nextJump = t + this.wait(this.p.news.jumpsPerHour * this.base(m) * this.timeMult(m, t));
      }
    }
  }

  // ------------------------------------------------------------------ the book

  /** best LP bid (whole cents) around the LPs' centre and this market's spread; ask = bid + spread */
  private bidTop(m: PMarket): number {
    return Math.max(0, Math.min(99 - m.spreadTicks, Math.floor(m.centreCents - m.spreadTicks / 2 + 0.5)));
  }

  /** the LP price of level k on a side (whole cents), or 0 when off the 1..99 grid */
  private levelCents(m: PMarket, side: BookSide, k: number): number {
    const bid = this.bidTop(m);
    const c = side === 'bid' ? bid - k : bid + m.spreadTicks + k;
    return c >= 1 && c <= 99 ? c : 0;
  }

  /** target size of a level (centi), fixed per price when first seen; 0 = a gap */
  private levelTarget(m: PMarket, side: BookSide, cents: number, k: number): number {
    const kk = key(side, cents);
    let v = m.levels.get(kk);
    if (v === undefined) {
      if (k > 0 && this.rng.chance(this.p.book.gapShare)) v = 0;
      else v = Math.max(ONE_CONTRACT, Math.round(this.p.book.deepLevelContracts * Math.exp(0.9 * this.rng.normal()) * ONE_CONTRACT));
      m.levels.set(kk, v);
    }
    if (k === 0) return m.touchTargetCenti; // the touch is never a gap
    return v;
  }

  private restingOf(m: PMarket, side: BookSide, cents: number): { ids: string[]; totalCenti: number } {
    const ids = (m.lp.get(key(side, cents)) ?? []).filter((id) => {
      const o = this.engine.orders.get(id);
      return !!o && o.status === 'resting';
    });
    if (ids.length) m.lp.set(key(side, cents), ids);
    else m.lp.delete(key(side, cents));
    let totalCenti = 0;
    for (const id of ids) totalCenti += this.engine.orders.get(id)!.remainingCenti;
    return { ids, totalCenti };
  }

  private place(m: PMarket, side: BookSide, cents: number, countCenti: number): void {
    const book = this.engine.markets.get(m.ticker)!.book;
    const price = cents * ONE_CENT;
    // LPs only rest: never at or through the other side
    if (side === 'bid' && book.bestAskIdx >= 0 && price >= book.bestAsk()) return;
    if (side === 'ask' && book.bestBidIdx >= 0 && price <= book.bestBid()) return;
    const r = this.engine.createOrder(FLOW_USERS.lp, { ticker: m.ticker, side, price, countCenti, tif: 'good_till_canceled', stp: 'maker', postOnly: true });
    if (r.ok && r.order.status === 'resting') {
      const kk = key(side, cents);
      const ids = m.lp.get(kk) ?? [];
      ids.push(r.order.orderId);
      m.lp.set(kk, ids);
    }
  }

  /** Cancels LP orders outside the ladder for the current fair value (one delta per order). */
  private recentre(m: PMarket): void {
    // real books keep their touch while the fair value stays inside the spread (the recorded
    // active books kept one mid for minutes): move only when it leaves it
    const b0 = this.bidTop(m);
    const fair = this.fair(m);
    if (fair < b0 || fair > b0 + m.spreadTicks) m.centreCents = fair;
    const bid = this.bidTop(m);
    if (bid === m.lastBidTop) return;
    m.lastBidTop = bid;
    const ask = bid + m.spreadTicks;
    const depth = this.p.book.depthLevels;
    for (const [kk, ids] of [...m.lp]) {
      const side = kk[0] === 'b' ? 'bid' : 'ask';
      const cents = Number(kk.slice(3));
      const out = side === 'bid' ? cents > bid || cents <= bid - depth : cents < ask || cents >= ask + depth;
      if (!out) continue;
      for (const id of ids) this.engine.cancelOrder(FLOW_USERS.lp, id);
      m.lp.delete(kk);
    }
  }

  private seedLadder(m: PMarket): void {
    this.recentre(m);
    for (const side of ['bid', 'ask'] as const) {
      for (let k = 0; k < this.p.book.depthLevels; k++) {
        const cents = this.levelCents(m, side, k);
        if (!cents) continue;
        const target = this.levelTarget(m, side, cents, k);
        if (target <= 0) continue;
        // a level is several orders
        const parts = 1 + this.rng.int(1, 3);
        for (let i = 0; i < parts; i++) this.place(m, side, cents, Math.max(ONE_CONTRACT, Math.round(target / parts)));
      }
    }
  }

  /**
   * One LP change: an order added to or cancelled from one level, pulling its size back to the
   * level's target (below it: add, above it: cancel). The last order of the touch is never
   * pulled: the recorded books kept their touch (and mid) for minutes.
   */
  private lpChange(m: PMarket): void {
    this.recentre(m);
    const side: BookSide = this.rng.chance(0.5) ? 'bid' : 'ask';
    let k = Math.min(this.p.book.depthLevels - 1, Math.floor(this.rng.exp(2)));
    let cents = this.levelCents(m, side, k);
    if (cents && k > 0 && this.levelTarget(m, side, cents, k) <= 0) {
      k = 0;
      cents = this.levelCents(m, side, 0);
    }
    if (!cents) return;
    const target = this.levelTarget(m, side, cents, k);
    const { ids, totalCenti } = this.restingOf(m, side, cents);
    const add = (frac: number) => this.place(m, side, cents, Math.max(ONE_CONTRACT, Math.round(target * frac * Math.exp(0.5 * this.rng.normal()))));
    const cancelable = k === 0 ? ids.length - 1 : ids.length;
    const cancel = () => this.engine.cancelOrder(FLOW_USERS.lp, ids[this.rng.int(ids.length - cancelable, ids.length - 1)]);
    if (totalCenti < 0.6 * target || cancelable <= 0) add(0.4);
    else if (totalCenti < 0.9 * target) add(0.25);
    else if (totalCenti > 1.3 * target) cancel();
    else if (this.rng.chance(0.5)) add(0.25);
    else cancel();
  }

  // ------------------------------------------------------------------ trades

  private tradeCenti(): number {
    const c = Math.exp(this.sizeMu + this.sizeSigma * this.rng.normal());
    return Math.round(Math.max(1, Math.min(this.p.trades.sizeContracts.max, c))) * ONE_CONTRACT;
  }

  /** A taker buying (dir 1) or selling (-1) at the touch; its size moves the fair value for good. */
  private publicTrade(m: PMarket, dir: 1 | -1, user: string): void {
    const book = this.engine.markets.get(m.ticker)!.book;
    if (dir > 0 ? book.bestAskIdx < 0 : book.bestBidIdx < 0) return;
    const countCenti = this.tradeCenti();
    this.engine.createOrder(user, {
      ticker: m.ticker,
      side: dir > 0 ? 'bid' : 'ask',
      price: dir > 0 ? book.bestAsk() : book.bestBid(),
      countCenti,
      tif: 'immediate_or_cancel',
      stp: 'taker_at_cross',
    });
    const impact = this.p.trades.impactTicksPerTouch * (countCenti / ONE_CONTRACT / this.p.book.touchSizeContracts.median);
    m.fairCents = clampFair(m.fairCents + dir * impact);
  }

  /** At a jump: an informed IOC of sweepTrades trade sizes, up to the new fair value. */
  private sweep(m: PMarket, dir: 1 | -1): void {
    const book = this.engine.markets.get(m.ticker)!.book;
    if (dir > 0 ? book.bestAskIdx < 0 : book.bestBidIdx < 0) return;
    const fair = this.fair(m);
    const limit = dir > 0 ? Math.floor(fair) * ONE_CENT : Math.ceil(fair) * ONE_CENT;
    let countCenti = 0;
    for (let i = 0; i < this.p.news.sweepTrades; i++) countCenti += this.tradeCenti();
    if (countCenti <= 0) return;
    this.engine.createOrder(FLOW_USERS.informed, { ticker: m.ticker, side: dir > 0 ? 'bid' : 'ask', price: limit, countCenti, tif: 'immediate_or_cancel', stp: 'taker_at_cross' });
  }
}

/** A market's next event times, indexed by the event kind handle() switches on. */
function nextTimes(m: PMarket): readonly number[] {
  SCRATCH[0] = m.nextDiffuse;
  SCRATCH[1] = m.nextQuietToggle;
  SCRATCH[2] = m.nextLp;
  SCRATCH[3] = m.nextIsolated;
  SCRATCH[4] = m.nextBurst;
  SCRATCH[5] = m.nextBurstTrade;
  SCRATCH[6] = m.nextJump;
  SCRATCH[7] = m.nextInformed;
  SCRATCH[8] = m.jump ? m.jump.atMs : Infinity;
  return SCRATCH;
}
const SCRATCH: number[] = new Array(9).fill(Infinity);

function clampFair(c: number): number {
  return Math.max(FAIR_MIN_CENTS, Math.min(100 - FAIR_MIN_CENTS, c));
}
