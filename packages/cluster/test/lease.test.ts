/**
 * Leases in NATS KV against a real nats-server: one connection per candidate (process).
 * Hand-overs are driven by events (a release is a delete the standby watches; a deposed leader
 * sees the other's write). The crash takeover has to let the key age out on the server: it
 * uses NATS' smallest max age (100 ms) and waits for the standby's 'acquired' event.
 */
import { expect, it } from 'vitest';
import { gatewayLeaseKey } from '../src/core/subjects.js';
import { openBuckets } from '../src/shell/buckets.js';
import { LeaseKeeper } from '../src/shell/lease.js';
import { describeNats, next, useNatsServer } from './nats.js';

describeNats('leases in NATS KV', () => {
  const fx = useNatsServer();

  it('one holder; a standby takes over on release, with a larger epoch', async () => {
    const ba = await openBuckets(await fx.connect(), 'lease1', { leaseMs: 2000, nodeMs: 2000 });
    const bb = await openBuckets(await fx.connect(), 'lease1', { leaseMs: 2000, nodeMs: 2000 });
    const a = new LeaseKeeper(ba.leases, gatewayLeaseKey(1), 'gw-a', { leaseMs: 2000 });
    const b = new LeaseKeeper(bb.leases, gatewayLeaseKey(1), 'gw-b', { leaseMs: 2000 });
    const aGot = next<[number]>(a, 'acquired');
    await a.start();
    const [epochA] = await aGot;
    const bRefused = next(b, 'refused');
    await b.start();
    await bRefused;
    expect(a.isLeader).toBe(true);
    expect(b.isLeader).toBe(false);
    expect(b.machine.holder).toBe('gw-a');
    const bGot = next<[number]>(b, 'acquired');
    const aLost = next<[string]>(a, 'lost');
    await a.release();
    expect((await aLost)[0]).toBe('released');
    const [epochB] = await bGot;
    expect(epochB).toBeGreaterThan(epochA);
    expect(b.isLeader).toBe(true);
    b.abandon();
  });

  it('a crashed holder is replaced once its key ages out (max age 100 ms)', async () => {
    const ba = await openBuckets(await fx.connect(), 'lease2', { leaseMs: 100, nodeMs: 100 });
    const bb = await openBuckets(await fx.connect(), 'lease2', { leaseMs: 100, nodeMs: 100 });
    const a = new LeaseKeeper(ba.leases, 'risk', 'risk-a', { leaseMs: 100 });
    const b = new LeaseKeeper(bb.leases, 'risk', 'risk-b', { leaseMs: 100 });
    const aGot = next<[number]>(a, 'acquired');
    await a.start();
    const [epochA] = await aGot;
    const bGot = next<[number]>(b, 'acquired');
    await b.start();
    const crashedAt = performance.now();
    a.abandon(); // no release, no more renewals: only the bucket's max age frees the key
    const [epochB] = await bGot;
    const takeoverMs = performance.now() - crashedAt;
    expect(epochB).toBeGreaterThan(epochA);
    // bounded by a lease plus the standby's retry cadence, with room for a loaded machine
    expect(takeoverMs).toBeLessThan(2000);
    const entry = await bb.leases.get('risk');
    expect(JSON.parse(entry!.string()).holder).toBe('risk-b');
    b.abandon();
  });

  it('a leader that sees someone else write its key steps down at once', async () => {
    const ba = await openBuckets(await fx.connect(), 'lease3', { leaseMs: 2000, nodeMs: 2000 });
    const a = new LeaseKeeper(ba.leases, gatewayLeaseKey(2), 'gw-a', { leaseMs: 2000 });
    const aGot = next(a, 'acquired');
    await a.start();
    await aGot;
    const aLost = next<[string]>(a, 'lost');
    // an operator (or a partitioned peer that won a create after expiry) overwrote it
    await ba.leases.put(gatewayLeaseKey(2), JSON.stringify({ holder: 'gw-z', wallMs: 0 }));
    expect((await aLost)[0]).toBe('lease now held by gw-z');
    expect(a.isLeader).toBe(false);
    a.abandon();
  });

  it('refuses buckets with another lease length and bad timing', async () => {
    const nc = await fx.connect();
    await openBuckets(nc, 'lease4', { leaseMs: 1000, nodeMs: 1000 });
    await expect(openBuckets(nc, 'lease4', { leaseMs: 2000, nodeMs: 1000 })).rejects.toThrow(/exists with max age 1000 ms, this node wants 2000 ms/);
    await expect(openBuckets(nc, 'lease5', { leaseMs: 50, nodeMs: 1000 })).rejects.toThrow(/leaseMs must be an integer >= 100/);
  });
});
