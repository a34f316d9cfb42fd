/**
 * The gateway role against a real nats-server: one active gateway per exchange shard, commands
 * only after the journal-based reconcile, the kill switch, the standby taking over after a
 * crash (reading the dead gateway's journal), and a graceful stop that cancels first. The host
 * is a small double over one in-memory "exchange" both gateways share (what Kalshi is to them).
 */
import { expect, it } from 'vitest';
import { kmm } from '@kmm/shared';
import type { JournalRecord } from '@kmm/exec-worker/core';
import type { NatsConnection } from '@nats-io/transport-node';
import { openBuckets } from '../src/shell/buckets.js';
import { GatewayController, gatewayActor, orderExpiryForLease, type GatewayHost } from '../src/shell/gateway.js';
import { JetStreamJournal, ensureJournalStream } from '../src/shell/journal-stream.js';
import { clearKillSwitch, tripKillSwitch } from '../src/shell/kill.js';
import { NatsTransport } from '../src/shell/transport.js';
import { describeNats, next, useNatsServer } from './nats.js';

type Resting = Map<string, { market: string; expiresInS: number }>;

/** A host that places on the shared exchange and journals to the shard's stream. */
class Host implements GatewayHost {
  log: string[] = [];
  known = new Set<string>();
  dead = false;
  gate: Promise<void> = Promise.resolve();
  expiryS = 0;
  private journal: JetStreamJournal;
  constructor(
    nc: NatsConnection,
    private readonly exchange: Resting,
  ) {
    this.journal = new JetStreamJournal(nc, 'gw', 1);
  }
  async activate(a: { epoch: number; journal: JournalRecord[]; orderExpiryS: number }): Promise<void> {
    await this.gate;
    this.expiryS = a.orderExpiryS;
    // reconcile: what the journal says we placed, and what the exchange still rests
    for (const r of a.journal) if (r.k === 'ack' && r.kind === kmm.v1.CommandKind.PLACE) this.known.add(r.coid!);
    const adopted = [...this.exchange.keys()].filter((c) => this.known.has(c));
    this.log.push(`activate epoch>0=${a.epoch > 0} journal=${a.journal.length} adopted=${adopted.join(',')}`);
  }
  deliver(env: kmm.v1.Envelope): undefined {
    if (this.dead) return;
    const c = env.orderCommand!;
    this.exchange.set(c.clientOrderId!, { market: c.market!, expiresInS: this.expiryS });
    this.journal.append({ k: 'cmd', id: this.log.length, op: 'create', orders: [c] });
    this.journal.append({ k: 'ack', kind: kmm.v1.CommandKind.PLACE, market: c.market, coid: c.clientOrderId, oid: 'o-' + c.clientOrderId });
    this.log.push(`place ${c.clientOrderId}`);
    return undefined;
  }
  async cancelAll(reason: string): Promise<void> {
    if (this.dead) return;
    await this.journal.close();
    this.log.push(`cancelAll ${[...this.exchange.keys()].join(',') || '-'} (${reason})`);
    this.exchange.clear();
  }
  async deactivate(reason: string): Promise<void> {
    if (this.dead) return;
    this.log.push(`deactivate (${reason})`);
  }
}

const place = (cid: string): kmm.v1.IEnvelope => ({ header: { senderSeq: 1 }, orderCommand: { kind: kmm.v1.CommandKind.PLACE, market: 'MKT-A', clientOrderId: cid, side: kmm.v1.BookSide.YES_BID, price: 4100, countCenti: 100 } });

describeNats('gateway per exchange shard', () => {
  const fx = useNatsServer();

  it('one active gateway; kill switch; crash takeover from the journal; graceful stop cancels first', async () => {
    const timing = { leaseMs: 1000, nodeMs: 1000 };
    const exchange: Resting = new Map();
    const ncA = await fx.connect();
    const ncB = await fx.connect();
    const ncS = await fx.connect();
    await ensureJournalStream(ncA, 'gw', 1);
    const hostA = new Host(ncA, exchange);
    const hostB = new Host(ncB, exchange);
    const gwA = new GatewayController(ncA, new NatsTransport(ncA, 'gw'), await openBuckets(ncA, 'gw', timing), 1, 'gw-a', hostA);
    const gwB = new GatewayController(ncB, new NatsTransport(ncB, 'gw'), await openBuckets(ncB, 'gw', timing), 1, 'gw-b', hostB);
    const strategy = new NatsTransport(ncS, 'gw', { commandTimeoutMs: 5000 });
    const risk = await openBuckets(ncS, 'gw', timing);

    const aActive = next(gwA, 'active');
    await gwA.start();
    await aActive;
    const bRefused = next(gwB.lease, 'refused');
    await gwB.start();
    await bRefused;
    expect(gwA.orderExpiryS).toBe(orderExpiryForLease(1000));
    expect(gwA.orderExpiryS).toBe(10); // exec's minimum: three 1 s leases are less

    expect(await strategy.command('strategy', gatewayActor(1), place('c1'))).toBeNull();
    expect(exchange.get('c1')).toEqual({ market: 'MKT-A', expiresInS: 10 });

    // the kill switch: A cancels everything and refuses commands until it is cleared
    const killed = next(gwA, 'killed');
    await tripKillSwitch(ncS, risk.control, 'gw', 'risk-1', 'drill');
    await killed;
    expect(exchange.size).toBe(0);
    const refused = await strategy.command('strategy', gatewayActor(1), place('c2'));
    expect(refused!.orderReject).toMatchObject({ code: kmm.v1.RejectCode.RISK, clientOrderId: 'c2', message: 'kill switch active: drill' });
    const cleared = next(gwA.kill, 'clear');
    await clearKillSwitch(risk.control, 'operator', 'drill over');
    await cleared;
    expect(await strategy.command('strategy', gatewayActor(1), place('c3'))).toBeNull();
    expect([...exchange.keys()]).toEqual(['c3']);

    // A's process dies: nothing of it acts any more, its connection drops; B's reconcile is held
    hostA.dead = true;
    let release!: () => void;
    hostB.gate = new Promise((r) => (release = r));
    const bLeader = next(gwB.lease, 'acquired');
    const bActive = next(gwB, 'active');
    gwA.lease.abandon();
    await ncA.close();
    await bLeader; // the key aged out on the server (max age 1 s) and B created it
    // B holds the lease but has not reconciled: nobody serves the shard, so commands are refused
    const gap = await strategy.command('strategy', gatewayActor(1), place('c4'));
    expect(gap!.orderReject).toMatchObject({ code: kmm.v1.RejectCode.OTHER, clientOrderId: 'c4' });
    release();
    await bActive;
    expect(hostB.log[0]).toBe('activate epoch>0=true journal=4 adopted=c3');
    expect(await strategy.command('strategy', gatewayActor(1), place('c5'))).toBeNull();
    expect([...exchange.keys()].sort()).toEqual(['c3', 'c5']);

    // graceful stop: stop serving, cancel, deactivate, release the lease
    await gwB.stop();
    expect(exchange.size).toBe(0);
    expect(hostB.log.slice(-2)).toEqual(['cancelAll c3,c5 (stopping)', 'deactivate (stopping)']);
    expect(await risk.leases.get('gateway.1')).toMatchObject({ operation: 'DEL' });
    expect(hostA.log).toEqual(['activate epoch>0=true journal=0 adopted=', 'place c1', 'cancelAll c1 (kill switch: drill)', 'place c3']);
  });
});
