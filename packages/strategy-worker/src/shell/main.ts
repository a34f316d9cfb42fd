/**
 * Strategy worker entry: the thin shell around StrategyCore.
 *
 * In:  BookFeatures (book.k); Fill, Position, WorkingOrders, OrderAck, OrderReject, MarketInfo
 *      (exec); MarketTrust, ConnectionEvent, Lifecycle (ingest); Control (sup); Timer (self:
 *      'strategy_tick' every 250 ms, 'alpha_poll' every alpha_poll_s).
 * Out: TargetQuotes, TakerIntent, Control CANCEL_ALL -> exec; Control ADD/REMOVE_MARKETS ->
 *      ingest; ops events and 'reprice_decision' journal records -> ctx.ops (the supervisor).
 *
 * The shell reads the clock (ctx.clock.wallMs(), or the Timer's wall_ms) and passes it in;
 * the core never does. The alpha feed is polled asynchronously; its values enter the core
 * between mailbox drains and never block handling. A config the core rejects leaves the actor
 * running inert (no quotes, no takers) with a config_invalid ops event, rather than a restart loop.
 */
import { kmm, runActor, type ActorContext, type KmmConfig } from '@kmm/shared';
import { strategyParamsOf } from '../core/params.js';
import { StrategyCore, type Effects } from '../core/strategy.js';
import { FeedSource } from './feed-source.js';

const TICK_MS = 250;
const TICK = 'strategy_tick';
const ALPHA = 'alpha_poll';

let core: StrategyCore | null = null;
let feed: FeedSource | null = null;
let lastFeedError = '';

function route(fx: Effects, ctx: ActorContext): void {
  const hasExec = ctx.peers.includes('exec');
  for (let i = 0; i < fx.targets.length; i++) {
    if (hasExec) ctx.send('exec', { targetQuotes: fx.targets[i] });
    // Monitor feed (dashboard): targets change only when the decision changes, so this is low volume.
    ctx.send('sup', { targetQuotes: fx.targets[i] });
  }
  for (let i = 0; i < fx.takers.length; i++) if (hasExec) ctx.send('exec', { takerIntent: fx.takers[i] });
  for (let i = 0; i < fx.controls.length; i++) {
    const c = fx.controls[i];
    if (ctx.peers.includes(c.peer)) ctx.send(c.peer, { control: c.control });
  }
  for (let i = 0; i < fx.opsEvents.length; i++) {
    const e = fx.opsEvents[i];
    ctx.ops(e.event, e.market, e.level, e.fields);
  }
  for (let i = 0; i < fx.journal.length; i++) {
    const j = fx.journal[i];
    ctx.ops('reprice_decision', String(j.market ?? ''), 'info', j);
  }
  if (fx.targets.length > 0) ctx.stat('targets', fx.targets.length);
  if (fx.takers.length > 0) ctx.stat('takers', fx.takers.length);
}

function marketsOf(ctx: ActorContext): kmm.v1.IMarketInfo[] {
  const raw: unknown = ctx.extra.markets;
  if (!Array.isArray(raw)) {
    ctx.ops('startup_markets_invalid', '', 'error', { error: 'extra.markets is not an array' });
    return [];
  }
  const out: kmm.v1.IMarketInfo[] = [];
  raw.forEach((m, i) => {
    if (m !== null && typeof m === 'object' && typeof (m as { market?: unknown }).market === 'string') out.push(m as kmm.v1.IMarketInfo);
    else ctx.ops('startup_markets_invalid', '', 'warn', { error: `extra.markets[${i}] has no market ticker` });
  });
  return out;
}

async function pollFeed(ctx: ActorContext): Promise<void> {
  if (!feed || !core) return;
  const r = await feed.poll();
  if (r === undefined || !core) return;
  if (!r.ok) {
    if (r.error !== lastFeedError) ctx.ops('alpha_feed_error', '', 'warn', { source: feed.source, error: r.error });
    lastFeedError = r.error;
    ctx.stat('alpha_feed_errors');
    return;
  }
  if (r.problems.length > 0) {
    const msg = r.problems.slice(0, 10).join('; ');
    if (msg !== lastFeedError) ctx.ops('alpha_feed_error', '', 'warn', { source: feed.source, error: msg, problems: r.problems.length });
    lastFeedError = msg;
  } else lastFeedError = '';
  ctx.setStat('alpha_values', r.values.length);
  route(core.onExternalFairValues(r.values, ctx.clock.wallMs()), ctx);
}

runActor({
  kind: kmm.v1.ActorKind.STRATEGY,
  onStart(ctx) {
    const p = strategyParamsOf(ctx.config as KmmConfig);
    core = new StrategyCore(p, marketsOf(ctx), { startMs: ctx.clock.wallMs() });
    ctx.every(TICK, TICK_MS);
    const src = p.kmm_external_fair_values;
    if (src !== '') {
      const periodMs = Math.max(100, Math.round(p.alpha_poll_s * 1000));
      feed = new FeedSource(src, periodMs);
      ctx.every(ALPHA, periodMs);
    }
    ctx.log.info({ markets: (ctx.extra.markets ?? []).length, feed: src || 'none', model: p.kmm_pricing_model, profile: p.MM_MARKET_PROFILE }, 'strategy started');
  },
  onMessage(env, from, ctx) {
    if (!core) return;
    const c = core;
    if (env.timer) {
      const now = Number(env.timer.wallMs) || ctx.clock.wallMs();
      if (env.timer.name === TICK) route(c.onTimer(now), ctx);
      else if (env.timer.name === ALPHA) void pollFeed(ctx);
      return;
    }
    const now = ctx.clock.wallMs();
    let fx: Effects | null = null;
    if (env.bookFeatures) fx = c.onBookFeatures(env.bookFeatures, now);
    else if (env.fill) fx = c.onFill(env.fill, now);
    else if (env.position) fx = c.onPosition(env.position, now);
    else if (env.workingOrders) fx = c.onWorkingOrders(env.workingOrders, now);
    else if (env.orderReject) fx = c.onReject(env.orderReject, now);
    else if (env.orderAck) fx = c.onAck(env.orderAck, now);
    else if (env.marketInfo) fx = c.onMarketInfo(env.marketInfo, now);
    else if (env.marketTrust) fx = c.onMarketTrust(env.marketTrust, now);
    else if (env.connection) fx = c.onConnection(env.connection, now);
    else if (env.lifecycle) fx = c.onLifecycle(env.lifecycle, now);
    else if (env.control) fx = c.onControl(env.control, now);
    else ctx.stat(`ignored_from_${from}`);
    if (fx) route(fx, ctx);
  },
  onStop(ctx) {
    ctx.every(TICK, 0);
    ctx.every(ALPHA, 0);
    // pull every quote on the way out; exec also cancels on its own shutdown
    if (ctx.peers.includes('exec')) ctx.send('exec', { control: { kind: kmm.v1.ControlKind.CANCEL_ALL, markets: [], reason: 'strategy_stop' } });
    core = null;
  },
});
