/**
 * The exec actor's descriptor: which message goes to which ExecCore method, the end-of-drain
 * pump (a burst of targets becomes ONE round of batched requests: the batching rule, written
 * once for live, paper, backtest and simulation), its timer, and the ExecRunner that carries
 * the core's effects out through the environment's order gateway, journal and tape.
 *
 * In:  strategy: TargetQuotes, TakerIntent, Control; ingest: ConnectionEvent, OrderAck
 *      (user_orders), Fill, Position, MarketTrust, Lifecycle, MarketInfo; sup: Control;
 *      self: Timer 'exec.tick' every EXEC_TICK_MS; fills of a paper venue (io.self).
 *      In paper mode ingest also sends market data, which feeds the paper venue.
 * Out: strategy and book: OrderAck, OrderReject, Fill, Position, WorkingOrders (and a copy to
 *      sup for the dashboard); REST calls through the gateway (never blocking a handler:
 *      results come back into the core from their promises).
 * Start-up (async, before Ready): journal replay (trade ids), reconcile with the exchange,
 * order group. Stop: cancel all and verify with the exchange, flush the journal.
 * Time: the core runs on monotonic ms (t.monoMs).
 */
import { kmm, type ActorDescriptor, type EnvelopeBody, type KmmConfig } from '@kmm/shared';
import { ExecCore } from '../core/exec-core.js';
import { execParamsOf } from '../core/params.js';
import type { JournalRecord } from '../core/journal-record.js';
import type { Cause } from '../core/exec-state.js';
import type { OrderGateway } from './gateway.js';
import { ExecRunner, type JournalSink, type TapeSink } from './runner.js';

export { ExecRunner, type JournalSink, type TapeSink, type ShutdownReport, type RestingOrderLeft } from './runner.js';

export const EXEC_TICK_MS = 100;
export const EXEC_TICK = 'exec.tick';
/** Stats to the supervisor every this many ticks. */
export const STATS_EVERY_TICKS = 10;

/** A venue that fills our orders from market data we hand it (paper mode). */
export interface PaperVenue {
  onMarketData(body: EnvelopeBody): void;
}

/** The outside world of exec, supplied by the driver. */
export interface ExecEnv {
  gateway: OrderGateway;
  journal: JournalSink | null;
  /** records of this run's journal before the (re)start (crash recovery) */
  priorJournal: readonly JournalRecord[];
  tape: TapeSink | null;
  /** resolves after ms on the driver's clock */
  sleep(ms: number): Promise<void>;
  /** paper mode: the simulated venue that gets market data */
  paperVenue: PaperVenue | null;
  /** journal the wire time of each command (one extra record per command) */
  journalWire: boolean;
  /**
   * live only: runs `fn` once the requests just started reached their sockets (setImmediate);
   * the WorkingOrders reports of a pump wait for it. Absent (virtual time): right away.
   */
  afterWrites?: (fn: () => void) => void;
}

export interface ExecActorState {
  readonly runner: ExecRunner;
  readonly core: ExecCore;
  readonly env: ExecEnv;
  /** targets arrived in this drain: pump once at its end */
  targetsPending: boolean;
  ticks: number;
  /** kmm_shutdown_timeout_s in ms: the bound of the stop (cancel all, verify, last fills) */
  shutdownTimeoutMs: number;
}

function cause(t: { monoNs: number }, h: kmm.v1.IHeader | undefined): Cause {
  return { recvMonoNs: h?.recvMonoNs ? Number(h.recvMonoNs) : 0, arrivalMonoNs: t.monoNs, header: h ?? null };
}

function publishStats(s: ExecActorState, io: { setStat(name: string, v: number): void }): void {
  const r = s.runner;
  const t = ExecRunner.pctUs(r.targetToWire);
  const k = ExecRunner.pctUs(r.tickToWire);
  io.setStat('target_to_wire_p50_us', Math.round(t.p50Us));
  io.setStat('target_to_wire_p99_us', Math.round(t.p99Us));
  io.setStat('tick_to_order_p50_us', Math.round(k.p50Us));
  io.setStat('tick_to_order_p99_us', Math.round(k.p99Us));
  const st = s.core.stats;
  io.setStat('commands', st.commands);
  io.setStat('orders_placed', st.ordersPlaced);
  io.setStat('amends', st.amends);
  io.setStat('cancels', st.cancels);
  io.setStat('skips', st.skips);
  io.setStat('rejects', st.rejects);
  io.setStat('fills', st.fills);
  io.setStat('divergences', st.divergences);
  io.setStat('live_orders', s.core.bk.liveCount);
  io.setStat('http_429', s.core.limiter.rateLimited429);
  io.setStat('deferred_commands', st.deferredCommands);
  // intents held back for want of rate-limit tokens: a run that waits for them cannot be backtested fill for fill
  io.setStat('rate_held', st.rateHeld);
  io.setStat('token_wait_markets_ms', Math.round(s.core.tokenWaitMarketsMs(s.runner.nowMs())));
  io.setStat('tick_to_order_count', r.tickToWire.count);
}

export const execActor: ActorDescriptor<ExecActorState, ExecEnv> = {
  kind: kmm.v1.ActorKind.EXEC,
  async start(init) {
    const { io, env } = init;
    const params = execParamsOf({ ...init.config, kmm_shards: init.shardCount } as KmmConfig);
    const paper = init.extra.paper === true;
    const t0 = init.startTime;
    const core = new ExecCore(params, { runId: (t0.wallMs % 2_176_782_336).toString(36) + init.restartCount, markets: init.markets, nowMs: t0.monoMs, paper, allowFaultInjection: init.extra.allowFaultInjection === true, fillSeqBase: Math.floor(t0.wallMs) * 1000 });
    const seeded = core.seedFromJournal(env.priorJournal);
    io.log('info', 'journal_replayed', { tradeIds: seeded.tradeIds });
    const runner = new ExecRunner({
      core,
      gateway: env.gateway,
      journal: env.journal,
      tape: env.tape,
      monoNs: () => io.now().monoNs,
      wallMs: () => io.now().wallMs,
      sleep: (ms) => env.sleep(ms),
      fail: (err) => io.fail(err),
      orderGroupContractsLimit: paper ? 0 : params.orderGroupContractsLimit,
      journalWire: env.journalWire,
      afterWrites: env.afterWrites,
      send: (peer: string, body: EnvelopeBody) => {
        if (io.hasPeer(peer)) io.send(peer, body);
        else io.stat('send_no_peer');
        // monitor feed for the supervisor (dashboard, run summary): one copy of what strategy learns
        if (peer === 'strategy' && (body.fill || body.position || body.workingOrders || body.orderReject)) io.send('sup', body);
      },
      ops: (event, market, level, fields) => io.ops(event, market, level, fields),
    });
    const shutdownTimeoutMs = Math.round(Number(init.config.kmm_shutdown_timeout_s ?? 30) * 1000);
    const state: ExecActorState = { runner, core, env, targetsPending: false, ticks: 0, shutdownTimeoutMs };
    // the REST read bucket this exec reads within (kmm_read_share_fraction: a cluster gateway's share)
    io.setStat('read_bucket_tokens', core.limiter.read.capacityTokens);
    io.setStat('read_refill_per_s', Math.round(core.limiter.read.refillPerS * 100) / 100);
    await runner.startup(seeded.maxFillTsMs > 0 ? seeded.maxFillTsMs - 60_000 : 0);
    // a (re)started exec knows neither the feed's state nor any target: ask ingest for the
    // connection and trust state, and strategy for every target, again
    if (io.hasPeer('ingest')) io.send('ingest', { control: { kind: kmm.v1.ControlKind.RECONCILE, markets: [], reason: 'exec_started' } });
    if (io.hasPeer('strategy')) io.send('strategy', { control: { kind: kmm.v1.ControlKind.RECONCILE, markets: [], reason: init.restartCount > 0 ? 'exec_restarted' : 'exec_started' } });
    io.log('info', 'exec_ready', { orderGroupId: core.orderGroupId, live: core.bk.liveCount });
    return state;
  },
  handlers: {
    targetQuotes(s, b, t, io) {
      // record now, act once per mailbox drain (endOfDrain): a burst becomes one round of requests
      s.runner.handle(s.core.onTargets(b, t.monoMs, cause(t, io.current), false));
      s.targetsPending = true;
    },
    takerIntent: (s, b, t, io) => s.runner.handle(s.core.onTakerIntent(b, t.monoMs, cause(t, io.current))),
    orderAck: (s, b, t) => s.runner.handle(s.core.onAck(b, t.monoMs)),
    fill: (s, b, t) => s.runner.handle(s.core.onFill(b, t.monoMs, 'ws')),
    position: (s, b, t) => s.runner.handle(s.core.onPosition(b, t.monoMs)),
    marketTrust: (s, b, t) => s.runner.handle(s.core.onTrust(b, t.monoMs)),
    connection: (s, b, t) => s.runner.handle(s.core.onConnection(b, t.monoMs)),
    lifecycle(s, b, t, io) {
      s.env.paperVenue?.onMarketData({ lifecycle: b });
      s.runner.handle(s.core.onLifecycle(b, t.monoMs));
      void io;
    },
    marketInfo: (s, b, t) => s.runner.handle(s.core.onMarkets([b], t.monoMs)),
    control: (s, b, t) => s.runner.handle(s.core.onControl(b, t.monoMs)),
    bookSnapshot: (s, b) => s.env.paperVenue?.onMarketData({ bookSnapshot: b }),
    bookDelta: (s, b) => s.env.paperVenue?.onMarketData({ bookDelta: b }),
    publicTrade: (s, b) => s.env.paperVenue?.onMarketData({ publicTrade: b }),
  },
  endOfDrain(s, t) {
    if (!s.targetsPending) return;
    s.targetsPending = false;
    s.runner.handle(s.core.pumpTargets(t.monoMs));
  },
  timers: [
    {
      name: EXEC_TICK,
      periodMs: EXEC_TICK_MS,
      fire(s, _t, io) {
        s.runner.tick();
        if (++s.ticks % STATS_EVERY_TICKS === 0) publishStats(s, io);
      },
    },
  ],
  async stop(s, _t, io) {
    const rep = await s.runner.shutdown(s.shutdownTimeoutMs);
    io.log(rep.verified ? 'info' : 'error', 'exec_shutdown', { ...rep });
    s.runner.gw.close();
  },
};
export * from './gateway.js';
export type { VenueOrder, VenuePosition } from '../core/types.js';
