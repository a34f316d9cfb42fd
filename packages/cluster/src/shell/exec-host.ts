/**
 * ExecGatewayHost: the exec actor as the GatewayHost of a shard (gateway.ts). While the
 * controller holds the shard's lease, a Supervisor runs exec in a worker thread
 * (gateway-worker.ts: its journal is the shard's JetStream stream).
 *
 *   activate   start the worker; exec replays the journal and reconciles with the exchange
 *              before it reports Ready (Supervisor.start resolves then)
 *   deliver    what strategy nodes sent to exec.<shard> goes to the worker as from peer
 *              'strategy' (exec does not care which strategy node: it keys by market)
 *   exec out   what exec sends to its peer 'strategy' is routed per market to the actor that
 *              owns the market's event (`routeOf`); messages about no market go to every owner
 *   books      exec's copies for the book shard (acks, fills, working orders: the book keeps our
 *              own orders apart) go to the owner's book actor (`bookRouteOf`), when given
 *   ingest     with `ingestScript`, the gateway runs its own ingest actor for the shard's markets:
 *              the account's private channels (fills, order updates, positions) and each market's
 *              trust reach exec in-process, whatever happens to the strategy nodes
 *   allowance  setAllowanceUsd(usd): the risk aggregator's allowance for the shard becomes exec's
 *              MM_MAX_TOTAL_LOSS_USD, live (Control CONFIG_UPDATE) and at every (re)start; before
 *              the aggregator wrote one, the config's value stands (the static even split)
 *   events     setEventAllowancesUsd(map): the aggregator's allowances of the shard's events go to
 *              exec (Control CONFIG_UPDATE, reason risk_event_allowances): its pre-flight caps each
 *              at min(MM_MAX_EVENT_LOSS_USD, allowance). Sent live, after every activation before
 *              the gateway serves, and again when exec announces a restart of its own (a worker
 *              restarted by the Supervisor starts from its start-up config, which has neither
 *              the latest shard allowance nor any event allowance)
 *   cancelAll  Control CANCEL_ALL to exec (the kill switch; it keeps reconciling)
 *   deactivate stop the worker: exec's own stop cancels everything, verifies with the exchange
 *              and flushes the journal before it exits
 */
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import { BatchEncoder, Supervisor, decodeBatch, kmm, marketOf, type ActorDef } from '@kmm/shared';
import { EVENT_ALLOWANCES_REASON } from '@kmm/exec-worker/core';
import { gatewayActor, type GatewayHost } from './gateway.js';
import type { Delivery, NatsTransport } from './transport.js';

type Envelope = kmm.v1.Envelope;

/** The compiled worker entry (from src/shell or dist/shell alike: both sit two levels below the package). */
export const GATEWAY_WORKER_SCRIPT = fileURLToPath(new URL('../../dist/shell/gateway-worker.js', import.meta.url));

export interface ExecHostOptions {
  transport: NatsTransport;
  natsUrl: string;
  shard: number;
  /** the actor that gets exec's messages about a market ('' / null: nobody, counted) */
  routeOf(market: string): string | null;
  /** every actor exec's market-less messages go to (all strategy owners) */
  allRoutes(): string[];
  /** the book actor that gets exec's copies about a market (absent: exec has no book peer) */
  bookRouteOf?(market: string): string | null;
  /** the ingest worker entry: the gateway reads the account's user data itself (absent: its owner feeds exec) */
  ingestScript?: string;
  /** exec's usual start-up extra (paper or REST settings, keys, the shard's markets, runDir) */
  extra: Record<string, unknown>;
  config: Record<string, unknown>;
  /** Supervisor events (ops, health) for the node's log */
  onOps?: (ev: { actor: string; event: string; level: string; json: string }) => void;
}

export class ExecGatewayHost implements GatewayHost {
  private sup: Supervisor | null = null;
  private strategyPort: MessagePort | null = null;
  private bookPort: MessagePort | null = null;
  unrouted = 0;
  /** the aggregator's allowance for this shard (USD), null before one was heard */
  private allowanceUsd: number | null = null;
  /** the aggregator's allowances of this shard's events (exec's event key -> USD) */
  private eventAllowancesUsd = new Map<string, number>();

  constructor(private readonly o: ExecHostOptions) {}

  get supervisor(): Supervisor | null {
    return this.sup;
  }

  async activate(a: { shard: number; epoch: number; orderExpiryS: number }): Promise<void> {
    const name = gatewayActor(a.shard);
    const config: Record<string, unknown> = { ...this.o.config, kmm_order_expiry_s: Math.max(Number(this.o.config.kmm_order_expiry_s ?? 0), a.orderExpiryS) };
    if (this.allowanceUsd !== null) config.MM_MAX_TOTAL_LOSS_USD = this.allowanceUsd;
    // one book shard on the far side: exec addresses it as 'book.0' (bookPeer with shardCount 1)
    const shardCount = 1;
    const actors: ActorDef[] = [
      {
        name: 'exec',
        kind: kmm.v1.ActorKind.EXEC,
        script: GATEWAY_WORKER_SCRIPT,
        shard: a.shard,
        shardCount,
        extra: { ...this.o.extra, natsUrl: this.o.natsUrl, cluster: this.o.transport.cluster, leaseEpoch: a.epoch },
      },
    ];
    if (this.o.ingestScript) actors.unshift({ name: 'ingest', kind: kmm.v1.ActorKind.INGEST, script: this.o.ingestScript, shardCount, extra: this.o.extra });
    const sup = new Supervisor({
      actors,
      edges: this.o.ingestScript ? [['ingest', 'exec']] : [],
      config,
      runDir: typeof this.o.extra.runDir === 'string' ? this.o.extra.runDir : '',
      shutdownOrder: this.o.ingestScript ? ['ingest', 'exec'] : ['exec'],
      stopTimeoutMs: Math.max(15_000, Number(config.kmm_shutdown_timeout_s ?? 30) * 1000 + 10_000),
      externalPorts: (actor) => {
        if (actor !== 'exec') return {};
        const ports: Record<string, MessagePort> = { strategy: this.outChannel('strategy', name, (m) => this.o.routeOf(m), () => this.o.allRoutes()) };
        const book = this.o.bookRouteOf;
        if (book) ports['book.0'] = this.outChannel('book', name, (m) => book(m), () => []);
        return ports;
      },
    });
    if (this.o.onOps) sup.on('ops', this.o.onOps);
    this.sup = sup;
    await sup.start();
    // before the controller serves the shard: exec checks the events' allowances from its first order
    this.sendEventAllowances();
  }

  /** `always`: also an empty set (it lifts the previous one; a fresh exec has none to lift) */
  private sendEventAllowances(always = false): void {
    if (this.eventAllowancesUsd.size === 0 && !always) return;
    const json = JSON.stringify(Object.fromEntries(this.eventAllowancesUsd));
    this.sup?.send('exec', { control: { kind: kmm.v1.ControlKind.CONFIG_UPDATE, markets: [], reason: EVENT_ALLOWANCES_REASON, json } });
  }

  private sendAllowance(): void {
    if (this.allowanceUsd === null) return;
    this.sup?.send('exec', { control: { kind: kmm.v1.ControlKind.CONFIG_UPDATE, markets: [], reason: 'risk_allowance', json: JSON.stringify({ MM_MAX_TOTAL_LOSS_USD: this.allowanceUsd }) } });
  }

  /**
   * A fresh channel for one of exec's remote peers (at every start of the worker): what exec
   * posts on it is routed per market (`route`), market-less messages to `all`.
   */
  private outChannel(kind: 'strategy' | 'book', name: string, route: (market: string) => string | null, all: () => string[]): MessagePort {
    const ch = new MessageChannel();
    if (kind === 'strategy') {
      this.strategyPort?.close();
      this.strategyPort = ch.port2;
    } else {
      this.bookPort?.close();
      this.bookPort = ch.port2;
    }
    ch.port2.on('message', (batch: ArrayBuffer) => {
      const byDest = new Map<string, Envelope[]>();
      decodeBatch(batch, (env) => {
        // exec restarted inside the Supervisor (it says so to its strategy peer when ready): it
        // runs on its start-up config again, so it gets the latest allowances again
        if (kind === 'strategy' && env.control?.reason === 'exec_restarted') {
          this.sendAllowance();
          this.sendEventAllowances();
        }
        const market = marketOf(env);
        const dests = market ? [route(market)].filter((d): d is string => !!d) : all();
        if (dests.length === 0 && kind === 'strategy') this.unrouted++;
        for (const d of dests) {
          const list = byDest.get(d) ?? [];
          list.push(env);
          byDest.set(d, list);
        }
      });
      for (const [dest, envs] of byDest) this.o.transport.send(name, dest, envs);
    });
    return ch.port1;
  }

  deliver(env: Envelope): Delivery {
    if (!this.strategyPort) return 'dropped';
    const enc = new BatchEncoder();
    enc.add(env);
    const b = enc.finish();
    this.strategyPort.postMessage(b, [b]);
    return 'queued';
  }

  /** The risk aggregator's allowance (USD > 0): exec's pre-flight checks it from now on. */
  setAllowanceUsd(usd: number): void {
    if (!(usd > 0)) throw new Error(`an allowance must be > 0 USD (0 would turn exec's cap off), got ${usd}`);
    if (this.allowanceUsd === usd) return;
    this.allowanceUsd = usd;
    this.sendAllowance();
  }

  /**
   * The risk aggregator's allowances of the shard's events (exec's event key -> USD > 0), the
   * whole set (it replaces the previous one): exec's pre-flight checks them from now on.
   */
  setEventAllowancesUsd(usd: ReadonlyMap<string, number>): void {
    for (const [event, v] of usd) if (!(Number.isFinite(v) && v > 0)) throw new Error(`event ${event}: an allowance must be > 0 USD, got ${v}`);
    const same = usd.size === this.eventAllowancesUsd.size && [...usd].every(([e, v]) => this.eventAllowancesUsd.get(e) === v);
    if (same) return;
    this.eventAllowancesUsd = new Map(usd);
    this.sendEventAllowances(true);
  }

  async cancelAll(reason: string): Promise<void> {
    if (!this.sup) return;
    this.sup.send('exec', { control: { kind: kmm.v1.ControlKind.CANCEL_ALL, markets: [], reason } });
  }

  async deactivate(): Promise<void> {
    const sup = this.sup;
    this.sup = null;
    await sup?.stop();
    this.strategyPort?.close();
    this.strategyPort = null;
    this.bookPort?.close();
    this.bookPort = null;
  }
}
