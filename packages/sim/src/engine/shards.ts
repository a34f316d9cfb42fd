/**
 * Exchange shards (kalshi-api.md section 9, since 2026-08): every market lives on one shard
 * (`exchange_index`), chosen by its series: combos (KXMVE*) on 1, crypto on 2, tennis and
 * baseball on 3, everything else on the catch-all shard 0. Balances and single-order write
 * buckets are per shard.
 */
import type { SeriesSpec } from './types.js';

/** Shards the venue runs (0..SHARD_COUNT-1). */
export const SHARD_COUNT = 4;

const TENNIS_BASEBALL = /^KX(ATP|WTA|TENNIS|MLB|NPB|KBO|BASEBALL|WBC|NCAABASEBALL)/;

/** The shard of a series' markets. */
export function shardOfSeries(s: Pick<SeriesSpec, 'ticker' | 'category'>): number {
  if (s.ticker.startsWith('KXMVE')) return 1;
  if (s.category === 'Crypto') return 2;
  if (TENNIS_BASEBALL.test(s.ticker)) return 3;
  return 0;
}

/**
 * A new account's cash spread over the shards: equal parts, the remainder (whole micro-dollars)
 * on shard 0. The venue moves cash only on a member's transfer; a sim account starts able to
 * trade on every shard.
 */
export function splitAcrossShards(cashMicro: number): number[] {
  const part = Math.floor(cashMicro / SHARD_COUNT);
  const out = new Array<number>(SHARD_COUNT).fill(part);
  out[0] += cashMicro - part * SHARD_COUNT;
  return out;
}
