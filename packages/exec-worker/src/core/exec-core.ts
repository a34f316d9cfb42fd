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
 *
 * Parts (each takes the shared ExecState by reference): market-registry (markets, grids, slot
 * targets, block/cancel gates), command-dispatcher (flush through the rate limiter, in-flight
 * commands), venue-events (acks, rejects, fills), reconcile-scheduler (when to reconcile, applying
 * a snapshot), reports (WorkingOrders, tape). This file: the input handlers, pump and the
 * per-slot decision (diffMarket). ExecCore is the only public class.
 */
import { kmm, validateLiveChange } from '@kmm/shared';
import { CommandDispatcher } from './command-dispatcher.js';
import { Action, newDecision, type SlotTarget } from './differ.js';
import { ExecState, minPos, NO_CAUSE, type Cause, type ExecStats } from './exec-state.js';
import type { JournalRecord, JournalRecordOf } from './journal-record.js';
import { BlockReason, MarketRegistry, type MarketRef } from './market-registry.js';
import { execParamsOf, type ExecParams } from './params.js';
import { EVENT_ALLOWANCES_REASON, EventExposure, parseEventAllowances, type Queued, type QueuedOrder } from './event-risk.js';
import { preflight, preflightEvent, type PreflightResult } from './preflight.js';
import { totalExposureMoney } from './portfolio.js';
import { ENDPOINT_COST } from './rate-limiter.js';
import { ReconcileScheduler } from './reconcile-scheduler.js';
import { Reports } from './reports.js';
import { clearEffects, OrderStatus, type Effects, type ExecCommand, type ReadRequest, type VenueSnapshot, type WorkingOrder } from './types.js';
import { VenueEvents } from './venue-events.js';
import type { OrderBookkeeping, VolumePositionResult } from './bookkeeping.js';
import type { Breakers } from './breakers.js';
import type { OrderDiffer } from './differ.js';
import type { PostOnlyAdaptor } from './post-only.js';
import type { RateLimiter } from './rate-limiter.js';

export type { Cause, ExecStats } from './exec-state.js';
export { MARKET_HOLD_MS, REJECT_HOLD_MS } from './venue-events.js';
export { RECONCILE_MIN_GAP_MS } from './reconcile-scheduler.js';
export { BlockReason, GridCache, GRID_CACHE_MAX } from './market-registry.js';

const CK = kmm.v1.CommandKind;
const RC = kmm.v1.RejectCode;
const BID = kmm.v1.BookSide.BID;
const ASK = kmm.v1.BookSide.ASK;
const TRUSTED = kmm.v1.TrustState.TRUSTED;
const ACTIVE = kmm.v1.MarketStatus.MARKET_ACTIVE;
/** price units (1/10,000 $) per cent: the skip_same_quote event speaks cents */
const PRICE_PER_CENT = 100;

/** Adopted orders wait this long after start-up for a first target before they are pulled. */
export const ADOPT_TARGET_WAIT_MS = 10_000;
/** DONE orders are purged this often. */
const PURGE_EVERY_MS = 10_000;
/** at most one high_latency ops warning per this period */
export const HIGH_LATENCY_WARN_EVERY_MS = 10_000;

/** Rejects that count as a failed call for the breakers (transport and server trouble, bad requests). */
const BREAKER_FAILURE_CODES = new Set<number>([RC.SERVER_ERROR, RC.TIMEOUT, RC.AUTH, RC.BAD_REQUEST, RC.OTHER, RC.INVALID_PRICE, RC.INSUFFICIENT_BALANCE]);

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
  /**
   * first value of every market's fill sequence (default 0); the actor uses its start wall time
   * x 1000, so a restarted exec's sequence is above anything the running strategy has seen
   */
  fillSeqBase?: number;
}

/** The invariant debugCorrupt breaks (see OrderBookkeeping's header). */
export type FaultKind = 'position_drift' | 'overfill' | 'double_slot' | 'live_count' | 'trade_twice';

export class ExecCore {
  private readonly s: ExecState;
  private readonly reg: MarketRegistry;
  private readonly cmd: CommandDispatcher;
  private readonly recon: ReconcileScheduler;
  private readonly venue: VenueEvents;
  private readonly reports: Reports;
  /** event-level worst case (MM_MAX_EVENT_LOSS_USD, MM_MAX_TOTAL_LOSS_USD) */
  private readonly events: EventExposure;
  private readonly allowFaultInjection: boolean;
  private lastQueuePollMs: number;
  private lastMarketsPollMs: number;
  private lastTapeMs: number;
  private lastPurgeMs: number;
  private wasBlockedGlobal = false;
  // high_latency_warn_ms: slow requests since the last warning (-1: never warned)
  private lastHighLatencyWarnMs = -1;
  private slowRequests = 0;
  private slowestUs = 0;
  // scratch of diffMarket (reused every call)
  private readonly decision = newDecision();
  private readonly emptyTarget: SlotTarget = { price: 0, countCenti: 0, edgeBpsMilli: 0, queueMove: false };

  constructor(params: ExecParams, opts: ExecCoreOptions) {
    this.allowFaultInjection = opts.allowFaultInjection ?? false;
    this.s = new ExecState(params, opts.runId, opts.paper ?? false, opts.nowMs);
    this.reg = new MarketRegistry(this.s, opts.fillSeqBase ?? 0);
    this.cmd = new CommandDispatcher(this.s, this.reg);
    this.recon = new ReconcileScheduler(this.s, this.reg, opts.nowMs);
    this.venue = new VenueEvents(this.s, this.reg, this.recon);
    this.events = new EventExposure(this.s.bk, this.reg, () => this.queuedOrders());
    this.reports = new Reports(this.s, this.reg, this.events);
    this.lastQueuePollMs = opts.nowMs;
    this.lastMarketsPollMs = opts.nowMs;
    this.lastTapeMs = opts.nowMs;
    this.lastPurgeMs = opts.nowMs;
    for (const mi of opts.markets) this.reg.upsert(mi, opts.nowMs);
  }

  // ------------------------------------------------------------------ read-only views

  get params(): ExecParams {
    return this.s.params;
  }
  /** the bookkeeping (orders, positions); read it, do not change it */
  get bk(): OrderBookkeeping {
    return this.s.bk;
  }
  get limiter(): RateLimiter {
    return this.s.limiter;
  }
  get breakers(): Breakers {
    return this.s.breakers;
  }
  get pof(): PostOnlyAdaptor {
    return this.s.pof;
  }
  get differ(): OrderDiffer {
    return this.s.differ;
  }
  /** markets x ms spent waiting for rate-limit tokens until `nowMs`, the waits still going included */
  tokenWaitMarketsMs(nowMs: number): number {
    return this.cmd.tokenWaitMarketsMsAt(nowMs);
  }

  get stats(): Readonly<ExecStats> {
    return this.s.stats;
  }
  /** commands sent and not answered yet, by id */
  get inflight(): ReadonlyMap<number, Readonly<ExecCommand>> {
    return this.cmd.inflight;
  }
  get connected(): boolean {
    return this.s.connected;
  }
  get startupReconciled(): boolean {
    return this.s.startupReconciled;
  }
  get orderGroupId(): string {
    return this.s.orderGroupId;
  }
  get orderGroupTriggered(): boolean {
    return this.s.orderGroupTriggered;
  }
  get tradingEnabled(): boolean {
    return this.s.tradingEnabled;
  }
  get globalPaused(): boolean {
    return this.s.globalPaused;
  }
  get shuttingDown(): boolean {
    return this.s.shuttingDown;
  }
  get lastProcessingLatencyUs(): number {
    return this.s.lastProcessingLatencyUs;
  }
  get ready(): boolean {
    return this.s.ready;
  }
  /** True when nothing of ours is live or in flight (shutdown drain). */
  get idle(): boolean {
    return this.s.bk.liveCount === 0 && this.cmd.inflight.size === 0;
  }
  /** Markets the core knows (given, listed or adopted). */
  get marketCount(): number {
    return this.reg.markets.size;
  }

  // ------------------------------------------------------------------ inputs

  /** Start-up: ask for the first reconcile (orders, positions, fills). */
  /**
   * The worst case of all markets before the order being checked (MM_MAX_TOTAL_NOTIONAL_USD):
   * the bookkeeping's orders and positions plus the creates queued in this pump. O(markets +
   * orders), computed only when the cap is on.
   */
  private portfolioMoney(): number {
    if (this.s.params.maxTotalNotionalMoney <= 0) return 0;
    if (!this.inDiff) return totalExposureMoney(this.s.bk) + this.cmd.queuedCreatesMoney();
    if (this.pumpExposureMoney < 0) this.pumpExposureMoney = totalExposureMoney(this.s.bk);
    return this.pumpExposureMoney + this.cmd.queuedCreatesMoney();
  }
  /** inside a pump's diff phase (the bookkeeping unchanged): totalExposureMoney once per pump */
  private inDiff = false;
  private pumpExposureMoney = -1;

  /** The creates and amends queued in this pump, for the event caps (allocates: called only with an event cap on). */
  private queuedOrders(): Queued {
    const creates: QueuedOrder[] = [];
    for (const c of this.cmd.creates) creates.push({ market: c.m.market, side: c.side, price: c.price, countCenti: c.countCenti });
    const amends = new Map<WorkingOrder, { price: number; remCenti: number }>();
    for (const a of this.cmd.amends) amends.set(a.o, { price: a.price, remCenti: Math.max(0, a.countCenti - a.o.filledCenti) });
    return { creates, amends };
  }

  /** The event caps' pre-flight for one order (an amend of `exclude` to this price and remaining size). */
  private eventPreflight(market: string, side: number, price: number, remainingCenti: number, exclude?: WorkingOrder): PreflightResult {
    const p = this.s.params;
    return preflightEvent(this.events.check(p.maxEventLossMoney, p.maxTotalLossMoney, { market, side, price, countCenti: remainingCenti }, exclude));
  }

  start(nowMs: number, minFillTsMs = 0): Effects {
    clearEffects(this.s.fx);
    this.s.journal({ k: 'start', runId: this.s.runId, paper: this.s.paper });
    this.recon.request('startup', nowMs, minFillTsMs, true);
    return this.s.fx;
  }

  /** The order group the shell created (empty id: none, e.g. limit 0 or creation failed). */
  onOrderGroup(orderGroupId: string, nowMs: number): Effects {
    clearEffects(this.s.fx);
    this.s.orderGroupId = orderGroupId;
    this.s.orderGroupSettled = true;
    this.s.journal({ k: 'order_group', orderGroupId });
    this.reg.markAllDirty();
    this.pump(nowMs);
    return this.s.fx;
  }

  /**
   * A new target for one market. `pumpNow` false only records it: the shell then calls
   * `pumpTargets` once after a whole mailbox drain, so a burst of targets becomes one round of
   * (batched) requests instead of one request round per target.
   */
  onTargets(t: kmm.v1.ITargetQuotes, nowMs: number, cause: Cause = NO_CAUSE, pumpNow = true): Effects {
    clearEffects(this.s.fx);
    const m = this.reg.get(t.market ?? '');
    if (!m) {
      this.s.ops('target_unknown_market', t.market ?? '', 'warn', {});
      return this.s.fx;
    }
    m.target = t;
    m.targetAtMs = nowMs;
    m.targetFillSeq = Number(t.afterFillSeq ?? 0);
    m.cause = { recvMonoNs: cause.recvMonoNs, arrivalMonoNs: cause.arrivalMonoNs, pumpSeq: this.s.pumpSeq, header: cause.header ?? null };
    this.reg.buildSlotTargets(m, nowMs);
    this.reg.markDirty(m);
    if (pumpNow) this.pump(nowMs);
    return this.s.fx;
  }

  /** Acts on the targets recorded since the last pump (see onTargets). */
  pumpTargets(nowMs: number): Effects {
    clearEffects(this.s.fx);
    this.pump(nowMs);
    return this.s.fx;
  }

  onTakerIntent(ti: kmm.v1.ITakerIntent, nowMs: number, cause: Cause = NO_CAUSE): Effects {
    clearEffects(this.s.fx);
    const market = ti.market ?? '';
    const m = this.reg.get(market);
    const side = ti.side ?? 0;
    const price = ti.limitPrice ?? 0;
    const count = ti.countCenti ?? 0;
    const reduceOnly = ti.reduceOnly ?? false;
    let why = '';
    if (!m) why = 'unknown_market';
    else if (!this.s.ready || !this.s.connected || this.s.shuttingDown) why = 'not_ready';
    else if (this.s.orderGroupTriggered) why = 'order_group_triggered';
    else if (!this.s.tradingEnabled && !reduceOnly) why = 'trading_disabled';
    else if (this.s.breakers.isOpen(nowMs)) why = 'breaker_open';
    else if (this.s.limiter.isPaused(nowMs)) why = 'rate_limited';
    // the market's position is not confirmed since a gap or a not_found: no taker either
    else if (m.resyncHoldSinceMs > 0) why = BlockReason.AWAIT_RECONCILE;
    if (why || !m) {
      this.venue.rejectIntent(market, side, price, why === 'breaker_open' ? RC.BREAKER_OPEN : why === 'rate_limited' ? RC.RATE_LIMITED : RC.RISK, why);
      return this.s.fx;
    }
    const pos = this.s.bk.position(market);
    let pf = preflight(this.s.params, m, side, price, count, count, this.cmd.gatingPosition(market, side, pos.positionCenti), reduceOnly, pos.positionCenti, this.portfolioMoney());
    if (pf.ok) pf = this.eventPreflight(market, side, price, count);
    if (!pf.ok) {
      this.s.stats.preflightRejects++;
      this.venue.rejectIntent(market, side, price, pf.code, pf.reason);
      return this.s.fx;
    }
    this.cmd.creates.push({ m, side, level: -1, price, countCenti: count, edgeBpsMilli: 0, taker: true, tif: ti.tif ?? kmm.v1.TimeInForce.IMMEDIATE_OR_CANCEL, reduceOnly, reducesPosition: reduceOnly, cause: { recvMonoNs: cause.recvMonoNs, arrivalMonoNs: cause.arrivalMonoNs, pumpSeq: this.s.pumpSeq, header: cause.header ?? null } });
    this.cmd.flush(nowMs);
    if (this.cmd.creates.length > 0) {
      // no tokens for it now: a taker decision is stale by the next tick, so it is refused, not queued
      this.cmd.creates.length = 0;
      this.venue.rejectIntent(market, side, price, RC.RATE_LIMITED, 'no_tokens');
    }
    this.reportsDueMs = -1; // any pump's pending reports are covered by this one
    this.reports.emitWorkingOrders(nowMs);
    return this.s.fx;
  }

  onCommandResult(r: CommandResult, nowMs: number): Effects {
    clearEffects(this.s.fx);
    const cmd = this.cmd.inflight.get(r.cmdId);
    if (cmd) this.cmd.inflight.delete(r.cmdId);
    if (r.latencyUs > this.s.params.highLatencyWarnUs) this.noteHighLatency(r.latencyUs, cmd?.op ?? '', nowMs);
    if (r.rateLimited) {
      this.s.limiter.on429(nowMs, cmd !== undefined && (cmd.op === 'cancel' || cmd.op === 'batch_cancel' || cmd.op === 'decrease'));
      this.s.ops('rate_limited_429', '', 'warn', { pause_ms: this.s.params.rateLimitPauseMs, cmd_id: r.cmdId });
    }
    let failed = false;
    for (let i = 0; i < r.acks.length; i++) this.venue.handleAck(r.acks[i], nowMs, r.latencyUs);
    for (let i = 0; i < r.rejects.length; i++) {
      const code = r.rejects[i].code ?? 0;
      if (BREAKER_FAILURE_CODES.has(code)) failed = true;
      this.venue.handleReject(r.rejects[i], nowMs);
    }
    if (!r.rateLimited) {
      const trip = this.s.breakers.record(!failed, nowMs);
      if (trip) {
        this.s.ops('circuit_breaker_open', '', 'error', {
          trip,
          consecutive_failures: this.s.breakers.consecutiveFailures,
          cooldown_s: this.s.params.breakerCooldownMs / 1000,
          ...this.s.breakers.windowCounts(nowMs),
        });
        this.s.journal({ k: 'breaker', trip, openUntilMs: this.s.breakers.openUntilMs });
      }
    }
    this.pump(nowMs);
    return this.s.fx;
  }

  /** A user_order update from the websocket (kind UNSPECIFIED), or any ack outside a command. */
  onAck(a: kmm.v1.IOrderAck, nowMs: number): Effects {
    clearEffects(this.s.fx);
    this.venue.handleAck(a, nowMs, -1);
    this.pump(nowMs);
    return this.s.fx;
  }

  onFill(f: kmm.v1.IFill, nowMs: number, source: 'ws' | 'rest' = 'ws'): Effects {
    clearEffects(this.s.fx);
    this.venue.applyFill(f, nowMs, source, true);
    this.pump(nowMs);
    return this.s.fx;
  }

  onPosition(p: kmm.v1.IPosition, nowMs: number): Effects {
    clearEffects(this.s.fx);
    const market = p.market ?? '';
    if (p.fromExchange) {
      const raw = p.positionCenti ?? 0;
      const hasVolume = p.hasVolume === true;
      const volume = p.volumeCenti ?? 0;
      // with its volume the message is placed among our fills (issue 13): one older than the
      // truth already applied changes nothing, and fills booked beyond it stay on top of it
      let res: VolumePositionResult = 'applied';
      if (hasVolume) res = this.s.bk.applyVolumePosition(market, raw, volume, p.exposureMoney ?? 0);
      else this.s.bk.setExchangePosition(market, raw, p.exposureMoney ?? 0);
      const pos = this.s.bk.position(market).positionCenti;
      // a message without volume journals as before (journal format unchanged for old data)
      if (hasVolume) this.s.journal({ k: 'pos', market, positionCenti: pos, src: 'ws', exchangePositionCenti: raw, volumeCenti: volume, hasVolume, stale: res === 'stale' });
      else this.s.journal({ k: 'pos', market, positionCenti: pos, src: 'ws' });
      if (res === 'stale') return this.s.fx;
      this.s.bk.position(market).wsTruthAtMs = nowMs;
      // strategy decides on exec's position (the gating one), never on a message it corrected
      this.s.send('strategy', { position: { ...p, positionCenti: pos } });
      const m = this.reg.get(market);
      if (m) {
        this.reg.markDirty(m);
        this.reg.markWo(m); // the gating state changed with the position
      }
      this.pump(nowMs);
    }
    return this.s.fx;
  }

  onTrust(t: kmm.v1.IMarketTrust, nowMs: number): Effects {
    clearEffects(this.s.fx);
    const m = this.reg.get(t.market ?? '');
    if (m) {
      const state = t.state ?? 0;
      if (state !== m.trust) {
        // back to trusted after a gap: fills of the gap may never arrive on the websocket; read
        // the venue before trading the market again (found by deterministic simulation)
        if (state === TRUSTED && m.wasTrusted && this.s.startupReconciled) {
          m.resyncHoldSinceMs = nowMs;
          this.recon.request('market_resynced', nowMs, 0, true);
        }
        if (state === TRUSTED) m.wasTrusted = true;
        m.trust = state;
        m.trustSinceMs = nowMs;
        this.reg.markDirty(m);
        this.reg.markWo(m);
        if (state !== TRUSTED) m.retryAtMs = minPos(m.retryAtMs, nowMs + this.reg.untrustedGraceMs(m));
      }
    }
    this.pump(nowMs);
    return this.s.fx;
  }

  onConnection(c: kmm.v1.IConnectionEvent, nowMs: number): Effects {
    clearEffects(this.s.fx);
    const kind = c.kind ?? 0;
    if (kind === kmm.v1.ConnectionEvent.Kind.DISCONNECTED) {
      if (this.s.connected) this.s.ops('ws_disconnect_cancel_all', '', 'warn', { reason: c.reason ?? '' });
      this.s.connected = false;
      // data is not trusted again until ingest says so market by market
      for (const m of this.reg.markets.values()) {
        m.trust = kmm.v1.TrustState.UNTRUSTED;
        m.trustSinceMs = nowMs;
      }
    } else if (kind === kmm.v1.ConnectionEvent.Kind.CONNECTED || kind === kmm.v1.ConnectionEvent.Kind.RESUBSCRIBED) {
      if (!this.s.connected) this.recon.request('reconnect', nowMs, 0, false);
      this.s.connected = true;
    }
    this.reg.markAllDirty();
    this.pump(nowMs);
    return this.s.fx;
  }

  onLifecycle(l: kmm.v1.ILifecycle, nowMs: number): Effects {
    clearEffects(this.s.fx);
    const m = this.reg.get(l.market ?? '');
    if (m) {
      const ev = l.eventType ?? '';
      if (ev === 'deactivated') m.status = kmm.v1.MarketStatus.MARKET_INACTIVE;
      else if (ev === 'activated') m.status = ACTIVE;
      else if (ev === 'determined') m.status = kmm.v1.MarketStatus.MARKET_DETERMINED;
      else if (ev === 'settled') m.status = kmm.v1.MarketStatus.MARKET_FINALIZED;
      if (l.priceRanges && l.priceRanges.length > 0) m.grid = this.reg.gridOf(l.priceRanges);
      this.reg.markDirty(m);
      this.reg.markWo(m);
    }
    this.pump(nowMs);
    return this.s.fx;
  }

  /** A market list refresh (GET /markets): update reference data, forward to strategy. */
  onMarkets(infos: kmm.v1.IMarketInfo[], nowMs: number): Effects {
    clearEffects(this.s.fx);
    for (const mi of infos) {
      this.reg.upsert(mi, nowMs);
      this.s.send('strategy', { marketInfo: mi });
    }
    this.pump(nowMs);
    return this.s.fx;
  }

  onQueuePositions(list: QueuePositionReport[], nowMs: number): Effects {
    clearEffects(this.s.fx);
    if (list.length > 0) this.s.journal({ k: 'queue', positions: list.map((q) => ({ market: q.market, oid: q.orderId, aheadCenti: q.aheadCenti })) });
    for (const q of list) {
      const m = this.reg.get(q.market);
      if (!m) continue;
      m.queueAhead.set(q.orderId, q.aheadCenti);
      this.reg.markWo(m);
    }
    this.reportsDueMs = -1; // any pump's pending reports are covered by this one
    this.reports.emitWorkingOrders(nowMs);
    return this.s.fx;
  }

  onControl(c: kmm.v1.IControl, nowMs: number): Effects {
    clearEffects(this.s.fx);
    const kind = c.kind ?? 0;
    const list = c.markets ?? [];
    const CKIND = kmm.v1.ControlKind;
    this.s.journal({ k: 'control', kind, markets: list, reason: c.reason ?? '' });
    if (kind === CKIND.PAUSE_QUOTING || kind === CKIND.RESUME_QUOTING) {
      const pause = kind === CKIND.PAUSE_QUOTING;
      if (list.length === 0) this.s.globalPaused = pause;
      else for (const mk of list) { const m = this.reg.get(mk); if (m) m.paused = pause; }
    } else if (kind === CKIND.CANCEL_ALL || kind === CKIND.FLATTEN || kind === CKIND.REMOVE_MARKETS) {
      this.cancelAll(list, nowMs, kind === CKIND.FLATTEN ? 'flatten' : 'cancel_all');
      if (kind === CKIND.FLATTEN && list.length === 0) this.s.globalPaused = true;
    } else if (kind === CKIND.ACK_BREACH) {
      if (!this.s.tradingEnabled) this.s.ops('startup_position_cap_breach_acknowledged', '', 'warn', {});
      this.s.tradingEnabled = true;
      if (this.s.orderGroupTriggered) {
        this.s.orderGroupTriggered = false;
        this.s.fx.reads.push({ kind: 'order_group_reset' });
      }
    } else if (kind === CKIND.SHUTDOWN) {
      this.beginShutdownInner(nowMs);
    } else if (kind === CKIND.RECONCILE) {
      this.recon.request('control', nowMs, 0, false);
      // a (re)started strategy waits for every market's position before its start-up cap check;
      // before exec's own start-up reconcile it gets them (and the word) from that
      if (c.reason === 'strategy_started' && this.s.startupReconciled) {
        for (const market of this.reg.markets.keys()) {
          const p = this.s.bk.position(market);
          this.s.send('strategy', { position: { market, positionCenti: p.positionCenti, exposureMoney: 0, realizedPnlMoney: 0, feesPaidMoney: 0, fromExchange: true } });
        }
        this.s.send('strategy', { control: { kind: CKIND.RECONCILE, markets: [], reason: 'exec_positions' } });
      }
    } else if (kind === CKIND.CONFIG_UPDATE && c.reason === EVENT_ALLOWANCES_REASON) {
      // a cluster gateway: the risk aggregator's allowance per event (event-risk.ts), not a config key
      const r = parseEventAllowances(c.json ?? '');
      if (!r.ok) this.s.ops('exec_config_rejected', '', 'error', { error: r.error });
      else {
        this.events.setAllowances(r.money);
        this.s.ops('exec_event_allowances', '', 'info', { events: r.money.size });
      }
    } else if (kind === CKIND.CONFIG_UPDATE) {
      // The registry's liveSafe flags and bounds decide, as for every actor (validateLiveChange).
      let changed: unknown;
      try {
        changed = JSON.parse(c.json || '{}');
      } catch (err) {
        changed = undefined;
        this.s.ops('exec_config_rejected', '', 'error', { error: `invalid JSON: ${(err as Error).message}` });
      }
      if (changed !== undefined) {
        const r = changed !== null && typeof changed === 'object' && !Array.isArray(changed) ? validateLiveChange(this.s.params.config, changed as Record<string, unknown>, 'control') : null;
        if (r === null) this.s.ops('exec_config_rejected', '', 'error', { error: 'expected a JSON object of key -> value' });
        else if (!r.ok) this.s.ops('exec_config_rejected', '', 'error', { error: r.errors.map((e) => e.message).join('; ') });
        else {
          this.setParams(execParamsOf(r.values));
          this.s.ops('exec_config_updated', '', 'info', { keys: r.changes.map((ch) => ch.key) });
        }
      }
    }
    this.reg.markAllDirty();
    this.pump(nowMs);
    return this.s.fx;
  }

  /** The result of a reconcile read (see ReadRequest 'reconcile'). */
  onSnapshot(snap: VenueSnapshot, nowMs: number): Effects {
    clearEffects(this.s.fx);
    this.recon.applySnapshot(snap, nowMs, this.venue);
    this.pump(nowMs);
    return this.s.fx;
  }


  /** A read failed (network, 5xx, 429 after retries): try again later. */
  onReadFailed(kind: ReadRequest['kind'], nowMs: number, error: string): Effects {
    clearEffects(this.s.fx);
    if (kind === 'reconcile') this.recon.onReadFailed(nowMs, error);
    this.s.ops('read_failed', '', 'warn', { kind, error });
    return this.s.fx;
  }

  onOrderGroupTriggered(nowMs: number, why: string): Effects {
    clearEffects(this.s.fx);
    if (!this.s.orderGroupTriggered) this.s.ops('order_group_triggered', '', 'error', { order_group_id: this.s.orderGroupId, why });
    this.s.orderGroupTriggered = true;
    this.reg.markAllDirty();
    this.pump(nowMs);
    return this.s.fx;
  }

  /**
   * 003 "High latency detected": a request whose round trip exceeds high_latency_warn_ms. One
   * ops warn per HIGH_LATENCY_WARN_EVERY_MS at most (a slow exchange must not flood ops.log), with
   * the number of slow requests since the previous warning and the worst of them.
   */
  private noteHighLatency(latencyUs: number, op: string, nowMs: number): void {
    this.slowRequests++;
    this.slowestUs = Math.max(this.slowestUs, latencyUs);
    if (this.lastHighLatencyWarnMs >= 0 && nowMs - this.lastHighLatencyWarnMs < HIGH_LATENCY_WARN_EVERY_MS) return;
    this.s.ops('high_latency', '', 'warn', {
      latency_ms: latencyUs / 1000, threshold_ms: this.s.params.highLatencyWarnUs / 1000, op,
      slow_requests: this.slowRequests, worst_ms: this.slowestUs / 1000,
    });
    this.lastHighLatencyWarnMs = nowMs;
    this.slowRequests = 0;
    this.slowestUs = 0;
  }

  /**
   * The shell wrote a command's request: tickToWireUs = write time - receive time of the venue
   * frame that caused it. This processing latency (003) is the tape's latency_ms.
   */
  noteWireLatency(tickToWireUs: number): void {
    this.s.lastProcessingLatencyUs = tickToWireUs;
  }

  onTimer(nowMs: number): Effects {
    clearEffects(this.s.fx);
    // backstop for lost results: the REST client times out first
    for (const cmd of this.cmd.inflight.values()) {
      if (nowMs - cmd.issuedMs < this.s.params.inflightTimeoutMs) continue;
      this.cmd.inflight.delete(cmd.id);
      this.s.ops('command_result_lost', '', 'error', { cmd_id: cmd.id, op: cmd.op });
      for (const oc of cmd.orders) {
        this.venue.handleReject({ kind: oc.kind, market: oc.market, clientOrderId: oc.clientOrderId, orderId: oc.orderId, code: RC.TIMEOUT, message: 'no result (watchdog)', side: oc.side, price: oc.price }, nowMs);
      }
    }
    const p = this.s.params;
    this.recon.onTimer(nowMs);
    if (this.s.ready && p.queuePositionPollMs > 0 && nowMs - this.lastQueuePollMs >= p.queuePositionPollMs) {
      // on the grid start + k x period (the first tick at or after it): a live timer's lateness
      // must not shift every later poll (nowMs would drift ~half a tick per poll), so a backtest's
      // exact ticks poll when the live run did
      this.lastQueuePollMs = nowMs - ((nowMs - this.lastQueuePollMs) % p.queuePositionPollMs);
      const markets: string[] = [];
      for (const [mk, mo] of this.s.bk.markets) if (hasResting(mo.bids) || hasResting(mo.asks)) markets.push(mk);
      if (markets.length > 0 && this.s.limiter.tryRead(ENDPOINT_COST.read, nowMs)) this.s.fx.reads.push({ kind: 'queue_positions', markets });
    }
    if (p.marketsPollMs > 0 && nowMs - this.lastMarketsPollMs >= p.marketsPollMs) {
      this.lastMarketsPollMs = nowMs - ((nowMs - this.lastMarketsPollMs) % p.marketsPollMs); // on its grid, as the queue poll
      if (this.s.limiter.tryRead(ENDPOINT_COST.read, nowMs)) this.s.fx.reads.push({ kind: 'markets' });
    }
    // every invariant of the bookkeeping, once per tick (per-operation checks catch most at once)
    this.s.bk.checkInvariants();
    if (nowMs - this.lastPurgeMs >= PURGE_EVERY_MS) {
      this.lastPurgeMs = nowMs;
      this.s.bk.purge(nowMs);
    }
    // gates that expire (breaker, 429 pause, stale grace, time gates) make markets worth another look
    const blocked = this.s.breakers.isOpen(nowMs) || this.s.limiter.isPaused(nowMs);
    if (this.wasBlockedGlobal && !blocked) this.reg.markAllDirty();
    this.wasBlockedGlobal = blocked;
    for (const m of this.reg.active) {
      if (m.retryAtMs > 0 && nowMs >= m.retryAtMs) {
        m.retryAtMs = 0;
        this.reg.markDirty(m);
      }
    }
    this.pump(nowMs);
    if (p.tapeIntervalMs > 0 && nowMs - this.lastTapeMs >= p.tapeIntervalMs) {
      this.lastTapeMs = nowMs;
      this.reports.emitTape();
    }
    return this.s.fx;
  }

  /** Shutdown: stop placing, cancel everything we have. The shell then verifies with the exchange. */
  beginShutdown(nowMs: number): Effects {
    clearEffects(this.s.fx);
    this.beginShutdownInner(nowMs);
    this.pump(nowMs);
    return this.s.fx;
  }

  /** Orders the shell found resting during shutdown verification: cancel them too. */
  cancelVenueOrders(orders: VenueSnapshot['orders'], nowMs: number): Effects {
    clearEffects(this.s.fx);
    for (const v of orders) {
      if (v.status !== 'resting') continue;
      let o = this.s.bk.find(v.clientOrderId, v.orderId);
      if (!o) {
        o = {
          clientOrderId: v.clientOrderId || `venue-${v.orderId}`, orderId: v.orderId, market: v.market, side: v.side, level: -1, taker: false, postOnly: true,
          price: v.price, totalCenti: v.filledCenti + v.remainingCenti, filledCenti: v.filledCenti, status: OrderStatus.RESTING, pendingKind: 0, pendingCmdId: 0,
          pendingSinceMs: 0, pendingPrice: 0, pendingTotalCenti: 0, placedAtMs: nowMs, lastChangeMs: nowMs, doneAtMs: 0, edgeBpsMilli: 0, adopted: false, wantCancel: true, lastSkipPrice: 0, fillsBookedCenti: 0, renewAtMs: 0,
        };
        this.s.bk.add(o);
      } else {
        // Reads lag writes (a GET still shows `resting` ~360 ms after a 200 cancel): an order we
        // saw end within the reconcile grace is not cancelled again (that only earns a 404); the
        // caller's next read, after the lag, decides. Older than the grace, the read wins.
        if (o.status === OrderStatus.DONE && nowMs - o.doneAtMs < this.s.params.reconcileGraceMs) continue;
        if (o.status === OrderStatus.DONE) this.s.bk.revive(o);
        o.status = OrderStatus.RESTING;
        if (o.pendingKind !== CK.CANCEL) this.s.bk.clearPending(o);
        o.wantCancel = true;
      }
      const m = this.reg.get(v.market);
      if (m) this.reg.markDirty(m);
    }
    this.reg.adoptMarketsWithOrders(nowMs);
    this.pump(nowMs);
    return this.s.fx;
  }

  /** Seeds state from a journal after a restart: trade ids already recorded, the last fill time. */
  seedFromJournal(records: Iterable<JournalRecord>): { tradeIds: number; maxFillTsMs: number } {
    let n = 0;
    for (const r of records) {
      if (r.k === 'fill' && r.tradeId) {
        this.s.bk.rememberTrade(r.tradeId, 0);
        n++;
        const ts = r.tsMs ?? 0;
        if (ts > this.s.maxFillTsMs) this.s.maxFillTsMs = ts;
      }
    }
    return { tradeIds: n, maxFillTsMs: this.s.maxFillTsMs };
  }

  /**
   * Tests only (needs the allowFaultInjection option): breaks one invariant of our state, so a
   * test can prove the assertions catch it (at the latest on the next onTimer). Throws when not
   * enabled or when there is nothing to corrupt (e.g. 'overfill' with no order).
   */
  debugCorrupt(kind: FaultKind): void {
    if (!this.allowFaultInjection) throw new Error('debugCorrupt: fault injection is not enabled (ExecCoreOptions.allowFaultInjection)');
    const anyOrder = (): WorkingOrder => {
      for (const o of this.s.bk.byCoid.values()) if (o.status !== OrderStatus.DONE) return o;
      throw new Error(`debugCorrupt(${kind}): no live order to corrupt`);
    };
    if (kind === 'position_drift') {
      const market = this.reg.markets.keys().next().value;
      if (market === undefined) throw new Error('debugCorrupt(position_drift): no market');
      this.s.bk.position(market).positionCenti += 100;
    } else if (kind === 'overfill') {
      const o = anyOrder();
      o.filledCenti = Math.max(o.totalCenti, o.pendingTotalCenti) + 100;
    } else if (kind === 'double_slot') {
      // a slotted order also among the others
      let slotted: WorkingOrder | undefined;
      for (const mo of this.s.bk.markets.values()) for (const o of [...mo.bids, ...mo.asks]) if (o && !slotted) slotted = o;
      if (!slotted) throw new Error('debugCorrupt(double_slot): no order in a slot');
      this.s.bk.marketOrders(slotted.market).others.add(slotted);
    } else if (kind === 'live_count') {
      this.s.bk.liveCount++;
    } else if (kind === 'trade_twice') {
      this.s.bk.rememberTrade('debug-trade', 0);
      this.s.bk.bookTrade('debug-trade', 0);
    } else throw new Error(`debugCorrupt: unknown fault ${String(kind)}`);
  }

  setParams(p: ExecParams): void {
    this.s.setParams(p);
  }

  private beginShutdownInner(nowMs: number): void {
    if (!this.s.shuttingDown) this.s.journal({ k: 'shutdown_begin' });
    this.s.shuttingDown = true;
    this.cancelAll([], nowMs, 'shutdown');
  }

  private cancelAll(list: readonly string[], nowMs: number, why: string): void {
    const all = list.length === 0;
    for (const o of this.s.bk.live()) {
      if (!all && !list.includes(o.market)) continue;
      o.wantCancel = true;
    }
    for (const m of this.reg.active) {
      if (!all && !list.includes(m.market)) continue;
      m.target = null;
      this.reg.clearSlotTargets(m);
      this.reg.markDirty(m);
    }
    this.s.ops('cancel_all', all ? '' : list.join(','), 'info', { why });
    void nowMs;
  }

  /**
   * Set by a driver that starts the commands' requests before it computes the reports
   * (ExecRunner): a pump then leaves its WorkingOrders reports (O(orders), with the event caps
   * O(orders of each event)) for `flushReports`, which the driver calls right after it handed
   * the pump's commands to the gateway, so the reports no longer delay the write. Same messages
   * in the same order: the reports are the last effects of every pump.
   */
  deferReports = false;
  /** the time of the pump whose reports wait for flushReports (-1: none) */
  private reportsDueMs = -1;

  /** True when a pump's reports wait for flushReports. */
  get reportsDue(): boolean {
    return this.reportsDueMs >= 0;
  }

  /** The reports a pump left (deferReports), computed at that pump's time. */
  flushReports(): Effects {
    clearEffects(this.s.fx);
    if (this.reportsDueMs >= 0) {
      const t = this.reportsDueMs;
      this.reportsDueMs = -1;
      this.reports.emitWorkingOrders(t);
    }
    return this.s.fx;
  }

  /** Diffs every dirty market and sends what the gates allow. */
  private pump(nowMs: number): void {
    if (!this.s.startupReconciled) return;
    // diffMarket may mark markets again (retry): take the list first, bounded by the market count
    // tokens are back: the markets that wait for them are looked at now, before any event's market
    // takes them (the first to wait is served first, not the one whose book happened to move)
    if (this.cmd.tokenWaiters.size > 0 && this.cmd.createFits(nowMs)) for (const w of this.cmd.tokenWaiters) this.reg.markDirty(w);
    const list = this.reg.takeDirty();
    // markets waiting for rate-limit tokens go first, oldest first (a stable sort keeps the rest in order)
    let waiting = false;
    for (let i = 0; i < list.length && !waiting; i++) waiting = list[i].tokenWaitSeq > 0;
    if (waiting) list.sort(byTokenWait);
    // the diff phase: the bookkeeping is unchanged until cmd.flush issues the commands, so the
    // pre-flight checks share what depends on it alone (event-risk.ts beginPump, portfolioMoney)
    this.events.beginPump();
    this.pumpExposureMoney = -1;
    this.inDiff = true;
    try {
      for (let i = 0; i < list.length; i++) {
        const m = list[i];
        m.dirty = false;
        this.diffMarket(m, nowMs);
      }
    } finally {
      this.inDiff = false;
      this.events.endPump();
    }
    // orders in markets we have no reference for (adopted/unknown): cancel when unwanted
    this.cmd.flush(nowMs);
    // a market that got everything out in this pump waits no more
    for (let i = 0; i < list.length; i++) if (list[i].tokenWaitSeq > 0 && list[i].tokenHeldPump !== this.s.pumpSeq) this.cmd.doneWaiting(list[i], nowMs);
    this.reg.releaseDirty(list);
    if (this.deferReports) this.reportsDueMs = nowMs;
    else this.reports.emitWorkingOrders(nowMs);
    this.s.pumpSeq++;
  }

  /**
   * Order expiry (kmm_order_expiry_s): true when `o` is due for renewal. A slot order is then
   * cancelled here and its slot re-placed (with a fresh expiration) once the cancel is answered:
   * an amend cannot move an expiration. Not due yet: the market is looked at again when it is.
   * A taker leftover is only cancelled (the caller does it).
   */
  private renewDue(o: WorkingOrder, m: MarketRef, nowMs: number): boolean {
    if (o.renewAtMs <= 0 || o.status !== OrderStatus.RESTING || o.pendingKind !== 0) return false;
    if (nowMs < o.renewAtMs) {
      m.retryAtMs = minPos(m.retryAtMs, o.renewAtMs);
      return false;
    }
    // (a cancel held back for tokens is pushed again on the next look: the order is still due)
    this.s.stats.renewals++;
    if (!o.taker) this.cmd.cancels.push({ o, m, kind: CK.CANCEL, price: o.price, countCenti: 0, edgeBpsMilli: 0 });
    return true;
  }

  private diffMarket(m: MarketRef, nowMs: number): void {
    const mo = this.s.bk.marketOrders(m.market);
    const block = this.reg.blockReason(m, nowMs);
    const cancel = this.reg.mustCancel(m, nowMs);
    const fair = m.target && m.target.fairValue ? Math.round(m.target.fairValue) : 0;
    const L = this.s.params.maxLevelsPerSide;
    // "no target yet" is not "target says none": adopted orders wait a little for strategy
    const holdAdopted = !cancel && m.target === null && nowMs - this.s.startupReconciledAtMs < ADOPT_TARGET_WAIT_MS;
    // A fill after the target: the target was decided on the position before it. Nothing is
    // added or re-placed from it (that was the source of bursts of cap refusals: the filled
    // order re-placed from the pre-fill target) until strategy, which decides on every fill,
    // sends a newer one; cancels and decreases go on.
    // Ordered by exec's fill sequence, which strategy echoes; a target without one (a driver that
    // does not send it) falls back to arrival time, which cannot order events of one instant
    const lastFillMs = this.s.bk.position(m.market).lastFillMs;
    const staleTarget = m.targetFillSeq > 0 ? m.targetFillSeq < m.fillSeq : lastFillMs > 0 && m.targetAtMs <= lastFillMs;
    if (holdAdopted) m.retryAtMs = minPos(m.retryAtMs, this.s.startupReconciledAtMs + ADOPT_TARGET_WAIT_MS);
    for (let s = 0; s < 2; s++) {
      const side = s === 0 ? BID : ASK;
      const slots = s === 0 ? mo.bids : mo.asks;
      const pofCooling = this.s.pof.inCooldown(m.market, side, nowMs);
      for (let level = 0; level < L; level++) {
        const o = slots[level];
        if (o && !cancel && this.renewDue(o, m, nowMs)) continue;
        const t = cancel ? this.emptyTarget : m.slotTargets[s][level];
        const d = this.s.differ.decide(o, t, side, m.grid, fair, nowMs, this.decision);
        switch (d.action) {
          case Action.PLACE: {
            if (block !== BlockReason.NONE || staleTarget) break;
            if (pofCooling) {
              m.retryAtMs = minPos(m.retryAtMs, this.s.pof.cooldownUntil(m.market, side));
              break;
            }
            // the creates queued in this pump are not in the bookkeeping yet: count them too
            if (this.s.bk.liveCount + this.cmd.creates.length >= this.s.params.maxOrdersTracked) {
              this.s.ops('orders_tracked_limit', m.market, 'error', { limit: this.s.params.maxOrdersTracked });
              break;
            }
            let pf = preflight(this.s.params, m, side, d.price, d.countCenti, d.countCenti, this.cmd.gatingPosition(m.market, side, this.s.bk.position(m.market).positionCenti), false, this.s.bk.position(m.market).positionCenti, this.portfolioMoney());
            if (pf.ok) pf = this.eventPreflight(m.market, side, d.price, d.countCenti);
            if (!pf.ok) {
              this.venue.preflightReject(m, side, d.price, pf.code, pf.reason);
              break;
            }
            const posCenti = this.s.bk.position(m.market).positionCenti;
            const reducesPosition = side === BID ? posCenti < 0 : posCenti > 0;
            this.cmd.creates.push({ m, side, level, price: d.price, countCenti: d.countCenti, edgeBpsMilli: t.edgeBpsMilli, taker: false, tif: kmm.v1.TimeInForce.GOOD_TILL_CANCELED, reduceOnly: false, reducesPosition, cause: m.cause });
            break;
          }
          case Action.AMEND: {
            if (!o || staleTarget) break;
            if (block || pofCooling) {
              if (pofCooling) m.retryAtMs = minPos(m.retryAtMs, this.s.pof.cooldownUntil(m.market, side));
              break;
            }
            const oldRemaining = o.totalCenti - o.filledCenti;
            const newRemaining = d.countCenti - o.filledCenti;
            let pf = preflight(this.s.params, m, side, d.price, newRemaining, Math.max(0, newRemaining - oldRemaining), this.cmd.gatingPosition(m.market, side, this.s.bk.position(m.market).positionCenti, o) + (side === BID ? oldRemaining : -oldRemaining), false, this.s.bk.position(m.market).positionCenti, this.portfolioMoney());
            if (pf.ok) pf = this.eventPreflight(m.market, side, d.price, newRemaining, o);
            if (!pf.ok) {
              this.venue.preflightReject(m, side, d.price, pf.code, pf.reason);
              // A refused size increase keeps the resting order (it passed pre-flight when it
              // went out, and cancelling it loses its queue place); a refused move at the same
              // size means the order itself no longer fits: pull it.
              if (newRemaining <= oldRemaining) this.cmd.cancels.push({ o, m, kind: CK.CANCEL, price: o.price, countCenti: 0, edgeBpsMilli: 0 });
              break;
            }
            if (this.s.params.journalRepriceDecisions) {
              this.s.journal({ k: 'reprice', market: m.market, side, level, oldPrice: o.price, newPrice: d.price, countCenti: d.countCenti, reason: d.reason, forced: d.forced });
            }
            this.cmd.amends.push({ o, m, kind: CK.AMEND, price: d.price, countCenti: d.countCenti, edgeBpsMilli: t.edgeBpsMilli });
            break;
          }
          case Action.DECREASE:
            if (o && this.s.ready) this.cmd.decreases.push({ o, m, kind: CK.DECREASE, price: o.price, countCenti: d.countCenti, edgeBpsMilli: 0 });
            break;
          case Action.CANCEL:
            if (o && !(holdAdopted && o.adopted && !o.wantCancel)) {
              if (o.status === OrderStatus.RESTING && o.pendingKind === 0) this.cmd.cancels.push({ o, m, kind: CK.CANCEL, price: o.price, countCenti: 0, edgeBpsMilli: 0 });
            }
            break;
          case Action.SKIP:
            if (o) {
              this.s.stats.skips++;
              if (o.lastSkipPrice !== d.price) {
                o.lastSkipPrice = d.price;
                const skip: JournalRecordOf<'skip'> = {
                  k: 'skip',
                  market: m.market,
                  side: side === BID ? 'BID' : 'ASK',
                  oldPrice: o.price,
                  newPrice: d.price,
                  priceDiff: Math.abs(d.price - o.price),
                  minReprice: this.s.differ.minTicks * m.grid.tickAt(o.price),
                  reason: d.reason,
                };
                // 000's field names, in cents as they say (000's own example writes 1/10,000 $
                // values there: 5200 for $0.52); the journal record keeps price units (1/10,000 $)
                this.s.ops('skip_same_quote', m.market, 'info', {
                  market: skip.market,
                  side: skip.side,
                  old_price_cents: o.price / PRICE_PER_CENT,
                  new_price_cents: d.price / PRICE_PER_CENT,
                  price_diff_cents: Math.abs(d.price - o.price) / PRICE_PER_CENT,
                  min_reprice_cents: (this.s.differ.minTicks * m.grid.tickAt(o.price)) / PRICE_PER_CENT,
                  reason: skip.reason,
                });
                if (this.s.params.journalRepriceDecisions) this.s.journal(skip);
              }
            }
            break;
          case Action.WAIT:
            if (d.retryAtMs > 0) m.retryAtMs = minPos(m.retryAtMs, d.retryAtMs);
            break;
          case Action.NONE:
            // an unchanged order that will pass MM_MAX_ORDER_AGE_S: look again when it does
            if (d.retryAtMs > 0) m.retryAtMs = minPos(m.retryAtMs, d.retryAtMs);
            break;
          case Action.REPLACE:
            // Max-age refresh of an unchanged order: cancelled here, its slot placed again from
            // the target once the cancel is answered (as for an expiry renewal). Only when that
            // placement could go out: a blocked market, a stale target or a post-only cooldown
            // keeps the resting order rather than leave the slot empty.
            if (!o || block !== BlockReason.NONE || staleTarget || pofCooling) break;
            this.s.stats.ageRefreshes++;
            if (this.s.params.journalRepriceDecisions) {
              this.s.journal({ k: 'reprice', market: m.market, side, level, oldPrice: o.price, newPrice: d.price, countCenti: d.countCenti, reason: d.reason, forced: true });
            }
            this.cmd.cancels.push({ o, m, kind: CK.CANCEL, price: o.price, countCenti: 0, edgeBpsMilli: 0 });
            break;
          default:
            break;
        }
      }
    }
    // orders outside the slots: taker leftovers, adopted-unslotted, displaced or unwanted ones
    for (const o of mo.others) {
      if (o.status !== OrderStatus.RESTING || o.pendingKind !== 0) continue;
      // a resting taker leftover stays until strategy or safety says otherwise, or until its expiration nears
      if (o.taker && !o.wantCancel && !cancel && !this.renewDue(o, m, nowMs)) continue;
      this.cmd.cancels.push({ o, m, kind: CK.CANCEL, price: o.price, countCenti: 0, edgeBpsMilli: 0 });
    }
    if (block !== BlockReason.NONE && block !== BlockReason.STARTING) {
      // transient blocks expire: look again on the timer
      if (block === BlockReason.BREAKER_OPEN) m.retryAtMs = minPos(m.retryAtMs, this.s.breakers.openUntilMs);
      else if (block === BlockReason.RATE_LIMIT_PAUSE) m.retryAtMs = minPos(m.retryAtMs, this.s.limiter.pausedUntilMs);
      else if (block === BlockReason.MARKET_HOLD) m.retryAtMs = minPos(m.retryAtMs, m.holdUntilMs);
    }
    if (!cancel && m.trust !== TRUSTED && this.s.startupReconciled) m.retryAtMs = minPos(m.retryAtMs, m.trustSinceMs + this.reg.untrustedGraceMs(m));
  }
}

function hasResting(slots: (WorkingOrder | null)[]): boolean {
  for (const o of slots) if (o && o.status === OrderStatus.RESTING) return true;
  return false;
}

/** pump order: markets waiting for tokens first, oldest wait first; the others after, in their order */
function byTokenWait(a: MarketRef, b: MarketRef): number {
  const wa = a.tokenWaitSeq > 0 ? a.tokenWaitSeq : Infinity;
  const wb = b.tokenWaitSeq > 0 ? b.tokenWaitSeq : Infinity;
  return wa === wb ? 0 : wa < wb ? -1 : 1;
}
