/**
 * MemoryExchange: the venue without sockets, in virtual time. REST through the same pipeline as
 * HTTP (auth, faults, rate limits), websocket frames identical to the socket sim's, heartbeats,
 * close codes, every fault kind, and determinism (a scripted session run twice gives the same
 * hash of every frame and reply; another seed gives another).
 */
import { createHash, generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Signer, SimClock } from '@kmm/shared';
import { ManualScheduler, MemoryExchange, NO_READ_LAG, startSim, type MemoryExchangeOptions, type MemoryWsConn, type FaultConfig } from '../src/index.js';
import WebSocket from 'ws';

const { publicKey, privateKey } = generateKeyPairSync('rsa', {
  modulusLength: 2048,
  publicKeyEncoding: { type: 'spki', format: 'pem' },
  privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
});
const KEY_ID = 'mem-key-1';
const START_MS = Date.UTC(2026, 6, 1);
const MS = 1_000_000;

interface Rig {
  clock: SimClock;
  sched: ManualScheduler;
  ex: MemoryExchange;
  signer: Signer;
  /** signed request, answered synchronously by the server side */
  req(method: string, path: string, body?: unknown, headers?: Record<string, string>): ReturnType<MemoryExchange['request']>;
  /** runs events and exchange steps for ms of virtual time */
  run(ms: number): void;
  wsHeaders(): Record<string, string>;
}

function rig(over: Partial<MemoryExchangeOptions> = {}): Rig {
  const clock = new SimClock(START_MS);
  const sched = new ManualScheduler(clock);
  const ex = new MemoryExchange({ clock, scheduler: sched, seed: 7, markets: 4, tier: 'unlimited', publicKeyPem: publicKey, keyId: KEY_ID, readLag: NO_READ_LAG, ...over });
  const signer = new Signer(KEY_ID, privateKey);
  let nextStepNs = clock.monoNs() + ex.stepPeriodMs * MS;
  return {
    clock,
    sched,
    ex,
    signer,
    req(method, path, body, headers = {}) {
      const full = '/trade-api/v2' + path;
      const bare = full.split('?')[0];
      const h = { ...signer.headers(clock.wallMs(), method, bare), 'content-type': 'application/json', ...headers };
      return ex.request(method, full, h, body === undefined ? '' : typeof body === 'string' ? body : JSON.stringify(body));
    },
    run(ms) {
      const end = clock.monoNs() + ms * MS;
      while (nextStepNs <= end) {
        sched.runUntil(nextStepNs);
        ex.step();
        nextStepNs += ex.stepPeriodMs * MS;
      }
      sched.runUntil(end);
    },
    wsHeaders: () => ({ ...signer.headers(clock.wallMs(), 'GET', '/trade-api/ws/v2') }),
  };
}

interface Client {
  conn: MemoryWsConn;
  frames: string[];
  events: string[];
  closed: { code: number; reason: string } | null;
  json(): any[];
}

function wsClient(r: Rig, headers = r.wsHeaders()): Client {
  const c: Client = {
    conn: null as unknown as MemoryWsConn,
    frames: [],
    events: [],
    closed: null,
    json: () =>
      c.frames.map((f) => {
        try {
          return JSON.parse(f);
        } catch {
          return { malformed: f };
        }
      }),
  };
  c.conn = r.ex.connect(headers, {
    onOpen: () => c.events.push('open'),
    onFrame: (t) => {
      c.frames.push(t);
      c.events.push('frame');
    },
    onPing: () => c.events.push('ping'),
    onPong: () => c.events.push('pong'),
    onError: (m) => c.events.push('error:' + m),
    onClose: (code, reason) => {
      c.closed = { code, reason };
      c.events.push(`close:${code}`);
    },
  });
  return c;
}

const order = (ticker: string, o: Record<string, unknown> = {}) => ({
  ticker,
  side: 'bid',
  count: '1.00',
  price: '0.0200',
  time_in_force: 'good_till_canceled',
  self_trade_prevention_type: 'taker_at_cross',
  ...o,
});

describe('MemoryExchange REST', () => {
  it('goes through auth, handlers, rate limits and faults like HTTP', () => {
    const r = rig({ flow: false, tier: 'basic' });
    const T = r.ex.markets()[0].spec.ticker;
    const created = r.req('POST', '/portfolio/events/orders', order(T, { client_order_id: 'c-1' }));
    expect(created).toMatchObject({ kind: 'reply', status: 201, delayMs: 0 });
    const id = JSON.parse((created as { bodyText: string }).bodyText).order_id;
    const got = r.req('GET', `/portfolio/orders/${id}`);
    expect(got.kind === 'reply' && JSON.parse(got.bodyText).order.client_order_id).toBe('c-1');
    // unsigned private route: 401 with the venue's envelope; bad signature too
    const unsigned = r.ex.request('GET', '/trade-api/v2/portfolio/orders', {}, '');
    expect(unsigned.kind === 'reply' && [unsigned.status, JSON.parse(unsigned.bodyText).error.code]).toEqual([401, 'signature_is_missing_from_headers']);
    const badSig = r.req('GET', '/portfolio/orders', undefined, { 'KALSHI-ACCESS-SIGNATURE': 'AAAA' });
    expect(badSig.kind === 'reply' && badSig.status).toBe(401);
    // a signature made 30 s ago is refused (the window follows the virtual clock)
    const old = r.signer.headers(r.clock.wallMs(), 'GET', '/trade-api/v2/portfolio/orders');
    r.run(30_000);
    expect(r.ex.request('GET', '/trade-api/v2/portfolio/orders', old, '')).toMatchObject({ status: 401 });
    // basic write bucket: 100 tokens, creates cost 10
    const statuses = Array.from({ length: 11 }, (_, i) => r.req('POST', '/portfolio/events/orders', order(T, { client_order_id: `rl-${i}` })));
    expect(statuses.map((s) => (s.kind === 'reply' ? s.status : 0))).toEqual([...Array(10).fill(201), 429]);
    expect(statuses[10].kind === 'reply' && statuses[10].bodyText).toBe('{"error":"too many requests"}');
    // faults
    r.ex.faults.set({ rate429Storm: true });
    expect(r.req('GET', '/exchange/status')).toMatchObject({ status: 429 });
    r.ex.faults.set({ rate429Storm: false, rest5xxProb: 1 });
    const s5 = r.req('GET', '/exchange/status');
    expect(s5.kind === 'reply' && s5.status >= 500).toBe(true);
    // accountReadsFail: the account's reads answer 503, everything else is served
    r.ex.faults.set({ rest5xxProb: 0, accountReadsFail: true });
    for (const path of ['/portfolio/positions', '/portfolio/orders?status=resting', '/portfolio/fills']) expect(r.req('GET', path), path).toMatchObject({ status: 503 });
    expect(r.req('GET', '/exchange/status')).toMatchObject({ status: 200 });
    expect(r.req('GET', '/portfolio/balance')).toMatchObject({ status: 200 });
    r.ex.faults.set({ accountReadsFail: false, restTimeoutProb: 1, restTimeoutMs: 1234 });
    expect(r.req('GET', '/exchange/status')).toEqual({ kind: 'no_reply', resetAfterMs: 1234 });
    r.ex.faults.set({ restTimeoutProb: 0, restLatencyMs: 40 });
    expect(r.req('GET', '/exchange/status')).toMatchObject({ kind: 'reply', status: 200, delayMs: 40 });
    r.ex.faults.clear();
    r.ex.pauseExchange();
    const paused = r.req('GET', '/exchange/status');
    expect(paused.kind === 'reply' && JSON.parse(paused.bodyText).exchange_active).toBe(false);
    r.ex.resumeExchange();
    // admin routes work through the same entry point
    const adm = r.ex.request('POST', '/sim/admin/faults', {}, JSON.stringify({ wsLatencyMs: 5 }));
    expect(adm.kind === 'reply' && JSON.parse(adm.bodyText).wsLatencyMs).toBe(5);
    expect(r.ex.faults.get().wsLatencyMs).toBe(5);
    expect(r.ex.records().clientOrderIdsSeen).toContain('c-1');
  });

  it('restTransport: replies after latency + fault delay in virtual time; a timed-out call resets after restTimeoutMs', async () => {
    const r = rig({ flow: false, netLatencyMs: { minMs: 2, maxMs: 2 } });
    const send = r.ex.restTransport();
    const t0 = r.clock.monoNs();
    let at = -1;
    const p = send({ method: 'GET', url: r.ex.restBaseUrl + '/exchange/status', headers: {} }).then((x) => {
      at = r.clock.monoNs();
      return x;
    });
    await r.sched.runUntilAsync(t0 + 10 * MS, settle);
    expect((await p).status).toBe(200);
    expect(at - t0).toBe(4 * MS);
    r.ex.faults.set({ restLatencyMs: 30 });
    const t1 = r.clock.monoNs();
    const p2 = send({ method: 'GET', url: r.ex.restBaseUrl + '/exchange/status', headers: {} }).then(() => r.clock.monoNs());
    await r.sched.runUntilAsync(t1 + 100 * MS, settle);
    expect((await p2) - t1).toBe(34 * MS);
    r.ex.faults.set({ restLatencyMs: 0, restTimeoutProb: 1, restTimeoutMs: 500 });
    const t2 = r.clock.monoNs();
    let err: { code?: string; at: number } | null = null;
    send({ method: 'GET', url: r.ex.restBaseUrl + '/exchange/status', headers: {} }).catch((e) => (err = { code: e.code, at: r.clock.monoNs() }));
    await r.sched.runUntilAsync(t2 + 400 * MS, settle);
    expect(err).toBeNull();
    await r.sched.runUntilAsync(t2 + 1000 * MS, settle);
    expect(err).toEqual({ code: 'ECONNRESET', at: t2 + 504 * MS });
  });
});

const settle = () => new Promise<void>((res) => setImmediate(res));

describe('MemoryExchange websocket', () => {
  it('opens after the latency, answers commands, sends snapshot then deltas, pings, pongs, and closes with the right codes', () => {
    const r = rig({ flow: false, wsPingMs: 1000 });
    const T = r.ex.markets()[0].spec.ticker;
    const c = wsClient(r);
    expect(c.conn.state).toBe('connecting');
    c.conn.send('{"id":1}'); // not open yet: dropped
    r.run(10);
    expect(c.events).toEqual(['open']);
    c.conn.send(JSON.stringify({ id: 1, cmd: 'subscribe', params: { channels: ['orderbook_delta'], market_tickers: [T] } }));
    c.conn.send(JSON.stringify({ id: 2, cmd: 'subscribe', params: { channels: ['user_orders', 'fill'] } }));
    r.run(10);
    r.req('POST', '/portfolio/events/orders', order(T, { client_order_id: 'own-1', price: '0.0100' }));
    r.run(10);
    const msgs = c.json();
    expect(msgs.map((m) => m.type)).toEqual(['subscribed', 'orderbook_snapshot', 'subscribed', 'subscribed', 'orderbook_delta', 'user_order']);
    expect(msgs[4]).toMatchObject({ sid: 1, seq: 2, msg: { client_order_id: 'own-1', market_ticker: T } });
    r.run(1000);
    expect(c.events.filter((e) => e === 'ping').length).toBe(1);
    c.conn.ping();
    r.run(10);
    expect(c.events.at(-1)).toBe('pong');
    r.ex.dropWebSockets();
    expect(r.ex.stats().wsConnections).toBe(0);
    r.run(10);
    expect(c.closed).toEqual({ code: 1006, reason: '' });
    // after close nothing more is delivered
    const n = c.events.length;
    r.req('POST', '/portfolio/events/orders', order(T, { client_order_id: 'own-2', price: '0.0100' }));
    r.run(2000);
    expect(c.events.length).toBe(n);

    const d = wsClient(r);
    r.run(10);
    d.conn.close(1000, 'shutdown');
    r.run(10);
    expect(d.closed).toEqual({ code: 1000, reason: 'shutdown' });
    const e = wsClient(r);
    r.run(10);
    e.conn.terminate();
    r.run(10);
    expect(e.closed).toEqual({ code: 1006, reason: '' });
    expect(r.ex.stats().wsConnections).toBe(0);
    // refused upgrade: error then 1006, never open
    const bad = wsClient(r, { 'KALSHI-ACCESS-KEY': KEY_ID, 'KALSHI-ACCESS-TIMESTAMP': String(r.clock.wallMs()), 'KALSHI-ACCESS-SIGNATURE': 'AAAA' });
    r.run(10);
    expect(bad.events).toEqual(['error:Unexpected server response: 401', 'close:1006']);
  });

  it('applies the websocket faults: seq skip, duplicate, malformed, silence, latency (order kept), drop', () => {
    const r = rig({ flow: false, netLatencyMs: { minMs: 0, maxMs: 5 } });
    const T = r.ex.markets()[0].spec.ticker;
    const c = wsClient(r);
    r.run(10);
    c.conn.send(JSON.stringify({ id: 1, cmd: 'subscribe', params: { channels: ['orderbook_delta'], market_tickers: [T] } }));
    r.run(10);
    const place = (coid: string, faults: Partial<FaultConfig>) => {
      r.ex.faults.set(faults);
      r.req('POST', '/portfolio/events/orders', order(T, { client_order_id: coid, price: '0.0100' }));
      r.ex.faults.clear();
      r.run(10);
    };
    place('skip-1', { seqSkipProb: 1 });
    place('dup-1', { seqDupProb: 1 });
    place('mal-1', { malformedFrameProb: 1 });
    place('silent-1', { silenceMarkets: [T] });
    r.ex.faults.set({ wsLatencyMs: 200 });
    for (let i = 0; i < 5; i++) r.req('POST', '/portfolio/events/orders', order(T, { client_order_id: `lat-${i}`, price: '0.0100' }));
    r.run(150);
    expect(c.frames.some((f) => f.includes('lat-0'))).toBe(false);
    r.run(100);
    r.ex.faults.clear();
    const msgs = c.json();
    const skip = msgs.findIndex((m) => m.msg?.client_order_id === 'skip-1');
    expect(msgs[skip].seq).toBe(msgs[skip - 1].seq + 2);
    expect(msgs.filter((m) => m.msg?.client_order_id === 'dup-1').map((m) => m.seq)).toHaveLength(2);
    expect(msgs.some((m) => m.malformed !== undefined)).toBe(true);
    expect(c.frames.some((f) => f.includes('silent-1'))).toBe(false);
    const lat = msgs.filter((m) => String(m.msg?.client_order_id ?? '').startsWith('lat-')).map((m) => m.msg.client_order_id);
    expect(lat).toEqual(['lat-0', 'lat-1', 'lat-2', 'lat-3', 'lat-4']);
    const seqs = msgs.filter((m) => m.type === 'orderbook_delta' && !String(m.msg.client_order_id).startsWith('skip') && !String(m.msg.client_order_id).startsWith('dup')).map((m) => m.seq);
    for (let i = 1; i < seqs.length; i++) expect(seqs[i]).toBeGreaterThan(seqs[i - 1]);
    place('drop-1', { wsDropProb: 1 });
    expect(c.frames.some((f) => f.includes('drop-1'))).toBe(true);
    expect(c.closed?.code).toBe(1006);
  });

  it('reorders fills against position updates (userDataReorderMs), each channel in order, also after the fault ends', () => {
    const r = rig({ flow: false, netLatencyMs: { minMs: 0, maxMs: 2 } });
    const T = r.ex.markets()[0].spec.ticker;
    const c = wsClient(r);
    r.run(10);
    c.conn.send(JSON.stringify({ id: 1, cmd: 'subscribe', params: { channels: ['fill', 'market_positions'] } }));
    r.run(10);
    r.ex.engine.createAccount('mm', 1e12);
    expect(r.ex.engine.createOrder('mm', { ticker: T, side: 'ask', price: 6000, countCenti: 100_000, tif: 'good_till_canceled', stp: 'maker' })).toMatchObject({ ok: true });
    const buy = () => expect(r.ex.engine.createOrder(r.ex.userId, { ticker: T, side: 'bid', price: 6000, countCenti: 100, tif: 'immediate_or_cancel', stp: 'taker_at_cross' })).toMatchObject({ ok: true, fillCenti: 100 });
    r.ex.faults.set({ userDataReorderMs: 300 });
    for (let i = 0; i < 40; i++) {
      buy();
      r.run(20);
    }
    // the fault ends with frames still held: later frames queue behind them
    r.ex.faults.clear();
    buy();
    buy();
    r.run(1000);
    const msgs = c.json().filter((m) => m.type === 'fill' || m.type === 'market_position');
    const fills = msgs.filter((m) => m.type === 'fill');
    const positions = msgs.filter((m) => m.type === 'market_position');
    // every frame arrives, each channel in order: fill k leaves a position of k contracts, whose volume is k
    expect(fills.map((m) => m.msg.post_position_fp)).toEqual(Array.from({ length: 42 }, (_, k) => `${k + 1}.00`));
    expect(positions.map((m) => m.msg.volume_fp)).toEqual(Array.from({ length: 42 }, (_, k) => `${k + 1}.00`));
    // across the channels: a position before its fill, one right after it, one after a later fill
    const at = (type: string, k: number) => msgs.findIndex((m) => m.type === type && (type === 'fill' ? m.msg.post_position_fp : m.msg.volume_fp) === `${k}.00`);
    let before = 0;
    let after = 0;
    let between = 0;
    for (let k = 1; k < 42; k++) {
      if (at('market_position', k) < at('fill', k)) before++;
      else if (at('fill', k + 1) < at('market_position', k)) between++;
      else after++;
    }
    expect(before).toBeGreaterThan(0);
    expect(after).toBeGreaterThan(0);
    expect(between).toBeGreaterThan(0);
  });

  it('sends the same frame text as the socket sim for the same seed and calls', async () => {
    // socket sim on its own SimClock at the same time, no flow: only our calls move the books
    const sockClock = new SimClock(START_MS);
    const sim = await startSim({ seed: 7, markets: 4, flow: false, tier: 'unlimited', clock: sockClock, publicKeyPem: publicKey, keyId: KEY_ID, readLag: NO_READ_LAG });
    const r = rig({ flow: false });
    try {
      const T = r.ex.markets()[0].spec.ticker;
      expect(sim.markets()[0].spec.ticker).toBe(T);
      const signer = r.signer;
      const ws = new WebSocket(sim.wsUrl, { headers: { ...signer.headers(sockClock.wallMs(), 'GET', '/trade-api/ws/v2') } });
      const sockFrames: string[] = [];
      ws.on('message', (d) => sockFrames.push(d.toString()));
      await new Promise((res) => ws.once('open', res));
      const mem = wsClient(r);
      r.run(10);
      sockClock.advanceMs(10);
      const sub = JSON.stringify({ id: 1, cmd: 'subscribe', params: { channels: ['orderbook_delta', 'user_orders', 'fill', 'ticker'], market_tickers: [T] } });
      ws.send(sub);
      mem.conn.send(sub);
      r.run(10);
      sockClock.advanceMs(10);
      const bodies = [order(T, { client_order_id: 'p-1', price: '0.0300' }), order(T, { client_order_id: 'p-2', side: 'ask', price: '0.9700' }), order(T, { client_order_id: 'p-3', price: '0.9800', count: '2.00' })];
      for (const b of bodies) {
        const path = '/trade-api/v2/portfolio/events/orders';
        const h = signer.headers(sockClock.wallMs(), 'POST', path);
        const res = await fetch(`http://127.0.0.1:${sim.port}${path}`, { method: 'POST', headers: { ...h, 'content-type': 'application/json' }, body: JSON.stringify(b) });
        const memRes = r.ex.request('POST', path, h, JSON.stringify(b));
        expect(memRes.kind === 'reply' && memRes.bodyText).toBe(await res.text());
        r.run(10);
        sockClock.advanceMs(10);
      }
      await new Promise<void>((res) => {
        const check = () => (sockFrames.length >= mem.frames.length ? res() : setTimeout(check, 5));
        check();
      });
      expect(mem.frames.length).toBeGreaterThan(6);
      expect(sockFrames).toEqual(mem.frames);
      ws.close();
    } finally {
      await sim.close();
    }
  });
});

/** A scripted session with flow and every fault kind; returns a hash of every frame and reply with its virtual time. */
function session(seed: number): { hash: string; frames: number; replies: number } {
  const r = rig({ seed, markets: 5, wsPingMs: 2000, netLatencyMs: { minMs: 0.5, maxMs: 4 } });
  const h = createHash('sha256');
  const note = (s: string) => h.update(`${r.clock.monoNs()} ${s}\n`);
  const T = r.ex.markets().map((m) => m.spec.ticker);
  let frames = 0;
  let replies = 0;
  const open = () =>
    r.ex.connect(r.wsHeaders(), {
      onOpen: () => note('open'),
      onFrame: (t) => {
        frames++;
        note('F ' + t);
      },
      onPing: () => note('ping'),
      onPong: () => note('pong'),
      onClose: (code, reason) => note(`close ${code} ${reason}`),
    });
  const rest = (method: string, path: string, body?: unknown) => {
    const o = r.req(method, path, body);
    replies++;
    note('R ' + JSON.stringify(o));
    return o;
  };
  let conn = open();
  r.run(20);
  conn.send(JSON.stringify({ id: 1, cmd: 'subscribe', params: { channels: ['orderbook_delta', 'trade', 'ticker'], market_tickers: T } }));
  conn.send(JSON.stringify({ id: 2, cmd: 'subscribe', params: { channels: ['fill', 'user_orders', 'market_positions'] } }));
  const faultPlan: Array<Partial<FaultConfig>> = [
    {},
    { seqSkipProb: 0.05, seqDupProb: 0.05 },
    { malformedFrameProb: 0.02, wsLatencyMs: 30 },
    { silenceMarkets: [T[1]] },
    { rest5xxProb: 0.3, restTimeoutProb: 0.2, restLatencyMs: 15 },
    { rate429Storm: true },
    { exchangePaused: true },
    { wsDropProb: 0.01 },
  ];
  for (let round = 0; round < 40; round++) {
    r.ex.faults.clear();
    r.ex.faults.set(faultPlan[round % faultPlan.length]);
    const t = T[round % T.length];
    const created = rest('POST', '/portfolio/events/orders', order(t, { client_order_id: `s-${round}`, side: round % 2 ? 'ask' : 'bid', price: round % 2 ? '0.5500' : '0.4500', count: '3.00' }));
    if (created.kind === 'reply' && created.status === 201) {
      const id = JSON.parse(created.bodyText).order_id;
      if (round % 3 === 0) rest('POST', `/portfolio/events/orders/${id}/amend`, { ticker: t, side: round % 2 ? 'ask' : 'bid', price: round % 2 ? '0.5600' : '0.4400', count: '2.00' });
      if (round % 4 === 0) rest('DELETE', `/portfolio/events/orders/${id}`);
    }
    rest('GET', '/portfolio/positions');
    rest('GET', `/portfolio/orders/queue_positions?market_tickers=${t}`);
    if (round % 7 === 6) r.ex.dropWebSockets();
    r.run(500);
    if (conn.state === 'closed') {
      conn = open();
      r.run(20);
      conn.send(JSON.stringify({ id: 1, cmd: 'subscribe', params: { channels: ['orderbook_delta'], market_tickers: T } }));
    }
    if (round % 5 === 0) conn.ping();
  }
  r.ex.faults.clear();
  r.run(1000);
  note('records ' + JSON.stringify(r.ex.records()));
  return { hash: h.digest('hex'), frames, replies };
}

describe('MemoryExchange order expiry', () => {
  it('expires a resting order at its expiration_time (virtual), removes it and sends the user_order update', () => {
    const r = rig({ flow: false });
    const T = r.ex.markets()[0].spec.ticker;
    const c = wsClient(r);
    r.run(20);
    c.conn.send(JSON.stringify({ id: 1, cmd: 'subscribe', params: { channels: ['user_orders'] } }));
    r.run(20);
    const expS = Math.floor(r.clock.wallMs() / 1000) + 5;
    const exp = r.req('POST', '/portfolio/events/orders', order(T, { client_order_id: 'exp-1', expiration_time: expS }));
    const keep = r.req('POST', '/portfolio/events/orders', order(T, { client_order_id: 'keep-1' }));
    expect(exp).toMatchObject({ status: 201 });
    expect(keep).toMatchObject({ status: 201 });
    const id = JSON.parse((exp as { bodyText: string }).bodyText).order_id;
    // Kalshi's rules: an expiration in the past, or on an order that cannot rest, is refused
    expect(r.req('POST', '/portfolio/events/orders', order(T, { client_order_id: 'exp-past', expiration_time: expS - 60 }))).toMatchObject({ status: 400 });
    expect(r.req('POST', '/portfolio/events/orders', order(T, { client_order_id: 'exp-ioc', expiration_time: expS, time_in_force: 'immediate_or_cancel' }))).toMatchObject({ status: 400 });
    const status = (): string => JSON.parse((r.req('GET', `/portfolio/orders/${id}`) as { bodyText: string }).bodyText).order.status;
    const updates = (): any[] => c.json().filter((m) => m.type === 'user_order' && m.msg.order_id === id);
    r.run(expS * 1000 - r.clock.wallMs() - 60);
    expect(status()).toBe('resting');
    expect(updates().map((m) => m.msg.status)).toEqual(['resting']);
    r.run(120);
    expect(status()).toBe('canceled');
    expect(updates().map((m) => m.msg.status)).toEqual(['resting', 'canceled']);
    expect(updates()[1].msg).toMatchObject({ remaining_count_fp: '0.00', last_update_reason: 'Expired' });
    const resting = JSON.parse((r.req('GET', '/portfolio/orders?status=resting') as { bodyText: string }).bodyText).orders.map((o: any) => o.client_order_id);
    expect(resting).toEqual(['keep-1']);
  });
});

describe('MemoryExchange determinism', () => {
  it('the same seed and script give the same frames and replies; another seed differs', () => {
    const a = session(11);
    const b = session(11);
    const c = session(12);
    expect(a.frames).toBeGreaterThan(300);
    expect(a.replies).toBeGreaterThan(100);
    expect(b.hash).toBe(a.hash);
    expect(c.hash).not.toBe(a.hash);
  });
});
