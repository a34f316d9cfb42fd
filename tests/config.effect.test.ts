/**
 * Every registry key has an observable effect (issue 15: "so a dead key cannot come back").
 *
 * For each key in CONFIG_SPECS, one of:
 *  - changing it from its default to another valid value (accepted by resolveConfig) changes an
 *    OUTPUT of a core that uses it: the probe of that core (below: the strategy's targets,
 *    takers, ops events and journal; exec's commands, reads, messages and events; the book's
 *    features; ingest's messages, websocket commands and reconnect waits) run on a fixed script
 *    gives a different result. The cores that use a key are the ones whose parameters change
 *    with it (strategyParamsOf, execParamsOf, bookParamsOf, ingestParamsOf); a key whose effect
 *    needs a setting to show (a feature switched on, a profile) names it in CONTEXT;
 *  - it is read only by the app or an actor's shell: APP_READ_KEYS names the file, which must
 *    read it as a property (`.key`), and no core's parameters change with it;
 *  - it is informational: its registry spec says `effect: 'informational: <reason>'` (the one
 *    list of such keys is the registry itself);
 *  - it is PENDING_DEAD_KEYS: dead today, being wired in another branch (issue 15), or
 *    NOT_YET_PROBED (the probes do not reach it yet; checked through the parameters, with why).
 * A key that changes a core's parameters but none of its outputs fails: a copied, unread key.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CONFIG_SPECS, kmm, resolveConfig, SeededRng, type ConfigSpec, type ConfigValue, type KmmConfig } from '@kmm/shared';
import { StrategyCore, strategyParamsOf } from '@kmm/strategy-worker';
import { ExecCore, execParamsOf, type CommandResult, type Effects, type ExecCommand } from '@kmm/exec-worker';
import { IngestCore, ingestParamsOf, type IngestSink, type WsCommand } from '@kmm/ingest-worker';
import { BookShardCore, bookParamsOf, type BookSink } from '@kmm/book-worker';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/**
 * Keys registered but read by nothing today (issue 15's dead keys). Another branch wires them
 * (paper mode, capture, dashboard, run dir, the latency warning, the naive backtest, the sigma
 * window). After merging it, the lead empties this list: each key then passes one of the checks
 * above (most through APP_READ_KEYS), or gets removed from the registry.
 */
const PENDING_DEAD_KEYS: readonly string[] = [];

/**
 * Keys whose effect the probes do not reach yet: they are checked the old way (a valid value
 * changes the parameters of a core) and each says what a probe would need. Keep it short.
 */
const NOT_YET_PROBED: Readonly<Record<string, string>> = {
  kmm_markout_s: 'the grid model\'s markout floor needs a maker fill and the book kmm_markout_s later; the probe\'s one fill has no later decision of its market past the horizon (grid-model.test.ts shows the floor)',
};

/** Keys only the app (supervisor, commands) or an actor's shell reads: key -> the file that reads it. */
const APP_READ_KEYS: Readonly<Record<string, string>> = {
  kmm_rest_base_url: 'packages/app/src/commands/run.ts',
  kmm_ws_url: 'packages/app/src/commands/run.ts',
  kmm_api_key_id: 'packages/app/src/commands/run.ts',
  kmm_private_key_path: 'packages/app/src/commands/run.ts',
  kmm_mailbox_capacity: 'packages/app/src/system/system.ts',
  kmm_cluster_max_loss_usd: 'packages/cluster/src/shell/risk.ts',
  kmm_cluster_max_drawdown_usd: 'packages/cluster/src/shell/risk.ts',
  kmm_log_level: 'packages/app/src/system/system.ts',
  kmm_shutdown_timeout_s: 'packages/exec-worker/src/actor/index.ts',
  paper_mode: 'packages/app/src/commands/run.ts',
  kmm_run_dir: 'packages/app/src/commands/demo.ts',
  kmm_strategy: 'packages/strategy-worker/src/actor/index.ts',
  kmm_scorecard_max_spread_cents: 'packages/exec-worker/src/core/scorecard.ts',
  kmm_scorecard_min_size: 'packages/exec-worker/src/core/scorecard.ts',
  kmm_capture_enabled: 'packages/ingest-worker/src/shell/main.ts',
  kmm_dashboard: 'packages/app/src/commands/demo.ts',
  kmm_dashboard_port: 'packages/app/src/commands/demo.ts',
  kmm_journal_fsync_ms: 'packages/exec-worker/src/shell/env.ts',
  // the strategy shell's feed poller (the core gets the values through onExternalFairValues)
  alpha_poll_s: 'packages/strategy-worker/src/actor/index.ts',
  kmm_external_fair_values: 'packages/strategy-worker/src/shell/main.ts',
  // exec's REST client: every order it places carries the flag
  kmm_cancel_order_on_pause: 'packages/exec-worker/src/shell/env.ts:cancelOrderOnPause',
};

/** The parameter objects the cores run on, without the embedded whole configuration (to find the actor). */
const DERIVED: Record<Actor, (cfg: KmmConfig) => unknown> = {
  strategy: (cfg) => { const { source: _s, ...p } = strategyParamsOf(cfg); return p; },
  exec: (cfg) => { const { config: _c, ...p } = execParamsOf(cfg); return p; },
  ingest: ingestParamsOf,
  book: (cfg) => { const { config: _c, ...p } = bookParamsOf(cfg); return p; },
};
type Actor = 'strategy' | 'exec' | 'ingest' | 'book';

/** Values other than the default to try, in order (the first valid ones are used). */
function alternatives(s: ConfigSpec): ConfigValue[] {
  switch (s.type) {
    case 'bool': return [!s.default];
    case 'enum': return s.values.filter((v) => v !== s.default);
    case 'string': return ['x1', 'http://127.0.0.1:1', 'ws://127.0.0.1:1'].filter((v) => v !== s.default);
    default: {
      const d = s.default;
      // near the default, the bounds, and a few small values (a contract cap only shows below the tighter ones)
      const raw = [d * 2, d / 2, d + 1, d - 1, s.min, s.max, (s.min + s.max) / 2, ...[1, 2, 3, 4, 5].map((i) => s.min + i)];
      const vals = raw.map((x) => (s.type === 'int' ? Math.round(x) : x)).filter((x) => x !== d && x >= s.min && x <= s.max);
      return [...new Set(vals)];
    }
  }
}

/** The valid configurations with the key changed (resolveConfig refuses contradicting ones). */
function variants(s: ConfigSpec, context: Record<string, unknown> = {}): Array<{ value: ConfigValue; cfg: KmmConfig }> {
  const out: Array<{ value: ConfigValue; cfg: KmmConfig }> = [];
  for (const value of alternatives(s)) {
    try {
      out.push({ value, cfg: resolveConfig({ ...context, [s.key]: value }) });
    } catch {
      // a contradiction with another default: try the next value
    }
  }
  return out;
}

/** The actors whose parameters differ between two configurations. */
function actorsChanged(a: KmmConfig, b: KmmConfig): Actor[] {
  const out: Actor[] = [];
  for (const [actor, derive] of Object.entries(DERIVED) as Array<[Actor, (cfg: KmmConfig) => unknown]>) {
    if (JSON.stringify(derive(a)) !== JSON.stringify(derive(b))) out.push(actor);
  }
  return out;
}

const readsProperty = (text: string, key: string): boolean => new RegExp(`\\.${key}\\b`).test(text);
const DEFAULTS = resolveConfig({});

// ------------------------------------------------------------------ probes: each core on a fixed script
// A probe drives one actor's core through a scripted session that touches every feature of it
// and returns everything the core put out (targets, takers, ops events, journal records,
// commands, reads, messages, features) as one string. Deterministic: the same config gives
// the same string.

const T0 = 1_767_225_600_000;
const HOUR = 3_600_000;
const CENT_GRID = [{ startPrice: 100, endPrice: 9900, stepPrice: 100 }];

function strategyMarkets(): kmm.v1.IMarketInfo[] {
  // one mutually exclusive event (the event skew, kmm_event_skew_ticks, shows with positions in it)
  const base = { eventTicker: 'EV', mutuallyExclusive: true, seriesTicker: 'SER', status: kmm.v1.MarketStatus.MARKET_ACTIVE, priceRanges: CENT_GRID, openTimeMs: T0 - 24 * HOUR, feeType: 'quadratic', feeMultiplierMilli: 1000 };
  return [
    { ...base, market: 'A', closeTimeMs: T0 + 48 * HOUR, volumeDayCenti: 5_000_000, liquidityMoney: 150_000_000 }, // liquid, 2 days out
    { ...base, market: 'B', closeTimeMs: T0 + 300_000 + 20 * HOUR, volumeDayCenti: 2_000_000, liquidityMoney: 60_000_000 }, // thin, closes within a day
    { ...base, market: 'E', closeTimeMs: T0 + 300_000 + 8 * HOUR, volumeDayCenti: 3_000_000, liquidityMoney: 150_000_000 }, // closes in hours
    { ...base, market: 'C', closeTimeMs: T0 + 30 * 24 * HOUR, volumeDayCenti: 200_000, liquidityMoney: 4_000_000_000 }, // far out
    { ...base, market: 'D', closeTimeMs: T0 + 72 * HOUR, volumeDayCenti: 40_000, liquidityMoney: 20_000_000 }, // low volume
  ];
}

function bookFeatures(market: string, bid: number, ask: number, over: Partial<kmm.v1.IBookFeatures> = {}): kmm.v1.IBookFeatures {
  return {
    market, bestBid: bid, bestBidCenti: 50_000, bestAsk: ask, bestAskCenti: 50_000, mid: (bid + ask) / 2, microprice: (bid + ask) / 2,
    spread: ask - bid, spreadEma: ask - bid, trust: kmm.v1.TrustState.TRUSTED, volMediumWindowS: 60, ...over,
  };
}

/** Strategy core: start-up check, books with calm and stressed features, positions, fills, time. */
function strategyProbe(cfg: KmmConfig): string {
  const out: unknown[] = [];
  const rec = (fx: unknown): void => { out.push(JSON.parse(JSON.stringify(fx))); };
  const core = new StrategyCore(strategyParamsOf(cfg), strategyMarkets(), { startMs: T0 });
  // start-up: positions trickle in, exec's reconcile word comes late (settle and wait times show)
  for (const t of [0, 300, 700, 1500, 3000]) rec(core.onTimer(T0 + t));
  rec(core.onPosition({ market: 'A', positionCenti: 300, fromExchange: true }, T0 + 3100));
  rec(core.onPosition({ market: 'B', positionCenti: 200, fromExchange: true }, T0 + 3200));
  for (const t of [6000, 12_000, 25_000, 40_000, 65_000, 95_000]) rec(core.onTimer(T0 + t));
  rec(core.onControl({ kind: kmm.v1.ControlKind.RECONCILE, reason: 'exec_started' }, T0 + 100_000));
  for (const t of [100_200, 100_600, 101_100, 102_100, 103_100, 106_000, 111_000, 131_000]) rec(core.onTimer(T0 + t));
  // calm books, then stress: vol, drift, imbalance, trend, regimes, spike, a tight book, a queue
  let t = T0 + 140_000;
  const step = (fx: unknown): void => { rec(fx); t += 700; };
  for (const m of ['A', 'B', 'C', 'D', 'E']) step(core.onBookFeatures(bookFeatures(m, 4800, 5200, { spreadEma: 200 }), t));
  const stress: Array<Partial<kmm.v1.IBookFeatures>> = [
    { microVolBps: 6, microDriftBps: 4, volShortBps: 5, volMediumBps: 6, volLongBps: 6, volRegime: kmm.v1.VolRegime.CALM },
    { microVolBps: 9, microDriftBps: 7, volShortBps: 15, volMediumBps: 30, volLongBps: 25, trendStrength: 0.5, imbalance: 0.6, imbalanceEma: 0.6 },
    { microVolBps: 11, microDriftBps: 8, volShortBps: 35, volMediumBps: 100, volLongBps: 60, trendStrength: -0.8, imbalance: -0.75, imbalanceEma: -0.75, ofi: -40 },
    { microVolBps: 30, microDriftBps: 12, volShortBps: 60, volMediumBps: 400, volLongBps: 200, trendStrength: 0.95, imbalance: 0.9, imbalanceEma: 0.9, ofi: 80 },
    { microVolBps: 2950, microDriftBps: 2950, volShortBps: 30, volMediumBps: 50, volLongBps: 40, trendStrength: -0.9 },
    { microVolBps: 1, microDriftBps: 0.5, volShortBps: 25, volMediumBps: 30, volLongBps: 25, trendStrength: 0.9 },
    { microVolBps: 1, microDriftBps: 0.5, volShortBps: 60, volMediumBps: 80, volLongBps: 70, trendStrength: -0.9 },
    { microVolBps: 1, microDriftBps: 0.5, volShortBps: 2, volMediumBps: 3, volLongBps: 3, volumeSpike: true },
    { microVolBps: 1, volMediumBps: 3 },
  ];
  for (const [i, st] of stress.entries()) {
    step(core.onBookFeatures(bookFeatures('A', 4800 + 100 * i, 5200 + 100 * i, { spreadEma: 200, ...st }), t));
    step(core.onBookFeatures(bookFeatures('B', 3000 - 100 * i, 3600 - 100 * i, { spreadEma: 500, ...st }), t));
    t += 5000; // past MM_QUOTE_REFRESH_MS: each of these decisions goes out
  }
  // tight and wide books; a near-the-edge price; a crossed-book neighbour
  step(core.onBookFeatures(bookFeatures('A', 5000, 5100, { spreadEma: 100 }), t));
  step(core.onBookFeatures(bookFeatures('A', 4000, 6000, { spreadEma: 2000 }), t));
  step(core.onBookFeatures(bookFeatures('D', 300, 500, { spreadEma: 200 }), t));
  step(core.onBookFeatures(bookFeatures('D', 9500, 9700, { spreadEma: 200 }), t));
  // our own queue: deep behind others, then at the front with toxic flow
  step(core.onWorkingOrders({ market: 'A', restingBidCenti: 500, restingAskCenti: 500 }, t));
  // (an estimate at every price of both sides: whatever the touch of the quote, one applies)
  const queueAt = (aheadContracts: number): kmm.v1.IQueueEstimate[] =>
    [kmm.v1.BookSide.BID, kmm.v1.BookSide.ASK].flatMap((qs) => Array.from({ length: 21 }, (_, i) => ({ clientOrderId: `q${qs}-${i}`, side: qs, price: 4000 + 100 * i, aheadCenti: aheadContracts * 100, levelTotalCenti: 10_000_000 })));
  for (const ahead of [0, 4, 9, 15, 30, 400, 900, 1500, 3000, 20_000]) {
    for (const ofi of [-150, -250, -450, 150, 450]) step(core.onBookFeatures(bookFeatures('A', 4800, 5200, { queue: queueAt(ahead), ofi }), t));
  }
  // a 3c move of the mid and back (price_change_requote_threshold), a very tight spread EMA; the
  // move comes in two updates, so that no one update moves the touch kmm_jump_cents
  step(core.onBookFeatures(bookFeatures('A', 4900, 5300), t));
  step(core.onBookFeatures(bookFeatures('A', 5100, 5500), t));
  step(core.onBookFeatures(bookFeatures('A', 4800, 5200), t));
  step(core.onBookFeatures(bookFeatures('A', 4900, 5100, { spreadEma: 50 }), t));
  step(core.onPosition({ market: 'E', positionCenti: 400, fromExchange: true }, t));
  step(core.onBookFeatures(bookFeatures('E', 4800, 5200), t));
  // positions grow: skew, per-10 adjustment, inventory bands, rebalance, caps, breach, bailout
  for (const q of [800, 1200, 2000, 3500, 6000, 12_000, 30_000, 120_000, -2500, -12_000]) {
    step(core.onPosition({ market: 'A', positionCenti: q, fromExchange: true }, t));
    step(core.onBookFeatures(bookFeatures('A', 4800, 5200, { volMediumBps: 40 }), t));
  }
  step(core.onFill({ market: 'A', side: kmm.v1.BookSide.BID, yesPrice: 4800, countCenti: 200, tradeId: 'f1', postPositionCenti: -11_800 } as kmm.v1.IFill, t));
  // an external fair value away from the mid (alpha skew, toxicity, arbitrage, funding)
  step(core.onExternalFairValues([{ market: 'A', fairPrice: 6500, fundingBps: 8 }, { market: 'E', fairPrice: 9500, fundingBps: -8 }], t));
  step(core.onBookFeatures(bookFeatures('E', 4800, 5200), t));
  // short 10 with the alpha at the mid, then the alpha moves 8% against the short (toxicity)
  step(core.onPosition({ market: 'A', positionCenti: 0, fromExchange: true }, t));
  step(core.onExternalFairValues([{ market: 'A', fairPrice: 5000, fundingBps: 0 }], t));
  step(core.onPosition({ market: 'A', positionCenti: -1000, fromExchange: true }, t));
  step(core.onExternalFairValues([{ market: 'A', fairPrice: 5000, fundingBps: 0 }], t));
  step(core.onBookFeatures(bookFeatures('A', 4800, 5200), t));
  step(core.onExternalFairValues([{ market: 'A', fairPrice: 5400, fundingBps: 2 }], t));
  step(core.onBookFeatures(bookFeatures('A', 4800, 5200), t));
  step(core.onBookFeatures(bookFeatures('A', 4800, 5200), t));
  step(core.onExternalFairValues([{ market: 'A', fairPrice: 2000, fundingBps: 3 }], t));
  step(core.onBookFeatures(bookFeatures('A', 4800, 5200), t));
  step(core.onMarketInfo({ ...strategyMarkets().find((m) => m.market === 'D'), volumeDayCenti: 9_000_000, liquidityMoney: 150_000_000 }, t));
  // jump protection: a buy through three ask levels (kmm_sweep_levels), then books every 0.7 s
  // (kmm_sweep_pull_ms), then a 3c fall of the bid (kmm_jump_cents)
  const lv = (...ps: number[]): kmm.v1.IPriceLevel[] => ps.map((price) => ({ price, countCenti: 10_000 }));
  step(core.onPosition({ market: 'C', positionCenti: 0, fromExchange: true }, t));
  step(core.onBookFeatures(bookFeatures('C', 4800, 5200, { bidsTop: lv(4800, 4700, 4600, 4500), asksTop: lv(5200, 5300, 5400, 5500), tradeCount: 1, lastTradePrice: 5000 }), t));
  step(core.onBookFeatures(bookFeatures('C', 4800, 5500, { bidsTop: lv(4800, 4700), asksTop: lv(5500), tradeCount: 2, lastTradePrice: 5400 }), t));
  for (let i = 0; i < 8; i++) step(core.onBookFeatures(bookFeatures('C', 4800 - 100 * (i % 2), 5500, { tradeCount: 2 }), t));
  step(core.onBookFeatures(bookFeatures('C', 4500, 5500, { tradeCount: 2 }), t));
  step(core.onBookFeatures(bookFeatures('C', 4000, 5500, { tradeCount: 2 }), t));
  for (let i = 0; i < 8; i++) step(core.onBookFeatures(bookFeatures('C', 4000, 5500 + 100 * (i % 2), { tradeCount: 2 }), t));
  // time: quote age, cool-downs, scans, the markets' close approaching, alpha ageing
  for (const dt of [1000, 2000, 5000, 10_000, 16_000, 20_000, 31_000, 45_000, 61_000, 91_000, 121_000, 181_000, 301_000, 601_000, 1_200_000, 3_600_000, 2 * HOUR, 3 * HOUR, 4 * HOUR, 4.5 * HOUR, 4.9 * HOUR, 5.5 * HOUR, 7.8 * HOUR]) {
    rec(core.onTimer(t + dt));
  }
  t += 7.8 * HOUR + 1000;
  step(core.onBookFeatures(bookFeatures('B', 3000, 3600), t));
  step(core.onMarketTrust({ market: 'C', state: kmm.v1.TrustState.STALE }, t));
  for (const dt of [500, 1000, 2000, 3100, 4100, 6000, 9000, 16_000, 31_000]) rec(core.onTimer(t + dt));
  // the close: E's close moves to 30 min from now; books 20, 12, 6 and 3 min, 90, 40 and 10 s
  // before it (kmm_close_widen_s, kmm_close_widen_ticks, kmm_close_stop_s)
  t += 32_000;
  const closeE = t + 1_800_000;
  rec(core.onLifecycle({ market: 'E', eventType: 'close_date_updated', closeTsMs: closeE }, t));
  for (const leftS of [1200, 720, 360, 180, 90, 40, 10]) rec(core.onBookFeatures(bookFeatures('E', 4800, 5200), closeE - leftS * 1000));
  return JSON.stringify(out);
}

const EXEC_MKT = 'KXA-26JAN01-T50';
const EXEC_MKT2 = 'KXB-26JAN01-T50';

/** The venue answers every order of a command as resting (or cancelled); one reject mode. */
function answer(cmd: ExecCommand, seq: { n: number }, reject: number | null = null, rateLimited = false, latencyUs = 2000): CommandResult {
  if (reject !== null || rateLimited) {
    return { cmdId: cmd.id, acks: [], rejects: cmd.orders.map((o) => ({ kind: o.kind, market: o.market, clientOrderId: o.clientOrderId, orderId: o.orderId, code: reject ?? kmm.v1.RejectCode.RATE_LIMITED, side: o.side, price: o.price })), rateLimited, latencyUs };
  }
  const acks = cmd.orders.map((o) => {
    const cancel = o.kind === kmm.v1.CommandKind.CANCEL;
    return { kind: o.kind, market: o.market, clientOrderId: o.clientOrderId, orderId: o.orderId || `oid-${++seq.n}`, side: o.side, price: o.price, remainingCenti: cancel ? 0 : o.countCenti, filledCenti: 0, status: cancel ? kmm.v1.OrderStatus.CANCELED : kmm.v1.OrderStatus.RESTING };
  });
  return { cmdId: cmd.id, acks, rejects: [], rateLimited: false, latencyUs };
}

function execTarget(market: string, bid: number, ask: number, size: number, levels = 1, edgeBps = 30, fair = 0): kmm.v1.ITargetQuotes {
  const lv: kmm.v1.IQuoteLevel[] = [];
  for (let i = 0; i < levels; i++) {
    if (bid > 0) lv.push({ side: kmm.v1.BookSide.BID, level: i, price: bid - 100 * i, countCenti: size, expectedEdgeBpsMilli: Math.round(edgeBps * 1000) });
    if (ask > 0) lv.push({ side: kmm.v1.BookSide.ASK, level: i, price: ask + 100 * i, countCenti: size, expectedEdgeBpsMilli: Math.round(edgeBps * 1000) });
  }
  return { market, levels: lv, bestBid: bid > 0 ? bid + 100 : 0, bestAsk: ask > 0 ? ask - 100 : 0, fairValue: fair || (bid + ask) / 2 };
}

/** Exec core: start-up, targets of every size, re-pricing, venue faults, fills, stale books, time. */
function execProbe(cfg: KmmConfig): string {
  const out: unknown[] = [];
  const seq = { n: 0 };
  const inflight: ExecCommand[] = [];
  let reconciles = 0;
  const p = execParamsOf(cfg);
  const markets = [EXEC_MKT, EXEC_MKT2].map((market) => ({ market, status: kmm.v1.MarketStatus.MARKET_ACTIVE, priceRanges: CENT_GRID }));
  const core = new ExecCore(p, { runId: 'probe', markets, nowMs: 0 });
  const rec = (fx: Effects): void => {
    const copy = JSON.parse(JSON.stringify(fx)) as Effects; // the core reuses its objects
    out.push(copy);
    inflight.push(...copy.commands);
    reconciles += copy.reads.filter((r) => r.kind === 'reconcile').length;
  };
  /** answer what is in flight: ok, or a reject code for all of it */
  const settle = (now: number, reject: number | null = null, rateLimited = false, latencyUs = 2000): void => {
    const cmds = inflight.splice(0);
    for (const c of cmds) rec(core.onCommandResult(answer(c, seq, reject, rateLimited, latencyUs), now));
    // a reconcile read finds nothing resting at the venue (orders younger than the grace are spared)
    for (; reconciles > 0; reconciles--) rec(core.onSnapshot({ requestedAtMs: now, orders: [], positions: [], fills: [] }, now));
  };
  rec(core.start(0));
  const ours = (orderId: string, price: number) => ({ orderId, clientOrderId: `${p.clientOrderIdPrefix}-old-${orderId}`, market: EXEC_MKT, side: kmm.v1.BookSide.BID, price, remainingCenti: 100, filledCenti: 0, status: 'resting' as const, orderGroupId: '' });
  rec(core.onSnapshot({ requestedAtMs: 0, orders: [ours('v1', 4700), ours('v2', 4600)], positions: [{ market: EXEC_MKT, positionCenti: 200, exposureMoney: 980, realizedPnlMoney: 0, feesPaidMoney: 0 }], fills: [] }, 5));
  settle(6);
  rec(core.onOrderGroup('og-1', 6));
  for (const m of [EXEC_MKT, EXEC_MKT2]) rec(core.onTrust({ market: m, state: kmm.v1.TrustState.TRUSTED }, 7));
  settle(8);
  let t = 1000;
  // targets of growing size and depth: fat finger, notional, caps, levels
  for (const [size, levels] of [[500, 1], [3_000, 2], [20_000, 3], [120_000, 4], [2_000_000, 6]] as const) {
    rec(core.onTargets(execTarget(EXEC_MKT, 4800, 5200, size, levels), t));
    settle(t + 1);
    t += 2000;
  }
  out.push({ phase: 'reprice' });
  // re-pricing: one tick, two ticks, three, with edge changes and fair values; fast and slow
  const moves: Array<[number, number, number, number]> = [[4900, 5300, 30.2, 5100], [4700, 5100, 31, 5000], [4600, 5000, 30.6, 5400], [4900, 5300, 33, 5100], [5100, 5500, 40, 5300], [4800, 5200, 40.4, 5000]];
  for (const [gap, [b, a, e, f]] of moves.entries()) {
    t += [100, 300, 600, 1100, 2500, 6000][gap];
    rec(core.onTargets(execTarget(EXEC_MKT, b, a, 500, 1, e, f), t));
    settle(t + 1);
  }
  for (const dt of [200, 500, 1000, 2500]) rec(core.onTimer(t + dt));
  settle(t + 2600);
  t += 3000;
  out.push({ phase: 'pof' });
  // post-only rejections, in a streak (every placement refused for a while), then quiet
  for (let i = 0; i < 4; i++) {
    rec(core.onTargets(execTarget(EXEC_MKT2, 4900 - 300 * (i % 2), 5300 + 300 * (i % 2), 500, 1, 30 + 5 * i), t));
    settle(t + 1, kmm.v1.RejectCode.POST_ONLY_CROSS);
    for (const dt of [500, 1000, 1500, 2000, 2500, 3000, 3500, 4000, 5000, 6000, 7000, 8000, 10_000, 12_000]) {
      rec(core.onTimer(t + dt));
      settle(t + dt + 1, dt < 6000 ? kmm.v1.RejectCode.POST_ONLY_CROSS : null);
    }
    t += 13_000;
  }
  t += 60_000;
  rec(core.onTargets(execTarget(EXEC_MKT2, 4800, 5300, 500, 1), t));
  settle(t + 1, kmm.v1.RejectCode.POST_ONLY_CROSS);
  t += 1000;
  out.push({ phase: 'failures' });
  // venue failures: a run of server errors (the consecutive breaker), then two failures in
  // three for a while (the rate breaker); each round is a new 3-tick target, answered at once
  const round = (i: number, fail: boolean): void => {
    rec(core.onTargets(execTarget(EXEC_MKT2, 4000 + 300 * (i % 3), 6000 - 300 * (i % 2), 500, 1, 30 + i), t));
    settle(t + 1, fail ? kmm.v1.RejectCode.SERVER_ERROR : null, false, i === 4 ? 900_000 : 2000);
    rec(core.onTimer(t + 1100));
    settle(t + 1101, fail ? kmm.v1.RejectCode.SERVER_ERROR : null);
    t += 1500;
  };
  for (let i = 0; i < 7; i++) round(i, true);
  for (const dt of [10_000, 20_000, 31_000, 46_000, 61_000, 91_000]) { rec(core.onTimer(t + dt)); settle(t + dt + 1); }
  t += 92_000;
  for (let i = 0; i < 30; i++) round(i, i % 3 !== 2);
  for (const dt of [1000, 5000, 10_000, 20_000, 31_000, 46_000, 61_000, 91_000, 121_000]) { rec(core.onTimer(t + dt)); settle(t + dt + 1); }
  t += 122_000;
  rec(core.onTargets(execTarget(EXEC_MKT, 4300, 5700, 500, 1, 45), t));
  settle(t + 1, null, true);
  rec(core.onTargets(execTarget(EXEC_MKT, 4000, 6000, 500, 1, 50), t + 300));
  settle(t + 301);
  for (const dt of [500, 1500, 2500, 4000]) { rec(core.onTimer(t + dt)); settle(t + dt + 1); }
  t += 5000;
  out.push({ phase: 'burst' });
  // a burst of re-pricing on both markets, many levels (the rate limiter, the order group window)
  // (quotes on, quotes off, every 20 ms: creates and cancels, which no reprice gate holds)
  for (let i = 0; i < 16; i++) {
    const on = i % 2 === 0;
    rec(core.onTargets(on ? execTarget(EXEC_MKT, 4500, 5600, 100, 5) : { market: EXEC_MKT, levels: [] }, t + 20 * i));
    rec(core.onTargets(on ? execTarget(EXEC_MKT2, 4400, 5700, 100, 5) : { market: EXEC_MKT2, levels: [] }, t + 20 * i + 5));
    settle(t + 20 * i + 10);
  }
  rec(core.onTargets(execTarget(EXEC_MKT, 4500, 5600, 100, 5), t + 400));
  rec(core.onTargets(execTarget(EXEC_MKT2, 4400, 5700, 100, 5), t + 405));
  settle(t + 410);
  out.push({ live: core.bk.liveCount });
  t += 1000;
  for (let i = 0; i < 12; i++) {
    rec(core.onFill({ tradeId: `B${i}`, market: EXEC_MKT2, side: i % 2 === 0 ? kmm.v1.BookSide.BID : kmm.v1.BookSide.ASK, yesPrice: 4700, countCenti: 4000, postPositionCenti: i % 2 === 0 ? 4000 : 0 }, t + 100 * i, 'ws'));
    settle(t + 100 * i + 1);
  }
  for (const dt of [2000, 5000, 16_000]) { rec(core.onTimer(t + dt)); settle(t + dt + 1); }
  t += 17_000;
  out.push({ phase: 'fills' });
  for (let i = 0; i < 1100; i++) core.onFill({ tradeId: `D${i}`, market: EXEC_MKT2, side: i % 2 === 0 ? kmm.v1.BookSide.BID : kmm.v1.BookSide.ASK, yesPrice: 4700, countCenti: 1, postPositionCenti: i % 2 === 0 ? 1 : 0 }, t, 'ws');
  rec(core.onFill({ tradeId: 'D0', market: EXEC_MKT2, side: kmm.v1.BookSide.BID, yesPrice: 4700, countCenti: 1, postPositionCenti: 1 }, t + 1, 'ws'));
  out.push({ stats: core.stats });
  // fills (one repeated), a position report, a taker
  rec(core.onFill({ tradeId: 'F1', market: EXEC_MKT, side: kmm.v1.BookSide.BID, yesPrice: 4800, countCenti: 300, postPositionCenti: 500 }, t, 'ws'));
  rec(core.onFill({ tradeId: 'F1', market: EXEC_MKT, side: kmm.v1.BookSide.BID, yesPrice: 4800, countCenti: 300, postPositionCenti: 500 }, t + 1, 'ws'));
  rec(core.onTakerIntent({ market: EXEC_MKT, side: kmm.v1.BookSide.ASK, limitPrice: 4700, countCenti: 700, tif: kmm.v1.TimeInForce.IMMEDIATE_OR_CANCEL, reduceOnly: true }, t + 2));
  settle(t + 3);
  t += 1000;
  out.push({ phase: 'stale' });
  // stale and untrusted books, the connection dropping, a pause
  rec(core.onTargets(execTarget(EXEC_MKT, 4800, 5200, 500, 1), t));
  settle(t + 1);
  rec(core.onTrust({ market: EXEC_MKT, state: kmm.v1.TrustState.STALE }, t + 10));
  rec(core.onTrust({ market: EXEC_MKT2, state: kmm.v1.TrustState.UNTRUSTED }, t + 10));
  for (const dt of [500, 1100, 2100, 3100, 4100, 6000, 9000, 16_000, 31_000]) { rec(core.onTimer(t + dt)); settle(t + dt + 1); }
  t += 32_000;
  for (const m of [EXEC_MKT, EXEC_MKT2]) rec(core.onTrust({ market: m, state: kmm.v1.TrustState.TRUSTED }, t));
  rec(core.onControl({ kind: kmm.v1.ControlKind.PAUSE_QUOTING, reason: 'probe' }, t + 1));
  settle(t + 2);
  rec(core.onControl({ kind: kmm.v1.ControlKind.RESUME_QUOTING, reason: 'probe' }, t + 3));
  rec(core.onTargets(execTarget(EXEC_MKT, 4800, 5200, 500, 2), t + 4));
  settle(t + 5);
  out.push({ phase: 'quiet' });
  // long quiet: reconcile, queue polls, tape, order age and expiry, market refresh, shutdown
  for (let dt = 1000; dt <= 1_800_000; dt += dt < 60_000 ? 1000 : 30_000) {
    rec(core.onTimer(t + dt));
    settle(t + dt + 1);
  }
  t += 1_800_001;
  rec(core.onControl({ kind: kmm.v1.ControlKind.SHUTDOWN, reason: 'probe' }, t));
  for (const dt of [1000, 5000, 10_000, 20_000, 40_000]) rec(core.onTimer(t + dt));
  // a second, short session: flat, five one-contract levels a side on three markets at once
  const three = [EXEC_MKT, EXEC_MKT2, 'KXC-26JAN01-T50'];
  const fresh = new ExecCore(p, { runId: 'probe2', markets: three.map((market) => ({ market, status: kmm.v1.MarketStatus.MARKET_ACTIVE, priceRanges: CENT_GRID })), nowMs: 0 });
  fresh.start(0);
  fresh.onSnapshot({ requestedAtMs: 0, orders: [], positions: [], fills: [] }, 1);
  fresh.onOrderGroup('og-2', 2);
  for (const m of three) fresh.onTrust({ market: m, state: kmm.v1.TrustState.TRUSTED }, 3);
  for (const m of three) out.push(JSON.parse(JSON.stringify(fresh.onTargets(execTarget(m, 4400, 5700, 100, 5), 10))));
  return JSON.stringify(out);
}

/** Book shard: a snapshot and a stream of deltas and trades over minutes; the features it sends. */
function bookProbe(cfg: KmmConfig): string {
  const sent: unknown[] = [];
  const sink: BookSink = { send: (peer, body) => sent.push([peer, body]), log: (l, e, f) => sent.push([l, e, f]), stat: (n) => sent.push(['stat', n]), setStat: (n, v) => sent.push(['stat', n, v]) };
  const markets = ['M0', 'M1', 'M2'].map((market) => ({ market, priceRanges: CENT_GRID }));
  const core = new BookShardCore(bookParamsOf(cfg), sink, markets);
  const S = 1e9;
  for (const m of ['M0', 'M1', 'M2']) {
    core.onSnapshot({ market: m, yesBids: [4800, 4700, 4600, 4500, 4400, 4300].map((price, i) => ({ price, countCenti: 10_000 * (i + 1) })), noBids: [4800, 4700, 4600, 4500, 4400, 4300].map((price, i) => ({ price, countCenti: 8_000 * (i + 1) })) }, 1);
    core.onTrust({ market: m, state: kmm.v1.TrustState.TRUSTED });
  }
  core.onOrderAck({ kind: kmm.v1.CommandKind.PLACE, market: 'M0', clientOrderId: 'c1', orderId: 'o1', side: kmm.v1.BookSide.BID, price: 4700, remainingCenti: 500, filledCenti: 0, status: kmm.v1.OrderStatus.RESTING });
  core.onWorkingOrders({ market: 'M0', restingBidCenti: 500, orders: [{ clientOrderId: 'c1', orderId: 'o1', side: kmm.v1.BookSide.BID, price: 4700, aheadCenti: -1, levelTotalCenti: 0, exchangeAheadCenti: 3_000 }] } as kmm.v1.IWorkingOrders);
  let x = 7;
  for (let i = 1; i <= 600; i++) {
    x = (x * 1103515245 + 12345) % 2147483648;
    const nowNs = i * 0.5 * S;
    const leg = x % 2 === 0 ? kmm.v1.LegSide.YES : kmm.v1.LegSide.NO;
    const drift = Math.floor(i / 120) * 100;
    const price = (leg === kmm.v1.LegSide.YES ? 4800 + drift : 4800 - drift) - 100 * (x % 3);
    core.onDelta({ market: 'M0', leg, price, deltaCenti: (x % 5) * 1000 + 500 }, nowNs);
    if (i % 7 === 0) core.onTrade({ market: 'M0', yesPrice: 4800 + drift, countCenti: i > 400 && i < 420 ? 500_000 : 1000, takerSide: kmm.v1.BookSide.BID } as kmm.v1.IPublicTrade, nowNs);
    if (i % 50 === 0) core.onFill({ market: 'M0', orderId: 'o1', side: kmm.v1.BookSide.BID, yesPrice: 4700, countCenti: 100, tradeId: `t${i}` } as kmm.v1.IFill);
    if (i % 10 === 0) core.flush();
  }
  core.flush();
  return JSON.stringify(sent);
}

/** Ingest: connect, subscribe, books, a sequence gap, silence, a heartbeat timeout, reconnects. */
function ingestProbe(cfg: KmmConfig): string {
  const out: unknown[] = [];
  const sink: IngestSink = {
    send: (peer, body) => out.push(['send', peer, body]),
    wsSend: (c) => out.push(['ws', c]),
    dropConnection: (r) => out.push(['drop', r]),
    log: (l, e, f) => out.push(['log', l, e, f]),
    stat: (n, d) => out.push(['stat', n, d ?? 1]),
  } as IngestSink;
  const markets = Array.from({ length: 6 }, (_, i) => ({ market: `I${i}` }));
  const core = new IngestCore(ingestParamsOf(cfg), 2, new SeededRng(3), sink, markets);
  const MS = 1e6;
  const S = 1e9;
  const subscribeAll = (now: number): void => {
    const subs = (out.filter((o) => Array.isArray(o) && o[0] === 'ws' && (o[1] as WsCommand).cmd === 'subscribe') as Array<[string, WsCommand]>).slice(-8);
    let sid = 1;
    for (const [, c] of subs) core.onFrame(JSON.stringify({ type: 'subscribed', id: c.id, msg: { channel: (c.params.channels as string[])[0], sid: sid++ } }), now, 0);
  };
  core.onConnected(0);
  subscribeAll(1);
  let seqNo = 1;
  const snapF = (m: string): string => JSON.stringify({ type: 'orderbook_snapshot', sid: 1, seq: seqNo++, msg: { market_ticker: m, yes_dollars_fp: [['0.4000', '10.00']], no_dollars_fp: [['0.5500', '5.00']] } });
  const deltaF = (m: string, s: number): string => JSON.stringify({ type: 'orderbook_delta', sid: 1, seq: s, msg: { market_ticker: m, price_dollars: '0.4000', delta_fp: '1.00', side: 'yes', ts_ms: 1 } });
  for (const m of markets) core.onFrame(snapF(m.market!), 2 * MS, 0);
  for (let i = 1; i <= 40; i++) {
    const now = i * 100 * MS;
    core.onFrame(deltaF(`I${i % 6}`, seqNo++), now, 0);
    core.onTick(now);
  }
  // a gap: resync asked; no snapshot comes; attempts and timeouts
  seqNo += 3;
  core.onFrame(deltaF('I0', seqNo++), 4.1 * S, 0);
  for (let k = 1; k <= 80; k++) {
    const now = 4.1 * S + k * 0.25 * S;
    if (k % 4 === 0) core.onHeartbeat(now);
    if (k < 30) core.onFrame(deltaF(`I${1 + (k % 5)}`, seqNo++), now, 0);
    core.onTick(now);
  }
  // silence past the heartbeat timeout: dropped; reconnect with backoff, several attempts
  let now = 30 * S;
  for (let k = 0; k < 60; k++) {
    now += 1 * S;
    core.onTick(now);
  }
  for (let a = 0; a < 8; a++) {
    const wait = core.onDisconnected(now, 'probe');
    out.push(['backoff', wait]);
    now += 60 * S;
  }
  core.onConnected(now);
  core.addMarkets(Array.from({ length: 6 }, (_, i) => ({ market: `J${i}` })), now);
  for (let i = 0; i < 30; i++) core.onFrame(JSON.stringify({ type: 'ok', id: 1000 + i }), now, 0);
  core.onTick(now + S);
  return JSON.stringify(out);
}

const PROBES: Record<Actor, (cfg: KmmConfig) => string> = { strategy: strategyProbe, exec: execProbe, book: bookProbe, ingest: ingestProbe };

/**
 * Settings under which a key's effect shows in the probes (the feature it belongs to switched
 * on, a profile, a limit loose enough not to mask it). Only what the key needs: the default
 * configuration is tried first.
 */
// the crypto profile's features (regimes, trend, inventory bands, funding bias)
const CRYPTO = { MM_MARKET_PROFILE: 'crypto' };
// the 001 takers without the 002 rebalance exit, which comes first and would take every time
const TAKERS = { rebalance_threshold: 0 };
// the bailout cap below the contract caps: caps and the breach threshold far above the positions
const BAILOUT = { rebalance_threshold: 0, MM_MAX_POS: 1000, MM_MAX_LONG_POS: 1000, MM_MAX_SHORT_POS: 1000, MM_MAX_POSITION_SIZE: 1000, max_position_size: 1000, max_inventory: 1000, Q_critical: 1000, MM_MAX_POSITION_NOTIONAL_USD: 100_000 };
// more than one quote level
const LEVELS = { MM_NUM_PRICE_LEVELS: 3 };
const CONTEXT: Readonly<Record<string, Record<string, unknown>>> = {
  // the pull needs a sweep rule on (both are off by default)
  kmm_sweep_pull_ms: { kmm_sweep_levels: 3, kmm_jump_cents: 3 },
  MM_VOL_REGIME_ENABLED: CRYPTO,
  MM_VOL_OFFSET_SCALE_CALM: CRYPTO,
  MM_VOL_OFFSET_SCALE_ELEVATED: CRYPTO,
  MM_VOL_OFFSET_SCALE_EXTREME: CRYPTO,
  MM_TREND_ENABLED: CRYPTO,
  MM_TREND_STRONG_THRESHOLD: CRYPTO,
  MM_TREND_COUNTER_SIDE_SIZE_CUT: CRYPTO,
  MM_TREND_SKEW_BOOST: CRYPTO,
  MM_INVENTORY_WARN_PCT: CRYPTO,
  MM_INVENTORY_CRITICAL_PCT: CRYPTO,
  MM_INVENTORY_HARD_PCT: CRYPTO,
  MM_FUNDING_BIAS_ENABLED: CRYPTO,
  MM_FUNDING_INVENTORY_WEIGHT: CRYPTO,
  MM_FUNDING_BIAS_CAP_BPS: CRYPTO,
  IMPULSE_CONTROL_ENABLED: TAKERS,
  Q_critical: TAKERS,
  Q_target: TAKERS,
  toxicity_threshold: TAKERS,
  arb_min_edge_cents: TAKERS,
  kmm_bailout_hysteresis: BAILOUT,
  MM_SIZE_SCALE_PER_LEVEL: LEVELS,
  kmm_level_spacing_ticks: LEVELS,
  MM_VOLATILITY_OFFSET_MULTIPLIER: { MM_MICRO_VOL_MAX_BPS: 2400, MM_MICRO_DRIFT_MAX_BPS: 2400 },
  kmm_ofi_fair_ticks: { kmm_pricing_model: 'grid' },
  kmm_touch_hysteresis_ticks: { kmm_pricing_model: 'grid' },
};

const SPECS = CONFIG_SPECS as readonly ConfigSpec[];
const baselines = new Map<string, string>();
function probeOf(actor: Actor, context: Record<string, unknown>): string {
  const k = `${actor}:${JSON.stringify(context)}`;
  let b = baselines.get(k);
  if (b === undefined) {
    b = PROBES[actor](resolveConfig(context));
    baselines.set(k, b);
  }
  return b;
}

/** The first variant of the key that changes an output of a core that uses it, or why none does. */
function outputEffect(s: ConfigSpec): { value: ConfigValue; actor: Actor; context: Record<string, unknown> } | string {
  const contexts = [{}, ...(CONTEXT[s.key] ? [CONTEXT[s.key]] : [])];
  const users = new Set<Actor>();
  for (const context of contexts) {
    const base = resolveConfig(context);
    for (const { value, cfg } of variants(s, context)) {
      for (const actor of actorsChanged(base, cfg)) {
        users.add(actor);
        if (PROBES[actor](cfg) !== probeOf(actor, context)) return { value, actor, context };
      }
    }
  }
  return users.size === 0 ? 'no core parameters change with it' : `the parameters of ${[...users].join(', ')} change, but no output of its probe`;
}

describe('every registry key has an observable effect', () => {
  it('the lists name registry keys, each in one list only', () => {
    const keys = new Set(SPECS.map((s) => s.key));
    const informational = SPECS.filter((s) => s.effect !== undefined).map((s) => s.key);
    const listed = [...PENDING_DEAD_KEYS, ...Object.keys(APP_READ_KEYS), ...Object.keys(NOT_YET_PROBED), ...informational];
    for (const k of listed) expect(keys.has(k), k).toBe(true);
    for (const k of Object.keys(CONTEXT)) expect(keys.has(k), k).toBe(true);
    expect(new Set(listed).size).toBe(listed.length);
    for (const s of SPECS) if (s.effect !== undefined) expect(s.effect, s.key).toMatch(/^informational: \S.{10,}/);
  });

  // Diagnosis when a key fails: KMM_PROBE_DEBUG=<actor>:<key>:<value> npx vitest run config.effect.test.ts -t debug
  // prints where the probe's output first differs (KMM_PROBE_GREP=<regex> prints the baseline's matches).
  it.skipIf(!process.env.KMM_PROBE_DEBUG)('debug: where a key changes a probe', () => {
    const [actor, key, value] = (process.env.KMM_PROBE_DEBUG ?? '').split(':') as [Actor, string, string];
    const parse = (v: string): unknown => (v === 'true' ? true : v === 'false' ? false : Number.isNaN(Number(v)) ? v : Number(v));
    const ctx = CONTEXT[key] ?? {};
    const a = PROBES[actor](resolveConfig(ctx));
    const b = PROBES[actor](resolveConfig({ ...ctx, [key]: parse(value) }));
    let i = 0;
    while (i < a.length && a[i] === b[i]) i++;
    console.log(i === a.length && a.length === b.length ? 'no difference' : `first difference at ${i}:\n${a.slice(Math.max(0, i - 300), i + 200)}\n---\n${b.slice(Math.max(0, i - 300), i + 200)}`);
    if (process.env.KMM_PROBE_GREP) console.log((a.match(new RegExp(process.env.KMM_PROBE_GREP, 'g')) ?? []).join('\n'));
    expect(a.length).toBeGreaterThan(0);
  });

  it('the probes are deterministic', () => {
    for (const actor of Object.keys(PROBES) as Actor[]) expect(PROBES[actor](resolveConfig({})), actor).toBe(probeOf(actor, {}));
  });

  for (const spec of SPECS) {
    const s = spec;
    if (PENDING_DEAD_KEYS.includes(s.key)) {
      it.todo(`${s.key}: pending (dead until the dead-key wiring branch is merged)`);
      continue;
    }
    if (s.effect !== undefined) continue; // informational: the reason is checked above
    const appFile = APP_READ_KEYS[s.key];
    if (appFile !== undefined) {
      const [file, property] = appFile.split(':') as [string, string | undefined];
      it(`${s.key}: read by ${appFile} (no core output depends on it)`, () => {
        expect(readsProperty(readFileSync(join(ROOT, file), 'utf8'), property ?? s.key)).toBe(true);
        // a core output that changes with it: the key belongs to the probes, not to this list
        expect(outputEffect(s), 'a core output depends on it: take it off APP_READ_KEYS').toBeTypeOf('string');
      });
      continue;
    }
    const notYet = NOT_YET_PROBED[s.key];
    if (notYet !== undefined) {
      it(`${s.key}: a valid non-default value changes the params of a core (not probed yet: ${notYet})`, () => {
        expect(variants(s).some(({ cfg }) => actorsChanged(DEFAULTS, cfg).length > 0)).toBe(true);
        expect(typeof outputEffect(s), 'a probe reaches it now: take it off NOT_YET_PROBED').toBe('string');
      });
      continue;
    }
    it(`${s.key}: a valid non-default value changes an output of a core that uses it`, () => {
      expect(variants(s, CONTEXT[s.key] ?? {}).length, 'no valid non-default value').toBeGreaterThan(0);
      const r = outputEffect(s);
      expect(typeof r === 'string' ? r : 'ok', s.key).toBe('ok');
    });
  }
});
