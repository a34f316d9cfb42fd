/**
 * Adaptive post-only handling (004): maker quotes keep `safety ticks` away from the opposite
 * best price; each post-only rejection (POST_ONLY_CROSS) on a market/side widens that buffer by
 * one tick up to MM_POF_MAX_SAFETY_TICKS and starts a cooldown (MM_POF_COOLDOWN_S x
 * MM_POF_BACKOFF_MULTIPLIER^(streak-1)) during which that side places nothing new; a quiet
 * period of MM_POF_STREAK_RESET_S resets the streak and the buffer to MM_POST_ONLY_SAFETY_TICKS.
 * With MM_ADAPTIVE_POF_ENABLED=false the buffer stays at the base and the cooldown does not grow.
 *
 * State: one record per market/side, created on first rejection (bounded by the market set).
 * Pure: time is passed in (ms).
 */
import type { PriceGrid } from '@kmm/shared';

export interface PofParams {
  adaptivePofEnabled: boolean;
  postOnlySafetyTicks: number;
  pofMaxSafetyTicks: number;
  pofBackoffMultiplier: number;
  pofStreakResetMs: number;
  pofCooldownMs: number;
}

interface PofState {
  extraTicks: number;
  streak: number;
  lastPofMs: number;
  cooldownUntilMs: number;
}

const BID = 1;

export class PostOnlyAdaptor {
  private readonly states = new Map<string, PofState>();
  rejections = 0;

  constructor(private p: PofParams) {}
  setParams(p: PofParams): void {
    this.p = p;
  }

  private key(market: string, side: number): string {
    return side === BID ? market + '|b' : market + '|a';
  }

  private state(market: string, side: number, nowMs: number): PofState | undefined {
    const s = this.states.get(this.key(market, side));
    if (s && s.streak > 0 && nowMs - s.lastPofMs >= this.p.pofStreakResetMs) {
      s.streak = 0;
      s.extraTicks = 0;
    }
    return s;
  }

  safetyTicks(market: string, side: number, nowMs: number): number {
    const s = this.state(market, side, nowMs);
    const extra = this.p.adaptivePofEnabled && s ? s.extraTicks : 0;
    return Math.min(this.p.postOnlySafetyTicks + extra, Math.max(this.p.pofMaxSafetyTicks, this.p.postOnlySafetyTicks));
  }

  inCooldown(market: string, side: number, nowMs: number): boolean {
    const s = this.state(market, side, nowMs);
    return s !== undefined && nowMs < s.cooldownUntilMs;
  }

  cooldownUntil(market: string, side: number): number {
    return this.states.get(this.key(market, side))?.cooldownUntilMs ?? 0;
  }

  /** A post-only rejection: widen, extend the cooldown. Returns the new safety ticks. */
  onReject(market: string, side: number, nowMs: number): number {
    this.rejections++;
    const k = this.key(market, side);
    let s = this.state(market, side, nowMs);
    if (!s) {
      s = { extraTicks: 0, streak: 0, lastPofMs: 0, cooldownUntilMs: 0 };
      this.states.set(k, s);
    }
    s.streak++;
    s.lastPofMs = nowMs;
    if (this.p.adaptivePofEnabled) s.extraTicks = Math.min(s.extraTicks + 1, Math.max(0, this.p.pofMaxSafetyTicks - this.p.postOnlySafetyTicks));
    const factor = this.p.adaptivePofEnabled ? Math.pow(this.p.pofBackoffMultiplier, s.streak - 1) : 1;
    s.cooldownUntilMs = nowMs + Math.round(this.p.pofCooldownMs * factor);
    return this.safetyTicks(market, side, nowMs);
  }

  /**
   * The safe maker price for a target: a bid at most `ticks` below the best ask, an ask at least
   * `ticks` above the best bid (0 = that side of the book is empty: nothing to stay away from).
   * Returns the price unchanged when already safe, a less aggressive grid price, or 0 when no
   * grid price is safe.
   */
  safePrice(grid: PriceGrid, market: string, side: number, price: number, bestBid: number, bestAsk: number, nowMs: number): number {
    // at least one tick: a bid exactly at the best ask is already a cross
    const ticks = Math.max(1, this.safetyTicks(market, side, nowMs));
    if (side === BID) {
      if (bestAsk <= 0) return price;
      const limit = grid.step(grid.floor(bestAsk), -ticks);
      if (limit >= bestAsk) return 0; // no grid price is safe: place nothing
      return price > limit ? limit : price;
    }
    if (bestBid <= 0) return price;
    const limit = grid.step(grid.ceil(bestBid), ticks);
    if (limit <= bestBid) return 0;
    return price < limit ? limit : price;
  }
}
