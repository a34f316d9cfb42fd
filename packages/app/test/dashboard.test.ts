/**
 * Dashboard server over real sockets on 127.0.0.1 (no browser): token rules on every
 * route and on the websocket upgrade, the control path, and /metrics protection.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { request } from 'node:http';
import { WebSocket } from 'ws';
import { startDashboard, parseControl, type DashboardHandle } from '../src/dashboard/index.js';
import type { ControlCommand } from '../src/dashboard/types.js';
import { fakeSource } from './fake-source.js';

interface Resp {
  status: number;
  body: string;
  headers: Record<string, string | string[] | undefined>;
}

function http(url: string, opts: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Resp> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: opts.method ?? 'GET', headers: opts.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), headers: res.headers }));
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

/** Resolves with the HTTP status of a refused upgrade, or 101 with the first message. */
function wsTry(url: string, headers: Record<string, string> = {}): Promise<{ status: number; first?: string }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { headers });
    ws.on('unexpected-response', (_req, res) => {
      resolve({ status: res.statusCode ?? 0 });
      ws.terminate();
    });
    ws.on('message', (data) => {
      resolve({ status: 101, first: String(data) });
      ws.close();
    });
    ws.on('error', () => {});
  });
}

let dash: DashboardHandle | undefined;
afterEach(async () => {
  await dash?.close();
  dash = undefined;
});

async function start(extra: { metricsPublic?: boolean } = {}) {
  const src = fakeSource();
  const got: ControlCommand[] = [];
  dash = await startDashboard({
    port: 0,
    source: src,
    intervalMs: 1000,
    onControl: (cmd) => {
      got.push(cmd);
      if (cmd.kind === 'flatten' && cmd.market === 'BOOM') throw new Error('flatten refused: market unknown');
      return `${cmd.kind} accepted`;
    },
    ...extra,
  });
  return { src, got, d: dash };
}

describe('dashboard server', () => {
  it('binds 127.0.0.1 and generates a long random token', async () => {
    const { d } = await start();
    expect(d.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    expect(d.token).toMatch(/^[0-9a-f]{48}$/);
    expect(d.loginUrl).toBe(`${d.url}?token=${d.token}`);
  });

  it('refuses every route without the token (401) or with a wrong one (403), never showing the state', async () => {
    const { d } = await start();
    for (const path of ['', 'api/state', 'index.html', 'nope', 'metrics']) {
      const none = await http(d.url + path);
      expect(none.status, path).toBe(401);
      expect(none.body).not.toContain('KXFAKE');
      const wrong = await http(d.url + path + '?token=' + 'x'.repeat(48));
      expect(wrong.status, path).toBe(403);
      expect(wrong.body).not.toContain('KXFAKE');
      const wrongHeader = await http(d.url + path, { headers: { authorization: 'Bearer nope' } });
      expect(wrongHeader.status, path).toBe(403);
    }
    const wrongCookie = await http(d.url + 'api/state', { headers: { cookie: 'kmm_token=abc' } });
    expect(wrongCookie.status).toBe(403);
  });

  it('serves the page with ?token= and sets an HttpOnly SameSite=Strict cookie that then works alone', async () => {
    const { d } = await start();
    const page = await http(d.loginUrl);
    expect(page.status).toBe(200);
    expect(page.body).toContain('<title>KMM dashboard</title>');
    expect(String(page.headers['content-security-policy'])).toContain("default-src 'none'");
    const cookie = String(page.headers['set-cookie']);
    expect(cookie).toContain(`kmm_token=${d.token}`);
    expect(cookie).toContain('HttpOnly');
    expect(cookie).toContain('SameSite=Strict');
    const state = await http(d.url + 'api/state', { headers: { cookie: `kmm_token=${d.token}` } });
    expect(state.status).toBe(200);
    const msg = JSON.parse(state.body);
    expect(msg.type).toBe('state');
    expect(msg.state.markets.map((m: { ticker: string }) => m.ticker)).toEqual(['KXFAKE-A', 'KXFAKE-B']);
  });

  it('refuses a Host that is not loopback (DNS rebinding)', async () => {
    const { d } = await start();
    const r = await http(d.loginUrl, { headers: { host: `evil.example:${d.port}` } });
    expect(r.status).toBe(403);
  });

  it('refuses the websocket upgrade without or with a wrong token, and pushes state with it', async () => {
    const { d } = await start();
    const wsUrl = d.url.replace('http', 'ws') + 'ws';
    expect((await wsTry(wsUrl)).status).toBe(401);
    expect((await wsTry(wsUrl + '?token=bad')).status).toBe(403);
    expect((await wsTry(wsUrl + `?token=${d.token}`, { origin: 'http://evil.example' })).status).toBe(403);
    const ok = await wsTry(wsUrl + `?token=${d.token}`);
    expect(ok.status).toBe(101);
    expect(JSON.parse(ok.first!).state.markets).toHaveLength(2);
    const viaHeader = await wsTry(wsUrl, { authorization: `Bearer ${d.token}` });
    expect(viaHeader.status).toBe(101);
  });

  it('forwards controls given with the Authorization header, refuses cookie-only and bad bodies', async () => {
    const { d, got } = await start();
    const auth = { authorization: `Bearer ${d.token}`, 'content-type': 'application/json' };
    const ok = await http(d.url + 'api/control', { method: 'POST', headers: auth, body: '{"kind":"pause"}' });
    expect(ok.status).toBe(200);
    expect(JSON.parse(ok.body)).toEqual({ ok: true, result: 'pause accepted' });
    const ack = await http(d.url + 'api/control', { method: 'POST', headers: auth, body: '{"kind":"ack_breach","market":"KXFAKE-A"}' });
    expect(JSON.parse(ack.body).ok).toBe(true);
    expect(got).toEqual([{ kind: 'pause' }, { kind: 'ack_breach', market: 'KXFAKE-A' }]);

    const cookieOnly = await http(d.url + 'api/control', { method: 'POST', headers: { cookie: `kmm_token=${d.token}` }, body: '{"kind":"flatten"}' });
    expect(cookieOnly.status).toBe(403);
    const noToken = await http(d.url + 'api/control', { method: 'POST', body: '{"kind":"flatten"}' });
    expect(noToken.status).toBe(401);
    const badKind = await http(d.url + 'api/control', { method: 'POST', headers: auth, body: '{"kind":"sell_everything"}' });
    expect(badKind.status).toBe(400);
    const notJson = await http(d.url + 'api/control', { method: 'POST', headers: auth, body: 'pause' });
    expect(notJson.status).toBe(400);
    const huge = await http(d.url + 'api/control', { method: 'POST', headers: auth, body: JSON.stringify({ kind: 'pause', pad: 'x'.repeat(10_000) }) });
    expect(huge.status).toBe(413);
    const crossOrigin = await http(d.url + 'api/control', { method: 'POST', headers: { ...auth, origin: 'http://evil.example' }, body: '{"kind":"pause"}' });
    expect(crossOrigin.status).toBe(403);
    const failing = await http(d.url + 'api/control', { method: 'POST', headers: auth, body: '{"kind":"flatten","market":"BOOM"}' });
    expect(failing.status).toBe(500);
    expect(JSON.parse(failing.body)).toEqual({ ok: false, error: 'flatten refused: market unknown' });
    expect(got).toHaveLength(3);
  });

  it('parseControl accepts only the four kinds and a bounded market string', () => {
    expect(parseControl({ kind: 'resume' })).toEqual({ ok: true, cmd: { kind: 'resume' } });
    expect(parseControl({ kind: 'flatten', market: 'KX' })).toEqual({ ok: true, cmd: { kind: 'flatten', market: 'KX' } });
    expect(parseControl([]).ok).toBe(false);
    expect(parseControl({ kind: 'flatten', market: 5 }).ok).toBe(false);
    expect(parseControl({ kind: 'flatten', market: 'x'.repeat(200) }).ok).toBe(false);
  });

  it('protects /metrics with the bearer token unless metricsPublic', async () => {
    const { d } = await start();
    expect((await http(d.url + 'metrics')).status).toBe(401);
    const m = await http(d.url + 'metrics', { headers: { authorization: `Bearer ${d.token}` } });
    expect(m.status).toBe(200);
    expect(m.headers['content-type']).toContain('text/plain');
    expect(m.body).toContain('kmm_market_inventory_contracts{market="KXFAKE-A"}');
    await d.close();
    dash = undefined;
    const pub = await start({ metricsPublic: true });
    const open = await http(pub.d.url + 'metrics');
    expect(open.status).toBe(200);
    expect(open.body).toContain('kmm_actor_elu_ratio{actor="ingest"}');
    // Public metrics do not open anything else.
    expect((await http(pub.d.url + 'api/state')).status).toBe(401);
  });
});

describe('trimState', () => {
  it('cuts deep books and long event lists, keeping the best levels and the newest events', async () => {
    const { trimState, DASHBOARD_LEVELS_SENT, DASHBOARD_EVENTS_SENT } = await import('../src/dashboard/index.js');
    const s = fakeSource(['KX-A']).snapshot();
    const deep = {
      ...s,
      markets: [{ ...s.markets[0], bids: Array.from({ length: 50 }, (_, i) => [String(i), '1.00'] as [string, string]) }],
      events: Array.from({ length: 500 }, (_, i) => ({ t: i, event: `e${i}`, level: 'info' })),
    };
    const t = trimState(deep);
    expect(t.markets[0].bids).toHaveLength(DASHBOARD_LEVELS_SENT);
    expect(t.markets[0].bids[0][0]).toBe('0');
    expect(t.events).toHaveLength(DASHBOARD_EVENTS_SENT);
    expect(t.events[t.events.length - 1].event).toBe('e499');
    expect(trimState(s)).toBe(s);
  });
});
