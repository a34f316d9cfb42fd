/**
 * Book shard worker entry (worker_thread). Thin shell around BookShardCore:
 *  - keeps the markets of `extra.markets` with shardOf(market, shardCount) === shard (their price
 *    grids), creates other books on first data (ingest routes with the same hash);
 *  - feeds every message into the core with the causing frame's receive time;
 *  - conflation: BookFeatures for a market goes to strategy at most once per mailbox drain (a
 *    microtask after the drain's synchronous handlers);
 *  - exports the queue estimator's error against the exchange's queue position as the
 *    `queue_estimate_error_centi` stat (and mean/max), logging each comparison.
 */
import { kmm, runActor, shardOf, type ActorContext, type EnvelopeBody, type KmmConfig } from '@kmm/shared';
import { BookShardCore, bookParamsOf, type BookLogLevel, type BookSink } from '../core/shard.js';

let core: BookShardCore | undefined;
let flushScheduled = false;
const knownPeers = new Set<string>();
/** Header of the last venue-driven message handled: features sent in the deferred flush carry it,
 *  so tick-to-order latency is measured from the frame that produced them. */
let lastCause: { causationId: number; recvMonoNs: number; exchangeTsMs: number } | undefined;
/** Monitor feed to the supervisor (dashboard): at most one features copy per market per interval. */
const MONITOR_INTERVAL_NS = 250_000_000;
const lastMonitorNs = new Map<string, number>();

function makeSink(ctx: ActorContext): BookSink {
  return {
    send(peer: string, body: EnvelopeBody): void {
      if (!knownPeers.has(peer)) for (const p of ctx.peers) knownPeers.add(p);
      if (knownPeers.has(peer)) ctx.send(peer, body, lastCause);
      else ctx.stat('sends_no_peer');
      const f = body.bookFeatures;
      if (f && peer === 'strategy') {
        const now = ctx.clock.monoNs();
        const market = f.market ?? '';
        if (now - (lastMonitorNs.get(market) ?? 0) >= MONITOR_INTERVAL_NS) {
          lastMonitorNs.set(market, now);
          ctx.send('sup', { bookFeatures: f }, lastCause);
        }
      }
    },
    log(level: BookLogLevel, event: string, fields: Record<string, unknown>): void {
      ctx.log[level]({ event, ...fields }, event);
    },
    stat(name: string, delta?: number): void {
      ctx.stat(name, delta);
    },
    setStat(name: string, value: number): void {
      ctx.setStat(name, value);
    },
  };
}

function flush(): void {
  flushScheduled = false;
  core?.flush();
}

runActor({
  kind: kmm.v1.ActorKind.BOOK,
  onStart(ctx: ActorContext) {
    const shard = ctx.startup.shard ?? 0;
    const shardCount = Math.max(1, ctx.startup.shardCount ?? 1);
    const all: kmm.v1.IMarketInfo[] = Array.isArray(ctx.extra.markets) ? ctx.extra.markets : [];
    const mine = all.filter((m) => typeof m.market === 'string' && shardOf(m.market, shardCount) === shard);
    core = new BookShardCore(bookParamsOf(ctx.config as KmmConfig), makeSink(ctx), mine);
    ctx.log.info({ event: 'book_shard_start', shard, shardCount, markets: mine.length }, 'book shard started');
  },
  onMessage(env: kmm.v1.Envelope, _from: string, ctx: ActorContext) {
    const c = core;
    if (c === undefined) return;
    const h = env.header;
    if (h && Number(h.recvMonoNs) > 0) lastCause = { causationId: Number(h.causationId), recvMonoNs: Number(h.recvMonoNs), exchangeTsMs: Number(h.exchangeTsMs) };
    if (c.handle(env, ctx.clock.monoNs()) && !flushScheduled) {
      flushScheduled = true;
      queueMicrotask(flush);
    }
  },
  onStop() {
    core?.flush();
  },
});
