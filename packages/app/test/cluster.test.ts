/**
 * `kmm node` / `kmm cluster status` / `kmm cluster kill` in-process against a real loopback
 * nats-server (skipped, saying so, when nats-server is not installed). Every wait is on a log
 * line a node prints, never on a fixed time.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findNatsServer, NATS_INSTALL_HINT, startNatsServer, type NatsServerHandle } from '@kmm/cluster';
import { catalogEvents, clusterStatus, killCommand, runNode, type NodeOptions } from '../src/commands/cluster.js';

const installed = findNatsServer() !== null;
if (!installed) console.warn(`[@kmm/app cluster] SKIPPED: nats-server is not installed: ${NATS_INSTALL_HINT}`);

/** A log that can wait for its first line matching a pattern (past or future). */
function log(): { lines: string[]; push(l: string): void; waitFor(re: RegExp): Promise<string> } {
  const lines: string[] = [];
  const waiters: Array<[RegExp, (l: string) => void]> = [];
  return {
    lines,
    push(l) {
      lines.push(l);
      for (const w of waiters.splice(0)) if (w[0].test(l)) w[1](l);
      else waiters.push(w);
    },
    waitFor(re) {
      const hit = lines.find((l) => re.test(l));
      return hit ? Promise.resolve(hit) : new Promise((r) => waiters.push([re, r]));
    },
  };
}

describe.skipIf(!installed)('kmm node / cluster status / cluster kill', () => {
  let server: NatsServerHandle;
  beforeAll(async () => {
    server = await startNatsServer({ name: 'kmm-app-test' });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('two nodes share events, one holds the leases, the other takes over on a graceful stop, and both hear the kill switch', async () => {
    const timing = { leaseMs: 1000, nodeMs: 1000 };
    const base: Omit<NodeOptions, 'id' | 'log'> = { natsUrl: server.url, cluster: 'apptest', roles: ['gateway', 'strategy', 'risk'], shards: [1], timing, markets: 12, seed: 3 };
    const la = log();
    const a = await runNode({ ...base, id: 'node-a', log: la.push });
    await la.waitFor(/node-a lease_acquired \{"key":"assigner"/);
    const lb = log();
    const b = await runNode({ ...base, id: 'node-b', log: lb.push });
    await la.waitFor(/node-a rebalanced .*"joined node-b"/);
    await lb.waitFor(/node-b assignment \{"version":2/);

    const s = await clusterStatus(server.url, 'apptest', timing);
    expect(s.nodes.map((n) => n.id)).toEqual(['node-a', 'node-b']);
    expect(s.leases.map((l) => [l.key, l.holder])).toEqual([
      ['assigner', 'node-a'],
      ['gateway.1', 'node-a'],
      ['risk', 'node-a'],
    ]);
    const events = catalogEvents(12, 3, Date.now());
    expect(s.assignment.events).toBe(events.length);
    expect(s.assignment.nodes).toEqual(['node-a', 'node-b']);
    expect(s.kill).toBeNull();

    // node-a stops gracefully: it releases its leases, node-b takes them over on the deletes
    await a.stop();
    await lb.waitFor(/node-b lease_acquired \{"key":"gateway.1"/);
    await lb.waitFor(/node-b lease_acquired \{"key":"risk"/);
    await lb.waitFor(/node-b rebalanced .*"left node-a"|node-b rebalanced .*"assigner lease acquired"/);
    const s2 = await clusterStatus(server.url, 'apptest', timing);
    expect(s2.leases.every((l) => l.holder === 'node-b')).toBe(true);

    await killCommand(server.url, 'apptest', timing, 'drill', false);
    await lb.waitFor(/node-b kill_switch \{"reason":"drill"/);
    expect((await clusterStatus(server.url, 'apptest', timing)).kill).toMatchObject({ active: true, reason: 'drill' });
    await b.stop();
  });
});
