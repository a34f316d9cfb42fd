/**
 * StrategyNodeHost: what a strategy node runs for the events assigned to it: ingest, one book
 * shard and the strategy actor (worker threads under one Supervisor, MessageChannels between
 * them, as in the single process), with the strategy's and the book's peer 'exec' bridged over
 * NATS to the gateway of each market's exchange shard (groupBridge, gatewayRoute).
 *
 *   setMarkets(list)  the node's markets changed (a new assignment): the actors are restarted on
 *                     the new list (serialised; the same set again is a no-op). Stopping the
 *                     strategy sends CANCEL_ALL, which this host scopes to the markets the node
 *                     owned (a strategy node never cancels another node's quotes).
 *   stop()            stops the actors (the strategy's CANCEL_ALL reaches the gateways first).
 *
 * Cluster names: the strategy actor is `strategy.<node>` (strategyActor), the book actor
 * `book.<node>` (bookActor): the gateways address their replies there. Ingest's messages for
 * exec go nowhere: each gateway reads the account's user data with its own ingest.
 */
import type { MessagePort } from 'node:worker_threads';
import { Supervisor, kmm, type ActorDef } from '@kmm/shared';
import { strategyActor } from '../core/assign.js';
import { gatewayRoute, isGatewayActor } from './gateway.js';
import { LocalInbox, type NatsTransport } from './transport.js';

type Envelope = kmm.v1.Envelope;

/** The cluster name of a strategy node's book actor (where gateways send acks, fills, working orders). */
export function bookActor(nodeId: string): string {
  return `book.${nodeId}`;
}

/** Controls that mean "every market" when their list is empty, and so must be scoped to this node's. */
const SCOPED_CONTROLS = new Set<number>([kmm.v1.ControlKind.CANCEL_ALL, kmm.v1.ControlKind.FLATTEN, kmm.v1.ControlKind.PAUSE_QUOTING, kmm.v1.ControlKind.RESUME_QUOTING]);

export interface StrategyHostOptions {
  transport: NatsTransport;
  nodeId: string;
  scripts: { ingest: string; book: string; strategy: string };
  /** exchange endpoints and keys for ingest, the run folder (extra.markets is set here) */
  extra: Record<string, unknown>;
  config: Record<string, unknown>;
  /** every market's exchange shard (from the market list) and every shard with a gateway */
  shardOf: ReadonlyMap<string, number>;
  shards: readonly number[];
  onOps?: (ev: { actor: string; event: string; market: string; level: string; json: string }) => void;
  onRestart?: (r: { actor: string; reason: string }) => void;
}

export class StrategyNodeHost {
  private sup: Supervisor | null = null;
  private current = '';
  private markets: string[] = [];
  private chain: Promise<void> = Promise.resolve();
  private readonly strategyInbox: LocalInbox;
  private readonly bookInbox: LocalInbox;
  private readonly route: (env: Envelope) => string[];
  starts = 0;
  private stopped = false;

  constructor(private readonly o: StrategyHostOptions) {
    this.strategyInbox = new LocalInbox(o.transport, strategyActor(o.nodeId));
    this.bookInbox = new LocalInbox(o.transport, bookActor(o.nodeId));
    const toGateways = gatewayRoute(o.shardOf, o.shards);
    this.route = (env) => {
      const c = env.control;
      if (c && SCOPED_CONTROLS.has(c.kind ?? 0) && (c.markets?.length ?? 0) === 0) {
        // "all" from this node's strategy = all of this node's markets, per gateway
        c.markets = [...this.markets];
        return [...new Set(this.markets.map((m) => o.shardOf.get(m)).filter((s): s is number => s !== undefined))].map((s) => `exec.${s}`);
      }
      return toGateways(env);
    };
  }

  get supervisor(): Supervisor | null {
    return this.sup;
  }

  /** Restarts the actors on this market list (serialised; an unchanged set is a no-op). */
  setMarkets(list: readonly kmm.v1.IMarketInfo[]): Promise<void> {
    const next = this.chain.then(() => this.apply(list));
    this.chain = next.catch(() => undefined);
    return next;
  }

  private async apply(list: readonly kmm.v1.IMarketInfo[]): Promise<void> {
    if (this.stopped) return; // an assignment that arrives while the node stops starts nothing
    const key = list
      .map((m) => m.market ?? '')
      .sort()
      .join(',');
    if (key === this.current && this.sup) return;
    await this.stopActors();
    this.current = key;
    this.markets = list.map((m) => m.market ?? '').filter((m) => m !== '');
    if (list.length === 0) return;
    const extra = { ...this.o.extra, markets: list };
    const plain = { ...extra };
    delete (plain as Record<string, unknown>).keyId;
    delete (plain as Record<string, unknown>).privateKeyPath;
    const actors: ActorDef[] = [
      { name: 'ingest', kind: kmm.v1.ActorKind.INGEST, script: this.o.scripts.ingest, shardCount: 1, extra },
      { name: 'book.0', kind: kmm.v1.ActorKind.BOOK, script: this.o.scripts.book, shard: 0, shardCount: 1, extra: plain },
      { name: 'strategy', kind: kmm.v1.ActorKind.STRATEGY, script: this.o.scripts.strategy, shardCount: 1, extra: plain },
    ];
    const t = this.o.transport;
    const sup = new Supervisor({
      actors,
      edges: [
        ['ingest', 'strategy'],
        ['ingest', 'book.0'],
        ['book.0', 'strategy'],
      ],
      config: this.o.config,
      runDir: typeof this.o.extra.runDir === 'string' ? this.o.extra.runDir : '',
      shutdownOrder: ['ingest', 'book.0', 'strategy'],
      externalPorts: (actor): Record<string, MessagePort> => {
        if (actor === 'strategy') return { exec: t.groupBridge(strategyActor(this.o.nodeId), 'exec', this.route, isGatewayActor, this.strategyInbox) };
        if (actor === 'book.0') return { exec: t.groupBridge(bookActor(this.o.nodeId), 'exec', this.route, isGatewayActor, this.bookInbox) };
        return {};
      },
    });
    if (this.o.onOps) sup.on('ops', this.o.onOps);
    if (this.o.onRestart) sup.on('restart', this.o.onRestart);
    this.sup = sup;
    this.starts++;
    await sup.start();
  }

  private async stopActors(): Promise<void> {
    const sup = this.sup;
    this.sup = null;
    if (sup) await sup.stop();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.chain;
    await this.stopActors();
    this.current = '';
    this.strategyInbox.close();
    this.bookInbox.close();
  }
}
