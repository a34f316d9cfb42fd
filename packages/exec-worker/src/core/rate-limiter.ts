/**
 * Client-side mirror of Kalshi's token buckets (kalshi-api.md section 5): two independent
 * buckets (read, write), refill tokens/s and capacity per usage tier, a token cost per endpoint.
 * We run at a configurable fraction of the tier's refill and capacity so the exchange's bucket
 * never empties because of us; a 429 (which means our mirror drifted) pauses new orders for
 * `pauseMs` and empties our write bucket, while cancels keep flowing (003: "pause new orders 2s,
 * allow cancels").
 *
 * Priority (cancels before creates) is applied by the caller, which drains cancels first;
 * `reserveMs` below lets a create be refused while leaving headroom for cancels.
 * Pure: time is passed in (ms, monotonic).
 */
// the tier table of section 5 is @kmm/shared's RATE_TIERS: the simulator enforces the same one
import { rateBucketsAt, type RateTier } from '@kmm/shared';

/** Token cost per V2 endpoint (section 5; amend/decrease 10 is marked uncertain there, we take the safe reading). */
export const ENDPOINT_COST = {
  create: 10,
  batchCreatePerOrder: 10,
  cancel: 2,
  batchCancelPerOrder: 2,
  amend: 10,
  decrease: 10,
  getOrder: 2,
  read: 10,
  orderGroup: 10,
  /** Cancel All: as much as a maximum-size batch cancel (20 orders) */
  cancelAll: 40,
} as const;

/** Cost of one reconcile (orders + positions + fills; first pages), taken from the read bucket at once. */
export const RECONCILE_READ_TOKENS = 3 * ENDPOINT_COST.read;

/**
 * The smallest read bucket (capacity, tokens): one reconcile. A reconcile takes its tokens in one
 * go (tryTake needs them all present), so a bucket that holds fewer could never start one: exec
 * would never finish its start-up reconcile (never Ready) nor check the exchange again. A small
 * read share (a cluster of many gateways) therefore keeps this much capacity; its refill rate
 * stays the share (the gateways' refills together never exceed the account's), so a small
 * share waits longer between reconciles, never forever.
 */
export const READ_BUCKET_MIN_TOKENS = RECONCILE_READ_TOKENS;

/** A continuously refilling token bucket. Tokens are kept in milli-tokens so the math is integer. */
export class TokenBucket {
  private milliTokens: number;
  private lastMs: number;
  constructor(
    private ratePerS: number,
    private capacity: number,
    nowMs: number,
    startFull = true,
  ) {
    this.milliTokens = startFull ? capacity * 1000 : 0;
    this.lastMs = nowMs;
  }
  private refill(nowMs: number): void {
    if (nowMs <= this.lastMs) return;
    // rate tokens/s == rate milli-tokens/ms
    this.milliTokens = Math.min(this.capacity * 1000, this.milliTokens + Math.floor((nowMs - this.lastMs) * this.ratePerS));
    this.lastMs = nowMs;
  }
  available(nowMs: number): number {
    this.refill(nowMs);
    return Math.floor(this.milliTokens / 1000);
  }
  /** Takes `cost` tokens if at least `cost + reserve` are available. */
  tryTake(cost: number, nowMs: number, reserve = 0): boolean {
    this.refill(nowMs);
    if (this.milliTokens < (cost + reserve) * 1000) return false;
    this.milliTokens -= cost * 1000;
    return true;
  }
  /** Gives tokens back (a command that was refused before reaching the wire). */
  refund(cost: number): void {
    this.milliTokens = Math.min(this.capacity * 1000, this.milliTokens + cost * 1000);
  }
  drain(nowMs: number): void {
    this.refill(nowMs);
    this.milliTokens = 0;
  }
  /** ms until `cost` tokens are available (0 if now). */
  waitMs(cost: number, nowMs: number): number {
    this.refill(nowMs);
    const missing = cost * 1000 - this.milliTokens;
    return missing <= 0 ? 0 : Math.ceil(missing / this.ratePerS);
  }
  get capacityTokens(): number {
    return this.capacity;
  }
  get refillPerS(): number {
    return this.ratePerS;
  }
}

export class RateLimiter {
  readonly read: TokenBucket;
  readonly write: TokenBucket;
  /** New orders (create, amend up) are refused until this time after a 429. */
  pausedUntilMs = 0;
  /** Cancels are held until this time after a 429 on a cancel. */
  cancelPausedUntilMs = 0;
  /** Tokens kept back from creates so cancels always find room (one batch cancel of 20). */
  readonly cancelReserve: number;
  /** tokens maker creates leave for a risk-reducing taker */
  readonly takerReserve: number;
  rateLimited429 = 0;

  /**
   * @param readShare this process's share of the account's read bucket (kmm_read_share_fraction,
   *   (0, 1]): the account has one read bucket for all its processes, so each gateway of a
   *   cluster reads within its share (the write buckets are per exchange shard: not split)
   * @param venueTimeScale market seconds per second of the venue (a time-compressed simulator;
   *   rateBucketsAt): its buckets refill this much faster, and so does this mirror. 1 = real time
   */
  constructor(
    tier: RateTier,
    budgetPermille: number,
    private readonly pauseMs: number,
    nowMs: number,
    readShare = 1,
    venueTimeScale = 1,
  ) {
    if (!(readShare > 0 && readShare <= 1)) throw new Error(`read share must be in (0, 1], got ${readShare}`);
    const t = rateBucketsAt(tier, venueTimeScale);
    const f = budgetPermille / 1000;
    const r = f * readShare;
    this.read = new TokenBucket(t.readTokensPerS * r, Math.max(READ_BUCKET_MIN_TOKENS, Math.floor(t.readCapacity * r)), nowMs);
    this.write = new TokenBucket(t.writeTokensPerS * f, Math.max(ENDPOINT_COST.create, Math.floor(t.writeCapacity * f)), nowMs);
    this.cancelReserve = Math.min(Math.floor(this.write.capacityTokens / 5), 20 * ENDPOINT_COST.batchCancelPerOrder);
    // one create's worth, kept for risk-reducing takers (when the bucket is big enough to afford it)
    this.takerReserve = this.write.capacityTokens >= this.cancelReserve + 3 * ENDPOINT_COST.create ? ENDPOINT_COST.create : 0;
  }

  isPaused(nowMs: number): boolean {
    return nowMs < this.pausedUntilMs;
  }
  /**
   * Cancels and decreases: not paused by a 429 on a create (they reduce risk), may use the
   * reserve; held only after a 429 on a cancel itself (the exchange refuses cancels too, and
   * retrying them every tick would keep its bucket empty: issue 14, a 429 storm at shutdown).
   */
  tryCancel(cost: number, nowMs: number): boolean {
    if (nowMs < this.cancelPausedUntilMs) return false;
    return this.write.tryTake(cost, nowMs, 0);
  }
  /** ms until a cancel of `cost` tokens may go (the cancel pause, then the bucket). */
  cancelWaitMs(cost: number, nowMs: number): number {
    return Math.max(0, this.cancelPausedUntilMs - nowMs, this.write.waitMs(cost, nowMs));
  }
  /** Creates and amends: refused while paused, and must leave the cancel reserve in the bucket. */
  /**
   * Tokens for a create. Maker creates leave `cancelReserve` + `takerReserve` in the bucket; a
   * risk-reducing taker may use the taker reserve (issue 13: a bailout was refused for lack of
   * tokens while makers used them up); cancels may use everything.
   */
  tryCreate(cost: number, nowMs: number, reducingTaker = false): boolean {
    if (nowMs < this.pausedUntilMs) return false;
    return this.write.tryTake(cost, nowMs, this.cancelReserve + (reducingTaker ? 0 : this.takerReserve));
  }
  tryRead(cost: number, nowMs: number): boolean {
    return this.read.tryTake(cost, nowMs, 0);
  }
  /**
   * The exchange said 429: our mirror is ahead of reality. Pause new orders and start from empty;
   * a 429 on a cancel (`cancel`) also holds cancels for the pause.
   */
  on429(nowMs: number, cancel = false): void {
    this.rateLimited429++;
    this.pausedUntilMs = Math.max(this.pausedUntilMs, nowMs + this.pauseMs);
    if (cancel) this.cancelPausedUntilMs = Math.max(this.cancelPausedUntilMs, nowMs + this.pauseMs);
    this.write.drain(nowMs);
  }
}
