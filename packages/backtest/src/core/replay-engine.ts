/**
 * ReplayEngine: the live ingest and book-shard descriptors run by LocalKernel on one thread with a
 * simulated clock; a recorded capture is the websocket. No strategy, no exec, no venue.
 *
 *   capture frame (receive-time order) -> ingest core (seq checks, trust, routing by market)
 *                                      -> book.0 .. book.K-1 (BookShardCore per shard)
 *
 * The same path as a backtest (BacktestEngine, minus strategy and exec) and as live (runActor
 * with the same descriptors): ingest's seq checks, trust and shard routing decide what reaches
 * the books, so a replay shows the books live would have held. A delta for an untrusted market
 * (before its snapshot, after a seq gap) is dropped as live drops it, and counted.
 * Messages ingest or a shard addresses to strategy or exec are counted as `sends_no_peer` by
 * their actors. Ingest's resync commands go nowhere (the capture is fixed): after a seq gap the
 * affected markets stay untrusted until the capture itself holds a snapshot, and once the resync
 * times out ingest abandons the subscription (resubscribe) and drops the rest of its frames, as
 * it would live; a capture of our own holds what came after, on the new subscription.
 * The capture has no websocket pings, so a silence longer than the heartbeat timeout makes ingest
 * drop the socket; the capture-only socket ignores that (counted in connectionDropsIgnored).
 *
 * Output, read from the actors' state after the run: the final books (every shard's
 * BookShardCore, in Kalshi's string formats) and ingest's frame counters.
 * Determinism: no wall clock, no randomness (ingest's Rng only drives reconnect jitter, unused);
 * same capture and config -> same books and counters.
 */
import { kmm, formatCount, formatPrice, LocalKernel, resolveConfig, SimClock, type ActorTime, type KmmConfig } from '@kmm/shared';
import type { Frame } from '@kmm/ingest-worker/core';
import { ingestActor, type IngestActorState } from '@kmm/ingest-worker/actor';
import { bookActor, type BookActorState } from '@kmm/book-worker/actor';
import { captureOnlyIngestEnv, feedIngest } from './engine.js';

export type VenueBook = { yes: [string, string][]; no: [string, string][] };
export type VenueBooks = Record<string, VenueBook>;

/** After the last frame, the actors must have stopped within this (virtual) time. */
const REPLAY_STOP_MAX_MS = 10_000;

export interface ReplayEngineOptions {
  /** config (kmm_shards sets K, the number of book shards) */
  config: KmmConfig | Record<string, unknown>;
  /** markets ingest tracks from the start (a frame of any other market is counted as unrouted) */
  markets: kmm.v1.IMarketInfo[];
  /** wall time of the first frame (ms); only logs see it */
  startWallMs: number;
}

/** Frame counts of a replay, from ingest's counters and the shards' stats. */
export interface ReplayCounters {
  /** frames ingest parsed (each non-blank line) */
  frames: number;
  invalid: number;
  /** seq gaps + duplicates + out-of-order frames on the orderbook subscription */
  seqAnomalies: number;
  /** book updates a shard could not apply (negative size, off-grid price, crossed snapshot) */
  applyErrors: number;
  /** deltas ingest dropped because their market was untrusted */
  droppedUntrusted: number;
  /** orderbook frames ingest dropped because their subscription was abandoned (a resubscribe after a resync timed out) */
  droppedDeadSid: number;
  /** frames of markets ingest does not track */
  unrouted: number;
}

export class ReplayEngine {
  readonly clock: SimClock;
  readonly kernel: LocalKernel;
  readonly shardCount: number;
  /** times the ingest core asked to drop the (capture-only) socket: heartbeat timeout, resync exhausted */
  connectionDropsIgnored = 0;

  constructor(o: ReplayEngineOptions) {
    this.clock = new SimClock(o.startWallMs, 0);
    const config = resolveConfig({ ...o.config });
    this.shardCount = config.kmm_shards;
    this.kernel = new LocalKernel({ clock: this.clock, config, onCrash: 'throw' });
    const k = this.kernel;
    const markets = o.markets;
    k.add({ name: 'ingest', descriptor: ingestActor, markets, shardCount: this.shardCount, makeEnv: () => captureOnlyIngestEnv(() => this.connectionDropsIgnored++) });
    for (let shard = 0; shard < this.shardCount; shard++) {
      k.add({ name: `book.${shard}`, descriptor: bookActor, markets, shard, shardCount: this.shardCount, makeEnv: () => null });
    }
  }

  private get ingest(): IngestActorState {
    return this.kernel.get('ingest')!.state as IngestActorState;
  }

  /** Start-up at t=0: ingest connected (it subscribes; the capture's acks answer). */
  start(): void {
    this.kernel.get('ingest')!.external((s: IngestActorState, t: ActorTime) => s.core.onConnected(t.monoNs));
  }

  /** One recorded frame received at tNs (relative to the run start). Events due before it run first. */
  async frame(f: Frame, tNs: number): Promise<void> {
    await this.kernel.runUntil(tNs);
    feedIngest(this.kernel, f);
  }

  /** End of the capture: deliver what is due up to endNs (the books drain), then stop every actor. */
  async finish(endNs: number): Promise<void> {
    await this.kernel.runUntil(endNs);
    const order = ['ingest', ...Array.from({ length: this.shardCount }, (_, i) => `book.${i}`)];
    await this.kernel.stopAll(order, endNs + REPLAY_STOP_MAX_MS * 1e6);
  }

  counters(): ReplayCounters {
    const c = this.ingest.core.counters;
    let applyErrors = 0;
    for (let shard = 0; shard < this.shardCount; shard++) applyErrors += Number(this.kernel.get(`book.${shard}`)!.stats.book_apply_errors ?? 0);
    return {
      frames: c.frames,
      invalid: c.invalid,
      seqAnomalies: c.gaps + c.duplicates + c.outOfOrder,
      applyErrors,
      droppedUntrusted: c.droppedUntrusted,
      droppedDeadSid: Number(this.kernel.get('ingest')!.stats.frames_dead_sid ?? 0),
      unrouted: c.unrouted,
    };
  }

  /** Final books of every shard, tickers sorted, levels ascending by leg price. Invalid books are included as they stand. */
  books(): VenueBooks {
    const entries = [];
    for (let shard = 0; shard < this.shardCount; shard++) {
      const s = this.kernel.get(`book.${shard}`)!.state as BookActorState;
      entries.push(...s.core.entries.values());
    }
    entries.sort((a, b) => (a.market < b.market ? -1 : a.market > b.market ? 1 : 0));
    const out: VenueBooks = {};
    for (const { market, book } of entries) {
      out[market] = {
        yes: book.legLevels(kmm.v1.LegSide.YES).map(([p, c]) => [formatPrice(p), formatCount(c)] as [string, string]),
        no: book.legLevels(kmm.v1.LegSide.NO).map(([p, c]) => [formatPrice(p), formatCount(c)] as [string, string]),
      };
    }
    return out;
  }
}
