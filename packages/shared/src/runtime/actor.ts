/**
 * The worker-thread driver of actor descriptors (descriptor.ts). `runActor(descriptor, makeEnv)`
 * is the whole shell plumbing of a worker:
 *
 *   supervisor --init(Startup, ports)--> makeEnv (live adapters) --> descriptor.start --> Ready
 *   peers --batches--> decode --> bounded Mailbox --> drain (setImmediate) --> handlers[body]
 *   end of each drain --> descriptor.endOfDrain; declared timers --> Timer messages (setInterval)
 *   ctx.send --> per-peer BatchEncoder --> flushed as one transferred buffer per drain
 *   every heartbeat: Health (ELU, mailbox depth, msgs in/out, drops, handler histogram) --> supervisor
 *
 * Invariants: handlers run one at a time; every queue is bounded (Mailbox); a thrown error
 * in a handler crashes the worker (assertions stay on) and the supervisor restarts it.
 */
import { parentPort, type MessagePort } from 'node:worker_threads';
import { createHistogram, performance, type RecordableHistogram } from 'node:perf_hooks';
import pino, { type Logger } from 'pino';
import { kmm } from '../gen/proto.js';
import { LiveClock } from '../clock/clock.js';
import { kmmLoggerOptions } from '../log/logger.js';
import { BatchEncoder, decodeBatch } from '../transport/codec.js';
import { Mailbox } from '../transport/mailbox.js';
import type { Clock } from '../clock/clock.js';
import type { KmmConfig } from '../config/specs.js';
import type { Causation, EnvelopeBody } from './api.js';
import { msToNextGridPoint } from './timer-grid.js';
import { dispatch, drainMailbox, setMessageTime, stampHeader, timerPeriodMs, type ActorDescriptor, type ActorExtra, type ActorIo, type ActorTime, type LogLevel, type OpsLevel } from './descriptor.js';
import { InputRecorder } from './recorder.js';
import type { SupervisorToWorker, WorkerToSupervisor } from './protocol.js';

export const SUPERVISOR_PEER = 'sup';
export const SELF_PEER = 'self';

interface Peer {
  name: string;
  port: MessagePort | null;
  encoder: BatchEncoder;
  sent: number;
  received: number;
}

/**
 * What a worker entry gives the environment factory: the typed start-up, the real clock, the
 * worker's logger and its io (to wire socket callbacks and other asynchronous inputs).
 */
export interface WorkerEnvContext {
  readonly startup: kmm.v1.IStartup;
  readonly config: KmmConfig;
  readonly extra: ActorExtra;
  readonly clock: Clock;
  readonly log: Logger;
  readonly io: ActorIo;
}

/**
 * Runs a descriptor in this worker thread. `makeEnv` builds the live adapters (websocket, REST
 * gateway, journal file, ...) the descriptor's Env type names; it runs before `start`.
 */
export function runActor<S, E>(descriptor: ActorDescriptor<S, E>, makeEnv: (ctx: WorkerEnvContext) => E | Promise<E>): void {
  const sup = parentPort;
  if (!sup) throw new Error('runActor must be called inside a worker thread');
  const onFirst = (msg: SupervisorToWorker) => {
    if (msg.type !== 'init') throw new Error(`expected init from the supervisor, got ${msg.type}`);
    sup.off('message', onFirst);
    void new ActorRuntime(descriptor as ActorDescriptor<unknown, unknown>, makeEnv as (ctx: WorkerEnvContext) => unknown, msg.startup, msg.ports).start();
  };
  sup.on('message', onFirst);
}

class ActorRuntime implements ActorIo {
  readonly name: string;
  readonly startup: kmm.v1.Startup;
  readonly config: KmmConfig;
  readonly extra: ActorExtra;
  readonly clock = new LiveClock();
  readonly logger: Logger;
  current: kmm.v1.IHeader | undefined;

  private readonly peersByName = new Map<string, Peer>();
  private peerNames: string[] = [];
  private readonly supEncoder = new BatchEncoder();
  /**
   * The supervisor's messages of this drain (monitor copies, ops events, health), stamped when
   * sent and encoded when flushed, after the peers' batches left: the monitor feed never delays
   * the hot path (strategy's decision events were encoded between its TargetQuotes and their
   * batch to exec: ~170 us at p50). Bodies sent to the supervisor are fresh objects the actor
   * does not change within the drain (an ops event's fields included).
   */
  private readonly supPending: kmm.v1.IEnvelope[] = [];
  private readonly supPendingFields: Array<Record<string, unknown> | null> = [];
  private readonly mailbox: Mailbox;
  private readonly handlerNs: RecordableHistogram = createHistogram();
  private readonly stats: Record<string, number | string> = {};
  private readonly timers = new Map<string, NodeJS.Timeout>();
  /** the actor's state once `start` resolved; messages wait in the mailbox until then */
  private state: unknown = undefined;
  private started = false;
  /** reused per message: handlers must not keep it */
  private readonly time = { monoNs: 0, monoMs: 0, wallMs: 0 };
  private recorder: InputRecorder | null = null;
  private senderSeq = 0;
  private msgsIn = 0;
  private msgsOut = 0;
  private drainScheduled = false;
  private draining = false;
  private flushScheduled = false;
  private stopping = false;
  private lastElu = performance.eventLoopUtilization();
  private readonly batchMaxBytes: number;

  constructor(
    private readonly d: ActorDescriptor<unknown, unknown>,
    private readonly makeEnv: (ctx: WorkerEnvContext) => unknown,
    startupBytes: Uint8Array,
    ports: Record<string, MessagePort>,
  ) {
    this.startup = kmm.v1.Startup.decode(startupBytes);
    this.name = this.startup.actor;
    this.config = (this.startup.configJson ? JSON.parse(this.startup.configJson) : {}) as KmmConfig;
    this.extra = (this.startup.extraJson ? JSON.parse(this.startup.extraJson) : {}) as ActorExtra;
    const limits = this.startup.limits ?? kmm.v1.ActorLimits.create();
    this.mailbox = new Mailbox(limits.mailboxCapacity || 65536);
    this.batchMaxBytes = limits.batchMaxBytes || 256 * 1024;
    const logFile = this.startup.runDir ? `${this.startup.runDir}/ops.log` : undefined;
    this.logger = createWorkerLogger(this.name, logFile, String(this.config.kmm_log_level ?? 'info'));
    for (const [name, port] of Object.entries(ports)) this.attach(name, port);
  }

  get peers(): readonly string[] {
    return this.peerNames;
  }
  hasPeer(peer: string): boolean {
    return this.peersByName.has(peer);
  }

  async start(): Promise<void> {
    const sup = parentPort!;
    sup.on('message', (msg: ArrayBuffer | SupervisorToWorker) => {
      if (msg instanceof ArrayBuffer) this.receive(SUPERVISOR_PEER, msg);
      else if (msg.type === 'rewire') this.rewire(msg.peer, msg.port);
    });
    try {
      const runDir = this.extra.runDir || this.startup.runDir || '';
      if (this.extra.recordInputs && runDir) this.recorder = new InputRecorder(runDir, this.name, this.time);
      const env = await this.makeEnv({ startup: this.startup, config: this.config, extra: this.extra, clock: this.clock, log: this.logger, io: this });
      const markets = Array.isArray(this.extra.markets) ? this.extra.markets : [];
      this.readTime();
      const startTime = { ...this.time };
      if (this.recorder) {
        this.recorder.start({
          actor: this.name,
          kind: this.startup.kind,
          mono_ns: this.time.monoNs,
          wall_ms: this.time.wallMs,
          shard: this.startup.shard ?? 0,
          shard_count: Math.max(1, this.startup.shardCount ?? 1),
          restart_count: this.startup.restartCount ?? 0,
          peers: [...this.peerNames],
          config: this.config as unknown as Record<string, unknown>,
          extra: { ...this.extra, privateKeyPath: undefined, keyId: undefined },
        });
      }
      this.state = await this.d.start({
        name: this.name,
        kind: this.startup.kind,
        shard: this.startup.shard ?? 0,
        shardCount: Math.max(1, this.startup.shardCount ?? 1),
        restartCount: this.startup.restartCount ?? 0,
        config: this.config,
        extra: this.extra,
        markets,
        startTime,
        io: this,
        env,
      });
      this.started = true;
    } catch (err) {
      this.crash(err);
      return;
    }
    for (const t of this.d.timers) {
      const period = timerPeriodMs(t, this.config);
      if (period > 0) this.armGridTimer(t.name, period);
    }
    const hb = this.startup.limits?.heartbeatMs || 1000;
    this.timers.set('__health', setInterval(() => this.sendHealth(), hb));
    this.toSupervisor({ ready: { actor: this.name, pidThread: process.pid } });
    this.flushAll();
    // messages that arrived during start-up waited in the mailbox, in order
    if (this.mailbox.depth > 0) this.scheduleDrain();
  }

  /** A declared periodic timer on the wall-clock grid (timer-grid.ts), re-armed after each firing. */
  private armGridTimer(name: string, periodMs: number): void {
    this.timers.set(name, setTimeout(() => {
      this.fireTimer(name);
      if (!this.stopping) this.armGridTimer(name, periodMs);
    }, msToNextGridPoint(this.clock.wallMs(), periodMs)));
  }

  // ---- ActorIo ------------------------------------------------------------------------

  now(): ActorTime {
    const mono = this.clock.monoNs();
    return { monoNs: mono, monoMs: mono / 1e6, wallMs: this.clock.wallMs() };
  }

  send(peer: string, body: EnvelopeBody, cause?: Causation): void {
    if (this.recorder) this.recorder.output(peer, body);
    if (peer === SUPERVISOR_PEER) {
      // Monitor feed for the main thread (dashboard, summary): low volume, batched like the rest.
      this.toSupervisor(body, cause);
      this.msgsOut++;
      this.scheduleFlush();
      return;
    }
    const p = this.peersByName.get(peer);
    if (!p) throw new Error(`${this.name}: no channel to peer '${peer}' (have: ${this.peers.join(', ')})`);
    p.encoder.add(this.envelope(body, cause));
    p.sent++;
    this.msgsOut++;
    if (p.encoder.byteLength >= this.batchMaxBytes) this.flushPeer(p);
    else this.scheduleFlush();
  }

  ops(event: string, market: string, level: OpsLevel, fields: Record<string, unknown>): void {
    // the JSON is made at the flush, after the peers' batches left
    this.supPending.push(this.envelope({ opsEvent: { event, market, level, json: '' } }));
    this.supPendingFields.push(fields);
    this.scheduleFlush();
  }

  log(level: LogLevel, event: string, fields: Record<string, unknown>): void {
    this.logger[level]({ event, ...fields }, event);
  }

  self(body: EnvelopeBody): void {
    const env = kmm.v1.Envelope.decode(kmm.v1.Envelope.encode(this.envelope(body)).finish());
    this.admit(env, SELF_PEER);
    this.scheduleDrain();
  }

  fail(err: Error): void {
    this.crash(err);
  }

  after(name: string, delayMs: number): void {
    const key = 'once:' + name;
    const old = this.timers.get(key);
    if (old) clearTimeout(old);
    this.timers.set(
      key,
      setTimeout(() => {
        this.timers.delete(key);
        this.fireTimer(name);
      }, delayMs),
    );
  }

  stat(name: string, delta = 1): void {
    this.stats[name] = ((this.stats[name] as number) || 0) + delta;
  }
  setStat(name: string, value: number | string): void {
    this.stats[name] = value;
  }

  // ---- receive, mailbox, drain --------------------------------------------------------

  private attach(name: string, port: MessagePort): void {
    const peer: Peer = { name, port, encoder: new BatchEncoder(), sent: 0, received: 0 };
    this.peersByName.set(name, peer);
    this.peerNames = [...this.peersByName.keys()];
    port.on('message', (batch: ArrayBuffer) => this.receive(name, batch));
  }

  private rewire(name: string, port: MessagePort): void {
    const old = this.peersByName.get(name);
    const sentToPeer = old ? old.sent : 0;
    if (old?.port) old.port.close();
    this.attach(name, port);
    this.logger.warn({ peer: name, sentToPeer }, 'peer restarted: channel rewired');
    parentPort!.postMessage({ type: 'rewired', peer: name, sentToPeer } satisfies WorkerToSupervisor);
  }

  private receive(from: string, batch: ArrayBuffer): void {
    decodeBatch(batch, (env) => this.admit(env, from));
    this.scheduleDrain();
  }

  private admit(env: kmm.v1.Envelope, from: string): void {
    this.msgsIn++;
    const admission = this.mailbox.push(env, from);
    if (admission === 'rejected') this.rejectCommand(env, from);
    else if (admission === 'dropped') this.stat('mailbox_dropped_market_data');
  }

  /** A command refused by a full mailbox gets a typed reject, never silence. */
  private rejectCommand(env: kmm.v1.Envelope, from: string): void {
    const cmd = env.orderCommand ?? env.takerIntent;
    const peer = this.peersByName.get(from);
    if (!peer || !cmd) return;
    this.send(from, {
      orderReject: {
        market: cmd.market,
        code: kmm.v1.RejectCode.MAILBOX_FULL,
        message: `${this.name} mailbox full (${this.mailbox.capacity})`,
        clientOrderId: env.orderCommand?.clientOrderId ?? '',
      },
    });
  }

  private scheduleDrain(): void {
    if (this.drainScheduled || !this.started) return;
    this.drainScheduled = true;
    setImmediate(this.drain);
  }

  private readonly drain = (): void => {
    this.drainScheduled = false;
    if (this.stopping) return;
    this.draining = true;
    try {
      const handled = drainMailbox(this.mailbox, this.handleBound);
      if (handled > 0 && this.d.endOfDrain && !this.stopping) {
        this.current = undefined;
        this.readTime();
        this.d.endOfDrain(this.state, this.time, this);
      }
      if (this.recorder && handled > 0 && !this.stopping) this.recorder.drainEnd();
    } catch (err) {
      this.crash(err);
      return;
    } finally {
      this.draining = false;
      this.current = undefined;
    }
    this.flushAll();
    if (this.mailbox.depth > 0) this.scheduleDrain();
  };

  private readTime(): void {
    const mono = this.clock.monoNs();
    this.time.monoNs = mono;
    this.time.monoMs = mono / 1e6;
    this.time.wallMs = this.clock.wallMs();
  }

  private readonly handleBound = (env: kmm.v1.Envelope, from: string): void => this.handle(env, from);

  private handle(env: kmm.v1.Envelope, from: string): void {
    const control = env.control;
    if (from === SUPERVISOR_PEER && control && control.kind === kmm.v1.ControlKind.SHUTDOWN) {
      void this.stop();
      return;
    }
    if (this.stopping) return;
    const peer = this.peersByName.get(from);
    if (peer) peer.received++;
    this.current = env.header ?? undefined;
    setMessageTime(this.time, env, this.clock);
    if (this.recorder) this.recorder.input(env, from);
    const t0 = performance.now();
    if (!dispatch(this.d, this.state, env, this.time, this, from)) this.stat('ignored_' + String(env.body) + '_from_' + from);
    const ns = Math.max(1, Math.round((performance.now() - t0) * 1e6));
    this.handlerNs.record(ns);
  }

  // ---- send path ------------------------------------------------------------------------

  private envelope(body: EnvelopeBody, cause?: Causation): kmm.v1.IEnvelope {
    return stampHeader(body, cause, this.current, ++this.senderSeq, this.clock.monoNs(), this.startup.kind * 1000 + this.startup.shard, this.current ? this.time.monoNs : 0);
  }

  private toSupervisor(body: EnvelopeBody, cause?: Causation): void {
    this.supPending.push(this.envelope(body, cause));
    this.supPendingFields.push(null);
  }

  private scheduleFlush(): void {
    if (this.draining || this.flushScheduled) return;
    this.flushScheduled = true;
    queueMicrotask(() => {
      this.flushScheduled = false;
      this.flushAll();
    });
  }

  private flushPeer(p: Peer): void {
    if (p.encoder.count === 0 || !p.port) return;
    const batch = p.encoder.finish();
    p.port.postMessage(batch, [batch]);
  }

  private flushAll(): void {
    for (const p of this.peersByName.values()) this.flushPeer(p);
    // then the supervisor's messages of this drain, encoded now (supPending)
    const n = this.supPending.length;
    for (let i = 0; i < n; i++) {
      const env = this.supPending[i];
      const fields = this.supPendingFields[i];
      if (fields !== null) env.opsEvent!.json = JSON.stringify(fields);
      this.supEncoder.add(env);
    }
    this.supPending.length = 0;
    this.supPendingFields.length = 0;
    if (this.supEncoder.count > 0) {
      const batch = this.supEncoder.finish();
      parentPort!.postMessage(batch, [batch]);
    }
  }

  // ---- health, timers, lifecycle --------------------------------------------------------

  private fireTimer(name: string): void {
    const env = kmm.v1.Envelope.create({
      header: { senderSeq: 0, emitMonoNs: this.clock.monoNs() },
      timer: { name, nowMonoNs: this.clock.monoNs(), wallMs: this.clock.wallMs() },
    });
    this.mailbox.push(env, SELF_PEER);
    this.scheduleDrain();
  }

  private sendHealth(): void {
    const elu = performance.eventLoopUtilization(this.lastElu);
    this.lastElu = performance.eventLoopUtilization();
    const h = this.handlerNs;
    const mem = process.memoryUsage();
    const perPeerIn: Record<string, number> = {};
    for (const p of this.peersByName.values()) perPeerIn[p.name] = p.received;
    this.toSupervisor({
      health: {
        actor: this.name,
        kind: this.startup.kind,
        shard: this.startup.shard,
        elu: elu.utilization,
        mailboxDepth: this.mailbox.depth,
        mailboxDepthMax: this.mailbox.depthMax,
        msgsIn: this.msgsIn,
        msgsOut: this.msgsOut,
        dropped: this.mailbox.dropped,
        conflated: this.mailbox.conflated,
        handler: {
          count: h.count,
          p50Ns: h.count ? h.percentile(50) : 0,
          p90Ns: h.count ? h.percentile(90) : 0,
          p99Ns: h.count ? h.percentile(99) : 0,
          p999Ns: h.count ? h.percentile(99.9) : 0,
          maxNs: h.count ? h.max : 0,
          meanNs: h.count ? h.mean : 0,
        },
        rssMb: mem.rss / 1048576,
        heapUsedMb: mem.heapUsed / 1048576,
        statsJson: JSON.stringify({ ...this.stats, perPeerIn }),
      },
    });
    this.flushAll();
  }

  private async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    let error: string | undefined;
    for (const [name, t] of this.timers) if (name !== '__health') clearInterval(t);
    try {
      if (this.started && this.d.stop) {
        this.readTime();
        this.recorder?.stop();
        await this.d.stop(this.state, this.time, this);
      }
    } catch (err) {
      error = (err as Error).stack ?? String(err);
      this.logger.error({ err }, 'stop failed');
    }
    for (const t of this.timers.values()) clearInterval(t);
    this.timers.clear();
    this.sendHealth();
    this.flushAll();
    await this.recorder?.close();
    await flushLog(this.logger);
    parentPort!.postMessage({ type: 'stopped', error } satisfies WorkerToSupervisor);
  }

  private crash(err: unknown): void {
    const text = (err as Error)?.stack ?? String(err);
    this.logger.fatal({ err }, 'actor crashed');
    parentPort!.postMessage({ type: 'crash', error: text } satisfies WorkerToSupervisor);
    // Crash-only: the supervisor restarts us through the same path as a cold start.
    setImmediate(() => process.exit(70));
  }
}

/**
 * Workers log JSON lines to the run's ops.log through pino's asynchronous destination (the
 * worker is already off the main thread; a transport thread per worker would double the thread
 * count on small machines). Same redaction of secrets as every other logger (log/logger.ts).
 */
function createWorkerLogger(name: string, file: string | undefined, level: string): Logger {
  const dest = file ? pino.destination({ dest: file, sync: false, mkdir: true }) : pino.destination({ dest: 2, sync: false });
  return pino(kmmLoggerOptions(name, level), dest);
}

function flushLog(log: Logger): Promise<void> {
  return new Promise((resolve) => log.flush(() => resolve()));
}
