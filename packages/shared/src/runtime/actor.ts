/**
 * Worker side of the actor runtime. `runActor(spec)` is the whole shell plumbing of a worker:
 *
 *   supervisor --init(Startup, ports)--> runtime --onStart--> actor; runtime --Ready--> supervisor
 *   peers --batches--> decode --> bounded Mailbox --> drain (setImmediate) --> spec.onMessage
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
import type { ActorContext, ActorSpec, Causation, EnvelopeBody } from './api.js';
import type { SupervisorToWorker, WorkerToSupervisor } from './protocol.js';

/** Messages handled per drain before yielding to the event loop (keeps sockets and timers live). */
const DRAIN_BUDGET = 512;
export const SUPERVISOR_PEER = 'sup';
export const SELF_PEER = 'self';

interface Peer {
  name: string;
  port: MessagePort | null;
  encoder: BatchEncoder;
  sent: number;
  received: number;
}

export function runActor(spec: ActorSpec): void {
  const sup = parentPort;
  if (!sup) throw new Error('runActor must be called inside a worker thread');
  const onFirst = (msg: SupervisorToWorker) => {
    if (msg.type !== 'init') throw new Error(`expected init from the supervisor, got ${msg.type}`);
    sup.off('message', onFirst);
    void new ActorRuntime(spec, msg.startup, msg.ports).start();
  };
  sup.on('message', onFirst);
}

class ActorRuntime implements ActorContext {
  readonly name: string;
  readonly startup: kmm.v1.Startup;
  readonly config: Record<string, any>;
  readonly extra: Record<string, any>;
  readonly clock = new LiveClock();
  readonly log: Logger;
  current: kmm.v1.IHeader | undefined;

  private readonly peersByName = new Map<string, Peer>();
  private readonly supEncoder = new BatchEncoder();
  private readonly mailbox: Mailbox;
  private readonly handlerNs: RecordableHistogram = createHistogram();
  private readonly stats: Record<string, number | string> = {};
  private readonly timers = new Map<string, NodeJS.Timeout>();
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
    private readonly spec: ActorSpec,
    startupBytes: Uint8Array,
    ports: Record<string, MessagePort>,
  ) {
    this.startup = kmm.v1.Startup.decode(startupBytes);
    this.name = this.startup.actor;
    this.config = this.startup.configJson ? JSON.parse(this.startup.configJson) : {};
    this.extra = this.startup.extraJson ? JSON.parse(this.startup.extraJson) : {};
    const limits = this.startup.limits ?? kmm.v1.ActorLimits.create();
    this.mailbox = new Mailbox(limits.mailboxCapacity || 65536);
    this.batchMaxBytes = limits.batchMaxBytes || 256 * 1024;
    const logFile = this.startup.runDir ? `${this.startup.runDir}/ops.log` : undefined;
    this.log = createWorkerLogger(this.name, logFile, String(this.config.kmm_log_level ?? 'info'));
    for (const [name, port] of Object.entries(ports)) this.attach(name, port);
  }

  get peers(): readonly string[] {
    return [...this.peersByName.keys()];
  }

  async start(): Promise<void> {
    const sup = parentPort!;
    sup.on('message', (msg: ArrayBuffer | SupervisorToWorker) => {
      if (msg instanceof ArrayBuffer) this.receive(SUPERVISOR_PEER, msg);
      else if (msg.type === 'rewire') this.rewire(msg.peer, msg.port);
    });
    try {
      await this.spec.onStart(this);
    } catch (err) {
      this.crash(err);
      return;
    }
    const hb = this.startup.limits?.heartbeatMs || 1000;
    this.timers.set('__health', setInterval(() => this.sendHealth(), hb));
    this.toSupervisor({ ready: { actor: this.name, pidThread: process.pid } });
    this.flushAll();
  }

  // ---- ActorContext ------------------------------------------------------------------

  send(peer: string, body: EnvelopeBody, cause?: Causation): void {
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

  ops(event: string, market: string, level: 'info' | 'warn' | 'error', fields: Record<string, unknown>): void {
    this.toSupervisor({ opsEvent: { event, market, level, json: JSON.stringify(fields) } });
    this.scheduleFlush();
  }

  every(name: string, periodMs: number): void {
    const old = this.timers.get(name);
    if (old) clearInterval(old);
    this.timers.delete(name);
    if (periodMs > 0) this.timers.set(name, setInterval(() => this.fireTimer(name), periodMs));
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
    port.on('message', (batch: ArrayBuffer) => this.receive(name, batch));
  }

  private rewire(name: string, port: MessagePort): void {
    const old = this.peersByName.get(name);
    const sentToPeer = old ? old.sent : 0;
    if (old?.port) old.port.close();
    this.attach(name, port);
    this.log.warn({ peer: name, sentToPeer }, 'peer restarted: channel rewired');
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
    if (this.drainScheduled) return;
    this.drainScheduled = true;
    setImmediate(this.drain);
  }

  private readonly drain = (): void => {
    this.drainScheduled = false;
    this.draining = true;
    let handled = 0;
    try {
      let entry = this.mailbox.shift();
      while (entry !== undefined) {
        this.handle(entry.env, entry.from);
        if (++handled >= DRAIN_BUDGET) break;
        entry = this.mailbox.shift();
      }
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

  private handle(env: kmm.v1.Envelope, from: string): void {
    const control = env.control;
    if (from === SUPERVISOR_PEER && control && control.kind === kmm.v1.ControlKind.SHUTDOWN) {
      void this.stop();
      return;
    }
    const peer = this.peersByName.get(from);
    if (peer) peer.received++;
    this.current = env.header ?? undefined;
    const t0 = performance.now();
    this.spec.onMessage(env, from, this);
    const ns = Math.max(1, Math.round((performance.now() - t0) * 1e6));
    this.handlerNs.record(ns);
  }

  // ---- send path ------------------------------------------------------------------------

  private envelope(body: EnvelopeBody, cause?: Causation): kmm.v1.IEnvelope {
    const cur = this.current;
    const header: kmm.v1.IHeader = {
      senderSeq: ++this.senderSeq,
      emitMonoNs: this.clock.monoNs(),
      causationId: cause?.causationId ?? (cur ? cur.causationId : 0),
      recvMonoNs: cause?.recvMonoNs ?? (cur ? cur.recvMonoNs : 0),
      exchangeTsMs: cause?.exchangeTsMs ?? (cur ? cur.exchangeTsMs : 0),
      senderId: this.startup.kind * 1000 + this.startup.shard,
    };
    const env = body as kmm.v1.IEnvelope;
    env.header = header;
    return env;
  }

  private toSupervisor(body: EnvelopeBody, cause?: Causation): void {
    this.supEncoder.add(this.envelope(body, cause));
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
    try {
      await this.spec.onStop?.(this);
    } catch (err) {
      error = (err as Error).stack ?? String(err);
      this.log.error({ err }, 'onStop failed');
    }
    for (const t of this.timers.values()) clearInterval(t);
    this.timers.clear();
    this.sendHealth();
    this.flushAll();
    await flushLog(this.log);
    parentPort!.postMessage({ type: 'stopped', error } satisfies WorkerToSupervisor);
  }

  private crash(err: unknown): void {
    const text = (err as Error)?.stack ?? String(err);
    this.log.fatal({ err }, 'actor crashed');
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
