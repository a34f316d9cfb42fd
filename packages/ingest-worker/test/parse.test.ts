import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { kmm } from '@kmm/shared';
import { formatCaptureLine, parseCaptureLine, parseFrame } from '../src/core/parse.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const session = path.resolve(repoRoot, '../shared/data/kalshi-ws-capture-2026-07-01/session.jsonl');

describe('parseFrame on the recorded Kalshi session', () => {
  it('parses every frame with no invalid ones and the documented counts', () => {
    const counts: Record<string, number> = {};
    for (const line of readFileSync(session, 'utf8').split('\n')) {
      const c = parseCaptureLine(line);
      if (c === null) continue;
      counts[c.frame.kind] = (counts[c.frame.kind] ?? 0) + 1;
      if (c.frame.kind === 'invalid') throw new Error(c.frame.reason);
    }
    expect(counts).toEqual({ delta: 2885, snapshot: 5, ok: 4, subscribed: 2, fill: 2 });
  });

  it('converts snapshot and delta strings to integer units exactly, keeping NO-leg prices', () => {
    const snap = parseFrame(
      '{"type":"orderbook_snapshot","sid":1,"seq":2,"msg":{"market_ticker":"M","market_id":"x","yes_dollars_fp":[["0.0100","1406474.86"]],"no_dollars_fp":[["0.7300","55555.20"]]}}',
    );
    expect(snap.kind).toBe('snapshot');
    if (snap.kind !== 'snapshot') return;
    expect(snap.body.yesBids).toEqual([{ price: 100, countCenti: 140647486 }]);
    expect(snap.body.noBids).toEqual([{ price: 7300, countCenti: 5555520 }]);
    const d = parseFrame(
      '{"type":"orderbook_delta","sid":1,"seq":3,"msg":{"market_ticker":"M","price_dollars":"0.4700","delta_fp":"-1.84","side":"no","ts_ms":1781159489957,"client_order_id":"c1"}}',
    );
    expect(d.kind).toBe('delta');
    if (d.kind !== 'delta') return;
    expect(d.body).toEqual({ market: 'M', leg: kmm.v1.LegSide.NO, price: 4700, deltaCenti: -184, clientOrderId: 'c1', sid: 1, seq: 3 });
    expect(d.tsMs).toBe(1781159489957);
  });

  it('accepts numbers for prices and sizes, missing sides and legacy integer shapes', () => {
    const snap = parseFrame('{"type":"orderbook_snapshot","sid":1,"seq":1,"msg":{"market_ticker":"M","yes_dollars_fp":[[0.47,3]]}}');
    expect(snap.kind === 'snapshot' && snap.body.yesBids).toEqual([{ price: 4700, countCenti: 300 }]);
    expect(snap.kind === 'snapshot' && snap.body.noBids).toEqual([]);
    const legacy = parseFrame('{"type":"orderbook_snapshot","sid":1,"seq":1,"msg":{"market_ticker":"M","yes":[[47,3]],"no":[[52,10]]}}');
    expect(legacy.kind === 'snapshot' && legacy.body.noBids).toEqual([{ price: 5200, countCenti: 1000 }]);
    const ld = parseFrame('{"type":"orderbook_delta","sid":1,"seq":2,"msg":{"market_ticker":"M","price":47,"delta":-2,"side":"yes"}}');
    expect(ld.kind === 'delta' && ld.body.deltaCenti).toBe(-200);
  });

  it('returns typed errors naming the field, keeping sid/seq/market', () => {
    const bad = parseFrame('{"type":"orderbook_delta","sid":4,"seq":9,"msg":{"market_ticker":"M","price_dollars":"0.47x","delta_fp":"1","side":"yes"}}');
    expect(bad).toMatchObject({ kind: 'invalid', sid: 4, seq: 9, market: 'M', type: 'orderbook_delta' });
    expect(bad.kind === 'invalid' && bad.reason).toContain('msg.price_dollars');
    expect(parseFrame('{"type":"orderbook_delta","sid":1,"seq":1,"msg":{"market_ticker":"M","price_dollars":"1.0000","delta_fp":"1","side":"yes"}}').kind).toBe('invalid');
    expect(parseFrame('{"type":"orderbook_delta","sid":1,"seq":1,"msg":{"market_ticker":"M","price_dollars":"0.5","delta_fp":"1","side":"maybe"}}').kind).toBe('invalid');
    expect(parseFrame('not json').kind).toBe('invalid');
    expect(parseFrame('[1,2]').kind).toBe('invalid');
    expect(parseFrame('{"type":"ticker","msg":{}}')).toMatchObject({ kind: 'other', type: 'ticker' });
  });

  it('maps fills, user orders, positions, trades and lifecycle to the proto shapes', () => {
    const f = parseFrame(
      '{"type":"fill","sid":9,"msg":{"trade_id":"t","order_id":"o","market_ticker":"M","is_taker":false,"side":"yes","action":"sell","yes_price_dollars":"0.4200","count_fp":"2.50","fee_cost":"0.017500","post_position_fp":"-2.50","ts_ms":5}}',
    );
    expect(f.kind === 'fill' && f.body).toMatchObject({ side: kmm.v1.BookSide.ASK, yesPrice: 4200, countCenti: 250, feeMoney: 175, postPositionCenti: -250 });
    const u = parseFrame(
      '{"type":"user_order","sid":3,"msg":{"order_id":"o","ticker":"M","status":"resting","book_side":"bid","yes_price_dollars":"0.4100","fill_count_fp":"1.00","remaining_count_fp":"4.00","client_order_id":"c"}}',
    );
    expect(u.kind === 'user_order' && u.body).toMatchObject({ status: kmm.v1.OrderStatus.RESTING, side: kmm.v1.BookSide.BID, price: 4100, remainingCenti: 400, filledCenti: 100 });
    const p = parseFrame('{"type":"market_position","sid":4,"msg":{"market_ticker":"M","position_fp":"-3.00","realized_pnl_dollars":"1.234567"}}');
    expect(p.kind === 'market_position' && p.body).toMatchObject({ positionCenti: -300, realizedPnlMoney: 12346, fromExchange: true });
    expect(p.kind === 'market_position' && p.body.hasVolume).toBeFalsy(); // old data: no order key
    // volume_fp, the cumulative traded contracts, orders the message against our fills
    const pv = parseFrame('{"type":"market_position","sid":4,"msg":{"market_ticker":"M","position_fp":"-3.00","volume_fp":"12.75"}}');
    expect(pv.kind === 'market_position' && pv.body).toMatchObject({ positionCenti: -300, volumeCenti: 1275, hasVolume: true });
    for (const bad of ['"-1.00"', '"lots"', '{}']) {
      const f = parseFrame(`{"type":"market_position","sid":4,"msg":{"market_ticker":"M","position_fp":"1.00","volume_fp":${bad}}}`);
      expect(f.kind).toBe('invalid');
      expect(f.kind === 'invalid' && f.reason).toMatch(/volume_fp/);
    }
    const t = parseFrame('{"type":"trade","sid":2,"msg":{"trade_id":"t","market_ticker":"M","yes_price_dollars":"0.5500","count_fp":"7.00","taker_book_side":"ask","ts_ms":9}}');
    expect(t.kind === 'trade' && t.body).toMatchObject({ yesPrice: 5500, countCenti: 700, takerBookSide: kmm.v1.BookSide.ASK, tsMs: 9 });
    const l = parseFrame(
      '{"type":"market_lifecycle_v2","sid":5,"msg":{"market_ticker":"M","event_type":"price_level_structure_updated","price_ranges":[{"start":"0.0000","end":"1.0000","step":"0.0010"}]}}',
    );
    expect(l.kind === 'lifecycle' && l.body.priceRanges).toEqual([{ startPrice: 0, endPrice: 10000, stepPrice: 10 }]);
  });

  it('never throws on arbitrary input (property)', () => {
    const jsonish = fc.oneof(
      fc.string(),
      fc.json(),
      fc
        .record({
          type: fc.constantFrom('orderbook_snapshot', 'orderbook_delta', 'trade', 'fill', 'user_order', 'market_position', 'market_lifecycle_v2', 'ok', 'subscribed', 'error', 'zzz'),
          sid: fc.oneof(fc.integer(), fc.string(), fc.constant(null)),
          seq: fc.oneof(fc.integer(), fc.double(), fc.constant(undefined)),
          msg: fc.anything(),
        })
        .map((o) => JSON.stringify(o)),
    );
    fc.assert(
      fc.property(jsonish, (text) => {
        const f = parseFrame(text);
        expect(typeof f.kind).toBe('string');
      }),
      { numRuns: 2000 },
    );
  });
});

describe('capture lines', () => {
  it('round-trips a raw frame with its receive time, and reads plain lines and nested objects', () => {
    const raw = '{"type":"orderbook_delta","sid":1,"seq":3,"msg":{"market_ticker":"M","price_dollars":"0.4700","delta_fp":"2.00","side":"yes"}}';
    const line = formatCaptureLine(123456789, 1700000000000, raw);
    expect(line.endsWith('\n')).toBe(true);
    const c = parseCaptureLine(line)!;
    expect(c.recvNs).toBe(123456789);
    expect(c.recvMs).toBe(1700000000000);
    expect(c.frame.kind).toBe('delta');
    expect(JSON.parse(line).frame).toBe(raw);
    const nested = parseCaptureLine(`{"recv_ns":1,"recv_ms":2,"frame":${raw}}`)!;
    expect(nested.frame).toEqual(c.frame);
    expect(parseCaptureLine(raw)!.frame).toEqual(c.frame);
    expect(parseCaptureLine('   ')).toBeNull();
    // a malformed raw frame still makes a valid capture line
    expect(parseCaptureLine(formatCaptureLine(1, 2, '{"type":"orderbook_de'))!.frame.kind).toBe('invalid');
  });

  it('keeps the socket read (turn) of a live frame; a line without one has none', () => {
    const raw = '{"type":"orderbook_delta","sid":1,"seq":3,"msg":{"market_ticker":"M","price_dollars":"0.4700","delta_fp":"2.00","side":"yes"}}';
    const c = parseCaptureLine(formatCaptureLine(5, 6, raw, 42))!;
    expect([c.recvNs, c.recvMs, c.turn, c.frame.kind]).toEqual([5, 6, 42, 'delta']);
    expect(parseCaptureLine(formatCaptureLine(5, 6, raw))!.turn).toBeUndefined();
  });
});
