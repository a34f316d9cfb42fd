/**
 * LocalKernel: the single-thread driver of actor descriptors (descriptor.ts), on a simulated
 * clock, with a deterministic message order. Backtests, replays, sweeps, the replay-parity test
 * and deterministic simulation testing (`kmm dst`) run the same descriptors as the live
 * worker threads (actor.ts), with only the clock and the environments changed.
 *
 * Order: one event heap ordered by (virtual time, insertion sequence). An event is a mailbox
 * drain of one actor, a timer firing, or an external step scheduled with `at` (a venue reply, a
 * recorded frame, a fault). Sending encodes the envelope with protobuf and decodes it into the
 * receiver's Mailbox (the same class, bounds and conflation as live), then schedules that
 * actor's drain after `hopNs`. A drain handles up to DRAIN_BUDGET messages, then runs the
 * descriptor's endOfDrain hook, as the worker does.
 *
 * Asynchronous environments (exec's gateway, journal; its start-up reconcile and shutdown are
 * async flows) return promises that the kernel's own events resolve. After an event that
 * touched such a promise (`markAsync`), the kernel lets every microtask run before the next
 * event (one setImmediate turn; nothing else runs in between because nothing does real I/O),
 * so promise continuations happen at the virtual instant of the event that resolved them.
 *
 * Crashes: a handler that throws (a broken invariant) either fails the run (`onCrash: 'throw'`,
 * backtests) or restarts the actor through its cold-start path with a fresh environment from
 * its env factory (`'restart'`, deterministic simulation), losing its mailbox as a real crash
 * would.
 * Replay of a live recording (`replay: true`, recorder.ts): the recording holds every input with
 * the time its handler saw and where each live drain ended, so the kernel arms no timers and
 * delivers nothing from io.self/io.after (their messages are recorded inputs), and the replay
 * hands each recorded drain to `KernelActor.replayDrain`.
 * Limits: EVENTS_PENDING_MAX pending events (an assertion: more means a feedback loop).
 */
import { kmm } from '../gen/proto.js';
import type { SimClock } from '../clock/clock.js';
import type { KmmConfig } from '../config/specs.js';
import { Mailbox } from '../transport/mailbox.js';
import type { Causation, EnvelopeBody } from './api.js';
import { msToNextGridPoint } from './timer-grid.js';
import {
  dispatch,
  drainMailbox,
  setMessageTime,
  stampHeader,
  timerPeriodMs,
  type ActorDescriptor,
  type ActorExtra,
  type ActorIo,
  type ActorTime,
  type LogLevel,
  type OpsLevel,
} from './descriptor.js';

export const EVENTS_PENDING_MAX = 2_000_000;
export const KERNEL_SUP = 'sup';
export const KERNEL_SELF = 'self';

interface KEvent {
  tNs: number;
  seq: number;
  fn: () => void;
}

/** Binary min-heap on (tNs, seq). */
class EventHeap {
  private readonly a: KEvent[] = [];
  get size(): number {
    return this.a.length;
  }
  peekT(): number {
    return this.a.length > 0 ? this.a[0].tNs : Infinity;
  }
  push(e: KEvent): void {
    if (this.a.length >= EVENTS_PENDING_MAX) throw new Error(`LocalKernel: more than ${EVENTS_PENDING_MAX} pending events`);
    const a = this.a;
    a.push(e);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (before(a[p], a[i])) break;
      [a[p], a[i]] = [a[i], a[p]];
      i = p;
    }
  }
  pop(): KEvent {
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
        if (l < a.length && before(a[l], a[m])) m = l;
        if (r < a.length && before(a[r], a[m])) m = r;
        if (m === i) break;
        [a[m], a[i]] = [a[i], a[m]];
        i = m;
      }
    }
    return top;
  }
}
function before(x: KEvent, y: KEvent): boolean {
  return x.tNs < y.tNs || (x.tNs === y.tNs && x.seq < y.seq);
}

export interface KernelHooks {
  /** a message an actor sent to 'sup' (the monitor feed) */
  sup?(actor: string, env: kmm.v1.IEnvelope, t: ActorTime): void;
  ops?(actor: string, event: string, market: string, level: OpsLevel, fields: Record<string, unknown>, t: ActorTime): void;
  log?(actor: string, level: LogLevel, event: string, fields: Record<string, unknown>, t: ActorTime): void;
  /** every delivered message (tests, hashes): after decoding, before the handler */
  deliver?(actor: string, env: kmm.v1.Envelope, from: string, t: ActorTime): void;
  /** every message an actor sends (outputs, for replay comparison) */
  send?(actor: string, to: string, body: EnvelopeBody): void;
  /** an actor crashed (a thrown handler); called before the restart or the rethrow */
  crash?(actor: string, err: Error, t: ActorTime): void;
}

export interface KernelOptions {
  clock: SimClock;
  config: KmmConfig;
  /** per-hop delivery latency between actors (ns); default 0: the live hops are microseconds */
  hopNs?: number;
  /** mailbox capacity per actor (default config kmm_mailbox_capacity, else 65,536) */
  mailboxCapacity?: number;
  /** 'throw' (default): a crash fails the run; 'restart': cold-start the actor */
  onCrash?: 'throw' | 'restart';
  hooks?: KernelHooks;
  /**
   * Replay of a recording (replay-parity): declared timers are not armed, io.after and io.self
   * deliver nothing (the recording has the Timer and self messages as inputs, at their times),
   * and a send to a peer outside the kernel goes to the send hook only.
   */
  replay?: boolean;
}

export interface KernelActorOptions<S, E> {
  name: string;
  descriptor: ActorDescriptor<S, E>;
  /** builds the actor's environment; called again (restartCount + 1) for every restart */
  makeEnv: (restartCount: number) => E;
  shard?: number;
  shardCount?: number;
  markets?: kmm.v1.IMarketInfo[];
  extra?: ActorExtra;
  /** the first start's restart count (a replay of a restarted actor's recording); default 0 */
  restartCount?: number;
  /** the peers io.hasPeer/io.peers report (a replay: those the actor had live); default: the kernel's actors */
  peers?: readonly string[];
  /**
   * declared periodic timers the kernel does not arm: the caller fires them (fireTimerAt), e.g.
   * `kmm backtest --like` at the times the recorded run's strategy ticked; default: all armed
   */
  unarmedTimers?: readonly string[];
}

/** One actor inside the kernel: its mailbox, state and io (the ActorIo of this driver). */
export class KernelActor<S = unknown, E = unknown> implements ActorIo {
  readonly name: string;
  state: S | undefined = undefined;
  env: E | undefined = undefined;
  started = false;
  stopped = false;
  restartCount = 0;
  current: kmm.v1.IHeader | undefined = undefined;
  readonly stats: Record<string, number | string> = {};
  readonly counters = { msgsIn: 0, msgsOut: 0, drains: 0, crashes: 0, lostOnCrash: 0 };
  /** the pending start-up (exec reconciles before it is ready) */
  ready: Promise<void> = Promise.resolve();
  private mailbox: Mailbox;
  private drainScheduled = false;
  private senderSeq = 0;
  private readonly time = { monoNs: 0, monoMs: 0, wallMs: 0 };
  private readonly senderId: number;
  private generation = 0;

  constructor(
    private readonly k: LocalKernel,
    readonly o: KernelActorOptions<S, E>,
    private readonly capacity: number,
  ) {
    this.name = o.name;
    this.mailbox = new Mailbox(capacity);
    this.senderId = o.descriptor.kind * 1000 + (o.shard ?? 0);
    this.restartCount = o.restartCount ?? 0;
  }

  get peers(): readonly string[] {
    return this.o.peers ?? this.k.actorNames;
  }
  get depth(): number {
    return this.mailbox.depth;
  }
  get mailboxStats(): { depthMax: number; dropped: number; conflated: number } {
    return { depthMax: this.mailbox.depthMax, dropped: this.mailbox.dropped, conflated: this.mailbox.conflated };
  }
  hasPeer(peer: string): boolean {
    return this.o.peers ? this.o.peers.includes(peer) : this.k.has(peer);
  }

  now(): ActorTime {
    return this.k.now();
  }

  send(peer: string, body: EnvelopeBody, cause?: Causation): void {
    this.counters.msgsOut++;
    this.k.hooks.send?.(this.name, peer, body);
    const env = stampHeader(body, cause, this.current, ++this.senderSeq, this.k.clock.monoNs(), this.senderId, this.current ? this.time.monoNs : 0);
    if (peer === KERNEL_SUP) {
      this.k.hooks.sup?.(this.name, env, this.k.now());
      return;
    }
    const to = this.k.get(peer);
    if (!to && this.k.replay) return;
    if (!to) throw new Error(`${this.name}: no actor '${peer}' in the kernel (have: ${this.k.actorNames.join(', ')})`);
    // through the wire format, as between threads: the receiver sees exactly what live decodes
    const decoded = kmm.v1.Envelope.decode(kmm.v1.Envelope.encode(env).finish());
    this.k.post(to, decoded, this.name);
  }

  ops(event: string, market: string, level: OpsLevel, fields: Record<string, unknown>): void {
    this.k.hooks.ops?.(this.name, event, market, level, fields, this.k.now());
  }
  log(level: LogLevel, event: string, fields: Record<string, unknown>): void {
    this.k.hooks.log?.(this.name, level, event, fields, this.k.now());
  }
  stat(name: string, delta = 1): void {
    this.stats[name] = ((this.stats[name] as number) || 0) + delta;
  }
  setStat(name: string, value: number | string): void {
    this.stats[name] = value;
  }

  self(body: EnvelopeBody): void {
    if (this.k.replay) return;
    const env = stampHeader(body, undefined, this.current, ++this.senderSeq, this.k.clock.monoNs(), this.senderId, this.current ? this.time.monoNs : 0);
    this.admit(kmm.v1.Envelope.decode(kmm.v1.Envelope.encode(env).finish()), KERNEL_SELF);
  }

  fail(err: Error): void {
    this.k.fail(this, err);
  }

  after(timer: string, delayMs: number): void {
    if (this.k.replay) return;
    const gen = this.generation;
    this.k.at(this.k.clock.monoNs() + Math.max(0, delayMs) * 1e6, () => {
      if (gen === this.generation && !this.stopped) this.fireTimer(timer);
    });
  }

  // ---- driver side --------------------------------------------------------------------

  /** Cold start (also after a crash): a fresh environment and state; timers armed once ready. */
  start(): void {
    const gen = ++this.generation;
    const d = this.o.descriptor;
    this.started = false;
    this.env = this.o.makeEnv(this.restartCount);
    const init = {
      name: this.name,
      kind: d.kind,
      shard: this.o.shard ?? 0,
      shardCount: Math.max(1, this.o.shardCount ?? 1),
      restartCount: this.restartCount,
      config: this.k.config,
      extra: this.o.extra ?? {},
      markets: this.o.markets ?? [],
      startTime: this.k.now(),
      io: this as ActorIo,
      env: this.env as E,
    };
    const ready = (state: S): void => {
      if (gen !== this.generation) return;
      this.state = state;
      this.started = true;
      const startNs = this.k.clock.monoNs();
      for (const t of this.k.replay ? [] : d.timers) {
        if (this.o.unarmedTimers?.includes(t.name)) continue;
        const period = timerPeriodMs(t, this.k.config);
        // on the wall-clock grid, as the worker driver (timer-grid.ts)
        if (period > 0) this.armPeriodic(t.name, period, startNs + msToNextGridPoint(this.k.clock.wallMs(), period) * 1e6, gen);
      }
      if (this.mailbox.depth > 0) this.scheduleDrain();
    };
    let out: S | Promise<S>;
    try {
      out = d.start(init);
    } catch (err) {
      this.ready = Promise.reject(err as Error);
      this.ready.catch(() => {});
      this.k.fail(this, err as Error);
      return;
    }
    if (out instanceof Promise) {
      this.k.markAsync();
      this.ready = out.then(ready, (err: Error) => {
        if (gen === this.generation) this.k.fail(this, err);
      });
    } else {
      ready(out);
      this.ready = Promise.resolve();
    }
  }

  private armPeriodic(name: string, periodMs: number, atNs: number, gen: number): void {
    this.k.at(atNs, () => {
      if (gen !== this.generation || this.stopped) return;
      this.fireTimer(name);
      this.armPeriodic(name, periodMs, atNs + periodMs * 1e6, gen);
    });
  }

  private fireTimer(name: string): void {
    this.fireTimerAt(name, this.k.clock.monoNs(), this.k.clock.wallMs());
  }

  /**
   * A timer message into the mailbox now, saying it fired at `firedMonoNs` / `firedWallMs` (its
   * handler's time): the driver's own firings, and an unarmed timer's (unarmedTimers) fired by the
   * caller, such as a recorded run's tick that fired earlier than its drain handled it.
   */
  fireTimerAt(name: string, firedMonoNs: number, firedWallMs: number): void {
    const env = kmm.v1.Envelope.create({
      header: { senderSeq: 0, emitMonoNs: this.k.clock.monoNs() },
      timer: { name, nowMonoNs: firedMonoNs, wallMs: firedWallMs },
    });
    this.admit(env, KERNEL_SELF);
  }

  admit(env: kmm.v1.Envelope, from: string): void {
    if (this.stopped) return;
    this.counters.msgsIn++;
    const admission = this.mailbox.push(env, from);
    if (admission === 'rejected') {
      const cmd = env.orderCommand ?? env.takerIntent;
      if (cmd && this.k.has(from)) {
        this.k.get(from)!.admit(
          kmm.v1.Envelope.create({
            orderReject: { market: cmd.market, code: kmm.v1.RejectCode.MAILBOX_FULL, message: `${this.name} mailbox full (${this.mailbox.capacity})`, clientOrderId: env.orderCommand?.clientOrderId ?? '' },
          }),
          this.name,
        );
      }
    } else if (admission === 'dropped') this.stat('mailbox_dropped_market_data');
    this.scheduleDrain();
  }

  private scheduleDrain(): void {
    if (this.drainScheduled || !this.started || this.stopped) return;
    this.drainScheduled = true;
    const gen = this.generation;
    this.k.at(this.k.clock.monoNs() + this.k.hopNs, () => {
      if (gen === this.generation) this.drain();
    });
  }

  private readTime(): void {
    const mono = this.k.clock.monoNs();
    this.time.monoNs = mono;
    this.time.monoMs = mono / 1e6;
    this.time.wallMs = this.k.clock.wallMs();
  }

  private drain(): void {
    this.drainScheduled = false;
    if (this.stopped || !this.started) return;
    const d = this.o.descriptor;
    this.counters.drains++;
    try {
      const handled = drainMailbox(this.mailbox, this.handleBound);
      if (handled > 0 && d.endOfDrain) {
        this.current = undefined;
        this.readTime();
        d.endOfDrain(this.state as S, this.time, this);
      }
    } catch (err) {
      this.current = undefined;
      this.k.fail(this, err as Error);
      return;
    }
    this.current = undefined;
    if (this.mailbox.depth > 0) this.scheduleDrain();
  }

  /**
   * Replay (replay-parity): handles `batch` as ONE mailbox drain, each message at the time its
   * live handler saw, then endOfDrain at `endTime` (omit it for a drain cut short by a stop or a
   * crash: live ran no endOfDrain then). Live drains batch several messages and endOfDrain
   * flushes (a book shard's conflated features), so the replay must cut the drains live cut.
   * The mailbox is bypassed: the recording holds what live handled, after its mailbox.
   */
  replayDrain(batch: readonly { env: kmm.v1.Envelope; from: string; time: ActorTime }[], endTime?: ActorTime): void {
    if (!this.started || this.stopped) throw new Error(`${this.name}: replayDrain before start or after stop`);
    const d = this.o.descriptor;
    this.counters.drains++;
    try {
      for (const m of batch) {
        this.counters.msgsIn++;
        this.handle(m.env, m.from, m.time);
      }
      if (endTime && d.endOfDrain) {
        this.current = undefined;
        this.setTime(endTime);
        d.endOfDrain(this.state as S, this.time, this);
      }
    } catch (err) {
      this.k.fail(this, err as Error);
    } finally {
      this.current = undefined;
    }
  }

  private setTime(t: ActorTime): void {
    this.time.monoNs = t.monoNs;
    this.time.monoMs = t.monoNs / 1e6;
    this.time.wallMs = t.wallMs;
  }

  private readonly handleBound = (env: kmm.v1.Envelope, from: string): void => this.handle(env, from);

  private handle(env: kmm.v1.Envelope, from: string, recorded?: ActorTime): void {
    this.current = env.header ?? undefined;
    if (recorded) this.setTime(recorded);
    else setMessageTime(this.time, env, this.k.clock);
    this.k.hooks.deliver?.(this.name, env, from, this.time);
    if (!dispatch(this.o.descriptor, this.state as S, env, this.time, this, from)) this.stat('ignored_' + String(env.body) + '_from_' + from);
  }

  /** A crash: the mailbox and pending timers are lost (a new generation ignores old events). */
  crashed(): void {
    this.counters.crashes++;
    this.counters.lostOnCrash += this.mailbox.depth;
    this.mailbox = new Mailbox(this.capacity);
    this.drainScheduled = false;
    this.started = false;
    this.generation++;
    this.state = undefined;
  }

  /** Runs a step with this actor as the current context (socket callbacks, venue replies): its sends carry `cause`. */
  external(fn: (state: S, t: ActorTime, io: ActorIo) => void): void {
    if (!this.started || this.stopped) return;
    this.readTime();
    try {
      fn(this.state as S, this.time, this);
    } catch (err) {
      this.current = undefined;
      this.k.fail(this, err as Error);
    }
  }

  /** Graceful stop: the descriptor's stop hook (may be async: the kernel keeps running meanwhile). */
  async stop(): Promise<void> {
    if (this.stopped) return;
    await this.ready;
    if (!this.started) {
      this.stopped = true;
      return;
    }
    const d = this.o.descriptor;
    this.readTime();
    const t = { ...this.time };
    this.k.markAsync();
    try {
      await d.stop?.(this.state as S, t, this);
    } finally {
      this.stopped = true;
      this.generation++;
    }
  }
}

export class LocalKernel {
  readonly clock: SimClock;
  readonly config: KmmConfig;
  readonly hopNs: number;
  readonly hooks: KernelHooks;
  readonly counters = { events: 0, messages: 0, crashes: 0, asyncTurns: 0 };
  private readonly heap = new EventHeap();
  private seq = 0;
  private readonly actors = new Map<string, KernelActor<any, any>>();
  actorNames: string[] = [];
  private asyncTouched = false;
  private readonly capacity: number;
  private readonly onCrash: 'throw' | 'restart';
  readonly replay: boolean;
  private failure: Error | null = null;

  constructor(o: KernelOptions) {
    this.clock = o.clock;
    this.config = o.config;
    this.hopNs = o.hopNs ?? 0;
    this.hooks = o.hooks ?? {};
    this.capacity = o.mailboxCapacity ?? (Number((o.config as Record<string, unknown>).kmm_mailbox_capacity) || 65536);
    this.onCrash = o.onCrash ?? 'throw';
    this.replay = o.replay ?? false;
  }

  /** Adds an actor and starts it (asynchronously when its start is async: run the kernel to let it finish). */
  add<S, E>(o: KernelActorOptions<S, E>): KernelActor<S, E> {
    if (this.actors.has(o.name)) throw new Error(`LocalKernel: actor '${o.name}' added twice`);
    const a = new KernelActor<S, E>(this, o, this.capacity);
    this.actors.set(o.name, a);
    this.actorNames = [...this.actors.keys()];
    a.start();
    return a;
  }

  has(name: string): boolean {
    return this.actors.has(name);
  }
  get(name: string): KernelActor<any, any> | undefined {
    return this.actors.get(name);
  }

  now(): ActorTime {
    const mono = this.clock.monoNs();
    return { monoNs: mono, monoMs: mono / 1e6, wallMs: this.clock.wallMs() };
  }

  /** Schedules a step at virtual time tNs (never earlier than now). Equal times run in insertion order. */
  at(tNs: number, fn: () => void): void {
    const now = this.clock.monoNs();
    this.heap.push({ tNs: tNs > now ? tNs : now, seq: ++this.seq, fn });
  }

  /**
   * Schedules a step that settles an asynchronous environment's promise (a venue reply, a
   * timeout): the continuations it releases run at this virtual instant (markAsync).
   */
  atAsync(tNs: number, fn: () => void): void {
    this.at(tNs, () => {
      fn();
      this.markAsync();
    });
  }

  /** Resolves after `ms` of virtual time (an environment's sleep). */
  sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => this.atAsync(this.clock.monoNs() + Math.max(0, Math.round(ms * 1e6)), resolve));
  }

  /** Delivers a message to an actor's mailbox now (from a pseudo-peer such as 'venue' or 'sup'). */
  inject(to: string, body: EnvelopeBody, from = KERNEL_SUP, cause?: Causation): void {
    const a = this.actors.get(to);
    if (!a) throw new Error(`LocalKernel: no actor '${to}'`);
    const env = stampHeader(body, cause, undefined, 0, this.clock.monoNs(), 0);
    this.post(a, kmm.v1.Envelope.decode(kmm.v1.Envelope.encode(env).finish()), from);
  }

  /** @internal */
  post(to: KernelActor<any, any>, env: kmm.v1.Envelope, from: string): void {
    this.counters.messages++;
    to.admit(env, from);
  }

  /** An environment created or settled a promise: let microtasks run after this event. */
  markAsync(): void {
    this.asyncTouched = true;
  }

  /** @internal a crash inside an actor */
  fail(a: KernelActor<any, any>, err: Error): void {
    this.counters.crashes++;
    this.hooks.crash?.(a.name, err, this.now());
    a.crashed();
    if (this.onCrash === 'throw') {
      if (!this.failure) this.failure = new Error(`${a.name} crashed: ${err.message}`, { cause: err });
      return;
    }
    a.restartCount++;
    // crash-only: restart through the cold-start path, as the supervisor does
    this.at(this.clock.monoNs(), () => a.start());
  }

  /** Restarts every actor at once (a process crash): all mailboxes and pending work are lost. */
  crashAll(reason: string): void {
    for (const a of this.actors.values()) {
      this.hooks.crash?.(a.name, new Error(reason), this.now());
      a.crashed();
      a.restartCount++;
    }
    for (const a of this.actors.values()) this.at(this.clock.monoNs(), () => a.start());
  }

  get pending(): number {
    return this.heap.size;
  }
  nextEventNs(): number {
    return this.heap.peekT();
  }

  private advanceTo(tNs: number): void {
    const d = tNs - this.clock.monoNs();
    if (d > 0) this.clock.advanceNs(d);
  }

  private check(): void {
    if (this.failure) {
      const f = this.failure;
      this.failure = null;
      throw f;
    }
  }

  /** Runs one event; returns false when there is none. */
  private async step(): Promise<boolean> {
    if (this.heap.size === 0) return false;
    const e = this.heap.pop();
    this.advanceTo(e.tNs);
    this.counters.events++;
    e.fn();
    if (this.asyncTouched) {
      this.asyncTouched = false;
      this.counters.asyncTurns++;
      // every microtask (promise continuation) runs before this resolves: nothing does real I/O
      await new Promise<void>((r) => setImmediate(r));
    }
    this.check();
    return true;
  }

  /** Runs every event due up to and including tNs, then moves the clock to tNs. */
  async runUntil(tNs: number): Promise<void> {
    while (this.heap.size > 0 && this.heap.peekT() <= tNs) await this.step();
    this.advanceTo(tNs);
    this.check();
  }

  /** Runs events until `p` settles (a stop, a start-up); fails if it has not settled by `maxNs`. */
  async runWhile<T>(p: Promise<T>, maxNs: number, what = 'operation'): Promise<T> {
    let settled = false;
    let value: T | undefined;
    let error: unknown;
    p.then(
      (v) => {
        settled = true;
        value = v;
      },
      (e) => {
        settled = true;
        error = e;
      },
    );
    await new Promise<void>((r) => setImmediate(r));
    while (!settled) {
      if (this.heap.size === 0 || this.heap.peekT() > maxNs) {
        throw new Error(`LocalKernel: ${what} did not finish by t=${(maxNs / 1e9).toFixed(3)} s (next event ${(this.heap.peekT() / 1e9).toFixed(3)} s)`);
      }
      await this.step();
    }
    this.check();
    if (error !== undefined) throw error;
    return value as T;
  }

  /** Stops actors in order (each stop may be async: events keep running meanwhile). */
  async stopAll(order: readonly string[], maxNs: number): Promise<void> {
    for (const name of order) {
      const a = this.actors.get(name);
      if (a) await this.runWhile(a.stop(), maxNs, `stop of ${name}`);
    }
  }
}
