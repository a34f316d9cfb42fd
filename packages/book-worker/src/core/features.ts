/**
 * Incremental book features for one market (the BookFeatures proto fields), updated after every
 * book change and every public trade, in O(1) per update. Time comes from the caller (`nowNs`,
 * the causing frame's receive time), so a replay gives the same features as the live run.
 *
 * Input is the top of the book of the OTHER participants (the shard subtracts our own resting
 * size, own.ts): bestBid/bestAsk/…Centi here, and so mid, microprice, spread, OFI, imbalance,
 * volatility and trend, never see our own orders.
 *
 * Conventions (all EMAs are continuous-time: weight 1 - exp(-dt / window)):
 *  - mid, microprice, spread in price units (1/10,000 $); 0 when a side is empty.
 *  - returns r = (mid - prevMid) / prevMid * 1e4 bps, taken whenever the mid changes.
 *  - realised vol over window W: sqrt(S) with S <- S * exp(-dt/W) + r^2 (micro, short, medium,
 *    long windows; vol_medium_window_s says which medium window, for sigma per sqrt(s)); micro drift: D <- D * exp(-dt/W_drift) + r (signed bps).
 *  - volatility regime from the short-window vol against MM_VOL_REGIME_{CALM,ELEVATED,EXTREME}_BPS
 *    (004): >= extreme EXTREME, >= elevated ELEVATED, <= calm CALM, otherwise NORMAL.
 *  - OFI (Cont, Kukanov & Stoikov) on the best levels, in contracts, decayed over MM_IMBALANCE_WINDOW_S.
 *  - top-of-book imbalance (bidSize - askSize) / (bidSize + askSize) in [-1, 1] and its EMA.
 *  - trend: fast / slow EMAs of mid (MM_TREND_FAST_EMA_S / MM_TREND_SLOW_EMA_S); strength =
 *    tanh(((fast - slow) / slow in bps) / max(1, medium vol bps)).
 *  - volume: decayed traded contracts over a long and a short window; rate = long sum / window;
 *    spike when the short-window rate exceeds volume_spike_multiplier (002) x the long-window rate.
 */
import { inRunTime, kmm, KappaEstimator, type KmmConfig } from '@kmm/shared';

export interface FeatureParams {
  imbalanceWindowS: number;
  microVolWindowS: number;
  microDriftWindowS: number;
  volShortWindowS: number;
  volMediumWindowS: number;
  volLongWindowS: number;
  volCalmBps: number;
  volElevatedBps: number;
  volExtremeBps: number;
  trendFastEmaS: number;
  trendSlowEmaS: number;
  spreadEmaWindowS: number;
  volumeWindowS: number;
  volumeSpikeWindowS: number;
  volumeSpikeMultiplier: number;
  /** levels per side in BookFeatures.bids_top / asks_top */
  topLevels: number;
  /** fill-intensity kappa: decay window of its trade histogram (s) and its prior (per tick) */
  kappaWindowS: number;
  kappaPrior: number;
}

/**
 * The feature windows and thresholds from a validated configuration (defaults and ranges are
 * the registry's, `@kmm/shared` CONFIG_SPECS; every window there is > 0).
 */
export function featureParamsOf(cfgIn: Readonly<KmmConfig>): FeatureParams {
  // the windows are market time: in run time for a time-compressed market (kmm_time_scale)
  const cfg = inRunTime(cfgIn);
  return {
    imbalanceWindowS: cfg.MM_IMBALANCE_WINDOW_S,
    microVolWindowS: cfg.MM_MICRO_VOL_WINDOW_S,
    microDriftWindowS: cfg.MM_MICRO_DRIFT_WINDOW_S,
    volShortWindowS: cfg.MM_VOL_REGIME_SHORT_WINDOW_S,
    volMediumWindowS: cfg.MM_VOL_REGIME_MEDIUM_WINDOW_S,
    volLongWindowS: cfg.MM_VOL_REGIME_LONG_WINDOW_S,
    volCalmBps: cfg.MM_VOL_REGIME_CALM_BPS,
    volElevatedBps: cfg.MM_VOL_REGIME_ELEVATED_BPS,
    volExtremeBps: cfg.MM_VOL_REGIME_EXTREME_BPS,
    trendFastEmaS: cfg.MM_TREND_FAST_EMA_S,
    trendSlowEmaS: cfg.MM_TREND_SLOW_EMA_S,
    spreadEmaWindowS: cfg.kmm_spread_ema_window_s,
    volumeWindowS: cfg.kmm_volume_window_s,
    volumeSpikeWindowS: cfg.kmm_volume_spike_window_s,
    volumeSpikeMultiplier: cfg.volume_spike_multiplier,
    topLevels: cfg.kmm_features_top_levels,
    kappaWindowS: cfg.kmm_kappa_window_s,
    kappaPrior: cfg.order_arrival_k,
  };
}

const NS_PER_S = 1e9;

export class FeatureEngine {
  // book-derived, from the others' top of book (0: no level)
  bestBid = 0;
  bestAsk = 0;
  bestBidCenti = 0;
  bestAskCenti = 0;
  mid = 0;
  microprice = 0;
  spread = 0;
  spreadEma = 0;
  ofi = 0;
  imbalance = 0;
  imbalanceEma = 0;
  microVolBps = 0;
  microDriftBps = 0;
  volShortBps = 0;
  volMediumBps = 0;
  volLongBps = 0;
  regime: kmm.v1.VolRegime = kmm.v1.VolRegime.CALM;
  trendFast = 0;
  trendSlow = 0;
  trendStrength = 0;
  // trades
  volumeRateCentiPerS = 0;
  volumeSpike = false;
  private firstTradeNs = -1;
  lastTradePrice = 0;
  lastTradeCenti = 0;
  /** public trades seen (BookFeatures.trade_count: a consumer tells a new trade from a repeated one) */
  tradeCount = 0;

  private lastBookNs = -1;
  private hasSpreadEma = false;
  private hasImbEma = false;
  private hasTrend = false;
  private prevMid = 0;
  private sMicro = 0;
  private sShort = 0;
  private sMedium = 0;
  private sLong = 0;
  private dDrift = 0;
  private lastTradeNs = -1;
  private vLong = 0;
  private vShort = 0;

  /** fill intensity from every public trade (onTradeAt) */
  readonly kappa: KappaEstimator;

  constructor(private p: FeatureParams) {
    this.kappa = new KappaEstimator(p.kappaPrior);
  }

  /** The windows and thresholds in force (a live config change replaces them, `setParams`). */
  get params(): Readonly<FeatureParams> {
    return this.p;
  }

  /**
   * A live configuration change. Thresholds (regime bps, spike multiplier, top levels) act from
   * the next update. A decayed SUM over a window (realised-vol sums, drift, OFI, volumes) holds
   * about rate x window, so it is rescaled by newWindow / oldWindow: the per-second rate it
   * estimates stays continuous and the sum reads on the new window's scale at once (the
   * strategy divides vol_medium_bps by the window it is told, vol_medium_window_s). An EMA of a
   * level (spread, imbalance, trend) keeps its value and only changes its time constant.
   * The regime and trend strength are recomputed on the next book update.
   */
  setParams(next: FeatureParams): void {
    this.kappa.setPrior(next.kappaPrior);
    const old = this.p;
    this.ofi *= next.imbalanceWindowS / old.imbalanceWindowS;
    this.sMicro *= next.microVolWindowS / old.microVolWindowS;
    this.sShort *= next.volShortWindowS / old.volShortWindowS;
    this.sMedium *= next.volMediumWindowS / old.volMediumWindowS;
    this.sLong *= next.volLongWindowS / old.volLongWindowS;
    this.dDrift *= next.microDriftWindowS / old.microDriftWindowS;
    this.vLong *= next.volumeWindowS / old.volumeWindowS;
    this.vShort *= next.volumeSpikeWindowS / old.volumeSpikeWindowS;
    this.p = next;
    this.refreshDerived();
  }

  /** The per-update figures read off the running sums (after an update or a live window change). */
  private refreshDerived(): void {
    this.microVolBps = Math.sqrt(this.sMicro);
    this.volShortBps = Math.sqrt(this.sShort);
    this.volMediumBps = Math.sqrt(this.sMedium);
    this.volLongBps = Math.sqrt(this.sLong);
    this.microDriftBps = this.dDrift;
    this.regime = this.regimeOf(this.volShortBps);
  }

  private regimeOf(v: number): kmm.v1.VolRegime {
    return v >= this.p.volExtremeBps
      ? kmm.v1.VolRegime.EXTREME
      : v >= this.p.volElevatedBps
        ? kmm.v1.VolRegime.ELEVATED
        : v <= this.p.volCalmBps
          ? kmm.v1.VolRegime.CALM
          : kmm.v1.VolRegime.NORMAL;
  }

  /**
   * After a book change: the others' best bid / ask (YES prices, 0 = none) and their sizes
   * (centi) at those prices.
   */
  onTop(bid: number, bidC: number, ask: number, askC: number, nowNs: number): void {
    const dtS = this.lastBookNs < 0 ? 0 : Math.max(0, (nowNs - this.lastBookNs) / NS_PER_S);
    this.lastBookNs = nowNs;

    // OFI on the best levels (missing bid = price 0, missing ask = price $1, size 0).
    const pb = this.bestBid;
    const pa = this.bestAsk === 0 ? Infinity : this.bestAsk;
    const na = ask === 0 ? Infinity : ask;
    const e = (bid >= pb ? bidC : 0) - (bid <= pb ? this.bestBidCenti : 0) - (na <= pa ? askC : 0) + (na >= pa ? this.bestAskCenti : 0);
    this.ofi = this.ofi * Math.exp(-dtS / this.p.imbalanceWindowS) + e / 100;

    this.bestBid = bid;
    this.bestAsk = ask;
    this.bestBidCenti = bidC;
    this.bestAskCenti = askC;

    const sizeSum = bidC + askC;
    this.imbalance = sizeSum > 0 ? (bidC - askC) / sizeSum : 0;
    this.imbalanceEma = this.hasImbEma ? ema(this.imbalanceEma, this.imbalance, dtS, this.p.imbalanceWindowS) : this.imbalance;
    this.hasImbEma = true;

    // decay the realised-vol and drift sums for the elapsed time
    this.sMicro *= Math.exp(-dtS / this.p.microVolWindowS);
    this.sShort *= Math.exp(-dtS / this.p.volShortWindowS);
    this.sMedium *= Math.exp(-dtS / this.p.volMediumWindowS);
    this.sLong *= Math.exp(-dtS / this.p.volLongWindowS);
    this.dDrift *= Math.exp(-dtS / this.p.microDriftWindowS);

    if (bid > 0 && ask > 0) {
      const mid = (bid + ask) / 2;
      this.mid = mid;
      this.microprice = (bid * askC + ask * bidC) / (bidC + askC);
      this.spread = ask - bid;
      this.spreadEma = this.hasSpreadEma ? ema(this.spreadEma, this.spread, dtS, this.p.spreadEmaWindowS) : this.spread;
      this.hasSpreadEma = true;
      if (this.prevMid > 0 && mid !== this.prevMid) {
        const r = ((mid - this.prevMid) / this.prevMid) * 1e4;
        const r2 = r * r;
        this.sMicro += r2;
        this.sShort += r2;
        this.sMedium += r2;
        this.sLong += r2;
        this.dDrift += r;
      }
      this.prevMid = mid;
      if (this.hasTrend) {
        this.trendFast = ema(this.trendFast, mid, dtS, this.p.trendFastEmaS);
        this.trendSlow = ema(this.trendSlow, mid, dtS, this.p.trendSlowEmaS);
      } else {
        this.trendFast = mid;
        this.trendSlow = mid;
        this.hasTrend = true;
      }
    } else {
      this.mid = 0;
      this.microprice = 0;
      this.spread = 0;
    }
    this.refreshDerived();
    this.trendStrength = this.trendSlow > 0 ? Math.tanh(((this.trendFast - this.trendSlow) / this.trendSlow) * 1e4 / Math.max(1, this.volMediumBps)) : 0;
  }

  /**
   * One public trade. `tickPrice`: the grid's tick at the mid (0 = unknown): the trade's distance
   * from the others' mid before it, in ticks, goes to the kappa estimate.
   */
  onTrade(yesPrice: number, countCenti: number, nowNs: number, tickPrice = 0): void {
    if (tickPrice > 0 && this.mid > 0 && yesPrice > 0) this.kappa.onTrade(Math.abs(yesPrice - this.mid) / tickPrice, countCenti / 100, nowNs / 1e6, this.p.kappaWindowS, this.p.kappaPrior);
    const dtS = this.lastTradeNs < 0 ? 0 : Math.max(0, (nowNs - this.lastTradeNs) / NS_PER_S);
    if (this.firstTradeNs < 0) this.firstTradeNs = nowNs;
    this.lastTradeNs = nowNs;
    this.vLong = this.vLong * Math.exp(-dtS / this.p.volumeWindowS) + countCenti;
    this.vShort = this.vShort * Math.exp(-dtS / this.p.volumeSpikeWindowS) + countCenti;
    this.lastTradePrice = yesPrice;
    this.lastTradeCenti = countCenti;
    this.tradeCount++;
    this.refreshVolume(nowNs);
  }

  /** Volume rate as of `nowNs` (decays between trades). */
  refreshVolume(nowNs: number): void {
    if (this.lastTradeNs < 0) return;
    const dtS = Math.max(0, (nowNs - this.lastTradeNs) / NS_PER_S);
    const longRate = (this.vLong * Math.exp(-dtS / this.p.volumeWindowS)) / this.p.volumeWindowS;
    const shortRate = (this.vShort * Math.exp(-dtS / this.p.volumeSpikeWindowS)) / this.p.volumeSpikeWindowS;
    this.volumeRateCentiPerS = longRate;
    // No average yet, no spike: until the long window has been observed once, every first
    // trade would look like a multiple of a near-zero average.
    const warmedUp = (nowNs - this.firstTradeNs) / NS_PER_S >= this.p.volumeWindowS;
    this.volumeSpike = warmedUp && shortRate > 0 && shortRate > this.p.volumeSpikeMultiplier * longRate;
  }

  /** Same top as the last `onTop` (an own-only change need not touch the features). */
  sameTop(bid: number, bidC: number, ask: number, askC: number): boolean {
    return bid === this.bestBid && bidC === this.bestBidCenti && ask === this.bestAsk && askC === this.bestAskCenti;
  }

  /**
   * Writes the feature fields into a BookFeatures message body. best_bid/best_ask (…_centi) are
   * the full book's touch, written by the caller; the others' touch goes to others_best_*.
   */
  fill(out: kmm.v1.IBookFeatures): void {
    out.othersBestBid = this.bestBid;
    out.othersBestBidCenti = this.bestBidCenti;
    out.othersBestAsk = this.bestAsk;
    out.othersBestAskCenti = this.bestAskCenti;
    out.mid = this.mid;
    out.microprice = this.microprice;
    out.spread = this.spread;
    out.spreadEma = this.spreadEma;
    out.ofi = this.ofi;
    out.imbalance = this.imbalance;
    out.imbalanceEma = this.imbalanceEma;
    out.microVolBps = this.microVolBps;
    out.microDriftBps = this.microDriftBps;
    out.volRegime = this.regime;
    out.volShortBps = this.volShortBps;
    out.volMediumBps = this.volMediumBps;
    out.volMediumWindowS = this.p.volMediumWindowS;
    out.volLongBps = this.volLongBps;
    out.trendFast = this.trendFast;
    out.trendSlow = this.trendSlow;
    out.trendStrength = this.trendStrength;
    out.volumeRateCentiPerS = this.volumeRateCentiPerS;
    out.volumeSpike = this.volumeSpike;
    out.lastTradePrice = this.lastTradePrice;
    out.lastTradeCenti = this.lastTradeCenti;
    out.tradeCount = this.tradeCount;
    out.kappaPerTick = this.kappa.kappaPerTick;
    out.kappaTrades = this.kappa.trades;
  }
}

function ema(prev: number, x: number, dtS: number, windowS: number): number {
  const a = 1 - Math.exp(-dtS / windowS);
  return prev + a * (x - prev);
}
