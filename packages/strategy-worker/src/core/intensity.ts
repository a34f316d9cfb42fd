/**
 * Online estimate behind the grid model's half-spread floor (pricing.ts, kmm_pricing_model=grid):
 * MarkoutEstimator, the adverse selection of our own fills: kmm_markout_s after each fill, the
 * loss against the mid then (bid: price - mid, ask: mid - price; price units, > 0 = adverse),
 * averaged by an EWMA (MARKOUT_ALPHA per fill). Its positive part floors the half-spread.
 * (The fill intensity kappa is the book shard's: @kmm/shared KappaEstimator, BookFeatures.kappa_per_tick.)
 *
 * Pure, deterministic: time comes in (ms). Bounded: PENDING_MAX pending markouts per market.
 */

/** EWMA weight of each new markout. */
export const MARKOUT_ALPHA = 0.2;
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

  /** Takes the markouts due by nowMs against `mid` (> 0); returns how many were taken. */
  evaluate(nowMs: number, mid: number): number {
    if (!(mid > 0)) return 0;
    let taken = 0;
    while (this.pending.length > 0 && this.pending[0].dueMs <= nowMs) {
      const p = this.pending.shift() as PendingMarkout;
      const loss = p.isBid ? p.price - mid : mid - p.price;
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
