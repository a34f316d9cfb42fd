/**
 * The web dashboard of `kmm cluster up` (cluster-panel.ts) over real sockets on 127.0.0.1,
 * against a real loopback nats-server and a node of the control plane (`kmm node` in-process):
 * /api/state and the websocket carry the cluster panel (every node with its roles, leases held,
 * load and heartbeat; the lease holders; the assignment; the kill switch; the risk aggregator's
 * view and allowances), the page has the panel, controls are refused, and a change in the
 * cluster (the kill switch tripped) reaches a connected page without a reload; with Chromium
 * installed, the page renders the panel. Every wait is on a node line, a KV change, a state
 * message or a DOM element, never a fixed time.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'node:http';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import { connect, figuresSubject, findNatsServer, NATS_INSTALL_HINT, startNatsServer, type GatewayFigures, type NatsServerHandle } from '@kmm/cluster';
import { catalogEvents, killCommand, runNode } from '../src/commands/cluster.js';
import { moneyString, startClusterDashboard } from '../src/commands/cluster-panel.js';
import type { DashboardState } from '../src/dashboard/types.js';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../src/dashboard/e2e.js';
import { hasChromium } from './chromium.js';

const installed = findNatsServer() !== null;
if (!installed) console.warn(`[@kmm/app cluster dashboard] SKIPPED: nats-server is not installed: ${NATS_INSTALL_HINT}`);

function http(url: string, opts: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: opts.method ?? 'GET', headers: opts.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

/** A log that can wait for its first line matching a pattern (past or future). */
function log(): { push(l: string): void; waitFor(re: RegExp): Promise<string> } {
  const lines: string[] = [];
  const waiters: Array<[RegExp, (l: string) => void]> = [];
  return {
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

describe('money strings', () => {
  it('are exact to the 1/10,000 dollar', () => {
    expect([moneyString(0), moneyString(12345), moneyString(-12345), moneyString(99_997_000), moneyString(-5)]).toEqual(['0.0000', '1.2345', '-1.2345', '9999.7000', '-0.0005']);
  });
});

describe.skipIf(!installed)('kmm cluster up: the web dashboard shows the cluster', () => {
  let server: NatsServerHandle;
  beforeAll(async () => {
    server = await startNatsServer({ name: 'kmm-app-dash-test' });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('serves the cluster panel over HTTP and the websocket, live', async () => {
    // the default lease (3 s): a heartbeat or a renewal late under load must not drop a node or a lease from the view
    const timing = { leaseMs: 3000, nodeMs: 3000 };
    const la = log();
    const node = await runNode({ natsUrl: server.url, cluster: 'dash', roles: ['gateway', 'strategy', 'risk'], shards: [1], timing, markets: 12, seed: 3, id: 'node-a', log: la.push });
    await la.waitFor(/node-a assignment \{"version":1/);
    // a gateway's figures reach the risk aggregator: the view and the allowances are written
    const nc = await connect({ servers: server.url });
    const figs: GatewayFigures = { shard: 1, epoch: 1, wallMs: Date.now(), markets: [{ market: 'M1', event: '', exclusive: false, positionCenti: 1000, costPriceCenti: 1000 * 4000, realizedMoney: -5000, feesMoney: 700, markedMoney: 2000, orders: [] }] };
    nc.publish(figuresSubject('dash', 1), JSON.stringify(figs));
    await la.waitFor(/node-a risk_allowance \{"key":"allowance.gateway.1"/);
    await nc.close();

    const dash = await startClusterDashboard({ port: 0 });
    try {
      const auth = { Authorization: `Bearer ${dash.handle.token}`, Host: `127.0.0.1:${dash.handle.port}` };
      // before attach: the server answers, without a cluster yet
      const early = JSON.parse((await http(`${dash.handle.url}api/state`, { headers: auth })).body) as { state: DashboardState };
      expect(early.state.mode).toBe('cluster');
      expect(early.state.cluster).toBeUndefined();
      await dash.attach(server.url, 'dash', timing);
      dash.note({ t: Date.now(), event: 'gateway_active', level: 'info', detail: 'node node-a {"shard":1}' });

      // the panel's data: the state as the server serves it (wait for the view to hold the node's load)
      let state: DashboardState;
      for (;;) {
        const r = await http(`${dash.handle.url}api/state`, { headers: auth });
        expect(r.status).toBe(200);
        state = (JSON.parse(r.body) as { state: DashboardState }).state;
        if ((state.cluster?.nodes[0]?.load.events ?? 0) > 0) break;
        await new Promise<void>((res) => dash.view!.once('change', () => res()));
      }
      const c = state.cluster!;
      expect(c.name).toBe('dash');
      expect(c.nats).toBe(server.url);
      expect(c.nodes.map((n) => [n.id, n.roles])).toEqual([['node-a', ['gateway', 'strategy', 'risk']]]);
      expect(c.nodes[0].leases.map((l) => l.replace(/@\d+$/, ''))).toEqual(['assigner', 'gateway.1', 'risk']);
      expect(c.nodes[0].load.events).toBe(catalogEvents(12, 3, Date.now()).length);
      expect(c.nodes[0].beatAgoMs).toBeLessThanOrEqual(timing.nodeMs);
      expect(c.leases.map((l) => [l.key, l.holder])).toEqual([
        ['assigner', 'node-a'],
        ['gateway.1', 'node-a'],
        ['risk', 'node-a'],
      ]);
      expect(c.assignment).toMatchObject({ nodes: ['node-a'], events: catalogEvents(12, 3, Date.now()).length });
      expect(c.kill).toBeNull();
      expect(c.risk).toMatchObject({ byNode: 'node-a', pnl: '-0.3000', totalWorst: '4.0000', breach: '' });
      expect(c.risk!.allowances).toEqual([
        { key: 'allowance.gateway.1', allowance: '9999.7000', worst: '4.0000' },
        { key: 'allowance.event.market=3aM1', allowance: '2500.0000', worst: '4.0000' },
      ]);
      expect(state.risk.tradingEnabled).toBe(true);
      expect(state.events.map((e) => e.event)).toEqual(['gateway_active']);

      // the page has the panel; controls are refused with the reason (the kill switch is the cluster's control)
      const page = await http(dash.handle.url, { headers: auth });
      expect(page.status).toBe(200);
      expect(page.body).toContain('data-testid="cluster"');
      expect(page.body).toContain('data-testid="cluster-nodes"');
      const ctl = await http(`${dash.handle.url}api/control`, { method: 'POST', headers: { ...auth, 'Content-Type': 'application/json' }, body: '{"kind":"pause"}' });
      expect(ctl.status).toBe(400);
      expect(ctl.body).toContain('kmm cluster kill');
      // no token, no state
      expect((await http(`${dash.handle.url}api/state`, { headers: { Host: auth.Host } })).status).toBe(401);

      // live: a connected page sees the kill switch trip without asking
      const ws = new WebSocket(`ws://127.0.0.1:${dash.handle.port}/ws`, { headers: { Authorization: auth.Authorization } });
      const states: DashboardState[] = [];
      const waiters: Array<[(s: DashboardState) => boolean, (s: DashboardState) => void]> = [];
      ws.on('message', (data) => {
        const m = JSON.parse(String(data)) as { type: string; state: DashboardState };
        if (m.type !== 'state') return;
        states.push(m.state);
        for (const w of waiters.splice(0)) if (w[0](m.state)) w[1](m.state);
        else waiters.push(w);
      });
      const stateWhere = (pred: (s: DashboardState) => boolean): Promise<DashboardState> => {
        const hit = states.find(pred);
        return hit ? Promise.resolve(hit) : new Promise((r) => waiters.push([pred, r]));
      };
      const first = await stateWhere((s) => s.cluster !== undefined);
      expect(first.cluster!.kill).toBeNull();
      await killCommand(server.url, 'dash', timing, 'dashboard drill', false);
      const killed = await stateWhere((s) => s.cluster?.kill?.active === true);
      expect(killed.cluster!.kill).toMatchObject({ active: true, reason: 'dashboard drill' });
      expect(killed.risk).toEqual({ tradingEnabled: false, readOnlyReason: 'kill switch: dashboard drill' });
      ws.close();

      // the page renders the panel in a real browser (when Chromium is installed)
      if (hasChromium) {
        const { chromium } = await import('playwright-core');
        const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
        try {
          const page = await browser.newPage();
          const errors: string[] = [];
          page.on('pageerror', (e) => errors.push(e.message));
          page.on('console', (m) => void (m.type() === 'error' && errors.push(m.text())));
          await page.goto(dash.handle.loginUrl);
          await page.waitForSelector('#cluster-nodes tr[data-node="node-a"]');
          expect(await page.isVisible('[data-testid=cluster]')).toBe(true);
          expect(await page.isVisible('#global-controls')).toBe(false);
          const cells = await page.$$eval('#cluster-nodes tr[data-node="node-a"] td', (tds) => tds.map((td) => td.textContent ?? ''));
          expect(cells.slice(0, 2)).toEqual(['node-a', 'gateway, strategy, risk']);
          expect(cells[2]).toMatch(/^assigner@\d+, gateway\.1@\d+, risk@\d+$/);
          expect(await page.$$eval('#cluster-leases tbody tr', (trs) => trs.map((tr) => (tr as unknown as { dataset: { lease: string } }).dataset.lease))).toEqual(['assigner', 'gateway.1', 'risk']);
          expect(await page.textContent('[data-testid=cluster-kill]')).toMatch(/^kill switch ACTIVE: dashboard drill \(by cli-\d+\)$/);
          expect(await page.textContent('[data-testid=cluster-risk]')).toMatch(/^aggregator node-a \(.+\): P&L \$-0\.3000, peak \$0\.0000, drawdown \$0\.3000, worst case of all events \$4\.0000$/);
          expect(await page.$$eval('#cluster-allowances tbody tr', (trs) => trs.map((tr) => tr.textContent))).toEqual(['allowance.gateway.19999.70004.0000', 'allowance.event.market=3aM12500.00004.0000']);
          const shot = join(mkdtempSync(join(tmpdir(), 'kmm-cluster-dash-')), 'cluster.png');
          await page.screenshot({ path: shot, fullPage: true });
          console.log(`cluster dashboard screenshot: ${shot}`);
          expect(errors).toEqual([]);
        } finally {
          await browser.close();
        }
      }
    } finally {
      await dash.close();
      await node.stop();
    }
  });
});
