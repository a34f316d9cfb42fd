/**
 * Online estimate behind the grid model's half-spread floor (pricing.ts, kmm_pricing_model=grid):
 * MarkoutEstimator, the adverse selection of our own fills: kmm_markout_s after each fill, the
 * loss against the mid then (bid: price - mid, ask: mid - price; price units, > 0 = adverse),
 * each counted at most MARKOUT_LOSS_CAP_TICKS, averaged by an EWMA (MARKOUT_ALPHA per fill). Its
 * positive part floors the half-spread.
 * Why the cap: on Kalshi's books most of a market's variance comes in news jumps (91 % from moves
 * of 5c or more in the real NCAA prints), and a jump sweeps every resting quote, at the touch or a
 * tick behind. One 7c jump fill put the floor at 1.4c, pushing the quotes behind the touch, where
 * fills are rare, so no later fill pulled it back: the floor learnt the jump, not the placement
 * (15-minute demo, backtest: at the touch 35 % of quoting time; with the cap 60 %).
 * (The fill intensity kappa is the book shard's: @kmm/shared KappaEstimator, BookFeatures.kappa_per_tick.)
 *
 * Pure, deterministic: time comes in (ms). Bounded: PENDING_MAX pending markouts per market.
 */

/** EWMA weight of each new markout. */
export const MARKOUT_ALPHA = 0.2;
/** Largest loss one markout counts, in ticks of the market's grid at the mid. */
export const MARKOUT_LOSS_CAP_TICKS = 2;
export const PENDING_MAX = 64;

interface PendingMarkout {
  dueMs: number;
  isBid: boolean;
  price: number;
}

export class MarkoutEstimator {
  private readonly pending: PendingMarkout[] = [];
  /** EWMA of the markout loss, price units (> 0 adverse) */
  lossPrice = 0;
  samples = 0;

  /** One of our fills (price units); its markout is taken `horizonMs` later. Oldest dropped past PENDING_MAX. */
  onFill(isBid: boolean, price: number, nowMs: number, horizonMs: number): void {
    if (this.pending.length >= PENDING_MAX) this.pending.shift();
    this.pending.push({ dueMs: nowMs + horizonMs, isBid, price });
  }

  /** Takes the markouts due by nowMs against `mid` (> 0), `tickPrice` the grid's tick there; returns how many were taken. */
  evaluate(nowMs: number, mid: number, tickPrice: number): number {
    if (!(mid > 0)) return 0;
    let taken = 0;
    while (this.pending.length > 0 && this.pending[0].dueMs <= nowMs) {
      const p = this.pending.shift() as PendingMarkout;
      const loss = Math.min(p.isBid ? p.price - mid : mid - p.price, MARKOUT_LOSS_CAP_TICKS * tickPrice);
      this.lossPrice = this.samples === 0 ? loss : this.lossPrice + MARKOUT_ALPHA * (loss - this.lossPrice);
      this.samples++;
      taken++;
    }
    return taken;
  }

  /** The half-spread floor from adverse selection (price units, >= 0). */
  get floorPrice(): number {
    return this.lossPrice > 0 ? this.lossPrice : 0;
  }
}
