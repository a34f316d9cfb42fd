/**
 * Market registry: the exec core's view of each market (reference data, price grid, status,
 * trust, the latest target as per-slot targets, hold/retry times, pause flag, queue positions),
 * the lists of markets that need a diff or a WorkingOrders report (so a message costs
 * O(touched markets)), the set of active markets the timer scans, and the gates that say whether
 * a market may get new orders (`blockReason`) or must be pulled (`mustCancel`).
 * Grids come from a per-instance GridCache (bounded; most markets share linear_cent).
 */
import { kmm, LINEAR_CENT, PriceGrid } from '@kmm/shared';
import type { SlotTarget } from './differ.js';
import { NO_CAUSE, type Cause, type ExecState } from './exec-state.js';

const BID = kmm.v1.BookSide.BID;
const ASK = kmm.v1.BookSide.ASK;
const TRUSTED = kmm.v1.TrustState.TRUSTED;
const ACTIVE = kmm.v1.MarketStatus.MARKET_ACTIVE;

/** Distinct price-band layouts kept; past it the least recently used is dropped (a new PriceGrid is cheap). */
export const GRID_CACHE_MAX = 64;

export interface MarketRef {
  market: string;
  info: kmm.v1.IMarketInfo;
  grid: PriceGrid;
  status: number;
  trust: number;
  trustSinceMs: number;
  target: kmm.v1.ITargetQuotes | null;
  cause: Cause;
  slotTargets: SlotTarget[][]; // [0]=bid, [1]=ask, by level
  retryAtMs: number;
  /**
   * Place in the queue of markets waiting for rate-limit tokens (0 = not waiting; numbered in the
   * order they first found none). Markets that wait are diffed first, in that order, so the first
   * market to hit the limit is not overtaken by later ones (by number, not time: markets held in
   * one pump keep their order, however the events that mark them dirty interleave).
   */
  tokenWaitSeq: number;
  /** the pump in which this market last found no tokens (ExecState.pumpSeq) */
  tokenHeldPump: number;
  /** when this market began to wait for tokens (ms; meaningful while tokenWaitSeq > 0) */
  tokenWaitSinceMs: number;
  holdUntilMs: number;
  /**
   * > 0: the market's feed came back after being untrusted or stale at this time, or a cancel,
   * amend or decrease of an order we thought live got not_found; fills may have been missed
   * meanwhile (a silent websocket never replays them), so no new orders or amends until a
   * reconcile requested at or after it (orders, fills and positions) has been applied.
   */
  resyncHoldSinceMs: number;
  /** the feed of this market has been trusted since this exec started (a later return to trusted is a resync) */
  wasTrusted: boolean;
  /** when the current target arrived (exec's monotonic ms; 0 = none) */
  targetAtMs: number;
  /** the fill sequence the current target was decided after (TargetQuotes.after_fill_seq; 0 = not sent) */
  targetFillSeq: number;
  /** this market's fill sequence: fillSeqBase + fills forwarded to strategy */
  fillSeq: number;
  /** the last local reject of this market per side (side 0 bid, 1 ask), so an identical one is not sent again */
  lastRejectKey: [string, string];
  paused: boolean;
  dirty: boolean;
  woDirty: boolean;
  queueAhead: Map<string, number>;
}

/** Why new orders/amends may not go out in a market now (the WorkingOrders.block_reason text). */
export const BlockReason = {
  NONE: '',
  STARTING: 'starting',
  SHUTDOWN: 'shutdown',
  WS_DISCONNECTED: 'ws_disconnected',
  TRADING_DISABLED: 'trading_disabled',
  ORDER_GROUP_TRIGGERED: 'order_group_triggered',
  PAUSED: 'paused',
  MARKET_NOT_ACTIVE: 'market_not_active',
  STALE_BOOK: 'stale_book',
  AWAIT_RECONCILE: 'await_reconcile',
  UNTRUSTED_BOOK: 'untrusted_book',
  MARKET_HOLD: 'market_hold',
  BREAKER_OPEN: 'breaker_open',
  RATE_LIMIT_PAUSE: 'rate_limit_pause',
} as const;
export type BlockReason = (typeof BlockReason)[keyof typeof BlockReason];

/** Grids shared between markets with the same bands, bounded (least recently used dropped). */
export class GridCache {
  private readonly grids = new Map<string, PriceGrid>();

  constructor(private readonly limit: number = GRID_CACHE_MAX) {}

  get size(): number {
    return this.grids.size;
  }

  get(ranges: kmm.v1.IPriceRange[]): PriceGrid {
    let key = '';
    for (const r of ranges) key += `${r.startPrice}:${r.endPrice}:${r.stepPrice};`;
    let g = this.grids.get(key);
    if (g) {
      this.grids.delete(key); // most recently used goes last
      this.grids.set(key, g);
      return g;
    }
    g = new PriceGrid(ranges.map((r) => ({ startPrice: r.startPrice ?? 0, endPrice: r.endPrice ?? 0, stepPrice: r.stepPrice ?? 0 })));
    this.grids.set(key, g);
    if (this.grids.size > this.limit) {
      const oldest = this.grids.keys().next().value;
      if (oldest !== undefined) this.grids.delete(oldest);
    }
    return g;
  }
}

const DEFAULT_GRID = new PriceGrid(LINEAR_CENT);

export class MarketRegistry {
  readonly markets = new Map<string, MarketRef>();
  /** markets with a target or orders: the only ones the timer scans */
  readonly active = new Set<MarketRef>();
  /** markets to report WorkingOrders for */
  readonly woList: MarketRef[] = [];
  /** markets to diff: two lists swapped by takeDirty (diffing may mark markets again) */
  private dirtyList: MarketRef[] = [];
  private dirtySpare: MarketRef[] = [];
  private readonly grids = new GridCache();

  constructor(
    private readonly s: ExecState,
    private readonly fillSeqBase = 0,
  ) {}

  get(market: string): MarketRef | undefined {
    return this.markets.get(market);
  }

  gridOf(ranges: kmm.v1.IPriceRange[]): PriceGrid {
    return this.grids.get(ranges);
  }

  upsert(mi: kmm.v1.IMarketInfo, nowMs: number): void {
    const market = mi.market ?? '';
    if (!market) return;
    const existing = this.markets.get(market);
    if (existing) {
      existing.info = mi;
      if (mi.status) existing.status = mi.status;
      if (mi.priceRanges && mi.priceRanges.length > 0) existing.grid = this.gridOf(mi.priceRanges);
      if (this.active.has(existing)) this.markDirty(existing);
      return;
    }
    const L = this.s.params.maxLevelsPerSide;
    const mk = (): SlotTarget[] => {
      const a: SlotTarget[] = [];
      for (let i = 0; i < L; i++) a.push({ price: 0, countCenti: 0, edgeBpsMilli: 0, queueMove: false });
      return a;
    };
    this.markets.set(market, {
      market,
      info: mi,
      grid: mi.priceRanges && mi.priceRanges.length > 0 ? this.gridOf(mi.priceRanges) : DEFAULT_GRID,
      status: mi.status ?? ACTIVE,
      // trust arrives from ingest; until then the market is not quoted
      trust: kmm.v1.TrustState.TRUST_STATE_UNSPECIFIED,
      trustSinceMs: nowMs,
      target: null,
      cause: NO_CAUSE,
      slotTargets: [mk(), mk()],
      retryAtMs: 0,
      tokenWaitSeq: 0,
      tokenHeldPump: -1,
      tokenWaitSinceMs: 0,
      holdUntilMs: 0,
      resyncHoldSinceMs: 0,
      wasTrusted: false,
      targetAtMs: 0,
      targetFillSeq: 0,
      fillSeq: this.fillSeqBase,
      lastRejectKey: ['', ''],
      paused: false,
      dirty: false,
      woDirty: false,
      queueAhead: new Map(),
    });
  }

  /** Orders can rest in markets we were not given (a previous run, manual orders): track those markets so the orders can be cancelled. */
  adoptMarketsWithOrders(nowMs: number): void {
    for (const mk of this.s.bk.markets.keys()) {
      if (this.markets.has(mk)) continue;
      this.upsert({ market: mk, status: kmm.v1.MarketStatus.MARKET_STATUS_UNSPECIFIED }, nowMs);
      const m = this.markets.get(mk);
      if (m) this.markDirty(m);
    }
  }

  markDirty(m: MarketRef): void {
    if (!m.dirty) {
      m.dirty = true;
      this.dirtyList.push(m);
    }
    this.active.add(m);
  }

  markWo(m: MarketRef): void {
    if (!m.woDirty) {
      m.woDirty = true;
      this.woList.push(m);
    }
  }

  markAllDirty(): void {
    // markets holding orders are active too (adopted or unknown orders found by a reconcile)
    for (const mk of this.s.bk.markets.keys()) {
      const m = this.markets.get(mk);
      if (m) this.active.add(m);
    }
    for (const m of this.active) {
      this.markDirty(m);
      this.markWo(m);
    }
  }

  /** The markets to diff now; marks made while diffing them go to the next round. Call releaseDirty after. */
  takeDirty(): MarketRef[] {
    const list = this.dirtyList;
    this.dirtyList = this.dirtySpare;
    this.dirtySpare = list;
    return list;
  }

  releaseDirty(list: MarketRef[]): void {
    list.length = 0;
  }

  clearSlotTargets(m: MarketRef): void {
    for (let s = 0; s < 2; s++) for (const st of m.slotTargets[s]) { st.price = 0; st.countCenti = 0; st.edgeBpsMilli = 0; st.queueMove = false; }
  }

  /** Target levels -> per-slot targets, with the post-only safety applied against the decision's book top. */
  buildSlotTargets(m: MarketRef, nowMs: number): void {
    this.clearSlotTargets(m);
    const t = m.target;
    if (!t || !t.levels) return;
    const L = this.s.params.maxLevelsPerSide;
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
      if (price > 0 && m.grid.isValid(price)) price = this.s.pof.safePrice(m.grid, m.market, side, price, bestBid, bestAsk, nowMs);
      st.price = price;
      st.countCenti = price > 0 ? q.countCenti ?? 0 : 0;
      st.edgeBpsMilli = q.expectedEdgeBpsMilli ?? 0;
      // a queue move the post-only safety pulled back is not the move strategy asked for: gated as usual
      st.queueMove = q.queueMove === true && price === q.price;
    }
  }

  /** Why new orders/amends may not go out in this market now (NONE = they may). */
  blockReason(m: MarketRef, nowMs: number): BlockReason {
    const s = this.s;
    if (!s.ready) return BlockReason.STARTING;
    if (s.shuttingDown) return BlockReason.SHUTDOWN;
    if (!s.connected) return BlockReason.WS_DISCONNECTED;
    if (!s.tradingEnabled) return BlockReason.TRADING_DISABLED;
    if (s.orderGroupTriggered) return BlockReason.ORDER_GROUP_TRIGGERED;
    if (s.globalPaused || m.paused) return BlockReason.PAUSED;
    if (m.status !== ACTIVE) return BlockReason.MARKET_NOT_ACTIVE;
    if (m.trust !== TRUSTED) return m.trust === kmm.v1.TrustState.STALE ? BlockReason.STALE_BOOK : BlockReason.UNTRUSTED_BOOK;
    if (nowMs < m.holdUntilMs) return BlockReason.MARKET_HOLD;
    if (m.resyncHoldSinceMs > 0) return BlockReason.AWAIT_RECONCILE;
    if (s.breakers.isOpen(nowMs)) return BlockReason.BREAKER_OPEN;
    if (s.limiter.isPaused(nowMs)) return BlockReason.RATE_LIMIT_PAUSE;
    return BlockReason.NONE;
  }

  /** Whether this market's resting quotes must be pulled now. */
  mustCancel(m: MarketRef, nowMs: number): boolean {
    const s = this.s;
    if (s.shuttingDown || !s.connected || !s.tradingEnabled || s.globalPaused || m.paused) return true;
    if (m.status !== ACTIVE && m.status !== kmm.v1.MarketStatus.MARKET_STATUS_UNSPECIFIED) return true;
    if (m.trust !== TRUSTED && s.params.cancelOnStaleBook && s.startupReconciled) {
      return nowMs - m.trustSinceMs >= this.untrustedGraceMs(m);
    }
    return false;
  }

  /** How long after an untrusted report the market's resting orders are pulled (STALE: see params). */
  untrustedGraceMs(m: MarketRef): number {
    const p = this.s.params;
    return m.trust === kmm.v1.TrustState.STALE ? p.staleBookCancelAfterMs : p.staleCancelGraceMs;
  }
}
