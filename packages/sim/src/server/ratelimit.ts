/**
 * Token-bucket rate limits (kalshi-api.md section 5): a Read and a Write bucket per user, refill
 * rate and capacity per tier, a cost per endpoint (V2 create 10, cancel 2, batch 10/2 per order,
 * GET order 2, default 10). Continuous refill; a request that does not fit is refused whole (429).
 * Time is passed in (ms), so tests drive it with a simulated clock.
 */
export interface TierSpec {
  read: { refill: number; capacity: number };
  write: { refill: number; capacity: number };
}

export const TIERS: Record<string, TierSpec> = {
  basic: { read: { refill: 200, capacity: 200 }, write: { refill: 100, capacity: 100 } },
  advanced: { read: { refill: 300, capacity: 600 }, write: { refill: 300, capacity: 600 } },
  expert: { read: { refill: 600, capacity: 600 }, write: { refill: 600, capacity: 1200 } },
  premier: { read: { refill: 1000, capacity: 1000 }, write: { refill: 1000, capacity: 2000 } },
  paragon: { read: { refill: 2000, capacity: 2000 }, write: { refill: 2000, capacity: 4000 } },
  prime: { read: { refill: 4000, capacity: 4000 }, write: { refill: 4000, capacity: 8000 } },
  prestige: { read: { refill: 10000, capacity: 10000 }, write: { refill: 8000, capacity: 16000 } },
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
  constructor(public tierName: string) {
    if (!TIERS[tierName]) throw new Error(`unknown rate-limit tier '${tierName}' (known: ${Object.keys(TIERS).join(', ')})`);
  }
  get tier(): TierSpec {
    return TIERS[this.tierName];
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
