/**
 * The order gateway of one Kalshi exchange shard, as a cluster role: which process may send
 * orders for the shard, and in what order it starts, refuses and stops. The trading itself is
 * the caller's (`GatewayHost`: in production the exec actor, made addressable as
 * `exec.<shard>`); this controller owns the rules around it:
 *
 *   standby --lease gateway.<shard> acquired--> read the shard's journal stream (JetStream)
 *           --> host.activate(epoch, journal, orderExpiryS)  (reconcile with the exchange)
 *           --> serve kmm.<c>.actor.exec~2e<shard>           (only now are commands accepted)
 *   kill switch (KV key or broadcast) --> host.cancelAll(reason); commands refused (RISK) until cleared
 *   lease lost --> stop serving --> host.cancelAll('lease lost') --> host.deactivate() --> standby
 *   stop()     --> the same, then the lease is released (a standby takes over on the delete)
 *
 * Events: 'active' (epoch), 'killed' (KillState), 'standby' (reason), 'error' (must be handled:
 * a NATS call, the host or a malformed kill message failed).
 * Only the leader subscribes the shard's subject, so a command reaches at most one gateway; in a
 * hand-over gap the sender gets a typed reject (no responder), never silence.
 * Every resting order carries an exchange expiration (exec's kmm_order_expiry_s, which it renews
 * at 80%): `orderExpiryForLease` keeps it at least two leases and at least exec's 30 s minimum,
 * so the orders of a gateway that died with the whole cluster expire by themselves.
 */
import { EventEmitter } from 'node:events';
import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import { kmm } from '@kmm/shared';
import type { JournalRecord } from '@kmm/exec-worker/core';
import { gatewayLeaseKey } from '../core/subjects.js';
import type { ClusterBuckets } from './buckets.js';
import { readJournalStream } from './journal-stream.js';
import { KillWatch, type KillState } from './kill.js';
import { LeaseKeeper } from './lease.js';
import { commandReject, isCommand, type Delivery, type NatsTransport } from './transport.js';

type Envelope = kmm.v1.Envelope;

/** exec's smallest kmm_order_expiry_s (the registry's minimum: see its reason in specs.ts) */
export const ORDER_EXPIRY_MIN_S = 10;

/**
 * The order expiration for a lease length: three leases (a standby needs about one lease to
 * take over, and exec renews at 80% of the expiry), and at least exec's minimum (whole seconds).
 */
export function orderExpiryForLease(leaseMs: number): number {
  return Math.max(ORDER_EXPIRY_MIN_S, Math.ceil((3 * leaseMs) / 1000));
}

/** The address of a shard's gateway actor. */
export function gatewayActor(shard: number): string {
  gatewayLeaseKey(shard);
  return `exec.${shard}`;
}

/** What runs the orders of the shard (the exec actor, or a test double). */
export interface GatewayHost {
  /** become active: reconcile with the exchange from the journal before any command */
  activate(a: { shard: number; epoch: number; journal: JournalRecord[]; orderExpiryS: number }): Promise<void>;
  /** a command or state addressed to the gateway (only while active and not killed) */
  deliver(env: Envelope, from: string): Delivery;
  /** cancel every resting order of the shard (and verify with the exchange) */
  cancelAll(reason: string): Promise<void>;
  /** stop acting for the shard (after cancelAll) */
  deactivate(reason: string): Promise<void>;
}

export type GatewayState = 'standby' | 'activating' | 'active' | 'stopping';

export class GatewayController extends EventEmitter {
  readonly lease: LeaseKeeper;
  readonly kill: KillWatch;
  readonly orderExpiryS: number;
  state: GatewayState = 'standby';
  private sub: Subscription | null = null;
  /** serialises activation, kill handling and deactivation */
  private chain: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(
    private readonly nc: NatsConnection,
    private readonly transport: NatsTransport,
    private readonly buckets: ClusterBuckets,
    readonly shard: number,
    readonly nodeId: string,
    private readonly host: GatewayHost,
  ) {
    super();
    this.orderExpiryS = orderExpiryForLease(buckets.timing.leaseMs);
    this.lease = new LeaseKeeper(buckets.leases, gatewayLeaseKey(shard), nodeId, { leaseMs: buckets.timing.leaseMs }, { role: 'gateway', shard });
    this.kill = new KillWatch(nc, buckets.control, transport.cluster);
    // one place to listen: the owner must handle 'error' (an unhandled one ends the process)
    this.lease.on('error', (err: Error) => this.emit('error', err));
    this.kill.on('error', (err: Error) => this.emit('error', err));
  }

  async start(): Promise<void> {
    this.kill.on('kill', (s: KillState) => this.then(() => this.onKill(s)));
    this.lease.on('acquired', (epoch: number) => this.then(() => this.activate(epoch)));
    this.lease.on('lost', (reason: string) => this.then(() => this.deactivate(`lease lost: ${reason}`)));
    await this.kill.start();
    await this.lease.start();
  }

  /** Graceful stop: cancel, deactivate, release the lease (a standby takes over at once). */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await this.then(() => this.deactivate('stopping'));
    await this.lease.release();
    this.kill.stop();
  }

  private then(step: () => Promise<void>): Promise<void> {
    this.chain = this.chain.then(step).catch((err: Error) => void this.emit('error', err));
    return this.chain;
  }

  private async activate(epoch: number): Promise<void> {
    if (this.stopped || !this.lease.isLeader || this.lease.epoch !== epoch) return;
    this.state = 'activating';
    const { records } = await readJournalStream(this.nc, this.transport.cluster, this.shard);
    await this.host.activate({ shard: this.shard, epoch, journal: records, orderExpiryS: this.orderExpiryS });
    if (!this.lease.isLeader || this.lease.epoch !== epoch) {
      // deposed while reconciling: the 'lost' step that follows in the chain cancels and deactivates
      return;
    }
    if (this.kill.active) await this.host.cancelAll(`kill switch active: ${this.kill.state!.reason}`);
    this.sub = this.transport.serve(gatewayActor(this.shard), (env, from) => this.onMessage(env, from));
    await this.nc.flush();
    this.state = 'active';
    this.emit('active', epoch);
  }

  private onMessage(env: Envelope, from: string): Delivery {
    if (this.state !== 'active') return isCommand(env) ? commandReject(env, kmm.v1.RejectCode.OTHER, `gateway of shard ${this.shard} is ${this.state}`) : 'dropped';
    // refused with the reason, answered to the sender like any reject
    if (this.kill.active && isCommand(env)) return commandReject(env, kmm.v1.RejectCode.RISK, `kill switch active: ${this.kill.state!.reason}`);
    return this.host.deliver(env, from);
  }

  private async onKill(s: KillState): Promise<void> {
    if (this.state !== 'active') return; // activation cancels if the switch is on by then
    await this.host.cancelAll(`kill switch: ${s.reason}`);
    this.emit('killed', s);
  }

  private async deactivate(reason: string): Promise<void> {
    if (this.state === 'standby') return;
    this.state = 'stopping';
    // stop taking commands first, then take our orders off the exchange, then let go
    this.sub?.unsubscribe();
    this.sub = null;
    await this.host.cancelAll(reason);
    await this.host.deactivate(reason);
    this.state = 'standby';
    this.emit('standby', reason);
  }
}

/**
 * A strategy node's route to the gateways: a message about a market goes to the gateway of the
 * market's exchange shard (`shardOf`, from MarketInfo's exchange index), a message about no
 * market to every shard's gateway; an unknown market goes nowhere (counted by the bridge).
 */
export function gatewayRoute(shardOf: ReadonlyMap<string, number>, allShards: readonly number[]): (env: Envelope) => string[] {
  const all = allShards.map(gatewayActor);
  return (env) => {
    const body = env.body;
    const market = body ? ((env[body] as { market?: string | null } | null)?.market ?? '') : '';
    if (!market) return all;
    const shard = shardOf.get(market);
    return shard === undefined ? [] : [gatewayActor(shard)];
  };
}

/** True for a gateway actor's name (exec.<shard>): the senders a strategy's 'exec' peer stands for. */
export function isGatewayActor(name: string): boolean {
  return /^exec\.\d+$/.test(name);
}
