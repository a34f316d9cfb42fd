/**
 * Exec's periodic reads (queue positions, markets) run on a fixed grid from the core's start:
 * the first tick at or after start + k x period. A live timer's ticks come late by a varying
 * amount; with "last poll = now" every late tick shifted all later polls (about half a tick per
 * poll, ~0.5 s a minute at 5 s polls), so a backtest, whose ticks are exact, polled (and so
 * calibrated queues and re-decided quotes) at other times than the run it reproduces.
 */
import { describe, expect, it } from 'vitest';
import { ackAll, readyCore, target } from './helpers.js';

describe('exec periodic reads on a fixed grid', () => {
  it('late ticks do not shift later queue-position polls', () => {
    const { core } = readyCore({ queuePositionPollMs: 1000 });
    const fx = core.onTargets(target(4800, 5200), 1);
    core.onCommandResult(ackAll(fx.commands[0]), 2);
    // ticks every 100 ms; those of 1000 and 3000 come 90 and 50 ms late: the polls after them stay on the grid
    const ticks: number[] = [];
    for (let t = 100; t <= 5000; t += 100) ticks.push(t === 1000 ? 1090 : t === 3000 ? 3050 : t);
    const polls = ticks.filter((t) => core.onTimer(t).reads.some((r) => r.kind === 'queue_positions'));
    expect(polls).toEqual([1090, 2000, 3050, 4000, 5000]);
    // a tick missed for longer than a period: the next poll at once, then back on the grid
    const late: number[] = [];
    for (const t of [7310, 7360, 7960, 8010, 9000]) if (core.onTimer(t).reads.some((r) => r.kind === 'queue_positions')) late.push(t);
    expect(late).toEqual([7310, 8010, 9000]);
  });
});
