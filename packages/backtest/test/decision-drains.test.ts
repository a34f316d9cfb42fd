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
import { DECISION_DRAIN_HOLD_MAX_MS, runBacktest } from '../src/index.js';

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
const drainsAt = (recvNs: number[], lagMs = 0): DecisionDrain[] => recvNs.map((r) => ({ recvNs: r, drainNs: r + lagMs * 1e6 }));

async function play(drains: DecisionDrain[] | undefined): Promise<{ frames: number; messages: number; bookDecisionsMs: number[] }> {
  const dir = mkdtempSync(join(tmpdir(), 'kmm-bt-drains-'));
  const cap = join(dir, 'capture.jsonl');
  capture(cap);
  const out = join(dir, 'run');
  const r = await runBacktest({ capture: cap, set: { max_time_to_resolution_hours: 8760 }, queueModel: 'exchange', latencyMs: 1, seed: 1, out, decisionDrains: drains });
  const recs = readFileSync(join(out, 'decisions.jsonl'), 'utf8').split('\n').filter((l) => l).map((l) => JSON.parse(l) as { trigger: string; ts_ms: number });
  return { frames: r.counters.frames, messages: r.counters.busMessages, bookDecisionsMs: recs.filter((x) => x.trigger === 'book').map((x) => x.ts_ms - T0) };
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
});

