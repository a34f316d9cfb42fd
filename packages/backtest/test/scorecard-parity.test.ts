/**
 * The scorecard of a backtest (computed in the run, from its in-memory journal and the capture it
 * replayed) equals the scorecard of its run folder read back the way a live or paper run's is
 * (scorecardOfRunFolder: journal.jsonl + the capture), for the default and the naive strategy;
 * and kmm_strategy=naive really changes the quotes (not the same scorecard).
 */
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runBacktest, scorecardOfRunFolder } from '../src/index.js';

/** A capture in our format: a 0.46 / 0.52 book (6c wide: naive's mid ± 1c and the default's placement differ), then prints through both sides every 2 s. */
function syntheticCapture(path: string): void {
  const lines: string[] = [];
  const t0Ns = 5_000_000_000;
  const t0Ms = 1_790_000_000_000;
  let seq = 0;
  const line = (dtMs: number, frame: unknown) => lines.push(JSON.stringify({ recv_ns: t0Ns + dtMs * 1e6, recv_ms: t0Ms + dtMs, frame: JSON.stringify(frame) }));
  const m = 'KXTEST-26-A';
  line(0, { type: 'orderbook_snapshot', sid: 1, seq: ++seq, msg: { market_ticker: m, yes_dollars_fp: [['0.4500', '300.00'], ['0.4600', '200.00']], no_dollars_fp: [['0.4700', '250.00'], ['0.4800', '150.00']] } });
  for (let s = 1; s <= 90; s++) {
    const dt = s * 1000;
    line(dt, { type: 'orderbook_delta', sid: 1, seq: ++seq, msg: { market_ticker: m, price_dollars: '0.4600', delta_fp: s % 2 ? '-5.00' : '5.00', side: 'yes', ts_ms: t0Ms + dt } });
    if (s % 2 === 0) line(dt + 1, { type: 'trade', sid: 2, msg: { trade_id: `t${s}`, market_ticker: m, yes_price_dollars: s % 4 ? '0.6500' : '0.3500', count_fp: '50.00', taker_side: s % 4 ? 'yes' : 'no', ts_ms: t0Ms + dt + 1 } });
  }
  writeFileSync(path, lines.join('\n') + '\n');
}

describe('scorecard: backtest and run folder compute it identically', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kmm-sc-'));
  const capture = join(dir, 'capture.jsonl');
  syntheticCapture(capture);

  it('default and naive: the in-run scorecard equals the run folder\'s', async () => {
    const cards = [];
    for (const strategy of ['default', 'naive']) {
      const out = join(dir, strategy);
      const r = await runBacktest({ capture, set: { max_time_to_resolution_hours: 8760, kmm_strategy: strategy }, queueModel: 'prob-power', latencyMs: 5, seed: 1, out });
      expect(r.scorecard.fills).toBeGreaterThan(0);
      // the backtest folder (its capture named in backtest.json)
      expect(scorecardOfRunFolder(out)).toEqual(r.scorecard);
      // a live run's folder: the same journal beside the capture it recorded
      const live = join(dir, `live-${strategy}`);
      const { mkdirSync } = await import('node:fs');
      mkdirSync(live);
      for (const f of ['journal.jsonl', 'summary.json', 'markets.json']) copyFileSync(join(out, f), join(live, f));
      copyFileSync(capture, join(live, 'capture.jsonl'));
      expect(scorecardOfRunFolder(live)).toEqual(r.scorecard);
      expect(JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')).scorecard).toEqual(r.scorecard);
      cards.push(r.scorecard);
    }
    expect(cards).toHaveLength(2);
    // kmm_strategy=naive really changes the quotes: the prices each run placed differ (the
    // scorecards may coincide on so small a capture: both can fill on the same prints)
    const placedPrices = (strategy: string): string => readFileSync(join(dir, strategy, 'journal.jsonl'), 'utf8')
      .split('\n').filter((l) => l.includes('"k":"cmd"')).map((l) => JSON.stringify((JSON.parse(l) as { orders: Array<{ price: number }> }).orders.map((o) => o.price))).join(';');
    expect(placedPrices('naive')).not.toEqual(placedPrices('default'));
  }, 60_000);
});
