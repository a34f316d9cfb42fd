/**
 * Property/fuzz tests (fast-check) at the system's untrusted edges:
 *  - websocket frames (valid, mutated, truncated, wrong types, adversarial numbers, garbage)
 *    into the ingest core, whose output feeds a book shard core: no throw, every book keeps its
 *    invariants (MarketBook.assertInvariants), bad frames are counted (counters.invalid) and logged;
 *  - REST responses (status, headers, body) from a local adversarial server into exec's RestClient:
 *    every call resolves to a typed RestResult (never throws), a failure carries a RejectCode;
 *    venue parsers accept or throw VenueFormatError only;
 *  - malformed config (loadConfig) gives ConfigError naming the variable; bad CLI input exits
 *    non-zero with a message naming the problem.
 * fast-check prints the seed and the shrunk counterexample on failure.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { spawnSync } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError, kmm, loadConfig, resolveConfig, SeededRng, type EnvelopeBody } from '@kmm/shared';
import { IngestCore, ingestParamsOf, type IngestSink } from '@kmm/ingest-worker';
import { BookShardCore, bookParamsOf, bookRouter, type BookSink } from '@kmm/book-worker';
import { RestClient, VenueFormatError, mapVenueError, parseVenueFill, parseVenueMarket, parseVenueOrder, parseVenuePosition } from '@kmm/exec-worker';

const REPO = resolve(fileURLToPath(new URL('.', import.meta.url)), '..');
const CLI = join(REPO, 'packages/app/dist/cli.js');
const MARKETS = ['KXA-26JAN01-T1', 'KXB-26JAN01-T2', 'KXC-26JAN01-T3'];

// ---- websocket frames -> ingest core -> book shard core ---------------------------------------------

interface Pipeline {
  ingest: IngestCore;
  books: BookShardCore;
  logs: number;
  stats: Map<string, number>;
  bookSid: number;
  seq: number;
}

function pipeline(): Pipeline {
  const p = { logs: 0, stats: new Map<string, number>(), bookSid: 0, seq: 0 } as Pipeline;
  const bookSink: BookSink = {
    send(_peer: string, _body: EnvelopeBody) {},
    log() {},
    stat(name: string, delta = 1) {
      p.stats.set('book.' + name, (p.stats.get('book.' + name) ?? 0) + delta);
    },
    setStat() {},
  };
  const infos = MARKETS.map((market) => ({ market, priceRanges: [{ startPrice: 100, endPrice: 9900, stepPrice: 100 }] }));
  p.books = new BookShardCore(bookParamsOf(resolveConfig({})), bookSink, infos);
  // the book actor's own routing table, as the runtime would use it
  const route = bookRouter(p.books);
  let sent: Array<{ id: number; channel: string }> = [];
  const sink: IngestSink = {
    send(peer: string, body: EnvelopeBody, cause) {
      // one shard: everything for 'book.0' goes straight into the shard core, like the runtime would
      if (peer === 'book.0') route({ ...(body as kmm.v1.IEnvelope), header: { recvMonoNs: cause?.recvMonoNs ?? 0 } }, 0);
    },
    wsSend(c) {
      if (c.cmd === 'subscribe') sent.push({ id: c.id, channel: (c.params.channels as string[])[0] });
    },
    dropConnection() {},
    log() {
      p.logs++;
    },
    stat(name: string, delta = 1) {
      p.stats.set(name, (p.stats.get(name) ?? 0) + delta);
    },
  };
  p.ingest = new IngestCore(ingestParamsOf(resolveConfig({})), 1, new SeededRng(3), sink, infos);
  p.ingest.onConnected(0);
  let sid = 1;
  for (const s of sent) {
    if (s.channel === 'orderbook_delta') p.bookSid = sid;
    p.ingest.onFrame(JSON.stringify({ type: 'subscribed', id: s.id, msg: { channel: s.channel, sid: sid++ } }), 1, 0);
  }
  sent = [];
  for (const m of MARKETS) p.ingest.onFrame(snapshotFrame(p, m, [['0.4000', '10.00']], [['0.5500', '5.00']]), 2, 0);
  return p;
}

function snapshotFrame(p: Pipeline, market: string, yes: unknown, no: unknown): string {
  return JSON.stringify({ type: 'orderbook_snapshot', sid: p.bookSid, seq: ++p.seq, msg: { market_ticker: market, yes_dollars_fp: yes, no_dollars_fp: no } });
}

const priceStr = fc.oneof(
  fc.integer({ min: 1, max: 99 }).map((c) => `0.${String(c).padStart(2, '0')}00`),
  fc.constantFrom('0', '1.0000', '-0.01', '1e3', 'NaN', '0.12345678', '', ' 0.40', '9999999999999999999', '0x10', 'null'),
  fc.string({ maxLength: 8 }),
);
const countStr = fc.oneof(
  fc.integer({ min: -100000, max: 100000 }).map((c) => (c / 100).toFixed(2)),
  fc.constantFrom('0', '-0', '1e308', 'Infinity', '', '1.234', '99999999999999999999.00', 'abc'),
  fc.string({ maxLength: 8 }),
);
const anyJson = fc.jsonValue({ maxDepth: 3 });

/** A frame: a plausible one (maybe with mutated fields/seq), a wrong-typed one, or garbage text. */
function frameArb(p: () => Pipeline) {
  const market = fc.oneof(fc.constantFrom(...MARKETS), fc.string({ maxLength: 12 }));
  const delta = fc.record({ market, price: priceStr, delta: countStr, side: fc.oneof(fc.constantFrom('yes', 'no'), fc.string({ maxLength: 4 })), seqOff: fc.integer({ min: -3, max: 3 }) });
  const snap = fc.record({ market, yes: fc.oneof(fc.array(fc.tuple(priceStr, countStr), { maxLength: 5 }), anyJson), no: fc.oneof(fc.array(fc.tuple(priceStr, countStr), { maxLength: 5 }), anyJson) });
  return fc.oneof(
    { weight: 5, arbitrary: delta.map((d) => () => {
      const q = p();
      q.seq += 1 + (d.seqOff === 0 ? 0 : d.seqOff);
      return JSON.stringify({ type: 'orderbook_delta', sid: q.bookSid, seq: q.seq, msg: { market_ticker: d.market, price_dollars: d.price, delta_fp: d.delta, side: d.side, ts_ms: 5 } });
    }) },
    { weight: 2, arbitrary: snap.map((s) => () => snapshotFrame(p(), s.market, s.yes, s.no)) },
    { weight: 2, arbitrary: fc.record({ type: fc.constantFrom('orderbook_delta', 'orderbook_snapshot', 'trade', 'fill', 'user_order', 'market_position', 'error', 'subscribed', 'ok', 'nonsense'), sid: fc.oneof(fc.integer({ min: -2, max: 10 }), anyJson), seq: fc.oneof(fc.integer(), anyJson), msg: anyJson }).map((o) => () => JSON.stringify(o)) },
    { weight: 1, arbitrary: fc.string({ maxLength: 60 }).map((s) => () => s) },
    { weight: 1, arbitrary: anyJson.map((v) => () => JSON.stringify(v)) },
    { weight: 1, arbitrary: fc.constantFrom('{', '{"type":"orderbook_delta"', '[]', 'null', '""', '{"type":"orderbook_delta","sid":1,"seq":1e400}', '\u0000\uffff').map((s) => () => s) },
  );
}

function checkBooks(p: Pipeline): void {
  for (const m of MARKETS) {
    const e = p.books.entry(m);
    expect(e).toBeDefined();
    e!.book.assertInvariants();
    // a trusted book is never crossed unless the venue sent it crossed, and then it is flagged
    if (e!.trust === kmm.v1.TrustState.TRUSTED && e!.book.bestBid() > 0 && e!.book.bestAsk() > 0 && e!.book.bestBid() >= e!.book.bestAsk()) {
      expect(e!.book.crossed).toBe(true);
    }
  }
}

describe('fuzz: websocket frames into ingest + book shard', () => {
  it('never throws, books keep their invariants, bad frames are counted and logged', () => {
    fc.assert(
      fc.property(fc.array(frameArb(() => current), { minLength: 1, maxLength: 60 }), (frames) => {
        current = pipeline();
        const p = current;
        let t = 10;
        for (const f of frames) {
          const text = f();
          expect(() => p.ingest.onFrame(text, t++, 0)).not.toThrow();
          checkBooks(p);
        }
        expect(() => p.ingest.onTick(t + 60e9)).not.toThrow();
        expect(() => p.books.flush()).not.toThrow();
        checkBooks(p);
      }),
      { numRuns: 300 },
    );
  });

  it('counts every non-JSON frame as invalid and logs it', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ maxLength: 30 }).filter((s) => { try { JSON.parse(s); return false; } catch { return true; } }), { minLength: 1, maxLength: 20 }), (bad) => {
        const p = pipeline();
        const before = p.ingest.counters.invalid;
        const logsBefore = p.logs;
        for (const s of bad) p.ingest.onFrame(s, 5, 0);
        expect(p.ingest.counters.invalid - before).toBe(bad.length);
        expect(p.logs).toBeGreaterThan(logsBefore);
        checkBooks(p);
      }),
      { numRuns: 100 },
    );
  });

  it('a malformed orderbook frame distrusts its market instead of corrupting the book', () => {
    const p = pipeline();
    const m = MARKETS[0];
    const before = p.books.entry(m)!.book.bestBid();
    expect(before).toBe(4000);
    p.ingest.onFrame(JSON.stringify({ type: 'orderbook_delta', sid: p.bookSid, seq: ++p.seq, msg: { market_ticker: m, price_dollars: '0.4000', delta_fp: 'NaN', side: 'yes' } }), 9, 0);
    expect(p.ingest.trustOf(m)).not.toBe(kmm.v1.TrustState.TRUSTED);
    checkBooks(p);
  });
});
let current: Pipeline;

// ---- REST responses -> exec RestClient and venue parsers -------------------------------------------

interface Reply {
  status: number;
  body: string;
  contentType: string;
  hang?: boolean;
}
let server: Server;
let baseUrl = '';
let nextReply: Reply = { status: 200, body: '{}', contentType: 'application/json' };

beforeAll(async () => {
  server = createServer((req, res) => {
    req.resume();
    const r = nextReply;
    if (r.hang) {
      setTimeout(() => res.destroy(), 50);
      return;
    }
    res.writeHead(r.status, { 'content-type': r.contentType });
    res.end(r.body);
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/trade-api/v2`;
});
afterAll(() => new Promise<void>((ok) => server.close(() => ok())));

const orderJson = fc.record(
  {
    order_id: fc.oneof(fc.uuid(), fc.integer(), fc.constant(null)),
    client_order_id: fc.oneof(fc.string({ maxLength: 10 }), fc.constant(undefined)),
    ticker: fc.oneof(fc.constantFrom(...MARKETS), fc.integer()),
    status: fc.oneof(fc.constantFrom('resting', 'canceled', 'executed', 'pending'), fc.string({ maxLength: 6 })),
    side: fc.oneof(fc.constantFrom('yes', 'no'), fc.string({ maxLength: 3 })),
    action: fc.oneof(fc.constantFrom('buy', 'sell'), fc.integer()),
    yes_price_dollars: priceStr,
    remaining_count_fp: countStr,
    fill_count_fp: countStr,
    initial_count_fp: countStr,
  },
  { requiredKeys: [] },
);
const replyArb: fc.Arbitrary<Reply> = fc.oneof(
  fc.record({ status: fc.constantFrom(200, 201), body: orderJson.map((o) => JSON.stringify({ order: o })), contentType: fc.constant('application/json') }),
  fc.record({ status: fc.constantFrom(200, 201), body: fc.oneof(anyJson.map((v) => JSON.stringify(v)), fc.string({ maxLength: 40 })), contentType: fc.constantFrom('application/json', 'text/html') }),
  fc.record({
    status: fc.constantFrom(400, 401, 403, 404, 409, 429, 500, 502, 503),
    body: fc.oneof(
      fc.record({ error: fc.record({ code: fc.string({ maxLength: 12 }), message: fc.string({ maxLength: 20 }), details: fc.string({ maxLength: 20 }) }, { requiredKeys: [] }) }).map((v) => JSON.stringify(v)),
      fc.string({ maxLength: 40 }),
      anyJson.map((v) => JSON.stringify(v)),
    ),
    contentType: fc.constantFrom('application/json', 'text/plain'),
  }),
  fc.constant({ status: 200, body: '', contentType: 'application/json', hang: true }),
);

describe('fuzz: REST responses into exec', () => {
  it('RestClient order calls resolve to a typed RestResult for any response (never throw)', async () => {
    const client = new RestClient({ baseUrl, timeoutMs: 500, readTimeoutMs: 500 });
    const cmd: kmm.v1.IOrderCommand = { kind: kmm.v1.CommandKind.PLACE, market: MARKETS[0], clientOrderId: 'fz-1', side: kmm.v1.BookSide.BID, price: 4000, countCenti: 100, postOnly: true };
    await fc.assert(
      fc.asyncProperty(replyArb, fc.constantFrom('create', 'amend', 'cancel', 'batchCreate', 'positions'), async (reply, op) => {
        nextReply = reply;
        let r: { ok: boolean; error?: { code: number; message: string } };
        if (op === 'create') r = await client.createOrder(cmd);
        else if (op === 'amend') r = await client.amend({ ...cmd, orderId: 'o-1', kind: kmm.v1.CommandKind.AMEND });
        else if (op === 'cancel') r = await client.cancel('o-1');
        else if (op === 'batchCreate') r = await client.batchCreate([cmd]);
        else r = await client.getQueuePositions([MARKETS[0]]);
        expect(typeof r.ok).toBe('boolean');
        if (!r.ok) {
          expect(Number.isInteger(r.error!.code)).toBe(true);
          expect(typeof r.error!.message).toBe('string');
        }
        if (reply.status >= 400 || reply.hang) expect(r.ok).toBe(false);
      }),
      { numRuns: 150 },
    );
  });

  it('venue parsers accept or throw VenueFormatError (naming the field), nothing else', () => {
    const parsers = [parseVenueOrder, parseVenueFill, parseVenuePosition, parseVenueMarket];
    fc.assert(
      fc.property(fc.oneof(orderJson, anyJson, fc.dictionary(fc.string({ maxLength: 12 }), anyJson)), fc.integer({ min: 0, max: 3 }), (input, i) => {
        try {
          parsers[i](input);
        } catch (e) {
          expect(e).toBeInstanceOf(VenueFormatError);
          expect((e as VenueFormatError).field.length + (e as Error).message.length).toBeGreaterThan(0);
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('mapVenueError maps any error body to a RejectCode', () => {
    fc.assert(
      fc.property(fc.integer({ min: 100, max: 599 }), fc.oneof(fc.string(), anyJson.map((v) => JSON.stringify(v))), (status, body) => {
        const e = mapVenueError(status, body);
        expect(Number.isInteger(e.code)).toBe(true);
        expect(e.http).toBe(status);
        if (status === 429) expect(e.code).toBe(kmm.v1.RejectCode.RATE_LIMITED);
        if (status >= 500) expect(e.code).toBe(kmm.v1.RejectCode.SERVER_ERROR);
      }),
      { numRuns: 500 },
    );
  });
});

// ---- malformed config and CLI input ---------------------------------------------------------------------

describe('malformed config and CLI input', () => {
  it('loadConfig rejects bad values with a ConfigError naming the variable', () => {
    fc.assert(
      fc.property(fc.constantFrom('MM_MAX_POS', 'MM_QUOTE_REFRESH_MS', 'kmm_rate_tier', 'MM_MIN_REPRICE_TICKS'), fc.constantFrom('abc', '-5', '1e400', '', 'NaN', '[1]', '99999999999'), (key, value) => {
        try {
          loadConfig({ env: {}, cli: { [key]: value } });
        } catch (e) {
          expect(e).toBeInstanceOf(ConfigError);
          expect((e as Error).message).toContain(key);
          return;
        }
        // accepted values must be in range (the loader's job is to never pass garbage through)
        const v = loadConfig({ env: {}, cli: { [key]: value } }).values as Record<string, unknown>;
        expect(v[key]).not.toBeNaN();
      }),
      { numRuns: 60 },
    );
  });

  it('a malformed config file is a ConfigError naming the file or key', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kmm-fuzz-cfg-'));
    const cases = ['MM_MAX_POS: [oops', '{"MM_MAX_POS": "lots"}', 'NOT_A_VARIABLE_XYZ: 3', '- just\n- a list', '\u0000'];
    cases.forEach((text, i) => {
      const f = join(dir, `c${i}.${text.startsWith('{') ? 'json' : 'yaml'}`);
      writeFileSync(f, text);
      let err: unknown = null;
      let warnings: string[] = [];
      try {
        warnings = loadConfig({ file: f, env: {} }).warnings;
      } catch (e) {
        err = e;
      }
      if (err) {
        expect(err).toBeInstanceOf(ConfigError);
        expect((err as Error).message).toMatch(/MM_MAX_POS|NOT_A_VARIABLE_XYZ|c\d\.(yaml|json)|config/);
      } else {
        // an unknown key may be accepted with a warning that names it
        expect(warnings.join(' ')).toContain('NOT_A_VARIABLE_XYZ');
      }
    });
  });

  const cli = (args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 30_000 });
  it.each([
    [['demo', '--markets', 'abc'], /--markets must be a whole number/],
    [['demo', '--duration', '-3'], /--duration/],
    [['run'], /--env/],
    [['run', '--env', 'moon'], /moon|--env/],
    [['bench', 'latency', '--markets', 'x'], /--markets must be a whole number/],
    [['bench', 'latency', '--bogus'], /unknown option '--bogus'/],
    [['bench', 'warp'], /unknown command 'warp'/],
    [['chaos', '--duration', '2'], /--duration must be between/],
    [['chaos', '--seed'], /'--seed <x>' argument missing/],
    [['config', 'explain', '--set', 'MM_MAX_POS=banana'], /MM_MAX_POS/],
    [['no-such-command'], /unknown command/],
  ])('kmm %j exits non-zero naming the problem', (args, pattern) => {
    const r = cli(args as string[]);
    expect(r.status).not.toBe(0);
    expect(r.stderr + r.stdout).toMatch(pattern as RegExp);
  });
});
