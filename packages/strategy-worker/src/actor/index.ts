/**
 * The strategy actor's descriptor: which message goes to which StrategyCore method, how its
 * effects are carried out (targets and takers to exec, controls to their peer, ops events and
 * decision records to the supervisor), and its timers. Run by `runActor` (worker thread,
 * shell/main.ts) and by `LocalKernel` (backtest, deterministic simulation).
 *
 * In:  BookFeatures (book.k); Fill, Position, WorkingOrders, OrderAck, OrderReject, MarketInfo
 *      (exec); MarketTrust, ConnectionEvent, Lifecycle (ingest); Control (sup);
 *      Timer 'strategy_tick' every STRATEGY_TICK_MS, 'alpha_poll' every alpha_poll_s when an
 *      external fair-value source is configured.
 * Out: TargetQuotes, TakerIntent, Control CANCEL_ALL -> exec; Control ADD/REMOVE_MARKETS ->
 *      ingest; TargetQuotes copy and ops events -> sup; 'reprice_decision' records -> ops.
 * Time: the core decides on wall time (t.wallMs; a timer's own firing time).
 * Env: the alpha feed (a file or URL poller, async); absent in backtests. The decision-drain
 *      record (live runs with a capture): at the end of each drain, what it decided on, in order:
 *      book features (the receive time of the newest frame behind them), strategy ticks (their
 *      firing time) and our fills (their frame's receive time) (shared/io/decision-drains.ts), so
 *      `kmm backtest --like` can deliver the frames this strategy decided on in one drain as one
 *      burst, its ticks when they fired, and its fills when the live strategy got them.
 */
import { kmm, type ActorDescriptor, type ActorIo, type ActorTime, type DecisionEventKind, type KmmConfig } from '@kmm/shared';
import { strategyParamsOf, type StrategyParams } from '../core/params.js';
import { type Effects, type ExternalValue } from '../core/strategy.js';
import { quotingCoreOf, type QuotingCore } from '../core/naive.js';

export const STRATEGY_TICK_MS = 250;
export const STRATEGY_TICK = 'strategy_tick';
export const ALPHA_POLL = 'alpha_poll';

export type FeedPoll = { ok: true; values: ExternalValue[]; problems: string[] } | { ok: false; error: string };

/** The outside world of strategy: an alpha feed poller (or none). */
export interface StrategyEnv {
  feed: { readonly source: string; poll(): Promise<FeedPoll | undefined> } | null;
  /** where decision drains are recorded (null: not recorded; backtests, runs without a capture) */
  drains?: { record(kind: DecisionEventKind, atNs: number, drainNs: number): void; close(): Promise<void> } | null;
}

export interface StrategyActorState {
  /** the default StrategyCore, or the naive baseline wrapping it (kmm_strategy) */
  readonly core: QuotingCore;
  readonly params: StrategyParams;
  readonly env: StrategyEnv;
  lastFeedError: string;
  stopped: boolean;
  /** receive time (mono ns) of the newest frame behind the book features of the current drain since its last tick; 0 = none */
  drainRecvNs: number;
  /** the current drain's decision events so far, in order (recorded at its end, with its end time) */
  readonly drainEvents: { kind: DecisionEventKind; atNs: number }[];
}

/** A tick or a fill of the current drain, for the decision-drain record: after the features handled before it. */
function noteEvent(s: StrategyActorState, kind: 'tick' | 'fill', atNs: number): void {
  if (!s.env.drains || !(atNs > 0)) return;
  // features handled earlier in this drain came first: their event goes before this one
  if (s.drainRecvNs > 0) s.drainEvents.push({ kind: 'book', atNs: s.drainRecvNs });
  s.drainRecvNs = 0;
  s.drainEvents.push({ kind, atNs });
}

/** The strategy tick: its firing is a decision event of the drain. */
function tick(s: StrategyActorState, t: ActorTime, io: ActorIo): void {
  noteEvent(s, 'tick', t.monoNs);
  route(s.core.onTimer(t.wallMs), io);
}

/** The alpha poll period (ms), or 0 when no source is configured (the timer is not armed). */
export function alphaPollMs(config: KmmConfig): number {
  const c = config as unknown as Record<string, unknown>;
  if (!c.kmm_external_fair_values) return 0;
  return Math.max(100, Math.round(Number(c.alpha_poll_s ?? 1) * 1000));
}

function route(fx: Effects, io: ActorIo): void {
  const hasExec = io.hasPeer('exec');
  for (let i = 0; i < fx.targets.length; i++) {
    if (hasExec) io.send('exec', { targetQuotes: fx.targets[i] });
    // monitor feed (dashboard): targets change only when the decision changes: low volume
    io.send('sup', { targetQuotes: fx.targets[i] });
  }
  for (let i = 0; i < fx.takers.length; i++) if (hasExec) io.send('exec', { takerIntent: fx.takers[i] });
  for (let i = 0; i < fx.controls.length; i++) {
    const c = fx.controls[i];
    if (io.hasPeer(c.peer)) io.send(c.peer, { control: c.control });
  }
  for (let i = 0; i < fx.opsEvents.length; i++) {
    const e = fx.opsEvents[i];
    io.ops(e.event, e.market, e.level, e.fields);
  }
  for (let i = 0; i < fx.journal.length; i++) {
    const j = fx.journal[i];
    io.ops('reprice_decision', String(j.market ?? ''), 'info', j);
  }
  if (fx.targets.length > 0) io.stat('targets', fx.targets.length);
  if (fx.takers.length > 0) io.stat('takers', fx.takers.length);
}

/** One poll of the alpha feed: its values enter the core between drains, never blocking one. */
async function pollFeed(s: StrategyActorState, io: ActorIo): Promise<void> {
  const feed = s.env.feed;
  if (!feed) return;
  const r = await feed.poll();
  if (r === undefined || s.stopped) return;
  if (!r.ok) {
    if (r.error !== s.lastFeedError) io.ops('alpha_feed_error', '', 'warn', { source: feed.source, error: r.error });
    s.lastFeedError = r.error;
    io.stat('alpha_feed_errors');
    return;
  }
  if (r.problems.length > 0) {
    const msg = r.problems.slice(0, 10).join('; ');
    if (msg !== s.lastFeedError) io.ops('alpha_feed_error', '', 'warn', { source: feed.source, error: msg, problems: r.problems.length });
    s.lastFeedError = msg;
  } else s.lastFeedError = '';
  io.setStat('alpha_values', r.values.length);
  route(s.core.onExternalFairValues(r.values, io.now().wallMs), io);
}

export const strategyActor: ActorDescriptor<StrategyActorState, StrategyEnv> = {
  kind: kmm.v1.ActorKind.STRATEGY,
  start(init) {
    const p = strategyParamsOf(init.config);
    const strategy = (init.config as unknown as { kmm_strategy?: string }).kmm_strategy ?? 'default';
    const core = quotingCoreOf(strategy, p, init.markets, { startMs: init.startTime.wallMs });
    init.io.log('info', 'strategy_started', { strategy, markets: init.markets.length, feed: init.env.feed?.source ?? 'none', model: p.kmm_pricing_model, profile: p.MM_MARKET_PROFILE });
    // trust and connection events are sent on change: a (re)started strategy asks ingest for them
    if (init.io.hasPeer('ingest')) init.io.send('ingest', { control: { kind: kmm.v1.ControlKind.RECONCILE, markets: [], reason: 'strategy_started' } });
    // ... and exec for every market's exchange position (the start-up cap check waits for them)
    if (init.io.hasPeer('exec')) init.io.send('exec', { control: { kind: kmm.v1.ControlKind.RECONCILE, markets: [], reason: 'strategy_started' } });
    return { core, params: p, env: init.env, lastFeedError: '', stopped: false, drainRecvNs: 0, drainEvents: [] };
  },
  handlers: {
    bookFeatures: (s, b, t, io) => {
      const recvNs = Number(io.current?.recvMonoNs ?? 0);
      if (recvNs > s.drainRecvNs) s.drainRecvNs = recvNs;
      route(s.core.onBookFeatures(b, t.wallMs), io);
    },
    fill: (s, b, t, io) => {
      // a fill from the websocket (exec passes its frame's receive time on; not one found by a REST read)
      noteEvent(s, 'fill', Number(io.current?.recvMonoNs ?? 0));
      route(s.core.onFill(b, t.wallMs), io);
    },
    position: (s, b, t, io) => route(s.core.onPosition(b, t.wallMs), io),
    workingOrders: (s, b, t, io) => route(s.core.onWorkingOrders(b, t.wallMs), io),
    orderReject: (s, b, t, io) => route(s.core.onReject(b, t.wallMs), io),
    orderAck: (s, b, t, io) => route(s.core.onAck(b, t.wallMs), io),
    marketInfo: (s, b, t, io) => route(s.core.onMarketInfo(b, t.wallMs), io),
    marketTrust: (s, b, t, io) => route(s.core.onMarketTrust(b, t.wallMs), io),
    connection: (s, b, t, io) => route(s.core.onConnection(b, t.wallMs), io),
    lifecycle: (s, b, t, io) => route(s.core.onLifecycle(b, t.wallMs), io),
    control: (s, b, t, io) => route(s.core.onControl(b, t.wallMs), io),
  },
  endOfDrain(s, t) {
    const drains = s.env.drains;
    // nothing to record (no capture, a backtest): no allocation per drain
    if (drains) {
      if (s.drainRecvNs > 0) s.drainEvents.push({ kind: 'book', atNs: s.drainRecvNs });
      for (const e of s.drainEvents) drains.record(e.kind, e.atNs, t.monoNs);
      s.drainEvents.length = 0;
    }
    s.drainRecvNs = 0;
  },
  timers: [
    { name: STRATEGY_TICK, periodMs: STRATEGY_TICK_MS, fire: tick },
    { name: ALPHA_POLL, periodMs: alphaPollMs, fire: (s, _t, io) => void pollFeed(s, io) },
  ],
  stop(s, _t, io) {
    s.stopped = true;
    // pull every quote on the way out; exec also cancels on its own shutdown
    if (io.hasPeer('exec')) io.send('exec', { control: { kind: kmm.v1.ControlKind.CANCEL_ALL, markets: [], reason: 'strategy_stop' } });
    return s.env.drains?.close();
  },
};
