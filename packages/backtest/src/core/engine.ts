/**
 * BacktestEngine: the live cores on one thread with a simulated clock.
 *
 *   capture frame (receive-time order) -> SimVenue (the market as recorded, our orders in it)
 *                                      -> IngestCore (seq checks, trust) -> BookShardCore
 *   BookShardCore -> StrategyCore -> ExecCore -> command at the venue after the order-entry
 *   latency -> result back to ExecCore one latency later; venue fills reach ExecCore (as the
 *   websocket `fill`, `market_positions` and `user_orders` would) after the feed latency.
 *
 * Messages between cores go through an in-order bus (no hop latency: the live hops are
 * microseconds); book features are conflated per bus drain, as the book shell does per mailbox
 * drain. Timers fire at their period on the simulated clock: strategy 250 ms, exec 100 ms,
 * ingest 1 s. Frames of the recorded run's own account (fill, user_orders, market_positions)
 * never reach the cores: our simulated orders replace them; user_orders only tell the venue
 * which displayed size was the recorded run's own.
 *
 * Determinism: no wall clock, no randomness except the seeded Rng given to ingest; the event
 * heap orders by (time, insertion sequence). Same capture, config and seed -> same outputs.
 * Limits: EVENTS_PENDING_MAX pending events (an assertion: more means a feedback loop).
 */
import { kmm, SimClock, SeededRng, type EnvelopeBody } from '@kmm/shared';
import { IngestCore, ingestParamsFrom, type Frame, type IngestSink } from '@kmm/ingest-worker/core';
import { BookShardCore, bookParamsFrom, type BookSink } from '@kmm/book-worker/core';
import { StrategyCore, parseParams, type Effects as StrategyEffects } from '@kmm/strategy-worker/core';
import { ExecCore, execParamsFrom, type CommandResult, type Effects as ExecEffects, type ExecCommand, type JournalRecord, type TapeRow, type ReadRequest } from '@kmm/exec-worker/core';
import { SimVenue, type VenueFill, type VenueResult, type OrderSummary } from './venue.js';
import type { QueueModel } from './queue-models.js';

const CK = kmm.v1.CommandKind;
const RC = kmm.v1.RejectCode;
export const EVENTS_PENDING_MAX = 1_000_000;
export const STRATEGY_TICK_MS = 250;
export const EXEC_TICK_MS = 100;
export const INGEST_TICK_MS = 1000;
export const EQUITY_SAMPLE_MS = 1000;
const BOOK_PEER = 'book.0';

export interface EngineSinks {
  journal(rec: JournalRecord, wallMs: number): void;
  tape(rows: readonly TapeRow[], wallMs: number): void;
  decision(rec: Record<string, unknown>, wallMs: number): void;
  ops(actor: string, event: string, market: string, level: string, fields: Record<string, unknown>, wallMs: number): void;
}

export interface EngineOptions {
  config: Record<string, unknown>;
  markets: kmm.v1.IMarketInfo[];
  model: QueueModel;
  /** one-way order-entry latency (ms): command reaches the venue after it, the result returns after it again */
  latencyMs: number;
  /** market data and fills reach our cores this long after the venue saw them (ms) */
  feedLatencyMs: number;
  seed: number;
  /** wall time of the first frame (ms) */
  startWallMs: number;
  sinks: EngineSinks;
}

const enum Ev {
  FRAME = 1,
  CMD = 2,
  RESULT = 3,
  READ = 4,
  FILL = 5,
  STRATEGY_TICK = 6,
  EXEC_TICK = 7,
  INGEST_TICK = 8,
  SAMPLE = 9,
}

interface Event {
  tNs: number;
  seq: number;
  kind: Ev;
  data: unknown;
}

/** Binary min-heap on (tNs, seq). */
class EventHeap {
  private a: Event[] = [];
  get size(): number {
    return this.a.length;
  }
  peekT(): number {
    return this.a.length > 0 ? this.a[0].tNs : Infinity;
  }
  push(e: Event): void {
    if (this.a.length >= EVENTS_PENDING_MAX) throw new Error(`backtest: more than ${EVENTS_PENDING_MAX} pending events`);
    const a = this.a;
    a.push(e);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (less(a[p], a[i])) break;
      [a[p], a[i]] = [a[i], a[p]];
      i = p;
    }
  }
  pop(): Event {
    const a = this.a;
    const top = a[0];
    const last = a.pop()!;
    if (a.length > 0) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && less(a[l], a[m])) m = l;
        if (r < a.length && less(a[r], a[m])) m = r;
        if (m === i) break;
        [a[m], a[i]] = [a[i], a[m]];
        i = m;
      }
    }
    return top;
  }
}
function less(x: Event, y: Event): boolean {
  return x.tNs < y.tNs || (x.tNs === y.tNs && x.seq < y.seq);
}

interface BusItem {
  to: string;
  body: EnvelopeBody;
  recvNs: number;
}

export interface EngineCounters {
  frames: number;
  ownFramesSkipped: number;
  events: number;
  busMessages: number;
  targets: number;
  takers: number;
  commands: number;
  opsEvents: number;
  peakPositionCenti: number;
}

export interface EquityPoint {
  wallMs: number;
  equityMoney: number;
}

export class BacktestEngine {
  readonly clock: SimClock;
  readonly venue: SimVenue;
  readonly ingest: IngestCore;
  readonly book: BookShardCore;
  readonly strategy: StrategyCore;
  readonly exec: ExecCore;
  readonly counters: EngineCounters = { frames: 0, ownFramesSkipped: 0, events: 0, busMessages: 0, targets: 0, takers: 0, commands: 0, opsEvents: 0, peakPositionCenti: 0 };
  readonly equity: EquityPoint[] = [];
  private readonly heap = new EventHeap();
  private readonly bus: BusItem[] = [];
  private busHead = 0;
  private seq = 0;
  private readonly latNs: number;
  private readonly feedNs: number;
  private busRecvNs = 0;
  private readonly sinks: EngineSinks;

  constructor(private readonly o: EngineOptions) {
    this.sinks = o.sinks;
    this.latNs = Math.round(o.latencyMs * 1e6);
    this.feedNs = Math.round(o.feedLatencyMs * 1e6);
    this.clock = new SimClock(o.startWallMs, 0);
    this.venue = new SimVenue(o.model, o.markets);
    const cfg = { ...o.config, kmm_shards: 1 };
    const ingestSink: IngestSink = {
      send: (peer, body) => this.post(peer, body),
      wsSend: () => {},
      dropConnection: (reason) => this.sinks.ops('ingest', 'drop_connection_ignored', '', 'warn', { reason }, this.clock.wallMs()),
      log: (level, event, fields) => {
        if (level !== 'info') this.sinks.ops('ingest', event, String(fields.market ?? ''), level, fields, this.clock.wallMs());
      },
      stat: () => {},
    };
    this.ingest = new IngestCore(ingestParamsFrom(cfg), 1, new SeededRng(o.seed), ingestSink, o.markets);
    const bookSink: BookSink = {
      send: (peer, body) => this.post(peer, body),
      log: (level, event, fields) => {
        if (level === 'warn' || level === 'error') this.sinks.ops(BOOK_PEER, event, String(fields.market ?? ''), level, fields, this.clock.wallMs());
      },
      stat: () => {},
      setStat: () => {},
    };
    this.book = new BookShardCore(bookParamsFrom(cfg), bookSink, o.markets);
    const sp = parseParams(cfg);
    if (!sp.ok) throw new Error(`strategy config invalid: ${sp.problems.join('; ')}`);
    this.strategy = new StrategyCore(sp.params, o.markets, { startMs: this.clock.wallMs() });
    this.exec = new ExecCore(execParamsFrom(cfg), { runId: `bt${o.seed}`, markets: o.markets, nowMs: 0, paper: true });
  }

  private schedule(tNs: number, kind: Ev, data: unknown): void {
    this.heap.push({ tNs, seq: ++this.seq, kind, data });
  }

  private post(to: string, body: EnvelopeBody): void {
    this.bus.push({ to, body, recvNs: this.busRecvNs });
  }

  private get nowNs(): number {
    return this.clock.monoNs();
  }
  private get nowMs(): number {
    return this.clock.monoNs() / 1e6;
  }

  /** Start-up at t=0: ingest connected, exec reconciles against the (empty) venue, timers armed. */
  start(): void {
    this.ingest.onConnected(0);
    this.drain();
    this.handleExec(this.exec.start(0, 0));
    this.schedule(STRATEGY_TICK_MS * 1e6, Ev.STRATEGY_TICK, null);
    this.schedule(EXEC_TICK_MS * 1e6, Ev.EXEC_TICK, null);
    this.schedule(INGEST_TICK_MS * 1e6, Ev.INGEST_TICK, null);
    this.schedule(0, Ev.SAMPLE, null);
  }

  /** One recorded frame received at tNs (relative to the run start). Events due before it run first. */
  frame(f: Frame, tNs: number): void {
    this.runUntil(tNs);
    this.advance(tNs);
    this.counters.frames++;
    const now = this.clock.wallMs();
    switch (f.kind) {
      case 'snapshot':
        this.venue.onSnapshot(f.body, now);
        break;
      case 'delta':
        this.venue.onDelta(f.body, now);
        break;
      case 'trade':
        this.venue.onTrade(f.body, now);
        break;
      case 'lifecycle':
        this.venue.onLifecycle(f.body, now);
        break;
      case 'user_order':
        this.venue.onRecordedOrder(f.body);
        this.counters.ownFramesSkipped++;
        return;
      case 'fill':
      case 'market_position':
        this.counters.ownFramesSkipped++;
        return;
      default:
        break;
    }
    this.venueFills(tNs);
    if (f.kind === 'lifecycle' && (f.body.eventType === 'determined' || f.body.eventType === 'settled')) {
      // the exchange's position after settlement is zero
      const m = f.body.market ?? '';
      if (this.venue.account(m)?.settled) this.schedule(tNs + this.feedNs, Ev.FILL, { position: { market: m, positionCenti: 0, fromExchange: true } });
    }
    if (this.feedNs === 0) this.coresFrame(f, tNs);
    else this.schedule(tNs + this.feedNs, Ev.FRAME, f);
  }

  /** Runs every event due up to and including tNs. */
  runUntil(tNs: number): void {
    while (this.heap.size > 0 && this.heap.peekT() <= tNs) {
      const e = this.heap.pop();
      this.advance(e.tNs);
      this.counters.events++;
      this.dispatch(e);
    }
  }

  /** End of the capture: run what is due up to endNs (timers included), then cancel everything. */
  finish(endNs: number): void {
    this.runUntil(endNs);
    this.advance(endNs);
    this.handleExec(this.exec.beginShutdown(this.nowMs));
    // let cancels reach the venue and results come back; timers are not re-armed past the end
    const stopNs = endNs + 4 * this.latNs + 1e9;
    this.stopping = true;
    this.runUntil(stopNs);
    this.advance(stopNs);
    this.sample();
  }
  private stopping = false;

  private advance(tNs: number): void {
    const d = tNs - this.clock.monoNs();
    if (d > 0) this.clock.advanceNs(d);
  }

  private dispatch(e: Event): void {
    const now = this.nowMs;
    switch (e.kind) {
      case Ev.FRAME:
        this.coresFrame(e.data as Frame, e.tNs);
        break;
      case Ev.CMD:
        this.atVenue(e.data as ExecCommand, e.tNs);
        break;
      case Ev.RESULT:
        this.handleExec(this.exec.onCommandResult(e.data as CommandResult, now));
        break;
      case Ev.READ:
        this.answerRead(e.data as ReadRequest);
        break;
      case Ev.FILL: {
        const b = e.data as EnvelopeBody;
        if (b.fill) this.handleExec(this.exec.onFill(b.fill, now, 'ws'));
        else if (b.position) this.handleExec(this.exec.onPosition(b.position, now));
        else if (b.orderAck) this.handleExec(this.exec.onAck(b.orderAck, now));
        break;
      }
      case Ev.STRATEGY_TICK:
        this.handleStrategy(this.strategy.onTimer(this.clock.wallMs()));
        if (!this.stopping) this.schedule(e.tNs + STRATEGY_TICK_MS * 1e6, Ev.STRATEGY_TICK, null);
        break;
      case Ev.EXEC_TICK:
        this.handleExec(this.exec.onTimer(now));
        if (!this.stopping) this.schedule(e.tNs + EXEC_TICK_MS * 1e6, Ev.EXEC_TICK, null);
        break;
      case Ev.INGEST_TICK:
        this.busRecvNs = e.tNs;
        this.ingest.onTick(e.tNs);
        this.drain();
        if (!this.stopping) this.schedule(e.tNs + INGEST_TICK_MS * 1e6, Ev.INGEST_TICK, null);
        break;
      case Ev.SAMPLE:
        this.sample();
        if (!this.stopping) this.schedule(e.tNs + EQUITY_SAMPLE_MS * 1e6, Ev.SAMPLE, null);
        break;
    }
  }

  private sample(): void {
    const t = this.venue.totals();
    this.equity.push({ wallMs: this.clock.wallMs(), equityMoney: t.equityMoney });
    if (t.positionsCenti > this.counters.peakPositionCenti) this.counters.peakPositionCenti = t.positionsCenti;
  }

  private coresFrame(f: Frame, tNs: number): void {
    this.busRecvNs = tNs;
    this.ingest.onParsedFrame(f, tNs, this.clock.wallMs());
    this.drain();
  }

  // ------------------------------------------------------------------ bus

  private drain(): void {
    for (;;) {
      while (this.busHead < this.bus.length) {
        const it = this.bus[this.busHead++];
        this.counters.busMessages++;
        this.deliver(it);
      }
      this.bus.length = 0;
      this.busHead = 0;
      // conflated features: one per market per drain, as the book shell does per mailbox drain
      this.book.flush();
      if (this.bus.length === 0) return;
    }
  }

  private deliver(it: BusItem): void {
    const b = it.body;
    const now = this.nowMs;
    const wall = this.clock.wallMs();
    switch (it.to) {
      case BOOK_PEER:
        this.book.handle({ header: { recvMonoNs: it.recvNs }, ...b } as kmm.v1.IEnvelope, this.nowNs);
        return;
      case 'strategy': {
        const s = this.strategy;
        let fx: StrategyEffects | null = null;
        if (b.bookFeatures) fx = s.onBookFeatures(b.bookFeatures, wall);
        else if (b.fill) fx = s.onFill(b.fill, wall);
        else if (b.position) fx = s.onPosition(b.position, wall);
        else if (b.workingOrders) fx = s.onWorkingOrders(b.workingOrders, wall);
        else if (b.orderReject) fx = s.onReject(b.orderReject, wall);
        else if (b.orderAck) fx = s.onAck(b.orderAck, wall);
        else if (b.marketInfo) fx = s.onMarketInfo(b.marketInfo, wall);
        else if (b.marketTrust) fx = s.onMarketTrust(b.marketTrust, wall);
        else if (b.connection) fx = s.onConnection(b.connection, wall);
        else if (b.lifecycle) fx = s.onLifecycle(b.lifecycle, wall);
        else if (b.control) fx = s.onControl(b.control, wall);
        if (fx) this.handleStrategy(fx);
        return;
      }
      case 'exec': {
        const e = this.exec;
        const cause = { recvMonoNs: it.recvNs, arrivalMonoNs: this.nowNs };
        if (b.targetQuotes) this.handleExec(e.onTargets(b.targetQuotes, now, cause));
        else if (b.takerIntent) this.handleExec(e.onTakerIntent(b.takerIntent, now, cause));
        else if (b.control) this.handleExec(e.onControl(b.control, now));
        else if (b.marketTrust) this.handleExec(e.onTrust(b.marketTrust, now));
        else if (b.connection) this.handleExec(e.onConnection(b.connection, now));
        else if (b.lifecycle) this.handleExec(e.onLifecycle(b.lifecycle, now));
        else if (b.marketInfo) this.handleExec(e.onMarkets([b.marketInfo], now));
        return;
      }
      case 'ingest': {
        if (b.control) {
          const k = b.control.kind;
          if (k === kmm.v1.ControlKind.ADD_MARKETS) {
            let infos: kmm.v1.IMarketInfo[] = [];
            try {
              infos = JSON.parse(b.control.json || '[]') as kmm.v1.IMarketInfo[];
            } catch {
              infos = [];
            }
            this.ingest.addMarkets(infos, this.nowNs);
          } else if (k === kmm.v1.ControlKind.REMOVE_MARKETS) this.ingest.removeMarkets(b.control.markets ?? [], this.nowNs);
        } else if (b.marketTrust) this.ingest.requestResync(b.marketTrust.market ?? '', b.marketTrust.reason ?? 'book', this.nowNs);
        return;
      }
      default:
        return; // 'sup' (monitor copies) and unknown peers
    }
  }

  private handleStrategy(fx: StrategyEffects): void {
    const wall = this.clock.wallMs();
    for (let i = 0; i < fx.targets.length; i++) this.post('exec', { targetQuotes: fx.targets[i] });
    for (let i = 0; i < fx.takers.length; i++) this.post('exec', { takerIntent: fx.takers[i] });
    for (let i = 0; i < fx.controls.length; i++) this.post(fx.controls[i].peer, { control: fx.controls[i].control });
    for (let i = 0; i < fx.opsEvents.length; i++) {
      const e = fx.opsEvents[i];
      this.counters.opsEvents++;
      this.sinks.ops('strategy', e.event, e.market, e.level, e.fields, wall);
    }
    for (let i = 0; i < fx.journal.length; i++) this.sinks.decision(fx.journal[i], wall);
    this.counters.targets += fx.targets.length;
    this.counters.takers += fx.takers.length;
  }

  private handleExec(fx: ExecEffects): void {
    const wall = this.clock.wallMs();
    for (let i = 0; i < fx.journal.length; i++) this.sinks.journal(fx.journal[i], wall);
    for (let i = 0; i < fx.commands.length; i++) {
      this.counters.commands++;
      this.schedule(this.nowNs + this.latNs, Ev.CMD, fx.commands[i]);
    }
    for (let i = 0; i < fx.reads.length; i++) this.schedule(this.nowNs + 2 * this.latNs, Ev.READ, fx.reads[i]);
    for (let i = 0; i < fx.out.length; i++) this.post(fx.out[i].peer, fx.out[i].body);
    for (let i = 0; i < fx.ops.length; i++) {
      const e = fx.ops[i];
      this.counters.opsEvents++;
      this.sinks.ops('exec', e.event, e.market, e.level, e.fields, wall);
    }
    if (fx.tape.length > 0) this.sinks.tape(fx.tape, wall);
    this.drain();
  }

  // ------------------------------------------------------------------ venue side

  /** A command arrives at the venue: apply it, schedule its result and any fills. */
  private atVenue(cmd: ExecCommand, tNs: number): void {
    const res: CommandResult = { cmdId: cmd.id, acks: [], rejects: [], rateLimited: false, latencyUs: Math.round((2 * this.latNs) / 1000) };
    const v = this.venue;
    const now = this.clock.wallMs();
    const fills: VenueFill[] = [];
    for (const o of cmd.orders) {
      const kind = o.kind ?? (cmd.op === 'cancel' || cmd.op === 'batch_cancel' ? CK.CANCEL : cmd.op === 'amend' ? CK.AMEND : cmd.op === 'decrease' ? CK.DECREASE : CK.PLACE);
      if (cmd.op === 'cancel' || cmd.op === 'batch_cancel') {
        const r = v.cancel(o.orderId ?? '');
        if (r.ok) res.acks.push({ kind: CK.CANCEL, market: o.market, clientOrderId: o.clientOrderId, orderId: o.orderId, side: o.side, price: o.price, remainingCenti: 0, status: kmm.v1.OrderStatus.CANCELED });
        else res.rejects.push(reject(kind, o, r));
        continue;
      }
      const r: VenueResult<OrderSummary> = cmd.op === 'amend' ? v.amend(o, now) : cmd.op === 'decrease' ? v.decrease(o) : v.place(o, now);
      if (r.ok) res.acks.push(ackFromSummary(cmd.op === 'batch_create' ? CK.PLACE : kind, o, r.value));
      else res.rejects.push(reject(kind, o, r));
      for (const f of v.fills) fills.push(f);
    }
    this.schedule(tNs + this.latNs, Ev.RESULT, res);
    this.emitFills(fills, tNs);
  }

  private venueFills(tNs: number): void {
    if (this.venue.fills.length > 0) this.emitFills(this.venue.fills.slice(), tNs);
  }

  /** Fills travel on the websocket: fill, then market_positions, then user_orders when done. */
  private emitFills(fills: readonly VenueFill[], tNs: number): void {
    const t = tNs + this.feedNs;
    for (const f of fills) {
      const fill: kmm.v1.IFill = { tradeId: f.tradeId, orderId: f.order.id, clientOrderId: f.order.clientOrderId, market: f.market, side: f.side, yesPrice: f.yesPrice, countCenti: f.countCenti, isTaker: f.isTaker, feeMoney: f.feeMoney, postPositionCenti: f.postPositionCenti, tsMs: f.tsMs };
      this.schedule(t, Ev.FILL, { fill });
      this.schedule(t, Ev.FILL, { position: { market: f.market, positionCenti: f.postPositionCenti, fromExchange: true } });
      if (f.done) this.schedule(t, Ev.FILL, { orderAck: { market: f.market, clientOrderId: f.order.clientOrderId, orderId: f.order.id, side: f.side, price: f.order.price, remainingCenti: 0, filledCenti: f.order.filledCenti, status: kmm.v1.OrderStatus.EXECUTED } });
    }
  }

  private answerRead(r: ReadRequest): void {
    const now = this.nowMs;
    switch (r.kind) {
      case 'reconcile': {
        const orders = this.venue.resting().map((o) => ({ orderId: o.id, clientOrderId: o.clientOrderId, market: o.market, side: o.side, price: o.price, remainingCenti: o.remainingCenti, filledCenti: o.filledCenti, status: 'resting' as const, orderGroupId: '' }));
        const positions = [];
        for (const [m, vm] of this.venue.markets) if (vm.acct.positionCenti !== 0 || vm.acct.boughtCenti + vm.acct.soldCenti > 0) positions.push({ market: m, positionCenti: vm.acct.positionCenti, exposureMoney: 0, realizedPnlMoney: 0, feesPaidMoney: vm.acct.feesMoney });
        const first = !this.exec.startupReconciled;
        this.handleExec(this.exec.onSnapshot({ requestedAtMs: now - (2 * this.latNs) / 1e6, orders, positions, fills: [] }, now));
        if (first) this.handleExec(this.exec.onOrderGroup('', now));
        break;
      }
      case 'queue_positions': {
        const list = [];
        for (const o of this.venue.resting()) if (r.markets.includes(o.market)) list.push({ market: o.market, orderId: o.id, aheadCenti: o.aheadCenti });
        this.handleExec(this.exec.onQueuePositions(list, now));
        break;
      }
      case 'markets':
        this.handleExec(this.exec.onMarkets(this.o.markets, now));
        break;
      case 'order_group_reset':
        break;
    }
  }
}

function ackFromSummary(kind: number, o: kmm.v1.IOrderCommand, s: OrderSummary): kmm.v1.IOrderAck {
  const status = s.remainingCenti === 0 ? (s.fillCenti > 0 && kind !== CK.DECREASE ? kmm.v1.OrderStatus.EXECUTED : kmm.v1.OrderStatus.CANCELED) : kmm.v1.OrderStatus.RESTING;
  return { kind, market: o.market, clientOrderId: o.clientOrderId, orderId: s.orderId || o.orderId, side: o.side, price: o.price, remainingCenti: s.remainingCenti, filledCenti: s.fillCenti, status };
}

function reject(kind: number, o: kmm.v1.IOrderCommand, r: { code: number; message: string }): kmm.v1.IOrderReject {
  return { kind, market: o.market, clientOrderId: o.clientOrderId, orderId: o.orderId, code: r.code || RC.BAD_REQUEST, message: `backtest: ${r.message}`, side: o.side, price: o.price };
}
