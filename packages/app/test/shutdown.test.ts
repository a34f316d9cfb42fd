/**
 * The one shutdown path's decisions (system/shutdown.ts), with a fake clock and a signal bus:
 * the first signal (or request) starts the stop once; later signals are reported with the
 * presses left; FORCE_AFTER later signals within FORCE_WINDOW_MS force an exit only after
 * printing what is left; spaced signals never force; a terminal that went away (EIO) and
 * uncaught errors request the same stop; describeShutdown names what is left.
 */
import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { describeShutdown, FORCE_AFTER, FORCE_WINDOW_MS, FORCED_EXIT_CODE, ShutdownController, SignalPolicy, type ShutdownReportView } from '../src/system/shutdown.js';

function harness(resting: number | null = 4, orderExpiryS?: number) {
  let nowMs = 1000;
  const lines: string[] = [];
  const exits: number[] = [];
  const bus = new EventEmitter();
  const ctl = new ShutdownController({
    print: (l) => lines.push(l),
    restingNow: () => resting,
    describeLeft: () => ['MKT-A bid 0.42 x 2.00', 'MKT-B ask 0.58 x 2.00'],
    exit: (c) => exits.push(c),
    nowMs: () => nowMs,
    proc: bus,
    orderExpiryS,
  });
  ctl.install();
  return { ctl, bus, lines, exits, advance: (ms: number) => (nowMs += ms) };
}

describe('SignalPolicy', () => {
  it('starts once, then counts later signals within the window', () => {
    const p = new SignalPolicy();
    expect(p.onSignal(0)).toEqual({ action: 'start' });
    expect(p.onSignal(100)).toEqual({ action: 'report', pressesLeft: FORCE_AFTER - 1 });
    expect(p.onSignal(200)).toEqual({ action: 'report', pressesLeft: FORCE_AFTER - 2 });
    expect(p.onSignal(300)).toEqual({ action: 'force' });
  });

  it('spaced signals never force (the window slides)', () => {
    const p = new SignalPolicy();
    p.markStarted();
    for (let i = 0; i < 20; i++) expect(p.onSignal(i * (FORCE_WINDOW_MS / 2 + 1)).action).toBe('report');
  });
});

describe('ShutdownController', () => {
  it('SIGINT starts the stop; SIGINT again and SIGHUP are reported with the resting count and ignored', async () => {
    const h = harness();
    h.bus.emit('SIGINT');
    expect(await h.ctl.requested).toBe('SIGINT');
    h.advance(300);
    h.bus.emit('SIGINT');
    h.advance(3000);
    h.bus.emit('SIGHUP');
    expect(h.lines[1]).toBe('SIGINT: shutdown in progress, 4 orders resting; press Ctrl-C 2 more times within 2 s to force exit');
    expect(h.lines[2]).toBe('SIGHUP: shutdown in progress, 4 orders resting; press Ctrl-C 2 more times within 2 s to force exit');
    expect(h.exits).toEqual([]);
    expect(h.ctl.reason).toBe('SIGINT');
    expect(h.ctl.failed).toBe(false);
  });

  it('three quick signals during the stop force an exit, after printing what is left', () => {
    const h = harness(null);
    h.ctl.request('--duration 5 s reached');
    for (let i = 0; i < FORCE_AFTER; i++) {
      h.advance(100);
      h.bus.emit('SIGINT');
    }
    expect(h.exits).toEqual([FORCED_EXIT_CODE]);
    const forced = h.lines.findIndex((l) => l.startsWith('SIGINT: forced exit during shutdown; orders resting unknown'));
    expect(forced).toBeGreaterThan(0);
    expect(h.lines.slice(forced + 1, forced + 3)).toEqual(['  MKT-A bid 0.42 x 2.00', '  MKT-B ask 0.58 x 2.00']);
  });

  it('a forced exit says that what is left expires by itself within kmm_order_expiry_s', () => {
    const h = harness(2, 300);
    h.ctl.request('SIGTERM');
    for (let i = 0; i < FORCE_AFTER; i++) h.bus.emit('SIGINT');
    expect(h.exits).toEqual([FORCED_EXIT_CODE]);
    expect(h.lines[h.lines.length - 1]).toBe('unless cancelled, each expires on the exchange by itself within kmm_order_expiry_s (300 s) of its placement');
  });

  it('an uncaught error requests the same stop as a failure; a closed terminal (EIO) requests it quietly', async () => {
    const h = harness();
    h.bus.emit('uncaughtException', new Error('boom'));
    expect(await h.ctl.requested).toBe('error: boom');
    expect(h.ctl.failed).toBe(true);
    const g = harness();
    g.bus.emit('uncaughtException', Object.assign(new Error('write EIO'), { code: 'EIO' }));
    expect(await g.ctl.requested).toBe('terminal closed');
    expect(g.ctl.failed).toBe(false);
  });

  it('only the first request counts; uninstall removes every listener', () => {
    const h = harness();
    h.ctl.request('first');
    h.ctl.request('second', true);
    expect(h.ctl.reason).toBe('first');
    expect(h.ctl.failed).toBe(false);
    h.ctl.uninstall();
    for (const ev of ['SIGINT', 'SIGTERM', 'SIGHUP', 'uncaughtException', 'unhandledRejection']) expect(h.bus.listenerCount(ev)).toBe(0);
  });
});

describe('describeShutdown', () => {
  const base: ShutdownReportView = { verified: true, rounds: 1, restingLeft: 0, resting: [], fillsRead: true, fillsAtShutdown: 2, cancelAll: 'done', elapsedMs: 1200 };
  it('verified: ok, one line', () => {
    const d = describeShutdown(base);
    expect(d.ok).toBe(true);
    expect(d.lines[0]).toContain('shutdown verified');
  });
  it('not verified: names every order left, and never passes', () => {
    const d = describeShutdown({ ...base, verified: false, restingLeft: 1, resting: [{ market: 'MKT-A', side: 'bid', price: 4200, remainingCenti: 200, orderId: 'o-1', clientOrderId: 'kmm-1' }], error: 'timeout' });
    expect(d.ok).toBe(false);
    expect(d.lines.join('\n')).toContain('MKT-A bid 4200 x 2.00 order o-1 (kmm-1)');
  });
  it('not verified with orders left: says they expire by themselves within kmm_order_expiry_s', () => {
    const left = { ...base, verified: false, restingLeft: -1, resting: [{ market: 'MKT-A', side: 'bid', price: 4200, remainingCenti: 200, orderId: 'o-1', clientOrderId: 'kmm-1' }], error: 'timeout', orderExpiryS: 30 };
    expect(describeShutdown(left).lines).toContain('  unless cancelled, each expires on the exchange by itself within kmm_order_expiry_s (30 s) of its placement');
    // nothing left (only the fills read failed): no expiry line
    expect(describeShutdown({ ...left, restingLeft: 0, resting: [], fillsRead: false }).lines.join('\n')).not.toContain('expires');
  });
  it('no report (exec killed): not verified', () => {
    expect(describeShutdown(null).ok).toBe(false);
  });
});
