/**
 * The whole system (ingest, books, strategy, exec over REST and websocket) against the replay
 * market, as deterministic simulations (runDst over MemoryExchange with `replay`): on the demo
 * capture (real recorded books: every market quoted, a verified clean shutdown) and on a small
 * recording whose book gaps through our quotes (our fills come only from the
 * recording; every DST invariant holds: fills journaled once, positions equal the exchange's,
 * nothing rests after shutdown). Virtual time only.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { DST_START_WALL_MS, runDst, type DstOptions } from '@kmm/app';
import type { MemoryExchange } from '@kmm/sim';

const here = dirname(fileURLToPath(import.meta.url));
const DEMO_CAPTURE = join(here, '../../shared/data/kalshi-ws-capture-2026-07-01/session.jsonl');
const haveDemo = existsSync(DEMO_CAPTURE);
if (!haveDemo) console.warn(`replay-market.dst.test: ${DEMO_CAPTURE} is absent: the demo-capture run is skipped`);

async function run(o: Partial<DstOptions> & Pick<DstOptions, 'replay' | 'markets'>) {
  let ex: MemoryExchange | null = null;
  const r = await runDst({ seed: 5, simMinutes: 1, faults: false, shutdownFaults: [], shutdownSignals: [], before: (e) => (ex = e), ...o });
  expect(r.problems, r.problems.join('; ')).toEqual([]);
  expect(r.ok).toBe(true);
  expect(r.shutdown?.verified).toBe(true);
  const records = ex!.records();
  const quoted = new Set(records.orders.map((x) => String(x.ticker)));
  return { r, records, quoted, replay: ex!.replay! };
}

describe.skipIf(!haveDemo)('the system on the demo capture', () => {
  it('quotes every recorded market and shuts down cleanly', async () => {
    const { r, quoted, replay } = await run({ markets: 5, replay: { captureText: readFileSync(DEMO_CAPTURE, 'utf8'), speed: 6, queueModel: 'optimistic' } });
    expect(quoted.size).toBe(5);
    expect(replay.finished).toBe(true); // 315 s of recording at speed 6 (53 s) in the 60 s run
    expect(replay.stats.deltas).toBe(2885);
    // the recorded touches never move and our quotes sit behind them: no fill is the truthful answer
    expect(r.fillsExchange).toBe(0);
  });
});

/**
 * One market whose book gaps: 0.45/0.55 down to 0.30/0.40 at 10 s, back up at 25 s, down again at
 * 40 s. A gap crosses the quotes we had around the old mid, as a news move would.
 */
function gappingCapture(): string {
  const T = 'KXREPLAY-26JAN01-X';
  const t0 = DST_START_WALL_MS; // any time: offsets count from the first timed line
  const lines: string[] = [];
  let seq = 1;
  const dollars = (c: number) => (c / 100).toFixed(4);
  lines.push(JSON.stringify({ type: 'orderbook_snapshot', sid: 1, seq: seq++, msg: { market_ticker: T, market_id: 'm-x', yes_dollars_fp: [[dollars(45), '20.00']], no_dollars_fp: [[dollars(45), '20.00']], ts_ms: t0 } }));
  const delta = (tS: number, side: 'yes' | 'no', cents: number, d: string) =>
    lines.push(JSON.stringify({ type: 'orderbook_delta', sid: 1, seq: seq++, msg: { market_ticker: T, price_dollars: dollars(cents), delta_fp: d, side, ts_ms: t0 + tS * 1000 } }));
  // (bid, ask) in cents -> (bid, ask): the new levels first, then the old ones leave
  const move = (tS: number, from: [number, number], to: [number, number]) => {
    delta(tS, 'yes', to[0], '20.00');
    delta(tS, 'no', 100 - to[1], '20.00');
    delta(tS, 'yes', from[0], '-20.00');
    delta(tS, 'no', 100 - from[1], '-20.00');
  };
  move(10, [45, 55], [30, 40]);
  move(25, [30, 40], [45, 55]);
  move(40, [45, 55], [30, 40]);
  return lines.join('\n');
}

describe('the system on a recording that moves through our quotes', () => {
  it('fills only from the recording; every invariant holds', async () => {
    const { r, records, quoted } = await run({ markets: 1, replay: { captureText: gappingCapture(), speed: 1, queueModel: 'pessimistic' } });
    expect([...quoted]).toEqual(['KXREPLAY-26JAN01-X']);
    expect(r.fillsExchange).toBeGreaterThan(0);
    // every fill of ours was against a recorded level that moved through our quote: gaps at 10, 25 and 40 s
    const fillS = records.fills.map((f) => (Date.parse(String(f.created_time)) - DST_START_WALL_MS) / 1000);
    for (const t of fillS) expect([10, 25, 40]).toContain(t);
    expect(records.fills.every((f) => f.is_taker === false)).toBe(true); // we were the resting side
  });
});
