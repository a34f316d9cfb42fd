/**
 * REST and websocket behaviour over 127.0.0.1 with a simulated clock: auth rejections, error
 * envelopes, rate limits, websocket channels and seq, every fault, and wire shapes against the
 * recorded real responses in ../shared/data.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateKeyPairSync } from 'node:crypto';
import { Signer, SimClock } from '@kmm/shared';
import { NO_READ_LAG, startSim, type SimHandle } from '../src/index.js';
import { call, WsClient } from './helpers.js';

const DATA = resolve(__dirname, '../../../../shared/data');

let sim: SimHandle;
let clock: SimClock;
let T: string;

beforeAll(async () => {
  clock = new SimClock(Date.UTC(2026, 6, 1));
  sim = await startSim({ seed: 5, markets: 6, flow: true, clock, tier: 'unlimited', keyDir: '/tmp/kmm-sim-test', readLag: NO_READ_LAG });
  T = sim.markets()[0].spec.ticker;
});
afterAll(async () => {
  await sim.close();
});

const order = (o: Record<string, unknown> = {}) => ({
  ticker: T,
  side: 'bid',
  count: '1.00',
  price: '0.0200',
  time_in_force: 'good_till_canceled',
  self_trade_prevention_type: 'taker_at_cross',
  ...o,
});

describe('auth', () => {
  it('rejects wrong signature, unknown key, missing signature and stale timestamps with the observed 401 envelopes', async () => {
    const other = generateKeyPairSync('rsa', { modulusLength: 2048, privateKeyEncoding: { type: 'pkcs8', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } });
    const bad = await call(sim, 'GET', '/portfolio/balance', undefined, { signer: new Signer(sim.keyId, other.privateKey) });
    expect(bad.status).toBe(401);
    expect(bad.json).toEqual({ error: { code: 'authentication_error', message: 'authentication error', details: 'INCORRECT_API_KEY_SIGNATURE' } });
    const unknown = await call(sim, 'GET', '/portfolio/balance', undefined, { signer: new Signer('00000000-0000-4000-8000-000000000000', other.privateKey) });
    expect(unknown.json.error.details).toBe('NOT_FOUND');
    const missing = await call(sim, 'GET', '/portfolio/balance', undefined, { signer: null });
    expect(missing.status).toBe(401);
    expect(missing.json.error.code).toBe('signature_is_missing_from_headers');
    const stale = await call(sim, 'GET', '/portfolio/balance', undefined, { tsMs: clock.wallMs() - 30_000 });
    expect(stale.json.error.code).toBe('header_timestamp_expired');
    const ok = await call(sim, 'GET', '/portfolio/balance?subaccount=0');
    expect(ok.status).toBe(200);
    expect(ok.json.balance_dollars).toBe('10000.0000');
  });

  it('refuses an unsigned websocket upgrade and accepts a signed one', async () => {
    const stale = new WsClient(sim, clock.wallMs() - 60_000);
    await expect(stale.open()).rejects.toThrow(/401/);
    const good = new WsClient(sim);
    await good.open();
    good.close();
  });
});

describe('REST orders and errors', () => {
  it('creates, reads, amends, decreases and cancels a V2 order', async () => {
    const c = await call(sim, 'POST', '/portfolio/events/orders', order({ client_order_id: 'rest-1' }));
    expect(c.status).toBe(201);
    expect(Object.keys(c.json)).toEqual(['client_order_id', 'fill_count', 'order_id', 'remaining_count', 'ts_ms']);
    expect(c.json.remaining_count).toBe('1.00');
    const id = c.json.order_id;
    const g = await call(sim, 'GET', `/portfolio/orders/${id}`);
    expect(g.json.order.status).toBe('resting');
    expect(g.json.order.yes_price_dollars).toBe('0.0200');
    const am = await call(sim, 'POST', `/portfolio/events/orders/${id}/amend`, { ticker: T, side: 'bid', price: '0.0300', count: '5.00' });
    expect(am.status).toBe(200);
    expect(am.json.remaining_count).toBe('5.00');
    const de = await call(sim, 'POST', `/portfolio/events/orders/${id}/decrease`, { reduce_by: '2.00' });
    expect(de.json.remaining_count).toBe('3.00');
    const qp = await call(sim, 'GET', `/portfolio/orders/${id}/queue_position`);
    expect(qp.json).toHaveProperty('queue_position_fp');
    const ca = await call(sim, 'DELETE', `/portfolio/events/orders/${id}`);
    expect(ca.json.reduced_by).toBe('3.00');
    const again = await call(sim, 'DELETE', `/portfolio/events/orders/${id}`);
    expect(again.status).toBe(404);
    expect(again.json.error.code).toBe('not_found');
  });

  it('returns the documented error envelopes', async () => {
    const num = await call(sim, 'POST', '/portfolio/events/orders', order({ count: 1 }));
    expect(num.status).toBe(400);
    expect(num.json.code).toBe('bad_request'); // flat envelope for JSON type errors
    const price = await call(sim, 'POST', '/portfolio/events/orders', order({ price: '0.0250' }));
    expect(price.json.error.code).toBe('invalid_price');
    await call(sim, 'POST', '/portfolio/events/orders', order({ client_order_id: 'dup-1' }));
    const dup = await call(sim, 'POST', '/portfolio/events/orders', order({ client_order_id: 'dup-1' }));
    expect([dup.status, dup.json.error.code]).toEqual([409, 'order_already_exists']);
    const rich = await call(sim, 'POST', '/portfolio/events/orders', order({ count: '90000000.00', price: '0.9000' }));
    expect(rich.json.error.code).toBe('insufficient_balance');
    const ask = sim.markets()[0].book.bestAsk();
    const cross = await call(sim, 'POST', '/portfolio/events/orders', order({ price: (ask / 10000).toFixed(4), post_only: true }));
    expect(cross.json).toEqual({ error: { code: 'invalid_order', message: 'invalid order', details: 'post only cross' } });
    const lim = await call(sim, 'GET', '/markets?limit=1001');
    expect(lim.status).toBe(400);
    const nf = await call(sim, 'GET', '/markets/NOPE');
    expect(nf.status).toBe(404);
  });
});

describe('rate limits', () => {
  it('basic write bucket (100 tokens) allows 10 creates at cost 10, then 429 with the documented body; cancels cost 2', async () => {
    // fresh simulator so the bucket is full
    const c2 = new SimClock(Date.UTC(2026, 6, 1));
    const s = await startSim({ seed: 9, markets: 2, flow: true, clock: c2, keyDir: '/tmp/kmm-sim-test', readLag: NO_READ_LAG });
    try {
      const t = s.markets()[0].spec.ticker;
      const ids: string[] = [];
      for (let i = 0; i < 10; i++) {
        const r = await call(s, 'POST', '/portfolio/events/orders', { ...order({ ticker: t }) });
        expect(r.status).toBe(201);
        ids.push(r.json.order_id);
      }
      const over = await call(s, 'POST', '/portfolio/events/orders', order({ ticker: t }));
      expect(over.status).toBe(429);
      expect(over.json).toEqual({ error: 'too many requests' });
      c2.advanceMs(100); // refill 10 tokens = five cancels at cost 2
      for (let i = 0; i < 5; i++) expect((await call(s, 'DELETE', `/portfolio/events/orders/${ids[i]}`)).status).toBe(200);
      expect((await call(s, 'DELETE', `/portfolio/events/orders/${ids[5]}`)).status).toBe(429);
      c2.advanceMs(1000);
      // a batch costs 10 per order: 11 orders (110) never fits the 100-token bucket
      const big = await call(s, 'POST', '/portfolio/events/orders/batched', { orders: Array.from({ length: 11 }, () => order({ ticker: t })) });
      expect(big.status).toBe(429);
      const lim = await call(s, 'GET', '/account/limits');
      expect(lim.json.write).toEqual({ bucket_capacity: 100, refill_rate: 100 });
    } finally {
      await s.close();
    }
  });

  it('a time-compressed market (speed 30) refills 30x per second of the run, the same burst; /account/limits says so', async () => {
    const c3 = new SimClock(Date.UTC(2026, 6, 1));
    const s = await startSim({ seed: 9, markets: 2, flow: false, speed: 30, clock: c3, keyDir: '/tmp/kmm-sim-test', readLag: NO_READ_LAG });
    try {
      const t = s.markets()[0].spec.ticker;
      // the burst is the tier's: 10 creates, then 429
      for (let i = 0; i < 10; i++) expect((await call(s, 'POST', '/portfolio/events/orders', order({ ticker: t }))).status).toBe(201);
      expect((await call(s, 'POST', '/portfolio/events/orders', order({ ticker: t }))).status).toBe(429);
      // one second of market (1/30 s of the run) refills the basic tier's 100 tokens: 10 more creates
      c3.advanceMs(34);
      for (let i = 0; i < 10; i++) expect((await call(s, 'POST', '/portfolio/events/orders', order({ ticker: t }))).status).toBe(201);
      expect((await call(s, 'POST', '/portfolio/events/orders', order({ ticker: t }))).status).toBe(429);
      const lim = await call(s, 'GET', '/account/limits');
      expect(lim.json.write).toEqual({ bucket_capacity: 100, refill_rate: 3000 });
      expect(lim.json.read).toEqual({ bucket_capacity: 200, refill_rate: 6000 });
    } finally {
      await s.close();
    }
  });
});

describe('websocket', () => {
  it('subscribes, sends a snapshot then deltas with contiguous seq, and tags our own deltas with client_order_id', async () => {
    const ws = new WsClient(sim);
    await ws.open();
    ws.send({ id: 1, cmd: 'subscribe', params: { channels: ['orderbook_delta'], market_tickers: [T] } });
    ws.send({ id: 2, cmd: 'subscribe', params: { channels: ['fill', 'user_orders', 'ticker', 'trade', 'market_positions', 'market_lifecycle_v2', 'order_group_updates'] } });
    await ws.until((f) => f.some((x) => x.includes('orderbook_snapshot')) && f.filter((x) => x.includes('"subscribed"')).length === 8);
    const r = await call(sim, 'POST', '/portfolio/events/orders', order({ client_order_id: 'ws-own-1', price: '0.0100' }));
    expect(r.status).toBe(201);
    await ws.until((f) => f.some((x) => x.includes('ws-own-1') && x.includes('orderbook_delta')) && f.some((x) => x.includes('user_order')));
    ws.send({ id: 3, cmd: 'list_subscriptions' });
    ws.send({ id: 4, cmd: 'subscribe', params: { channels: ['nope'] } });
    ws.send({ id: 5, cmd: 'frobnicate' });
    ws.send({ id: 6, cmd: 'update_subscription', params: { sid: 1, action: 'get_snapshot', market_tickers: [T] } });
    ws.send({ id: 7, cmd: 'unsubscribe', params: { sids: [99] } });
    await ws.until((f) => f.filter((x) => x.includes('"error"')).length >= 3 && f.filter((x) => x.includes('orderbook_snapshot')).length >= 2);
    const msgs = ws.json();
    const ob = msgs.filter((m) => m.sid === 1 && m.seq !== undefined);
    expect(ob[0].type).toBe('orderbook_snapshot');
    for (let i = 1; i < ob.length; i++) expect(ob[i].seq).toBe(ob[i - 1].seq + 1);
    const own = msgs.find((m) => m.type === 'orderbook_delta' && m.msg.client_order_id === 'ws-own-1');
    expect(Object.keys(own.msg)).toEqual(['market_ticker', 'market_id', 'price_dollars', 'delta_fp', 'side', 'ts', 'ts_ms', 'client_order_id', 'subaccount']);
    expect(msgs.find((m) => m.id === 4).msg.code).toBe(8);
    expect(msgs.find((m) => m.id === 5).msg.code).toBe(5);
    expect(msgs.find((m) => m.id === 7).msg.code).toBe(7);
    expect(msgs.find((m) => m.id === 3).msg.length).toBe(8);
    ws.close();
  });
});

describe('faults', () => {
  it('429 storm, 5xx, REST timeout, exchange pause', async () => {
    sim.faults.set({ rate429Storm: true });
    expect((await call(sim, 'GET', '/exchange/status')).status).toBe(429);
    sim.faults.set({ rate429Storm: false, rest5xxProb: 1 });
    expect((await call(sim, 'GET', '/exchange/status')).status).toBeGreaterThanOrEqual(500);
    sim.faults.set({ rest5xxProb: 0, restTimeoutProb: 1, restTimeoutMs: 1 });
    await expect(call(sim, 'GET', '/exchange/status')).rejects.toThrow();
    sim.faults.clear();
    sim.pauseExchange();
    const st = await call(sim, 'GET', '/exchange/status');
    expect(st.json.exchange_active).toBe(false);
    const rej = await call(sim, 'POST', '/portfolio/events/orders', order());
    expect(rej.status).toBe(400);
    sim.resumeExchange();
    expect((await call(sim, 'POST', '/portfolio/events/orders', order())).status).toBe(201);
  });

  it('admin endpoint validates and applies fault settings', async () => {
    const base = `http://127.0.0.1:${sim.port}/sim/admin/faults`;
    const bad = await fetch(base, { method: 'POST', body: JSON.stringify({ wsDropProb: 3 }) });
    expect(bad.status).toBe(400);
    const ok = await fetch(base, { method: 'POST', body: JSON.stringify({ restLatencyMs: 1 }) });
    expect((await ok.json()).restLatencyMs).toBe(1);
    await fetch(base, { method: 'DELETE' });
    expect(sim.faults.get().restLatencyMs).toBe(0);
  });

  it('websocket: seq skip and duplicate, silence, malformed frames, drop', async () => {
    const ws = new WsClient(sim);
    await ws.open();
    ws.send({ id: 1, cmd: 'subscribe', params: { channels: ['orderbook_delta'], market_tickers: [T] } });
    await ws.until((f) => f.some((x) => x.includes('orderbook_snapshot')));
    sim.faults.set({ seqSkipProb: 1 });
    await call(sim, 'POST', '/portfolio/events/orders', order({ price: '0.0100', client_order_id: 'skip-1' }));
    await ws.until((f) => f.some((x) => x.includes('skip-1')));
    sim.faults.set({ seqSkipProb: 0, seqDupProb: 1 });
    await call(sim, 'POST', '/portfolio/events/orders', order({ price: '0.0100', client_order_id: 'dup-ws-1' }));
    await ws.until((f) => f.filter((x) => x.includes('dup-ws-1')).length >= 2);
    sim.faults.set({ seqDupProb: 0, malformedFrameProb: 1 });
    await call(sim, 'POST', '/portfolio/events/orders', order({ price: '0.0100', client_order_id: 'mal-1' }));
    await ws.until((f) => f.some((x) => x.includes('mal-1')));
    sim.faults.set({ malformedFrameProb: 0, silenceMarkets: [T] });
    await call(sim, 'POST', '/portfolio/events/orders', order({ price: '0.0100', client_order_id: 'silent-1' }));
    sim.faults.set({ silenceMarkets: [] });
    await call(sim, 'POST', '/portfolio/events/orders', order({ price: '0.0100', client_order_id: 'loud-1' }));
    await ws.until((f) => f.some((x) => x.includes('loud-1')));
    const msgs = ws.json();
    const skip = msgs.findIndex((m) => m.msg?.client_order_id === 'skip-1');
    expect(msgs[skip].seq).toBe(msgs[skip - 1].seq + 2);
    const dups = msgs.filter((m) => m.msg?.client_order_id === 'dup-ws-1');
    expect(dups[0].seq).toBe(dups[1].seq);
    expect(msgs.some((m) => m.malformed !== undefined)).toBe(true);
    expect(ws.frames.some((x) => x.includes('silent-1'))).toBe(false);
    sim.faults.set({ wsDropProb: 1 });
    await call(sim, 'POST', '/portfolio/events/orders', order({ price: '0.0100', client_order_id: 'drop-1' }));
    await ws.until(() => false);
    expect(ws.closed).toBe(true);
    sim.faults.clear();
  });
});

describe('wire shapes match the recorded real ones', () => {
  it('REST orderbook: orderbook_fp with no_dollars/yes_dollars pairs of strings, ascending, 4dp / 2dp', async () => {
    const rec = readFileSync(resolve(DATA, 'kalshi-ws-capture-2026-07-01/rest.jsonl'), 'utf8').split('\n').filter((l) => l.includes('orderbook'));
    const real = JSON.parse(JSON.parse(rec[0]).response_body);
    const ours = await call(sim, 'GET', `/markets/${T}/orderbook`);
    expect(Object.keys(ours.json)).toEqual(Object.keys(real));
    expect(Object.keys(ours.json.orderbook_fp)).toEqual(Object.keys(real.orderbook_fp));
    const re = /^\d\.\d{4}$/;
    for (const side of ['yes_dollars', 'no_dollars']) {
      const lv = ours.json.orderbook_fp[side] as string[][];
      expect(lv.length).toBeGreaterThan(0);
      for (const [p, q] of lv) {
        expect(p).toMatch(re);
        expect(q).toMatch(/^\d+\.\d{2}$/);
      }
      for (let i = 1; i < lv.length; i++) expect(lv[i][0] > lv[i - 1][0]).toBe(true);
    }
    expect(ours.text.indexOf('"no_dollars"')).toBeLessThan(ours.text.indexOf('"yes_dollars"'));
  });

  it('WS snapshot/delta/fill field names and order match the capture', async () => {
    const lines = readFileSync(resolve(DATA, 'kalshi-ws-capture-2026-07-01/session.jsonl'), 'utf8').split('\n').filter((l) => l.trim());
    const real = lines.map((l) => JSON.parse(l));
    const realDelta = real.find((m) => m.type === 'orderbook_delta');
    const realSnap = real.find((m) => m.type === 'orderbook_snapshot');
    const realFill = real.find((m) => m.type === 'fill');
    const ws = new WsClient(sim);
    await ws.open();
    ws.send({ id: 1, cmd: 'subscribe', params: { channels: ['orderbook_delta'], market_tickers: [T] } });
    ws.send({ id: 2, cmd: 'subscribe', params: { channels: ['fill'] } });
    await ws.until((f) => f.some((x) => x.includes('orderbook_snapshot')) && f.filter((x) => x.includes('subscribed')).length === 2);
    const ask = sim.markets()[0].book.bestAsk();
    await call(sim, 'POST', '/portfolio/events/orders', order({ price: (ask / 10000).toFixed(4), time_in_force: 'immediate_or_cancel' }));
    await ws.until((f) => f.some((x) => x.includes('"type":"fill"')) && f.some((x) => x.includes('orderbook_delta')));
    const msgs = ws.json();
    const snap = msgs.find((m) => m.type === 'orderbook_snapshot');
    const delta = msgs.find((m) => m.type === 'orderbook_delta');
    const fill = msgs.find((m) => m.type === 'fill');
    expect(Object.keys(snap)).toEqual(Object.keys(realSnap));
    expect(Object.keys(snap.msg)).toEqual(Object.keys(realSnap.msg));
    expect(Object.keys(delta)).toEqual(Object.keys(realDelta));
    expect(Object.keys(delta.msg).slice(0, 7)).toEqual(Object.keys(realDelta.msg));
    expect(Object.keys(fill.msg).slice(0, Object.keys(realFill.msg).length)).toEqual(Object.keys(realFill.msg));
    expect(fill.msg.fee_cost).toMatch(/^\d\.\d{6}$/);
    expect(delta.msg.ts).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z$/);
    ws.close();
  });

  it('REST positions, fills, balance and order groups carry the recorded field names', async () => {
    const recPos = readFileSync(resolve(DATA, 'kalshi-ws-capture-2026-07-01/rest.jsonl'), 'utf8').split('\n').find((l) => l.includes('positions'))!;
    const realPos = JSON.parse(JSON.parse(recPos).response_body);
    const pos = await call(sim, 'GET', '/portfolio/positions');
    expect(Object.keys(pos.json)).toEqual(Object.keys(realPos));
    const realKeys = Object.keys(realPos.market_positions[0]).filter((k) => k !== 'resting_orders_count'); // removed 2026-07-09
    for (const k of realKeys) expect(pos.json.market_positions[0]).toHaveProperty(k);
    expect(Object.keys(pos.json.event_positions[0])).toEqual(Object.keys(realPos.event_positions[0]));
    const bal = await call(sim, 'GET', '/portfolio/balance');
    const realBal = JSON.parse(readFileSync(resolve(DATA, 'kalshi-rest-golden-2026-01/portfolio_balance_response.json'), 'utf8')).response;
    for (const k of Object.keys(realBal)) expect(bal.json).toHaveProperty(k);
    expect(Number.isInteger(bal.json.balance)).toBe(true);
    const st = await call(sim, 'GET', '/exchange/status');
    const realSt = JSON.parse(readFileSync(resolve(DATA, 'kalshi-rest-golden-2026-01/exchange_status_response.json'), 'utf8')).response;
    expect(Object.keys(st.json)).toEqual(Object.keys(realSt));
    const sch = await call(sim, 'GET', '/exchange/schedule');
    const realSch = JSON.parse(readFileSync(resolve(DATA, 'kalshi-rest-golden-2026-01/exchange_schedule_response.json'), 'utf8')).response;
    expect(sch.json).toEqual(realSch);
  });
});
