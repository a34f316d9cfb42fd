/**
 * Venue realism (issue 16 item 5): each point where the simulator now behaves as Kalshi does
 * (kalshi-api.md section 0 and 9), checked against the simulator:
 * read-after-write lag of orders and positions, one 404 for canceled / executed / unknown
 * orders, 409 on a client order id forever (also across a restart), no client_order_id where
 * Kalshi sends none, missing-side sentinels and dollar_volume, Cancel All, shards (assignment by
 * series, exchange_index checks, per-shard write buckets, exchange_index and created_time on user
 * data), the trading pause's cancel rules and the weekly window, settlement through
 * closed -> determined -> finalized with a dispute.
 * The memory exchange runs in virtual time; the restart test uses the socket sim (it is the one
 * with a data folder).
 */
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Signer, SimClock } from '@kmm/shared';
import { CLIENT_ID_LOG, ManualScheduler, MemoryExchange, NO_READ_LAG, startSim, weeklyMaintenanceAt, type MemoryExchangeOptions } from '../src/index.js';
import { call } from './helpers.js';

const { publicKey, privateKey } = generateKeyPairSync('rsa', {
  modulusLength: 1024,
  publicKeyEncoding: { type: 'spki', format: 'pem' },
  privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
});
const KEY_ID = 'venue-key';
const START_MS = Date.UTC(2026, 6, 1, 12); // a Wednesday, noon UTC
const MS = 1_000_000;

function rig(over: Partial<MemoryExchangeOptions> = {}, startMs = START_MS) {
  const clock = new SimClock(startMs);
  const sched = new ManualScheduler(clock);
  const ex = new MemoryExchange({ clock, scheduler: sched, seed: 7, markets: 10, flow: false, tier: 'unlimited', publicKeyPem: publicKey, keyId: KEY_ID, readLag: NO_READ_LAG, ...over });
  const signer = new Signer(KEY_ID, privateKey);
  let nextStepNs = clock.monoNs() + ex.stepPeriodMs * MS;
  const frames: any[] = [];
  const r = {
    clock,
    ex,
    frames,
    req(method: string, path: string, body?: unknown): { status: number; json: any } {
      const full = '/trade-api/v2' + path;
      const h = { ...signer.headers(clock.wallMs(), method, full.split('?')[0]), 'content-type': 'application/json' };
      const o = ex.request(method, full, h, body === undefined ? '' : JSON.stringify(body));
      if (o.kind !== 'reply') throw new Error('no reply');
      return { status: o.status, json: JSON.parse(o.bodyText) };
    },
    run(ms: number) {
      const end = clock.monoNs() + ms * MS;
      while (nextStepNs <= end) {
        sched.runUntil(nextStepNs);
        ex.step();
        nextStepNs += ex.stepPeriodMs * MS;
      }
      sched.runUntil(end);
    },
    /** a websocket subscribed to `channels` (all markets, orderbook on `books`) collecting parsed frames */
    subscribe(channels: string[], books: string[] = []) {
      const conn = ex.connect({ ...signer.headers(clock.wallMs(), 'GET', '/trade-api/ws/v2') }, { onFrame: (t) => frames.push(JSON.parse(t)), onClose: () => {} });
      r.run(10);
      conn.send(JSON.stringify({ id: 1, cmd: 'subscribe', params: { channels: channels.filter((c) => c !== 'orderbook_delta') } }));
      if (books.length > 0) conn.send(JSON.stringify({ id: 2, cmd: 'subscribe', params: { channels: ['orderbook_delta'], market_tickers: books } }));
      r.run(10);
      return conn;
    },
    ofType: (type: string) => frames.filter((f) => f.type === type).map((f) => f.msg),
  };
  // a counterparty with history off (synthetic flow's kind of account)
  ex.engine.createAccount('other', 1_000_000 * 1_000_000);
  return r;
}

const bid = (ticker: string, price: string, count = '1.00', extra: Record<string, unknown> = {}) => ({
  ticker,
  side: 'bid',
  count,
  price,
  time_in_force: 'good_till_canceled',
  self_trade_prevention_type: 'taker_at_cross',
  ...extra,
});

/** The counterparty sells into our bid (a trade at the bid's price). */
function hitBid(r: ReturnType<typeof rig>, ticker: string, price: number, countCenti: number): void {
  const x = r.ex.engine.createOrder('other', { ticker, side: 'ask', price, countCenti, tif: 'immediate_or_cancel', stp: 'taker_at_cross' });
  if (!x.ok) throw new Error(x.message);
}

const shardOf = (r: ReturnType<typeof rig>, i: number) => r.ex.markets().find((m) => m.spec.exchangeIndex === i)!.spec.ticker;

describe('venue realism', () => {
  it('read-after-write lag: orders show their state 360 ms ago, positions 1 s ago; fills are current', () => {
    const r = rig({ readLag: { ordersMs: 360, positionsMs: 1000 } });
    const T = shardOf(r, 0);
    const id = r.req('POST', '/portfolio/events/orders', bid(T, '0.4000', '2.00', { client_order_id: 'lag-1' })).json.order_id;
    expect(r.req('GET', `/portfolio/orders/${id}`).status).toBe(404); // not visible yet
    r.run(361);
    expect(r.req('GET', `/portfolio/orders/${id}`).json.order.status).toBe('resting');
    hitBid(r, T, 4000, 100);
    // the fill is in the fills read at once; the position read does not have it for a second
    expect(r.req('GET', '/portfolio/fills').json.fills).toHaveLength(1);
    expect(r.req('GET', '/portfolio/positions').json.market_positions).toEqual([]);
    r.run(999);
    expect(r.req('GET', '/portfolio/positions').json.market_positions).toEqual([]);
    r.run(2);
    expect(r.req('GET', '/portfolio/positions').json.market_positions[0].position_fp).toBe('1.00');
    // a 200 cancel, and the order still reads resting for 360 ms, in the list too
    expect(r.req('DELETE', `/portfolio/events/orders/${id}`).status).toBe(200);
    expect(r.req('GET', `/portfolio/orders/${id}`).json.order.status).toBe('resting');
    expect(r.req('GET', '/portfolio/orders?status=resting').json.orders.map((o: any) => o.order_id)).toEqual([id]);
    r.run(359);
    expect(r.req('GET', `/portfolio/orders/${id}`).json.order.status).toBe('resting');
    r.run(2);
    expect(r.req('GET', `/portfolio/orders/${id}`).json.order.status).toBe('canceled');
    expect(r.req('GET', '/portfolio/orders?status=resting').json.orders).toEqual([]);
  });

  it("a repeat cancel's 404 is the same for canceled, executed and unknown orders", () => {
    const r = rig();
    const T = shardOf(r, 0);
    const canceled = r.req('POST', '/portfolio/events/orders', bid(T, '0.3000')).json.order_id;
    r.req('DELETE', `/portfolio/events/orders/${canceled}`);
    const executed = r.req('POST', '/portfolio/events/orders', bid(T, '0.3100')).json.order_id;
    hitBid(r, T, 3100, 100);
    const unknown = '00000000-0000-4000-8000-000000000000';
    const answers = [canceled, executed, unknown].map((id) => {
      const a = r.req('DELETE', `/portfolio/events/orders/${id}`);
      return { status: a.status, body: JSON.stringify(a.json).replace(id, 'ID') };
    });
    expect(answers[0].status).toBe(404);
    expect(answers[1]).toEqual(answers[0]);
    expect(answers[2]).toEqual(answers[0]);
  });

  it('409 on a used client order id forever: after a cancel, as an amend target, and after a restart of the sim', async () => {
    const r = rig();
    const T = shardOf(r, 0);
    const id = r.req('POST', '/portfolio/events/orders', bid(T, '0.2000', '1.00', { client_order_id: 'once' })).json.order_id;
    r.req('DELETE', `/portfolio/events/orders/${id}`);
    expect(r.req('POST', '/portfolio/events/orders', bid(T, '0.2000', '1.00', { client_order_id: 'once' })).json.error.code).toBe('order_already_exists');
    const id2 = r.req('POST', '/portfolio/events/orders', bid(T, '0.2000', '1.00', { client_order_id: 'twice' })).json.order_id;
    const amend = r.req('POST', `/portfolio/events/orders/${id2}/amend`, { ticker: T, side: 'bid', price: '0.2100', count: '1.00', updated_client_order_id: 'once' });
    expect(amend.status).toBe(409);

    const dataDir = mkdtempSync(join(tmpdir(), 'kmm-sim-state-'));
    const opts = { seed: 3, markets: 3, flow: false, tier: 'unlimited', keyDir: dataDir, dataDir, readLag: NO_READ_LAG } as const;
    const s1 = await startSim(opts);
    const T1 = s1.markets()[0].spec.ticker;
    try {
      expect((await call(s1, 'POST', '/portfolio/events/orders', bid(T1, '0.2000', '1.00', { client_order_id: 'kept' }))).status).toBe(201);
    } finally {
      await s1.close();
    }
    const s2 = await startSim(opts);
    try {
      const again = await call(s2, 'POST', '/portfolio/events/orders', bid(T1, '0.2000', '1.00', { client_order_id: 'kept' }));
      expect(again.status).toBe(409);
      expect(again.json.error.code).toBe('order_already_exists');
      expect((await call(s2, 'POST', '/portfolio/events/orders', bid(T1, '0.2000', '1.00', { client_order_id: 'fresh' }))).status).toBe(201);
    } finally {
      await s2.close();
    }
    writeFileSync(join(dataDir, CLIENT_ID_LOG), 'demo-user\tkept\nthis line is broken\n');
    await expect(startSim(opts)).rejects.toThrow(/corrupt client order id log .*line 2/);
  });

  it('no client_order_id where Kalshi sends none: fills, user orders, own book deltas and replies of an order sent without one', () => {
    const r = rig();
    const T = shardOf(r, 0);
    r.subscribe(['fill', 'user_orders'], [T]);
    const made = r.req('POST', '/portfolio/events/orders', bid(T, '0.4000', '2.00'));
    expect(made.json).not.toHaveProperty('client_order_id');
    hitBid(r, T, 4000, 100);
    const cancel = r.req('DELETE', `/portfolio/events/orders/${made.json.order_id}`);
    expect(cancel.json).not.toHaveProperty('client_order_id');
    expect(r.req('GET', `/portfolio/orders/${made.json.order_id}`).json.order).not.toHaveProperty('client_order_id');
    r.run(20);
    const fills = r.ofType('fill');
    const orders = r.ofType('user_order');
    const deltas = r.ofType('orderbook_delta');
    expect(fills).toHaveLength(1);
    expect(orders.length).toBeGreaterThanOrEqual(2);
    expect(deltas.length).toBeGreaterThanOrEqual(2);
    for (const m of [...fills, ...orders, ...deltas]) expect(m).not.toHaveProperty('client_order_id');
    // with one: carried on each
    r.frames.length = 0;
    r.req('POST', '/portfolio/events/orders', bid(T, '0.4100', '1.00', { client_order_id: 'mine' }));
    hitBid(r, T, 4100, 100);
    r.run(20);
    expect(r.ofType('fill')[0].client_order_id).toBe('mine');
    expect(r.ofType('user_order')[0].client_order_id).toBe('mine');
    expect(r.ofType('orderbook_delta')[0].client_order_id).toBe('mine');
  });

  it('missing-side sentinels (market object and ticker) and dollar_volume in dollars', () => {
    const r = rig();
    const T = shardOf(r, 0);
    r.subscribe(['ticker']);
    let m = r.req('GET', `/markets/${T}`).json.market;
    // an empty book, as recorded on an initialized market
    expect([m.yes_bid_dollars, m.yes_ask_dollars, m.no_bid_dollars, m.no_ask_dollars]).toEqual(['0.0000', '0.0000', '1.0000', '1.0000']);
    r.req('POST', '/portfolio/events/orders', bid(T, '0.4000', '10.00'));
    m = r.req('GET', `/markets/${T}`).json.market;
    // bids, no asks: yes ask 1.0000, no bid 0.0000
    expect([m.yes_bid_dollars, m.yes_ask_dollars, m.no_bid_dollars, m.no_ask_dollars]).toEqual(['0.4000', '1.0000', '0.0000', '0.6000']);
    r.run(20);
    const t1 = r.ofType('ticker').at(-1);
    expect([t1.yes_bid_dollars, t1.yes_ask_dollars]).toEqual(['0.4000', '1.0000']);
    // 10 contracts at $0.40: $4.00 traded, 10 contracts of volume
    hitBid(r, T, 4000, 1000);
    r.run(20);
    const t2 = r.ofType('ticker').at(-1);
    expect(t2.volume_fp).toBe('10.00');
    expect(t2.dollar_volume).toBe(4);
    // asks only: yes bid 0.0000 (no ask 1.0000)
    r.ex.engine.createOrder('other', { ticker: T, side: 'ask', price: 6000, countCenti: 100, tif: 'good_till_canceled', stp: 'taker_at_cross' });
    m = r.req('GET', `/markets/${T}`).json.market;
    expect([m.yes_bid_dollars, m.yes_ask_dollars, m.no_bid_dollars, m.no_ask_dollars]).toEqual(['0.0000', '0.6000', '0.4000', '1.0000']);
  });

  it('Cancel All (DELETE /portfolio/events/orders) cancels every resting order on every shard', () => {
    const r = rig();
    const a = shardOf(r, 0);
    const b = shardOf(r, 2);
    for (const [t, p] of [[a, '0.1000'], [a, '0.1100'], [b, '0.1000']] as const) expect(r.req('POST', '/portfolio/events/orders', bid(t, p)).status).toBe(201);
    const all = r.req('DELETE', '/portfolio/events/orders');
    expect(all.status).toBe(200);
    expect(all.json.orders).toHaveLength(3);
    expect(r.ex.records().orders.filter((o) => o.status === 'resting')).toEqual([]);
    expect(r.req('DELETE', '/portfolio/events/orders').json.orders).toEqual([]);
  });

  it("shards: markets by series, exchange_index checked, per-shard write buckets, exchange_index and created_time on user data", () => {
    const r = rig({ tier: 'basic' });
    const crypto = r.ex.markets().find((m) => m.spec.seriesTicker === 'KXBTCD')!.spec.ticker;
    const sports = r.ex.markets().find((m) => m.spec.seriesTicker === 'KXNBAGAME')!.spec.ticker;
    expect(r.req('GET', `/markets/${crypto}`).json.market.exchange_index).toBe(2);
    expect(r.req('GET', `/markets/${sports}`).json.market.exchange_index).toBe(0);
    // a wrong shard: the create is refused, the cancel does not find the order
    const wrong = r.req('POST', '/portfolio/events/orders', bid(crypto, '0.1000', '1.00', { exchange_index: 0 }));
    expect(wrong.status).toBe(400);
    r.subscribe(['fill', 'user_orders']);
    const id = r.req('POST', '/portfolio/events/orders', bid(crypto, '0.1000', '1.00', { exchange_index: 2 })).json.order_id;
    expect(r.req('DELETE', `/portfolio/events/orders/${id}?exchange_index=0`).status).toBe(404);
    hitBid(r, r.ex.engine.orders.get(id)!.ticker, 1000, 100);
    r.run(20);
    expect(r.ofType('fill')[0].exchange_index).toBe(2);
    const uo = r.ofType('user_order')[0];
    expect(uo.exchange_index).toBe(2);
    expect(uo.created_time).toBe(new Date(uo.created_ts_ms).toISOString());
    expect(r.req('GET', '/portfolio/fills').json.fills[0].exchange_index).toBe(2);
    // basic tier: 100 write tokens, a create costs 10. Drain the unscoped bucket on shard 0 ...
    r.run(2000);
    let n = 0;
    while (r.req('POST', '/portfolio/events/orders', bid(sports, '0.0500')).status === 201) n++;
    expect(n).toBe(10);
    // ... auto-routed writes to the crypto market share it; shard 2's own bucket is full
    expect(r.req('POST', '/portfolio/events/orders', bid(crypto, '0.0500')).status).toBe(429);
    expect(r.req('POST', '/portfolio/events/orders', bid(crypto, '0.0500', '1.00', { exchange_index: 2 })).status).toBe(201);
  });

  it('balances are per shard: an order reserves on its market\'s shard; a transfer between shards moves cash', () => {
    const r = rig({ startingBalanceMoney: 40 * 10_000 }); // $40: $10 on each of the 4 shards
    const crypto = r.ex.markets().find((m) => m.spec.exchangeIndex === 2)!.spec.ticker;
    const bal = r.req('GET', '/portfolio/balance').json;
    expect(bal.balance_breakdown).toEqual([0, 1, 2, 3].map((i) => ({ balance: '10.0000', exchange_index: i })));
    expect(bal.balance_dollars).toBe('40.0000');
    // $15 of collateral: more than shard 2 holds, less than the account
    const big = bid(crypto, '0.5000', '30.00');
    const refused = r.req('POST', '/portfolio/events/orders', big);
    expect(refused.json.error).toMatchObject({ code: 'insufficient_balance', details: 'on exchange 2' });
    expect(r.req('POST', '/portfolio/intra_exchange_instance_transfer', { from_exchange_index: 0, to_exchange_index: 2, amount_dollars: '8.0000' }).status).toBe(200);
    expect(r.req('POST', '/portfolio/events/orders', big).status).toBe(201);
    const after = r.req('GET', '/portfolio/balance').json.balance_breakdown;
    expect(after[0].balance).toBe('2.0000');
    expect(Number(after[2].balance)).toBeLessThan(3); // $18 less $15 and the worst-case fee reserved
    expect(r.ex.engine.moneyImbalanceMicro()).toBe(0);
  });

  it('trading pause: no place or amend, cancels and decreases allowed, only cancel_order_on_pause orders go; the exchange pause blocks cancels', () => {
    const r = rig();
    const T = shardOf(r, 0);
    const keep = r.req('POST', '/portfolio/events/orders', bid(T, '0.2000', '3.00')).json.order_id;
    const goes = r.req('POST', '/portfolio/events/orders', bid(T, '0.2100', '1.00', { cancel_order_on_pause: true })).json.order_id;
    r.ex.faults.set({ tradingPaused: true });
    expect(r.req('GET', '/exchange/status').json).toMatchObject({ exchange_active: true, trading_active: false });
    expect(r.ex.engine.orders.get(goes)!.status).toBe('canceled');
    expect(r.ex.engine.orders.get(keep)!.status).toBe('resting');
    expect(r.req('POST', '/portfolio/events/orders', bid(T, '0.2200')).json.error.code).toBe('trading_is_paused');
    expect(r.req('POST', `/portfolio/events/orders/${keep}/amend`, { ticker: T, side: 'bid', price: '0.2300', count: '3.00' }).status).toBe(400);
    expect(r.req('POST', `/portfolio/events/orders/${keep}/decrease`, { reduce_by: '1.00' }).status).toBe(200);
    expect(r.req('DELETE', `/portfolio/events/orders/${keep}`).status).toBe(200);
    r.ex.faults.set({ tradingPaused: false });
    const again = r.req('POST', '/portfolio/events/orders', bid(T, '0.2000')).json.order_id;
    r.ex.faults.set({ exchangePaused: true });
    expect(r.req('DELETE', `/portfolio/events/orders/${again}`).json.error.code).toBe('exchange_closed');
  });

  it('the weekly maintenance window: Thursday 03:00-05:00 New York time (EDT and EST), by the venue clock', () => {
    // July: EDT (UTC-4); December: EST (UTC-5)
    expect(weeklyMaintenanceAt(Date.UTC(2026, 6, 2, 6, 59, 59)).paused).toBe(false);
    expect(weeklyMaintenanceAt(Date.UTC(2026, 6, 2, 7, 30))).toEqual({ paused: true, endsAtMs: Date.UTC(2026, 6, 2, 9) });
    expect(weeklyMaintenanceAt(Date.UTC(2026, 6, 2, 9)).paused).toBe(false);
    expect(weeklyMaintenanceAt(Date.UTC(2026, 11, 3, 7, 30)).paused).toBe(false);
    expect(weeklyMaintenanceAt(Date.UTC(2026, 11, 3, 8, 30)).paused).toBe(true);
    expect(weeklyMaintenanceAt(Date.UTC(2026, 6, 1, 7, 30)).paused).toBe(false); // a Wednesday
    const r = rig({ weeklyMaintenance: true }, Date.UTC(2026, 6, 2, 6, 59, 50));
    const T = shardOf(r, 0);
    const id = r.req('POST', '/portfolio/events/orders', bid(T, '0.2000')).json.order_id;
    r.run(11_000);
    expect(r.req('GET', '/exchange/status').json).toMatchObject({ trading_active: false, exchange_estimated_resume_time: '2026-07-02T09:00:00.000Z' });
    expect(r.req('POST', '/portfolio/events/orders', bid(T, '0.2100')).status).toBe(400);
    expect(r.req('DELETE', `/portfolio/events/orders/${id}`).status).toBe(200);
  });

  it('settlement: closed -> determined -> (disputed -> amended) -> finalized after settlement_timer_seconds, with the lifecycle messages', () => {
    const r = rig();
    const T = shardOf(r, 0);
    r.subscribe(['market_lifecycle_v2']);
    r.req('POST', '/portfolio/events/orders', bid(T, '0.4000', '2.00'));
    hitBid(r, T, 4000, 200);
    const balance = () => r.req('GET', '/portfolio/balance').json.balance_dollars;
    const before = balance();
    const status = () => r.req('GET', `/markets/${T}`).json.market.status;
    r.ex.engine.closeMarket(T);
    expect(status()).toBe('closed');
    expect(r.ex.engine.determineMarket(T, 'no')).toEqual({ ok: true });
    expect(status()).toBe('determined');
    expect(r.req('POST', '/portfolio/events/orders', bid(T, '0.4000')).json.error.code).toBe('MARKET_INACTIVE');
    expect(balance()).toBe(before); // nothing paid before finalization
    expect(r.ex.engine.disputeMarket(T)).toEqual({ ok: true });
    r.run(700_000); // past the 600 s timer: a dispute stops the clock
    expect(status()).toBe('disputed');
    expect(r.ex.engine.resolveDispute(T, 'yes')).toEqual({ ok: true });
    expect(status()).toBe('amended');
    r.run(599_000);
    expect(status()).toBe('amended');
    r.run(2_000);
    expect(status()).toBe('finalized');
    const events = r.ofType('market_lifecycle_v2').filter((e) => e.market_ticker === T);
    expect(events.map((e) => [e.event_type, e.result ?? ''])).toEqual([
      ['determined', 'no'],
      ['determined', 'yes'],
      ['settled', ''],
    ]);
    // 2 YES contracts pay $2.00 under the amended result
    expect(Number(balance()) - Number(before)).toBeCloseTo(2, 6);
    expect(r.req('GET', '/portfolio/settlements').json.settlements[0]).toMatchObject({ ticker: T, market_result: 'yes', yes_count_fp: '2.00' });
  });
});
