/**
 * The supervisor (main thread): spawns each actor as a worker_thread, wires the topology with
 * one MessageChannel per edge, sends each worker its typed Startup (config, limits, ports),
 * waits for Ready, watches heartbeats, restarts crashed or hung workers through the same path
 * as a cold start (reporting what was in flight to them), and shuts down in a stated order.
 *
 * Emits: 'health' (kmm.v1.Health), 'ops' (kmm.v1.OpsEvent + actor), 'message' (any other
 * envelope an actor sent to the supervisor), 'restart' ({actor, reason, restarts, inFlight}),
 * 'fatal' ({actor, reason}) when an actor exceeds its restart budget.
 */
import { EventEmitter } from 'node:events';
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import { kmm } from '../gen/proto.js';
import { BatchEncoder, decodeBatch } from '../transport/codec.js';
import type { EnvelopeBody } from './api.js';
import type { InitMessage, RewireMessage, WorkerToSupervisor } from './protocol.js';

export interface ActorDef {
  name: string;
  kind: kmm.v1.ActorKind;
  /** absolute path of the compiled worker entry (e.g. .../dist/shell/main.js) */
  script: string;
  shard?: number;
  shardCount?: number;
  extra?: Record<string, unknown>;
}

export interface SupervisorOptions {
  actors: ActorDef[];
  /** undirected edges between actor names; each gets one MessageChannel */
  edges: Array<[string, string]>;
  /**
   * Channels to peers outside this supervisor (another process, over NATS: @kmm/cluster's
   * NatsTransport.bridge): called for an actor at every (re)start, returns peer name -> a fresh
   * port the worker uses as that peer.
   */
  externalPorts?: (actor: string) => Record<string, MessagePort>;
  config: Record<string, unknown>;
  runDir?: string;
  mailboxCapacity?: number;
  batchMaxBytes?: number;
  heartbeatMs?: number;
  /** no heartbeat for this long => the worker is hung: terminate and restart */
  hangTimeoutMs?: number;
  startTimeoutMs?: number;
  /** restart budget: at most maxRestarts per actor within restartWindowMs, then 'fatal' */
  maxRestarts?: number;
  restartWindowMs?: number;
  /** shutdown order; actors not listed stop last */
  shutdownOrder?: string[];
  stopTimeoutMs?: number;
}

interface Slot {
  def: ActorDef;
  worker: Worker | null;
  ready: boolean;
  restarts: number[];
  lastHealth: kmm.v1.IHealth | null;
  lastHealthAtMs: number;
  stopping: boolean;
  encoder: BatchEncoder;
  /** latest per-peer processed counts from Health.stats_json */
  processedFrom: Record<string, number>;
}

export class Supervisor extends EventEmitter {
  private readonly slots = new Map<string, Slot>();
  private readonly opts: Required<Omit<SupervisorOptions, 'runDir' | 'externalPorts'>> & Pick<SupervisorOptions, 'externalPorts'> & { runDir: string };
  private hangTimer: NodeJS.Timeout | null = null;
  private stopped = false;
  private restartCount = 0;

  constructor(options: SupervisorOptions) {
    super();
    this.opts = {
      runDir: options.runDir ?? '',
      mailboxCapacity: 65536,
      batchMaxBytes: 256 * 1024,
      heartbeatMs: 1000,
      hangTimeoutMs: 10_000,
      startTimeoutMs: 30_000,
      maxRestarts: 5,
      restartWindowMs: 60_000,
      shutdownOrder: [],
      stopTimeoutMs: 15_000,
      ...options,
    } as Supervisor['opts'];
    for (const def of options.actors) {
      if (this.slots.has(def.name)) throw new Error(`duplicate actor name ${def.name}`);
      this.slots.set(def.name, {
        def,
        worker: null,
        ready: false,
        restarts: [],
        lastHealth: null,
        lastHealthAtMs: 0,
        stopping: false,
        encoder: new BatchEncoder(),
        processedFrom: {},
      });
    }
    for (const [a, b] of options.edges) {
      if (!this.slots.has(a) || !this.slots.has(b)) throw new Error(`edge ${a}<->${b} names an unknown actor`);
    }
  }

  /** Spawns every actor, wires the channels and waits until all are Ready. */
  async start(): Promise<void> {
    const ports = this.makeChannels([...this.slots.keys()]);
    await Promise.all([...this.slots.values()].map((slot) => this.spawn(slot, ports.get(slot.def.name)!)));
    this.hangTimer = setInterval(() => this.checkHung(), Math.max(250, Math.floor(this.opts.hangTimeoutMs / 4)));
    this.hangTimer.unref();
  }

  actorNames(): string[] {
    return [...this.slots.keys()];
  }

  /** Latest health of every actor (the per-actor load profile, queryable while running). */
  health(): Map<string, kmm.v1.IHealth> {
    const out = new Map<string, kmm.v1.IHealth>();
    for (const [name, s] of this.slots) if (s.lastHealth) out.set(name, s.lastHealth);
    return out;
  }

  /** Sends a message (usually a Control) to one actor. */
  send(actor: string, body: EnvelopeBody): void {
    const slot = this.slots.get(actor);
    if (!slot) throw new Error(`unknown actor ${actor}`);
    if (!slot.worker) return;
    const env = body as kmm.v1.IEnvelope;
    env.header = { senderSeq: 0, emitMonoNs: Number(process.hrtime.bigint()) };
    slot.encoder.add(env);
    const batch = slot.encoder.finish();
    slot.worker.postMessage(batch, [batch]);
  }

  broadcast(body: EnvelopeBody): void {
    for (const name of this.slots.keys()) this.send(name, structuredClone(body));
  }

  /** Test and chaos hook: terminates a worker abruptly, as a crash would. */
  async kill(actor: string): Promise<void> {
    const slot = this.slots.get(actor);
    if (!slot?.worker) throw new Error(`actor ${actor} is not running`);
    await slot.worker.terminate();
  }

  /** Graceful shutdown: SHUTDOWN to each actor in order, each drains (onStop) before the next. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.hangTimer) clearInterval(this.hangTimer);
    const order = [...this.opts.shutdownOrder.filter((n) => this.slots.has(n))];
    for (const n of this.slots.keys()) if (!order.includes(n)) order.push(n);
    for (const name of order) await this.stopOne(this.slots.get(name)!);
  }

  // ---- internals -------------------------------------------------------------------------

  private makeChannels(names: string[]): Map<string, Record<string, MessagePort>> {
    const wanted = new Set(names);
    const ports = new Map<string, Record<string, MessagePort>>();
    for (const n of names) ports.set(n, this.opts.externalPorts ? { ...this.opts.externalPorts(n) } : {});
    for (const [a, b] of this.opts.edges) {
      if (!wanted.has(a) && !wanted.has(b)) continue;
      const ch = new MessageChannel();
      if (wanted.has(a)) ports.get(a)![b] = ch.port1;
      else this.rewirePeer(a, b, ch.port1);
      if (wanted.has(b)) ports.get(b)![a] = ch.port2;
      else this.rewirePeer(b, a, ch.port2);
    }
    return ports;
  }

  private rewirePeer(actor: string, peer: string, port: MessagePort): void {
    const slot = this.slots.get(actor)!;
    if (!slot.worker) return;
    slot.worker.postMessage({ type: 'rewire', peer, port } satisfies RewireMessage, [port]);
  }

  private spawn(slot: Slot, ports: Record<string, MessagePort>): Promise<void> {
    const def = slot.def;
    const startup = kmm.v1.Startup.encode({
      actor: def.name,
      kind: def.kind,
      shard: def.shard ?? 0,
      shardCount: def.shardCount ?? 1,
      configJson: JSON.stringify(this.opts.config),
      limits: { mailboxCapacity: this.opts.mailboxCapacity, batchMaxBytes: this.opts.batchMaxBytes, heartbeatMs: this.opts.heartbeatMs },
      runDir: this.opts.runDir,
      restartCount: slot.restarts.length,
      extraJson: JSON.stringify(def.extra ?? {}),
    }).finish();
    const worker = new Worker(def.script, { name: def.name });
    slot.worker = worker;
    slot.ready = false;
    slot.lastHealthAtMs = Date.now();
    return new Promise<void>((resolve, reject) => {
      const timeout = setTimeout(() => {
        reject(new Error(`actor ${def.name} did not report Ready within ${this.opts.startTimeoutMs} ms`));
        void worker.terminate();
      }, this.opts.startTimeoutMs);
      worker.on('message', (msg: ArrayBuffer | WorkerToSupervisor) => {
        if (msg instanceof ArrayBuffer) {
          decodeBatch(msg, (env) => {
            if (env.ready && !slot.ready) {
              slot.ready = true;
              clearTimeout(timeout);
              resolve();
            } else this.onEnvelope(slot, env);
          });
        } else this.onControl(slot, msg);
      });
      worker.on('error', (err) => {
        this.emit('ops', { actor: def.name, event: 'actor_error', level: 'error', market: '', json: JSON.stringify({ error: String(err.stack ?? err) }) });
      });
      worker.on('exit', (code) => {
        clearTimeout(timeout);
        if (!slot.ready) reject(new Error(`actor ${def.name} exited with code ${code} before Ready`));
        this.onExit(slot, worker, code);
      });
      const init: InitMessage = { type: 'init', startup: new Uint8Array(startup), ports };
      worker.postMessage(init, Object.values(ports));
    });
  }

  private onEnvelope(slot: Slot, env: kmm.v1.Envelope): void {
    if (env.health) {
      slot.lastHealth = env.health;
      slot.lastHealthAtMs = Date.now();
      try {
        const stats = JSON.parse(env.health.statsJson || '{}');
        if (stats.perPeerIn) slot.processedFrom = stats.perPeerIn;
      } catch {
        /* stats are advisory */
      }
      this.emit('health', env.health);
    } else if (env.opsEvent) {
      this.emit('ops', { actor: slot.def.name, ...env.opsEvent });
    } else {
      this.emit('message', slot.def.name, env);
    }
  }

  private onControl(slot: Slot, msg: WorkerToSupervisor): void {
    if (msg.type === 'crash') {
      this.emit('ops', { actor: slot.def.name, event: 'actor_crashed', level: 'error', market: '', json: JSON.stringify({ error: msg.error }) });
    } else if (msg.type === 'rewired') {
      // A peer tells us how many messages it had sent to the restarted actor; the restarted
      // actor's last heartbeat says how many of those it had processed.
      const dead = this.slots.get(msg.peer);
      if (!dead) return;
      const processed = dead.processedFrom[slot.def.name] ?? 0;
      const inFlight = Math.max(0, msg.sentToPeer - processed);
      this.emit('ops', {
        actor: 'supervisor',
        event: 'in_flight_lost',
        level: inFlight > 0 ? 'warn' : 'info',
        market: '',
        json: JSON.stringify({ restarted: msg.peer, sender: slot.def.name, sent: msg.sentToPeer, processedAtLastHeartbeat: processed, inFlightUpperBound: inFlight }),
      });
    } else if (msg.type === 'stopped') {
      slot.stopping = true;
      this.emit('stopped', slot.def.name, msg.error);
    }
  }

  private onExit(slot: Slot, worker: Worker, code: number): void {
    if (slot.worker !== worker) return;
    slot.worker = null;
    if (this.stopped || slot.stopping) return;
    void this.restart(slot, `exited with code ${code}`);
  }

  private async restart(slot: Slot, reason: string): Promise<void> {
    const now = Date.now();
    slot.restarts = slot.restarts.filter((t) => now - t < this.opts.restartWindowMs);
    slot.restarts.push(now);
    if (slot.restarts.length > this.opts.maxRestarts) {
      this.emit('fatal', { actor: slot.def.name, reason: `${reason}; restart budget (${this.opts.maxRestarts}/${this.opts.restartWindowMs} ms) exhausted` });
      return;
    }
    this.restartCount++;
    const inFlight = slot.lastHealth ? { mailboxDepthAtLastHeartbeat: slot.lastHealth.mailboxDepth } : {};
    this.emit('restart', { actor: slot.def.name, reason, restarts: slot.restarts.length, inFlight });
    // Same path as a cold start: fresh channels to every peer, fresh Startup, wait for Ready.
    const ports = this.makeChannels([slot.def.name]);
    try {
      await this.spawn(slot, ports.get(slot.def.name)!);
    } catch (err) {
      this.emit('fatal', { actor: slot.def.name, reason: `restart failed: ${(err as Error).message}` });
    }
  }

  get totalRestarts(): number {
    return this.restartCount;
  }

  private checkHung(): void {
    const now = Date.now();
    for (const slot of this.slots.values()) {
      if (!slot.worker || !slot.ready || slot.stopping) continue;
      if (now - slot.lastHealthAtMs > this.opts.hangTimeoutMs) {
        this.emit('ops', { actor: slot.def.name, event: 'actor_hung', level: 'error', market: '', json: JSON.stringify({ silentMs: now - slot.lastHealthAtMs }) });
        slot.lastHealthAtMs = now;
        void slot.worker.terminate(); // exit -> restart
      }
    }
  }

  private async stopOne(slot: Slot): Promise<void> {
    const worker = slot.worker;
    if (!worker) return;
    slot.stopping = true;
    const done = new Promise<void>((resolve) => {
      const onStopped = (name: string) => {
        if (name === slot.def.name) {
          this.off('stopped', onStopped);
          resolve();
        }
      };
      this.on('stopped', onStopped);
      worker.once('exit', () => {
        this.off('stopped', onStopped);
        resolve();
      });
    });
    this.send(slot.def.name, { control: { kind: kmm.v1.ControlKind.SHUTDOWN } });
    const timer = setTimeout(() => {
      this.emit('ops', { actor: slot.def.name, event: 'stop_timeout', level: 'error', market: '', json: '{}' });
      void worker.terminate();
    }, this.opts.stopTimeoutMs);
    await done;
    clearTimeout(timer);
    await worker.terminate();
    slot.worker = null;
  }
}
