/**
 * The fill intensity lambda(delta) = A exp(-kappa delta) of Avellaneda-Stoikov, kappa per tick,
 * estimated online from the public trades against their distance to the mid. Each trade adds
 * its size to a histogram of distances in half ticks (a 1c book's touch is half a tick from the
 * mid), decayed with a time window. A trade at distance d fills every quote at distance <= d, so
 * the intensity a quote at delta sees is the volume at distance >= delta (the cumulative
 * histogram); kappa is minus the slope of a least-squares line through ln(cumulative volume)
 * against delta, weighted by the volume. The same method as Hummingbot's trading-intensity
 * estimate (traded amount per distance from the mid, fitted to A exp(-kappa delta)), written
 * here as a closed-form log-linear fit that runs per trade. Until at least two distances carry
 * volume (all trades at the touch say nothing about the slope) the prior kappa
 * (order_arrival_k) stands; the fit is shrunk to the prior by the number of (decayed) trades,
 * PRIOR_WEIGHT_TRADES trades' worth.
 *
 * The book shard runs it (FeatureEngine): it sees every public trade and the mid before it;
 * BookFeatures.kappa_per_tick carries the estimate, state that survives the strategy mailbox's
 * conflation (a features message per trade would not: the latest wins).
 * Pure, deterministic: time comes in (ms). Bounded: BINS bins.
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
