/**
 * Reconcile scheduling: when to ask the exchange for orders, positions and fills (start-up,
 * reconnect, control, periodic, after surprises such as unknown acks or uncertain orders), never
 * two at once (a request while one is in flight is remembered and made after it), at most one
 * surprise-driven request per RECONCILE_MIN_GAP_MS, retries after failures; and applying a
 * snapshot: reconcile orders and positions, backfill fills, journal divergences, the start-up
 * position-cap check (000 fix 3). Nothing trades before the start-up reconcile has read every
 * position: its failed reads are retried with backoff and reported (startup_positions_waiting).
 */
import type { kmm } from '@kmm/shared';
import { snakeKeys } from './journal-record.js';
import { type ExecState, minPos } from './exec-state.js';
import type { MarketRegistry } from './market-registry.js';
import { RECONCILE_READ_TOKENS } from './rate-limiter.js';
import { capForCenti } from './preflight.js';
import { reconcile, reconcilePositions } from './reconciler.js';
import { OrderStatus, type VenueSnapshot } from './types.js';
import type { VenueEvents } from './venue-events.js';

/** Minimum time between two reconcile requests caused by surprises (unknown acks, uncertain orders). */
export const RECONCILE_MIN_GAP_MS = 1000;
/** Longest wait between two failed start-up reconcile reads (they back off from RECONCILE_MIN_GAP_MS). */
export const STARTUP_RETRY_MAX_MS = 10_000;

export class ReconcileScheduler {
  private inFlight = 0; // read id, 0 = none
  private again = '';
  private lastReconcileMs: number;
  private retryAtMs = 0;
  private readSeq = 0;
  /** failed start-up reconcile reads so far */
  private startupAttempts = 0;

  constructor(
    private readonly s: ExecState,
    private readonly reg: MarketRegistry,
    nowMs: number,
  ) {
    this.lastReconcileMs = nowMs;
  }

  /**
   * A reconcile read failed: try again after the minimum gap. Before the start-up reconcile,
   * nothing trades (the start-up cap check has no positions): retries back off up to
   * STARTUP_RETRY_MAX_MS and every failure says so.
   */
  onReadFailed(nowMs: number, error: string): void {
    this.inFlight = 0;
    if (this.s.startupReconciled) {
      this.retryAtMs = nowMs + RECONCILE_MIN_GAP_MS;
      return;
    }
    this.startupAttempts++;
    const waitMs = Math.min(STARTUP_RETRY_MAX_MS, RECONCILE_MIN_GAP_MS * 2 ** Math.min(10, this.startupAttempts - 1));
    this.retryAtMs = nowMs + waitMs;
    this.s.ops('startup_positions_waiting', '', 'error', {
      message: `start-up cap check: waiting for positions (attempt ${this.startupAttempts}): ${error}`,
      attempt: this.startupAttempts,
      error,
      retry_in_ms: waitMs,
      status: 'TRADING_BLOCKED',
    });
  }

  /** Timer: the periodic reconcile and due retries. */
  onTimer(nowMs: number): void {
    const p = this.s.params;
    if (this.s.startupReconciled && p.reconcileIntervalMs > 0 && nowMs - this.lastReconcileMs >= p.reconcileIntervalMs) this.request('periodic', nowMs, 0, false);
    if (this.retryAtMs > 0 && nowMs >= this.retryAtMs) {
      this.retryAtMs = 0;
      this.request(this.s.startupReconciled ? 'retry' : 'startup', nowMs, 0, !this.s.startupReconciled);
    }
  }

  request(reason: string, nowMs: number, minFillTsMs: number, force: boolean): void {
    if (this.inFlight) {
      this.again = reason;
      return;
    }
    if (!force && nowMs - this.lastReconcileMs < RECONCILE_MIN_GAP_MS && reason !== 'reconnect' && reason !== 'periodic' && reason !== 'control') {
      this.retryAtMs = minPos(this.retryAtMs, this.lastReconcileMs + RECONCILE_MIN_GAP_MS);
      return;
    }
    if (!this.s.limiter.tryRead(RECONCILE_READ_TOKENS, nowMs)) {
      this.retryAtMs = minPos(this.retryAtMs, nowMs + this.s.limiter.read.waitMs(RECONCILE_READ_TOKENS, nowMs) + 1);
      return;
    }
    const id = ++this.readSeq;
    this.inFlight = id;
    this.lastReconcileMs = nowMs;
    const min = minFillTsMs > 0 ? minFillTsMs : this.s.maxFillTsMs > 0 ? this.s.maxFillTsMs - 60_000 : 0;
    this.s.fx.reads.push({ kind: 'reconcile', id, reason, minFillTsMs: min });
  }

  private startupCapCheck(): void {
    const breached: { ticker: string; position: number }[] = [];
    for (const p of this.s.bk.positions.values()) {
      if (Math.abs(p.positionCenti) > capForCenti(this.s.params, p.positionCenti)) breached.push({ ticker: p.market, position: p.positionCenti / 100 });
    }
    if (breached.length > 0) {
      this.s.tradingEnabled = false;
      this.s.ops('startup_position_cap_breach', '', 'error', {
        status: 'TRADING_DISABLED',
        reason: 'Already holding positions over max_pos cap at startup',
        max_pos: this.s.params.config.MM_MAX_POS,
        max_long_pos: this.s.params.longCapCenti / 100,
        max_short_pos: this.s.params.shortCapCenti / 100,
        breached_markets: breached,
        action_required: 'Manually review positions and acknowledge (ACK_BREACH) to re-enable trading',
      });
    }
  }

  /**
   * The holds after a snapshot (MarketRef.resyncHoldSinceMs: no new orders or amends). A hold
   * (the market's feed came back after a gap, a not_found) ends with a reconcile requested at or
   * after it that decided the market's position; one that left the position undecided (read lag)
   * keeps it. A market where this snapshot back-filled fills (the user-data stream missed them,
   * e.g. a websocket silent before the feed could be called stale) and whose position it could
   * not decide is held from now: its position would rest on our own count of a stream that has
   * just shown a gap (DST truth.dst: an order went out 0.75 s after a sweep on such a count).
   * Returns how many markets are held with an undecided position (the caller asks for a second
   * read a grace later, which decides them).
   */
  private updateHolds(snap: VenueSnapshot, newFills: readonly kmm.v1.IFill[], undecidedMarkets: readonly string[], nowMs: number): number {
    const undecided = new Set(undecidedMarkets);
    for (const m of this.reg.markets.values()) {
      if (m.resyncHoldSinceMs > 0 && snap.requestedAtMs >= m.resyncHoldSinceMs && !undecided.has(m.market)) m.resyncHoldSinceMs = 0;
    }
    for (const f of newFills) {
      const m = this.reg.get(f.market ?? '');
      if (!m || !undecided.has(m.market) || m.resyncHoldSinceMs > 0) continue;
      this.s.ops('market_held_for_reconcile', m.market, 'warn', { why: 'position_undecided', trade_id: f.tradeId ?? '' });
      m.resyncHoldSinceMs = Math.max(1, nowMs);
    }
    let held = 0;
    for (const market of undecided) if ((this.reg.get(market)?.resyncHoldSinceMs ?? 0) > 0) held++;
    return held;
  }

  /** The result of a reconcile read (see ReadRequest 'reconcile'): apply it (the caller pumps). */
  applySnapshot(snap: VenueSnapshot, nowMs: number, venue: VenueEvents): void {
    this.inFlight = 0;
    this.lastReconcileMs = nowMs;
    const startup = !this.s.startupReconciled;
    const res = reconcile(this.s.bk, snap, {
      graceMs: startup ? 0 : this.s.params.reconcileGraceMs,
      startup,
      adopt: this.s.params.adoptOrdersOnStart,
      coidPrefix: this.s.params.clientOrderIdPrefix,
      nowMs,
      levelsPerSide: this.s.params.maxLevelsPerSide,
      renewAfterMs: this.s.params.orderRenewAfterMs,
    });
    for (const f of res.newFills) {
      venue.applyFill(f, nowMs, 'rest', !startup);
      res.divergences.push({ what: 'fill_backfilled', market: f.market ?? '', fields: { tradeId: f.tradeId, orderId: f.orderId, countCenti: f.countCenti } });
    }
    reconcilePositions(this.s.bk, snap, startup ? 0 : this.s.params.reconcileGraceMs, res);
    this.reg.adoptMarketsWithOrders(nowMs);
    for (const d of res.divergences) {
      this.s.stats.divergences++;
      this.s.ops('reconcile_divergence', d.market, d.what === 'fill_backfilled' && startup ? 'info' : 'warn', { what: d.what, ...snakeKeys(d.fields) });
      this.s.journal({ k: 'div', what: d.what, market: d.market, ...d.fields });
    }
    for (const pc of res.positionChanges) {
      this.s.send('strategy', {
        position: {
          market: pc.market,
          positionCenti: pc.positionCenti,
          exposureMoney: pc.exposureMoney,
          realizedPnlMoney: pc.realizedPnlMoney,
          feesPaidMoney: pc.feesPaidMoney,
          fromExchange: true,
        },
      });
      this.s.journal({ k: 'pos', market: pc.market, positionCenti: pc.positionCenti, src: 'rest' });
    }
    if (startup) {
      if (this.startupAttempts > 0) this.s.ops('startup_positions_read', '', 'warn', { message: `start-up cap check: positions read after ${this.startupAttempts} failed attempts`, attempts: this.startupAttempts + 1 });
      // The exchange reported every position we hold; say "flat" for the rest of our markets
      // so strategy's start-up cap check runs now instead of waiting out its timeout.
      const reported = new Set(res.positionChanges.map((pc) => pc.market));
      for (const market of this.reg.markets.keys()) {
        if (reported.has(market)) continue;
        const p = this.s.bk.position(market);
        if (p.positionCenti !== 0) continue;
        this.s.send('strategy', { position: { market, positionCenti: 0, exposureMoney: 0, realizedPnlMoney: 0, feesPaidMoney: 0, fromExchange: true } });
      }
      this.s.startupReconciled = true;
      this.s.startupReconciledAtMs = nowMs;
      this.startupCapCheck();
      this.s.journal({ k: 'startup_reconciled', adopted: res.adopted, unknownCancelled: res.unknownCancelled, divergences: res.divergences.length });
    }
    this.s.journal({ k: 'reconcile', orders: snap.orders.length, positions: snap.positions.length, fills: snap.fills.length, divergences: res.divergences.length });
    const heldUndecided = this.updateHolds(snap, res.newFills, res.positionsUndecided, nowMs);
    this.reg.markAllDirty();
    let uncertainLeft = 0;
    for (const o of this.s.bk.byCoid.values()) if (o.status === OrderStatus.UNCERTAIN) uncertainLeft++;
    if (uncertainLeft > 0 || res.awaitingSecondRead > 0 || heldUndecided > 0) this.retryAtMs = minPos(this.retryAtMs, nowMs + Math.max(RECONCILE_MIN_GAP_MS, this.s.params.reconcileGraceMs));
    if (this.again) {
      const why = this.again;
      this.again = '';
      this.request(why, nowMs, 0, false);
    }
  }
}
