/**
 * Impulse engine (seed 001) and the 002 forced exit: when to cross the spread, how much, at
 * what limit. Pure functions over one market's state; the core decides priorities and the
 * in-flight cooldown.
 *
 * Sizes are never more than needed to reach the target inventory, in centi (Kalshi takes
 * fractional counts, 2 dp): a reducing taker that reaches its target takes the fraction too, so
 * a leftover of 0.05 contracts is flattened; one capped by fat_finger_max_contracts is whole
 * contracts: for a reducing intent size <= |q| - |target| with q the smaller-magnitude
 * of the exchange and local positions (so a fill not yet reflected by the exchange can never
 * make us overshoot), and size <= fat_finger_max_contracts. Limits are the opposite touch
 * (+- kmm_taker_slippage_ticks), snapped to the grid; intents are IOC.
 *
 * Bailout (impulse control): holding q for tau costs 1/2 gamma sigma^2 tau q^2 (the A-S
 * mean-variance penalty, the same gamma/sigma/tau as the reservation shift); crossing costs
 * c per contract = distance from fair value to the touch + Kalshi's rounded taker fee per
 * contract. Holding beats crossing below q* = c / (gamma sigma^2 tau); above it we sell the
 * excess |q| - q*, the point where the marginal holding cost equals the crossing cost. The
 * maker's cap sits below q* (makerBailoutCapCenti: (1 - kmm_bailout_hysteresis) x q*), so maker
 * fills stop short of the threshold and the bailout does not churn against our own quotes.
 *
 * chooseTaker applies the rules in priority order (the first that fires wins): 002 forced
 * exit near resolution, 002 rebalance exit, the 001 inventory breach, toxicity, bailout and
 * (risk-increasing, capped, not while makers are paused) arbitrage. Every one of them crosses the
 * spread, so all of them need IMPULSE_CONTROL_ENABLED: 001 "set IMPULSE_CONTROL_ENABLED = False to
 * disable taker logic" (V1: "high inventory -> lower bid -> wait for fill or hold to expiry"). With
 * it off the 002 exits do not take; the inventory skew and spread keep working the position off.
 */
import { kmm, orderFeeCents, type FeeParams, type PriceGrid } from '@kmm/shared';
import type { StrategyParams } from './params.js';
import { horizonS, PRICE_ONE, sigmaCentsPerSqrtS } from './pricing.js';

const CENTI = 100;

export const BID = 1;
export const ASK = 2;

/**
 * Reducing-side size in centi: exactly what reaches the target (fractions included: Kalshi
 * counts are 2 dp), or whole contracts when the per-order maximum caps it.
 */
export function reduceSize(qCenti: number, targetAbsCenti: number, maxCenti: number): number {
  const need = Math.abs(qCenti) - targetAbsCenti;
  if (need <= 0) return 0;
  if (need <= maxCenti) return need;
  return Math.floor(maxCenti / CENTI) * CENTI;
}

/** The smaller-magnitude same-sign position of two estimates (0 when they disagree in sign). */
export function conservativeReducePosition(exchangeCenti: number, localCenti: number): number {
  if (exchangeCenti > 0 && localCenti > 0) return Math.min(exchangeCenti, localCenti);
  if (exchangeCenti < 0 && localCenti < 0) return Math.max(exchangeCenti, localCenti);
  return 0;
}

/**
 * Limit for a taker: buy (BID) up to best ask + slippage, sell (ASK) down to best bid -
 * slippage (bailout_max_slippage_cents), on the grid and never past the touch's far side.
 */
export function takerLimit(grid: PriceGrid, side: number, bestBid: number, bestAsk: number, slippagePrice: number): number {
  if (side === BID) {
    if (bestAsk <= 0) return 0;
    const touch = grid.ceil(bestAsk);
    return Math.max(touch, grid.floor(Math.min(touch + slippagePrice, grid.maxPrice)));
  }
  if (bestBid <= 0) return 0;
  const touch = grid.floor(bestBid);
  return Math.min(touch, grid.ceil(Math.max(touch - slippagePrice, grid.minPrice)));
}

/** Seed 001 hard inventory breach: |q| > Q_critical -> take back to Q_target. */
export function breachSize(qCenti: number, qCriticalCenti: number, qTargetCenti: number, maxCenti: number): number {
  if (Math.abs(qCenti) <= qCriticalCenti) return 0;
  return reduceSize(qCenti, qTargetCenti, maxCenti);
}

/** Per-contract taker fee (1/10,000 $) for `sizeCenti` at yesPrice, Kalshi's cent rounding included. */
export function takerFeePerContract(yesPrice: number, sizeCenti: number, fees: FeeParams): number {
  if (sizeCenti <= 0) return 0;
  return (orderFeeCents(true, yesPrice, sizeCenti, fees) * CENTI) / sizeCenti;
}

export interface BailoutInput {
  qCenti: number;
  fair: number;
  bestBid: number;
  bestAsk: number;
  /** gamma sigma^2 tau in price units per contract^2: marginal holding cost is this x |q| */
  kPrice: number;
  fees: FeeParams;
  maxCenti: number;
}

export interface BailoutResult {
  sizeCenti: number;
  /** crossing cost per contract, price units */
  crossCost: number;
  /** inventory (contracts) below which holding is cheaper */
  qStarContracts: number;
  holdCostMoney: number;
}

export function bailout(inp: BailoutInput, out: BailoutResult): number {
  out.sizeCenti = 0;
  out.crossCost = 0;
  out.qStarContracts = Infinity;
  out.holdCostMoney = 0;
  const q = inp.qCenti;
  if (q === 0 || !(inp.kPrice > 0)) return 0;
  const touch = q > 0 ? inp.bestBid : inp.bestAsk;
  if (touch <= 0) return 0;
  const spreadCost = q > 0 ? inp.fair - touch : touch - inp.fair;
  const crossCost = Math.max(0, spreadCost) + takerFeePerContract(touch, Math.abs(q), inp.fees);
  const k = inp.kPrice;
  const qStar = crossCost / k;
  const qContracts = Math.abs(q) / CENTI;
  out.crossCost = crossCost;
  out.qStarContracts = qStar;
  out.holdCostMoney = 0.5 * k * qContracts * qContracts;
  if (qContracts <= qStar) return 0;
  const targetCenti = Math.ceil(qStar) * CENTI;
  out.sizeCenti = reduceSize(q, targetCenti, inp.maxCenti);
  return out.sizeCenti;
}

/**
 * The bailout check for position qCenti in one market now: the same sigma, horizon and fair value
 * (mid + alpha skew) as the reservation price. Fills `bo`; returns the size to sell (0: hold).
 */
export function bailoutFor(p: StrategyParams, m: TakerMarket, f: kmm.v1.IBookFeatures, nowMs: number, alphaSkewTicks: number, qCenti: number, bo: BailoutResult): number {
  const bestBid = f.bestBid ?? 0;
  const bestAsk = f.bestAsk ?? 0;
  const mid = f.mid && f.mid > 0 ? f.mid : (bestBid + bestAsk) / 2;
  const ttc = m.closeTimeMs > 0 ? m.closeTimeMs - nowMs : Infinity;
  const sigma = sigmaCentsPerSqrtS(p, f, mid);
  const tauS = Math.min(horizonS(p, ttc), p.kmm_bailout_horizon_s);
  const fair = mid + alphaSkewTicks * m.grid.tickAt(mid);
  const kPrice = p.risk_aversion * sigma * sigma * tauS * CENTI;
  return bailout({ qCenti, fair, bestBid, bestAsk, kPrice, fees: m.fees, maxCenti: p.orderMaxCenti }, bo);
}

/**
 * The maker's cap in one direction (long for the bid, short for the ask) under impulse control:
 * (1 - kmm_bailout_hysteresis) x the bailout threshold q* in that direction, centi, fractional
 * (latchMakerCap makes it whole contracts, with hysteresis). q* is judged at the larger of the position in that direction and one quote, the size
 * the next maker fill would bring. Infinity when the bailout is off or has no threshold (no
 * volatility, no touch). The bailout fires above q* and sells down to ceil(q*): the band between
 * the two is the hysteresis that keeps taker and maker from trading against each other.
 */
export function makerBailoutCapCenti(p: StrategyParams, m: TakerMarket, f: kmm.v1.IBookFeatures, nowMs: number, alphaSkewTicks: number, isLong: boolean, bo: BailoutResult): number {
  if (!p.IMPULSE_CONTROL_ENABLED) return Infinity;
  const bestBid = f.bestBid ?? 0;
  const bestAsk = f.bestAsk ?? 0;
  if (bestBid <= 0 || bestAsk <= 0 || bestBid >= bestAsk) return Infinity;
  const pos = isLong ? Math.max(m.exchPosCenti, m.localPosCenti) : -Math.min(m.exchPosCenti, m.localPosCenti);
  const qAbs = Math.max(pos, p.quoteSizeCenti, CENTI);
  bailoutFor(p, m, f, nowMs, alphaSkewTicks, isLong ? qAbs : -qAbs, bo);
  if (!Number.isFinite(bo.qStarContracts)) return Infinity;
  return bo.qStarContracts * (1 - p.kmm_bailout_hysteresis) * CENTI;
}

/**
 * The maker cap actually used, from the raw cap (makerBailoutCapCenti, fractional) and the one
 * in force: it falls at once (whole contracts below the raw cap), but rises only when the raw cap
 * clears the next whole contract by half a contract, so a q* that hovers around a boundary does
 * not toggle the side on and off (each toggle is a cancel and a create). Infinity: no cap.
 */
export function latchMakerCap(rawCenti: number, inForceCenti: number): number {
  if (!Number.isFinite(rawCenti)) return Infinity;
  const down = Math.floor(rawCenti / CENTI) * CENTI;
  if (!Number.isFinite(inForceCenti) || down <= inForceCenti) return Math.max(0, down);
  return rawCenti >= inForceCenti + 1.5 * CENTI ? Math.max(0, Math.floor((rawCenti - CENTI / 2) / CENTI) * CENTI) : inForceCenti;
}

/**
 * Arbitrage: external fair value beyond the touch by more than the book spread plus the
 * taker fee per contract. Returns +1 buy, -1 sell, 0 none.
 */
export function arbitrageDirection(oracle: number, bestBid: number, bestAsk: number, fees: FeeParams, sizeCenti: number, minEdgePrice: number): number {
  if (oracle <= 0 || bestBid <= 0 || bestAsk <= 0 || bestBid >= bestAsk) return 0;
  const spread = bestAsk - bestBid;
  if (oracle - (bestAsk + spread + takerFeePerContract(bestAsk, sizeCenti, fees)) > minEdgePrice) return 1;
  if (bestBid - spread - takerFeePerContract(bestBid, sizeCenti, fees) - oracle > minEdgePrice) return -1;
  return 0;
}

/** Toxicity spike: alpha moved against the position by more than the threshold (price units). */
export function toxicitySpike(qCenti: number, alphaRef: number, alphaNow: number, thresholdPrice: number): boolean {
  if (qCenti === 0 || alphaRef <= 0 || alphaNow <= 0 || thresholdPrice <= 0) return false;
  const move = alphaNow - alphaRef;
  return qCenti > 0 ? -move > thresholdPrice : move > thresholdPrice;
}

export { PRICE_ONE };

/** What chooseTaker reads of one market (StrategyCore's per-market state satisfies it). */
export interface TakerMarket {
  readonly exchPosCenti: number;
  readonly localPosCenti: number;
  readonly restingBidCenti: number;
  readonly restingAskCenti: number;
  /** 0 = unknown */
  readonly closeTimeMs: number;
  /** external fair value when the position was opened (0 = none) */
  readonly alphaRef: number;
  /** latest external fair value (0 = none) */
  readonly alphaFair: number;
  readonly fees: FeeParams;
  readonly grid: PriceGrid;
}

/** The market's alpha and pause state at decision time. */
export interface TakerContext {
  /** an external fair value no older than kmm_alpha_max_age_ms */
  alphaFresh: boolean;
  /** the external skew in ticks (0 without a fresh value) */
  alphaSkewTicks: number;
  /** operator pause: risk-reducing takers still run, arbitrage does not */
  makerPaused: boolean;
}

/** One taker to send: side, size, why (the ops event's fields). */
export interface TakerChoice {
  side: number;
  sizeCenti: number;
  reason: kmm.v1.TakerReason;
  reduceOnly: boolean;
  why: Record<string, unknown>;
}

/**
 * The taker for one market, or null. Needs a valid, uncrossed touch; `bo` is scratch for the
 * bailout numbers (read them for the ops event). No in-flight check: the caller keeps one
 * taker in flight per market.
 */
export function chooseTaker(p: StrategyParams, m: TakerMarket, f: kmm.v1.IBookFeatures, nowMs: number, ctx: TakerContext, bo: BailoutResult): TakerChoice | null {
  const bestBid = f.bestBid ?? 0;
  const bestAsk = f.bestAsk ?? 0;
  if (bestBid <= 0 || bestAsk <= 0 || bestBid >= bestAsk) return null;
  const qRed = conservativeReducePosition(m.exchPosCenti, m.localPosCenti);
  const exitSide = qRed > 0 ? ASK : BID;
  const ttc = m.closeTimeMs > 0 ? m.closeTimeMs - nowMs : Infinity;
  const reduce = (sizeCenti: number, reason: kmm.v1.TakerReason, why: Record<string, unknown>): TakerChoice => ({ side: exitSide, sizeCenti, reason, reduceOnly: true, why });
  // 001: with impulse control off nothing crosses the spread, the 002 exits included
  if (!p.IMPULSE_CONTROL_ENABLED) return null;
  // 002 forced exit near resolution
  if (ttc < p.forceExitMs && Math.abs(qRed) > p.forceExitMinCenti) {
    const size = reduceSize(qRed, 0, p.orderMaxCenti);
    if (size > 0) return reduce(size, kmm.v1.TakerReason.FORCED_EXIT, { trigger: 'force_exit_hours', time_to_close_ms: ttc, position: qRed / CENTI });
  }
  // 002 check_exit: |net| above rebalance_threshold -> exit the whole position
  if (p.rebalanceCenti > 0 && Math.abs(qRed) > p.rebalanceCenti) {
    const size = reduceSize(qRed, 0, p.orderMaxCenti);
    if (size > 0) return reduce(size, kmm.v1.TakerReason.FORCED_EXIT, { trigger: 'rebalance_threshold', position: qRed / CENTI, rebalance_threshold: p.rebalance_threshold });
  }
  // hard inventory breach: |q| > Q_critical -> Q_target
  const bsz = breachSize(qRed, p.qCriticalCenti, p.qTargetCenti, p.orderMaxCenti);
  if (bsz > 0) return reduce(bsz, kmm.v1.TakerReason.INVENTORY_BREACH, { position: qRed / CENTI, q_critical: p.Q_critical, q_target: p.Q_target });
  // toxicity spike: alpha moved against the position -> close all (this market here; the core
  // closes every other market's position too: 001 Market_Close_All)
  if (ctx.alphaFresh && toxicitySpike(qRed, m.alphaRef, m.alphaFair, p.toxicityPrice)) {
    const size = reduceSize(qRed, 0, p.orderMaxCenti);
    if (size > 0) return reduce(size, kmm.v1.TakerReason.TOXICITY, { position: qRed / CENTI, alpha_ref: m.alphaRef, alpha_now: m.alphaFair });
  }
  // bailout: holding costs more than crossing
  if (qRed !== 0) {
    const sz = bailoutFor(p, m, f, nowMs, ctx.alphaSkewTicks, qRed, bo);
    if (sz > 0) return reduce(sz, kmm.v1.TakerReason.BAILOUT, { position: qRed / CENTI, cross_cost: bo.crossCost, q_star: bo.qStarContracts, hold_cost_money: bo.holdCostMoney });
  }
  // arbitrage: external oracle beyond the touch + spread + fees (risk-increasing: capped)
  if (!ctx.makerPaused && ctx.alphaFresh) {
    const base = Math.min(p.quoteSizeCenti, p.orderMaxCenti);
    const dir = arbitrageDirection(m.alphaFair, bestBid, bestAsk, m.fees, base, p.arbMinEdgePrice);
    if (dir !== 0) {
      const isBuy = dir > 0;
      const touchCenti = Number(isBuy ? f.bestAskCenti ?? 0 : f.bestBidCenti ?? 0);
      const pos = isBuy ? Math.max(m.exchPosCenti, m.localPosCenti) : Math.min(m.exchPosCenti, m.localPosCenti);
      const dirPos = isBuy ? pos : -pos;
      const resting = isBuy ? m.restingBidCenti : m.restingAskCenti;
      const cap = isBuy ? p.longCapCenti : p.shortCapCenti;
      const room = cap - dirPos - resting;
      let size = Math.min(base, touchCenti > 0 ? touchCenti : base, room);
      size = Math.floor(size / CENTI) * CENTI;
      if (size > 0) return { side: isBuy ? BID : ASK, sizeCenti: size, reason: kmm.v1.TakerReason.ARBITRAGE, reduceOnly: false, why: { oracle: m.alphaFair, best_bid: bestBid, best_ask: bestAsk } };
    }
  }
  return null;
}
