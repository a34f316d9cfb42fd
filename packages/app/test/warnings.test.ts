import { describe, expect, it } from 'vitest';
import { WarningAggregator } from '../src/system/warnings.js';

const risk = (market: string, reason: string) => ({ actor: 'exec', event: 'risk_block_bid_side', market, level: 'warn', json: JSON.stringify({ market, reason }) });

describe('WarningAggregator (quiet terminal)', () => {
  it('prints one line per event, market and reason per interval, with a count', () => {
    const w = new WarningAggregator();
    for (let i = 0; i < 30; i++) expect(w.add(risk('A', `AT_OR_OVER_CAP (position=${i % 6}, max=5)`))).toBeNull();
    for (let i = 0; i < 4; i++) w.add(risk('A', 'WOULD_EXCEED_CAP (position=4, resting=1, projected=6, max=5)'));
    for (let i = 0; i < 7; i++) w.add(risk('B', 'AT_OR_OVER_CAP (position=5, max=5)'));
    w.add({ actor: 'exec', event: 'info_thing', market: 'A', level: 'info', json: '{}' });
    const lines = w.flush();
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/x30 \[exec\] risk_block_bid_side AT_OR_OVER_CAP A /);
    expect(lines[1]).toMatch(/x7 .*AT_OR_OVER_CAP B /);
    expect(lines[2]).toMatch(/x4 .*WOULD_EXCEED_CAP A /);
    // a new interval starts empty
    expect(w.flush()).toEqual([]);
  });

  it('stays readable on many markets: at most maxLines lines plus one line summing the rest', () => {
    const w = new WarningAggregator(12);
    for (let m = 0; m < 20; m++) for (let i = 0; i <= m; i++) w.add(risk(`M${m}`, 'AT_OR_OVER_CAP'));
    const lines = w.flush();
    expect(lines).toHaveLength(13);
    expect(lines[0]).toMatch(/x20 .* M19 /);
    // the 8 least frequent markets (1 + ... + 8 = 36 warnings) are summed
    expect(lines[12]).toMatch(/36 more warnings over 8 more market\/reason pairs/);
  });

  it('prints the first error of a key at once and counts its repeats', () => {
    const w = new WarningAggregator();
    const err = { actor: 'exec', event: 'order_group_triggered', market: 'A', level: 'error', json: '{"order_group_id":"g"}' };
    expect(w.add(err)).toMatch(/ERROR order_group_triggered A/);
    expect(w.add(err)).toBeNull();
    expect(w.add(err)).toBeNull();
    expect(w.flush()).toEqual([expect.stringMatching(/^ {2}error x2 \[exec\] order_group_triggered A/)]);
  });
});
