/**
 * Stable market -> book shard routing (FNV-1a 32-bit of the ticker, mod K). Ingest routes
 * with it, the supervisor uses it to tell each shard which markets are its own.
 */
export function shardOf(ticker: string, shardCount: number): number {
  let h = 2166136261;
  for (let i = 0; i < ticker.length; i++) h = Math.imul(h ^ ticker.charCodeAt(i), 16777619) >>> 0;
  return shardCount <= 1 ? 0 : h % shardCount;
}
