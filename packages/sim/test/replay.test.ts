/**
 * Replay market: capture parsing (both formats, print/delta pairing), queue position on arrival,
 * each queue model's fills where our order shares a recorded level, trade-through fills, the
 * demo capture replayed through the engine (its final book equals the recording's) and the
 * venue hook (MemoryExchange with opts.replay). Time only through SimClock.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ONE_DOLLAR, SeededRng, SimClock } from '@kmm/shared';
import { Engine } from '../src/engine/engine.js';
import { SERIES } from '../src/flow/catalog.js';
import { ManualScheduler } from '../src/memory/scheduler.js';
import { MemoryExchange } from '../src/memory/exchange.js';
import { addReplayMarkets, parseReplayCapture, ReplayDriver, REPLAY_CLOSE_AFTER_MS, REPLAY_USERS, type QueueModelName } from '../src/replay/index.js';

const T = 'KXTEST-26JAN01-A';
const T0 = 1_782_873_105_000;
const ME = 'me';

/** Kalshi raw frames, one per line (session.jsonl format). */
function snap(bids: Array<[string, string]>, noBids: Array<[string, string]>, timed = true): string {
  // Kalshi's snapshots carry no time; a timed one pins the test's offsets to T0
  const msg = { market_ticker: T, market_id: 'mid-1', yes_dollars_fp: bids, no_dollars_fp: noBids, ...(timed ? { ts_ms: T0 } : {}) };
  return JSON.stringify({ type: 'orderbook_snapshot', sid: 1, seq: 1, msg });
}
function delta(dtMs: number, side: 'yes' | 'no', price: string, d: string, seq: number): string {
  return JSON.stringify({ type: 'orderbook_delta', sid: 1, seq, msg: { market_ticker: T, price_dollars: price, delta_fp: d, side, ts_ms: T0 + dtMs } });
}
function print(dtMs: number, yesPrice: string, count: string, takerSide: 'yes' | 'no'): string {
  return JSON.stringify({ type: 'trade', sid: 2, msg: { market_ticker: T, yes_price_dollars: yesPrice, count_fp: count, taker_side: takerSide, ts_ms: T0 + dtMs } });
}

function rig(text: string, model: QueueModelName = 'pessimistic', speed = 1) {
  const clock = new SimClock(T0);
  const engine = new Engine({ clock, rng: new SeededRng(3) });
  for (const s of SERIES) engine.addSeries(s);
  const capture = parseReplayCapture(text);
  addReplayMarkets(engine, capture, clock.wallMs());
  engine.createAccount(ME, 1e6 * 1e6, { keepHistory: true });
  const driver = new ReplayDriver(engine, capture, { startMs: clock.wallMs(), speed, queueModel: model });
  driver.step(clock.wallMs());
  const to = (dtMs: number) => {
    clock.setWallMs(T0 + dtMs);
    driver.step(clock.wallMs());
  };
  const bid = (price: number, count: number) => {
    const r = engine.createOrder(ME, { ticker: T, side: 'bid', price, countCenti: count * 100, tif: 'good_till_canceled', stp: 'taker_at_cross', postOnly: true });
    if (!r.ok) throw new Error(r.message);
    return r.order;
  };
  const filled = () => engine.accounts.get(ME)!.fills.reduce((s, f) => s + f.countCenti, 0);
  const replayAt = (price: number) => {
    const book = engine.markets.get(T)!.book;
    const i = book.grid.indexOf(price);
    return [...book.bids[i], ...book.asks[i]].filter((o) => o.userId === REPLAY_USERS.book).reduce((s, o) => s + o.remainingCenti, 0);
  };
  return { engine, driver, clock, to, bid, filled, replayAt };
}

describe('replay capture parsing', () => {
  it('reads Kalshi raw frames and our capture.jsonl lines; NO bids become YES asks', () => {
    const raw = [snap([['0.4000', '100.00']], [['0.5500', '30.50']], false), '', delta(500, 'yes', '0.4000', '-10.00', 2)].join('\n');
    const a = parseReplayCapture(raw);
    const ours = raw
      .split('\n')
      .filter((l) => l)
      .map((l, i) => JSON.stringify({ recv_ns: 1e9 + i * 5e8, recv_ms: T0 + i * 500, frame: l }))
      .join('\n');
    const b = parseReplayCapture(ours);
    for (const c of [a, b]) {
      expect(c.markets.map((m) => [m.ticker, m.marketId])).toEqual([[T, 'mid-1']]);
      expect(c.events[0]).toMatchObject({ kind: 'snapshot', tMs: 0, bids: [[4000, 10000]], asks: [[4500, 3050]] });
      expect(c.events[1]).toMatchObject({ kind: 'delta', side: 'bid', price: 4000, deltaCenti: -1000 });
    }
    expect(a.events[1].tMs).toBe(0); // the snapshot has no time: offsets start at the first timed line
    expect(b.events[1].tMs).toBe(500);
  });

  it('pairs a print with its level delta in either order; the print plays first', () => {
    const deltaFirst = [snap([['0.4000', '100.00']], []), delta(100, 'yes', '0.4000', '-30.00', 2), print(150, '0.4000', '20.00', 'no')].join('\n');
    const c = parseReplayCapture(deltaFirst);
    expect(c.events.map((e) => e.kind)).toEqual(['snapshot', 'trade', 'delta']);
    expect(c.events[1]).toMatchObject({ tMs: 100, takerSide: 'ask', countCenti: 2000 });
    expect(c.events[2]).toMatchObject({ deltaCenti: -3000, tradedCenti: 2000 });
  });

  it('names the line of bad input', () => {
    expect(() => parseReplayCapture(`${snap([], [])}\nnot json`)).toThrow(/capture line 2 is not JSON/);
    expect(() => parseReplayCapture(delta(0, 'yes', 'abc', '1.00', 1))).toThrow(/capture line 1: price_dollars/);
    expect(() => rig(snap([], []), 'fast' as QueueModelName)).toThrow(/queue model must be one of pessimistic, proportional, optimistic/);
  });
});

describe('replay queue', () => {
  it('our order joins behind exactly the recorded size at its price, and new size queues behind us', () => {
    const r = rig([snap([['0.4000', '123.45'], ['0.3900', '50.00']], [['0.5500', '10.00']]), delta(1000, 'yes', '0.4000', '7.00', 2)].join('\n'));
    const o = r.bid(4000, 5);
    expect(r.engine.queuePositionCenti(ME, o.orderId)).toBe(12345);
    r.to(1000);
    expect(r.engine.queuePositionCenti(ME, o.orderId)).toBe(12345); // the +7 is behind us
    expect(r.engine.markets.get(T)!.book.bidTotal[r.engine.markets.get(T)!.book.grid.indexOf(4000)]).toBe(12345 + 500 + 700);
  });

  // Level 0.40 (the best bid): 100 recorded; we join with 20; +50 behind us; an unexplained -60;
  // then a print of 70 sold at 0.40 (with its delta). Each model places the -60 differently.
  const shared = [
    snap([['0.4000', '100.00'], ['0.3900', '500.00']], [['0.5500', '40.00']]),
    delta(1000, 'yes', '0.4000', '50.00', 2),
    delta(2000, 'yes', '0.4000', '-60.00', 3),
    print(3000, '0.4000', '70.00', 'no'),
    delta(3000, 'yes', '0.4000', '-70.00', 4),
  ].join('\n');
  const cases: Array<[QueueModelName, number, number]> = [
    // model, size ahead of us after the -60 (centi), our fill from the print (centi)
    ['pessimistic', 9000, 0], // -60 from the back: 50 behind us and 10 ahead
    ['proportional', 5766, 1234], // -60 over 100 ahead / 20 ours / 50 behind: 35.29 + our 7.05 ahead (we are not at the front), 17.66 behind
    ['optimistic', 4000, 2000], // -60 at the touch is a trade from the front
  ];
  for (const [model, aheadCenti, fill] of cases) {
    it(`${model}: queue after an unexplained decrease and fills from a print`, () => {
      const r = rig(shared, model);
      const o = r.bid(4000, 20);
      r.to(1000);
      r.to(2000);
      expect(r.engine.queuePositionCenti(ME, o.orderId)).toBe(aheadCenti);
      expect(r.filled()).toBe(0);
      r.to(3000);
      expect(r.filled()).toBe(fill);
      expect(r.driver.stats.ourFillCenti).toBe(fill);
      expect(r.engine.moneyImbalanceMicro()).toBe(0);
      // the print's delta was not removed twice: others' size = recorded 20 + what the print took from us instead of them
      expect(r.replayAt(4000)).toBe(2000 + fill);
      expect(r.driver.recordedBook(T)!.bids).toEqual([[3900, 50000], [4000, 2000]]);
      expect(r.driver.finished).toBe(true);
    });
  }

  it('a recorded ask that comes to our bid trades with us (the book moved through our price), in every model', () => {
    for (const model of ['pessimistic', 'proportional', 'optimistic'] as const) {
      const r = rig(
        [
          snap([['0.4000', '100.00']], [['0.5500', '40.00']]),
          delta(1000, 'yes', '0.4000', '-100.00', 2), // the level empties (a cancel or a trade: the model decides)
          delta(2000, 'no', '0.6000', '30.00', 3), // an ask at 0.40 appears
        ].join('\n'),
        model,
      );
      r.bid(4000, 10);
      r.to(1000);
      r.to(2000);
      expect(r.filled()).toBe(1000);
      // the rest of the recorded ask rests: 30 - our 10
      expect(r.engine.markets.get(T)!.book.askTotal[r.engine.markets.get(T)!.book.grid.indexOf(4000)]).toBe(2000);
    }
  });

  it('optimistic: a decrease below the touch is a cancel ahead of us, never a fill', () => {
    const r = rig([snap([['0.4000', '100.00'], ['0.3900', '80.00']], []), delta(1000, 'yes', '0.3900', '-50.00', 2)].join('\n'), 'optimistic');
    const o = r.bid(3900, 10);
    r.to(1000);
    expect(r.engine.queuePositionCenti(ME, o.orderId)).toBe(3000);
    expect(r.filled()).toBe(0);
  });

  it('a new snapshot sets every level to its recorded size, removing from the back; our place is kept', () => {
    const again = JSON.stringify({ type: 'orderbook_snapshot', sid: 1, seq: 9, msg: { market_ticker: T, yes_dollars_fp: [['0.4000', '60.00']], no_dollars_fp: [], ts_ms: T0 + 2000 } });
    const r = rig([snap([['0.4000', '100.00'], ['0.3800', '5.00']], [['0.5500', '40.00']]), delta(1000, 'yes', '0.4000', '30.00', 2), again].join('\n'), 'optimistic');
    const o = r.bid(4000, 10);
    r.to(1000);
    r.to(2000);
    // 100 ahead + 30 behind -> 60: from the back, the 30 behind us and 40 of those ahead go
    expect(r.engine.queuePositionCenti(ME, o.orderId)).toBe(6000);
    expect(r.replayAt(4000)).toBe(6000);
    expect(r.replayAt(3800)).toBe(0);
    expect(r.engine.markets.get(T)!.book.bestAsk()).toBe(0); // no asks in the new snapshot
    expect(r.filled()).toBe(0);
  });

  it('changes refused during an exchange pause are caught up from the recording at the first step after it', () => {
    const r = rig([snap([['0.4000', '100.00']], []), delta(1000, 'yes', '0.4000', '-40.00', 2), delta(2000, 'yes', '0.4100', '7.00', 3)].join('\n'));
    r.engine.pauseExchange();
    r.to(2000);
    expect(r.driver.stats.refused).toBe(2);
    expect(r.replayAt(4000)).toBe(10000);
    r.engine.resumeExchange();
    r.to(2050);
    expect(r.replayAt(4000)).toBe(6000);
    expect(r.replayAt(4100)).toBe(700);
  });

  it('speed scales time; the book stays as it is after the recording ends', () => {
    const r = rig([snap([['0.4000', '10.00']], []), delta(10_000, 'yes', '0.4100', '5.00', 2)].join('\n'), 'pessimistic', 10);
    expect(r.driver.endMs).toBe(T0 + 1000);
    r.to(999);
    expect(r.driver.finished).toBe(false);
    r.to(1000);
    expect(r.driver.finished).toBe(true);
    r.to(60_000);
    expect(r.engine.markets.get(T)!.book.bestBid()).toBe(4100);
  });
});

const here = dirname(fileURLToPath(import.meta.url));
const DEMO_CAPTURE = join(here, '../../../../shared/data/kalshi-ws-capture-2026-07-01/session.jsonl');
const haveDemo = existsSync(DEMO_CAPTURE);
if (!haveDemo) console.warn(`replay.test: ${DEMO_CAPTURE} is absent: the demo-capture replay test is skipped`);

/** The recording's final book computed directly from its frames (independent of capture.ts). */
function finalBooks(text: string): Map<string, { yes: Map<string, number>; no: Map<string, number> }> {
  const books = new Map<string, { yes: Map<string, number>; no: Map<string, number> }>();
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    const f = JSON.parse(line);
    const m = f.msg;
    if (f.type === 'orderbook_snapshot') {
      const b = { yes: new Map<string, number>(), no: new Map<string, number>() };
      for (const [p, q] of m.yes_dollars_fp ?? []) b.yes.set(p, Math.round(Number(q) * 100));
      for (const [p, q] of m.no_dollars_fp ?? []) b.no.set(p, Math.round(Number(q) * 100));
      books.set(m.market_ticker, b);
    } else if (f.type === 'orderbook_delta') {
      const lv = books.get(m.market_ticker)![m.side as 'yes' | 'no'];
      const v = (lv.get(m.price_dollars) ?? 0) + Math.round(Number(m.delta_fp) * 100);
      if (v > 0) lv.set(m.price_dollars, v);
      else lv.delete(m.price_dollars);
    }
  }
  return books;
}

describe.skipIf(!haveDemo)('the demo capture through the engine', () => {
  it('replays every market; at the end the engine book equals the recording', () => {
    const text = readFileSync(DEMO_CAPTURE, 'utf8');
    const clock = new SimClock(T0);
    const sched = new ManualScheduler(clock);
    const ex = new MemoryExchange({ clock, scheduler: sched, seed: 1, replay: { captureText: text, speed: 50 }, tier: 'unlimited' });
    const replay = ex.replay!;
    expect(ex.flow).toBeNull();
    expect(ex.markets().map((m) => m.spec.ticker)).toEqual([
      'KXBTCD-26JUL0317-T60499.99',
      'KXBTCD-26JUL0317-T60999.99',
      'KXNEXTTEAMNBA-26LJAM-CLE',
      'KXNEXTTEAMNBA-26LJAM-GSW',
      'KXNEXTTEAMNBA-26LJAM-MIA',
    ]);
    expect(ex.markets().every((m) => m.status === 'active' && m.spec.priceLevelStructure === 'linear_cent' && m.spec.closeTimeMs === T0 + REPLAY_CLOSE_AFTER_MS)).toBe(true);
    let steps = 0;
    while (!replay.finished) {
      clock.advanceMs(ex.stepPeriodMs);
      ex.step();
      steps++;
    }
    // ~315 s of recording at speed 50, 50 ms steps
    expect(steps).toBeGreaterThan(100);
    expect(steps).toBeLessThan(140);
    expect(replay.stats).toMatchObject({ snapshots: 5, deltas: 2885, prints: 0, inferredTrades: 0, refused: 0 });
    const want = finalBooks(text);
    for (const [ticker, b] of want) {
      const leg = (m: Map<string, number>) => [...m.entries()].map(([p, c]) => [p, (c / 100).toFixed(2)]).sort((x, y) => (x[0] < y[0] ? -1 : 1));
      const got = ex.book(ticker)!;
      expect(got.yes_dollars, ticker).toEqual(leg(b.yes));
      expect(got.no_dollars, ticker).toEqual(leg(b.no));
    }
    // and the driver's own view of the recording agrees
    const mia = replay.recordedBook('KXNEXTTEAMNBA-26LJAM-MIA')!;
    expect(mia.asks.map(([p, c]) => [((ONE_DOLLAR - p) / ONE_DOLLAR).toFixed(4), (c / 100).toFixed(2)]).sort()).toEqual(
      [...want.get('KXNEXTTEAMNBA-26LJAM-MIA')!.no.entries()].map(([p, c]) => [p, (c / 100).toFixed(2)]).sort(),
    );
    expect(ex.engine.accounts.get(REPLAY_USERS.book)!.positions.size).toBe(0); // nothing traded without us
  });
});
