/**
 * The live dashboard server: HTTP + websocket on 127.0.0.1 only, run by the main process.
 *
 * In:  `source.snapshot()` (the supervisor's current view), polled every `intervalMs` while
 *      at least one page is connected, and on demand (`push()`, after every control).
 * Out: `{type:"state", seq, state}` websocket messages; controls forwarded to `onControl`.
 *
 * Routes (every one needs the token unless noted; no token -> 401, wrong token -> 403,
 * and a refused request never sees the state):
 *   GET  /              the page. `?token=` on first load sets an HttpOnly SameSite=Strict cookie.
 *   GET  /api/state     the snapshot as JSON.
 *   POST /api/control   {kind:"pause"|"resume"|"flatten"|"ack_breach"|"ack_config", market?} -> {ok, result|error}.
 *                       Needs `Authorization: Bearer <token>`: the cookie alone is refused so a
 *                       cross-site form cannot press a button.
 *   GET  /ws            websocket upgrade (token by header, query or cookie; Origin must be ours).
 *   GET  /metrics       Prometheus text. Token by `Authorization: Bearer` (or query/cookie) unless
 *                       `metricsPublic` is set, for scrapers that cannot send one.
 * The Host header must be 127.0.0.1:<port> or localhost:<port> (DNS-rebinding guard).
 *
 * Limits: DASHBOARD_MAX_CLIENTS websockets (more -> 503). Each state message carries at most
 * DASHBOARD_LEVELS_SENT book levels per side and DASHBOARD_EVENTS_SENT events (the rest are
 * cut, newest events kept). A client whose send buffer holds more than WS_MAX_BUFFERED_BYTES
 * skips snapshots until it drains (it gets the next one: state is conflated, never queued).
 * Control bodies over CONTROL_BODY_MAX_BYTES -> 413.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { randomBytes } from 'node:crypto';
import type { Duplex } from 'node:stream';
import { WebSocketServer, WebSocket } from 'ws';
import { createMetrics, type KmmMetrics } from '../metrics/metrics.js';
import { checkToken, generateToken, hostAllowed, originAllowed, tokenSources, TOKEN_COOKIE } from './auth.js';
import { dashboardPage } from './page.js';
import type { ControlCommand, ControlHandler, ControlKind, DashboardSource, DashboardState } from './types.js';
import { listenLoopback } from '../system/listen.js';

export const DASHBOARD_MAX_CLIENTS = 16;
export const WS_MAX_BUFFERED_BYTES = 1 << 20;
export const CONTROL_BODY_MAX_BYTES = 4096;
export const DASHBOARD_DEFAULT_INTERVAL_MS = 250;
/** Book levels per side sent to the page (the ladder shows LADDER_LEVELS); deeper levels are cut. */
export const DASHBOARD_LEVELS_SENT = 20;
/** Most recent ops events sent to the page; older ones are cut. */
export const DASHBOARD_EVENTS_SENT = 100;
const MARKET_MAX_CHARS = 128;

export interface DashboardOptions {
  /** 0 or absent = ephemeral port. The server binds 127.0.0.1 only. */
  port?: number;
  /** Generated (crypto random, 48 hex chars) if absent. */
  token?: string;
  source: DashboardSource;
  onControl: ControlHandler;
  /** Push period while clients are connected. Default 250 ms. */
  intervalMs?: number;
  /** Serve /metrics without the token (for a local Prometheus that cannot send one). */
  metricsPublic?: boolean;
  /** Metrics to expose on /metrics; created if absent. Updated from the source on each scrape. */
  metrics?: KmmMetrics;
  /** Diagnostics (snapshot failures, refused requests). */
  log?: (msg: string) => void;
}

export interface DashboardHandle {
  /** http://127.0.0.1:<port>/ */
  url: string;
  /** url + ?token=..., the link to print at start. */
  loginUrl: string;
  token: string;
  port: number;
  /** Sends a fresh snapshot to every connected page now. */
  push(): void;
  close(): Promise<void>;
}

/** Thrown by a ControlHandler that refuses a well-formed control (e.g. an unknown market): HTTP 400. */
export class ControlRefused extends Error {}

const CONTROL_KINDS: ReadonlySet<string> = new Set<ControlKind>(['pause', 'resume', 'flatten', 'ack_breach', 'ack_config']);

/** Validates a control body at the edge: the only shapes that reach onControl. */
export function parseControl(body: unknown): { ok: true; cmd: ControlCommand } | { ok: false; error: string } {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return { ok: false, error: 'body must be a JSON object' };
  const b = body as Record<string, unknown>;
  if (typeof b.kind !== 'string' || !CONTROL_KINDS.has(b.kind)) {
    return { ok: false, error: `kind must be one of ${[...CONTROL_KINDS].join(', ')}` };
  }
  if (b.market !== undefined && (typeof b.market !== 'string' || b.market.length === 0 || b.market.length > MARKET_MAX_CHARS)) {
    return { ok: false, error: `market must be a non-empty string of at most ${MARKET_MAX_CHARS} characters` };
  }
  const cmd: ControlCommand = { kind: b.kind as ControlKind };
  if (typeof b.market === 'string') cmd.market = b.market;
  return { ok: true, cmd };
}

/** Bounds what one state message carries, whatever the source hands us. */
export function trimState(s: DashboardState): DashboardState {
  const deep = s.markets.some((m) => m.bids.length > DASHBOARD_LEVELS_SENT || m.asks.length > DASHBOARD_LEVELS_SENT);
  if (!deep && s.events.length <= DASHBOARD_EVENTS_SENT) return s;
  return {
    ...s,
    markets: deep
      ? s.markets.map((m) => ({ ...m, bids: m.bids.slice(0, DASHBOARD_LEVELS_SENT), asks: m.asks.slice(0, DASHBOARD_LEVELS_SENT) }))
      : s.markets,
    events: s.events.length > DASHBOARD_EVENTS_SENT ? s.events.slice(-DASHBOARD_EVENTS_SENT) : s.events,
  };
}

function send(res: ServerResponse, status: number, type: string, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, {
    'Content-Type': type,
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    ...headers,
  });
  res.end(body);
}

function json(res: ServerResponse, status: number, value: unknown): void {
  send(res, status, 'application/json; charset=utf-8', JSON.stringify(value));
}

function readBody(req: IncomingMessage, limit: number): Promise<{ ok: true; text: string } | { ok: false }> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    req.on('data', (c: Buffer) => {
      if (done) return;
      size += c.length;
      if (size > limit) {
        done = true;
        resolve({ ok: false });
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => {
      if (!done) resolve({ ok: true, text: Buffer.concat(chunks).toString('utf8') });
    });
    req.on('error', () => {
      if (!done) resolve({ ok: false });
    });
  });
}

export async function startDashboard(opts: DashboardOptions): Promise<DashboardHandle> {
  const token = opts.token ?? generateToken();
  if (token.length < 16) throw new Error('dashboard token must be at least 16 characters');
  const intervalMs = opts.intervalMs ?? DASHBOARD_DEFAULT_INTERVAL_MS;
  if (!(intervalMs >= 10)) throw new Error(`dashboard intervalMs must be >= 10, got ${intervalMs}`);
  const metrics = opts.metrics ?? createMetrics();
  const log = opts.log ?? (() => {});
  let port = 0;
  let seq = 0;

  const wss = new WebSocketServer({ noServer: true, maxPayload: CONTROL_BODY_MAX_BYTES });

  function stateMessage(): string | undefined {
    try {
      return JSON.stringify({ type: 'state', seq: ++seq, state: trimState(opts.source.snapshot()) });
    } catch (err) {
      log(`dashboard: snapshot failed: ${(err as Error).message}`);
      return undefined;
    }
  }

  function sendTo(ws: WebSocket, msg: string): void {
    if (ws.readyState !== WebSocket.OPEN) return;
    // A slow page skips this snapshot; the next one supersedes it (conflation, no queue).
    if (ws.bufferedAmount > WS_MAX_BUFFERED_BYTES) return;
    ws.send(msg);
  }

  function push(): void {
    if (wss.clients.size === 0) return;
    const msg = stateMessage();
    if (msg === undefined) return;
    for (const ws of wss.clients) sendTo(ws, msg);
  }

  async function handleControl(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req, CONTROL_BODY_MAX_BYTES);
    if (!body.ok) return json(res, 413, { ok: false, error: `body over ${CONTROL_BODY_MAX_BYTES} bytes` });
    let parsed: unknown;
    try {
      parsed = JSON.parse(body.text);
    } catch {
      return json(res, 400, { ok: false, error: 'body is not JSON' });
    }
    const c = parseControl(parsed);
    if (!c.ok) return json(res, 400, { ok: false, error: c.error });
    let result: string;
    try {
      result = String(await opts.onControl(c.cmd));
    } catch (err) {
      // a refused control (unknown market) is the caller's mistake: 400; anything else is ours
      return json(res, err instanceof ControlRefused ? 400 : 500, { ok: false, error: (err as Error).message });
    }
    json(res, 200, { ok: true, result });
    push();
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!hostAllowed(req, port)) return send(res, 403, 'text/plain', 'bad host\n');
    const url = new URL(req.url ?? '/', `http://127.0.0.1:${port}`);
    const src = tokenSources(req, url);

    if (url.pathname === '/metrics' && req.method === 'GET') {
      if (opts.metricsPublic !== true) {
        const a = checkToken(src, token, { header: true, query: true, cookie: true });
        if (!a.ok) return send(res, a.status, 'text/plain', `${a.why}\n`, a.status === 401 ? { 'WWW-Authenticate': 'Bearer' } : {});
      }
      try {
        metrics.update({ ...opts.source.snapshot(), counters: opts.source.counters?.() });
      } catch (err) {
        log(`dashboard: metrics update failed: ${(err as Error).message}`);
      }
      return send(res, 200, metrics.contentType, await metrics.text());
    }

    const a = checkToken(src, token, { header: true, query: true, cookie: true });
    if (!a.ok) {
      log(`dashboard: refused ${req.method} ${url.pathname}: ${a.why}`);
      return send(res, a.status, 'text/plain', `${a.why}\n`, a.status === 401 ? { 'WWW-Authenticate': 'Bearer' } : {});
    }

    if ((url.pathname === '/' || url.pathname === '/index.html') && req.method === 'GET') {
      const nonce = randomBytes(16).toString('base64');
      const headers: Record<string, string> = {
        'Content-Security-Policy':
          `default-src 'none'; script-src 'nonce-${nonce}'; style-src 'unsafe-inline'; ` +
          `connect-src 'self' ws://127.0.0.1:${port} ws://localhost:${port}; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`,
      };
      if (a.via === 'query') {
        headers['Set-Cookie'] = `${TOKEN_COOKIE}=${encodeURIComponent(token)}; HttpOnly; SameSite=Strict; Path=/`;
      }
      return send(res, 200, 'text/html; charset=utf-8', dashboardPage(nonce), headers);
    }
    if (url.pathname === '/api/state' && req.method === 'GET') {
      const msg = stateMessage();
      if (msg === undefined) return json(res, 503, { ok: false, error: 'snapshot unavailable' });
      return send(res, 200, 'application/json; charset=utf-8', msg);
    }
    if (url.pathname === '/api/control' && req.method === 'POST') {
      if (a.via !== 'header') return json(res, 403, { ok: false, error: 'controls need the Authorization: Bearer header' });
      if (!originAllowed(req, port)) return json(res, 403, { ok: false, error: 'bad origin' });
      return handleControl(req, res);
    }
    return send(res, 404, 'text/plain', 'not found\n');
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      log(`dashboard: request failed: ${(err as Error).message}`);
      if (!res.headersSent) send(res, 500, 'text/plain', 'internal error\n');
      else res.end();
    });
  });

  function refuseUpgrade(socket: Duplex, status: number, text: string): void {
    socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
  }

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(req.url ?? '/', `http://127.0.0.1:${port}`);
    if (url.pathname !== '/ws') return refuseUpgrade(socket, 404, 'Not Found');
    if (!hostAllowed(req, port) || !originAllowed(req, port)) return refuseUpgrade(socket, 403, 'Forbidden');
    const a = checkToken(tokenSources(req, url), token, { header: true, query: true, cookie: true });
    if (!a.ok) return refuseUpgrade(socket, a.status, a.status === 401 ? 'Unauthorized' : 'Forbidden');
    if (wss.clients.size >= DASHBOARD_MAX_CLIENTS) return refuseUpgrade(socket, 503, 'Service Unavailable');
    wss.handleUpgrade(req, socket, head, (ws) => {
      ws.on('message', (data) => {
        // The only client message is a refresh request; anything else is ignored.
        if (String(data) === '{"type":"refresh"}') {
          const msg = stateMessage();
          if (msg !== undefined) sendTo(ws, msg);
        }
      });
      ws.on('error', (err) => log(`dashboard: websocket error: ${err.message}`));
      const msg = stateMessage();
      if (msg !== undefined) sendTo(ws, msg);
    });
  });

  port = await listenLoopback(server, opts.port ?? 0, 'dashboard');

  const timer = setInterval(push, intervalMs);
  timer.unref();

  const url = `http://127.0.0.1:${port}/`;
  return {
    url,
    loginUrl: `${url}?token=${encodeURIComponent(token)}`,
    token,
    port,
    push,
    close: async () => {
      clearInterval(timer);
      for (const ws of wss.clients) ws.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
