/**
 * KMM-v1 pricing: from one market's book features, inventory and context to desired maker
 * quotes (before v2 queue tweaks and before risk gating). Pure, allocation-free on the hot
 * path: results go into a caller-owned QuoteResult; the trace is only built when a trace
 * array is passed (MM_JOURNAL_REPRICE_DECISIONS).
 *
 * Units: prices in 1/10,000 $ (float while modelling, integer grid prices at the end);
 * sizes in 1/100 contract, always whole contracts; "bps" are relative to the mid
 * (1 bps of a $0.50 mid = 0.5 price units), because the 004 knobs and the book's vol/drift
 * features are relative quantities.
 *
 * Pipeline (each step is a trace entry):
 *   fair        = mid + get_external_skew(ticker) ticks + funding bias (crypto)
 *   shift D     = A-S q*gamma*sigma^2*tau + tanh skew (004) + 002 per-10 adjustment   (>= 0 when long)
 *   reservation = fair - D (stoikov) | sigmoid(logit(fair) - 4D) (logodds: bounded, self-limiting near 1c/99c)
 *   half        = clamp(spread_ema x MM_SPREAD_MULTIPLIER, MIN/MAX_OFFSET_BPS) + stress offset, x regime scale,
 *                 then 002: full = max(2 half, base_spread, A-S spread) + thin-book add (liquidity below
 *                 low_liquidity_threshold), x the larger of the inventory and near-close multipliers,
 *                 clamp [min_spread, max_spread]
 *   quotes      = bid floor(r - half), ask ceil(r + half) on the grid, inside [grid.min, grid.max],
 *                 bid < ask, bid < best ask, ask > best bid
 * Gates: min-spread gate, micro vol/drift pause at 1.25x, volume spike pause (both sides, except
 * the side that reduces a position at or over its cap); imbalance pause and crypto inventory bands
 * (one side).
 *
 * queueOptimise (KMM-v2, after computeQuotes): moves the touch quote to the front of the
 * queue or yields it on toxic flow.
 */
import { orderFeeCents, type FeeParams, type kmm, type PriceGrid } from '@kmm/shared';

export const PRICE_ONE = 10_000;
const CENTI = 100;
export const LEVELS_MAX = 20;

/** What the pricing pipeline needs besides the params. */
export interface QuoteInputs {
  grid: PriceGrid;
  f: kmm.v1.IBookFeatures;
  /** signed inventory for skew, centi-contracts (+ long YES) */
  positionCenti: number;
  /** caps used to normalise inventory (centi), per direction */
  longCapCenti: number;
  shortCapCenti: number;
  /** ms to the market's close; Infinity when unknown */
  timeToCloseMs: number;
  /** get_external_skew(ticker), ticks (+ raises fair value) */
  alphaSkewTicks: number;
  /** external funding rate, bps (crypto profile) */
  fundingBps: number;
  /** the market's liquidity figure, 1/10,000 $ (selection.ts liquidityMoney: dollar depth of the book near the touch) */
  liquidityMoney: number;
  /** grid model: fill intensity kappa per tick (@kmm/shared KappaEstimator, run by the book shard: BookFeatures.kappa_per_tick) */
  kappaPerTick: number;
  /** grid model: adverse-selection floor of the half-spread, price units (intensity.ts MarkoutEstimator) */
  adverseFloorPrice: number;
  /** the market's fee schedule (the maker-fee floor) */
  fees: FeeParams;
  /**
   * grid model: level-0 price of the last target on each side (0 = none): the touch hysteresis
   * holds for a quote we asked for at the touch, before the book shows it resting there
   */
  lastBidPrice?: number;
  lastAskPrice?: number;
}

/** Where the grid model put a side's touch quote (QuoteResult.bidPlace / askPlace). */
export const PLACE_NONE = 0;
export const PLACE_BEHIND = 1;
export const PLACE_JOIN = 2;
export const PLACE_STEP_IN = 3;
export const PLACE_NAMES = ['none', 'behind', 'join', 'step_in'] as const;

export type Regime = 'CALM' | 'NORMAL' | 'ELEVATED' | 'EXTREME';

/** Reused output of computeQuotes. */
export class QuoteResult {
  /** false: no quotes at all (reason says why) */
  ok = false;
  reason = '';
  bidPaused = false;
  askPaused = false;
  bidReason = '';
  askReason = '';
  mid = 0;
  fair = 0;
  reservation = 0;
  halfSpread = 0;
  skewBps = 0;
  shift = 0;
  regime: Regime = 'NORMAL';
  /** 0 none, 1 warn, 2 critical, 3 hard (crypto inventory bands) */
  invBand = 0;
  /** grid model: PLACE_* of each side's touch quote (PLACE_NONE under the 002 models) */
  bidPlace = PLACE_NONE;
  askPlace = PLACE_NONE;
  nBid = 0;
  nAsk = 0;
  readonly bidPrices = new Int32Array(LEVELS_MAX);
  readonly bidSizes = new Float64Array(LEVELS_MAX);
  readonly askPrices = new Int32Array(LEVELS_MAX);
  readonly askSizes = new Float64Array(LEVELS_MAX);

  reset(): void {
    this.ok = false;
    this.reason = '';
    this.bidPaused = this.askPaused = false;
    this.bidReason = this.askReason = '';
    this.mid = this.fair = this.reservation = this.halfSpread = this.skewBps = this.shift = 0;
    this.regime = 'NORMAL';
    this.invBand = 0;
    this.bidPlace = this.askPlace = PLACE_NONE;
    this.nBid = this.nAsk = 0;
  }

  /** Pauses the side that would add to a position at its cap (the bid when `reducingBid` is false). */
  pauseAddingSide(reducingBid: boolean, reason: string): void {
    pauseSide(this, !reducingBid, reason);
    if (reducingBid) this.nAsk = 0;
    else this.nBid = 0;
  }
}

/** Trace of one decision: [step, value] pairs; only built when journaling is on. */
export type Trace = Array<[string, unknown]>;

/** The pricing subset of StrategyParams (so tests can pass partial literal objects). */
export interface PricingParams {
  MM_SPREAD_MULTIPLIER: number;
  MM_MIN_OFFSET_BPS: number;
  MM_MAX_OFFSET_BPS: number;
  MM_MIN_SPREAD_BPS: number;
  MM_SIZE_SCALE_PER_LEVEL: number;
  MM_NUM_PRICE_LEVELS: number;
  MM_INVENTORY_SKEW_FACTOR: number;
  MM_INVENTORY_DEADBAND_PCT: number;
  MM_SKEW_SHAPE_K: number;
  MM_SKEW_MAX_BPS: number;
  MM_IMBALANCE_PAUSE_THRESHOLD: number;
  MM_MICRO_VOL_MAX_BPS: number;
  MM_MICRO_DRIFT_MAX_BPS: number;
  MM_VOLATILITY_OFFSET_MULTIPLIER: number;
  MM_MARKET_PROFILE: string;
  MM_VOL_REGIME_ENABLED: boolean;
  MM_VOL_REGIME_CALM_BPS: number;
  MM_VOL_REGIME_ELEVATED_BPS: number;
  MM_VOL_REGIME_EXTREME_BPS: number;
  MM_VOL_OFFSET_SCALE_CALM: number;
  MM_VOL_OFFSET_SCALE_ELEVATED: number;
  MM_VOL_OFFSET_SCALE_EXTREME: number;
  MM_TREND_ENABLED: boolean;
  MM_TREND_STRONG_THRESHOLD: number;
  MM_TREND_COUNTER_SIDE_SIZE_CUT: number;
  MM_TREND_SKEW_BOOST: number;
  MM_INVENTORY_WARN_PCT: number;
  MM_INVENTORY_CRITICAL_PCT: number;
  MM_INVENTORY_HARD_PCT: number;
  MM_FUNDING_BIAS_ENABLED: boolean;
  MM_FUNDING_INVENTORY_WEIGHT: number;
  MM_FUNDING_BIAS_CAP_BPS: number;
  volume_spike_pause: boolean;
  risk_aversion: number;
  horizon_s: number;
  order_arrival_k: number;
  volatility_prior: number;
  volatility_floor: number;
  MM_VOL_REGIME_MEDIUM_WINDOW_S: number;
  kmm_pricing_model: string;
  kmm_level_spacing_ticks: number;
  kmm_ofi_fair_ticks: number;
  kmm_touch_hysteresis_ticks: number;
  MAX_QUEUE_DEPTH: number;
  maxQueueDepthCenti: number;
  desiredInventoryCenti: number;
  quoteSizeCenti: number;
  orderMaxCenti: number;
  quoteMinPrice: number;
  quoteMaxPrice: number;
  orderNotionalMoney: number;
  baseSpreadPrice: number;
  minSpreadPrice: number;
  maxSpreadPrice: number;
  lowLiquidityMoney: number;
  lowLiquidityAddPrice: number;
  skewAdjPer10Price: number;
  inventoryThresholdCenti: number;
  inventory_spread_multiplier: number;
  urgentCloseMs: number;
  time_to_close_urgent_multiplier: number;
  nearCloseMs: number;
  time_to_close_near_multiplier: number;
}

function clamp(x: number, lo: number, hi: number): number {
  return x < lo ? lo : x > hi ? hi : x;
}

/**
 * 004 skew: tanh of the inventory fraction beyond the deadband, in bps of mid, times the
 * skew factor; +MM_SKEW_MAX_BPS x factor at the cap when long, negative when short.
 * Non-decreasing in positionCenti.
 */
export function inventorySkewBps(p: PricingParams, positionCenti: number, longCapCenti: number, shortCapCenti: number): number {
  if (positionCenti === 0) return 0;
  const cap = positionCenti > 0 ? longCapCenti : shortCapCenti;
  let u = cap > 0 ? Math.min(1, Math.abs(positionCenti) / cap) : 1;
  const d = p.MM_INVENTORY_DEADBAND_PCT;
  if (u <= d) return 0;
  u = (u - d) / (1 - d);
  const k = p.MM_SKEW_SHAPE_K;
  const shaped = k > 0 ? Math.tanh(k * u) / Math.tanh(k) : u;
  const bps = p.MM_SKEW_MAX_BPS * shaped * p.MM_INVENTORY_SKEW_FACTOR;
  return positionCenti > 0 ? bps : -bps;
}

/**
 * A-S model in the registry's units (003): S in cents, sigma in cents/sqrt(s), T-t in s.
 * sigma from the book's realised vol over the medium window: vol_medium_bps is
 * sqrt(sum r^2) over the book's medium window, so per sqrt(s) it is that / sqrt(window). The
 * window is the one the book says it used (vol_medium_window_s), so a live change of
 * MM_VOL_REGIME_MEDIUM_WINDOW_S cannot mis-scale sigma while features summed over the old
 * window are in flight; our own copy is only the fallback for a sender that omits it.
 */
export function sigmaCentsPerSqrtS(p: PricingParams, f: kmm.v1.IBookFeatures, mid: number): number {
  const v = f.volMediumBps ?? 0;
  const windowS = (f.volMediumWindowS ?? 0) > 0 ? f.volMediumWindowS! : p.MM_VOL_REGIME_MEDIUM_WINDOW_S;
  const s = v > 0 ? (v * mid) / 10_000 / CENTI / Math.sqrt(windowS) : p.volatility_prior;
  return Math.max(s, p.volatility_floor);
}

/** T - t in seconds: min(horizon_s, time to close). */
export function horizonS(p: PricingParams, timeToCloseMs: number): number {
  return Number.isFinite(timeToCloseMs) ? Math.max(0, Math.min(p.horizon_s, timeToCloseMs / 1000)) : p.horizon_s;
}

/** Avellaneda-Stoikov inventory shift q*gamma*sigma^2*(T-t) in price units (q in contracts, sigma in c/sqrt(s)). */
export function stoikovShift(gamma: number, positionCenti: number, sigmaCents: number, tauS: number): number {
  return (positionCenti / CENTI) * gamma * sigmaCents * sigmaCents * tauS * CENTI;
}

/** A-S optimal total spread delta = gamma sigma^2 (T-t) + (2/gamma) ln(1 + gamma/k), in price units. */
export function stoikovSpread(gamma: number, sigmaCents: number, tauS: number, k: number): number {
  // (2/gamma) ln(1 + gamma/k) = (2/k) log1p(x)/x with x = gamma/k: finite as gamma -> 0
  const x = gamma / k;
  const intensity = x > 1e-12 ? ((2 / k) * Math.log1p(x)) / x : 2 / k;
  return (gamma * sigmaCents * sigmaCents * tauS + intensity) * CENTI;
}

/** 002 reservation adjustment: per whole 10 contracts, once |q| exceeds the threshold. */
export function perTenAdjustment(p: PricingParams, positionCenti: number): number {
  const a = Math.abs(positionCenti);
  if (a <= p.inventoryThresholdCenti || p.skewAdjPer10Price === 0) return 0;
  const adj = Math.floor(a / (10 * CENTI)) * p.skewAdjPer10Price;
  return positionCenti > 0 ? adj : -adj;
}

/** Reservation price from fair value and total inventory shift D (price units). */
export function reservationPrice(model: string, fair: number, shift: number): number {
  if (model === 'logodds') {
    // Bounded-price variant: the shift is applied in log-odds, scaled so that at a 0.50
    // fair value it equals the linear shift (d price / d logit = p(1-p) = 1/4 there).
    const pf = clamp(fair / PRICE_ONE, 1e-6, 1 - 1e-6);
    const x = Math.log(pf / (1 - pf)) - (4 * shift) / PRICE_ONE;
    return PRICE_ONE / (1 + Math.exp(-x));
  }
  return fair - shift;
}

/** The book's regime when it sends one; otherwise classified from the short-window vol. */
export function classifyRegime(p: PricingParams, f: kmm.v1.IBookFeatures): Regime {
  switch (f.volRegime ?? 0) {
    case 1: return 'CALM';
    case 2: return 'NORMAL';
    case 3: return 'ELEVATED';
    case 4: return 'EXTREME';
    default: break;
  }
  const v = f.volShortBps ?? 0;
  if (v >= p.MM_VOL_REGIME_EXTREME_BPS) return 'EXTREME';
  if (v >= p.MM_VOL_REGIME_ELEVATED_BPS) return 'ELEVATED';
  if (v <= p.MM_VOL_REGIME_CALM_BPS) return 'CALM';
  return 'NORMAL';
}

/** Largest grid price strictly below x, or 0 when none. */
export function gridBelow(grid: PriceGrid, x: number): number {
  if (x <= grid.minPrice) return 0;
  const g = grid.floor(x - 1);
  return g < x ? g : 0;
}
/** Smallest grid price strictly above x, or 0 when none. */
export function gridAbove(grid: PriceGrid, x: number): number {
  if (x >= grid.maxPrice) return 0;
  const g = grid.ceil(x + 1);
  return g > x ? g : 0;
}

/**
 * Runs the v1 pipeline into `out`. Never throws on market data; returns with out.ok=false
 * and a reason when the book cannot be quoted.
 */
export function computeQuotes(p: PricingParams, inp: QuoteInputs, out: QuoteResult, trace: Trace | null): void {
  out.reset();
  const f = inp.f;
  const grid = inp.grid;
  const bestBid = f.bestBid ?? 0;
  const bestAsk = f.bestAsk ?? 0;
  if (bestBid <= 0 || bestAsk <= 0) return stop(out, 'one_sided_book', trace);
  if (f.crossed || bestBid >= bestAsk) return stop(out, 'crossed_book', trace);
  const mid = f.mid && f.mid > 0 ? f.mid : (bestBid + bestAsk) / 2;
  out.mid = mid;
  const bpsToPrice = mid / 10_000;
  const q = inp.positionCenti;
  const crypto = p.MM_MARKET_PROFILE === 'crypto';
  if (trace) trace.push(['inputs', { bestBid, bestAsk, mid, spreadEma: f.spreadEma ?? 0, positionCenti: q, timeToCloseMs: inp.timeToCloseMs, alphaSkewTicks: inp.alphaSkewTicks, liquidityMoney: inp.liquidityMoney }]);

  // ---- gates on both sides
  // At or over a cap they pause only the side that adds to the position: the reducing side keeps
  // working it off, priced by the model below (whose stress terms widen it in these conditions).
  // Issue 13: pausing both sides at the cap held the whole risk through the move that tripped the
  // pause (a 2-minute DST at cap 2 had the reducing side dark 21 % of its at-cap time). The seeds
  // pause both sides whatever the position (README, "Deliberate differences from the seeds").
  const bookSpreadBps = ((bestAsk - bestBid) / mid) * 10_000;
  const microVol = f.microVolBps ?? 0;
  const microDrift = Math.abs(f.microDriftBps ?? 0);
  let bothSidesGate = '';
  if (p.MM_MIN_SPREAD_BPS > 0 && bookSpreadBps < p.MM_MIN_SPREAD_BPS) {
    if (trace) trace.push(['min_spread_gate', { bookSpreadBps, min: p.MM_MIN_SPREAD_BPS }]);
    bothSidesGate = 'min_spread_gate';
  } else if (p.MM_MICRO_VOL_MAX_BPS > 0 && microVol > 1.25 * p.MM_MICRO_VOL_MAX_BPS) bothSidesGate = 'micro_vol_pause';
  else if (p.MM_MICRO_DRIFT_MAX_BPS > 0 && microDrift > 1.25 * p.MM_MICRO_DRIFT_MAX_BPS) bothSidesGate = 'micro_drift_pause';
  else if (p.volume_spike_pause && f.volumeSpike) bothSidesGate = 'volume_spike_pause';
  if (bothSidesGate !== '') {
    const reducingBid = reducingAtCap(inp, true);
    if (!reducingBid && !reducingAtCap(inp, false)) return stop(out, bothSidesGate, trace);
    out.pauseAddingSide(reducingBid, bothSidesGate);
    if (trace) trace.push(['gate_reducing_side_kept', { gate: bothSidesGate, side: reducingBid ? 'bid' : 'ask' }]);
  }

  // ---- fair value: mid (grid model: microprice + OFI) + alpha ticks + funding bias
  const tick = grid.tickAt(mid);
  const gridModel = p.kmm_pricing_model === 'grid';
  let fair = (gridModel ? bookFair(p, f, mid, tick, trace) : mid) + inp.alphaSkewTicks * tick;
  if (trace && inp.alphaSkewTicks !== 0) trace.push(['alpha_skew', { ticks: inp.alphaSkewTicks, fair }]);
  const capForQ = q >= 0 ? inp.longCapCenti : inp.shortCapCenti;
  const qNorm = capForQ > 0 ? clamp(q / capForQ, -1, 1) : q === 0 ? 0 : Math.sign(q);
  if (crypto && p.MM_FUNDING_BIAS_ENABLED && inp.fundingBps !== 0) {
    const fb = inp.fundingBps;
    const biasBps = clamp(-fb - p.MM_FUNDING_INVENTORY_WEIGHT * Math.abs(fb) * qNorm, -p.MM_FUNDING_BIAS_CAP_BPS, p.MM_FUNDING_BIAS_CAP_BPS);
    fair += biasBps * bpsToPrice;
    if (trace) trace.push(['funding_bias', { fundingBps: fb, biasBps, fair }]);
  }
  fair = clamp(fair, grid.minPrice, grid.maxPrice);
  out.fair = fair;

  // ---- reservation: A-S + tanh skew + 002 per-10
  const trendStrength = f.trendStrength ?? 0;
  const trendOn = crypto && p.MM_TREND_ENABLED;
  const strongTrend = trendOn && Math.abs(trendStrength) >= p.MM_TREND_STRONG_THRESHOLD && p.MM_TREND_STRONG_THRESHOLD > 0;
  const sigma = sigmaCentsPerSqrtS(p, f, mid);
  const tau = horizonS(p, inp.timeToCloseMs);
  const asShift = stoikovShift(p.risk_aversion, q, sigma, tau);
  let skewBps = inventorySkewBps(p, q, inp.longCapCenti, inp.shortCapCenti);
  if (strongTrend && q !== 0 && Math.sign(trendStrength) !== Math.sign(q)) skewBps *= p.MM_TREND_SKEW_BOOST;
  const adj002 = perTenAdjustment(p, q);
  const shift = asShift + skewBps * bpsToPrice + adj002;
  const r = reservationPrice(gridModel ? 'stoikov' : p.kmm_pricing_model, fair, shift);
  out.skewBps = skewBps;
  out.shift = shift;
  out.reservation = r;
  if (trace) trace.push(['reservation', { model: p.kmm_pricing_model, sigmaCentsPerSqrtS: sigma, tauS: tau, asShift, skewBps, adj002, shift, reservation: r }]);

  const lo = grid.ceil(Math.max(p.quoteMinPrice, grid.minPrice));
  const hi = grid.floor(Math.min(p.quoteMaxPrice, grid.maxPrice));
  let bid = 0;
  let ask = 0;
  if (gridModel) {
    const placed = gridPlacement(p, inp, r, sigma, tau, lo, hi, trace);
    if (placed === null) return stop(out, 'model_error', trace);
    bid = placed.bid;
    ask = placed.ask;
    out.bidPlace = placed.bidPlace;
    out.askPlace = placed.askPlace;
    out.halfSpread = placed.halfSpread;
  } else {
    // ---- half spread: 004 placement distance, stress, regime; then 002 dynamics
    const spreadEma = (f.spreadEma ?? 0) > 0 ? (f.spreadEma as number) : bestAsk - bestBid;
    let half = clamp(spreadEma * p.MM_SPREAD_MULTIPLIER, p.MM_MIN_OFFSET_BPS * bpsToPrice, p.MM_MAX_OFFSET_BPS * bpsToPrice);
    let stressBps = 0;
    if (p.MM_MICRO_VOL_MAX_BPS > 0 && microVol > p.MM_MICRO_VOL_MAX_BPS) stressBps += microVol - p.MM_MICRO_VOL_MAX_BPS;
    if (p.MM_MICRO_DRIFT_MAX_BPS > 0 && microDrift > p.MM_MICRO_DRIFT_MAX_BPS) stressBps += microDrift - p.MM_MICRO_DRIFT_MAX_BPS;
    half += p.MM_VOLATILITY_OFFSET_MULTIPLIER * stressBps * bpsToPrice;
    if (crypto && p.MM_VOL_REGIME_ENABLED) {
      const reg = classifyRegime(p, f);
      out.regime = reg;
      half *= reg === 'CALM' ? p.MM_VOL_OFFSET_SCALE_CALM : reg === 'ELEVATED' ? p.MM_VOL_OFFSET_SCALE_ELEVATED : reg === 'EXTREME' ? p.MM_VOL_OFFSET_SCALE_EXTREME : 1;
    }
    if (trace) trace.push(['offset_004', { spreadEma, half, stressBps, regime: out.regime }]);
    const asSpread = stoikovSpread(p.risk_aversion, sigma, tau, p.order_arrival_k);
    let full = Math.max(2 * half, p.baseSpreadPrice, asSpread);
    if (p.lowLiquidityMoney > 0 && inp.liquidityMoney < p.lowLiquidityMoney) full += p.lowLiquidityAddPrice;
    // 002's inventory and time-to-close multipliers: the larger one applies, they do not compound.
    // That is the seed's own arithmetic: scenario 3 (+15 YES, beyond inventory_skew_threshold 10,
    // 2 h out) is 0.04 x 2.0 = 0.08, not 0.04 x 1.3 x 2.0 = 0.104.
    const invMult = Math.abs(q) > p.inventoryThresholdCenti ? p.inventory_spread_multiplier : 1;
    const timeMult = inp.timeToCloseMs < p.urgentCloseMs ? p.time_to_close_urgent_multiplier : inp.timeToCloseMs < p.nearCloseMs ? p.time_to_close_near_multiplier : 1;
    full *= Math.max(invMult, timeMult);
    full = clamp(full, p.minSpreadPrice, Math.max(p.maxSpreadPrice, p.minSpreadPrice));
    half = full / 2;
    out.halfSpread = half;
    if (trace) trace.push(['spread_002', { asSpread, invMult, timeMult, fullSpread: full, halfSpread: half }]);

    if (!Number.isFinite(r) || !Number.isFinite(half)) {
      if (trace) trace.push(['model_error', { reservation: r, halfSpread: half }]);
      return stop(out, 'model_error', trace);
    }
    // ---- touch prices on the grid
    // 003 sanity bounds [quote_min_price_cents, quote_max_price_cents] on top of the grid's
    bid = clamp(grid.floor(r - half), lo, hi);
    ask = clamp(grid.ceil(r + half), lo, hi);
    if (bid >= bestAsk) bid = gridBelow(grid, bestAsk);
    if (ask <= bestBid) ask = gridAbove(grid, bestBid);
    if (bid < lo) bid = 0;
    if (ask > hi) ask = 0;
    if (bid > 0 && ask > 0 && bid >= ask) {
      // Only at the grid edges or with a zero spread: keep the side nearer the reservation.
      if (r >= ask) {
        const b = gridBelow(grid, ask);
        bid = b >= lo && b < bestAsk ? b : 0;
      } else {
        const a = gridAbove(grid, bid);
        ask = a > bestBid && a <= hi && a > 0 ? a : 0;
      }
    }
  }
  if (trace) trace.push(['grid', { bid, ask }]);

  // ---- side gates
  // At or over a cap the reducing side is how the position gets worked off: the discretionary
  // pauses (book imbalance here, queue yield in queueOptimise) leave it quoted (issue 13; the
  // seeds pause a side on imbalance whatever the position)
  const imb = f.imbalanceEma ?? 0;
  if (p.MM_IMBALANCE_PAUSE_THRESHOLD > 0 && imb >= p.MM_IMBALANCE_PAUSE_THRESHOLD && !reducingAtCap(inp, false)) pauseSide(out, false, 'imbalance_pause_ask');
  else if (p.MM_IMBALANCE_PAUSE_THRESHOLD > 0 && imb <= -p.MM_IMBALANCE_PAUSE_THRESHOLD && !reducingAtCap(inp, true)) pauseSide(out, true, 'imbalance_pause_bid');
  let bidSizeMult = 1;
  let askSizeMult = 1;
  if (crypto && q !== 0) {
    const u = capForQ > 0 ? Math.abs(q) / capForQ : 1;
    const band = u >= p.MM_INVENTORY_HARD_PCT ? 3 : u >= p.MM_INVENTORY_CRITICAL_PCT ? 2 : u >= p.MM_INVENTORY_WARN_PCT ? 1 : 0;
    out.invBand = band;
    const increasingBid = q > 0;
    // warn: increasing side at half size; critical: at a quarter; hard: only reducing quotes
    if (band === 3) pauseSide(out, increasingBid, 'inventory_hard');
    else if (band > 0) {
      const cut = band === 2 ? 0.25 : 0.5;
      if (increasingBid) bidSizeMult *= cut;
      else askSizeMult *= cut;
    }
  }
  if (strongTrend) {
    // Counter-trend side: selling into an up-trend (ask) or buying into a down-trend (bid).
    if (trendStrength > 0) askSizeMult *= 1 - p.MM_TREND_COUNTER_SIDE_SIZE_CUT;
    else bidSizeMult *= 1 - p.MM_TREND_COUNTER_SIDE_SIZE_CUT;
  }
  if (bid === 0) pauseSide(out, true, 'no_valid_bid');
  if (ask === 0) pauseSide(out, false, 'no_valid_ask');

  // ---- levels and sizes
  const levels = Math.min(LEVELS_MAX, Math.max(1, Math.floor(p.MM_NUM_PRICE_LEVELS)));
  const spacing = Math.max(1, Math.floor(p.kmm_level_spacing_ticks));
  out.ok = true;
  if (!out.bidPaused) out.nBid = fillLevels(p, grid, bid, -spacing, levels, bidSizeMult, true, out.bidPrices, out.bidSizes);
  if (!out.askPaused) out.nAsk = fillLevels(p, grid, ask, spacing, levels, askSizeMult, false, out.askPrices, out.askSizes);
  if (trace) trace.push(['levels', { nBid: out.nBid, nAsk: out.nAsk, bidPaused: out.bidReason, askPaused: out.askReason, bidSizeMult, askSizeMult }]);
}

/**
 * Grid model fair value from the others' book (the features exclude our own orders): the
 * microprice (size-weighted touch; the mid when a side is empty) plus the OFI term
 * kmm_ofi_fair_ticks x tick x tanh(OFI / touch depth), touch depth = mean of the others' best
 * bid and ask sizes in contracts (OFI is in contracts): sustained buying raises the fair value
 * by at most kmm_ofi_fair_ticks.
 */
export function bookFair(p: PricingParams, f: kmm.v1.IBookFeatures, mid: number, tick: number, trace: Trace | null): number {
  const micro = (f.microprice ?? 0) > 0 ? (f.microprice as number) : mid;
  const depthContracts = (Number(f.othersBestBidCenti ?? f.bestBidCenti ?? 0) + Number(f.othersBestAskCenti ?? f.bestAskCenti ?? 0)) / 2 / CENTI;
  const ofi = f.ofi ?? 0;
  const ofiTerm = p.kmm_ofi_fair_ticks > 0 && ofi !== 0 ? p.kmm_ofi_fair_ticks * tick * Math.tanh(ofi / Math.max(1, depthContracts)) : 0;
  if (trace) trace.push(['fair', { microprice: micro, ofi, depthContracts, ofiTerm, fair: micro + ofiTerm }]);
  return micro + ofiTerm;
}

/**
 * Avellaneda-Stoikov optimal half-spread in ticks: gamma sigma^2 (T-t) / 2 + (1/gamma) ln(1 + gamma/kappa),
 * sigma in ticks per sqrt(s), kappa per tick, gamma per contract-tick; the gamma -> 0 limit is 1/kappa.
 */
export function asHalfSpreadTicks(gamma: number, sigmaTicks: number, tauS: number, kappaPerTick: number): number {
  const x = gamma / kappaPerTick;
  const intensity = x > 1e-12 ? Math.log1p(x) / gamma : 1 / kappaPerTick;
  return (gamma * sigmaTicks * sigmaTicks * tauS) / 2 + intensity;
}

/** The maker fee per contract of a quote of `countCenti` at `price`, price units (the schedule rounds per order to the cent). */
export function makerFeePerContract(fees: FeeParams, price: number, countCenti: number): number {
  if (countCenti <= 0 || price <= 0 || price >= PRICE_ONE) return 0;
  return (orderFeeCents(false, price, countCenti, fees) * CENTI) / countCenti;
}

/** gridPlacement's reused output. */
export interface GridPlacement {
  bid: number;
  ask: number;
  bidPlace: number;
  askPlace: number;
  /** the A-S half-spread, price units */
  halfSpread: number;
}
const placed: GridPlacement = { bid: 0, ask: 0, bidPlace: PLACE_NONE, askPlace: PLACE_NONE, halfSpread: 0 };

/**
 * The queue ahead of us if we are (or would be) at the others' touch on a side, centi: our
 * resting order's estimate when it is at that price (exchange queue position first), else the
 * others' size there (we would join its back).
 */
export function queueAheadAtTouch(f: kmm.v1.IBookFeatures, isBid: boolean, touch: number): number {
  const queue = f.queue;
  if (queue) {
    for (let i = 0; i < queue.length; i++) {
      const e = queue[i];
      if ((e.side === BID) !== isBid || (e.price ?? 0) !== touch) continue;
      const ex = Number(e.exchangeAheadCenti ?? -1);
      return ex >= 0 ? ex : Number(e.aheadCenti ?? 0);
    }
  }
  return Number(isBid ? f.othersBestBidCenti ?? f.bestBidCenti ?? 0 : f.othersBestAskCenti ?? f.bestAskCenti ?? 0);
}

/** true when one of our resting orders (the book's queue estimates) is on `isBid`'s side at `price`. */
function restingAt(f: kmm.v1.IBookFeatures, isBid: boolean, price: number): boolean {
  const queue = f.queue;
  if (!queue || price <= 0) return false;
  for (let i = 0; i < queue.length; i++) if ((queue[i].side === BID) === isBid && (queue[i].price ?? 0) === price) return true;
  return false;
}

/**
 * The grid model's quotes (README "How prices are made"). Per side (the bid; the ask mirrors it):
 *   delta = A-S half-spread (asHalfSpreadTicks x tick), floor = max(maker fee per contract, markout floor)
 *   limit = r - max(delta - tick/2, floor)   the touch "has the required edge" when B <= limit: the
 *                                            A-S bid r - delta rounds to B or better, and the floors hold
 *   B = the others' best bid, A = the full book's best ask (never crossed)
 *   step in (B + tick): B + tick <= r - max(delta, floor) (the full edge, not rounded), B + tick < A,
 *                       the queue ahead at B > MAX_QUEUE_DEPTH, the side does not take the
 *                       position past DESIRED_INVENTORY, and alpha does not point against it
 *   join (B):           B <= limit; when our order already rests at B, or our last target put
 *                       it there: B <= limit + hysteresis (kmm_touch_hysteresis_ticks x tick: a
 *                       fair value jittering around the limit must not move us off the touch and
 *                       back, losing the queue place; the last target counts because the book
 *                       shows our order only after the exchange placed it, and a microprice on a
 *                       20,000-contract touch jitters by a tenth of a tick per book update)
 *   behind:             the nearest grid price to r - delta, at most r - floor (always below B)
 * Returns null on a non-finite model value.
 */
export function gridPlacement(p: PricingParams, inp: QuoteInputs, r: number, sigmaCents: number, tauS: number, lo: number, hi: number, trace: Trace | null): GridPlacement | null {
  const f = inp.f;
  const grid = inp.grid;
  const tick = grid.tickAt(r > grid.minPrice && r < grid.maxPrice ? r : (grid.minPrice + grid.maxPrice) / 2);
  const sigmaTicks = (sigmaCents * CENTI) / tick;
  const kappa = inp.kappaPerTick > 0 ? inp.kappaPerTick : p.order_arrival_k;
  const deltaTicks = asHalfSpreadTicks(p.risk_aversion, sigmaTicks, tauS, kappa);
  const delta = deltaTicks * tick;
  const fee = makerFeePerContract(inp.fees, clamp(Math.round(r), 1, PRICE_ONE - 1), p.quoteSizeCenti);
  const floor = Math.max(fee, inp.adverseFloorPrice);
  if (!Number.isFinite(r) || !Number.isFinite(delta)) {
    if (trace) trace.push(['model_error', { reservation: r, halfSpread: delta }]);
    return null;
  }
  const fullBid = f.bestBid ?? 0;
  const fullAsk = f.bestAsk ?? 0;
  const othersBid = (f.othersBestBid ?? 0) > 0 ? (f.othersBestBid as number) : fullBid;
  const othersAsk = (f.othersBestAsk ?? 0) > 0 ? (f.othersBestAsk as number) : fullAsk;
  const q = inp.positionCenti;
  const alpha = inp.alphaSkewTicks;
  placed.halfSpread = delta;
  // ---- bid
  {
    const joinLimit = r - Math.max(delta - tick / 2, floor);
    const stepLimit = r - Math.max(delta, floor);
    const ahead = othersBid > 0 ? queueAheadAtTouch(f, true, othersBid) : 0;
    const inside = othersBid > 0 ? gridAbove(grid, othersBid) : 0;
    let price = 0;
    let place = PLACE_BEHIND;
    if (othersBid > 0 && inside > 0 && inside <= stepLimit && inside < fullAsk && ahead > p.maxQueueDepthCenti && q <= p.desiredInventoryCenti && alpha >= 0) {
      price = inside;
      place = PLACE_STEP_IN;
    } else if (othersBid > 0 && othersBid <= joinLimit + (inp.lastBidPrice === othersBid || restingAt(f, true, othersBid) ? p.kmm_touch_hysteresis_ticks * tick : 0)) {
      price = othersBid;
      place = PLACE_JOIN;
    } else {
      const x = r - delta;
      const near = x - grid.floor(x) <= tick / 2 ? grid.floor(x) : grid.ceil(x);
      price = Math.min(near, grid.floor(r - floor));
      if (othersBid > 0 && price >= othersBid) price = gridBelow(grid, othersBid);
    }
    if (price >= fullAsk && fullAsk > 0) price = gridBelow(grid, fullAsk);
    if (price < lo || price > hi) price = 0;
    placed.bid = price;
    placed.bidPlace = price > 0 ? place : PLACE_NONE;
    if (trace) trace.push(['place_bid', { touch: othersBid, aheadContracts: ahead / CENTI, joinLimit, stepLimit, price, place: PLACE_NAMES[placed.bidPlace] }]);
  }
  // ---- ask
  {
    const joinLimit = r + Math.max(delta - tick / 2, floor);
    const stepLimit = r + Math.max(delta, floor);
    const ahead = othersAsk > 0 ? queueAheadAtTouch(f, false, othersAsk) : 0;
    const inside = othersAsk > 0 ? gridBelow(grid, othersAsk) : 0;
    let price = 0;
    let place = PLACE_BEHIND;
    if (othersAsk > 0 && inside > 0 && inside >= stepLimit && inside > fullBid && ahead > p.maxQueueDepthCenti && q >= -p.desiredInventoryCenti && alpha <= 0) {
      price = inside;
      place = PLACE_STEP_IN;
    } else if (othersAsk > 0 && othersAsk >= joinLimit - (inp.lastAskPrice === othersAsk || restingAt(f, false, othersAsk) ? p.kmm_touch_hysteresis_ticks * tick : 0)) {
      price = othersAsk;
      place = PLACE_JOIN;
    } else {
      const x = r + delta;
      const near = grid.ceil(x) - x <= tick / 2 ? grid.ceil(x) : grid.floor(x);
      price = Math.max(near, grid.ceil(r + floor));
      if (othersAsk > 0 && price <= othersAsk) price = gridAbove(grid, othersAsk);
    }
    if (price <= fullBid && price > 0) price = gridAbove(grid, fullBid);
    if (price < lo || price > hi) price = 0;
    placed.ask = price;
    placed.askPlace = price > 0 ? place : PLACE_NONE;
    if (trace) trace.push(['place_ask', { touch: othersAsk, aheadContracts: ahead / CENTI, joinLimit, stepLimit, price, place: PLACE_NAMES[placed.askPlace] }]);
  }
  if (placed.bid > 0 && placed.ask > 0 && placed.bid >= placed.ask) {
    // only when our own quotes are the touch on both sides: keep the side nearer the reservation
    if (r - placed.bid < placed.ask - r) placed.ask = 0;
    else placed.bid = 0;
  }
  if (trace) trace.push(['half_spread', { model: 'grid', gamma: p.risk_aversion, sigmaTicksPerSqrtS: sigmaTicks, tauS, kappaPerTick: kappa, halfSpreadTicks: deltaTicks, makerFee: fee, adverseFloor: inp.adverseFloorPrice, floor }]);
  return placed;
}

function fillLevels(
  p: PricingParams,
  grid: PriceGrid,
  touch: number,
  stepTicks: number,
  levels: number,
  sizeMult: number,
  isBid: boolean,
  prices: Int32Array,
  sizes: Float64Array,
): number {
  let n = 0;
  let price = touch;
  let scale = 1;
  for (let i = 0; i < levels; i++) {
    if (i > 0) {
      const next = grid.step(price, stepTicks);
      if (next === price) break; // clamped at the grid edge
      price = next;
      scale *= p.MM_SIZE_SCALE_PER_LEVEL;
    }
    const legPrice = isBid ? price : PRICE_ONE - price;
    let size = Math.min(Math.floor((p.quoteSizeCenti * scale * sizeMult) / CENTI) * CENTI, p.orderMaxCenti);
    if (p.orderNotionalMoney > 0 && legPrice > 0) {
      // notional money = countCenti * legPrice / 100  <= cap
      const capCenti = Math.floor((p.orderNotionalMoney * CENTI) / legPrice / CENTI) * CENTI;
      if (size > capCenti) size = capCenti;
    }
    if (size <= 0) continue;
    prices[n] = price;
    sizes[n] = size;
    n++;
  }
  return n;
}

/** The side reduces a position that is at or over its cap (the bid when short, the ask when long). */
export function reducingAtCap(inp: QuoteInputs, isBid: boolean): boolean {
  const q = inp.positionCenti;
  return isBid ? q < 0 && -q >= inp.shortCapCenti : q > 0 && q >= inp.longCapCenti;
}

function pauseSide(out: QuoteResult, bid: boolean, reason: string): void {
  if (bid) {
    if (!out.bidPaused) {
      out.bidPaused = true;
      out.bidReason = reason;
    }
  } else if (!out.askPaused) {
    out.askPaused = true;
    out.askReason = reason;
  }
}

function stop(out: QuoteResult, reason: string, trace: Trace | null): void {
  out.ok = false;
  out.reason = reason;
  out.bidPaused = out.askPaused = true;
  out.bidReason = out.askReason = reason;
  if (trace) trace.push(['stop', reason]);
}

const BID = 1; // kmm.v1.BookSide.BID (a value import of @kmm/shared is avoided here)

/** A v2 queue move on the touch level. */
export type QueueAction = 'front_bid' | 'front_ask' | 'yield_bid' | 'yield_ask';

/** The queue subset of StrategyParams. */
export interface QueueParams {
  /** at most this many centi ahead of us counts as "at the front" */
  queueFrontCenti: number;
  /** |OFI| (contracts) against us at the front that makes us yield; 0 = never */
  toxicOfiContracts: number;
  /** more than this many centi ahead is "too deep" */
  maxQueueDepthCenti: number;
  /** stepping in is allowed while |q| stays within this */
  desiredInventoryCenti: number;
}

/** The others' touch on a side (the full book's when the features do not say). */
export function othersTouch(f: kmm.v1.IBookFeatures, isBid: boolean): number {
  const o = isBid ? f.othersBestBid ?? 0 : f.othersBestAsk ?? 0;
  return o > 0 ? o : isBid ? f.bestBid ?? 0 : f.bestAsk ?? 0;
}

/** OFI against a side beyond the toxic threshold (x `scale`: 1 to start a yield, 1/2 to keep one). */
export function toxicAgainst(p: QueueParams, ofi: number, isBid: boolean, scale: number): boolean {
  if (p.toxicOfiContracts <= 0) return false;
  const t = p.toxicOfiContracts * scale;
  return isBid ? ofi <= -t : ofi >= t;
}

/** Levels kept per side after queueOptimise (reused by the caller). */
export interface QueueOutcome {
  nBid: number;
  nAsk: number;
}

/**
 * v2 queue optimisation on the touch levels of `qr` (nBid / nAsk of them quoted), using the
 * book's queue estimates in inp.f.queue.
 * Too deep (ahead > MAX_QUEUE_DEPTH) on a side that keeps |q| within DESIRED_INVENTORY and
 * not against alpha: step one tick inside to be first at a new level (cancel-replace to
 * the front), if that stays below the opposite touch. At the front (ahead <=
 * kmm_queue_front_contracts) with OFI against us beyond kmm_toxic_ofi_contracts: yield (the
 * side keeps no levels), except on the side that reduces a position at or over its cap. Only
 * the front of the market counts: an order alone at a level behind the others' touch has
 * nothing ahead of it but is not at the front (yielding it made the side cancel and re-place
 * every few seconds, issue 17). The yield then holds while the flow stays toxic (strategy.ts:
 * without a resting order there is no queue estimate to decide on). Moves qr's touch prices in
 * place (only with `frontMoves`: the grid model places on the queue itself), appends each move
 * to `actions` and writes the kept level counts to `out`.
 */
export function queueOptimise(p: QueueParams, inp: QuoteInputs, qr: QuoteResult, nBid: number, nAsk: number, actions: QueueAction[], out: QueueOutcome, frontMoves = true): void {
  const f = inp.f;
  const queue = f.queue;
  if (queue && queue.length > 0) {
    const bestBid = f.bestBid ?? 0;
    const bestAsk = f.bestAsk ?? 0;
    const q = inp.positionCenti;
    const alpha = inp.alphaSkewTicks;
    const ofi = f.ofi ?? 0;
    for (let i = 0; i < queue.length; i++) {
      const e = queue[i];
      const isBid = e.side === BID;
      const n = isBid ? nBid : nAsk;
      if (n === 0) continue;
      const prices = isBid ? qr.bidPrices : qr.askPrices;
      if ((e.price ?? 0) !== prices[0]) continue;
      const exAhead = Number(e.exchangeAheadCenti ?? -1);
      const ahead = exAhead >= 0 ? exAhead : Number(e.aheadCenti ?? 0);
      if (ahead <= p.queueFrontCenti) {
        const touch = othersTouch(f, isBid);
        const atFront = touch <= 0 || (isBid ? prices[0] >= touch : prices[0] <= touch);
        if (atFront && toxicAgainst(p, ofi, isBid, 1) && !reducingAtCap(inp, isBid)) {
          if (isBid) nBid = 0;
          else nAsk = 0;
          actions.push(isBid ? 'yield_bid' : 'yield_ask');
        }
      } else if (frontMoves && ahead > p.maxQueueDepthCenti) {
        const wantsInventory = isBid ? q < p.desiredInventoryCenti : q > -p.desiredInventoryCenti;
        const alphaOk = isBid ? alpha >= 0 : alpha <= 0;
        if (!wantsInventory || !alphaOk) continue;
        if (isBid) {
          const np = gridAbove(inp.grid, prices[0]);
          const other = nAsk > 0 ? qr.askPrices[0] : bestAsk;
          if (np > 0 && np < bestAsk && np < other) {
            prices[0] = np;
            actions.push('front_bid');
          }
        } else {
          const np = gridBelow(inp.grid, prices[0]);
          const other = nBid > 0 ? qr.bidPrices[0] : bestBid;
          if (np > 0 && np > bestBid && np > other) {
            prices[0] = np;
            actions.push('front_ask');
          }
        }
      }
    }
  }
  out.nBid = nBid;
  out.nAsk = nAsk;
}
