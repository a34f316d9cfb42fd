/**
 * `--like` with the run's decision drains (strategy-drains.csv): the frames the live strategy
 * decided on together reach the cores together, so the backtest's strategy decides on the book
 * states the live one saw, not on every intermediate one. Without a closing line, a held frame
 * waits at most DECISION_DRAIN_HOLD_MAX_MS.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { DecisionDrain } from '@kmm/shared';
import { DECISION_DRAIN_HOLD_MAX_MS, decisionFills, decisionTicks, runBacktest } from '../src/index.js';

const T0 = 1_790_000_000_000;
const BASE_NS = 5_000_000_000;
const GROUPS = 6;
const PER_GROUP = 5;
/** frames of a group 2 ms apart (each its own socket read), groups 1 s apart */
const recvNsOf = (g: number, i: number): number => BASE_NS + (1000 + g * 1000) * 1e6 + i * 2e6;

function capture(path: string): void {
  const lines: string[] = [];
  let seq = 0;
  const line = (recvNs: number, frame: unknown) => lines.push(JSON.stringify({ recv_ns: recvNs, recv_ms: T0 + Math.round((recvNs - BASE_NS) / 1e6), frame: JSON.stringify(frame) }));
  line(BASE_NS, { type: 'orderbook_snapshot', sid: 1, seq: ++seq, msg: { market_ticker: 'KXDRAIN-26-A', yes_dollars_fp: [['0.4500', '3000.00']], no_dollars_fp: [['0.5300', '2500.00']] } });
  for (let g = 0; g < GROUPS; g++) {
    for (let i = 0; i < PER_GROUP; i++) {
      line(recvNsOf(g, i), { type: 'orderbook_delta', sid: 1, seq: ++seq, msg: { market_ticker: 'KXDRAIN-26-A', price_dollars: '0.4500', delta_fp: i % 2 ? '-700.00' : '900.00', side: 'yes', ts_ms: T0 + 1000 + g * 1000 } });
    }
  }
  writeFileSync(path, lines.join('\n') + '\n');
}

/** drains closed by these receive times, each ending `lagMs` after it */
const drainsAt = (recvNs: number[], lagMs = 0): DecisionDrain[] => recvNs.map((r) => ({ kind: 'book', atNs: r, drainNs: r + lagMs * 1e6 }));
/** the strategy's ticks of a live run: each `lateMs` after its 250 ms grid point, its drain ending `drainMs` after that, up to `untilMs` */
const ticksAt = (lateMs: number, drainMs: number, untilMs: number): DecisionDrain[] =>
  Array.from({ length: Math.floor(untilMs / 250) }, (_, i) => BASE_NS + ((i + 1) * 250 + lateMs) * 1e6).map((f) => ({ kind: 'tick', atNs: f, drainNs: f + drainMs * 1e6 }));
/** drains in the order a live file has them (by drain end) */
const byEnd = (d: DecisionDrain[]): DecisionDrain[] => [...d].sort((a, b) => a.drainNs - b.drainNs);

async function play(drains: DecisionDrain[] | undefined): Promise<{ frames: number; messages: number; bookDecisionsMs: number[]; tickDecisionsMs: number[] }> {
  const dir = mkdtempSync(join(tmpdir(), 'kmm-bt-drains-'));
  const cap = join(dir, 'capture.jsonl');
  capture(cap);
  const out = join(dir, 'run');
  const r = await runBacktest({ capture: cap, set: { max_time_to_resolution_hours: 8760 }, queueModel: 'exchange', latencyMs: 1, seed: 1, out, decisionDrains: drains });
  const recs = readFileSync(join(out, 'decisions.jsonl'), 'utf8').split('\n').filter((l) => l).map((l) => JSON.parse(l) as { trigger: string; ts_ms: number });
  return { frames: r.counters.frames, messages: r.counters.busMessages, bookDecisionsMs: recs.filter((x) => x.trigger === 'book').map((x) => x.ts_ms - T0), tickDecisionsMs: recs.filter((x) => x.trigger === 'timer').map((x) => x.ts_ms - T0) };
}

describe('backtest: the recorded run’s decision drains', () => {
  it('without them every frame is a book drain of its own; with them one per live drain, and every frame still plays', async () => {
    const each = await play(undefined);
    const lastOfGroup = Array.from({ length: GROUPS }, (_, g) => recvNsOf(g, PER_GROUP - 1));
    const grouped = await play(drainsAt([BASE_NS, ...lastOfGroup]));
    expect(grouped.frames).toBe(each.frames);
    // the book shard drains a group at once: one features message to the strategy (and its copies)
    // instead of one per frame, so at least one message fewer per frame absorbed into a group
    expect(each.messages - grouped.messages).toBeGreaterThanOrEqual(GROUPS * (PER_GROUP - 1));
  });

  it('frames no recorded drain closes are held at most DECISION_DRAIN_HOLD_MAX_MS, then played together', async () => {
    // the groups span 8 ms, well inside the hold limit: each is released by the limit, as one burst
    expect((PER_GROUP - 1) * 2).toBeLessThan(DECISION_DRAIN_HOLD_MAX_MS);
    const held = await play(drainsAt([BASE_NS]));
    const lastOfGroup = Array.from({ length: GROUPS }, (_, g) => recvNsOf(g, PER_GROUP - 1));
    const grouped = await play(drainsAt([BASE_NS, ...lastOfGroup]));
    expect(held.frames).toBe(grouped.frames);
    expect(held.messages).toBe(grouped.messages);
  });

  it('a group reaches the strategy when its live drain ended, not when its last frame was received', async () => {
    const lastOfGroup = Array.from({ length: GROUPS }, (_, g) => recvNsOf(g, PER_GROUP - 1));
    const lastMs = lastOfGroup.map((ns) => (ns - BASE_NS) / 1e6);
    const sinceGroup = (ms: number): number => ms - Math.max(...lastMs.filter((l) => l <= ms));
    const now = await play(drainsAt([BASE_NS, ...lastOfGroup], 0));
    const late = await play(drainsAt([BASE_NS, ...lastOfGroup], 20));
    const after = (d: number[]) => d.filter((ms) => ms >= lastMs[0]).map(sinceGroup);
    expect(after(now.bookDecisionsMs).length).toBeGreaterThan(0);
    expect(after(now.bookDecisionsMs).every((x) => x < 1)).toBe(true);
    expect(after(late.bookDecisionsMs).length).toBe(after(now.bookDecisionsMs).length);
    expect(after(late.bookDecisionsMs).every((x) => x >= 20 && x < 21)).toBe(true);
  });

  it('a drain of one frame also reaches the strategy when the live drain ended (most drains of an idle run)', async () => {
    // every frame its own drain, each ending 20 ms after its frame: decisions move by 20 ms
    const every = Array.from({ length: GROUPS }, (_, g) => Array.from({ length: PER_GROUP }, (_, i) => recvNsOf(g, i))).flat();
    const now = await play(drainsAt([BASE_NS, ...every], 0));
    const late = await play(drainsAt([BASE_NS, ...every], 20));
    const frameMs = every.map((ns) => (ns - BASE_NS) / 1e6);
    // each decision is at a frame's time (+ 0 or + 20 ms), never in between
    const at = (d: number[], lagMs: number) => d.filter((ms) => ms >= frameMs[0]).map((ms) => frameMs.some((f) => Math.abs(ms - (f + lagMs)) < 1));
    expect(at(now.bookDecisionsMs, 0).length).toBeGreaterThan(0);
    expect(at(now.bookDecisionsMs, 0).every(Boolean)).toBe(true);
    expect(at(late.bookDecisionsMs, 20).length).toBe(at(now.bookDecisionsMs, 0).length);
    expect(at(late.bookDecisionsMs, 20).every(Boolean)).toBe(true);
    expect(at(late.bookDecisionsMs, 0).some(Boolean)).toBe(false);
  });

  it('the strategy ticks when the live one did (its recorded firings), else on its 250 ms grid', async () => {
    const lastOfGroup = Array.from({ length: GROUPS }, (_, g) => recvNsOf(g, PER_GROUP - 1));
    const book = drainsAt([BASE_NS, ...lastOfGroup]);
    const grid = await play(book);
    const untilMs = (GROUPS + 2) * 1000;
    const late = await play(byEnd([...book, ...ticksAt(1.7, 0.6, untilMs)]));
    // the start-up check passes on a tick and quotes every market: a decision of trigger 'timer'
    expect(grid.tickDecisionsMs.length).toBeGreaterThan(0);
    expect(grid.tickDecisionsMs.every((ms) => ms % 250 === 0)).toBe(true);
    expect(late.tickDecisionsMs.length).toBeGreaterThan(0);
    // a tick's handler sees the time it fired live (wall ms, whole): 1.7 ms after the grid point
    expect(late.tickDecisionsMs.every((ms) => ms % 250 === 1)).toBe(true);
  });
});

describe('decisionTicks: the recorded ticks on the capture timeline', () => {
  it('each tick with when it fired and its drain ended, and whether its drain handled features before it', () => {
    const lines = [{ recvNs: 1000 }, { recvNs: 2000 }] as Parameters<typeof decisionTicks>[0];
    const drains: DecisionDrain[] = [
      { kind: 'tick', atNs: 900, drainNs: 950 },
      { kind: 'book', atNs: 1000, drainNs: 1500 },
      { kind: 'tick', atNs: 1200, drainNs: 1500 },
      { kind: 'book', atNs: 2000, drainNs: 2600 },
      { kind: 'tick', atNs: 2500, drainNs: 2700 },
    ];
    expect(decisionTicks(lines, drains)).toEqual([
      { firedNs: -100, drainNs: -50, afterEarlier: false },
      { firedNs: 200, drainNs: 500, afterEarlier: true },
      // the book line before it closed an earlier drain
      { firedNs: 1500, drainNs: 1700, afterEarlier: false },
    ]);
    // a tick after a fill of a drain that began with features: after the features too
    expect(decisionTicks(lines, [{ kind: 'book', atNs: 1000, drainNs: 1500 }, { kind: 'fill', atNs: 1100, drainNs: 1500 }, { kind: 'tick', atNs: 1200, drainNs: 1500 }])).toEqual([{ firedNs: 200, drainNs: 500, afterEarlier: true }]);
    // a file without ticks (an older KMM's) or no file: the grid
    expect(decisionTicks(lines, drains.filter((d) => d.kind === 'book'))).toBeNull();
    expect(decisionTicks(lines, undefined)).toBeNull();
  });
});

describe('decisionFills: the recorded fills as the strategy got them', () => {
  it("each fill event's frame (market, side, price, size), when it was received and its drain ended, and whether features came first", () => {
    const fillLine = (recvNs: number, yesPrice: number) => ({ recvNs, recvMs: 0, frame: { kind: 'fill', sid: 1, tsMs: 0, market: 'KXF-26-A', body: { market: 'KXF-26-A', side: 2, yesPrice, countCenti: 200, isTaker: false } } });
    const lines = [{ recvNs: 1000, recvMs: 0, frame: { kind: 'delta' } }, fillLine(1500, 6100), fillLine(2500, 6200)] as unknown as Parameters<typeof decisionFills>[0];
    const drains: DecisionDrain[] = [
      { kind: 'book', atNs: 1000, drainNs: 1800 },
      { kind: 'fill', atNs: 1500, drainNs: 1800 },
      { kind: 'fill', atNs: 2500, drainNs: 2900 },
      // a fill frame the capture lacks (dropped): none
      { kind: 'fill', atNs: 2600, drainNs: 2950 },
    ];
    expect(decisionFills(lines, drains)).toEqual([
      { market: 'KXF-26-A', side: 2, yesPrice: 6100, countCenti: 200, recvNs: 500, drainNs: 800, afterEarlier: true },
      { market: 'KXF-26-A', side: 2, yesPrice: 6200, countCenti: 200, recvNs: 1500, drainNs: 1900, afterEarlier: false },
    ]);
    expect(decisionFills(lines, drains.filter((d) => d.kind !== 'fill'))).toEqual([]);
    expect(decisionFills(lines, undefined)).toEqual([]);
  });
});

describe('backtest: the recorded run’s fills reach exec when its strategy got them', () => {
  /** a 0.46 / 0.52 book, prints through both sides every 2 s (our quotes fill); `fills`: the recorded run's own fill frames (recv ms) */
  function tradingCapture(path: string, fills: Array<{ atMs: number; side: number; yesPrice: number; countCenti: number }> = []): number[] {
    const rows: Array<{ ms: number; frame: unknown }> = [];
    const m = 'KXFILL-26-A';
    let seq = 0;
    rows.push({ ms: 0, frame: { type: 'orderbook_snapshot', sid: 1, seq: ++seq, msg: { market_ticker: m, yes_dollars_fp: [['0.4500', '300.00'], ['0.4600', '200.00']], no_dollars_fp: [['0.4700', '250.00'], ['0.4800', '150.00']] } } });
    for (let s = 1; s <= 30; s++) {
      const dt = s * 1000;
      rows.push({ ms: dt, frame: { type: 'orderbook_delta', sid: 1, seq: ++seq, msg: { market_ticker: m, price_dollars: '0.4600', delta_fp: s % 2 ? '-5.00' : '5.00', side: 'yes', ts_ms: T0 + dt } } });
      if (s % 2 === 0) rows.push({ ms: dt + 1, frame: { type: 'trade', sid: 2, msg: { trade_id: `t${s}`, market_ticker: m, yes_price_dollars: s % 4 ? '0.6500' : '0.3500', count_fp: '50.00', taker_side: s % 4 ? 'yes' : 'no', ts_ms: T0 + dt + 1 } } });
    }
    for (const f of fills) {
      const price = (f.yesPrice / 10000).toFixed(4);
      rows.push({ ms: f.atMs, frame: { type: 'fill', sid: 3, msg: { trade_id: `f${f.atMs}`, order_id: `o${f.atMs}`, market_ticker: m, is_taker: false, yes_price_dollars: price, count_fp: (f.countCenti / 100).toFixed(2), book_side: f.side === 1 ? 'bid' : 'ask', fee_cost: '0.0000', post_position_fp: '0.00', ts_ms: T0 + f.atMs } } });
    }
    rows.sort((a, b) => a.ms - b.ms);
    writeFileSync(path, rows.map((r) => JSON.stringify({ recv_ns: BASE_NS + r.ms * 1e6, recv_ms: T0 + Math.floor(r.ms), frame: JSON.stringify(r.frame) })).join('\n') + '\n');
    return rows.map((r) => BASE_NS + r.ms * 1e6);
  }
  async function fillsOf(cap: string, drains: DecisionDrain[]): Promise<Array<{ t: number; side: number; yes_price: number; count_centi: number }>> {
    const out = join(cap + '-run');
    await runBacktest({ capture: cap, set: { max_time_to_resolution_hours: 8760 }, queueModel: 'exchange', latencyMs: 1, seed: 1, out, decisionDrains: drains });
    return readFileSync(join(out, 'journal.jsonl'), 'utf8').split('\n').filter((l) => l.includes('"k":"fill"')).map((l) => JSON.parse(l));
  }

  it('a fill of the venue that the run also had is handed on at the end of the live drain that handled it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kmm-bt-fills-'));
    const first = join(dir, 'first.jsonl');
    const recvs = tradingCapture(first);
    const book = recvs.map((r): DecisionDrain => ({ kind: 'book', atNs: r, drainNs: r }));
    const base = await fillsOf(first, book);
    expect(base.length).toBeGreaterThan(0);
    // the same market as a recorded run that had these fills: each fill frame 0.5 ms before its
    // print, its strategy drain ending 7 ms after that
    const fills = base.map((f) => ({ atMs: f.t - T0 - 0.5, side: f.side, yesPrice: f.yes_price, countCenti: f.count_centi }));
    const second = join(dir, 'second.jsonl');
    tradingCapture(second, fills);
    const events = [...book, ...fills.map((f): DecisionDrain => ({ kind: 'fill', atNs: BASE_NS + f.atMs * 1e6, drainNs: BASE_NS + (f.atMs + 7) * 1e6 }))].sort((a, b) => a.drainNs - b.drainNs);
    const replayed = await fillsOf(second, events);
    expect(replayed.map((f) => [f.side, f.yes_price, f.count_centi])).toEqual(base.map((f) => [f.side, f.yes_price, f.count_centi]));
    // exec got each 6.5 ms later than at once (journal times are whole ms)
    replayed.forEach((f, i) => expect(f.t - base[i].t).toBeGreaterThanOrEqual(6));
    replayed.forEach((f, i) => expect(f.t - base[i].t).toBeLessThanOrEqual(7));
  });

  it('a fill and a tick of one drain both after its features: each runs once the instant has settled, in order (no hang)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kmm-bt-fills-'));
    const first = join(dir, 'first.jsonl');
    const book = tradingCapture(first).map((r): DecisionDrain => ({ kind: 'book', atNs: r, drainNs: r }));
    const base = await fillsOf(first, book);
    expect(base.length).toBeGreaterThan(0);
    const fills = base.map((f) => ({ atMs: f.t - T0 - 0.5, side: f.side, yesPrice: f.yes_price, countCenti: f.count_centi }));
    const second = join(dir, 'second.jsonl');
    tradingCapture(second, fills);
    // the grid's ticks, and in each fill's drain (after the features of the print before it) the fill, then a tick
    const events = [
      ...book,
      ...ticksAt(0, 0, 32_000),
      ...fills.flatMap((f): DecisionDrain[] => [
        { kind: 'book', atNs: BASE_NS + (f.atMs + 0.5) * 1e6, drainNs: BASE_NS + (f.atMs + 7) * 1e6 },
        { kind: 'fill', atNs: BASE_NS + f.atMs * 1e6, drainNs: BASE_NS + (f.atMs + 7) * 1e6 },
        { kind: 'tick', atNs: BASE_NS + (f.atMs + 6) * 1e6, drainNs: BASE_NS + (f.atMs + 7) * 1e6 },
      ]),
    ].sort((a, b) => a.drainNs - b.drainNs);
    const replayed = await fillsOf(second, events);
    expect(replayed.length).toBeGreaterThan(0);
  });
});
