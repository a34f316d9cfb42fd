/**
 * Event assignment in NATS KV against a real nats-server: the assigner rebalances when a
 * strategy node joins, leaves (delete, seen at once) or dies (its heartbeat ages out: the
 * smallest max age, and the test waits for the 'rebalanced' event, not a fixed time).
 */
import { expect, it } from 'vitest';
import { loadsOf, type Assignment, type EventLoad } from '../src/core/assign.js';
import { openBuckets } from '../src/shell/buckets.js';
import { Assigner, AssignmentWatch, NodeHeartbeat, readAssignment, type NodeInfo } from '../src/shell/nodes.js';
import { describeNats, next, useNatsServer } from './nats.js';

const EVENTS: EventLoad[] = [
  { event: 'KXHIGHNY-26DEC04', markets: 6 },
  { event: 'KXHIGHCHI-26DEC04', markets: 6 },
  { event: 'KXFED-26DEC', markets: 4 },
  { event: 'KXCPI-26DEC', markets: 3 },
  { event: 'KXNBA-26DEC04LALBOS', markets: 2 },
  { event: 'KXGDP-26Q4', markets: 1 },
];

function info(id: string, role: NodeInfo['role']): Omit<NodeInfo, 'wallMs'> {
  return { id, role, host: '127.0.0.1', pid: process.pid, startedWallMs: Date.now() };
}

/** Waits for the next rebalance whose node list is `nodes`. */
function rebalancedTo(assigner: Assigner, nodes: string[]): Promise<Assignment> {
  return new Promise((resolve) => {
    const on = (a: Assignment) => {
      if (a.nodes.join(',') === nodes.join(',')) {
        assigner.off('rebalanced', on);
        resolve(a);
      }
    };
    assigner.on('rebalanced', on);
  });
}

describeNats('event assignment in NATS KV', () => {
  const fx = useNatsServer();

  it('rebalances whole events on join, graceful leave and death', async () => {
    const timing = { leaseMs: 2000, nodeMs: 400 };
    const br = await openBuckets(await fx.connect(), 'asg1', timing);
    const b1 = await openBuckets(await fx.connect(), 'asg1', timing);
    const b2 = await openBuckets(await fx.connect(), 'asg1', timing);
    const b3 = await openBuckets(await fx.connect(), 'asg1', timing);
    const s1 = new NodeHeartbeat(b1.nodes, info('s1', 'strategy'), timing.nodeMs);
    const s2 = new NodeHeartbeat(b2.nodes, info('s2', 'strategy'), timing.nodeMs);
    await s1.start();
    await s2.start();
    const assigner = new Assigner(br, 'risk-1', EVENTS);
    const first = rebalancedTo(assigner, ['s1', 's2']);
    await assigner.start();
    const a1 = await first;
    expect(Object.keys(a1.byEvent).sort()).toEqual(EVENTS.map((e) => e.event).sort());
    expect(loadsOf(a1, EVENTS)).toEqual({ s1: 11, s2: 11 });

    // a third node joins and watches its share
    const watch3 = new AssignmentWatch(b3.assign, 's3');
    await watch3.start();
    const mine3 = new Promise<string[]>((resolve) => watch3.on('assignment', (a: Assignment, mine: string[]) => a.nodes.includes('s3') && resolve(mine)));
    const joined = rebalancedTo(assigner, ['s1', 's2', 's3']);
    const s3 = new NodeHeartbeat(b3.nodes, info('s3', 'strategy'), timing.nodeMs);
    await s3.start();
    const a2 = await joined;
    const ev3 = await mine3;
    expect(ev3.length).toBeGreaterThan(0);
    expect(ev3).toEqual(Object.keys(a2.byEvent).filter((e) => a2.byEvent[e] === 's3').sort());
    // only events that went to the newcomer moved
    for (const e of EVENTS) if (a2.byEvent[e.event] !== 's3') expect(a2.byEvent[e.event]).toBe(a1.byEvent[e.event]);

    // s2 dies (no delete): its heartbeat ages out of the bucket and the assigner's timer notices
    const died = rebalancedTo(assigner, ['s1', 's3']);
    s2.abandon();
    const a3 = await died;
    expect(Object.values(a3.byEvent).every((n) => n === 's1' || n === 's3')).toBe(true);
    for (const e of EVENTS) if (a2.byEvent[e.event] !== 's2') expect(a3.byEvent[e.event]).toBe(a2.byEvent[e.event]);

    // s1 leaves gracefully: s3 owns everything
    const left = rebalancedTo(assigner, ['s3']);
    await s1.stop();
    const a4 = await left;
    expect(new Set(Object.values(a4.byEvent))).toEqual(new Set(['s3']));
    expect((await readAssignment(br.assign)).assignment.version).toBe(a4.version);
    await s3.stop();
    watch3.stop();
    await assigner.stop();
  });
});
