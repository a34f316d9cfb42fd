/**
 * Kalshi's REST token buckets per usage tier (kalshi-api.md section 5), written once: the
 * simulator enforces them, exec mirrors them. Two independent buckets, Read and Write; refill in
 * tokens per second, capacity in tokens.
 *
 * Capacities: Write holds 1 s of refill at Basic and 2 s above; Read holds 2 s at Advanced and
 * 1 s above. Basic Read is the one place section 5 disagrees with itself: its prose says 2 s
 * (400), the venue's own `GET /account/limits` answer recorded there says `bucket_capacity:200`;
 * we take the venue's answer (the smaller: exec's mirror may not burst past what Kalshi grants).
 */
export const RATE_TIER_NAMES = ['basic', 'advanced', 'expert', 'premier', 'paragon', 'prime', 'prestige'] as const;
export type RateTier = (typeof RATE_TIER_NAMES)[number];

export interface RateBuckets {
  readTokensPerS: number;
  readCapacity: number;
  writeTokensPerS: number;
  writeCapacity: number;
}

export const RATE_TIERS: Readonly<Record<RateTier, RateBuckets>> = {
  basic: { readTokensPerS: 200, readCapacity: 200, writeTokensPerS: 100, writeCapacity: 100 },
  advanced: { readTokensPerS: 300, readCapacity: 600, writeTokensPerS: 300, writeCapacity: 600 },
  expert: { readTokensPerS: 600, readCapacity: 600, writeTokensPerS: 600, writeCapacity: 1200 },
  premier: { readTokensPerS: 1000, readCapacity: 1000, writeTokensPerS: 1000, writeCapacity: 2000 },
  paragon: { readTokensPerS: 2000, readCapacity: 2000, writeTokensPerS: 2000, writeCapacity: 4000 },
  prime: { readTokensPerS: 4000, readCapacity: 4000, writeTokensPerS: 4000, writeCapacity: 8000 },
  prestige: { readTokensPerS: 10_000, readCapacity: 10_000, writeTokensPerS: 8000, writeCapacity: 16_000 },
};


/**
 * A tier's buckets on a venue whose market runs `timeScale` times real time (a time-compressed
 * simulator: `kmm demo --speed 30` plays 30 s of market in each second). Such a venue refills
 * `timeScale` x faster per second of the run, so that per second of *market* the budget is the
 * tier's, as in production; capacities (the largest burst) are unchanged. Without this a 30x
 * demo gives the strategy 1/30 of production's commands per market event, keeps exec waiting for
 * tokens all the time, and makes which market gets them a matter of microseconds. Scale 1 (every
 * real venue) returns the tier as it is.
 */
export function rateBucketsAt(tier: RateTier, timeScale = 1): RateBuckets {
  const t = RATE_TIERS[tier];
  if (!t) throw new Error(`unknown rate tier '${tier}' (known: ${RATE_TIER_NAMES.join(', ')})`);
  if (!(Number.isFinite(timeScale) && timeScale > 0)) throw new Error(`venue time scale must be a positive number, got ${timeScale}`);
  if (timeScale === 1) return t;
  return { ...t, readTokensPerS: t.readTokensPerS * timeScale, writeTokensPerS: t.writeTokensPerS * timeScale };
}
