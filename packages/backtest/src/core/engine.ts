/**
 * BacktestEngine: the live actor descriptors (ingest, book, strategy, exec) run by LocalKernel
 * on one thread with a simulated clock; a recorded capture is the market.
 *
 *   capture frame (receive-time order) -> SimVenue (the market as recorded, our orders in it)
 *                                      -> ingest core (seq checks, trust) -> book.0 -> strategy
 *   strategy -> exec -> its order gateway = PaperVenueGateway over the same SimVenue: a command
 *   reaches the venue after the order-entry latency and its answer returns one latency later;
 *   venue fills reach exec (as the websocket `fill`, `market_positions` and `user_orders`
 *   would) after the feed latency.
 *
 * Everything between the cores is the kernel's: routing (descriptor handler tables), batching
 * (exec pumps a burst of targets once per drain, book features are conflated per drain), timer
 * periods (the descriptors' own), mailboxes. So a backtest cannot drift from live in those.
 * Frames of the recorded run's own account (fill, user_orders, market_positions) never reach
 * the cores: our simulated orders replace them; user_orders only tell the venue which displayed
 * size was the recorded run's own.
 *
 * Determinism: no wall clock, no randomness except the seeded Rng of ingest (kmm_seed); the
 * kernel orders events by (time, insertion sequence). Same capture, config and seed -> same
 * outputs.
 */
import { kmm, LocalKernel, resolveConfig, SeededRng, SimClock, type Rng, type ActorTime, type EnvelopeBody, type KmmConfig } from '@kmm/shared';
import type { Frame } from '@kmm/ingest-worker/core';
import { ingestActor, type IngestActorState, type IngestEnv } from '@kmm/ingest-worker/actor';
import { bookActor } from '@kmm/book-worker/actor';
import { strategyActor, STRATEGY_TICK } from '@kmm/strategy-worker/actor';
import { execActor, type ExecActorState, type ExecEnv } from '@kmm/exec-worker/actor';
import type { JournalRecord, TapeRow } from '@kmm/exec-worker/core';
import type { SimVenue, VenueFill } from './venue.js';
import { PaperVenueGateway, type CallLatency } from './venue-gateway.js';
import { OthersBook, ownDeltaKey, type OwnFills } from './others-book.js';
import type { QueueModel } from './queue-models.js';
import { CommandLatencyMatcher, type RecordedCommand } from './command-latency.js';
import { RecordedFills, ReportLines, type DecisionFill, type DecisionTick } from './run-timing.js';

export { EVENTS_PENDING_MAX } from '@kmm/shared';
export const EQUITY_SAMPLE_MS = 1000;
/** After the last frame, shutdown (cancel all, verify, final fills) must finish within this (virtual) time. */
export const SHUTDOWN_MAX_MS = 60_000;
const BOOK_PEER = 'book.0';
const SHUTDOWN_ORDER = ['ingest', BOOK_PEER, 'strategy', 'exec'];

export interface EngineSinks {
  journal(rec: JournalRecord, wallMs: number): void;
  tape(rows: readonly TapeRow[], wallMs: number): void;
  decision(rec: Record<string, unknown>, wallMs: number): void;
  ops(actor: string, event: string, market: string, level: string, fields: Record<string, unknown>, wallMs: number): void;
}

export interface EngineOptions {
  config: KmmConfig | Record<string, unknown>;
  markets: kmm.v1.IMarketInfo[];
  model: QueueModel;
  /** one-way order-entry latency (ms): command reaches the venue after it, the result returns after it again */
  latencyMs: number;
  /**
   * --like: the recorded run's one-way order latencies (ms): a command the run did not send then
   * (recordedCommands) draws one (seeded), so the backtest meets the run's latency tail, not only
   * its median (latencyMs is then unused)
   */
  latencySamplesMs?: readonly number[];
  /**
   * --like: the recorded run's acknowledged commands with their wire times and round trips: a
   * command the backtest sends when the run sent the same one reaches the venue when the run's did
   * and is answered when the run's was (it draws from latencySamplesMs otherwise;
   * core/command-latency.ts)
   */
  recordedCommands?: readonly RecordedCommand[];
  /** market data and fills reach our cores this long after the venue saw them (ms) */
  feedLatencyMs: number;
  seed: number;
  /** the recorded run's maker fills found in the capture beforehand (attributeOwnFills) */
  ownFills?: OwnFills;
  /** wall time of the first frame (ms) */
  startWallMs: number;
  /**
   * exec starts this long after the first frame (ms; default 0): a recorded run's exec started
   * when its worker had booted, after ingest was already receiving (--like: its journal's start
   * record). Until then what is sent to exec waits in its mailbox, as in a live run's channel.
   */
  execStartDelayMs?: number;
  /**
   * exec's start-up reads (orders, positions, fills, order group) are answered this long after
   * exec started (ms; default 0: at the order-entry latency). A recorded run's start-up reads took
   * what its REST round trips took (--like: its journal, start -> startup_reconciled); the strategy
   * settles its start-up check from exec's word that they are done, so this sets when quoting begins.
   */
  execStartupMs?: number;
  /**
   * The recorded run's decision drains (--like, its strategy-drains.csv): when set, `frame` is
   * told which capture lines closed one and when that drain ended, and the frames of one live
   * strategy drain reach ingest together then (held until it), so the strategy decides on the book
   * states the live one decided on, when it did, instead of on every intermediate one. Default false.
   */
  decisionDrains?: boolean;
  /**
   * The recorded run's strategy ticks (--like, its strategy-drains.csv), on the capture's timeline
   * (ns): when each fired and when the live drain that handled it ended; `afterEarlier` when that
   * drain handled book features before it. When set, the strategy's tick is not armed on its grid:
   * each recorded one reaches the strategy when its live drain ended, saying the time it fired
   * (live, a tick fires 0-2 ms after its grid point, later when the strategy is busy), after the
   * features it followed live. Default: the grid (every STRATEGY_TICK_MS).
   */
  decisionTicks?: readonly DecisionTick[];
  /**
   * The recorded run's fills as its strategy got them (--like, strategy-drains.csv with the
   * capture's fill frames). A fill of the backtest's venue that is one of them (same market,
   * side, price and size, its frame received within run-timing's FILL_MATCH_MS) reaches exec when the live
   * strategy's drain that handled it ended (exec then tells the strategy at once), instead of at
   * once: live, the fill frame, exec and the strategy took a few ms, during which more frames
   * came in, and the strategy's answer to the fill was decided on them.
   */
  decisionFills?: readonly DecisionFill[];
  /**
   * --like: each capture line's deltaKey (null: not a book delta) and time on the capture's
   * timeline. A change to one of our orders that the recorded run's feed reported too (a delta of
   * the same market, leg, price and size, received within run-timing's OWN_REPORT_EARLY/LATE_MS window
   * of the venue's change) reaches the book when that line does, with the frames of its live
   * drain, instead of at once: live, the venue's delta for our order came over the websocket some
   * ms after the venue took the order, and the book and strategy decided without it until then.
   */
  capturedDeltas?: { keys: readonly (string | null)[]; tNs: Float64Array };
  sinks: EngineSinks;
}

/**
 * With decisionDrains, a held frame waits at most this long (ms of capture time) for the line
 * that closed its live drain: frames after the run's last decision, or of a market the strategy
 * got no features for, are not held for ever. Live, a strategy drain closed 0.7-7 ms (p10-p99)
 * after the frame it decided on, 46 ms at most, in a 60 s demo recorded with --record-inputs.
 */
export const DECISION_DRAIN_HOLD_MAX_MS = 50;

/** draws from `samples` with `rng` (each draw one of them, uniformly) */
function sampler(samples: readonly number[], rng: Rng): () => number {
  return () => samples[Math.floor(rng.next() * samples.length)];
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
  /** times exec held an intent back for want of rate-limit tokens (its rateHeld stat) */
  rateHeld: number;
  /** markets x ms exec's markets spent waiting for rate-limit tokens, the waits still going at the end included */
  tokenWaitMarketsMs: number;
  /** recordedCommands: order commands that took the recorded command's latency, and that drew one */
  latencyMatched: number;
  latencyDrawn: number;
  /** decisionFills: the backtest's fills that were the run's (handed on when its strategy got them), and that were not */
  fillsMatched: number;
  fillsUnmatched: number;
  /** capturedDeltas: changes to our orders reported to the book when the recorded run's feed reported them */
  ownReportsMatched: number;
}

interface PublishedOrder {
  market: string;
  side: number;
  price: number;
  centi: number;
  coid: string;
}

export interface EquityPoint {
  wallMs: number;
  equityMoney: number;
}

/** A socket that never opens: a backtest's (or replay's) frames come from the capture, not a websocket. */
export function captureOnlyIngestEnv(onDrop: (reason: string) => void): IngestEnv {
  return {
    capture: null,
    connect: () => ({
      send: () => false,
      ping: () => {},
      terminate: () => onDrop('liveness'),
      close: () => {},
    }),
  };
}

/**
 * One recorded frame into the ingest actor at the kernel's current time, as its socket callback
 * would hand it over live (onFrame, after parsing): seq checks, trust and routing are ingest's.
 */
export function feedIngest(kernel: LocalKernel, f: Frame): void {
  kernel.get('ingest')!.external((s: IngestActorState, t: ActorTime) => s.core.onParsedFrame(f, t.monoNs, t.wallMs));
}

export class BacktestEngine {
  readonly clock: SimClock;
  readonly kernel: LocalKernel;
  readonly venue: SimVenue;
  readonly gateway: PaperVenueGateway;
  readonly counters: EngineCounters = { frames: 0, ownFramesSkipped: 0, events: 0, busMessages: 0, targets: 0, takers: 0, commands: 0, opsEvents: 0, peakPositionCenti: 0, rateHeld: 0, tokenWaitMarketsMs: 0, latencyMatched: 0, latencyDrawn: 0, fillsMatched: 0, fillsUnmatched: 0, ownReportsMatched: 0 };
  readonly equity: EquityPoint[] = [];
  /** the recorded book without the recorded run's own orders, as the cores see it: with ours (publishOwn), others' levels ours would lock hidden */
  readonly others: OthersBook;
  /**
   * the same book as the venue sees it: others' orders only, none hidden (the venue check's): a
   * level hidden from the cores while ours locked or crossed it is still others' queue at the
   * venue (resting post-only: it does not trade with ours, SimVenue.othersPostOnly)
   */
  private readonly venueBook: OthersBook;
  /** our resting orders as last shown in the book (venue order id -> level and size) */
  private readonly published = new Map<string, PublishedOrder>();
  private readonly feedNs: number;
  private readonly sinks: EngineSinks;
  private stopping = false;
  private readonly execDelayed: boolean;
  /** time of the last frame played (ns): frames at the same time are one burst */
  private lastFrameNs = -1;
  /** capturedDeltas: the lines that reported the run's orders, and our reports due with a line */
  private readonly reportLines: ReportLines;
  private readonly ownReportsDue = new Map<number, Array<() => void>>();
  /** per market, the line the last of our reports still waiting is due with (they keep their order) */
  private readonly ownReportWaitingLine = new Map<string, number>();
  /** afterInstant: what waits for the end of the instant, in order, and whether a check is armed */
  private readonly afterQueue: Array<() => void> = [];
  private afterArmed = false;
  /** per market, when the last fill of ours reaches exec (ns): fills keep their order */
  private readonly lastFillNs = new Map<string, number>();
  /** index of the capture line being played (frame()) */
  private lineIndex = -1;
  /** our commands the venue takes just before a capture line is played (the gateway's atLine) */
  private readonly venueDue = new Map<number, Array<() => void>>();
  /** decisionFills, and which of them a backtest fill was */
  private readonly recordedFills: RecordedFills;
  /** recordedCommands: which commands took their recorded latency */
  latencyMatcher: CommandLatencyMatcher | null = null;
  /** decisionDrains: the open group: frames for ingest waiting for the line that closes their live drain, in order */
  private held: Frame[] = [];
  /** decisionDrains: a recorded frame is being played whose live drain has not closed yet */
  private holding = false;
  /** bumped whenever the open group closes, so a hold timeout armed for it does nothing after */
  private holdGeneration = 0;
  /** decisionDrains: closed groups scheduled for delivery and not yet delivered */
  private groupsPending = 0;
  /** when the last closed group is delivered (ns): groups reach ingest in order */
  private lastGroupNs = 0;

  constructor(private readonly o: EngineOptions) {
    this.sinks = o.sinks;
    this.recordedFills = new RecordedFills(o.decisionFills ?? []);
    this.reportLines = new ReportLines(o.capturedDeltas);
    this.others = new OthersBook(o.ownFills);
    this.venueBook = new OthersBook(o.ownFills);
    this.feedNs = Math.round(o.feedLatencyMs * 1e6);
    this.clock = new SimClock(o.startWallMs, 0);
    const config = resolveConfig({ ...o.config, kmm_shards: 1, kmm_seed: o.seed });
    const wall = (): number => this.clock.wallMs();
    this.kernel = new LocalKernel({
      clock: this.clock,
      config,
      onCrash: 'throw',
      hooks: {
        ops: (actor, event, market, level, fields, t) => {
          if (event === 'reprice_decision') {
            this.sinks.decision(fields, t.wallMs);
            return;
          }
          this.counters.opsEvents++;
          this.sinks.ops(actor, event, market, level, fields, t.wallMs);
        },
        log: (actor, level, event, fields, t) => {
          if (level === 'warn' || level === 'error') this.sinks.ops(actor, event, String(fields.market ?? ''), level, fields, t.wallMs);
        },
        send: (_actor, to, body) => {
          if (to !== 'exec') return;
          if (body.targetQuotes) this.counters.targets++;
          else if (body.takerIntent) this.counters.takers++;
        },
      },
    });
    const k = this.kernel;
    this.gateway = new PaperVenueGateway({
      markets: o.markets,
      queueModel: 'risk-averse',
      model: o.model,
      idPrefix: 'bt',
      latencyMs: o.latencyMs,
      ...(o.latencySamplesMs && o.latencySamplesMs.length > 0 ? { latencyOf: this.commandLatency(o.latencySamplesMs, o.recordedCommands ?? []) } : {}),
      monoNs: () => this.clock.monoNs(),
      wallMs: wall,
      defer: (ms, fn) => k.atAsync(this.clock.monoNs() + Math.round(ms * 1e6), fn),
      atLine: (line, fn) => {
        if (line > this.lineIndex) this.venueDue.set(line, [...(this.venueDue.get(line) ?? []), fn]);
        else k.atAsync(this.clock.monoNs(), fn);
      },
      onVenueChange: (fills) => this.publishOwn(fills),
      onFill: (fill, position, doneAck) => {
        // fills travel on the websocket: fill, then market_positions, then user_orders when done
        const deliver = (): void => {
          if (this.stopped('exec')) return;
          k.inject('exec', { fill }, 'ingest');
          k.inject('exec', { position }, 'ingest');
          if (doneAck) k.inject('exec', { orderAck: doneAck }, 'ingest');
        };
        // a fill the run had too reaches exec when the run's strategy got it; never before an
        // earlier fill of the same market (exec would end on the older position)
        const live = this.recordedFills.take(fill, this.clock.monoNs());
        const market = fill.market ?? '';
        const atNs = Math.max(live ? live.drainNs : this.clock.monoNs() + this.feedNs, this.lastFillNs.get(market) ?? 0);
        this.lastFillNs.set(market, atNs);
        k.at(atNs, () => (live?.afterEarlier ? this.afterInstant(deliver) : deliver()));
      },
    });
    this.venue = this.gateway.venue;
    // the recorded book's orders rest: one through ours (hidden from the cores) does not trade with it
    this.venue.othersPostOnly = true;
    const markets = o.markets;
    k.add({
      name: 'ingest',
      descriptor: ingestActor,
      markets,
      makeEnv: () => captureOnlyIngestEnv((reason) => this.sinks.ops('ingest', 'drop_connection_ignored', '', 'warn', { reason }, wall())),
    });
    k.add({ name: BOOK_PEER, descriptor: bookActor, markets, makeEnv: () => null });
    const execEnv: ExecEnv = {
      gateway: this.gateway,
      journal: { append: (rec) => this.sinks.journal(rec, wall()), close: async () => {} },
      priorJournal: [],
      tape: { write: (rows) => this.sinks.tape(rows, wall()), close: async () => {} },
      sleep: (ms) => k.sleep(ms),
      paperVenue: null,
      journalWire: false,
    };
    const delayMs = Math.max(0, o.execStartDelayMs ?? 0);
    // exec starting (or its start-up reads answered) after frames begin: its start runs while the frames play
    this.execDelayed = delayMs > 0 || (o.execStartupMs ?? 0) > 0;
    // the same descriptor, its start after the delay (virtual time): handlers, timers and their phase are exec's own from then on
    const startupMs = Math.max(0, o.execStartupMs ?? 0);
    // exec's start-up reads are answered when the recorded run's were (virtual time)
    this.gateway.readsNotBeforeMonoNs = this.clock.monoNs() + Math.round((delayMs + startupMs) * 1e6);
    const descriptor: typeof execActor = delayMs > 0 ? { ...execActor, start: async (init) => { await k.sleep(delayMs); return execActor.start({ ...init, startTime: k.now() }); } } : execActor;
    k.add({ name: 'exec', descriptor, markets, extra: { paper: true }, makeEnv: () => execEnv });
    // the strategy last: at its start exec is already its peer (live: every channel exists before
    // any actor starts), so its start-up RECONCILE to exec waits in exec's mailbox as live, and
    // exec's second reconcile re-sends the targets as in the recorded run
    const ticks = o.decisionTicks;
    k.add({ name: 'strategy', descriptor: strategyActor, markets, makeEnv: () => ({ feed: null }), ...(ticks ? { unarmedTimers: [STRATEGY_TICK] } : {}) });
    // scheduled before any frame: a tick that came first in its live drain reaches the strategy
    // before the frames delivered at the same drain's end
    if (ticks) for (const tick of ticks) k.at(tick.drainNs, () => (tick.afterEarlier ? this.afterInstant(() => this.fireTick(tick)) : this.fireTick(tick)));
  }

  /** Each call's latency: an order command's own recorded one when the run sent the same then, else a draw from the run's, each way. */
  private commandLatency(samples: readonly number[], recorded: readonly RecordedCommand[]): (orders?: readonly kmm.v1.IOrderCommand[]) => CallLatency {
    const draw = sampler(samples, new SeededRng(this.o.seed).fork('order-latency'));
    const matcher = (this.latencyMatcher = new CommandLatencyMatcher(recorded));
    return (orders) => {
      const own = orders && orders.length > 0 ? matcher.take(orders[0], this.clock.monoNs()) : null;
      if (own) return own;
      const ms = draw();
      return { outMs: ms, backMs: ms };
    };
  }

  /** A recorded tick into the strategy's mailbox now, with the time it fired live (never before the capture starts). */
  private fireTick(tick: DecisionTick): void {
    const strategy = this.kernel.get('strategy');
    if (!strategy || strategy.stopped) return;
    const firedNs = Math.max(tick.firedNs, 1);
    strategy.fireTimerAt(STRATEGY_TICK, firedNs, Math.floor(this.o.startWallMs + firedNs / 1e6));
  }

  /**
   * Runs `fn` once everything else due at this instant has run, what it sets off at this instant
   * included (the cores take no time: frames delivered now reach the strategy now). Several wait
   * in one queue, run in order, each after what the one before set off: two that each waited for
   * the other would never run.
   */
  private afterInstant(fn: () => void): void {
    this.afterQueue.push(fn);
    if (this.afterArmed) return;
    this.afterArmed = true;
    const check = (): void => {
      const now = this.clock.monoNs();
      if (this.kernel.nextEventNs() <= now) return this.kernel.at(now, check);
      this.afterQueue.shift()!();
      if (this.afterQueue.length > 0) this.kernel.at(this.clock.monoNs(), check);
      else this.afterArmed = false;
    };
    this.kernel.at(this.clock.monoNs(), check);
  }

  /**
   * Our resting orders in the book the cores see, as a venue's book shows them: each change of
   * our resting size since the last call becomes a delta (tagged with the order's client id when
   * our command caused it, untagged when a fill did), so the book worker learns our size exactly
   * as live (OwnLevels) and the strategy's touch includes our quotes as live. The venue itself
   * never sees these: its queues hold others' size only.
   */
  private publishOwn(fills: readonly VenueFill[]): void {
    const filled = new Map<string, number>();
    for (const f of fills) filled.set(f.order.id, (filled.get(f.order.id) ?? 0) + f.countCenti);
    const orders = this.venue.orders;
    const send = (market: string, side: number, price: number, d: number, coid: string): void => {
      const report = (): void => {
        for (const f of this.others.inject(market, side, price, d, coid, this.clock.wallMs())) this.toIngest(f, this.clock.monoNs());
      };
      // when the recorded run's feed reported the same change later, with that line (capturedDeltas);
      // never before a change of ours to the same market still waiting for its line (a cancel
      // reported before the create it cancels would leave the book a negative level)
      const waiting = this.ownReportWaitingLine.get(market) ?? -1;
      const line = Math.max(this.reportLines.take(ownDeltaKey(market, side, price, d), this.clock.monoNs()), waiting > this.lineIndex ? waiting : -1);
      if (line > this.lineIndex) {
        this.ownReportsDue.set(line, [...(this.ownReportsDue.get(line) ?? []), report]);
        this.ownReportWaitingLine.set(market, line);
      } else report();
    };
    const out = (p: PublishedOrder, centi: number, byFill: number): void => {
      const viaFill = Math.min(byFill, centi);
      if (viaFill > 0) send(p.market, p.side, p.price, -viaFill, '');
      if (centi - viaFill > 0) send(p.market, p.side, p.price, -(centi - viaFill), p.coid);
    };
    for (const [id, p] of this.published) {
      const o = orders.get(id);
      const byFill = filled.get(id) ?? 0;
      if (!o) {
        out(p, p.centi, byFill);
        this.published.delete(id);
      } else if (o.side !== p.side || o.price !== p.price) {
        send(o.market, o.side, o.price, o.remainingCenti, p.coid);
        out(p, p.centi, byFill);
        p.side = o.side;
        p.price = o.price;
        p.centi = o.remainingCenti;
      } else if (o.remainingCenti < p.centi) {
        out(p, p.centi - o.remainingCenti, byFill);
        p.centi = o.remainingCenti;
      } else if (o.remainingCenti > p.centi) {
        send(o.market, o.side, o.price, o.remainingCenti - p.centi, p.coid);
        p.centi = o.remainingCenti;
      }
    }
    for (const [id, o] of orders) {
      if (this.published.has(id) || o.remainingCenti <= 0) continue;
      this.published.set(id, { market: o.market, side: o.side, price: o.price, centi: o.remainingCenti, coid: o.clientOrderId });
      send(o.market, o.side, o.price, o.remainingCenti, o.clientOrderId);
    }
  }

  private stopped(name: string): boolean {
    const a = this.kernel.get(name);
    return !a || a.stopped;
  }

  private get ingest(): IngestActorState | undefined {
    return this.kernel.get('ingest')?.state as IngestActorState | undefined;
  }
  get exec(): ExecActorState | undefined {
    return this.kernel.get('exec')?.state as ExecActorState | undefined;
  }

  /** Start-up at t=0: ingest connected, exec reconciles against the (empty) venue (after execStartDelayMs), timers armed. */
  async start(): Promise<void> {
    this.kernel.get('ingest')!.external((s: IngestActorState, t: ActorTime) => s.core.onConnected(t.monoNs));
    // a delayed exec starts while the frames play (frame() runs the kernel up to each one)
    if (!this.execDelayed) await this.kernel.runWhile(this.kernel.get('exec')!.ready, 60e9, 'exec start-up');
    this.sampleLoop(this.clock.monoNs());
  }

  private sampleLoop(tNs: number): void {
    this.kernel.at(tNs, () => {
      this.sample();
      if (!this.stopping) this.sampleLoop(tNs + EQUITY_SAMPLE_MS * 1e6);
    });
  }

  /**
   * One recorded frame received at tNs (relative to the run start). Events due before it run first.
   * `drainEndNs` (decisionDrains only): the live strategy's drain closed with this line and ended at
   * this time (same timeline), so the frames held since the last such line reach ingest together
   * then: the strategy decides on them when the live one did (the live pipeline's latency, ingest
   * -> book -> strategy, is the recorded one), not earlier.
   */
  async frame(recorded: Frame, tNs: number, drainEndNs?: number): Promise<void> {
    const closesDrain = drainEndNs !== undefined;
    // frames of one burst (one socket read live: the same time, timeline()) reach ingest before
    // anything due at that time runs, so the book shard drains them together, as live
    if (tNs !== this.lastFrameNs) await this.kernel.runUntil(tNs);
    this.lastFrameNs = tNs;
    // our commands the recorded run's venue took just before this line (after the lines before it
    // of the same socket read), and those their answers set off that the run's venue took there too
    for (let due = this.venueDue.get(this.lineIndex + 1); due; due = this.venueDue.get(this.lineIndex + 1)) {
      this.venueDue.delete(this.lineIndex + 1);
      for (const fn of due) this.kernel.atAsync(this.clock.monoNs(), fn);
      await this.kernel.runUntil(tNs);
    }
    this.counters.frames++;
    if (recorded.kind === 'fill' || recorded.kind === 'user_order' || recorded.kind === 'market_position') this.counters.ownFramesSkipped++;
    // every frame of a recorded drain is held, the one that closed it too (a drain of one frame
    // also reaches the cores when the live drain ended)
    this.holding = this.o.decisionDrains === true;
    this.lineIndex++;
    for (const f of this.others.process(recorded)) this.toCores(f, tNs);
    // the venue after the cores' frames: its reaction (our orders' deltas, publishOwn) follows them in the book's sequence
    for (const f of this.venueBook.process(recorded)) this.toVenue(f, tNs);
    // our orders' changes the recorded run's feed reported with this line
    const due = this.ownReportsDue.get(this.lineIndex);
    if (due) {
      this.ownReportsDue.delete(this.lineIndex);
      for (const report of due) report();
    }
    this.holding = false;
    if (closesDrain) this.closeGroup(drainEndNs, false);
  }

  /** One frame of the others' market as the cores see it (ours in it): to ingest (after the feed latency). */
  private toCores(f: Frame, tNs: number): void {
    // the recorded run's account never comes out of OthersBook: it is not ours
    if (f.kind === 'user_order' || f.kind === 'fill' || f.kind === 'market_position') return;
    this.toIngest(f, tNs);
  }

  /** One frame of the others' market as the venue sees it: others' orders only. */
  private toVenue(f: Frame, tNs: number): void {
    let body: EnvelopeBody | null = null;
    switch (f.kind) {
      case 'snapshot':
        body = { bookSnapshot: f.body };
        break;
      case 'delta':
        body = { bookDelta: f.body };
        break;
      case 'trade':
        body = { publicTrade: f.body };
        break;
      case 'lifecycle':
        body = { lifecycle: f.body };
        break;
      default:
        return;
    }
    this.gateway.onMarketData(body);
    if (f.kind === 'lifecycle' && (f.body.eventType === 'determined' || f.body.eventType === 'settled')) {
      // the exchange's position after settlement is zero
      const m = f.body.market ?? '';
      if (this.venue.account(m)?.settled) this.kernel.at(tNs + this.feedNs, () => this.stopped('exec') || this.kernel.inject('exec', { position: { market: m, positionCenti: 0, fromExchange: true } }, 'ingest'));
    }
  }

  /**
   * A frame of the venue at tNs reaches ingest after the feed latency; with decisionDrains, while
   * its live drain is open it waits (held), and so does anything that would overtake held frames.
   */
  private toIngest(f: Frame, tNs: number): void {
    if (this.holding || this.held.length > 0) {
      if (this.held.length === 0) {
        const gen = this.holdGeneration;
        this.kernel.at(tNs + DECISION_DRAIN_HOLD_MAX_MS * 1e6, () => gen === this.holdGeneration && this.closeGroup(this.clock.monoNs(), true));
      }
      this.held.push(f);
      return;
    }
    // no open group (our own orders' deltas between recorded frames): after the groups still due
    if (this.groupsPending > 0) {
      this.held.push(f);
      this.closeGroup(tNs, true);
      return;
    }
    this.deliver(f, tNs);
  }

  private deliver(f: Frame, tNs: number): void {
    if (this.feedNs === 0) feedIngest(this.kernel, f);
    else this.kernel.at(tNs + this.feedNs, () => feedIngest(this.kernel, f));
  }

  /**
   * Closes the open group: its frames reach ingest at `atNs` (never before now, nor before the
   * groups closed earlier), in order, as one burst (one book drain, one decision drain).
   * `feed`: add the feed latency; not for a recorded drain, whose end already holds the live
   * pipeline's whole latency.
   */
  private closeGroup(atNs: number, feed: boolean): void {
    this.holdGeneration++;
    const frames = this.held;
    if (frames.length === 0) return;
    this.held = [];
    const t = Math.max(atNs + (feed ? this.feedNs : 0), this.clock.monoNs(), this.lastGroupNs);
    this.lastGroupNs = t;
    this.groupsPending++;
    this.kernel.at(t, () => {
      this.groupsPending--;
      for (const f of frames) feedIngest(this.kernel, f);
    });
  }

  /** End of the capture: run what is due up to endNs, then stop every actor (exec cancels all and verifies). */
  async finish(endNs: number): Promise<void> {
    this.closeGroup(this.clock.monoNs(), true);
    await this.kernel.runUntil(endNs);
    this.stopping = true;
    await this.kernel.stopAll(SHUTDOWN_ORDER, endNs + SHUTDOWN_MAX_MS * 1e6);
    this.sample();
    this.counters.events = this.kernel.counters.events;
    this.counters.busMessages = this.kernel.counters.messages;
    this.counters.commands = this.exec?.runner.counters.commands ?? 0;
    this.counters.rateHeld = this.exec?.core.stats.rateHeld ?? 0;
    this.counters.tokenWaitMarketsMs = this.exec?.core.tokenWaitMarketsMs(this.clock.monoNs() / 1e6) ?? 0;
    this.counters.fillsMatched = this.recordedFills.matched;
    this.counters.fillsUnmatched = this.recordedFills.unmatched;
    this.counters.ownReportsMatched = this.reportLines.matched;
    this.counters.latencyMatched = this.latencyMatcher?.matched ?? 0;
    this.counters.latencyDrawn = this.latencyMatcher?.unmatched ?? 0;
    void this.ingest;
  }

  private sample(): void {
    const t = this.venue.totals();
    this.equity.push({ wallMs: this.clock.wallMs(), equityMoney: t.equityMoney });
    if (t.positionsCenti > this.counters.peakPositionCenti) this.counters.peakPositionCenti = t.positionsCenti;
  }
}
