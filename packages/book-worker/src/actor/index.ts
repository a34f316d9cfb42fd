/**
 * The book shard actor's descriptor: which message goes to which BookShardCore method, the
 * end-of-drain flush (conflation: at most one BookFeatures per market per mailbox drain), and
 * the monitor feed. Run by `runActor` (worker thread, shell/main.ts) and by `LocalKernel`
 * (backtest, replay, deterministic simulation): the same routing and batching in both.
 *
 * In:  ingest: BookSnapshot, BookDelta, PublicTrade, MarketTrust, Lifecycle, MarketInfo,
 *      Control REMOVE_MARKETS; supervisor: Control CONFIG_UPDATE (live feature windows and
 *      thresholds); exec: OrderAck, Fill, WorkingOrders.
 * Out: strategy: BookFeatures (carrying the header of the last venue-driven message, so
 *      tick-to-order latency is measured from the frame that produced them), MarketTrust;
 *      ingest: MarketTrust UNTRUSTED (resync request); sup: BookFeatures at most every 250 ms
 *      per market (dashboard).
 * Time: a market-data message is applied at its frame's receive time (header.recv_mono_ns),
 * so replays give the same features.
 * Env: none (a book shard needs nothing from the outside world).
 * Config: the feature windows and thresholds change live (CONFIG_UPDATE, BookShardCore.onConfigUpdate);
 * the book-only sys keys (kmm_spread_ema_window_s, kmm_volume_*window_s, top levels, queue
 * calibration, markets max) are restart-only and refused live by the registry.
 */
import { dispatch, kmm, shardOf, type ActorDescriptor, type ActorIo, type ActorTime, type Causation, type EnvelopeBody, type KmmConfig } from '@kmm/shared';
import { BookShardCore, bookParamsOf, type BookSink } from '../core/shard.js';

/** Monitor feed to the supervisor: at most one features copy per market per interval. */
export const MONITOR_INTERVAL_NS = 250_000_000;

export interface BookActorState {
  readonly core: BookShardCore;
  /** header of the last venue-driven message handled */
  lastCause: Causation | undefined;
  /**
   * per market: the cause of its last venue-driven message (reused object, updated in place),
   * so a market's BookFeatures flushed at the end of a drain carry that market's own frame, not
   * the drain's last one (which would understate tick-to-order for every earlier market)
   */
  readonly causeByMarket: Map<string, MarketCause>;
  /** mailbox drains ended (a market's cause from an earlier drain is stale for a later message) */
  drainSeq: number;
  readonly lastMonitorNs: Map<string, number>;
  nowNs: number;
}

interface MarketCause {
  causationId: number;
  recvMonoNs: number;
  exchangeTsMs: number;
  ingestEmitMonoNs: number;
  bookRecvMonoNs: number;
  /** the drain it was recorded in */
  drain: number;
}

function sinkOf(state: () => BookActorState, io: ActorIo): BookSink {
  return {
    send(peer: string, body: EnvelopeBody): void {
      const s = state();
      const f = body.bookFeatures;
      const cause = (f ? s.causeByMarket.get(f.market ?? '') : undefined) ?? s.lastCause;
      if (io.hasPeer(peer)) io.send(peer, body, cause);
      else io.stat('sends_no_peer');
      if (f && peer === 'strategy') {
        const market = f.market ?? '';
        if (s.nowNs - (s.lastMonitorNs.get(market) ?? 0) >= MONITOR_INTERVAL_NS) {
          s.lastMonitorNs.set(market, s.nowNs);
          io.send('sup', { bookFeatures: f }, cause);
        }
      }
    },
    log(level, event, fields): void {
      io.log(level, event, fields);
    },
    stat(name: string, delta?: number): void {
      io.stat(name, delta);
    },
    setStat(name: string, value: number): void {
      io.setStat(name, value);
    },
  };
}

/**
 * Receive time of the causing frame when the message carries one, else now; remembers the cause
 * (the last one, and per market). A message about a market without a frame behind it (exec's
 * WorkingOrders) clears that market's cause unless a frame of the same drain set it: features it
 * changes are not caused by an older frame (which would count the wait as tick-to-order latency).
 */
function at(s: BookActorState, t: ActorTime, io: ActorIo, market = ''): number {
  const h = io.current;
  const recv = h ? Number(h.recvMonoNs) : 0;
  s.nowNs = t.monoNs;
  if (recv > 0) s.lastCause = { causationId: Number(h!.causationId), recvMonoNs: recv, exchangeTsMs: Number(h!.exchangeTsMs) };
  if (market) {
    let c = s.causeByMarket.get(market);
    if (!c) s.causeByMarket.set(market, (c = { causationId: 0, recvMonoNs: 0, exchangeTsMs: 0, ingestEmitMonoNs: 0, bookRecvMonoNs: 0, drain: -1 }));
    if (recv > 0) {
      c.causationId = Number(h!.causationId);
      c.recvMonoNs = recv;
      c.exchangeTsMs = Number(h!.exchangeTsMs);
      c.ingestEmitMonoNs = Number(h!.ingestEmitMonoNs ?? 0);
      c.bookRecvMonoNs = t.monoNs;
      c.drain = s.drainSeq;
    } else if (c.drain !== s.drainSeq) {
      c.causationId = 0;
      c.recvMonoNs = 0;
      c.exchangeTsMs = 0;
      c.ingestEmitMonoNs = 0;
      c.bookRecvMonoNs = 0;
    }
  }
  return recv > 0 ? recv : t.monoNs;
}

export const bookActor: ActorDescriptor<BookActorState, null> = {
  kind: kmm.v1.ActorKind.BOOK,
  start(init) {
    const all = init.markets;
    const mine = all.filter((m) => typeof m.market === 'string' && shardOf(m.market, init.shardCount) === init.shard);
    let state: BookActorState | undefined;
    const core = new BookShardCore(bookParamsOf(init.config), sinkOf(() => state!, init.io), mine);
    state = { core, lastCause: undefined, causeByMarket: new Map(), drainSeq: 0, lastMonitorNs: new Map(), nowNs: 0 };
    init.io.log('info', 'book_shard_start', { shard: init.shard, shardCount: init.shardCount, markets: mine.length });
    return state;
  },
  handlers: {
    bookDelta: (s, d, t, io) => s.core.onDelta(d, at(s, t, io, d.market ?? '')),
    bookSnapshot: (s, b, t, io) => s.core.onSnapshot(b, at(s, t, io, b.market ?? '')),
    publicTrade: (s, p, t, io) => s.core.onTrade(p, at(s, t, io, p.market ?? '')),
    marketTrust: (s, m, t, io) => (at(s, t, io, m.market ?? ''), s.core.onTrust(m)),
    orderAck: (s, a, t, io) => (at(s, t, io, a.market ?? ''), s.core.onOrderAck(a, t.monoNs)),
    fill: (s, f, t, io) => (at(s, t, io, f.market ?? ''), s.core.onFill(f)),
    workingOrders: (s, w, t, io) => (at(s, t, io, w.market ?? ''), s.core.onWorkingOrders(w, t.monoNs)),
    lifecycle: (s, l, t, io) => (at(s, t, io, l.market ?? ''), s.core.onLifecycle(l)),
    marketInfo: (s, m, t, io) => (at(s, t, io, m.market ?? ''), s.core.onMarketInfo(m)),
    control: (s, c, t, io) => {
      at(s, t, io);
      if (c.kind === kmm.v1.ControlKind.REMOVE_MARKETS) s.core.onRemove(c.markets ?? []);
      else if (c.kind === kmm.v1.ControlKind.CONFIG_UPDATE) s.core.onConfigUpdate(c.json ?? '');
      else io.stat('ignored_control');
    },
  },
  endOfDrain(s, t) {
    s.nowNs = t.monoNs;
    s.core.flush();
    s.drainSeq++;
  },
  timers: [],
  stop(s) {
    s.core.flush();
  },
};

/**
 * Routes envelopes into a bare BookShardCore through the descriptor's own handler table, for
 * tests and tools that hold a core without a driver (fuzzing, queue-model checks). Sends go
 * through the core's sink, not through this io. Returns false for bodies the book ignores.
 */
export function bookRouter(core: BookShardCore): (env: kmm.v1.IEnvelope, nowNs: number) => boolean {
  const state: BookActorState = { core, lastCause: undefined, causeByMarket: new Map(), drainSeq: 0, lastMonitorNs: new Map(), nowNs: 0 };
  let current: kmm.v1.IHeader | undefined;
  const time = { monoNs: 0, monoMs: 0, wallMs: 0 };
  const io: ActorIo = {
    name: 'book',
    peers: [],
    hasPeer: () => false,
    send: () => {},
    ops: () => {},
    log: () => {},
    stat: () => {},
    setStat: () => {},
    after: () => {},
    self: () => {},
    fail: (err) => {
      throw err;
    },
    now: () => time,
    get current() {
      return current;
    },
  };
  return (env, nowNs) => {
    current = env.header ?? undefined;
    time.monoNs = nowNs;
    time.monoMs = nowNs / 1e6;
    return dispatch(bookActor, state, kmm.v1.Envelope.fromObject(env), time, io, 'ingest');
  };
}
