/**
 * Impulse engine (seed 001) and the 002 forced exit: when to cross the spread, how much, at
 * what limit. Pure functions over one market's state; the core decides priorities and the
 * in-flight cooldown.
 *
 * Sizes are whole contracts (centi multiples of 100), never more than needed to reach the
 * target inventory: for a reducing intent size <= |q| - |target| with q the smaller-magnitude
 * of the exchange and local positions (so a fill not yet reflected by the exchange can never
 * make us overshoot), and size <= kmm_taker_max_contracts. Limits are the opposite touch
 * (+- kmm_taker_slippage_ticks), snapped to the grid; intents are IOC.
 *
 * Bailout (impulse control): holding q for tau costs 1/2 gamma sigma^2 tau q^2 (the A-S
 * mean-variance penalty, the same gamma/sigma/tau as the reservation shift); crossing costs
 * c per contract = distance from fair value to the touch + Kalshi's rounded taker fee per
 * contract. Holding beats crossing below q* = c / (gamma sigma^2 tau); above it we sell the
 * excess |q| - q*, the point where the marginal holding cost equals the crossing cost.
 */
import { orderFeeCents, type FeeParams, type PriceGrid } from '@kmm/shared';
import { PRICE_ONE } from './pricing.js';

const CENTI = 100;

export const BID = 1;
export const ASK = 2;

/** Reducing-side size in centi, floored to whole contracts. */
export function reduceSize(qCenti: number, targetAbsCenti: number, maxCenti: number): number {
  const need = Math.abs(qCenti) - targetAbsCenti;
  if (need <= 0) return 0;
  return Math.floor(Math.min(need, maxCenti) / CENTI) * CENTI;
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
