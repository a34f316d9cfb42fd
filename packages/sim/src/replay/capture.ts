/**
 * Recorded market data for the replay market: parses a websocket capture (Kalshi's raw frames,
 * one per line as in session.jsonl, or our run folder's capture.jsonl where each line is
 * {"recv_ns","recv_ms","frame":"<raw frame>"}) into time-ordered book and trade events on the
 * YES book (a NO-leg bid at q is a YES ask at $1 - q).
 *
 * In:  the capture's text. Out: ReplayCapture (markets seen, events with their time offset from
 *      the first timed line, in ms). Pure: no I/O, no clock.
 * Used: orderbook_snapshot, orderbook_delta and trade frames; everything else (fills, user
 *      orders, acks) is skipped. Time of a line: recv_ms when we captured it, else the frame's
 *      ts_ms / ts; a line without one takes the previous line's time (the first lines: the first
 *      known time). Offsets never go backwards.
 * Prints and their deltas: a recorded trade takes size off the maker's level and Kalshi also
 * sends that level's delta (in either order: our simulator sends the delta first). Each trade is
 * paired with the negative deltas at its maker level within PAIR_WINDOW_MS (nearest in time first); the paired part of a
 * delta is marked `tradedCenti` (the driver must not remove it twice) and a trade whose delta
 * came first is moved just before that delta, so the print always reaches the book first.
 * Bad input: a line that is not JSON or a book/trade frame with unreadable fields throws an
 * Error naming the line number and the field.
 */
import { ONE_DOLLAR, parseCount, parsePrice } from '@kmm/shared';
import type { BookSide } from '../engine/types.js';

/** a print and its level's delta are paired when their times differ by at most this */
export const PAIR_WINDOW_MS = 2_000;

export interface ReplaySnapshot {
  kind: 'snapshot';
  tMs: number;
  ticker: string;
  /** YES bids [price, countCenti], YES asks [price, countCenti] (price in 1/10,000 $) */
  bids: Array<[number, number]>;
  asks: Array<[number, number]>;
}
export interface ReplayDelta {
  kind: 'delta';
  tMs: number;
  ticker: string;
  side: BookSide;
  price: number;
  deltaCenti: number;
  /** part of a decrease explained by recorded prints (0..-deltaCenti) */
  tradedCenti: number;
}
export interface ReplayTrade {
  kind: 'trade';
  tMs: number;
  ticker: string;
  /** the maker's YES price */
  price: number;
  countCenti: number;
  /** the taker's side; null when the frame does not say and no delta told us */
  takerSide: BookSide | null;
}
export type ReplayEvent = ReplaySnapshot | ReplayDelta | ReplayTrade;

export interface ReplayMarket {
  ticker: string;
  /** market_id as recorded ('' when the capture has none) */
  marketId: string;
  /** every price the capture shows for this market (for choosing its grid) */
  prices: Set<number>;
}

export interface ReplayCapture {
  markets: ReplayMarket[];
  events: ReplayEvent[];
  /** wall time of the first timed line (ms), 0 when no line has a time */
  startWallMs: number;
  /** offset of the last event */
  spanMs: number;
  /** frames skipped because they are not book or trade frames */
  skipped: number;
}

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function legLevels(m: Obj, leg: 'yes' | 'no', where: string): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  let v = m[`${leg}_dollars_fp`] ?? m[`${leg}_dollars`];
  const cents = v === undefined && m[leg] !== undefined;
  if (cents) v = m[leg];
  if (v === undefined || v === null) return out;
  if (!Array.isArray(v)) throw new Error(`${where}: ${leg} levels are not an array`);
  for (let i = 0; i < v.length; i++) {
    const lv = v[i];
    if (!Array.isArray(lv) || lv.length < 2) throw new Error(`${where}: ${leg} level ${i} is not [price, size]`);
    const price = cents ? centsToPrice(lv[0], `${where}: ${leg}[${i}] price`) : parsePrice(lv[0], `${where}: ${leg}[${i}] price`);
    const size = cents ? wholeToCenti(lv[1], `${where}: ${leg}[${i}] size`) : parseCount(lv[1], `${where}: ${leg}[${i}] size`, false);
    if (size > 0) out.push([price, size]);
  }
  return out;
}

function centsToPrice(v: unknown, field: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 100) throw new Error(`${field}: expected integer cents, got ${JSON.stringify(v)}`);
  return v * 100;
}
function wholeToCenti(v: unknown, field: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v)) throw new Error(`${field}: expected an integer count, got ${JSON.stringify(v)}`);
  return v * 100;
}

function frameMs(m: Obj): number {
  if (typeof m.ts_ms === 'number' && m.ts_ms > 0) return m.ts_ms;
  if (typeof m.ts === 'number' && m.ts > 0) return m.ts < 1e11 ? m.ts * 1000 : m.ts; // trade ts: seconds
  if (typeof m.ts === 'string') {
    const t = Date.parse(m.ts);
    if (Number.isFinite(t)) return t;
  }
  return 0;
}

function str(m: Obj, k: string, where: string): string {
  const v = m[k];
  if (typeof v !== 'string' || v === '') throw new Error(`${where}: missing "${k}"`);
  return v;
}

interface Timed {
  wallMs: number;
  ev: ReplayEvent;
}

/** Parses a capture's text. Throws on a line that is not JSON or a malformed book/trade frame. */
export function parseReplayCapture(text: string): ReplayCapture {
  const timed: Timed[] = [];
  const markets = new Map<string, ReplayMarket>();
  let skipped = 0;
  const marketOf = (ticker: string, id: unknown): ReplayMarket => {
    let mk = markets.get(ticker);
    if (!mk) markets.set(ticker, (mk = { ticker, marketId: '', prices: new Set() }));
    if (!mk.marketId && typeof id === 'string') mk.marketId = id;
    return mk;
  };
  const lines = text.split('\n');
  for (let n = 0; n < lines.length; n++) {
    const line = lines[n].trim();
    if (line === '') continue;
    const where = `capture line ${n + 1}`;
    let v: unknown;
    try {
      v = JSON.parse(line);
    } catch (e) {
      throw new Error(`${where} is not JSON (${(e as Error).message})`);
    }
    let recvMs = 0;
    if (isObj(v) && 'frame' in v && !('type' in v)) {
      recvMs = typeof v.recv_ms === 'number' ? v.recv_ms : 0;
      const f = v.frame;
      try {
        v = typeof f === 'string' ? JSON.parse(f) : f;
      } catch (e) {
        throw new Error(`${where}: its frame is not JSON (${(e as Error).message})`);
      }
    }
    if (!isObj(v) || !isObj(v.msg)) {
      skipped++;
      continue;
    }
    const m = v.msg;
    const wallMs = recvMs > 0 ? recvMs : frameMs(m);
    switch (v.type) {
      case 'orderbook_snapshot': {
        const ticker = str(m, 'market_ticker', where);
        const mk = marketOf(ticker, m.market_id);
        const bids = legLevels(m, 'yes', where);
        const asks = legLevels(m, 'no', where).map(([p, c]): [number, number] => [ONE_DOLLAR - p, c]);
        for (const [p] of bids) mk.prices.add(p);
        for (const [p] of asks) mk.prices.add(p);
        timed.push({ wallMs, ev: { kind: 'snapshot', tMs: 0, ticker, bids, asks } });
        break;
      }
      case 'orderbook_delta': {
        const ticker = str(m, 'market_ticker', where);
        const mk = marketOf(ticker, m.market_id);
        if (m.side !== 'yes' && m.side !== 'no') throw new Error(`${where}: delta side must be "yes" or "no", got ${JSON.stringify(m.side)}`);
        const leg = m.price_dollars !== undefined ? parsePrice(m.price_dollars, `${where}: price_dollars`) : centsToPrice(m.price, `${where}: price`);
        const deltaCenti = m.delta_fp !== undefined ? parseCount(m.delta_fp, `${where}: delta_fp`, true) : wholeToCenti(m.delta, `${where}: delta`);
        if (deltaCenti === 0) break;
        const side: BookSide = m.side === 'yes' ? 'bid' : 'ask';
        const price = side === 'bid' ? leg : ONE_DOLLAR - leg;
        mk.prices.add(price);
        timed.push({ wallMs, ev: { kind: 'delta', tMs: 0, ticker, side, price, deltaCenti, tradedCenti: 0 } });
        break;
      }
      case 'trade': {
        const ticker = str(m, 'market_ticker', where);
        const mk = marketOf(ticker, m.market_id);
        const price = m.yes_price_dollars !== undefined ? parsePrice(m.yes_price_dollars, `${where}: yes_price_dollars`) : centsToPrice(m.yes_price, `${where}: yes_price`);
        const countCenti = m.count_fp !== undefined ? parseCount(m.count_fp, `${where}: count_fp`, false) : wholeToCenti(m.count, `${where}: count`);
        let takerSide: BookSide | null = null;
        if (m.taker_book_side === 'bid' || m.taker_book_side === 'ask') takerSide = m.taker_book_side;
        else if (m.taker_side === 'yes') takerSide = 'bid';
        else if (m.taker_side === 'no') takerSide = 'ask';
        mk.prices.add(price);
        if (countCenti > 0) timed.push({ wallMs, ev: { kind: 'trade', tMs: 0, ticker, price, countCenti, takerSide } });
        break;
      }
      default:
        skipped++;
    }
  }
  // Offsets: untimed lines take the previous time (the leading ones the first known time).
  let first = 0;
  for (const t of timed) {
    if (t.wallMs > 0) {
      first = t.wallMs;
      break;
    }
  }
  let last = 0;
  for (const t of timed) {
    const off = t.wallMs > 0 && first > 0 ? t.wallMs - first : last;
    last = Math.max(last, off);
    t.ev.tMs = last;
  }
  const events = pairTrades(timed.map((t) => t.ev));
  return {
    markets: [...markets.values()].sort((a, b) => (a.ticker < b.ticker ? -1 : a.ticker > b.ticker ? 1 : 0)),
    events,
    startWallMs: first,
    spanMs: events.length > 0 ? events[events.length - 1].tMs : 0,
    skipped,
  };
}

/**
 * Pairs each print with the negative deltas of its maker level (same market, side and price,
 * within PAIR_WINDOW_MS, nearest in time first, then in line order) and moves a print before its earliest paired delta.
 */
function pairTrades(events: ReplayEvent[]): ReplayEvent[] {
  const key = new Float64Array(events.length);
  for (let i = 0; i < events.length; i++) key[i] = i;
  for (let i = 0; i < events.length; i++) {
    const t = events[i];
    if (t.kind !== 'trade') continue;
    const makerSides: BookSide[] = t.takerSide === null ? ['bid', 'ask'] : [t.takerSide === 'bid' ? 'ask' : 'bid'];
    // candidates by distance in the line order, within the window
    const cands: number[] = [];
    for (let j = i - 1; j >= 0 && events[j].tMs >= t.tMs - PAIR_WINDOW_MS; j--) cands.push(j);
    for (let j = i + 1; j < events.length && events[j].tMs <= t.tMs + PAIR_WINDOW_MS; j++) cands.push(j);
    const dt = (j: number) => Math.abs(events[j].tMs - t.tMs);
    cands.sort((a, b) => dt(a) - dt(b) || Math.abs(a - i) - Math.abs(b - i) || a - b);
    let left = t.countCenti;
    let earliest = i;
    for (const j of cands) {
      if (left <= 0) break;
      const d = events[j];
      if (d.kind !== 'delta' || d.ticker !== t.ticker || d.price !== t.price || d.deltaCenti >= 0 || !makerSides.includes(d.side)) continue;
      const room = -d.deltaCenti - d.tradedCenti;
      if (room <= 0) continue;
      const take = Math.min(room, left);
      d.tradedCenti += take;
      left -= take;
      if (t.takerSide === null) t.takerSide = d.side === 'bid' ? 'ask' : 'bid';
      if (j < earliest) earliest = j;
    }
    if (earliest < i) {
      key[i] = earliest - 0.5 + i / (events.length + 1) / 2; // just before that delta, prints in their own order
      t.tMs = events[earliest].tMs;
    }
  }
  const order = events.map((_, i) => i).sort((a, b) => key[a] - key[b]);
  return order.map((i) => events[i]);
}
