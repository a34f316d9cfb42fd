/**
 * The replay market: drives the engine's public book from a recording (capture.ts) instead of
 * synthetic flow. A `replay-book` participant owns every recorded level: each recorded increase
 * is a new order of that size at the back of the level's queue, so an order of ours that arrives
 * at a level queues behind exactly the recorded size there (exact price-time priority, by the
 * engine's own FIFO). Recorded prints are replayed as IOC orders of a `replay-trades` participant
 * at the print's price: they consume the level from the front, ours included when we are ahead
 * (or better priced). A recorded level that comes to our price from the other side trades with
 * us first (the engine matches it), as the real order would have.
 *
 * A recorded decrease that no print explains is, by the queue model:
 *  - pessimistic:  a cancel, taken from the back of the queue (behind us first). We move up only
 *                  by prints; with a capture without prints we fill only when the book moves
 *                  through our price.
 *  - proportional: spread over the level in proportion to size: the replay size ahead of us,
 *                  our size and the replay size behind us each take their share. The shares ahead
 *                  and behind are cancels there; our share, at the recorded touch and with
 *                  nothing of the replay left ahead of us, is a trade that fills us (else it is
 *                  taken from ahead of us: we move up).
 *  - optimistic:   at the recorded touch (best price of its side) a trade from the front (fills
 *                  us when we are ahead); deeper in the book a cancel from the front (ahead of us).
 * Snapshots (the first one, or after a re-subscription) set every level to its recorded size;
 * what they remove is taken from the back in every model.
 *
 * Sizes are applied as changes, not absolute values: liquidity our orders took stays taken until
 * the recording removes the level, and a print that filled us leaves the size it did not take
 * from the others (the counterfactual book with us in it). Without our orders the engine's book
 * equals the recording's after every event (tested).
 *
 * Time: step(nowMs) applies every event whose time (start + offset / speed) has come, in capture
 * order; nothing here reads a clock, does I/O or draws random numbers. When the recording ends
 * the book stays as it was (`finished`), trading on it goes on.
 * Engine refusals (while the exchange or trading is paused) are counted in stats.refused; at the
 * first step after the pause every level is set to its recorded size again (as by a snapshot).
 */
import { ONE_CENT, ONE_DOLLAR, type PriceBand } from '@kmm/shared';
import type { Engine } from '../engine/engine.js';
import { uuidFrom } from '../engine/ids.js';
import type { BookSide, MarketSpec, OrderRec, SeriesSpec } from '../engine/types.js';
import { priceStructureBands, SERIES } from '../flow/catalog.js';
import type { ReplayCapture, ReplayDelta, ReplaySnapshot, ReplayTrade } from './capture.js';

export type QueueModelName = 'pessimistic' | 'proportional' | 'optimistic';
export const QUEUE_MODEL_NAMES: readonly QueueModelName[] = ['pessimistic', 'proportional', 'optimistic'];

export const REPLAY_USERS = { book: 'replay-book', trades: 'replay-trades' } as const;
const REPLAY_CASH_MICRO = 1e9 * 1e6; // $1bn each: the recorded participants never run out
/**
 * A replay market closes this long after the start (the recording has no close time): far
 * beyond any replay run, and inside the default market selection limit
 * (max_time_to_resolution_hours = 120), so `kmm run --env sim` trades it too.
 */
export const REPLAY_CLOSE_AFTER_MS = 96 * 3_600_000;

export interface ReplayDriverOptions {
  /** wall time (ms) at which the recording starts playing */
  startMs: number;
  /** time scale: 2 = the recording plays twice as fast (default 1) */
  speed?: number;
  /** what an unexplained level decrease is (default pessimistic) */
  queueModel?: QueueModelName;
}

export interface ReplayStats {
  events: number;
  snapshots: number;
  deltas: number;
  prints: number;
  /** unexplained decreases the queue model turned into trades (optimistic, proportional) */
  inferredTrades: number;
  /** size (centi) of our orders filled by replayed prints and inferred trades */
  ourFillCenti: number;
  /** engine refusals of replay operations */
  refused: number;
}

/** The engine market specs of a capture's markets (linear cent grid unless it shows sub-cent prices). */
export function replayMarketSpecs(capture: ReplayCapture, nowMs: number, newId: () => string): MarketSpec[] {
  return capture.markets.map((m) => {
    let structure = 'linear_cent';
    for (const p of m.prices) {
      if (p <= 0 || p >= ONE_DOLLAR) throw new Error(`replay: ${m.ticker} has price ${p / ONE_DOLLAR} outside (0, 1)`);
      if (p % 10 !== 0) throw new Error(`replay: ${m.ticker} has price ${p / ONE_DOLLAR}, finer than 0.001 (no Kalshi grid has it)`);
      if (p % ONE_CENT !== 0) structure = 'deci_cent';
    }
    const bands: PriceBand[] = priceStructureBands(structure);
    const parts = m.ticker.split('-');
    return {
      ticker: m.ticker,
      marketId: m.marketId || newId(),
      eventTicker: parts.length > 1 ? parts.slice(0, 2).join('-') : m.ticker,
      seriesTicker: parts[0],
      title: `Replay of ${m.ticker}`,
      yesSubTitle: m.ticker,
      priceLevelStructure: structure,
      bands,
      openTimeMs: nowMs - 86_400_000,
      closeTimeMs: nowMs + REPLAY_CLOSE_AFTER_MS,
      createdTimeMs: nowMs - 2 * 86_400_000,
      settlementTimerS: 600,
      exchangeIndex: 0,
    };
  });
}

/** Adds a capture's series (known fee schedules, else quadratic x1) and markets to the engine. */
export function addReplayMarkets(engine: Engine, capture: ReplayCapture, nowMs: number): MarketSpec[] {
  const specs = replayMarketSpecs(capture, nowMs, () => uuidFrom(engine.rng));
  for (const s of specs) {
    if (engine.series.has(s.seriesTicker)) continue;
    const known = SERIES.find((x) => x.ticker === s.seriesTicker);
    const series: SeriesSpec = known ?? { ticker: s.seriesTicker, title: s.seriesTicker, category: 'Replay', feeType: 'quadratic', feeMultiplierMilli: 1000 };
    engine.addSeries(series);
  }
  for (const s of specs) engine.addMarket(s);
  return specs;
}

type Levels = Map<number, number>;

export class ReplayDriver {
  readonly stats: ReplayStats = { events: 0, snapshots: 0, deltas: 0, prints: 0, inferredTrades: 0, ourFillCenti: 0, refused: 0 };
  readonly queueModel: QueueModelName;
  readonly speed: number;
  private readonly startMs: number;
  private next = 0;
  /** an operation was refused: set every level to the recording once the engine accepts again */
  private resyncDue = false;
  /** the recording's own book so far, per market: YES bids and YES asks by price */
  private readonly recorded = new Map<string, { bid: Levels; ask: Levels }>();

  constructor(
    private readonly engine: Engine,
    private readonly capture: ReplayCapture,
    opts: ReplayDriverOptions,
  ) {
    const speed = opts.speed ?? 1;
    if (!(speed > 0) || !Number.isFinite(speed)) throw new Error(`replay speed must be a positive number (got ${speed})`);
    const model = opts.queueModel ?? 'pessimistic';
    if (!QUEUE_MODEL_NAMES.includes(model)) throw new Error(`queue model must be one of ${QUEUE_MODEL_NAMES.join(', ')} (got '${model}')`);
    this.speed = speed;
    this.queueModel = model;
    this.startMs = opts.startMs;
    for (const u of Object.values(REPLAY_USERS)) if (!engine.accounts.has(u)) engine.createAccount(u, REPLAY_CASH_MICRO);
    for (const m of capture.markets) {
      if (!engine.markets.has(m.ticker)) throw new Error(`replay: market ${m.ticker} is not in the engine (addReplayMarkets first)`);
      this.recorded.set(m.ticker, { bid: new Map(), ask: new Map() });
    }
  }

  /** every recorded event has been applied (the book now stays as it is) */
  get finished(): boolean {
    return this.next >= this.capture.events.length;
  }

  /** length of the recording (ms, first to last event, at speed 1) */
  get recordingMs(): number {
    return this.capture.spanMs;
  }

  /** wall time (ms) at which the last recorded event plays */
  get endMs(): number {
    return this.startMs + this.capture.spanMs / this.speed;
  }

  /** Applies every event due by nowMs, in capture order. Returns how many were applied. */
  step(nowMs: number): number {
    const evs = this.capture.events;
    let n = 0;
    if (this.resyncDue && this.engine.exchangeActive && this.engine.tradingActive) {
      this.resyncDue = false;
      for (const [ticker, rec] of this.recorded) this.setLevels(ticker, new Map(rec.bid), new Map(rec.ask));
    }
    while (this.next < evs.length && this.startMs + evs[this.next].tMs / this.speed <= nowMs) {
      const e = evs[this.next++];
      n++;
      this.stats.events++;
      if (e.kind === 'snapshot') this.snapshot(e);
      else if (e.kind === 'delta') this.delta(e);
      else this.print(e);
    }
    return n;
  }

  /** The recording's book of a market so far: [price, countCenti] ascending, YES bids and asks. */
  recordedBook(ticker: string): { bids: Array<[number, number]>; asks: Array<[number, number]> } | null {
    const r = this.recorded.get(ticker);
    if (!r) return null;
    const sorted = (l: Levels) => [...l.entries()].filter(([, c]) => c > 0).sort((a, b) => a[0] - b[0]);
    return { bids: sorted(r.bid), asks: sorted(r.ask) };
  }

  // ---------------------------------------------------------------- events

  private snapshot(e: ReplaySnapshot): void {
    this.stats.snapshots++;
    const rec = this.recorded.get(e.ticker)!;
    rec.bid = new Map(e.bids);
    rec.ask = new Map(e.asks);
    this.setLevels(e.ticker, new Map(e.bids), new Map(e.asks));
  }

  /** Sets the replay's size at every level of a market to the target (removals from the back). */
  private setLevels(ticker: string, bid: Levels, ask: Levels): void {
    const target = { bid, ask };
    // removals first (both sides), then additions: a moved book never crosses its stale levels
    for (const side of ['bid', 'ask'] as const) {
      const book = this.bookOf(ticker);
      const tot = side === 'bid' ? book.bidTotal : book.askTotal;
      for (let i = 0; i < tot.length; i++) {
        if (tot[i] <= 0) continue;
        const price = book.grid.prices[i];
        const have = this.replaySize(ticker, side, price);
        const want = target[side].get(price) ?? 0;
        if (have > want) this.cancelFrom('back', ticker, side, price, have - want);
      }
    }
    for (const side of ['bid', 'ask'] as const) {
      for (const [price, want] of target[side]) {
        const have = this.replaySize(ticker, side, price);
        if (want > have) this.add(ticker, side, price, want - have);
      }
    }
  }

  private delta(e: ReplayDelta): void {
    this.stats.deltas++;
    const rec = this.recorded.get(e.ticker)!;
    const levels = e.side === 'bid' ? rec.bid : rec.ask;
    const before = levels.get(e.price) ?? 0;
    const after = Math.max(0, before + e.deltaCenti);
    if (after > 0) levels.set(e.price, after);
    else levels.delete(e.price);
    if (e.deltaCenti > 0) {
      this.add(e.ticker, e.side, e.price, e.deltaCenti);
      return;
    }
    // the part a recorded print explains was taken by that print already (it plays first)
    const unexplained = -e.deltaCenti - e.tradedCenti;
    if (unexplained <= 0) {
      if (after === 0) this.cancelFrom('back', e.ticker, e.side, e.price, this.replaySize(e.ticker, e.side, e.price));
      return;
    }
    const atTouch = e.side === 'bid' ? e.price >= maxKey(levels, e.price) : e.price <= minKey(levels, e.price);
    switch (this.queueModel) {
      case 'pessimistic':
        this.cancelFrom('back', e.ticker, e.side, e.price, unexplained);
        break;
      case 'optimistic':
        if (atTouch) this.trade(e.ticker, e.side, e.price, unexplained, true);
        else this.cancelFrom('front', e.ticker, e.side, e.price, unexplained);
        break;
      default:
        this.proportional(e.ticker, e.side, e.price, unexplained, atTouch);
    }
    // a level the recording empties is empty in the replay too (bounds what our fills left over)
    if (after === 0) {
      const rest = this.replaySize(e.ticker, e.side, e.price);
      if (rest > 0) this.cancelFrom('back', e.ticker, e.side, e.price, rest);
    }
  }

  private print(e: ReplayTrade): void {
    this.stats.prints++;
    if (e.takerSide === null) return; // no side and no delta to tell it: cannot be placed (counted in prints only)
    const makerSide: BookSide = e.takerSide === 'bid' ? 'ask' : 'bid';
    this.trade(e.ticker, makerSide, e.price, e.countCenti, false);
  }

  // ---------------------------------------------------------------- level operations

  private bookOf(ticker: string) {
    return this.engine.markets.get(ticker)!.book;
  }

  private queue(ticker: string, side: BookSide, price: number): OrderRec[] {
    const book = this.bookOf(ticker);
    const i = book.grid.indexOf(price);
    if (i < 0) return [];
    return side === 'bid' ? book.bids[i] : book.asks[i];
  }

  private replaySize(ticker: string, side: BookSide, price: number): number {
    let s = 0;
    for (const o of this.queue(ticker, side, price)) if (o.userId === REPLAY_USERS.book) s += o.remainingCenti;
    return s;
  }

  /** New recorded size at the back of the queue. If it reaches our orders across the spread, it trades with them. */
  private add(ticker: string, side: BookSide, price: number, countCenti: number): void {
    const r = this.engine.createOrder(REPLAY_USERS.book, {
      ticker,
      side,
      price,
      countCenti,
      tif: 'good_till_canceled',
      // a stale replay level on the other side (the recording sends its deltas one by one) is
      // cancelled rather than traded with
      stp: 'maker',
    });
    if (!r.ok) this.refused();
  }

  /** Removes up to `countCenti` of the replay's size at a level, newest ('back') or oldest ('front') first. */
  private cancelFrom(end: 'front' | 'back', ticker: string, side: BookSide, price: number, countCenti: number): number {
    const q = this.queue(ticker, side, price).filter((o) => o.userId === REPLAY_USERS.book);
    if (end === 'back') q.reverse();
    let left = countCenti;
    for (const o of q) {
      if (left <= 0) break;
      const take = Math.min(left, o.remainingCenti);
      const r = this.engine.decreaseOrder(REPLAY_USERS.book, o.orderId, { reduceByCenti: take });
      if (!r.ok) {
        this.refused();
        break;
      }
      left -= take;
    }
    return countCenti - left;
  }

  /**
   * A trade of `countCenti` against the `makerSide` level at `price`: an IOC from the other side,
   * so it takes the queue from the front (and better-priced orders of ours first).
   */
  private trade(ticker: string, makerSide: BookSide, price: number, countCenti: number, inferred: boolean): void {
    const ours = this.ourResting(ticker, makerSide);
    const r = this.engine.createOrder(REPLAY_USERS.trades, {
      ticker,
      side: makerSide === 'bid' ? 'ask' : 'bid',
      price,
      countCenti,
      tif: 'immediate_or_cancel',
      stp: 'taker_at_cross',
    });
    if (!r.ok) {
      this.refused();
      return;
    }
    if (inferred) this.stats.inferredTrades++;
    this.stats.ourFillCenti += ours - this.ourResting(ticker, makerSide);
  }

  private refused(): void {
    this.stats.refused++;
    this.resyncDue = true;
  }

  private ourResting(ticker: string, side: BookSide): number {
    const book = this.bookOf(ticker);
    const qs = side === 'bid' ? book.bids : book.asks;
    let s = 0;
    for (const q of qs) for (const o of q) if (o.userId !== REPLAY_USERS.book) s += o.remainingCenti;
    return s;
  }

  private proportional(ticker: string, side: BookSide, price: number, d: number, atTouch: boolean): void {
    const q = this.queue(ticker, side, price);
    let ahead = 0;
    let ours = 0;
    let behind = 0;
    let seenOurs = false;
    for (const o of q) {
      if (o.userId !== REPLAY_USERS.book) {
        seenOurs = true;
        ours += o.remainingCenti;
      } else if (seenOurs) behind += o.remainingCenti;
      else ahead += o.remainingCenti;
    }
    const total = ahead + ours + behind;
    if (ours === 0 || total === 0) {
      this.cancelFrom('back', ticker, side, price, d);
      return;
    }
    let fromAhead = Math.min(ahead, Math.floor((d * ahead) / total));
    let fromUs = Math.min(ours, Math.floor((d * ours) / total));
    if (!(atTouch && ahead - fromAhead === 0)) {
      // a trade cannot reach us past the size ahead: our share moves us up instead
      fromAhead = Math.min(ahead, fromAhead + fromUs);
      fromUs = 0;
    }
    const fromBehind = d - fromAhead - fromUs;
    if (fromAhead > 0) this.cancelFrom('front', ticker, side, price, fromAhead);
    if (fromUs > 0) this.trade(ticker, side, price, fromUs, true);
    if (fromBehind > 0) this.cancelFrom('back', ticker, side, price, fromBehind);
  }
}

function maxKey(m: Levels, dflt: number): number {
  let best = dflt;
  for (const [p, c] of m) if (c > 0 && p > best) best = p;
  return best;
}
function minKey(m: Levels, dflt: number): number {
  let best = dflt;
  for (const [p, c] of m) if (c > 0 && p < best) best = p;
  return best;
}
