/**
 * Jump and schedule protection (issue 17): when the book says the price is moving faster than
 * our quotes can follow, and near a market's close, the maker steps back.
 *
 * In:  two consecutive BookFeatures of one market (the one before and the new one), its tick
 *      grid, the keys below; the market's close_time and the wall time.
 * Out: detectSweep: the sweep or jump the new update shows (or null); closePhase: 'stop',
 *      'widen' or '' for a time to close; widenSide: a side's levels moved away from the touch.
 *
 * Detection, from the book the strategy already gets (no new wire fields):
 *  - trade through levels (kmm_sweep_levels): a new public trade (trade_count grew) at or beyond
 *    the previous update's touch, priced through that many of the previous update's levels on
 *    that side (bids_top / asks_top; the touch counts as one). A buy at 52c against asks
 *    50c, 51c, 52c went through 3 levels. Without top levels, the grid ticks from the touch + 1.
 *  - jump (kmm_jump_cents): the others' best bid falls, or best ask rises, by that many cents
 *    in one update: the touch emptied (traded or cancelled) and the next level is far behind.
 *    Cents, not ticks: on a 0.1c band a three-tick move is one cancelled level.
 *    A side that empties altogether is not a jump: a one-sided book stops quoting already.
 * The caller pulls both sides for kmm_sweep_pull_ms from the detection (a new one restarts it).
 *
 * Limits: the book shard sends one BookFeatures per mailbox drain, so a sweep's trades and
 * deltas arrive together; a sweep spread over several updates, one level each, shows as
 * separate one-level trades and is caught only by the jump rule when the touch moves far.
 * Kalshi's market metadata has close_time, expected_expiration_time and
 * latest_expiration_time, and no schedule of news or data releases; the exchange schedule
 * (GET /exchange/schedule) is exchange-wide maintenance. So the schedule protection is the
 * close alone: widen inside kmm_close_widen_s, stop inside kmm_close_stop_s.
 *
 * Pure, allocation-free on the no-sweep path.
 */
import type { kmm, PriceGrid } from '@kmm/shared';

export interface JumpParams {
  kmm_sweep_levels: number;
  kmm_jump_cents: number;
  kmm_sweep_pull_ms: number;
  kmm_close_widen_s: number;
  kmm_close_widen_ticks: number;
  kmm_close_stop_s: number;
}

export interface Sweep {
  kind: 'trade_through' | 'touch_jump';
  /** the side of the book that was taken or moved away: 'ASK' (price up) or 'BID' (price down) */
  bookSide: 'BID' | 'ASK';
  /** trade_through: levels the trade went through; touch_jump: cents the touch moved */
  size: number;
  /** trade_through: the trade's price; touch_jump: the new touch */
  price: number;
  /** the touch before the update */
  fromPrice: number;
}

/** Levels of `levels` (best first) a trade at `price` went through: those at or better than it for the taker. */
function levelsThrough(levels: readonly kmm.v1.IPriceLevel[] | null | undefined, touch: number, price: number, buy: boolean, grid: PriceGrid): number {
  if (levels && levels.length > 0) {
    let n = 0;
    for (const lv of levels) {
      const p = lv.price ?? 0;
      if (p <= 0) continue;
      if (buy ? p <= price : p >= price) n++;
    }
    return n;
  }
  const a = grid.indexOf(touch);
  const b = grid.indexOf(price);
  return a < 0 || b < 0 ? 0 : Math.abs(b - a) + 1;
}

const PRICE_PER_CENT = 100;
const othersBid = (f: kmm.v1.IBookFeatures): number => f.othersBestBid || f.bestBid || 0;
const othersAsk = (f: kmm.v1.IBookFeatures): number => f.othersBestAsk || f.bestAsk || 0;

/** The sweep or jump `next` shows against `prev` (null: none, or the rule is off). */
export function detectSweep(prev: kmm.v1.IBookFeatures | null, next: kmm.v1.IBookFeatures, grid: PriceGrid, p: JumpParams): Sweep | null {
  if (prev === null) return null;
  const pb = othersBid(prev);
  const pa = othersAsk(prev);
  if (p.kmm_sweep_levels > 0 && Number(next.tradeCount ?? 0) > Number(prev.tradeCount ?? 0)) {
    const price = next.lastTradePrice ?? 0;
    // the full touch before the trade (our own orders are in the way of a sweep too)
    const bb = prev.bestBid || pb;
    const ba = prev.bestAsk || pa;
    if (price > 0 && ba > 0 && price >= ba) {
      const n = levelsThrough(prev.asksTop, ba, price, true, grid);
      if (n >= p.kmm_sweep_levels) return { kind: 'trade_through', bookSide: 'ASK', size: n, price, fromPrice: ba };
    } else if (price > 0 && bb > 0 && price <= bb) {
      const n = levelsThrough(prev.bidsTop, bb, price, false, grid);
      if (n >= p.kmm_sweep_levels) return { kind: 'trade_through', bookSide: 'BID', size: n, price, fromPrice: bb };
    }
  }
  if (p.kmm_jump_cents > 0) {
    const nb = othersBid(next);
    const na = othersAsk(next);
    const minMove = p.kmm_jump_cents * PRICE_PER_CENT;
    if (pb > 0 && nb > 0 && pb - nb >= minMove) return { kind: 'touch_jump', bookSide: 'BID', size: (pb - nb) / PRICE_PER_CENT, price: nb, fromPrice: pb };
    if (pa > 0 && na > 0 && na - pa >= minMove) return { kind: 'touch_jump', bookSide: 'ASK', size: (na - pa) / PRICE_PER_CENT, price: na, fromPrice: pa };
  }
  return null;
}

export type ClosePhase = '' | 'widen' | 'stop';

/** Where a market stands against its close: 'stop' inside kmm_close_stop_s, 'widen' inside kmm_close_widen_s. */
export function closePhase(closeTimeMs: number, nowMs: number, p: JumpParams): ClosePhase {
  if (closeTimeMs <= 0) return '';
  const leftMs = closeTimeMs - nowMs;
  if (p.kmm_close_stop_s > 0 && leftMs <= p.kmm_close_stop_s * 1000) return 'stop';
  if (p.kmm_close_widen_s > 0 && p.kmm_close_widen_ticks > 0 && leftMs <= p.kmm_close_widen_s * 1000) return 'widen';
  return '';
}

/**
 * Moves a side's `n` levels `ticks` further from the touch on the grid, in place (bids down,
 * asks up). Levels that would land on or behind the one before (the grid's edge) are dropped.
 * Returns the level count kept.
 */
export function widenSide(grid: PriceGrid, prices: Int32Array, n: number, ticks: number, isBid: boolean): number {
  let kept = 0;
  for (let i = 0; i < n; i++) {
    const from = prices[i];
    if (grid.indexOf(from) < 0) break;
    const to = grid.step(from, isBid ? -ticks : ticks);
    if (to === from) break; // at the grid's edge: no room to step back
    if (kept > 0 && (isBid ? to >= prices[kept - 1] : to <= prices[kept - 1])) break;
    prices[kept++] = to;
  }
  return kept;
}
