import { afterEach, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import { generateKeyPairSync, verify, constants } from 'node:crypto';
import { appendFileSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { kmm, Signer } from '@kmm/shared';
import {
  Journal, readJournal, mapVenueError, parseVenueOrder, parseVenuePosition, parseVenueFill, VenueFormatError,
  SignatureCache, Tape, TAPE_COLUMNS, tapeLine, RestClient, runCommand, RestGateway, PaperGateway,
} from '../src/index.js';

const RC = kmm.v1.RejectCode;
const repoRoot = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../..');
const dataDir = resolve(repoRoot, '../shared/data');

describe('venue parsing and error mapping', () => {
  it('maps the wire error shapes to reject codes', () => {
    expect(mapVenueError(400, '{"error":{"code":"invalid_order","message":"invalid order","details":"post only cross"}}').code).toBe(RC.POST_ONLY_CROSS);
    expect(mapVenueError(400, '{"error":{"code":"invalid_price","message":"invalid price"}}').code).toBe(RC.INVALID_PRICE);
    expect(mapVenueError(429, '{"error":"too many requests"}').code).toBe(RC.RATE_LIMITED);
    expect(mapVenueError(400, '{"code":"bad_request","message":"bad request","details":"json: cannot unmarshal"}').code).toBe(RC.BAD_REQUEST);
    expect(mapVenueError(409, '{"error":{"code":"order_already_exists","message":"x"}}').code).toBe(RC.DUPLICATE_CLIENT_ORDER_ID);
    expect(mapVenueError(400, '{"error":{"code":"trading_is_paused","message":"x"}}').code).toBe(RC.MARKET_INACTIVE);
    expect(mapVenueError(400, '{"error":{"code":"order_group_triggered","message":"x"}}').code).toBe(RC.ORDER_GROUP_TRIGGERED);
    expect(mapVenueError(503, 'not json').code).toBe(RC.SERVER_ERROR);
    expect(mapVenueError(401, '{"error":{"code":"authentication_error","message":"x","details":"INCORRECT_API_KEY_SIGNATURE"}}').code).toBe(RC.AUTH);
  });
  it('parses recorded demo positions (fixed-point, 6 dp money)', () => {
    const lines = readFileSync(join(dataDir, 'kalshi-ws-capture-2026-07-01/rest.jsonl'), 'utf8').split('\n').filter((l) => l.includes('portfolio/positions'));
    expect(lines.length).toBeGreaterThan(0);
    const body = JSON.parse(JSON.parse(lines[0]).response_body) as { market_positions: unknown[] };
    const ps = body.market_positions.map(parseVenuePosition);
    expect(ps.length).toBe(body.market_positions.length);
    for (const p of ps) expect(Number.isInteger(p.positionCenti)).toBe(true);
  });
  it('parses current-shape orders and fills, names the bad field otherwise', () => {
    const o = parseVenueOrder({ order_id: 'o1', client_order_id: 'c1', ticker: 'T', book_side: 'ask', status: 'resting', yes_price_dollars: '0.4700', remaining_count_fp: '3.00', fill_count_fp: '1.50' });
    expect(o).toMatchObject({ side: kmm.v1.BookSide.ASK, price: 4700, remainingCenti: 300, filledCenti: 150 });
    const f = parseVenueFill({ trade_id: 't', order_id: 'o', market_ticker: 'T', book_side: 'bid', yes_price_dollars: '0.5200', count_fp: '1.00', fee_cost: '0.017472', is_taker: true, ts: 1781159370 });
    expect(f).toMatchObject({ yesPrice: 5200, countCenti: 100, feeMoney: 174, tsMs: 1781159370000 });
    expect(() => parseVenueOrder({ order_id: 'o1', ticker: 'T', book_side: 'bid', status: 'resting', yes_price_dollars: 0.47, remaining_count_fp: '1.00' })).not.toThrow();
    expect(() => parseVenueOrder({ order_id: 'o1', ticker: 'T', book_side: 'bid', status: 'resting', yes_price_dollars: 'x', remaining_count_fp: '1.00' })).toThrow(VenueFormatError);
    expect(() => parseVenueOrder({ order_id: 'o1', ticker: 'T', book_side: 'bid', status: 'weird' })).toThrow(/status/);
  });
});

describe('Journal', () => {
  it('appends JSON lines, survives a torn tail, keeps order', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'kmm-j-')), 'j.jsonl');
    const j = new Journal(path, { flushEveryMs: 0, fsyncEveryMs: 0, flushRecords: 3 });
    for (let i = 0; i < 10; i++) j.append({ k: 'fill', tradeId: `t${i}` });
    await j.close();
    appendFileSync(path, '{"k":"fill","trade_id":"torn'); // crash mid-write
    const r = readJournal(path);
    expect(r.records.map((x) => (x.k === 'fill' ? x.tradeId : ''))).toEqual(Array.from({ length: 10 }, (_, i) => `t${i}`));
    expect(r.records.map((x) => x.seq)).toEqual(Array.from({ length: 10 }, (_, i) => i + 1));
    expect(r.tornTail).toBe(true);
    expect(r.badLines).toBe(0);
  });
});

describe('Tape', () => {
  it('writes exactly the 003 columns', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'kmm-t-')), 'tape.csv');
    const t = new Tape(path, () => Date.UTC(2026, 0, 1));
    t.write([{ ticker: 'T', midPrice: 4750, myBid: 4700, myAsk: 4800, inventoryCenti: -300, unrealizedPnlMoney: 150, realizedPnlMoney: -25, processingLatencyUs: 1234 }]);
    await t.close();
    const lines = readFileSync(path, 'utf8').trim().split('\n');
    expect(lines[0]).toBe('ts,ticker,mid,my_bid,my_ask,inventory,unrealized_pnl,realized_pnl,latency_ms');
    expect(TAPE_COLUMNS.length).toBe(9);
    expect(lines[1]).toBe('2026-01-01T00:00:00.000Z,T,0.4750,0.4700,0.4800,-3.00,0.0150,-0.0025,1.234');
    expect(tapeLine(0, { ticker: 'T', midPrice: 0, myBid: 0, myAsk: 0, inventoryCenti: 0, unrealizedPnlMoney: 0, realizedPnlMoney: 0, processingLatencyUs: -1 }).split(',').length).toBe(9);
  });
});

const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const pem = privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();

describe('SignatureCache', () => {
  it('reuses constant-path signatures inside the window, re-signs after, keeps warm paths signed', () => {
    let now = 1_000_000;
    const c = new SignatureCache(new Signer('k', pem), [['POST', '/trade-api/v2/portfolio/events/orders']], 2000, 1000, () => now);
    c.refresh();
    const a = c.headers('POST', '/trade-api/v2/portfolio/events/orders');
    now += 1500;
    expect(c.headers('POST', '/trade-api/v2/portfolio/events/orders')).toBe(a);
    now += 600;
    const b = c.headers('POST', '/trade-api/v2/portfolio/events/orders');
    expect(b).not.toBe(a);
    expect(b['KALSHI-ACCESS-TIMESTAMP']).toBe(String(now));
    const ok = verify('sha256', Buffer.from(`${now}POST/trade-api/v2/portfolio/events/orders`), { key: publicKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }, Buffer.from(b['KALSHI-ACCESS-SIGNATURE'], 'base64'));
    expect(ok).toBe(true);
    c.keepWarm('POST', '/trade-api/v2/portfolio/events/orders/o1/amend');
    c.slice();
    const hits = c.hits;
    c.headers('POST', '/trade-api/v2/portfolio/events/orders/o1/amend');
    expect(c.hits).toBe(hits + 1);
  });
});

let server: Server | null = null;
afterEach(() => {
  server?.close();
  server = null;
});

async function serve(h: (method: string, url: string, body: string) => { status: number; body: string } | null): Promise<{ url: string; calls: { method: string; url: string; body: string }[] }> {
  const calls: { method: string; url: string; body: string }[] = [];
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      calls.push({ method: req.method!, url: req.url!, body });
      const r = h(req.method!, req.url!, body);
      if (!r) return; // never answer
      res.writeHead(r.status, { 'content-type': 'application/json' });
      res.end(r.body);
    });
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', () => r()));
  return { url: `http://127.0.0.1:${(server!.address() as { port: number }).port}/trade-api/v2`, calls };
}

const order = { kind: kmm.v1.CommandKind.PLACE, market: 'T', clientOrderId: 'kmm-x-1', side: kmm.v1.BookSide.BID, price: 4700, countCenti: 100, tif: 1, postOnly: true };

describe('RestClient', () => {
  it('retries a create on 5xx with the same body, never a 429, never an amend', async () => {
    let n = 0;
    const s = await serve((m, u) => {
      if (u.endsWith('/portfolio/events/orders')) return ++n === 1 ? { status: 500, body: '{"error":{"code":"internal_server_error","message":"x"}}' } : { status: 201, body: '{"order_id":"o1","client_order_id":"kmm-x-1","fill_count":"0.00","remaining_count":"1.00"}' };
      if (u.endsWith('/amend')) return { status: 503, body: '{}' };
      return { status: 429, body: '{"error":"too many requests"}' };
    });
    const rc = new RestClient({ baseUrl: s.url, signer: new Signer('k', pem), cachedSignatures: false });
    const r = await rc.createOrder(order);
    expect(r.ok).toBe(true);
    expect(s.calls.filter((c) => c.url.endsWith('/portfolio/events/orders')).map((c) => JSON.parse(c.body).client_order_id)).toEqual(['kmm-x-1', 'kmm-x-1']);
    expect(r.ok && r.wireMonoNs > 0).toBe(true);
    const a = await rc.amend({ ...order, kind: 2, orderId: 'o1' });
    expect(a.ok ? 0 : a.error.code).toBe(RC.SERVER_ERROR);
    expect(s.calls.filter((c) => c.url.endsWith('/amend')).length).toBe(1);
    const c = await rc.batchCancel([{ ...order, kind: 4, orderId: 'o1' }]);
    expect(c.ok ? 0 : c.error.code).toBe(RC.RATE_LIMITED);
    expect(s.calls.filter((x) => x.method === 'DELETE').length).toBe(1);
    const body = JSON.parse(s.calls[0].body);
    expect(body).toMatchObject({ ticker: 'T', side: 'bid', count: '1.00', price: '0.4700', time_in_force: 'good_till_canceled', post_only: true, cancel_order_on_pause: true });
    rc.close();
  });
  it('a call that never answers is a TIMEOUT, and the runCommand mapping rejects every order of it', async () => {
    const s = await serve(() => null);
    const rc = new RestClient({ baseUrl: s.url, signer: new Signer('k', pem), timeoutMs: 150, cachedSignatures: false });
    const res = await runCommand(new RestGateway(rc), { id: 1, op: 'batch_create', orders: [order, { ...order, clientOrderId: 'kmm-x-2' }], causeRecvMonoNs: 0, arrivalMonoNs: 0, issuedMs: 0, tokens: 20 });
    expect(res.rejects.map((r) => r.code)).toEqual([RC.TIMEOUT, RC.TIMEOUT]);
    expect(s.calls.length).toBe(2); // one retry (same client_order_ids)
    rc.close();
  });
  it('batch items map one to one: a post-only cross rejects only its order', async () => {
    const s = await serve(() => ({
      status: 201,
      body: JSON.stringify({ orders: [{ order_id: 'o1', client_order_id: 'kmm-x-1', fill_count: '0.00', remaining_count: '1.00' }, { client_order_id: 'kmm-x-2', error: { code: 'invalid_order', message: 'invalid order', details: 'post only cross' } }] }),
    }));
    const rc = new RestClient({ baseUrl: s.url, signer: new Signer('k', pem) });
    const res = await runCommand(new RestGateway(rc), { id: 1, op: 'batch_create', orders: [order, { ...order, clientOrderId: 'kmm-x-2' }], causeRecvMonoNs: 0, arrivalMonoNs: 0, issuedMs: 0, tokens: 20 });
    expect(res.acks.map((a) => a.clientOrderId)).toEqual(['kmm-x-1']);
    expect(res.rejects.map((r) => [r.clientOrderId, r.code])).toEqual([['kmm-x-2', RC.POST_ONLY_CROSS]]);
    rc.close();
  });
});

describe('PaperGateway', () => {
  it('never reaches a network and rests orders in memory', async () => {
    const g = new PaperGateway(() => Number(process.hrtime.bigint()));
    const r = await runCommand(g, { id: 1, op: 'create', orders: [order], causeRecvMonoNs: 0, arrivalMonoNs: 0, issuedMs: 0, tokens: 10 });
    expect(r.acks[0].status).toBe(kmm.v1.OrderStatus.RESTING);
    const rest = await g.restingOrders();
    expect(rest.ok && rest.value.length).toBe(1);
  });
});
