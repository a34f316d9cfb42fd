/**
 * Token-bucket rate limits (kalshi-api.md section 5): a Read and a Write bucket per user, refill
 * rate and capacity per tier, a cost per endpoint (V2 create 10, cancel 2, batch 10/2 per order,
 * GET order 2, default 10). Continuous refill; a request that does not fit is refused whole (429).
 * Time is passed in (ms), so tests drive it with a simulated clock.
 */
import { RATE_TIERS, rateBucketsAt, type RateBuckets, type RateTier } from '@kmm/shared';

export interface TierSpec {
  read: { refill: number; capacity: number };
  write: { refill: number; capacity: number };
}

const spec = (b: RateBuckets): TierSpec => ({ read: { refill: b.readTokensPerS, capacity: b.readCapacity }, write: { refill: b.writeTokensPerS, capacity: b.writeCapacity } });

/** Kalshi's tiers (@kmm/shared RATE_TIERS, the table exec mirrors), plus `unlimited` for benchmarks */
export const TIERS: Record<string, TierSpec> = {
  ...Object.fromEntries(Object.entries(RATE_TIERS).map(([name, b]) => [name, spec(b)])),
  /** not a venue tier: effectively unlimited, for benchmarks */
  unlimited: { read: { refill: 1e9, capacity: 1e9 }, write: { refill: 1e9, capacity: 1e9 } },
};

export const DEFAULT_COST = 10;

/** Write-bucket endpoints and their costs; `perOrder` multiplies by the batch length. */
export const ENDPOINT_COSTS: Array<{ method: string; path: string; cost: number; bucket: 'read' | 'write'; perOrder?: boolean }> = [
  { method: 'POST', path: '/trade-api/v2/portfolio/events/orders', cost: 10, bucket: 'write' },
  { method: 'DELETE', path: '/trade-api/v2/portfolio/events/orders/{order_id}', cost: 2, bucket: 'write' },
  { method: 'POST', path: '/trade-api/v2/portfolio/events/orders/{order_id}/amend', cost: 10, bucket: 'write' },
  { method: 'POST', path: '/trade-api/v2/portfolio/events/orders/{order_id}/decrease', cost: 10, bucket: 'write' },
  { method: 'POST', path: '/trade-api/v2/portfolio/events/orders/batched', cost: 10, bucket: 'write', perOrder: true },
  { method: 'DELETE', path: '/trade-api/v2/portfolio/events/orders/batched', cost: 2, bucket: 'write', perOrder: true },
  // Cancel All costs as much as a maximum-size batch cancel (20 orders x 2)
  { method: 'DELETE', path: '/trade-api/v2/portfolio/events/orders', cost: 40, bucket: 'write' },
  { method: 'GET', path: '/trade-api/v2/portfolio/orders/{order_id}', cost: 2, bucket: 'read' },
  { method: 'POST', path: '/trade-api/v2/portfolio/order_groups/create', cost: 10, bucket: 'write' },
  { method: 'DELETE', path: '/trade-api/v2/portfolio/order_groups/{order_group_id}', cost: 10, bucket: 'write' },
  { method: 'PUT', path: '/trade-api/v2/portfolio/order_groups/{order_group_id}/reset', cost: 10, bucket: 'write' },
  { method: 'PUT', path: '/trade-api/v2/portfolio/order_groups/{order_group_id}/trigger', cost: 10, bucket: 'write' },
  { method: 'PUT', path: '/trade-api/v2/portfolio/order_groups/{order_group_id}/limit', cost: 10, bucket: 'write' },
];

class Bucket {
  tokens: number;
  lastMs: number;
  constructor(
    readonly refillPerS: number,
    readonly capacity: number,
    nowMs: number,
  ) {
    this.tokens = capacity;
    this.lastMs = nowMs;
  }
  take(cost: number, nowMs: number): boolean {
    if (nowMs > this.lastMs) {
      this.tokens = Math.min(this.capacity, this.tokens + ((nowMs - this.lastMs) * this.refillPerS) / 1000);
      this.lastMs = nowMs;
    }
    if (cost > this.tokens) return false;
    this.tokens -= cost;
    return true;
  }
}

export class RateLimiter {
  private readonly buckets = new Map<string, { read: Bucket; write: Bucket }>();
  /** the tier as this venue grants it: refills x timeScale on a time-compressed market (rateBucketsAt) */
  readonly tier: TierSpec;
  /**
   * @param timeScale market seconds per second of the run (the simulator's speed): a 30x market
   *   grants 30 s of the tier's refill each second, so the budget per second of market is Kalshi's
   */
  constructor(
    public tierName: string,
    readonly timeScale = 1,
  ) {
    if (!TIERS[tierName]) throw new Error(`unknown rate-limit tier '${tierName}' (known: ${Object.keys(TIERS).join(', ')})`);
    this.tier = tierName === 'unlimited' ? TIERS.unlimited : spec(rateBucketsAt(tierName as RateTier, timeScale));
  }
  /** true when the request fits; false = 429 */
  take(userId: string, bucket: 'read' | 'write', cost: number, nowMs: number): boolean {
    let b = this.buckets.get(userId);
    if (!b) {
      const t = this.tier;
      b = { read: new Bucket(t.read.refill, t.read.capacity, nowMs), write: new Bucket(t.write.refill, t.write.capacity, nowMs) };
      this.buckets.set(userId, b);
    }
    return b[bucket].take(cost, nowMs);
  }
}

/** Bucket and cost of a request, from its method and templated path. */
export function costOf(method: string, template: string, batchLen: number): { bucket: 'read' | 'write'; cost: number } {
  for (const e of ENDPOINT_COSTS) {
    if (e.method === method && e.path === template) return { bucket: e.bucket, cost: e.perOrder ? e.cost * Math.max(1, batchLen) : e.cost };
  }
  return { bucket: method === 'GET' ? 'read' : 'write', cost: DEFAULT_COST };
}
