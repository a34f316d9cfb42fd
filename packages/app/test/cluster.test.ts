/**
 * `kmm node` / `kmm cluster status` / `kmm cluster kill` in-process against a real loopback
 * nats-server (skipped, saying so, when nats-server is not installed). Every wait is on a log
 * line a node prints, never on a fixed time.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, figuresSubject, openBuckets, type NodeInfo, findNatsServer, NATS_INSTALL_HINT, startNatsServer, type GatewayFigures, type NatsServerHandle } from '@kmm/cluster';
import { catalogEvents, clusterStatus, formatStatus, killCommand, nodeRows, runNode, type NodeOptions } from '../src/commands/cluster.js';

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

    // the next heartbeats carry each node's load (events owned): wait for them on the nodes bucket
    const ncw = await connect({ servers: server.url });
    const loads = new Map<string, number>();
    const watch = await (await openBuckets(ncw, 'apptest', timing)).nodes.watch({ key: 'node.*' });
    for await (const e of watch) {
      if (e.operation !== 'PUT') continue;
      const n = e.json<NodeInfo>();
      loads.set(n.id, n.load?.events ?? 0);
      if ((loads.get('node-a') ?? 0) + (loads.get('node-b') ?? 0) === catalogEvents(12, 3, Date.now()).length) break;
    }
    await ncw.close();
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
    // the cluster panel: every node with its roles, the leases it holds and its load
    const rows = nodeRows(s, Date.now());
    const epochs = Object.fromEntries(s.leases.map((l) => [l.key, l.revision]));
    expect(rows.map((r) => [r.id, r.roles, r.leases])).toEqual([
      ['node-a', ['gateway', 'strategy', 'risk'], [`assigner@${epochs.assigner}`, `gateway.1@${epochs['gateway.1']}`, `risk@${epochs.risk}`]],
      ['node-b', ['gateway', 'strategy', 'risk'], []],
    ]);
    expect(rows[0].load.events + rows[1].load.events).toBe(events.length);
    const panel = formatStatus(s);
    expect(panel.find((l) => l.includes('node-a'))).toMatch(new RegExp(`node-a +gateway,strategy,risk +assigner@\\d+,gateway\\.1@\\d+,risk@\\d+ +events=${rows[0].load.events} `));
    expect(panel.find((l) => l.includes('node-b'))).toMatch(new RegExp(`node-b +gateway,strategy,risk +- +events=${rows[1].load.events} `));
    expect(panel).toContain('risk: no figures from any gateway yet');

    // a gateway's figures reach the risk aggregator (node-a holds the risk lease): the status shows its view and allowance
    const nc = await connect({ servers: server.url });
    const figs: GatewayFigures = { shard: 1, epoch: 1, wallMs: Date.now(), markets: [{ market: 'M1', event: '', exclusive: false, positionCenti: 1000, costPriceCenti: 1000 * 4000, realizedMoney: -5000, feesMoney: 700, markedMoney: 2000, orders: [] }] };
    nc.publish(figuresSubject('apptest', 1), JSON.stringify(figs));
    await la.waitFor(/node-a risk_allowance \{"key":"allowance.gateway.1"/);
    await nc.close();
    const sr = await clusterStatus(server.url, 'apptest', timing);
    expect(sr.risk!.state).toMatchObject({ byNode: 'node-a', pnlMoney: -3000, totalWorstMoney: 40000, breach: '' });
    // $10,000 default cap - $0.30 lost - $4.00 worst case (10 long at $0.40), all to the one gateway, plus its $4.00
    expect(sr.risk!.allowances.map((a) => [a.key, a.allowanceUsd, a.worstUsd])).toEqual([
      ['allowance.gateway.1', 9999.7, 4],
      ['allowance.event.market=3aM1', 2500, 4], // capped by MM_MAX_EVENT_LOSS_USD
    ]);
    expect(formatStatus(sr)).toContain(`  ${'allowance.gateway.1'.padEnd(44)} allowance $9999.70  worst case $4.00`);

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
