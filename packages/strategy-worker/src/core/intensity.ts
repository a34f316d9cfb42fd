/**
 * Online estimates behind the grid model's half-spread (pricing.ts, kmm_pricing_model=grid):
 *
 *  - KappaEstimator: the fill intensity lambda(delta) = A exp(-kappa delta) of Avellaneda-Stoikov,
 *    kappa per tick, from the public trades against their distance to the mid. Each trade adds
 *    its size to a histogram of distances in half ticks (a 1c book's touch is half a tick from
 *    the mid), decayed with a time window. A trade at distance d fills every quote at distance
 *    <= d, so the intensity a quote at delta sees is the volume at distance >= delta (the
 *    cumulative histogram); kappa is minus the slope of a least-squares line through
 *    ln(cumulative volume) against delta, weighted by the volume. The same method as
 *    Hummingbot's trading-intensity estimate (traded amount per distance from the mid, fitted to
 *    A exp(-kappa delta)), written here as a closed-form log-linear fit that runs per trade.
 *    Until at least two distances carry volume (all trades at the touch say nothing about the
 *    slope) the prior kappa (order_arrival_k) stands; the fit is shrunk to the prior by the
 *    number of (decayed) trades, PRIOR_WEIGHT_TRADES trades' worth.
 *  - MarkoutEstimator: adverse selection of our own fills: kmm_markout_s after each fill, the
 *    loss against the mid then (bid: price - mid, ask: mid - price; price units, > 0 = adverse),
 *    averaged by an EWMA (MARKOUT_ALPHA per fill). Its positive part floors the half-spread.
 *
 * Pure, deterministic: time comes in (ms). Bounded: BINS bins; PENDING_MAX pending markouts per market.
 */

/** Histogram bins: distances 0.5 .. BINS/2 ticks in half-tick steps (farther trades count in the last bin). */
export const BINS = 12;
/** The prior's weight in the kappa fit, in trades. */
export const PRIOR_WEIGHT_TRADES = 10;
/** kappa is kept in this range (per tick). */
export const KAPPA_MIN = 0.05;
export const KAPPA_MAX = 50;

export class KappaEstimator {
  /** decayed volume per half-tick bin (index i = distance (i + 1) / 2 ticks), contracts */
  private readonly vol = new Float64Array(BINS);
  /** decayed number of trades */
  private n = 0;
  private lastMs = -1;
  private kappa: number;

  constructor(private prior: number) {
    this.kappa = prior;
  }

  /** The estimate, per tick (the prior until the trades say more). */
  get kappaPerTick(): number {
    return this.kappa;
  }
  get trades(): number {
    return this.n;
  }

  /** Forgets what the window says is old (called before each trade). */
  private decay(nowMs: number, windowS: number): void {
    if (this.lastMs >= 0 && nowMs > this.lastMs) {
      const w = Math.exp(-(nowMs - this.lastMs) / 1000 / windowS);
      for (let i = 0; i < BINS; i++) this.vol[i] *= w;
      this.n *= w;
    }
    if (nowMs > this.lastMs) this.lastMs = nowMs;
  }

  /**
   * One public trade: `distanceTicks` from the mid (>= 0), `contracts` traded. A trade at the mid
   * (a book moved under it) counts as half a tick: nothing trades closer than the touch.
   */
  onTrade(distanceTicks: number, contracts: number, nowMs: number, windowS: number, prior: number): void {
    if (!(distanceTicks >= 0) || !(contracts > 0)) return;
    this.prior = prior;
    this.decay(nowMs, windowS);
    const bin = Math.min(BINS - 1, Math.max(0, Math.round(distanceTicks * 2) - 1));
    this.vol[bin] += contracts;
    this.n += 1;
    this.kappa = this.fit();
  }

  /** The prior changed (config): re-blend without new data. */
  setPrior(prior: number): void {
    if (prior === this.prior) return;
    this.prior = prior;
    this.kappa = this.fit();
  }

  private fit(): number {
    // cumulative volume at distance >= delta_i, from the farthest bin in
    let cum = 0;
    let sw = 0;
    let sx = 0;
    let sy = 0;
    let sxx = 0;
    let sxy = 0;
    let points = 0;
    for (let i = BINS - 1; i >= 0; i--) {
      cum += this.vol[i];
      if (cum <= 1e-9 || this.vol[i] <= 1e-9) continue; // only distances that saw trades
      const x = (i + 1) / 2;
      const y = Math.log(cum);
      const w = this.vol[i];
      sw += w;
      sx += w * x;
      sy += w * y;
      sxx += w * x * x;
      sxy += w * x * y;
      points++;
    }
    if (points < 2) return this.prior;
    const den = sw * sxx - sx * sx;
    if (!(den > 1e-12)) return this.prior;
    const slope = (sw * sxy - sx * sy) / den;
    const fitted = Math.min(KAPPA_MAX, Math.max(KAPPA_MIN, -slope));
    const k = (this.n * fitted + PRIOR_WEIGHT_TRADES * this.prior) / (this.n + PRIOR_WEIGHT_TRADES);
    return Math.min(KAPPA_MAX, Math.max(KAPPA_MIN, k));
  }
}

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
