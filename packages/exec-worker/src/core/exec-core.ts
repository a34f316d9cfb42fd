/**
 * ExecCore: the exec actor's pure, synchronous, deterministic brain. It owns the bookkeeping
 * and every gate, and turns messages into effects; the shell does all I/O.
 *
 * In:  TargetQuotes, TakerIntent (strategy); OrderAck (REST results via onCommandResult, WS
 *      user_order updates via onAck), Fill, Position, MarketTrust, ConnectionEvent, Lifecycle
 *      (ingest); Control (strategy, supervisor); venue snapshots, market lists and queue
 *      positions (results of the reads it asked for); Timer ticks.
 * Out: Effects = REST commands to send, reads to make, messages to strategy/book, ops events,
 *      journal records, tape rows. The Effects object is reused: consume it before the next call.
 *
 * Flow: targets are conflated per market (latest wins) and diffed slot by slot (OrderDiffer);
 * the resulting intents go out cancels first, then decreases, amends, creates, each through the
 * rate limiter; creates and amends also need a closed breaker, no 429 pause, no post-only
 * cooldown and a passing pre-flight. Anything held back is looked at again on the next timer
 * tick (level-triggered: nothing queues up, so nothing overflows).
 * Safety: disconnect -> cancel all and place nothing until reconnected and trusted again;
 * stale/untrusted book -> cancel that market after MM_STALE_CANCEL_GRACE_S; start-up ->
 * reconcile, cancel or adopt unknown orders, position-cap check (000 fix 3); shutdown -> cancel all.
 * Time: `nowMs` is monotonic milliseconds supplied by the caller; the core never reads clocks.
 */
import { assert, kmm, PriceGrid, LINEAR_CENT, shardOf, type EnvelopeBody } from '@kmm/shared';
import { Breakers } from './breakers.js';
import { OrderBookkeeping, unrealizedMoney } from './bookkeeping.js';
import { Action, newDecision, OrderDiffer, type SlotTarget } from './differ.js';
import { execParamsFrom, type ExecParams } from './params.js';
import { PostOnlyAdaptor } from './post-only.js';
import { preflight } from './preflight.js';
import { ENDPOINT_COST, RateLimiter } from './rate-limiter.js';
import { reconcile, reconcilePositions } from './reconciler.js';
import { snakeKeys, type JournalRecord, type JournalRecordOf } from './journal-record.js';
import {
  clearEffects,
  newEffects,
  OrderStatus,
  type Effects,
  type ExecCommand,
  type ReadRequest,
  type VenueSnapshot,
  type WorkingOrder,
} from './types.js';

const CK = kmm.v1.CommandKind;
const RC = kmm.v1.RejectCode;
const BID = kmm.v1.BookSide.BID;
const ASK = kmm.v1.BookSide.ASK;
const TRUSTED = kmm.v1.TrustState.TRUSTED;
const ACTIVE = kmm.v1.MarketStatus.MARKET_ACTIVE;

/** After a MARKET_INACTIVE reject, leave the market alone this long before trying again. */
export const MARKET_HOLD_MS = 5000;
/** After any other rejected create/amend, the market waits this long before trying again (no hot reject loops). */
export const REJECT_HOLD_MS = 1000;
/** Minimum time between two reconcile requests caused by surprises (unknown acks, uncertain orders). */
export const RECONCILE_MIN_GAP_MS = 1000;
/** Adopted orders wait this long after start-up for a first target before they are pulled. */
export const ADOPT_TARGET_WAIT_MS = 10_000;
/** DONE orders are purged this often. */
const PURGE_EVERY_MS = 10_000;
/** Cost of one reconcile (orders + positions + fills; first pages). */
const RECONCILE_READ_TOKENS = 3 * ENDPOINT_COST.read;

/** Rejects that count as a failed call for the breakers (transport and server trouble, bad requests). */
const BREAKER_FAILURE_CODES = new Set<number>([RC.SERVER_ERROR, RC.TIMEOUT, RC.AUTH, RC.BAD_REQUEST, RC.OTHER, RC.INVALID_PRICE, RC.INSUFFICIENT_BALANCE]);

export interface Cause {
  /** header.recv_mono_ns of the message being handled (venue frame receive time; 0 unknown) */
  recvMonoNs: number;
  /** when the message arrived in exec (shell mono ns; 0 unknown) */
  arrivalMonoNs: number;
  /** exec's pump number when the target arrived (set by the core) */
  pumpSeq?: number;
}
const NO_CAUSE: Cause = { recvMonoNs: 0, arrivalMonoNs: 0 };

export interface CommandResult {
  cmdId: number;
  acks: kmm.v1.IOrderAck[];
  rejects: kmm.v1.IOrderReject[];
  /** the call got HTTP 429 */
  rateLimited: boolean;
  /** request written -> response, microseconds (-1 unknown) */
  latencyUs: number;
}

export interface QueuePositionReport {
  market: string;
  orderId: string;
  aheadCenti: number;
}

export interface ExecCoreOptions {
  /** short run id for client order ids (unique per process start) */
  runId: string;
  markets: kmm.v1.IMarketInfo[];
  nowMs: number;
  /** paper mode: the gateway is simulated; start-up needs no order group */
  paper?: boolean;
  /** tests only: enables debugCorrupt (deliberately breaking an invariant) */
  allowFaultInjection?: boolean;
}

/** The invariant debugCorrupt breaks (see OrderBookkeeping's header). */
export type FaultKind = 'position_drift' | 'overfill' | 'double_slot' | 'live_count' | 'trade_twice';

interface MarketRef {
  market: string;
  info: kmm.v1.IMarketInfo;
  grid: PriceGrid;
  status: number;
  trust: number;
  trustSinceMs: number;
  target: kmm.v1.ITargetQuotes | null;
  cause: Cause;
  slotTargets: SlotTarget[][]; // [0]=bid, [1]=ask, by level
  lastRepriceMs: number;
  retryAtMs: number;
  holdUntilMs: number;
  paused: boolean;
  dirty: boolean;
  woDirty: boolean;
  queueAhead: Map<string, number>;
}

interface CreateIntent {
  m: MarketRef;
  side: number;
  level: number;
  price: number;
  countCenti: number;
  edgeBpsMilli: number;
  taker: boolean;
  tif: number;
  reduceOnly: boolean;
  cause: Cause;
}

interface ModifyIntent {
  o: WorkingOrder;
  m: MarketRef;
  kind: number; // AMEND | DECREASE | CANCEL
  price: number;
  countCenti: number;
  edgeBpsMilli: number;
}

export class ExecCore {
  params: ExecParams;
  readonly bk: OrderBookkeeping;
  readonly limiter: RateLimiter;
  readonly breakers: Breakers;
  readonly pof: PostOnlyAdaptor;
  readonly differ: OrderDiffer;
  readonly markets = new Map<string, MarketRef>();
  readonly inflight = new Map<number, ExecCommand>();
  readonly fx: Effects = newEffects();

  // global state
  connected = true;
  startupReconciled = false;
  orderGroupId = '';
  orderGroupSettled = false;
  orderGroupTriggered = false;
  tradingEnabled = true;
  globalPaused = false;
  shuttingDown = false;
  lastLatencyUs = -1;

  private readonly runId: string;
  private readonly paper: boolean;
  private readonly allowFaultInjection: boolean;
  private cmdSeq = 0;
  private coidSeq = 0;
  private readSeq = 0;
  private reconcileInFlight = 0; // read id, 0 = none
  private reconcileAgain = '';
  private lastReconcileMs: number;
  private reconcileRetryAtMs = 0;
  private lastQueuePollMs: number;
  private lastMarketsPollMs: number;
  private lastTapeMs: number;
  private lastPurgeMs: number;
  private maxFillTsMs = 0;
  private wasBlockedGlobal = false;
  private startupReconciledAtMs = 0;
  /** markets to diff / to report WorkingOrders for: lists, so a message costs O(touched markets), not O(all markets) */
  private dirtyList: MarketRef[] = [];
  private dirtySpare: MarketRef[] = [];
  private readonly woList: MarketRef[] = [];
  /** markets with a target or orders: the only ones the timer scans */
  private readonly activeMarkets = new Set<MarketRef>();

  // scratch (reused every call)
  private readonly decision = newDecision();
  private readonly emptyTarget: SlotTarget = { price: 0, countCenti: 0, edgeBpsMilli: 0 };
  private readonly creates: CreateIntent[] = [];
  private readonly cancels: ModifyIntent[] = [];
  private readonly decreases: ModifyIntent[] = [];
  private readonly amends: ModifyIntent[] = [];

  /** incremented at the end of every pump: tells fresh commands from deferred ones */
  private pumpSeq = 0;
  readonly stats = {
    commands: 0,
    ordersPlaced: 0,
    amends: 0,
    decreases: 0,
    cancels: 0,
    skips: 0,
    rateHeld: 0,
    preflightRejects: 0,
    rejects: 0,
    fills: 0,
    duplicateFills: 0,
    divergences: 0,
    tokensWrite: 0,
    /** commands issued later than the target that caused them (churn gates, rate limits, timers) */
    deferredCommands: 0,
    /** venue reports that would have broken an invariant (see OrderBookkeeping.venueAnomalies) */
    venueAnomalies: 0,
  };

  constructor(params: ExecParams, opts: ExecCoreOptions) {
    this.params = params;
    this.runId = opts.runId;
    this.paper = opts.paper ?? false;
    this.allowFaultInjection = opts.allowFaultInjection ?? false;
    this.bk = new OrderBookkeeping(params.maxLevelsPerSide, params.fillDedupMax, (a) => {
      this.stats.venueAnomalies++;
      this.ops('venue_anomaly', a.market, 'warn', { kind: a.kind, client_order_id: a.clientOrderId, order_id: a.orderId, local_centi: a.localCenti, venue_centi: a.venueCenti });
    });
    this.limiter = new RateLimiter(params.tier, params.rateBudgetPermille, params.rateLimitPauseMs, opts.nowMs);
    this.breakers = new Breakers(params);
    this.pof = new PostOnlyAdaptor(params);
    this.differ = new OrderDiffer(params);
    this.lastReconcileMs = opts.nowMs;
    this.lastQueuePollMs = opts.nowMs;
    this.lastMarketsPollMs = opts.nowMs;
    this.lastTapeMs = opts.nowMs;
    this.lastPurgeMs = opts.nowMs;
    for (const mi of opts.markets) this.upsertMarket(mi, opts.nowMs);
  }

  // ------------------------------------------------------------------ inputs

  /** Start-up: ask for the first reconcile (orders, positions, fills). */
  start(nowMs: number, minFillTsMs = 0): Effects {
    clearEffects(this.fx);
    this.journal({ k: 'start', runId: this.runId, paper: this.paper });
    this.requestReconcile('startup', nowMs, minFillTsMs, true);
    return this.fx;
  }

  /** The order group the shell created (empty id: none, e.g. limit 0 or creation failed). */
  onOrderGroup(orderGroupId: string, nowMs: number): Effects {
    clearEffects(this.fx);
    this.orderGroupId = orderGroupId;
    this.orderGroupSettled = true;
    this.journal({ k: 'order_group', orderGroupId });
    this.markAllDirty();
    this.pump(nowMs);
    return this.fx;
  }

  get ready(): boolean {
    return this.startupReconciled && (this.orderGroupSettled || this.paper);
  }

  /**
   * A new target for one market. `pumpNow` false only records it: the shell then calls
   * `pumpTargets` once after a whole mailbox drain, so a burst of targets becomes one round of
   * (batched) requests instead of one request round per target.
   */
  onTargets(t: kmm.v1.ITargetQuotes, nowMs: number, cause: Cause = NO_CAUSE, pumpNow = true): Effects {
    clearEffects(this.fx);
    const m = this.markets.get(t.market ?? '');
    if (!m) {
      this.ops('target_unknown_market', t.market ?? '', 'warn', {});
      return this.fx;
    }
    m.target = t;
    m.cause = { recvMonoNs: cause.recvMonoNs, arrivalMonoNs: cause.arrivalMonoNs, pumpSeq: this.pumpSeq };
    this.buildSlotTargets(m, nowMs);
    this.markDirty(m);
    if (pumpNow) this.pump(nowMs);
    return this.fx;
  }

  /**
   * The position the pre-flight cap check must assume for a new order on `side`: the position
   * plus everything our other live orders on that side could still fill, plus creates queued in
   * this pump (seed 000: |exchange position + resting same-direction size + order| <= cap).
   */
  private gatingPosition(market: string, side: number, positionCenti: number, exclude?: WorkingOrder): number {
    let same = this.bk.restingCenti(market, side, exclude);
    for (let i = 0; i < this.creates.length; i++) {
      const c = this.creates[i];
      if (c.m.market === market && c.side === side) same += c.countCenti;
    }
    // amends queued in this pump go out before the creates: count what they add
    for (let i = 0; i < this.amends.length; i++) {
      const a = this.amends[i];
      if (a.o !== exclude && a.o.market === market && a.o.side === side) same += Math.max(0, a.countCenti - Math.max(a.o.totalCenti, a.o.pendingTotalCenti));
    }
    return side === BID ? positionCenti + same : positionCenti - same;
  }

  /** Acts on the targets recorded since the last pump (see onTargets). */
  pumpTargets(nowMs: number): Effects {
    clearEffects(this.fx);
    this.pump(nowMs);
    return this.fx;
  }

  onTakerIntent(ti: kmm.v1.ITakerIntent, nowMs: number, cause: Cause = NO_CAUSE): Effects {
    clearEffects(this.fx);
    const market = ti.market ?? '';
    const m = this.markets.get(market);
    const side = ti.side ?? 0;
    const price = ti.limitPrice ?? 0;
    const count = ti.countCenti ?? 0;
    const reduceOnly = ti.reduceOnly ?? false;
    let why = '';
    if (!m) why = 'unknown_market';
    else if (!this.ready || !this.connected || this.shuttingDown) why = 'not_ready';
    else if (this.orderGroupTriggered) why = 'order_group_triggered';
    else if (!this.tradingEnabled && !reduceOnly) why = 'trading_disabled';
    else if (this.breakers.isOpen(nowMs)) why = 'breaker_open';
    else if (this.limiter.isPaused(nowMs)) why = 'rate_limited';
    if (why || !m) {
      this.rejectIntent(market, side, price, why === 'breaker_open' ? RC.BREAKER_OPEN : why === 'rate_limited' ? RC.RATE_LIMITED : RC.RISK, why);
      return this.fx;
    }
    const pos = this.bk.position(market);
    const pf = preflight(this.params, m, side, price, count, count, this.gatingPosition(market, side, pos.positionCenti), reduceOnly);
    if (!pf.ok) {
      this.stats.preflightRejects++;
      this.rejectIntent(market, side, price, pf.code, pf.reason);
      return this.fx;
    }
    this.creates.push({ m, side, level: -1, price, countCenti: count, edgeBpsMilli: 0, taker: true, tif: ti.tif ?? kmm.v1.TimeInForce.IMMEDIATE_OR_CANCEL, reduceOnly, cause: { recvMonoNs: cause.recvMonoNs, arrivalMonoNs: cause.arrivalMonoNs, pumpSeq: this.pumpSeq } });
    this.flush(nowMs);
    if (this.creates.length > 0) {
      // no tokens for it now: a taker decision is stale by the next tick, so it is refused, not queued
      this.creates.length = 0;
      this.rejectIntent(market, side, price, RC.RATE_LIMITED, 'no_tokens');
    }
    this.emitWorkingOrders(nowMs);
    return this.fx;
  }

  onCommandResult(r: CommandResult, nowMs: number): Effects {
    clearEffects(this.fx);
    const cmd = this.inflight.get(r.cmdId);
    if (cmd) this.inflight.delete(r.cmdId);
    if (r.latencyUs >= 0) this.lastLatencyUs = r.latencyUs;
    if (r.rateLimited) {
      this.limiter.on429(nowMs);
      this.ops('rate_limited_429', '', 'warn', { pause_ms: this.params.rateLimitPauseMs, cmd_id: r.cmdId });
    }
    let failed = false;
    for (let i = 0; i < r.acks.length; i++) this.handleAck(r.acks[i], nowMs, r.latencyUs);
    for (let i = 0; i < r.rejects.length; i++) {
      const code = r.rejects[i].code ?? 0;
      if (BREAKER_FAILURE_CODES.has(code)) failed = true;
      this.handleReject(r.rejects[i], nowMs);
    }
    if (!r.rateLimited) {
      const trip = this.breakers.record(!failed, nowMs);
      if (trip) {
        this.ops('circuit_breaker_open', '', 'error', {
          trip,
          consecutive_failures: this.breakers.consecutiveFailures,
          cooldown_s: this.params.breakerCooldownMs / 1000,
          ...this.breakers.windowCounts(nowMs),
        });
        this.journal({ k: 'breaker', trip, openUntilMs: this.breakers.openUntilMs });
      }
    }
    this.pump(nowMs);
    return this.fx;
  }

  /** A user_order update from the websocket (kind UNSPECIFIED), or any ack outside a command. */
  onAck(a: kmm.v1.IOrderAck, nowMs: number): Effects {
    clearEffects(this.fx);
    this.handleAck(a, nowMs, -1);
    this.pump(nowMs);
    return this.fx;
  }

  onFill(f: kmm.v1.IFill, nowMs: number, source: 'ws' | 'rest' = 'ws'): Effects {
    clearEffects(this.fx);
    this.applyFill(f, nowMs, source, true);
    this.pump(nowMs);
    return this.fx;
  }

  onPosition(p: kmm.v1.IPosition, nowMs: number): Effects {
    clearEffects(this.fx);
    const market = p.market ?? '';
    if (p.fromExchange) {
      this.bk.setExchangePosition(market, p.positionCenti ?? 0, p.exposureMoney ?? 0);
      this.journal({ k: 'pos', market, positionCenti: p.positionCenti ?? 0, src: 'ws' });
      this.send('strategy', { position: p });
      const m = this.markets.get(market);
      if (m) this.markDirty(m);
      this.pump(nowMs);
    }
    return this.fx;
  }

  onTrust(t: kmm.v1.IMarketTrust, nowMs: number): Effects {
    clearEffects(this.fx);
    const m = this.markets.get(t.market ?? '');
    if (m) {
      const state = t.state ?? 0;
      if (state !== m.trust) {
        m.trust = state;
        m.trustSinceMs = nowMs;
        this.markDirty(m);
        this.markWo(m);
        if (state !== TRUSTED) m.retryAtMs = minPos(m.retryAtMs, nowMs + this.params.staleCancelGraceMs);
      }
    }
    this.pump(nowMs);
    return this.fx;
  }

  onConnection(c: kmm.v1.IConnectionEvent, nowMs: number): Effects {
    clearEffects(this.fx);
    const kind = c.kind ?? 0;
    if (kind === kmm.v1.ConnectionEvent.Kind.DISCONNECTED) {
      if (this.connected) this.ops('ws_disconnect_cancel_all', '', 'warn', { reason: c.reason ?? '' });
      this.connected = false;
      // data is not trusted again until ingest says so market by market
      for (const m of this.markets.values()) {
        m.trust = kmm.v1.TrustState.UNTRUSTED;
        m.trustSinceMs = nowMs;
      }
    } else if (kind === kmm.v1.ConnectionEvent.Kind.CONNECTED || kind === kmm.v1.ConnectionEvent.Kind.RESUBSCRIBED) {
      if (!this.connected) this.requestReconcile('reconnect', nowMs, 0, false);
      this.connected = true;
    }
    this.markAllDirty();
    this.pump(nowMs);
    return this.fx;
  }

  onLifecycle(l: kmm.v1.ILifecycle, nowMs: number): Effects {
    clearEffects(this.fx);
    const m = this.markets.get(l.market ?? '');
    if (m) {
      const ev = l.eventType ?? '';
      if (ev === 'deactivated') m.status = kmm.v1.MarketStatus.MARKET_INACTIVE;
      else if (ev === 'activated') m.status = ACTIVE;
      else if (ev === 'determined') m.status = kmm.v1.MarketStatus.MARKET_DETERMINED;
      else if (ev === 'settled') m.status = kmm.v1.MarketStatus.MARKET_FINALIZED;
      if (l.priceRanges && l.priceRanges.length > 0) m.grid = gridOf(l.priceRanges);
      this.markDirty(m);
      this.markWo(m);
    }
    this.pump(nowMs);
    return this.fx;
  }

  /** A market list refresh (GET /markets): update reference data, forward to strategy. */
  onMarkets(infos: kmm.v1.IMarketInfo[], nowMs: number): Effects {
    clearEffects(this.fx);
    for (const mi of infos) {
      this.upsertMarket(mi, nowMs);
      this.send('strategy', { marketInfo: mi });
    }
    this.pump(nowMs);
    return this.fx;
  }

  onQueuePositions(list: QueuePositionReport[], nowMs: number): Effects {
    clearEffects(this.fx);
    for (const q of list) {
      const m = this.markets.get(q.market);
      if (!m) continue;
      m.queueAhead.set(q.orderId, q.aheadCenti);
      this.markWo(m);
    }
    this.emitWorkingOrders(nowMs);
    return this.fx;
  }

  onControl(c: kmm.v1.IControl, nowMs: number): Effects {
    clearEffects(this.fx);
    const kind = c.kind ?? 0;
    const list = c.markets ?? [];
    const CKIND = kmm.v1.ControlKind;
    this.journal({ k: 'control', kind, markets: list, reason: c.reason ?? '' });
    if (kind === CKIND.PAUSE_QUOTING || kind === CKIND.RESUME_QUOTING) {
      const pause = kind === CKIND.PAUSE_QUOTING;
      if (list.length === 0) this.globalPaused = pause;
      else for (const mk of list) { const m = this.markets.get(mk); if (m) m.paused = pause; }
    } else if (kind === CKIND.CANCEL_ALL || kind === CKIND.FLATTEN || kind === CKIND.REMOVE_MARKETS) {
      this.cancelAll(list, nowMs, kind === CKIND.FLATTEN ? 'flatten' : 'cancel_all');
      if (kind === CKIND.FLATTEN && list.length === 0) this.globalPaused = true;
    } else if (kind === CKIND.ACK_BREACH) {
      if (!this.tradingEnabled) this.ops('startup_position_cap_breach_acknowledged', '', 'warn', {});
      this.tradingEnabled = true;
      if (this.orderGroupTriggered) {
        this.orderGroupTriggered = false;
        this.fx.reads.push({ kind: 'order_group_reset' });
      }
    } else if (kind === CKIND.SHUTDOWN) {
      this.beginShutdownInner(nowMs);
    } else if (kind === CKIND.RECONCILE) {
      this.requestReconcile('control', nowMs, 0, false);
    } else if (kind === CKIND.CONFIG_UPDATE) {
      try {
        this.setParams(execParamsFrom(JSON.parse(c.json || '{}') as Record<string, unknown>, this.params));
        this.ops('exec_config_updated', '', 'info', {});
      } catch (err) {
        this.ops('exec_config_rejected', '', 'error', { error: (err as Error).message });
      }
    }
    this.markAllDirty();
    this.pump(nowMs);
    return this.fx;
  }

  /** The result of a reconcile read (see ReadRequest 'reconcile'). */
  onSnapshot(snap: VenueSnapshot, nowMs: number): Effects {
    clearEffects(this.fx);
    this.reconcileInFlight = 0;
    this.lastReconcileMs = nowMs;
    const startup = !this.startupReconciled;
    const res = reconcile(this.bk, snap, {
      graceMs: startup ? 0 : this.params.reconcileGraceMs,
      startup,
      adopt: this.params.adoptOrdersOnStart,
      coidPrefix: this.params.clientOrderIdPrefix,
      nowMs,
      levelsPerSide: this.params.maxLevelsPerSide,
    });
    for (const f of res.newFills) {
      this.applyFill(f, nowMs, 'rest', !startup);
      res.divergences.push({ what: 'fill_backfilled', market: f.market ?? '', fields: { tradeId: f.tradeId, orderId: f.orderId, countCenti: f.countCenti } });
    }
    reconcilePositions(this.bk, snap, startup ? 0 : this.params.reconcileGraceMs, res);
    this.adoptUnknownMarkets(nowMs);
    for (const d of res.divergences) {
      this.stats.divergences++;
      this.ops('reconcile_divergence', d.market, d.what === 'fill_backfilled' && startup ? 'info' : 'warn', { what: d.what, ...snakeKeys(d.fields) });
      this.journal({ k: 'div', what: d.what, market: d.market, ...d.fields });
    }
    for (const pc of res.positionChanges) {
      this.send('strategy', {
        position: {
          market: pc.market,
          positionCenti: pc.positionCenti,
          exposureMoney: pc.exposureMoney,
          realizedPnlMoney: pc.realizedPnlMoney,
          feesPaidMoney: pc.feesPaidMoney,
          fromExchange: true,
        },
      });
      this.journal({ k: 'pos', market: pc.market, positionCenti: pc.positionCenti, src: 'rest' });
    }
    if (startup) {
      // The exchange reported every position we hold; say "flat" for the rest of our markets
      // so strategy's start-up cap check runs now instead of waiting out its timeout.
      const reported = new Set(res.positionChanges.map((pc) => pc.market));
      for (const market of this.markets.keys()) {
        if (reported.has(market)) continue;
        const p = this.bk.position(market);
        if (p.positionCenti !== 0) continue;
        this.send('strategy', { position: { market, positionCenti: 0, exposureMoney: 0, realizedPnlMoney: 0, feesPaidMoney: 0, fromExchange: true } });
      }
      this.startupReconciled = true;
      this.startupReconciledAtMs = nowMs;
      this.startupCapCheck();
      this.journal({ k: 'startup_reconciled', adopted: res.adopted, unknownCancelled: res.unknownCancelled, divergences: res.divergences.length });
    }
    this.journal({ k: 'reconcile', orders: snap.orders.length, positions: snap.positions.length, fills: snap.fills.length, divergences: res.divergences.length });
    this.markAllDirty();
    let uncertainLeft = 0;
    for (const o of this.bk.byCoid.values()) if (o.status === OrderStatus.UNCERTAIN) uncertainLeft++;
    if (uncertainLeft > 0) this.reconcileRetryAtMs = minPos(this.reconcileRetryAtMs, nowMs + Math.max(RECONCILE_MIN_GAP_MS, this.params.reconcileGraceMs));
    if (this.reconcileAgain) {
      const why = this.reconcileAgain;
      this.reconcileAgain = '';
      this.requestReconcile(why, nowMs, 0, false);
    }
    this.pump(nowMs);
    return this.fx;
  }

  /** A read failed (network, 5xx, 429 after retries): try again later. */
  onReadFailed(kind: ReadRequest['kind'], nowMs: number, error: string): Effects {
    clearEffects(this.fx);
    if (kind === 'reconcile') {
      this.reconcileInFlight = 0;
      this.reconcileRetryAtMs = nowMs + RECONCILE_MIN_GAP_MS;
    }
    this.ops('read_failed', '', 'warn', { kind, error });
    return this.fx;
  }

  onOrderGroupTriggered(nowMs: number, why: string): Effects {
    clearEffects(this.fx);
    if (!this.orderGroupTriggered) this.ops('order_group_triggered', '', 'error', { order_group_id: this.orderGroupId, why });
    this.orderGroupTriggered = true;
    this.markAllDirty();
    this.pump(nowMs);
    return this.fx;
  }

  /** The shell measured a command's request-written time: latency for the tape. */
  noteWireLatency(latencyUs: number): void {
    this.lastLatencyUs = latencyUs;
  }

  onTimer(nowMs: number): Effects {
    clearEffects(this.fx);
    // backstop for lost results: the REST client times out first
    for (const cmd of this.inflight.values()) {
      if (nowMs - cmd.issuedMs < this.params.inflightTimeoutMs) continue;
      this.inflight.delete(cmd.id);
      this.ops('command_result_lost', '', 'error', { cmd_id: cmd.id, op: cmd.op });
      for (const oc of cmd.orders) {
        this.handleReject({ kind: oc.kind, market: oc.market, clientOrderId: oc.clientOrderId, orderId: oc.orderId, code: RC.TIMEOUT, message: 'no result (watchdog)', side: oc.side, price: oc.price }, nowMs);
      }
    }
    const p = this.params;
    if (this.startupReconciled && p.reconcileIntervalMs > 0 && nowMs - this.lastReconcileMs >= p.reconcileIntervalMs) this.requestReconcile('periodic', nowMs, 0, false);
    if (this.reconcileRetryAtMs > 0 && nowMs >= this.reconcileRetryAtMs) {
      this.reconcileRetryAtMs = 0;
      this.requestReconcile(this.startupReconciled ? 'retry' : 'startup', nowMs, 0, !this.startupReconciled);
    }
    if (this.ready && p.queuePositionPollMs > 0 && nowMs - this.lastQueuePollMs >= p.queuePositionPollMs) {
      this.lastQueuePollMs = nowMs;
      const markets: string[] = [];
      for (const [mk, mo] of this.bk.markets) if (hasResting(mo.bids) || hasResting(mo.asks)) markets.push(mk);
      if (markets.length > 0 && this.limiter.tryRead(ENDPOINT_COST.read, nowMs)) this.fx.reads.push({ kind: 'queue_positions', markets });
    }
    if (p.marketsPollMs > 0 && nowMs - this.lastMarketsPollMs >= p.marketsPollMs) {
      this.lastMarketsPollMs = nowMs;
      if (this.limiter.tryRead(ENDPOINT_COST.read, nowMs)) this.fx.reads.push({ kind: 'markets' });
    }
    // every invariant of the bookkeeping, once per tick (per-operation checks catch most at once)
    this.bk.checkInvariants();
    if (nowMs - this.lastPurgeMs >= PURGE_EVERY_MS) {
      this.lastPurgeMs = nowMs;
      this.bk.purge(nowMs);
    }
    // gates that expire (breaker, 429 pause, stale grace, time gates) make markets worth another look
    const blocked = this.breakers.isOpen(nowMs) || this.limiter.isPaused(nowMs);
    if (this.wasBlockedGlobal && !blocked) this.markAllDirty();
    this.wasBlockedGlobal = blocked;
    for (const m of this.activeMarkets) {
      if (m.retryAtMs > 0 && nowMs >= m.retryAtMs) {
        m.retryAtMs = 0;
        this.markDirty(m);
      }
    }
    this.pump(nowMs);
    if (p.tapeIntervalMs > 0 && nowMs - this.lastTapeMs >= p.tapeIntervalMs) {
      this.lastTapeMs = nowMs;
      this.emitTape();
    }
    return this.fx;
  }

  /** Shutdown: stop placing, cancel everything we have. The shell then verifies with the exchange. */
  beginShutdown(nowMs: number): Effects {
    clearEffects(this.fx);
    this.beginShutdownInner(nowMs);
    this.pump(nowMs);
    return this.fx;
  }

  /** Orders the shell found resting during shutdown verification: cancel them too. */
  cancelVenueOrders(orders: VenueSnapshot['orders'], nowMs: number): Effects {
    clearEffects(this.fx);
    for (const v of orders) {
      if (v.status !== 'resting') continue;
      let o = this.bk.find(v.clientOrderId, v.orderId);
      if (!o) {
        o = {
          clientOrderId: v.clientOrderId || `venue-${v.orderId}`, orderId: v.orderId, market: v.market, side: v.side, level: -1, taker: false, postOnly: true,
          price: v.price, totalCenti: v.filledCenti + v.remainingCenti, filledCenti: v.filledCenti, status: OrderStatus.RESTING, pendingKind: 0, pendingCmdId: 0,
          pendingSinceMs: 0, pendingPrice: 0, pendingTotalCenti: 0, placedAtMs: nowMs, lastChangeMs: nowMs, doneAtMs: 0, edgeBpsMilli: 0, adopted: false, wantCancel: true, lastSkipPrice: 0,
        };
        this.bk.add(o);
      } else {
        if (o.status === OrderStatus.DONE) this.bk.revive(o);
        o.status = OrderStatus.RESTING;
        if (o.pendingKind !== CK.CANCEL) this.bk.clearPending(o);
        o.wantCancel = true;
      }
      const m = this.markets.get(v.market);
      if (m) this.markDirty(m);
    }
    this.adoptUnknownMarkets(nowMs);
    this.pump(nowMs);
    return this.fx;
  }

  /** Orders can rest in markets we were not given (a previous run, manual orders): track those markets so the orders can be cancelled. */
  private adoptUnknownMarkets(nowMs: number): void {
    for (const mk of this.bk.markets.keys()) {
      if (this.markets.has(mk)) continue;
      this.upsertMarket({ market: mk, status: kmm.v1.MarketStatus.MARKET_STATUS_UNSPECIFIED }, nowMs);
      const m = this.markets.get(mk);
      if (m) this.markDirty(m);
    }
  }

  /** Seeds state from a journal after a restart: trade ids already recorded, the last fill time. */
  seedFromJournal(records: Iterable<JournalRecord>): { tradeIds: number; maxFillTsMs: number } {
    let n = 0;
    for (const r of records) {
      if (r.k === 'fill' && r.tradeId) {
        this.bk.rememberTrade(r.tradeId, 0);
        n++;
        const ts = r.tsMs ?? 0;
        if (ts > this.maxFillTsMs) this.maxFillTsMs = ts;
      }
    }
    return { tradeIds: n, maxFillTsMs: this.maxFillTsMs };
  }

  /**
   * Tests only (needs the allowFaultInjection option): breaks one invariant of our state, so a
   * test can prove the assertions catch it (at the latest on the next onTimer). Throws when not
   * enabled or when there is nothing to corrupt (e.g. 'overfill' with no order).
   */
  debugCorrupt(kind: FaultKind): void {
    if (!this.allowFaultInjection) throw new Error('debugCorrupt: fault injection is not enabled (ExecCoreOptions.allowFaultInjection)');
    const anyOrder = (): WorkingOrder => {
      for (const o of this.bk.byCoid.values()) if (o.status !== OrderStatus.DONE) return o;
      throw new Error(`debugCorrupt(${kind}): no live order to corrupt`);
    };
    if (kind === 'position_drift') {
      const market = this.markets.keys().next().value;
      if (market === undefined) throw new Error('debugCorrupt(position_drift): no market');
      this.bk.position(market).positionCenti += 100;
    } else if (kind === 'overfill') {
      const o = anyOrder();
      o.filledCenti = Math.max(o.totalCenti, o.pendingTotalCenti) + 100;
    } else if (kind === 'double_slot') {
      const o = anyOrder();
      this.bk.marketOrders(o.market).others.add(o);
    } else if (kind === 'live_count') {
      this.bk.liveCount++;
    } else if (kind === 'trade_twice') {
      this.bk.rememberTrade('debug-trade', 0);
      (this.bk as unknown as { bookTrade(id: string, nowMs: number): void }).bookTrade('debug-trade', 0);
    } else throw new Error(`debugCorrupt: unknown fault ${String(kind)}`);
  }

  setParams(p: ExecParams): void {
    this.params = p;
    this.breakers.setParams(p);
    this.pof.setParams(p);
    this.differ.setParams(p);
  }

  /** True when nothing of ours is live or in flight (shutdown drain). */
  get idle(): boolean {
    return this.bk.liveCount === 0 && this.inflight.size === 0;
  }

  // ------------------------------------------------------------------ internals

  private beginShutdownInner(nowMs: number): void {
    if (!this.shuttingDown) this.journal({ k: 'shutdown_begin' });
    this.shuttingDown = true;
    this.cancelAll([], nowMs, 'shutdown');
  }

  private cancelAll(list: readonly string[], nowMs: number, why: string): void {
    const all = list.length === 0;
    for (const o of this.bk.live()) {
      if (!all && !list.includes(o.market)) continue;
      o.wantCancel = true;
    }
    for (const m of this.activeMarkets) {
      if (!all && !list.includes(m.market)) continue;
      m.target = null;
      this.clearSlotTargets(m);
      this.markDirty(m);
    }
    this.ops('cancel_all', all ? '' : list.join(','), 'info', { why });
    void nowMs;
  }

  private startupCapCheck(): void {
    const breached: { ticker: string; position: number }[] = [];
    for (const p of this.bk.positions.values()) {
      if (Math.abs(p.positionCenti) > this.params.maxPosCenti) breached.push({ ticker: p.market, position: p.positionCenti / 100 });
    }
    if (breached.length > 0) {
      this.tradingEnabled = false;
      this.ops('startup_position_cap_breach', '', 'error', {
        status: 'TRADING_DISABLED',
        reason: 'Already holding positions over max_pos cap at startup',
        max_pos: this.params.maxPosCenti / 100,
        breached_markets: breached,
        action_required: 'Manually review positions and acknowledge (ACK_BREACH) to re-enable trading',
      });
    }
  }

  private requestReconcile(reason: string, nowMs: number, minFillTsMs: number, force: boolean): void {
    if (this.reconcileInFlight) {
      this.reconcileAgain = reason;
      return;
    }
    if (!force && nowMs - this.lastReconcileMs < RECONCILE_MIN_GAP_MS && reason !== 'reconnect' && reason !== 'periodic' && reason !== 'control') {
      this.reconcileRetryAtMs = minPos(this.reconcileRetryAtMs, this.lastReconcileMs + RECONCILE_MIN_GAP_MS);
      return;
    }
    if (!this.limiter.tryRead(RECONCILE_READ_TOKENS, nowMs)) {
      this.reconcileRetryAtMs = minPos(this.reconcileRetryAtMs, nowMs + this.limiter.read.waitMs(RECONCILE_READ_TOKENS, nowMs) + 1);
      return;
    }
    const id = ++this.readSeq;
    this.reconcileInFlight = id;
    this.lastReconcileMs = nowMs;
    const min = minFillTsMs > 0 ? minFillTsMs : this.maxFillTsMs > 0 ? this.maxFillTsMs - 60_000 : 0;
    this.fx.reads.push({ kind: 'reconcile', id, reason, minFillTsMs: min });
  }

  private upsertMarket(mi: kmm.v1.IMarketInfo, nowMs: number): void {
    const market = mi.market ?? '';
    if (!market) return;
    const existing = this.markets.get(market);
    if (existing) {
      existing.info = mi;
      if (mi.status) existing.status = mi.status;
      if (mi.priceRanges && mi.priceRanges.length > 0) existing.grid = gridOf(mi.priceRanges);
      if (this.activeMarkets.has(existing)) this.markDirty(existing);
      return;
    }
    const L = this.params.maxLevelsPerSide;
    const mk = (): SlotTarget[] => {
      const a: SlotTarget[] = [];
      for (let i = 0; i < L; i++) a.push({ price: 0, countCenti: 0, edgeBpsMilli: 0 });
      return a;
    };
    this.markets.set(market, {
      market,
      info: mi,
      grid: mi.priceRanges && mi.priceRanges.length > 0 ? gridOf(mi.priceRanges) : DEFAULT_GRID,
      status: mi.status ?? ACTIVE,
      // trust arrives from ingest; until then the market is not quoted
      trust: kmm.v1.TrustState.TRUST_STATE_UNSPECIFIED,
      trustSinceMs: nowMs,
      target: null,
      cause: NO_CAUSE,
      slotTargets: [mk(), mk()],
      lastRepriceMs: -1e15,
      retryAtMs: 0,
      holdUntilMs: 0,
      paused: false,
      dirty: false,
      woDirty: false,
      queueAhead: new Map(),
    });
  }

  private clearSlotTargets(m: MarketRef): void {
    for (let s = 0; s < 2; s++) for (const st of m.slotTargets[s]) { st.price = 0; st.countCenti = 0; st.edgeBpsMilli = 0; }
  }

  /** Target levels -> per-slot targets, with the post-only safety applied against the decision's book top. */
  private buildSlotTargets(m: MarketRef, nowMs: number): void {
    this.clearSlotTargets(m);
    const t = m.target;
    if (!t || !t.levels) return;
    const L = this.params.maxLevelsPerSide;
    const bestBid = t.bestBid ?? 0;
    const bestAsk = t.bestAsk ?? 0;
    for (let i = 0; i < t.levels.length; i++) {
      const q = t.levels[i];
      const side = q.side ?? 0;
      const level = q.level ?? 0;
      if (level >= L || (side !== BID && side !== ASK)) continue;
      if (side === BID ? t.bidPaused : t.askPaused) continue;
      const st = m.slotTargets[side === BID ? 0 : 1][level];
      let price = q.price ?? 0;
      if (price > 0 && m.grid.isValid(price)) price = this.pof.safePrice(m.grid, m.market, side, price, bestBid, bestAsk, nowMs);
      st.price = price;
      st.countCenti = price > 0 ? q.countCenti ?? 0 : 0;
      st.edgeBpsMilli = q.expectedEdgeBpsMilli ?? 0;
    }
  }

  /** Why new orders/amends may not go out in this market now ('' = they may). */
  private blockReason(m: MarketRef, nowMs: number): string {
    if (!this.ready) return 'starting';
    if (this.shuttingDown) return 'shutdown';
    if (!this.connected) return 'ws_disconnected';
    if (!this.tradingEnabled) return 'trading_disabled';
    if (this.orderGroupTriggered) return 'order_group_triggered';
    if (this.globalPaused || m.paused) return 'paused';
    if (m.status !== ACTIVE) return 'market_not_active';
    if (m.trust !== TRUSTED) return m.trust === kmm.v1.TrustState.STALE ? 'stale_book' : 'untrusted_book';
    if (nowMs < m.holdUntilMs) return 'market_hold';
    if (this.breakers.isOpen(nowMs)) return 'breaker_open';
    if (this.limiter.isPaused(nowMs)) return 'rate_limit_pause';
    return '';
  }

  /** Whether this market's resting quotes must be pulled now. */
  private mustCancel(m: MarketRef, nowMs: number): boolean {
    if (this.shuttingDown || !this.connected || !this.tradingEnabled || this.globalPaused || m.paused) return true;
    if (m.status !== ACTIVE && m.status !== kmm.v1.MarketStatus.MARKET_STATUS_UNSPECIFIED) return true;
    if (m.trust !== TRUSTED && this.params.cancelOnStaleBook && this.startupReconciled) {
      return nowMs - m.trustSinceMs >= this.params.staleCancelGraceMs;
    }
    return false;
  }

  /** Diffs every dirty market and sends what the gates allow. */
  private pump(nowMs: number): void {
    if (!this.startupReconciled) return;
    // diffMarket may mark markets again (retry): take the list first, bounded by the market count
    const list = this.dirtyList;
    this.dirtyList = this.dirtySpare;
    this.dirtySpare = list;
    for (let i = 0; i < list.length; i++) {
      const m = list[i];
      m.dirty = false;
      this.diffMarket(m, nowMs);
    }
    list.length = 0;
    // orders in markets we have no reference for (adopted/unknown): cancel when unwanted
    this.flush(nowMs);
    this.emitWorkingOrders(nowMs);
    this.pumpSeq++;
  }

  private diffMarket(m: MarketRef, nowMs: number): void {
    const mo = this.bk.marketOrders(m.market);
    const block = this.blockReason(m, nowMs);
    const cancel = this.mustCancel(m, nowMs);
    const fair = m.target && m.target.fairValue ? Math.round(m.target.fairValue) : 0;
    const L = this.params.maxLevelsPerSide;
    // "no target yet" is not "target says none": adopted orders wait a little for strategy
    const holdAdopted = !cancel && m.target === null && nowMs - this.startupReconciledAtMs < ADOPT_TARGET_WAIT_MS;
    if (holdAdopted) m.retryAtMs = minPos(m.retryAtMs, this.startupReconciledAtMs + ADOPT_TARGET_WAIT_MS);
    for (let s = 0; s < 2; s++) {
      const side = s === 0 ? BID : ASK;
      const slots = s === 0 ? mo.bids : mo.asks;
      const pofCooling = this.pof.inCooldown(m.market, side, nowMs);
      for (let level = 0; level < L; level++) {
        const o = slots[level];
        const t = cancel ? this.emptyTarget : m.slotTargets[s][level];
        const d = this.differ.decide(o, t, side, m.grid, fair, m.lastRepriceMs, nowMs, this.decision);
        switch (d.action) {
          case Action.PLACE: {
            if (block) break;
            if (pofCooling) {
              m.retryAtMs = minPos(m.retryAtMs, this.pof.cooldownUntil(m.market, side));
              break;
            }
            if (this.bk.liveCount >= this.params.maxOrdersTracked) {
              this.ops('orders_tracked_limit', m.market, 'error', { limit: this.params.maxOrdersTracked });
              break;
            }
            const pf = preflight(this.params, m, side, d.price, d.countCenti, d.countCenti, this.gatingPosition(m.market, side, this.bk.position(m.market).positionCenti), false);
            if (!pf.ok) {
              this.preflightReject(m, side, d.price, pf.code, pf.reason);
              break;
            }
            this.creates.push({ m, side, level, price: d.price, countCenti: d.countCenti, edgeBpsMilli: t.edgeBpsMilli, taker: false, tif: kmm.v1.TimeInForce.GOOD_TILL_CANCELED, reduceOnly: false, cause: m.cause });
            break;
          }
          case Action.AMEND: {
            if (!o) break;
            if (block || pofCooling) {
              if (pofCooling) m.retryAtMs = minPos(m.retryAtMs, this.pof.cooldownUntil(m.market, side));
              break;
            }
            const oldRemaining = o.totalCenti - o.filledCenti;
            const newRemaining = d.countCenti - o.filledCenti;
            const pf = preflight(this.params, m, side, d.price, newRemaining, Math.max(0, newRemaining - oldRemaining), this.gatingPosition(m.market, side, this.bk.position(m.market).positionCenti, o) + (side === BID ? oldRemaining : -oldRemaining), false);
            if (!pf.ok) {
              this.preflightReject(m, side, d.price, pf.code, pf.reason);
              // the resting order no longer matches a target we may place: pull it
              this.cancels.push({ o, m, kind: CK.CANCEL, price: o.price, countCenti: 0, edgeBpsMilli: 0 });
              break;
            }
            if (this.params.journalRepriceDecisions) {
              this.journal({ k: 'reprice', market: m.market, side, level, oldPrice: o.price, newPrice: d.price, countCenti: d.countCenti, reason: d.reason, forced: d.forced });
            }
            this.amends.push({ o, m, kind: CK.AMEND, price: d.price, countCenti: d.countCenti, edgeBpsMilli: t.edgeBpsMilli });
            break;
          }
          case Action.DECREASE:
            if (o && this.ready) this.decreases.push({ o, m, kind: CK.DECREASE, price: o.price, countCenti: d.countCenti, edgeBpsMilli: 0 });
            break;
          case Action.CANCEL:
            if (o && !(holdAdopted && o.adopted && !o.wantCancel)) {
              if (o.status === OrderStatus.RESTING && o.pendingKind === 0) this.cancels.push({ o, m, kind: CK.CANCEL, price: o.price, countCenti: 0, edgeBpsMilli: 0 });
            }
            break;
          case Action.SKIP:
            if (o) {
              this.stats.skips++;
              if (o.lastSkipPrice !== d.price) {
                o.lastSkipPrice = d.price;
                const skip: JournalRecordOf<'skip'> = {
                  k: 'skip',
                  market: m.market,
                  side: side === BID ? 'BID' : 'ASK',
                  oldPriceCents: o.price,
                  newPriceCents: d.price,
                  priceDiffCents: Math.abs(d.price - o.price),
                  minRepriceCents: this.differ.minTicks * m.grid.tickAt(o.price),
                  reason: d.reason,
                };
                this.ops('skip_same_quote', m.market, 'info', {
                  market: skip.market,
                  side: skip.side,
                  old_price_cents: skip.oldPriceCents,
                  new_price_cents: skip.newPriceCents,
                  price_diff_cents: skip.priceDiffCents,
                  min_reprice_cents: skip.minRepriceCents,
                  reason: skip.reason,
                });
                if (this.params.journalRepriceDecisions) this.journal(skip);
              }
            }
            break;
          case Action.WAIT:
            if (d.retryAtMs > 0) m.retryAtMs = minPos(m.retryAtMs, d.retryAtMs);
            break;
          default:
            break;
        }
      }
    }
    // orders outside the slots: taker leftovers, adopted-unslotted, displaced or unwanted ones
    for (const o of mo.others) {
      if (o.status !== OrderStatus.RESTING || o.pendingKind !== 0) continue;
      if (o.taker && !o.wantCancel && !cancel) continue;
      this.cancels.push({ o, m, kind: CK.CANCEL, price: o.price, countCenti: 0, edgeBpsMilli: 0 });
    }
    if (block && block !== 'starting') {
      // transient blocks expire: look again on the timer
      if (block === 'breaker_open') m.retryAtMs = minPos(m.retryAtMs, this.breakers.openUntilMs);
      else if (block === 'rate_limit_pause') m.retryAtMs = minPos(m.retryAtMs, this.limiter.pausedUntilMs);
      else if (block === 'market_hold') m.retryAtMs = minPos(m.retryAtMs, m.holdUntilMs);
    }
    if (!cancel && m.trust !== TRUSTED && this.startupReconciled) m.retryAtMs = minPos(m.retryAtMs, m.trustSinceMs + this.params.staleCancelGraceMs);
  }

  /** Sends the collected intents: cancels, decreases, amends, creates; each through the buckets. */
  private flush(nowMs: number): void {
    const p = this.params;
    // cancels: batched (one cached-signature endpoint; 2 tokens per order)
    let i = 0;
    while (i < this.cancels.length) {
      const n = Math.min(p.batchMaxOrders, this.cancels.length - i);
      let take = n;
      while (take > 0 && !this.limiter.tryCancel(take * ENDPOINT_COST.batchCancelPerOrder, nowMs)) take = Math.floor(take / 2);
      if (take === 0) {
        this.holdForTokens(this.cancels[i].m, ENDPOINT_COST.batchCancelPerOrder, nowMs);
        break;
      }
      const orders: kmm.v1.IOrderCommand[] = [];
      const cmdId = ++this.cmdSeq;
      for (let k = 0; k < take; k++) {
        const c = this.cancels[i + k];
        this.bk.setPending(c.o, CK.CANCEL, cmdId, nowMs);
        this.bk.unslot(c.o);
        c.o.wantCancel = true;
        orders.push({ kind: CK.CANCEL, market: c.o.market, clientOrderId: c.o.clientOrderId, orderId: c.o.orderId, side: c.o.side, price: c.o.price, level: c.o.level < 0 ? 0 : c.o.level });
        this.markWo(c.m);
      }
      this.stats.cancels += take;
      // always the batched endpoint, even for one order: same 2 tokens per order, and its constant
      // path carries a pre-made signature (the per-id DELETE would be signed on the hot path)
      this.emitCommand(cmdId, 'batch_cancel', orders, this.cancels[i].m.cause, take * ENDPOINT_COST.batchCancelPerOrder, nowMs);
      i += take;
    }
    for (; i < this.cancels.length; i++) this.cancels[i].m.retryAtMs = minPos(this.cancels[i].m.retryAtMs, nowMs + 1);
    this.cancels.length = 0;

    for (const d of this.decreases) {
      if (!this.limiter.tryCancel(ENDPOINT_COST.decrease, nowMs)) {
        this.holdForTokens(d.m, ENDPOINT_COST.decrease, nowMs);
        continue;
      }
      const cmdId = ++this.cmdSeq;
      this.bk.setPending(d.o, CK.DECREASE, cmdId, nowMs, d.o.price, d.o.filledCenti + d.countCenti);
      this.stats.decreases++;
      this.markWo(d.m);
      this.emitCommand(cmdId, 'decrease', [{ kind: CK.DECREASE, market: d.o.market, clientOrderId: d.o.clientOrderId, orderId: d.o.orderId, side: d.o.side, price: d.o.price, countCenti: d.countCenti, level: d.o.level }], d.m.cause, ENDPOINT_COST.decrease, nowMs);
    }
    this.decreases.length = 0;

    for (const a of this.amends) {
      if (!this.limiter.tryCreate(ENDPOINT_COST.amend, nowMs)) {
        this.holdForTokens(a.m, ENDPOINT_COST.amend, nowMs);
        continue;
      }
      const cmdId = ++this.cmdSeq;
      const worstBefore = this.worstCenti(a.o.market, a.o.side);
      this.bk.setPending(a.o, CK.AMEND, cmdId, nowMs, a.price, a.countCenti);
      this.assertWithinCap(a.o.market, a.o.side, worstBefore);
      a.o.edgeBpsMilli = a.edgeBpsMilli;
      a.m.lastRepriceMs = nowMs;
      this.markWo(a.m);
      this.stats.amends++;
      this.emitCommand(
        cmdId,
        'amend',
        [{ kind: CK.AMEND, market: a.o.market, clientOrderId: a.o.clientOrderId, orderId: a.o.orderId, side: a.o.side, price: a.price, countCenti: a.countCenti, level: a.o.level, postOnly: a.o.postOnly }],
        a.m.cause,
        ENDPOINT_COST.amend,
        nowMs,
      );
    }
    this.amends.length = 0;

    // creates: batched; the whole batch's tokens must fit at once (section 5)
    i = 0;
    while (i < this.creates.length) {
      const n = Math.min(p.batchMaxOrders, this.creates.length - i);
      let take = n;
      while (take > 0 && !this.limiter.tryCreate(take * ENDPOINT_COST.batchCreatePerOrder, nowMs)) take = Math.floor(take / 2);
      if (take === 0) {
        this.holdForTokens(this.creates[i].m, ENDPOINT_COST.create, nowMs);
        break;
      }
      const cmdId = ++this.cmdSeq;
      const orders: kmm.v1.IOrderCommand[] = [];
      for (let k = 0; k < take; k++) orders.push(this.newOrder(this.creates[i + k], cmdId, nowMs));
      this.emitCommand(cmdId, take === 1 ? 'create' : 'batch_create', orders, this.creates[i].cause, take * ENDPOINT_COST.create, nowMs);
      i += take;
    }
    if (i < this.creates.length) {
      for (let k = i; k < this.creates.length; k++) this.creates[k].m.retryAtMs = minPos(this.creates[k].m.retryAtMs, nowMs + 1);
      // leave unsent taker creates for the caller to refuse; maker ones are re-derived later
      let w = 0;
      for (let k = i; k < this.creates.length; k++) if (this.creates[k].taker) this.creates[w++] = this.creates[k];
      this.creates.length = w;
    } else this.creates.length = 0;
  }

  /** Worst-case position if every live order on `side` filled: position + (BID) or - (ASK) their remaining size. */
  private worstCenti(market: string, side: number): number {
    const pos = this.bk.position(market).positionCenti;
    const resting = this.bk.restingCenti(market, side);
    return side === BID ? pos + resting : pos - resting;
  }

  /**
   * An order that passed pre-flight never makes the worst-case position exceed the cap: after it
   * the worst case is within the cap, or no further from zero than before it (a position move
   * from outside, e.g. an exchange correction, can leave it over the cap; an order that shrinks
   * or keeps its size there is fine).
   */
  private assertWithinCap(market: string, side: number, worstBeforeCenti: number): void {
    const worst = this.worstCenti(market, side);
    const cap = this.params.maxPosCenti;
    assert(Math.abs(worst) <= cap || Math.abs(worst) <= Math.abs(worstBeforeCenti), 'an order that passed pre-flight never makes the worst-case position exceed the cap', () => ({
      market,
      side,
      positionCenti: this.bk.position(market).positionCenti,
      worstBeforeCenti,
      worstCenti: worst,
      maxPosCenti: cap,
    }));
  }

  private holdForTokens(m: MarketRef, cost: number, nowMs: number): void {
    this.stats.rateHeld++;
    m.retryAtMs = minPos(m.retryAtMs, nowMs + Math.max(1, this.limiter.write.waitMs(cost, nowMs)));
  }

  private newOrder(c: CreateIntent, cmdId: number, nowMs: number): kmm.v1.IOrderCommand {
    const coid = `${this.params.clientOrderIdPrefix}-${this.runId}-${(++this.coidSeq).toString(36)}`;
    const o: WorkingOrder = {
      clientOrderId: coid,
      orderId: '',
      market: c.m.market,
      side: c.side,
      level: c.level,
      taker: c.taker,
      postOnly: !c.taker,
      price: c.price,
      totalCenti: c.countCenti,
      filledCenti: 0,
      status: OrderStatus.PENDING_NEW,
      pendingKind: CK.PLACE,
      pendingCmdId: cmdId,
      pendingSinceMs: nowMs,
      pendingPrice: c.price,
      pendingTotalCenti: c.countCenti,
      placedAtMs: nowMs,
      lastChangeMs: nowMs,
      doneAtMs: 0,
      edgeBpsMilli: c.edgeBpsMilli,
      adopted: false,
      wantCancel: false,
      lastSkipPrice: 0,
    };
    const worstBefore = this.worstCenti(c.m.market, c.side);
    this.bk.add(o);
    if (!c.reduceOnly) this.assertWithinCap(c.m.market, c.side, worstBefore);
    this.stats.ordersPlaced++;
    this.markWo(c.m);
    return {
      kind: CK.PLACE,
      market: c.m.market,
      clientOrderId: coid,
      side: c.side,
      price: c.price,
      countCenti: c.countCenti,
      tif: c.tif,
      postOnly: !c.taker,
      reduceOnly: c.reduceOnly,
      level: c.level < 0 ? 0 : c.level,
      orderGroupId: this.orderGroupId,
      taker: c.taker,
    };
  }

  private emitCommand(id: number, op: ExecCommand['op'], orders: kmm.v1.IOrderCommand[], cause: Cause, tokens: number, nowMs: number): void {
    // Tick-to-order latency is the hot path: a command issued by the first pump after the
    // target that caused it arrived. A command issued by a later pump (a churn gate, the rate
    // limiter or a timer released it) keeps no latency stamp, so intentional waits never pass
    // for processing latency.
    if (cause.arrivalMonoNs > 0 && cause.pumpSeq !== this.pumpSeq) {
      this.stats.deferredCommands++;
      cause = NO_CAUSE;
    }
    const cmd: ExecCommand = { id, op, orders, causeRecvMonoNs: cause.recvMonoNs, arrivalMonoNs: cause.arrivalMonoNs, issuedMs: nowMs, tokens };
    this.inflight.set(id, cmd);
    this.fx.commands.push(cmd);
    this.stats.commands++;
    this.stats.tokensWrite += tokens;
    this.journal({ k: 'cmd', id, op, orders, causeRecvMonoNs: cause.recvMonoNs, arrivalMonoNs: cause.arrivalMonoNs, tokens });
  }

  private handleAck(a: kmm.v1.IOrderAck, nowMs: number, latencyUs: number): void {
    const before = this.bk.find(a.clientOrderId, a.orderId);
    const wasAmend = before !== undefined && before.pendingKind === CK.AMEND && (a.kind ?? 0) === CK.AMEND;
    const o = this.bk.applyAck(a, nowMs);
    if (!o) {
      // a venue update about an order we do not know: let a reconcile sort it out
      if ((a.status ?? 0) === kmm.v1.OrderStatus.RESTING) this.requestReconcile('unknown_order_update', nowMs, 0, false);
      return;
    }
    if (wasAmend) o.placedAtMs = nowMs;
    const ack: kmm.v1.IOrderAck = {
      kind: a.kind ?? 0,
      market: o.market,
      clientOrderId: o.clientOrderId,
      orderId: o.orderId,
      side: o.side,
      price: o.price,
      remainingCenti: o.status === OrderStatus.DONE ? 0 : o.totalCenti - o.filledCenti,
      filledCenti: o.filledCenti,
      status: o.status === OrderStatus.DONE ? (o.filledCenti >= o.totalCenti && o.totalCenti > 0 ? kmm.v1.OrderStatus.EXECUTED : kmm.v1.OrderStatus.CANCELED) : kmm.v1.OrderStatus.RESTING,
      latencyUs: latencyUs >= 0 ? latencyUs : a.latencyUs ?? 0,
    };
    this.journal({ k: 'ack', kind: ack.kind, market: ack.market, coid: ack.clientOrderId, oid: ack.orderId, side: ack.side, price: ack.price, remainingCenti: ack.remainingCenti, filledCenti: ack.filledCenti, status: ack.status, latencyUs: ack.latencyUs });
    this.send('strategy', { orderAck: ack });
    this.send(this.bookPeer(o.market), { orderAck: ack });
    const m = this.markets.get(o.market);
    if (m) {
      this.markDirty(m);
      this.markWo(m);
    }
  }

  private handleReject(r: kmm.v1.IOrderReject, nowMs: number): void {
    this.stats.rejects++;
    const { order: o, uncertain } = this.bk.applyReject(r, nowMs);
    const market = r.market || (o ? o.market : '');
    const side = r.side || (o ? o.side : 0);
    const code = r.code ?? 0;
    const m = this.markets.get(market);
    if (code === RC.POST_ONLY_CROSS) {
      const ticks = this.pof.onReject(market, side, nowMs);
      this.ops('post_only_rejected', market, 'warn', { side: side === BID ? 'BID' : 'ASK', safety_ticks: ticks, cooldown_until_ms: this.pof.cooldownUntil(market, side) });
      if (m) this.buildSlotTargets(m, nowMs); // re-apply the wider buffer to the current target
    } else if (code === RC.MARKET_INACTIVE && m) {
      m.holdUntilMs = nowMs + MARKET_HOLD_MS;
    } else if (m && code !== RC.RATE_LIMITED && code !== RC.NOT_FOUND && ((r.kind ?? 0) === CK.PLACE || (r.kind ?? 0) === CK.AMEND)) {
      m.holdUntilMs = Math.max(m.holdUntilMs, nowMs + REJECT_HOLD_MS);
    } else if (code === RC.ORDER_GROUP_TRIGGERED) {
      if (!this.orderGroupTriggered) this.ops('order_group_triggered', market, 'error', { order_group_id: this.orderGroupId });
      this.orderGroupTriggered = true;
    }
    if (uncertain) this.requestReconcile('uncertain_order', nowMs, 0, false);
    this.journal({ k: 'rej', kind: r.kind ?? 0, market, coid: r.clientOrderId ?? '', oid: r.orderId || (o ? o.orderId : ''), code, message: r.message ?? '', side, price: r.price ?? 0, uncertain });
    this.send('strategy', { orderReject: { kind: r.kind ?? 0, market, clientOrderId: r.clientOrderId ?? '', orderId: r.orderId || (o ? o.orderId : ''), code, message: r.message ?? '', side, price: r.price ?? 0 } });
    if (m) {
      this.markDirty(m);
      this.markWo(m);
    }
  }

  private applyFill(f: kmm.v1.IFill, nowMs: number, source: 'ws' | 'rest', forward: boolean): void {
    const market = f.market ?? '';
    const pos = this.bk.position(market);
    const keepFillMs = pos.lastFillMs;
    if (!this.bk.applyFill(f, source === 'ws', nowMs)) {
      this.stats.duplicateFills++;
      return;
    }
    // a REST backfill must not hide the position check that follows it
    if (source === 'rest') pos.lastFillMs = keepFillMs;
    this.stats.fills++;
    const ts = f.tsMs ?? 0;
    if (ts > this.maxFillTsMs) this.maxFillTsMs = ts;
    const o = this.bk.find(f.clientOrderId, f.orderId);
    const fill: kmm.v1.IFill = { ...f, clientOrderId: f.clientOrderId || (o ? o.clientOrderId : ''), side: f.side || (o ? o.side : 0) };
    this.journal({
      k: 'fill',
      src: source,
      tradeId: fill.tradeId ?? '',
      oid: fill.orderId ?? '',
      coid: fill.clientOrderId ?? '',
      market,
      side: fill.side ?? 0,
      yesPrice: fill.yesPrice ?? 0,
      countCenti: fill.countCenti ?? 0,
      isTaker: fill.isTaker ?? false,
      feeMoney: fill.feeMoney ?? 0,
      postPositionCenti: source === 'ws' ? fill.postPositionCenti ?? 0 : null,
      tsMs: ts,
    });
    if (forward) {
      this.send('strategy', { fill });
      this.send(this.bookPeer(market), { fill });
      if (source === 'ws') this.send('strategy', { position: { market, positionCenti: pos.positionCenti, fromExchange: true } });
    }
    const m = this.markets.get(market);
    if (m) {
      this.markDirty(m);
      this.markWo(m);
    }
  }

  private rejectIntent(market: string, side: number, price: number, code: number, why: string): void {
    this.journal({ k: 'rej', kind: CK.PLACE, market, coid: '', oid: '', code, message: why, side, price, uncertain: false });
    this.send('strategy', { orderReject: { kind: CK.PLACE, market, code, message: why, side, price } });
  }

  private preflightReject(m: MarketRef, side: number, price: number, code: number, reason: string): void {
    this.stats.preflightRejects++;
    if (code === RC.RISK) this.ops(side === BID ? 'risk_block_bid_side' : 'risk_block_ask_side', m.market, 'warn', { market: m.market, exchange_position: this.bk.position(m.market).positionCenti / 100, reason });
    this.rejectIntent(m.market, side, price, code, reason);
  }

  private emitWorkingOrders(nowMs: number): void {
    for (let i = 0; i < this.woList.length; i++) {
      const m = this.woList[i];
      m.woDirty = false;
      const mo = this.bk.marketOrders(m.market);
      let bidC = 0;
      let askC = 0;
      const orders: kmm.v1.IQueueEstimate[] = [];
      const add = (o: WorkingOrder | null): void => {
        if (!o || o.status === OrderStatus.DONE) return;
        const rem = o.totalCenti - o.filledCenti;
        if (o.side === BID) bidC += rem;
        else askC += rem;
        const ahead = o.orderId ? m.queueAhead.get(o.orderId) : undefined;
        orders.push({ clientOrderId: o.clientOrderId, orderId: o.orderId, side: o.side, price: o.price, aheadCenti: -1, levelTotalCenti: 0, exchangeAheadCenti: ahead ?? -1 });
      };
      for (const o of mo.bids) add(o);
      for (const o of mo.asks) add(o);
      for (const o of mo.others) add(o);
      // the real time: with -1 every market read as 'market_hold' (-1 < holdUntilMs 0)
      const block = this.blockReason(m, nowMs);
      const wo: kmm.v1.IWorkingOrders = { market: m.market, restingBidCenti: bidC, restingAskCenti: askC, orders, quotingBlocked: block !== '', blockReason: block };
      this.send('strategy', { workingOrders: wo });
      this.send(this.bookPeer(m.market), { workingOrders: wo });
    }
    this.woList.length = 0;
  }

  private emitTape(): void {
    for (const m of this.activeMarkets) {
      const pos = this.bk.positions.get(m.market);
      if (!m.target && (!pos || pos.positionCenti === 0)) continue;
      const t = m.target;
      const mid = t && t.bestBid && t.bestAsk ? Math.round((t.bestBid + t.bestAsk) / 2) : 0;
      const mo = this.bk.marketOrders(m.market);
      const b = mo.bids[0];
      const a = mo.asks[0];
      this.fx.tape.push({
        ticker: m.market,
        midPrice: mid,
        myBid: b && b.status === OrderStatus.RESTING ? b.price : 0,
        myAsk: a && a.status === OrderStatus.RESTING ? a.price : 0,
        inventoryCenti: pos ? pos.positionCenti : 0,
        unrealizedPnlMoney: pos ? unrealizedMoney(pos, mid) : 0,
        realizedPnlMoney: pos ? Math.round(pos.realizedPriceCenti / 100) : 0,
        latencyUs: this.lastLatencyUs,
      });
    }
  }

  private bookPeer(market: string): string {
    return 'book.' + shardOf(market, this.params.shardCount);
  }

  private send(peer: string, body: EnvelopeBody): void {
    this.fx.out.push({ peer, body });
  }

  private ops(event: string, market: string, level: 'info' | 'warn' | 'error', fields: Record<string, unknown>): void {
    this.fx.ops.push({ event, market, level, fields });
  }

  private journal(r: JournalRecord): void {
    this.fx.journal.push(r);
  }

  private markAllDirty(): void {
    // markets holding orders are active too (adopted or unknown orders found by a reconcile)
    for (const mk of this.bk.markets.keys()) {
      const m = this.markets.get(mk);
      if (m) this.activeMarkets.add(m);
    }
    for (const m of this.activeMarkets) {
      this.markDirty(m);
      this.markWo(m);
    }
  }

  private markDirty(m: MarketRef): void {
    if (!m.dirty) {
      m.dirty = true;
      this.dirtyList.push(m);
    }
    this.activeMarkets.add(m);
  }

  private markWo(m: MarketRef): void {
    if (!m.woDirty) {
      m.woDirty = true;
      this.woList.push(m);
    }
  }
}

const DEFAULT_GRID = new PriceGrid(LINEAR_CENT);
const gridCache = new Map<string, PriceGrid>();

/** Grids are shared between markets with the same bands (most are linear_cent). */
function gridOf(ranges: kmm.v1.IPriceRange[]): PriceGrid {
  let key = '';
  for (const r of ranges) key += `${r.startPrice}:${r.endPrice}:${r.stepPrice};`;
  let g = gridCache.get(key);
  if (!g) {
    g = new PriceGrid(ranges.map((r) => ({ startPrice: r.startPrice ?? 0, endPrice: r.endPrice ?? 0, stepPrice: r.stepPrice ?? 0 })));
    gridCache.set(key, g);
  }
  return g;
}

function hasResting(slots: (WorkingOrder | null)[]): boolean {
  for (const o of slots) if (o && o.status === OrderStatus.RESTING) return true;
  return false;
}

/** min of two times where 0 means "not set". */
function minPos(a: number, b: number): number {
  if (a <= 0) return b;
  if (b <= 0) return a;
  return a < b ? a : b;
}
