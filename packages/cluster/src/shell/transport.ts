/**
 * The NATS transport of the actor runtime: the same kmm.v1.Envelope batches (transport/codec.ts
 * in @kmm/shared) that travel over a MessageChannel inside a process travel over NATS between
 * processes. An actor address maps to a subject (core/subjects.ts):
 *
 *   send(from, to, envs)      one publish of one batch on kmm.<c>.actor.<to>, header Kmm-From
 *   command(from, to, env)    OrderCommand / TakerIntent as request/reply on the same subject:
 *                             the receiver answers at once with "admitted" (empty reply) or a
 *                             batch holding the OrderReject (MAILBOX_FULL); no responder or no
 *                             answer in time becomes a typed OrderReject too, never silence
 *   serve(actor, deliver)     subscribes an actor's inbox and hands over each envelope + sender
 *   publishMarket(env)        BookFeatures / BookSnapshot on kmm.<c>.md.<market> (core NATS,
 *                             at most once: a newer state replaces a lost one)
 *   marketFeed(markets, fn)   subscribes market data with per-market conflation: a burst for
 *                             one market is delivered as its latest state only (MarketFeed)
 *   bridge(local, remote)     a MessagePort that a local worker uses as its peer `remote`
 *                             (runActor is unchanged: the worker cannot tell a NATS peer from a
 *                             local one)
 *   groupBridge(local, peer, route, isMember)  the same for a peer that is a group of remote
 *                             actors, routed per envelope (a strategy's 'exec' = the gateway of
 *                             each market's exchange shard)
 *
 * Ordering: one connection publishes in order and NATS keeps per-publisher order on a subject,
 * so messages from one actor to another arrive in the order sent (commands included: a request
 * is a publish on the same subject).
 */
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { headers, type Msg, type NatsConnection, type Subscription } from '@nats-io/transport-node';
import { BatchEncoder, decodeBatch, kmm, marketOf } from '@kmm/shared';
import { FROM_HEADER, actorSubject, checkClusterName, marketSubject } from '../core/subjects.js';

type Envelope = kmm.v1.Envelope;
type IEnvelope = kmm.v1.IEnvelope;

/**
 * What a receiving actor said about a delivered envelope: Mailbox.push's answer, void when it
 * cannot tell, or the OrderReject envelope to answer a refused command with (its own reason).
 */
export type Delivery = 'queued' | 'conflated' | 'rejected' | 'dropped' | Envelope | void;

export interface TransportOptions {
  /** a command not answered within this long is rejected with RejectCode.TIMEOUT (default 2000) */
  commandTimeoutMs?: number;
}

/** Bodies that travel as request/reply. */
export function isCommand(env: IEnvelope): boolean {
  return env.orderCommand != null || env.takerIntent != null;
}

/** Bodies allowed on market-data subjects: states where the newest replaces every older one. */
const MARKET_STATE_BODIES = new Set(['bookFeatures', 'bookSnapshot']);

export class NatsTransport {
  readonly cluster: string;
  private readonly commandTimeoutMs: number;
  private readonly subs: Subscription[] = [];
  /** counters for `kmm cluster status` and tests */
  readonly stats = { published: 0, received: 0, commands: 0, commandRejects: 0, unknownSender: 0, unrouted: 0, unsent: 0 };

  constructor(
    readonly nc: NatsConnection,
    cluster: string,
    options: TransportOptions = {},
  ) {
    this.cluster = checkClusterName(cluster);
    this.commandTimeoutMs = options.commandTimeoutMs ?? 2000;
  }

  /** Publishes envelopes to an actor as one batch (no request/reply: states and events). */
  send(from: string, to: string, envs: readonly IEnvelope[]): void {
    if (envs.length === 0) return;
    // a worker's last words after the node began closing its connection (graceful stop) have
    // nowhere to go: counted, never thrown into the worker's message handler
    if (this.nc.isClosed() || this.nc.isDraining()) {
      this.stats.unsent++;
      return;
    }
    const enc = new BatchEncoder();
    for (const e of envs) enc.add(e);
    const h = headers();
    h.set(FROM_HEADER, from);
    this.nc.publish(actorSubject(this.cluster, to), new Uint8Array(enc.finish()), { headers: h });
    this.stats.published++;
  }

  /**
   * Sends one command by request/reply. Resolves null when the receiving actor admitted it, or
   * the OrderReject envelope to hand back to the sender (the receiver's MAILBOX_FULL, or
   * TIMEOUT / OTHER when nobody answered).
   */
  async command(from: string, to: string, env: IEnvelope): Promise<Envelope | null> {
    if (!isCommand(env)) throw new Error(`command() takes an OrderCommand or TakerIntent, got ${Object.keys(env).filter((k) => k !== 'header').join(',')}`);
    const enc = new BatchEncoder();
    enc.add(env);
    const h = headers();
    h.set(FROM_HEADER, from);
    this.stats.commands++;
    let reply: Msg;
    try {
      reply = await this.nc.request(actorSubject(this.cluster, to), new Uint8Array(enc.finish()), { timeout: this.commandTimeoutMs, headers: h });
    } catch (err) {
      this.stats.commandRejects++;
      const e = err as { name?: string; message?: string; isNoResponders?: () => boolean };
      const noResponders = e.name === 'NoRespondersError' || (typeof e.isNoResponders === 'function' && e.isNoResponders());
      const code = noResponders ? kmm.v1.RejectCode.OTHER : kmm.v1.RejectCode.TIMEOUT;
      const why = noResponders ? `no actor '${to}' is serving on NATS` : `actor '${to}' did not answer on NATS within ${this.commandTimeoutMs} ms (${e.message ?? String(err)})`;
      return commandReject(env, code, why);
    }
    if (reply.data.length === 0) return null;
    let out: Envelope | null = null;
    decodeBatch(reply.data, (r) => {
      out = r;
    });
    if (out) this.stats.commandRejects++;
    return out;
  }

  /**
   * Serves an actor's inbox: `deliver` gets every envelope addressed to `actor` with its sender.
   * A command it answers 'rejected' is refused to the sender with MAILBOX_FULL; one it answers
   * with an OrderReject envelope is refused with that.
   */
  serve(actor: string, deliver: (env: Envelope, from: string) => Delivery): Subscription {
    const sub = this.nc.subscribe(actorSubject(this.cluster, actor), {
      callback: (err, msg) => {
        if (err) return; // the subscription closed (connection draining)
        const from = msg.headers?.get(FROM_HEADER) ?? '';
        let reject: Envelope | null = null;
        decodeBatch(msg.data, (env) => {
          this.stats.received++;
          const d = deliver(env, from);
          if (!isCommand(env)) return;
          if (d === 'rejected') reject = commandReject(env, kmm.v1.RejectCode.MAILBOX_FULL, `${actor} mailbox full`);
          else if (typeof d === 'object' && d !== null) reject = d;
        });
        if (msg.reply) msg.respond(reject ? new Uint8Array(encodeBatch([reject])) : new Uint8Array(0));
        // a command published without a reply subject still gets its reject, as a message
        else if (reject && from) this.send(actor, from, [reject]);
      },
    });
    this.subs.push(sub);
    return sub;
  }

  /** Publishes one market-data state on its market's subject. */
  publishMarket(env: IEnvelope): void {
    const kind = bodyOf(env);
    if (!MARKET_STATE_BODIES.has(kind)) throw new Error(`market-data subjects carry ${[...MARKET_STATE_BODIES].join('/')} (states a newer one replaces), not '${kind}'`);
    const market = (env as Record<string, { market?: string | null }>)[kind].market ?? '';
    if (!market) throw new Error(`a ${kind} without a market cannot be published`);
    this.nc.publish(marketSubject(this.cluster, market), new Uint8Array(encodeBatch([env])));
    this.stats.published++;
  }

  /** Subscribes market data of these markets, conflated per market (see MarketFeed). */
  marketFeed(markets: readonly string[], deliver: (env: Envelope) => void): MarketFeed {
    const feed = new MarketFeed(deliver);
    for (const m of markets) {
      const sub = this.nc.subscribe(marketSubject(this.cluster, m), {
        callback: (err, msg) => {
          if (!err) decodeBatch(msg.data, (env) => feed.offer(env));
        },
      });
      this.subs.push(sub);
      feed.subs.push(sub);
    }
    return feed;
  }

  /**
   * A MessagePort for a local worker whose peer `remote` lives on another process. What the
   * worker posts (batches) goes to `remote` over NATS (commands one by one as requests; a
   * reject comes back through the port as if `remote` had sent it); what `remote` sends to
   * `local` comes in through `inbound` (see LocalInbox) and is posted to the worker.
   */
  bridge(local: string, remote: string, inbound: LocalInbox): MessagePort {
    const ch = new MessageChannel();
    const mine = ch.port2;
    mine.on('message', (batch: ArrayBuffer) => {
      const plain: Envelope[] = [];
      decodeBatch(batch, (env) => {
        if (!isCommand(env)) {
          plain.push(env);
          return;
        }
        if (plain.length > 0) this.send(local, remote, plain.splice(0));
        void this.command(local, remote, env).then((rej) => {
          if (rej) post(mine, [rej]);
        });
      });
      if (plain.length > 0) this.send(local, remote, plain);
    });
    inbound.attach(remote, mine);
    return ch.port1;
  }

  /**
   * A MessagePort for a local worker whose peer `peer` is a group of remote actors (a strategy
   * node's 'exec' = the gateways of every exchange shard): each envelope the worker posts goes to
   * the actors `route` names for it (by market: the gateway of the market's shard; a message
   * about no market: all of them), commands as requests; what any member (`isMember`) sends to
   * `local` comes back through the port as from `peer`. An envelope routed nowhere is counted
   * (`stats.unrouted`); a command routed nowhere is refused to the worker (OTHER).
   */
  groupBridge(local: string, peer: string, route: (env: Envelope) => readonly string[], isMember: (sender: string) => boolean, inbound: LocalInbox): MessagePort {
    const ch = new MessageChannel();
    const mine = ch.port2;
    mine.on('message', (batch: ArrayBuffer) => {
      const byDest = new Map<string, Envelope[]>();
      decodeBatch(batch, (env) => {
        const dests = route(env);
        if (dests.length === 0) {
          this.stats.unrouted++;
          if (isCommand(env)) post(mine, [commandReject(env, kmm.v1.RejectCode.OTHER, `no ${peer} serves market '${marketOf(env)}'`)]);
          return;
        }
        for (const d of dests) {
          if (isCommand(env)) {
            // keep order per destination: flush what is queued for it, then the request
            const queued = byDest.get(d);
            if (queued && queued.length > 0) this.send(local, d, queued.splice(0));
            void this.command(local, d, env).then((rej) => {
              if (rej) post(mine, [rej]);
            });
          } else {
            const list = byDest.get(d) ?? [];
            list.push(env);
            byDest.set(d, list);
          }
        }
      });
      for (const [d, envs] of byDest) this.send(local, d, envs);
    });
    inbound.attachGroup(peer, isMember, mine);
    return ch.port1;
  }

  /** Unsubscribes everything this transport subscribed (the connection stays open). */
  close(): void {
    for (const s of this.subs.splice(0)) s.unsubscribe();
  }
}

/**
 * The inbox of a local worker actor on NATS: one subscription per actor; batches are posted to
 * the bridge port of their sender (Kmm-From), so the worker sees them as coming from that peer.
 * A batch from an actor it has no bridge to is counted (`unknownSender`) and dropped: the
 * topology did not connect them.
 */
export class LocalInbox {
  private readonly ports = new Map<string, MessagePort>();
  /** ports that stand for a group of remote senders (a strategy's 'exec' = every exec.<shard>) */
  private readonly groups = new Map<string, { isMember: (sender: string) => boolean; port: MessagePort }>();
  private readonly sub: Subscription;
  unknownSender = 0;

  constructor(
    transport: NatsTransport,
    readonly actor: string,
  ) {
    this.sub = transport.nc.subscribe(actorSubject(transport.cluster, actor), {
      callback: (err, msg) => {
        if (err) return;
        const from = msg.headers?.get(FROM_HEADER) ?? '';
        const port = this.ports.get(from) ?? this.groupPort(from);
        if (!port) {
          this.unknownSender++;
          if (msg.reply) {
            const envs: Envelope[] = [];
            decodeBatch(msg.data, (e) => envs.push(e));
            const cmd = envs.find(isCommand);
            msg.respond(cmd ? new Uint8Array(encodeBatch([commandReject(cmd, kmm.v1.RejectCode.OTHER, `${actor} is not connected to '${from}'`)])) : new Uint8Array(0));
          }
          return;
        }
        const owned = new Uint8Array(msg.data.length);
        owned.set(msg.data);
        port.postMessage(owned.buffer, [owned.buffer]);
        // admitted to the worker's channel; a full mailbox answers with its own MAILBOX_FULL reject
        if (msg.reply) msg.respond(new Uint8Array(0));
      },
    });
  }

  attach(peer: string, port: MessagePort): void {
    this.ports.get(peer)?.close();
    this.ports.set(peer, port);
  }

  /** Batches from every sender `isMember` accepts go to `port` (the worker's peer `peer`). */
  attachGroup(peer: string, isMember: (sender: string) => boolean, port: MessagePort): void {
    this.groups.get(peer)?.port.close();
    this.groups.set(peer, { isMember, port });
  }

  private groupPort(sender: string): MessagePort | undefined {
    for (const g of this.groups.values()) if (g.isMember(sender)) return g.port;
    return undefined;
  }

  close(): void {
    this.sub.unsubscribe();
    for (const p of this.ports.values()) p.close();
    for (const g of this.groups.values()) g.port.close();
    this.ports.clear();
    this.groups.clear();
  }
}

/**
 * Per-market conflation at the consumer: offers replace the pending state of the same
 * (body, market); one setImmediate later every pending state is delivered, oldest market first.
 * A consumer slower than the feed therefore sees each market's newest state, never a backlog.
 */
export class MarketFeed {
  private readonly pending = new Map<string, Envelope>();
  private scheduled = false;
  readonly subs: Subscription[] = [];
  offered = 0;
  conflated = 0;
  delivered = 0;

  constructor(private readonly deliver: (env: Envelope) => void) {}

  offer(env: Envelope): void {
    this.offered++;
    const key = (env.body ?? '') + ':' + marketOf(env);
    if (this.pending.has(key)) this.conflated++;
    this.pending.set(key, env);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.flush);
    }
  }

  private readonly flush = (): void => {
    this.scheduled = false;
    const batch = [...this.pending.values()];
    this.pending.clear();
    for (const env of batch) {
      this.delivered++;
      this.deliver(env);
    }
  };

  close(): void {
    for (const s of this.subs.splice(0)) s.unsubscribe();
  }
}

function bodyOf(env: IEnvelope): string {
  for (const k of Object.keys(env)) if (k !== 'header' && (env as Record<string, unknown>)[k] != null) return k;
  return '';
}

function encodeBatch(envs: readonly IEnvelope[]): ArrayBuffer {
  const enc = new BatchEncoder();
  for (const e of envs) enc.add(e);
  return enc.finish();
}

function post(port: MessagePort, envs: readonly IEnvelope[]): void {
  const b = encodeBatch(envs);
  port.postMessage(b, [b]);
}

/** The typed refusal of a command that did not reach its actor. */
export function commandReject(env: IEnvelope, code: kmm.v1.RejectCode, message: string): Envelope {
  const c = env.orderCommand;
  const t = env.takerIntent;
  return kmm.v1.Envelope.create({
    header: { senderSeq: 0 },
    orderReject: {
      kind: c?.kind ?? kmm.v1.CommandKind.COMMAND_KIND_UNSPECIFIED,
      market: c?.market ?? t?.market ?? '',
      clientOrderId: c?.clientOrderId ?? '',
      orderId: c?.orderId ?? '',
      side: c?.side ?? t?.side ?? 0,
      price: c?.price ?? t?.limitPrice ?? 0,
      code,
      message,
    },
  });
}
