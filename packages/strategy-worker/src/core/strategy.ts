/**
 * StrategyCore: the strategy actor's pure, deterministic core.
 *
 * In:  BookFeatures (book.k), Fill / Position / WorkingOrders / OrderAck / OrderReject /
 *      MarketInfo (exec), MarketTrust / ConnectionEvent / Lifecycle (ingest), Control (sup),
 *      external fair values (the shell's alpha feed), timers (the shell, every 250 ms).
 * Out: Effects: TargetQuotes and TakerIntents (-> exec), controls (CANCEL_ALL -> exec,
 *      ADD/REMOVE_MARKETS -> ingest), ops events (the seeds' structured events) and journal
 *      records (reprice_decision).
 *
 * Per market the decision is: stop gates (read-only, start-up check pending, paused, not
 * selected, market not active, disconnected/untrusted/stale book) -> takers (taker.ts
 * chooseTaker, all behind IMPULSE_CONTROL_ENABLED: 002 forced and rebalance exits; v2 impulse
 * engine: inventory breach, toxicity (which closes every market's position: toxicityCloseAll),
 * bailout, arbitrage) -> jump and schedule protection (jump.ts: a sweep or jump pulls the maker
 * for kmm_sweep_pull_ms, the last kmm_close_stop_s before close stop it) -> v1 pricing (pricing.ts
 * computeQuotes) -> v2 queue optimisation (pricing.ts queueOptimise) -> the close widening
 * (jump.ts widenSide, inside kmm_close_widen_s) -> risk gates (risk.ts) -> emit if changed (emission.ts, which also builds
 * the journal record). Which markets are selected at all is selection.ts (every
 * scan_interval_seconds). This class holds the per-market state and wires the stages.
 *
 * Invariants: no clock reads, no randomness, no I/O: `nowMs` comes in with every call.
 * A target is emitted for every market whose decision changed (non-urgent changes at most
 * every MM_QUOTE_REFRESH_MS; pauses, size cuts and moves of price_change_requote_threshold
 * are urgent). Quotes are on the grid, inside it, uncrossed and never at/through the
 * opposite touch. With IMPULSE_CONTROL_ENABLED and QUEUE_OPTIMIZATION_ENABLED false the
 * output is exactly v1's. Effects returned by a call are reused by the next call: consume
 * them before calling again.
 *
 * Limits: markets are bounded by the market list (MARKETS_MAX, overflow: extra markets
 * ignored with an ops event); one taker in flight per market (kmm_taker_cooldown_ms).
 */
import { kmm, LINEAR_CENT, PriceGrid, SPEC_BY_KEY, validateLiveChange, type FeeParams, type PriceBand } from '@kmm/shared';
import { eventSkewTicks, type EventPosition } from './event-skew.js';
import { strategyParamsOf, type StrategyParams } from './params.js';
import { computeQuotes, gridAbove, gridBelow, horizonS, PLACE_JOIN, PLACE_STEP_IN, PRICE_ONE, queueOptimise, QuoteResult, reducingAtCap, sigmaCentsPerSqrtS, toxicAgainst, type QueueOutcome, type QuoteInputs, type Trace } from './pricing.js';
import { MarkoutEstimator } from './intensity.js';
import { closePhase, detectSweep, widenSide } from './jump.js';
import { gateSide, startupBreaches, type BreachedMarket, type SideGateResult } from './risk.js';
import { buildTarget, decisionRecord, emitAction, LastTarget, recordEmitted, TargetReason } from './emission.js';
import { isTradable, liquidityMoney, selectMarkets } from './selection.js';
import { ASK, BID, chooseTaker, conservativeReducePosition, latchMakerCap, makerBailoutCapCenti, reduceSize, takerLimit, type BailoutResult, type TakerContext } from './taker.js';

export const MARKETS_MAX = 5000;
const CENTI = 100;
const TRUSTED = kmm.v1.TrustState.TRUSTED;
const UNTRUSTED = kmm.v1.TrustState.UNTRUSTED;
const STALE = kmm.v1.TrustState.STALE;

export type OpsLevel = 'info' | 'warn' | 'error';
export interface OpsEventOut {
  event: string;
  market: string;
  level: OpsLevel;
  fields: Record<string, unknown>;
}
export interface ControlOut {
  peer: 'exec' | 'ingest';
  control: kmm.v1.IControl;
}
export interface Effects {
  targets: kmm.v1.ITargetQuotes[];
  takers: kmm.v1.ITakerIntent[];
  opsEvents: OpsEventOut[];
  journal: Record<string, unknown>[];
  controls: ControlOut[];
}

/** One external fair value (alpha feed). fairPrice in price units (0 = none). */
export interface ExternalValue {
  market: string;
  fairPrice: number;
  fundingBps: number;
}

/** The timer re-decides a market at most this often (book updates decide immediately). */
const TIMER_DECIDE_MS = 1000;

class MarketState {
  info: kmm.v1.IMarketInfo;
  grid: PriceGrid;
  fees: FeeParams;
  closeTimeMs = 0;
  status = 0;
  features: kmm.v1.IBookFeatures | null = null;
  trust = 0; // from MarketTrust; 0 = never told
  staleSinceMs = -1;
  exchPosCenti = 0;
  localPosCenti = 0;
  haveExchPos = false;
  restingBidCenti = 0;
  restingAskCenti = 0;
  /** exec's gating state (WorkingOrders): its position and the new size per side its cap check accepts */
  execPosKnown = false;
  execPosCenti = 0;
  execRoomBidCenti = 0;
  execRoomAskCenti = 0;
  /** maker caps from the bailout threshold in force (latchMakerCap), long / short direction */
  makerCapLongCenti = Infinity;
  makerCapShortCenti = Infinity;
  /** exec's fill sequence of this market as last told (Fill.exec_fill_seq, WorkingOrders.fill_seq); echoed in targets */
  fillSeq = 0;
  alphaFair = 0;
  alphaAtMs = -1;
  alphaRef = 0;
  fundingBps = 0;
  selected = false;
  paused = false;
  takerUntilMs = -1;
  /** when the timer last decided this market (see TIMER_DECIDE_MS) */
  timerDecidedMs = -Infinity;
  takerPosAtCenti = 0;
  takerReducing = false;
  /** a refused taker is not tried again before this (ms; without it a refusal and a new intent would loop at once) */
  takerRetryAtMs = -1;
  /** side and limit price of the taker in flight (to recognise exec's refusal of it) */
  takerSide = 0;
  takerLimitPrice = 0;
  bidBlock = '';
  askBlock = '';
  hardBand = false;
  readonly last = new LastTarget();
  /** grid model: adverse selection from our fills (intensity.ts); the fill intensity is the book's (BookFeatures.kappa_per_tick) */
  readonly markout = new MarkoutEstimator();
  /** a side yielded on toxic flow stays pulled while the flow stays toxic (half the threshold) */
  yieldBid = false;
  yieldAsk = false;
  /** a sweep or jump (jump.ts) pulled the quotes until this wall time (-1: none) */
  sweepUntilMs = -1;

  constructor(
    readonly market: string,
    info: kmm.v1.IMarketInfo,
    grid: PriceGrid,
  ) {
    this.info = info;
    this.grid = grid;
    this.fees = { feeType: info.feeType || 'quadratic', multiplierMilli: info.feeMultiplierMilli ?? 1000 };
    this.closeTimeMs = Number(info.closeTimeMs ?? 0);
    this.status = info.status ?? 0;
  }
}

const HOLD = 'hold';

export interface StrategyCoreOptions {
  /** first wall time the core sees (defaults to the first call's nowMs) */
  startMs?: number;
}

export class StrategyCore {
  private p: StrategyParams;
  private readonly markets = new Map<string, MarketState>();
  private readonly gridCache = new Map<string, PriceGrid>();
  private readonly fx: Effects = { targets: [], takers: [], opsEvents: [], journal: [], controls: [] };
  private readonly qr = new QuoteResult();
  private readonly qrTrace = new QuoteResult();
  private readonly inp: QuoteInputs;
  private readonly gateBid: SideGateResult = { positionCenti: 0, intendedCenti: 0, allowedCenti: 0, effectiveCapCenti: 0, blocked: false, hardBlock: false, bailoutCap: false, reason: '' };
  private readonly gateAsk: SideGateResult = { positionCenti: 0, intendedCenti: 0, allowedCenti: 0, effectiveCapCenti: 0, blocked: false, hardBlock: false, bailoutCap: false, reason: '' };
  private readonly bo: BailoutResult = { sizeCenti: 0, crossCost: 0, qStarContracts: 0, holdCostMoney: 0 };
  private readonly boMaker: BailoutResult = { sizeCenti: 0, crossCost: 0, qStarContracts: 0, holdCostMoney: 0 };
  /** the candidate target's reason, rebuilt by each decision */
  private readonly cand = new TargetReason();
  private readonly queueOut: QueueOutcome = { nBid: 0, nAsk: 0 };
  private readonly takerCtx: TakerContext = { alphaFresh: false, alphaSkewTicks: 0, makerPaused: false };
  private nextDecisionId = 1;
  private startedAtMs = -1;
  private firstExchPosMs = -1;
  private startupChecked = false;
  /** exec said it has read the exchange (Control RECONCILE): it has sent every market's position */
  private execReconciledMs = -1;
  /** when the start-up check last said it is still waiting (ops event), -1 never */
  private startupWaitWarnMs = -1;
  private startupWaitWarnings = 0;
  private readOnly = false;
  private breached: BreachedMarket[] = [];
  private pausedAll = false;
  private disconnected = false;
  private lastSelectionMs = -Infinity;
  private readonly subscribed = new Set<string>();
  private selectionEmptyWarned = false;
  /** markets to decide again after the current decision (a close-all sent them a taker) */
  private readonly deferred: MarketState[] = [];
  private draining = false;

  constructor(params: StrategyParams, markets: readonly kmm.v1.IMarketInfo[], opts: StrategyCoreOptions = {}) {
    this.p = params;
    this.inp = { grid: new PriceGrid(LINEAR_CENT), f: {}, positionCenti: 0, longCapCenti: 0, shortCapCenti: 0, timeToCloseMs: Infinity, alphaSkewTicks: 0, fundingBps: 0, liquidityMoney: 0, kappaPerTick: 0, adverseFloorPrice: 0, fees: { feeType: 'quadratic', multiplierMilli: 1000 }, lastBidPrice: 0, lastAskPrice: 0 };
    for (const info of markets) {
      if (this.markets.size >= MARKETS_MAX) break;
      this.upsertMarket(info);
      if (info.market) this.subscribed.add(info.market);
    }
    if (opts.startMs !== undefined) this.startedAtMs = opts.startMs;
  }

  // ------------------------------------------------------------------ queries

  /** The params in force (CONFIG_UPDATE replaces them). */
  get params(): StrategyParams {
    return this.p;
  }

  /** Trading disabled by the start-up cap check, until ACK_BREACH. */
  get isReadOnly(): boolean {
    return this.readOnly;
  }
  get startupCheckDone(): boolean {
    return this.startupChecked;
  }
  get breachedMarkets(): readonly BreachedMarket[] {
    return this.breached;
  }
  selectedMarkets(): string[] {
    const out: string[] = [];
    for (const m of this.markets.values()) if (m.selected) out.push(m.market);
    return out.sort();
  }
  position(market: string): { exchangeCenti: number; localCenti: number } | undefined {
    const m = this.markets.get(market);
    return m ? { exchangeCenti: m.exchPosCenti, localCenti: m.localPosCenti } : undefined;
  }

  /** Seed 003 alpha slot: external skew in ticks for a market (0 without a fresh external value). */
  getExternalSkew(ticker: string, nowMs: number): number {
    const m = this.markets.get(ticker);
    if (!m || !m.features) return 0;
    return this.alphaSkewTicks(m, nowMs);
  }

  // ------------------------------------------------------------------ inputs

  onBookFeatures(f: kmm.v1.IBookFeatures, nowMs: number): Effects {
    this.begin(nowMs);
    const m = f.market ? this.markets.get(f.market) : undefined;
    if (m === undefined) return this.fx;
    const prev = m.features;
    m.features = f;
    this.observeSweep(m, prev, f, nowMs);
    this.decide(m, nowMs, 'book');
    return this.fx;
  }

  onFill(fill: kmm.v1.IFill, nowMs: number): Effects {
    this.begin(nowMs);
    const m = fill.market ? this.markets.get(fill.market) : undefined;
    if (m === undefined) return this.fx;
    const count = Number(fill.countCenti ?? 0);
    const before = m.localPosCenti;
    if (!fill.isTaker && (fill.yesPrice ?? 0) > 0) m.markout.onFill(fill.side === BID, fill.yesPrice as number, nowMs, this.p.kmm_markout_s * 1000);
    const seq = Number(fill.execFillSeq ?? 0);
    if (seq > 0) m.fillSeq = seq;
    if (fill.hasPostPosition) {
      // the websocket fill carries the exchange's position right after it: the decision this
      // fill triggers uses that truth, not the previous exchange value plus a guess
      const post = Number(fill.postPositionCenti ?? 0);
      m.haveExchPos = true;
      if (m.takerUntilMs >= 0 && post !== m.takerPosAtCenti) m.takerUntilMs = -1;
      m.exchPosCenti = post;
      m.localPosCenti = post;
    } else m.localPosCenti += fill.side === ASK ? -count : count;
    this.positionChanged(m, before, nowMs);
    // exec holds new orders in this market until a target decided after this fill arrives:
    // send one even when it equals the last
    m.last.emitted = false;
    this.decide(m, nowMs, 'fill');
    return this.fx;
  }

  onPosition(pos: kmm.v1.IPosition, nowMs: number): Effects {
    this.begin(nowMs);
    const m = pos.market ? this.markets.get(pos.market) : undefined;
    if (m === undefined) return this.fx;
    const v = Number(pos.positionCenti ?? 0);
    const before = m.localPosCenti;
    if (pos.fromExchange) {
      if (this.firstExchPosMs < 0) this.firstExchPosMs = nowMs;
      m.haveExchPos = true;
      // a changed exchange position ends an in-flight taker
      if (m.takerUntilMs >= 0 && v !== m.takerPosAtCenti) m.takerUntilMs = -1;
      m.exchPosCenti = v;
      m.localPosCenti = v;
    } else {
      m.localPosCenti = v;
    }
    this.positionChanged(m, before, nowMs);
    this.decide(m, nowMs, 'position');
    return this.fx;
  }

  onWorkingOrders(wo: kmm.v1.IWorkingOrders, nowMs: number): Effects {
    this.begin(nowMs);
    const m = wo.market ? this.markets.get(wo.market) : undefined;
    if (m === undefined) return this.fx;
    m.restingBidCenti = Number(wo.restingBidCenti ?? 0);
    m.restingAskCenti = Number(wo.restingAskCenti ?? 0);
    m.execPosKnown = wo.positionKnown === true;
    m.execPosCenti = Number(wo.positionCenti ?? 0);
    m.execRoomBidCenti = Number(wo.roomBidCenti ?? 0);
    m.execRoomAskCenti = Number(wo.roomAskCenti ?? 0);
    const seq = Number(wo.fillSeq ?? 0);
    if (seq > 0) m.fillSeq = seq;
    this.decide(m, nowMs, 'working_orders');
    return this.fx;
  }

  onReject(rej: kmm.v1.IOrderReject, nowMs: number): Effects {
    this.begin(nowMs);
    const m = rej.market ? this.markets.get(rej.market) : undefined;
    if (m === undefined) return this.fx;
    if (rej.code === kmm.v1.RejectCode.RISK || rej.code === kmm.v1.RejectCode.EVENT_LOSS_OVER_ALLOWANCE || rej.code === kmm.v1.RejectCode.INSUFFICIENT_BALANCE) {
      this.ops('order_rejected', m.market, 'warn', { code: kmm.v1.RejectCode[rej.code ?? 0], message: rej.message ?? '', side: rej.side ?? 0, price: rej.price ?? 0 });
    }
    // exec refused our taker (no tokens, cap): it is not in flight; decide again at once
    if (m.takerUntilMs >= 0 && !rej.clientOrderId && rej.side === m.takerSide && rej.price === m.takerLimitPrice) {
      m.takerUntilMs = -1;
      m.takerRetryAtMs = nowMs + this.p.kmm_taker_cooldown_ms;
      this.decide(m, nowMs, 'taker_refused');
    }
    return this.fx;
  }

  onAck(_ack: kmm.v1.IOrderAck, nowMs: number): Effects {
    this.begin(nowMs);
    return this.fx;
  }

  onMarketInfo(info: kmm.v1.IMarketInfo, nowMs: number): Effects {
    this.begin(nowMs);
    const m = this.upsertMarket(info);
    if (m) this.decide(m, nowMs, 'market_info');
    return this.fx;
  }

  onMarketTrust(t: kmm.v1.IMarketTrust, nowMs: number): Effects {
    this.begin(nowMs);
    const m = t.market ? this.markets.get(t.market) : undefined;
    if (m === undefined) return this.fx;
    const st = t.state ?? 0;
    if (st === STALE && m.trust !== STALE) m.staleSinceMs = nowMs;
    if (st !== STALE) m.staleSinceMs = -1;
    m.trust = st;
    this.decide(m, nowMs, 'trust');
    return this.fx;
  }

  onConnection(ev: kmm.v1.IConnectionEvent, nowMs: number): Effects {
    this.begin(nowMs);
    const k = ev.kind ?? 0;
    if (k === kmm.v1.ConnectionEvent.Kind.DISCONNECTED) this.disconnected = true;
    else if (k === kmm.v1.ConnectionEvent.Kind.CONNECTED || k === kmm.v1.ConnectionEvent.Kind.RESUBSCRIBED) this.disconnected = false;
    this.decideAll(nowMs, 'connection');
    return this.fx;
  }

  onLifecycle(l: kmm.v1.ILifecycle, nowMs: number): Effects {
    this.begin(nowMs);
    const m = l.market ? this.markets.get(l.market) : undefined;
    if (m === undefined) return this.fx;
    switch (l.eventType) {
      case 'activated':
        m.status = kmm.v1.MarketStatus.MARKET_ACTIVE;
        break;
      case 'deactivated':
        m.status = kmm.v1.MarketStatus.MARKET_INACTIVE;
        break;
      case 'close_date_updated':
        if (Number(l.closeTsMs ?? 0) > 0) m.closeTimeMs = Number(l.closeTsMs);
        break;
      case 'determined':
        m.status = kmm.v1.MarketStatus.MARKET_DETERMINED;
        break;
      case 'settled':
        m.status = kmm.v1.MarketStatus.MARKET_FINALIZED;
        break;
      default:
        break;
    }
    if (l.priceRanges && l.priceRanges.length > 0) m.grid = this.gridFor(l.priceRanges, m.market);
    this.decide(m, nowMs, 'lifecycle');
    return this.fx;
  }

  /** External fair values from the shell's alpha feed (file or HTTP). */
  onExternalFairValues(values: readonly ExternalValue[], nowMs: number): Effects {
    this.begin(nowMs);
    for (const v of values) {
      const m = this.markets.get(v.market);
      if (m === undefined) continue;
      m.alphaFair = v.fairPrice > 0 && v.fairPrice < PRICE_ONE ? v.fairPrice : 0;
      m.alphaAtMs = nowMs;
      m.fundingBps = Number.isFinite(v.fundingBps) ? v.fundingBps : 0;
      const q = m.localPosCenti;
      if (q !== 0 && m.alphaRef === 0 && m.alphaFair > 0) m.alphaRef = m.alphaFair;
      this.decide(m, nowMs, 'alpha');
    }
    return this.fx;
  }

  onControl(c: kmm.v1.IControl, nowMs: number): Effects {
    this.begin(nowMs);
    const kind = c.kind ?? 0;
    const C = kmm.v1.ControlKind;
    switch (kind) {
      case C.PAUSE_QUOTING:
      case C.RESUME_QUOTING: {
        const on = kind === C.PAUSE_QUOTING;
        if (!c.markets || c.markets.length === 0) this.pausedAll = on;
        else for (const t of c.markets) { const m = this.markets.get(t); if (m) m.paused = on; }
        if (!on && (!c.markets || c.markets.length === 0)) for (const m of this.markets.values()) m.paused = false;
        this.ops(on ? 'quoting_paused' : 'quoting_resumed', '', 'info', { markets: c.markets ?? [], reason: c.reason ?? '' });
        this.decideAll(nowMs, 'control');
        break;
      }
      case C.FLATTEN:
        this.flatten(c.markets ?? [], nowMs, c.reason ?? '');
        break;
      case C.ACK_BREACH:
        if (this.readOnly) {
          this.readOnly = false;
          this.ops('startup_position_cap_breach_ack', '', 'warn', { status: 'TRADING_ENABLED', breached_markets: this.breached, reason: c.reason ?? 'operator acknowledged' });
          this.breached = [];
          this.decideAll(nowMs, 'control');
        }
        break;
      case C.CONFIG_UPDATE:
        this.configUpdate(c.json ?? '', nowMs);
        break;
      case C.RECONCILE:
        // exec has read the exchange (start-up reconcile, or it answers a restarted strategy) and
        // sent every market's position before this message: the start-up check may run.
        if (this.execReconciledMs < 0) this.execReconciledMs = nowMs;
        // exec (re)started and reconciled with the exchange: it holds no targets, and those sent
        // to its previous life are lost. Forget what was emitted so every market's target goes out again.
        for (const m of this.markets.values()) m.last.emitted = false;
        this.ops('targets_resent', '', 'info', { reason: c.reason ?? '' });
        this.decideAll(nowMs, 'exec_started');
        break;
      default:
        break;
    }
    return this.fx;
  }

  /** Periodic work (every 250 ms from the shell). */
  onTimer(nowMs: number): Effects {
    this.begin(nowMs);
    const p = this.p;
    // the start-up check changes every market's state: decide them all in this tick
    let all = false;
    if (!this.startupChecked) {
      // The check needs every position read from the exchange: exec's word that its start-up
      // reconcile sent them all, or a position for each market. It never runs on a timeout
      // (a check of 0 markets passed while position reads failed, and a breached position was
      // then traded without the operator's acknowledgement); past kmm_startup_wait_max_ms it
      // says what it is waiting for, and keeps waiting.
      let read = 0;
      for (const m of this.markets.values()) if (m.haveExchPos) read++;
      const allRead = this.execReconciledMs >= 0 || (read === this.markets.size && read > 0);
      const since = Math.max(this.firstExchPosMs, this.execReconciledMs);
      const settled = allRead && nowMs - since >= p.kmm_startup_settle_ms;
      if (settled) {
        this.startupCheck(nowMs);
        all = true;
      } else if (nowMs - this.startedAtMs >= p.kmm_startup_wait_max_ms && (this.startupWaitWarnMs < 0 || nowMs - this.startupWaitWarnMs >= Math.max(1000, p.kmm_startup_wait_max_ms))) {
        this.startupWaitWarnMs = nowMs;
        this.startupWaitWarnings++;
        this.ops('startup_check_waiting', '', 'warn', {
          message: `start-up cap check: waiting for positions (${read} of ${this.markets.size} markets read${this.execReconciledMs < 0 ? ', exec has not read the exchange yet' : ''}); no trading until then`,
          markets_read: read,
          markets: this.markets.size,
          waited_ms: nowMs - this.startedAtMs,
          warning: this.startupWaitWarnings,
        });
      }
    }
    if (nowMs - this.lastSelectionMs >= p.scanIntervalMs) this.select(nowMs);
    for (const m of this.markets.values()) {
      let due = all;
      if (m.takerUntilMs >= 0 && nowMs >= m.takerUntilMs) {
        m.takerUntilMs = -1;
        due = true;
      }
      // Book updates decide at once; the timer only covers what time alone changes (quote age,
      // time to close, cool-downs), so each market needs it at most every TIMER_DECIDE_MS: at
      // thousands of markets a full sweep every 250 ms was the strategy actor's main load.
      if ((m.selected || m.last.emitted) && (due || nowMs - m.timerDecidedMs >= TIMER_DECIDE_MS)) {
        m.timerDecidedMs = nowMs;
        this.decide(m, nowMs, 'timer');
      }
    }
    return this.fx;
  }

  // ------------------------------------------------------------------ internals

  private begin(nowMs: number): void {
    const fx = this.fx;
    fx.targets.length = 0;
    fx.takers.length = 0;
    fx.opsEvents.length = 0;
    fx.journal.length = 0;
    fx.controls.length = 0;
    if (this.startedAtMs < 0) this.startedAtMs = nowMs;
    if (this.lastSelectionMs === -Infinity) this.select(nowMs);
  }

  private ops(event: string, market: string, level: OpsLevel, fields: Record<string, unknown>): void {
    this.fx.opsEvents.push({ event, market, level, fields });
  }

  private gridFor(ranges: readonly kmm.v1.IPriceRange[], market: string): PriceGrid {
    const bands: PriceBand[] = [];
    let key = '';
    for (const r of ranges) {
      const b = { startPrice: r.startPrice ?? 0, endPrice: r.endPrice ?? 0, stepPrice: r.stepPrice ?? 0 };
      bands.push(b);
      key += `${b.startPrice}:${b.endPrice}:${b.stepPrice};`;
    }
    if (bands.length === 0) key = 'linear_cent';
    const hit = this.gridCache.get(key);
    if (hit) return hit;
    let grid: PriceGrid;
    try {
      grid = new PriceGrid(bands.length > 0 ? bands : LINEAR_CENT);
    } catch (e) {
      this.ops('market_info_invalid', market, 'error', { field: 'price_ranges', error: (e as Error).message, fallback: 'LINEAR_CENT' });
      return this.gridFor([], market);
    }
    this.gridCache.set(key, grid);
    return grid;
  }

  private upsertMarket(info: kmm.v1.IMarketInfo): MarketState | undefined {
    const t = info.market;
    if (!t) return undefined;
    let m = this.markets.get(t);
    if (m === undefined) {
      if (this.markets.size >= MARKETS_MAX) {
        this.ops('market_list_overflow', t, 'warn', { limit: MARKETS_MAX });
        return undefined;
      }
      m = new MarketState(t, info, this.gridFor(info.priceRanges ?? [], t));
      this.markets.set(t, m);
      return m;
    }
    m.info = info;
    if (info.priceRanges && info.priceRanges.length > 0) m.grid = this.gridFor(info.priceRanges, t);
    m.fees = { feeType: info.feeType || 'quadratic', multiplierMilli: info.feeMultiplierMilli ?? 1000 };
    if (Number(info.closeTimeMs ?? 0) > 0) m.closeTimeMs = Number(info.closeTimeMs);
    if (info.status !== undefined && info.status !== null) m.status = info.status;
    return m;
  }

  private positionChanged(m: MarketState, beforeCenti: number, nowMs: number): void {
    const q = m.localPosCenti;
    if (q === 0) m.alphaRef = 0;
    else if (beforeCenti === 0 || Math.sign(beforeCenti) !== Math.sign(q)) m.alphaRef = this.alphaFresh(m, nowMs) ? m.alphaFair : 0;
  }

  private alphaFresh(m: MarketState, nowMs: number): boolean {
    return m.alphaFair > 0 && m.alphaAtMs >= 0 && nowMs - m.alphaAtMs <= this.p.kmm_alpha_max_age_ms;
  }

  private alphaSkewTicks(m: MarketState, nowMs: number): number {
    if (!this.alphaFresh(m, nowMs) || !m.features) return 0;
    const f = m.features;
    const bb = f.bestBid ?? 0;
    const ba = f.bestAsk ?? 0;
    if (bb <= 0 || ba <= 0) return 0;
    const mid = f.mid && f.mid > 0 ? f.mid : (bb + ba) / 2;
    const tick = m.grid.tickAt(mid);
    const p = this.p;
    const ticks = Math.round((p.kmm_alpha_weight * (m.alphaFair - mid)) / tick);
    const cap = Math.floor(p.alphaMaxSkewPrice / tick);
    return ticks > cap ? cap : ticks < -cap ? -cap : ticks;
  }

  /** Event skew of a market in a mutually exclusive event (event-skew.ts), ticks; 0 otherwise. */
  private eventSkew(m: MarketState): number {
    const ev = m.info.eventTicker ?? '';
    if (this.p.kmm_event_skew_ticks <= 0 || !ev || m.info.mutuallyExclusive !== true) return 0;
    const peers = this.eventScratch;
    peers.length = 0;
    for (const x of this.markets.values()) {
      if (x.info.eventTicker === ev && x.info.mutuallyExclusive === true) peers.push({ market: x.info.market ?? '', positionCenti: x.localPosCenti });
    }
    return eventSkewTicks(m.info.market ?? '', peers, this.p.kmm_event_skew_ticks, this.p.longCapCenti);
  }
  private readonly eventScratch: EventPosition[] = [];

  /** '' when the market may trade; HOLD to keep the last target; otherwise the stop reason. */
  private stopReason(m: MarketState, nowMs: number): string {
    if (!this.startupChecked) return 'startup_check_pending';
    if (this.readOnly) return 'read_only';
    if (!m.selected) return 'not_selected';
    if (!isTradable(m.status)) return 'market_not_active';
    if (m.closeTimeMs > 0 && nowMs >= m.closeTimeMs) return 'market_closed';
    if (this.disconnected) return 'disconnected';
    const f = m.features;
    if (f === null) return 'no_book';
    if (m.trust === UNTRUSTED || f.trust === UNTRUSTED) return 'untrusted_book';
    if (m.trust === STALE || f.trust === STALE) {
      if (m.staleSinceMs < 0) m.staleSinceMs = nowMs;
      if (!this.p.MM_CANCEL_ON_STALE_BOOK) return HOLD;
      return nowMs - m.staleSinceMs >= this.p.staleGraceMs ? 'stale_book' : HOLD;
    }
    m.staleSinceMs = -1;
    const trusted = f.trust === TRUSTED || ((f.trust ?? 0) === 0 && m.trust === TRUSTED);
    if (!trusted) return 'untrusted_book';
    return '';
  }

  private decideAll(nowMs: number, trigger: string): void {
    for (const m of this.markets.values()) if (m.selected || m.last.emitted) this.decide(m, nowMs, trigger);
  }

  private decide(m: MarketState, nowMs: number, trigger: string): void {
    const p = this.p;
    const qr = this.qr;
    const cand = this.cand;
    const stop = this.stopReason(m, nowMs);
    if (stop === HOLD) return;
    cand.reset(stop);
    let nBid = 0;
    let nAsk = 0;
    const f = m.features;
    if (f !== null && (f.mid ?? 0) > 0) m.markout.evaluate(nowMs, f.mid as number, m.grid.tickAt(f.mid as number));
    if (stop === '' && f !== null) {
      // operator pause stops making; risk-reducing takers still run
      const makerPaused = this.pausedAll || m.paused;
      this.takers(m, f, nowMs, makerPaused);
      const close = closePhase(m.closeTimeMs, nowMs, p);
      if (makerPaused) cand.reset('paused');
      else {
        this.fillInputs(m, f, nowMs);
        // jump and schedule protection (jump.ts), after the takers, which still reduce; a sweep
        // pull leaves the side that reduces a position at its cap quoted (as computeQuotes' gates)
        const sweeping = nowMs < m.sweepUntilMs;
        const reducingBid = reducingAtCap(this.inp, true);
        const reducing = reducingBid || reducingAtCap(this.inp, false);
        const held = sweeping && !reducing ? 'sweep_pull' : close === 'stop' ? 'close_stop' : '';
        if (held === '') {
          computeQuotes(p, this.inp, qr, null);
          if (!qr.ok && qr.reason === 'one_sided_book') this.reducingOnOneSidedBook(m, f);
          if (sweeping && qr.ok) qr.pauseAddingSide(reducingBid, 'sweep_pull');
        }
        if (held !== '') cand.reset(held);
        else if (!qr.ok) cand.reset(qr.reason);
        else {
          nBid = qr.nBid;
          nAsk = qr.nAsk;
          cand.bidPaused = qr.bidPaused;
          cand.askPaused = qr.askPaused;
          cand.bidReason = qr.bidReason;
          cand.askReason = qr.askReason;
          const gridModel = p.kmm_pricing_model === 'grid';
          if (p.QUEUE_OPTIMIZATION_ENABLED) {
            queueOptimise(p, this.inp, qr, nBid, nAsk, cand.queue, this.queueOut, !gridModel);
            nBid = this.queueOut.nBid;
            nAsk = this.queueOut.nAsk;
            if (this.holdYield(m, f, true, cand.queue)) nBid = 0;
            if (this.holdYield(m, f, false, cand.queue)) nAsk = 0;
          } else m.yieldBid = m.yieldAsk = false;
          // queue decisions exec carries out at once (TargetQuotes level queue_move): the grid
          // model's join / step inside, the 002 models' v2 move to the front
          cand.bidQueueMove = nBid > 0 && (gridModel ? qr.bidPlace === PLACE_JOIN || qr.bidPlace === PLACE_STEP_IN : cand.queue.includes('front_bid'));
          cand.askQueueMove = nAsk > 0 && (gridModel ? qr.askPlace === PLACE_JOIN || qr.askPlace === PLACE_STEP_IN : cand.queue.includes('front_ask'));
          if (close === 'widen') {
            // before the close every level steps back from the touch: no queue decision is left
            nBid = widenSide(m.grid, qr.bidPrices, nBid, p.kmm_close_widen_ticks, true);
            nAsk = widenSide(m.grid, qr.askPrices, nAsk, p.kmm_close_widen_ticks, false);
            cand.bidQueueMove = cand.askQueueMove = false;
            cand.closeWidenTicks = p.kmm_close_widen_ticks;
          }
          // a reducing taker in flight: the side that would add back to the position rests,
          // the reducing side keeps working it off (issue 13: never pull the reducing quote)
          if (m.takerUntilMs >= 0 && m.takerReducing) {
            const addingIsBid = m.takerSide === ASK; // selling down a long: bids would re-add
            cand.pauseSide(addingIsBid, 'taker_in_flight');
            if (addingIsBid) nBid = 0;
            else nAsk = 0;
          }
          nBid = this.gate(m, true, nBid, nowMs);
          nAsk = this.gate(m, false, nAsk, nowMs);
          if (qr.invBand === 3 && !m.hardBand) {
            m.hardBand = true;
            this.ops('inventory_hard_band', m.market, 'warn', { position: m.localPosCenti / CENTI, band_pct: p.MM_INVENTORY_HARD_PCT });
          } else if (qr.invBand < 3) m.hardBand = false;
        }
      }
    }
    if (!cand.quoting) {
      nBid = nAsk = 0;
      cand.stopAll(cand.stop);
    }
    this.maybeEmit(m, nBid, nAsk, nowMs, trigger);
    this.decideDeferred(nowMs);
  }

  /**
   * The v2 yield on one side: a yield this decision starts it; a side already yielded stays
   * pulled while the OFI against it is at least half the toxic threshold (the hysteresis that
   * keeps the yield from churning: with the order gone there is no queue estimate, so without
   * it the next decision re-placed the quote and the one after yielded it again, issue 17).
   * Never on the side that reduces a position at or over its cap. Returns true: pull the side.
   */
  private holdYield(m: MarketState, f: kmm.v1.IBookFeatures, isBid: boolean, actions: readonly string[]): boolean {
    const started = actions.includes(isBid ? 'yield_bid' : 'yield_ask');
    let on = isBid ? m.yieldBid : m.yieldAsk;
    if (started) on = true;
    else if (on && (!toxicAgainst(this.p, f.ofi ?? 0, isBid, 0.5) || reducingAtCap(this.inp, isBid))) on = false;
    if (isBid) m.yieldBid = on;
    else m.yieldAsk = on;
    if (on) this.cand.pauseSide(isBid, 'queue_yield');
    return on;
  }

  /** Decides the markets a decision queued (decide's scratch state is shared: never nested). */
  private decideDeferred(nowMs: number): void {
    if (this.draining || this.deferred.length === 0) return;
    this.draining = true;
    for (let o = this.deferred.shift(); o !== undefined; o = this.deferred.shift()) this.decide(o, nowMs, 'toxicity_close_all');
    this.draining = false;
  }

  /**
   * A sweep or jump in this update (jump.ts detectSweep) pulls the market's quotes for
   * kmm_sweep_pull_ms (a new one restarts the time); the ops event says what was seen.
   */
  private observeSweep(m: MarketState, prev: kmm.v1.IBookFeatures | null, f: kmm.v1.IBookFeatures, nowMs: number): void {
    const pullMs = this.p.kmm_sweep_pull_ms;
    if (pullMs <= 0) return;
    const sw = detectSweep(prev, f, m.grid, this.p);
    if (sw === null) return;
    m.sweepUntilMs = nowMs + pullMs;
    this.ops('sweep_pull', m.market, 'info', {
      kind: sw.kind,
      book_side: sw.bookSide,
      [sw.kind === 'trade_through' ? 'levels' : 'cents']: sw.size,
      price: sw.price,
      from_price: sw.fromPrice,
      pull_ms: pullMs,
      until_ms: m.sweepUntilMs,
    });
  }

  private fillInputs(m: MarketState, f: kmm.v1.IBookFeatures, nowMs: number): void {
    const inp = this.inp;
    const p = this.p;
    inp.grid = m.grid;
    inp.f = f;
    inp.positionCenti = m.localPosCenti;
    inp.longCapCenti = p.longCapCenti;
    inp.shortCapCenti = p.shortCapCenti;
    inp.timeToCloseMs = m.closeTimeMs > 0 ? m.closeTimeMs - nowMs : Infinity;
    inp.alphaSkewTicks = this.alphaSkewTicks(m, nowMs) + this.eventSkew(m);
    inp.fundingBps = this.alphaFresh(m, nowMs) || m.alphaAtMs >= 0 ? m.fundingBps : 0;
    inp.liquidityMoney = liquidityMoney(m.info, f);
    // the book shard's estimate over every public trade; its prior before the book has sent one
    const kappa = Number(f.kappaPerTick ?? 0);
    inp.kappaPerTick = kappa > 0 ? kappa : p.order_arrival_k;
    inp.adverseFloorPrice = m.markout.floorPrice;
    inp.fees = m.fees;
    const last = m.last;
    inp.lastBidPrice = last.emitted && !last.bidPaused && last.nBid > 0 ? last.bidPrices[0] : 0;
    inp.lastAskPrice = last.emitted && !last.askPaused && last.nAsk > 0 ? last.askPrices[0] : 0;
  }

  /**
   * A one-sided book stops quoting (no mid, no fair value), except the side that reduces a
   * position at or over its cap: it keeps its last levels, or joins its own side's touch, so the
   * position can still be worked off (issue 13: a thin market's bid side flickering empty kept the
   * reducing ask dark a quarter of the time at the cap). The other side stays paused.
   */
  private reducingOnOneSidedBook(m: MarketState, f: kmm.v1.IBookFeatures): void {
    const qr = this.qr;
    const q = m.localPosCenti;
    const reduceWithAsk = reducingAtCap(this.inp, false);
    const reduceWithBid = reducingAtCap(this.inp, true);
    if (!reduceWithAsk && !reduceWithBid) return;
    const isBid = reduceWithBid;
    const last = m.last;
    const prices = isBid ? qr.bidPrices : qr.askPrices;
    const sizes = isBid ? qr.bidSizes : qr.askSizes;
    let n = isBid ? last.nBid : last.nAsk;
    if (n > 0) {
      const lp = isBid ? last.bidPrices : last.askPrices;
      const ls = isBid ? last.bidSizes : last.askSizes;
      for (let i = 0; i < n; i++) {
        prices[i] = lp[i];
        sizes[i] = ls[i];
      }
    } else {
      const touch = isBid ? f.bestBid ?? 0 : f.bestAsk ?? 0;
      if (touch <= 0) return;
      prices[0] = touch;
      sizes[0] = Math.min(this.p.quoteSizeCenti, Math.abs(q));
      n = 1;
    }
    qr.ok = true;
    // no fair value without both sides: the level itself stands in (edge 0 in the target)
    qr.mid = qr.fair = qr.reservation = prices[0];
    qr.nBid = isBid ? n : 0;
    qr.nAsk = isBid ? 0 : n;
    qr.bidPaused = !isBid;
    qr.askPaused = isBid;
    qr.bidReason = isBid ? '' : 'one_sided_book';
    qr.askReason = isBid ? 'one_sided_book' : '';
  }

  /** Risk-gates one side of this.qr in place; returns the level count kept. */
  private gate(m: MarketState, isBid: boolean, n: number, nowMs: number): number {
    const p = this.p;
    const qr = this.qr;
    const out = isBid ? this.gateBid : this.gateAsk;
    const kept = gateSide(
      {
        isBid,
        exchangePositionCenti: m.exchPosCenti,
        localPositionCenti: m.localPosCenti,
        restingSameCenti: isBid ? m.restingBidCenti : m.restingAskCenti,
        prevTargetCenti: isBid ? m.last.bidTotalCenti : m.last.askTotalCenti,
        capCenti: isBid ? p.longCapCenti : p.shortCapCenti,
        positionNotionalMoney: p.positionNotionalMoney,
        bailoutCapCenti: this.makerBailoutCap(m, isBid, nowMs),
        execPositionCenti: m.execPosKnown ? m.execPosCenti : NaN,
        execAcceptsCenti: m.execPosKnown ? (isBid ? m.restingBidCenti + m.execRoomBidCenti : m.restingAskCenti + m.execRoomAskCenti) : Infinity,
      },
      isBid ? qr.bidPrices : qr.askPrices,
      isBid ? qr.bidSizes : qr.askSizes,
      n,
      out,
    );
    const prev = isBid ? m.bidBlock : m.askBlock;
    if (out.blocked) {
      this.cand.pauseSide(isBid, 'risk_block');
      if (out.reason !== prev) {
        const fields: Record<string, unknown> = {
          market: m.market,
          exchange_position: m.exchPosCenti / CENTI,
          reason: out.reason,
          max_pos: out.effectiveCapCenti / CENTI,
          resting_same_direction: (isBid ? m.restingBidCenti : m.restingAskCenti) / CENTI,
          gating_position: out.positionCenti / CENTI,
        };
        if (isBid) fields.bid_intended_delta = out.intendedCenti / CENTI;
        else fields.ask_intended_delta = -out.intendedCenti / CENTI;
        // the bailout threshold stopping the maker is the plan working, not a warning
        this.ops(isBid ? 'risk_block_bid_side' : 'risk_block_ask_side', m.market, out.bailoutCap ? 'info' : 'warn', fields);
        if (out.hardBlock && !out.bailoutCap && Math.abs(m.exchPosCenti) >= out.effectiveCapCenti) {
          this.ops('risk_hard_block_exchange_pos', m.market, 'warn', {
            market: m.market,
            exchange_position: m.exchPosCenti / CENTI,
            max_pos: out.effectiveCapCenti / CENTI,
            side: isBid ? 'BID' : 'ASK',
            reason: out.reason,
          });
        }
      }
      if (isBid) m.bidBlock = out.reason;
      else m.askBlock = out.reason;
    } else if (isBid) m.bidBlock = '';
    else m.askBlock = '';
    return kept;
  }

  /**
   * The maker's cap in the side's direction under impulse control (taker.ts makerBailoutCapCenti):
   * at or below the bailout threshold q*, so maker fills never build a position the bailout would
   * at once sell at a loss (issue 13: the taker churned cap to cap). Infinity when it does not apply.
   */
  private makerBailoutCap(m: MarketState, isBid: boolean, nowMs: number): number {
    const f = m.features;
    if (f === null) return Infinity;
    const raw = makerBailoutCapCenti(this.p, m, f, nowMs, this.alphaSkewTicks(m, nowMs), isBid, this.boMaker);
    if (isBid) return (m.makerCapLongCenti = latchMakerCap(raw, m.makerCapLongCenti));
    return (m.makerCapShortCenti = latchMakerCap(raw, m.makerCapShortCenti));
  }

  /** Taker decisions for one market (taker.ts chooseTaker; at most one in flight). */
  private takers(m: MarketState, f: kmm.v1.IBookFeatures, nowMs: number, makerPaused: boolean): void {
    if (m.takerUntilMs >= 0 || nowMs < m.takerRetryAtMs) return;
    const ctx = this.takerCtx;
    ctx.alphaFresh = this.alphaFresh(m, nowMs);
    ctx.alphaSkewTicks = this.alphaSkewTicks(m, nowMs);
    ctx.makerPaused = makerPaused;
    const t = chooseTaker(this.p, m, f, nowMs, ctx, this.bo);
    if (t === null) return;
    this.emitTaker(m, t.side, t.sizeCenti, t.reason, t.reduceOnly, f.bestBid ?? 0, f.bestAsk ?? 0, nowMs, t.why);
    if (t.reason === kmm.v1.TakerReason.TOXICITY) this.toxicityCloseAll(m, nowMs);
  }

  /**
   * 001 toxicity spike -> Market_Close_All: the spike in `src` (its own taker is already out)
   * closes every other market's position too, by reduce-only IOC takers at the touch. A market
   * whose reducing taker is already in flight keeps it; one without a two-sided book, or not
   * trading, is named in the ops event as not closed. The markets closed are decided again once
   * this decision is done (decideDeferred), so their adding side rests while their taker is in flight.
   */
  private toxicityCloseAll(src: MarketState, nowMs: number): void {
    const closing: string[] = [src.market];
    const notClosed: Array<{ market: string; position: number; reason: string }> = [];
    for (const o of this.markets.values()) {
      if (o === src) continue;
      const q = conservativeReducePosition(o.exchPosCenti, o.localPosCenti);
      if (q === 0) continue;
      if (o.takerUntilMs >= 0 && o.takerReducing) {
        closing.push(o.market);
        continue;
      }
      const f = o.features;
      const bb = f?.bestBid ?? 0;
      const ba = f?.bestAsk ?? 0;
      let why = '';
      if (!isTradable(o.status) || (o.closeTimeMs > 0 && nowMs >= o.closeTimeMs)) why = 'market_not_active';
      else if (bb <= 0 || ba <= 0 || bb >= ba) why = 'no_two_sided_book';
      // the limit comes from the touch: never from a book we do not trust
      else if (o.trust === UNTRUSTED || o.trust === STALE || f?.trust === UNTRUSTED || f?.trust === STALE) why = 'book_not_trusted';
      const size = reduceSize(q, 0, this.p.orderMaxCenti);
      if (why === '' && size <= 0) why = 'size_zero';
      if (why !== '') {
        notClosed.push({ market: o.market, position: q / CENTI, reason: why });
        continue;
      }
      o.takerUntilMs = -1;
      this.emitTaker(o, q > 0 ? ASK : BID, size, kmm.v1.TakerReason.TOXICITY, true, bb, ba, nowMs, { position: q / CENTI, trigger_market: src.market, close_all: true });
      closing.push(o.market);
      this.deferred.push(o);
    }
    this.ops('toxicity_close_all', src.market, 'warn', { trigger_market: src.market, closing, not_closed: notClosed });
  }

  private emitTaker(
    m: MarketState,
    side: number,
    sizeCenti: number,
    reason: kmm.v1.TakerReason,
    reduceOnly: boolean,
    bestBid: number,
    bestAsk: number,
    nowMs: number,
    why: Record<string, unknown>,
  ): void {
    const limit = takerLimit(m.grid, side, bestBid, bestAsk, this.p.takerSlippagePrice);
    if (limit <= 0) return;
    const id = this.nextDecisionId++;
    this.fx.takers.push({
      market: m.market,
      side,
      limitPrice: limit,
      countCenti: sizeCenti,
      tif: kmm.v1.TimeInForce.IMMEDIATE_OR_CANCEL,
      reason,
      reduceOnly,
      decisionId: id,
    });
    m.takerUntilMs = nowMs + this.p.kmm_taker_cooldown_ms;
    m.takerPosAtCenti = m.exchPosCenti;
    m.takerReducing = reduceOnly;
    m.takerSide = side;
    m.takerLimitPrice = limit;
    this.ops('taker_intent', m.market, reason === kmm.v1.TakerReason.ARBITRAGE ? 'info' : 'warn', {
      decision_id: id,
      reason: kmm.v1.TakerReason[reason],
      side: side === BID ? 'BID' : 'ASK',
      count: sizeCenti / CENTI,
      limit_price: limit,
      ...why,
    });
  }

  private flatten(markets: readonly string[], nowMs: number, why: string): void {
    const list = markets.length > 0 ? markets : [...this.markets.keys()];
    for (const t of list) {
      const m = this.markets.get(t);
      if (!m) continue;
      m.paused = true;
      const q = conservativeReducePosition(m.exchPosCenti, m.localPosCenti);
      if (q === 0) continue;
      const f = m.features;
      const bb = f?.bestBid ?? 0;
      const ba = f?.bestAsk ?? 0;
      if (bb <= 0 || ba <= 0) {
        this.ops('flatten_no_book', t, 'error', { position: q / CENTI });
        continue;
      }
      const size = reduceSize(q, 0, this.p.orderMaxCenti);
      if (size > 0) {
        m.takerUntilMs = -1;
        this.emitTaker(m, q > 0 ? ASK : BID, size, kmm.v1.TakerReason.FLATTEN, true, bb, ba, nowMs, { position: q / CENTI, operator_reason: why });
      }
    }
    this.decideAll(nowMs, 'control');
  }

  private configUpdate(json: string, nowMs: number): void {
    let update: unknown;
    try {
      update = JSON.parse(json);
    } catch (e) {
      this.ops('config_update_rejected', '', 'warn', { error: `invalid JSON: ${(e as Error).message}` });
      return;
    }
    if (update === null || typeof update !== 'object' || Array.isArray(update)) {
      this.ops('config_update_rejected', '', 'warn', { error: 'expected a JSON object of key -> value' });
      return;
    }
    const rec = update as Record<string, unknown>;
    // The registry decides what may change while running (its liveSafe flags), for every actor.
    const notLive = Object.keys(rec).filter((k) => SPEC_BY_KEY.get(k)?.liveSafe === false);
    if (notLive.length > 0) {
      this.ops('config_update_rejected', '', 'warn', { error: 'not live-safe', keys: notLive });
      return;
    }
    const r = validateLiveChange(this.p.source, rec, 'control');
    if (!r.ok) {
      this.ops('config_update_rejected', '', 'warn', { error: r.errors.map((e) => e.message).join('; ') });
      return;
    }
    this.p = strategyParamsOf(r.values);
    this.ops('config_updated', '', 'info', { keys: r.changes.map((c) => c.key) });
    this.decideAll(nowMs, 'config');
  }

  private startupCheck(nowMs: number): void {
    this.startupChecked = true;
    const pos: Array<[string, number]> = [];
    for (const m of this.markets.values()) if (m.haveExchPos) pos.push([m.market, m.exchPosCenti]);
    const br = startupBreaches(pos, this.p.longCapCenti, this.p.shortCapCenti);
    if (br.length > 0) {
      this.readOnly = true;
      this.breached = br;
      this.ops('startup_position_cap_breach', '', 'error', {
        status: 'TRADING_DISABLED',
        reason: 'Already holding positions over max_pos cap at startup',
        max_pos: this.p.MM_MAX_POS,
        max_long_pos: this.p.longCapCenti / CENTI,
        max_short_pos: this.p.shortCapCenti / CENTI,
        breached_markets: br,
        action_required: 'Manually review positions and acknowledge (./kmm ack-breach or the dashboard) to re-enable trading',
      });
      this.fx.controls.push({ peer: 'exec', control: { kind: kmm.v1.ControlKind.CANCEL_ALL, markets: [], reason: 'startup_position_cap_breach' } });
    } else {
      this.ops('startup_position_check_ok', '', 'info', { markets_checked: pos.length, waited_ms: nowMs - this.startedAtMs });
    }
  }

  /** 002 market selection (selection.ts); tells ingest what to add and remove. */
  private select(nowMs: number): void {
    this.lastSelectionMs = nowMs;
    const sel = selectMarkets(this.markets, this.subscribed, this.p, nowMs);
    const empty = sel.counts.eligible === 0 && this.markets.size > 0;
    if (empty && !this.selectionEmptyWarned) {
      const c = sel.counts;
      this.ops('market_selection_empty', '', 'warn', { markets: this.markets.size, not_active: c.notActive, beyond_max_time_to_resolution: c.beyondMaxTimeToResolution, below_min_liquidity: c.belowMinLiquidity, below_min_volume: c.belowMinVolume });
    }
    this.selectionEmptyWarned = empty;
    for (const m of this.markets.values()) m.selected = sel.chosen.has(m.market);
    for (const info of sel.added) this.subscribed.add(info.market as string);
    for (const t of sel.removed) this.subscribed.delete(t);
    const { added, removed } = sel;
    if (added.length > 0) this.fx.controls.push({ peer: 'ingest', control: { kind: kmm.v1.ControlKind.ADD_MARKETS, markets: added.map((i) => i.market as string), json: JSON.stringify(added), reason: 'market_selection' } });
    if (removed.length > 0) this.fx.controls.push({ peer: 'ingest', control: { kind: kmm.v1.ControlKind.REMOVE_MARKETS, markets: removed, reason: 'market_selection' } });
    if (added.length > 0 || removed.length > 0) {
      this.ops('market_selection', '', 'info', { selected: [...sel.chosen].sort(), added: added.map((i) => i.market), removed, max_markets: sel.limit });
    }
  }

  /** Emits the candidate (this.cand, this.qr levels) if emission.ts says so; journals it. */
  private maybeEmit(m: MarketState, nBid: number, nAsk: number, nowMs: number, trigger: string): void {
    const p = this.p;
    const bestBid = m.features?.bestBid ?? 0;
    const bestAsk = m.features?.bestAsk ?? 0;
    const action = emitAction(m.last, this.cand, this.qr, nBid, nAsk, bestBid, bestAsk, p, nowMs);
    if (action === 'hold') return;
    const target = buildTarget(m.market, this.cand, this.qr, nBid, nAsk, action === 'refresh', this.nextDecisionId++, bestBid, bestAsk);
    if (m.fillSeq > 0) target.afterFillSeq = m.fillSeq;
    this.fx.targets.push(target);
    recordEmitted(m.last, this.cand, this.qr, nBid, nAsk, nowMs);
    if (p.MM_JOURNAL_REPRICE_DECISIONS) this.journal(m, target, nowMs, trigger);
  }

  /** Rebuilds the decision with a trace (same inputs, deterministic) only when journaling. */
  private journal(m: MarketState, target: kmm.v1.ITargetQuotes, nowMs: number, trigger: string): void {
    const steps: Trace = [];
    const f = m.features;
    if (!this.cand.quoting) steps.push(['stop', this.cand.stop]);
    else if (f) {
      this.fillInputs(m, f, nowMs);
      computeQuotes(this.p, this.inp, this.qrTrace, steps);
    }
    this.fx.journal.push(
      decisionRecord(
        {
          market: m.market,
          nowMs,
          trigger,
          exchPosCenti: m.exchPosCenti,
          localPosCenti: m.localPosCenti,
          restingBidCenti: m.restingBidCenti,
          restingAskCenti: m.restingAskCenti,
          steps,
          gateBid: this.gateBid,
          gateAsk: this.gateAsk,
          queue: this.cand.queue,
        },
        target,
      ),
    );
  }
}
