/**
 * Issue 14, items 2 and 4, in the deterministic simulation (virtual time, the whole system, the
 * exchange keeps trading during the stop): faults and signals of the shutdown window.
 *   - a 429 storm during the stop: cancels wait out the pause (no retry every tick), the stop
 *     still verifies once the storm ends, nothing rests, every fill is journaled exactly once;
 *   - a REST outage (every call 5xx, or every call hanging) during the stop: the same;
 *   - SIGINT twice and SIGHUP during the stop: reported, ignored, no forced exit, same checks;
 *   - a storm longer than kmm_shutdown_timeout_s: the stop gives up within its bound, is NOT
 *     verified, and names exactly the orders the exchange still shows resting; the exchange then
 *     runs on (runOnAfterStopS) and each of those orders expires at its expiration_time;
 *   - 20 consecutive graceful stops (seeded shutdown faults): each verified (what makes
 *     `kmm run` exit 0).
 * Requests are counted at the exchange; time is the simulation's.
 */
import { describe, expect, it } from 'vitest';
import { describeShutdown, runDst, type DstOptions, type DstResult, type ShutdownFault } from '@kmm/app';
import type { MemoryExchange } from '@kmm/sim';

const MINUTES = 0.5;
const END_S = MINUTES * 60;

interface Counted {
  r: DstResult;
  /** [virtual s, DELETE requests so far] sampled every 100 ms */
  deletes: Array<[number, number]>;
}

async function stopScenario(seed: number, extra: Partial<DstOptions> & { keepExchange?: (ex: MemoryExchange) => void }): Promise<Counted> {
  let deletes = 0;
  const samples: Array<[number, number]> = [];
  const { keepExchange, ...opts } = extra;
  const r = await runDst({
    seed,
    simMinutes: MINUTES,
    markets: 3,
    speed: 1,
    faults: false,
    ...opts,
    before: (ex) => {
      keepExchange?.(ex);
      const request = ex.request.bind(ex);
      ex.request = (method, path, headers, body) => {
        if (method === 'DELETE') deletes++;
        return request(method, path, headers, body);
      };
    },
    observeEveryMs: 100,
    observe: (v) => samples.push([v.nowS, deletes]),
  });
  return { r, deletes: samples };
}

function deletesBetween(c: Counted, fromS: number, toS: number): number {
  const at = (t: number): number => {
    let n = 0;
    for (const [s, d] of c.deletes) if (s <= t) n = d;
    return n;
  };
  return at(toS) - at(fromS);
}

function expectCleanStop(r: DstResult): void {
  expect(r.shutdown, r.problems.join('\n')).not.toBeNull();
  expect(r.shutdown!.verified, r.problems.join('\n')).toBe(true);
  expect(r.violations.resting, r.problems.join('\n')).toBe(0);
  expect(r.violations.fills, r.problems.join('\n')).toBe(0);
  expect(r.forcedExit).toBeNull();
  expect(r.ok, r.problems.join('\n')).toBe(true);
}

describe('shutdown under faults and signals (deterministic simulation)', () => {
  it('a 429 storm during the stop: cancels wait out the pause, then the stop verifies; every fill journaled once', async () => {
    const storm: ShutdownFault = { kind: 'shutdown_429_storm', atS: 0, durS: 6 };
    const c = await stopScenario(41, { shutdownFaults: [storm] });
    expectCleanStop(c.r);
    // the pause is rate_limit_pause_s (2 s): a cancel retry every 100 ms tick would be ~60 here
    const during = deletesBetween(c, END_S, END_S + storm.durS);
    console.log(`[shutdown.dst] 429 storm: ${during} DELETE requests in ${storm.durS} s; ${c.r.shutdown!.rounds} rounds, ${c.r.shutdown!.elapsedMs} ms, fills at shutdown ${c.r.shutdown!.fillsAtShutdown}, exchange fills ${c.r.fillsExchange}`);
    expect(during).toBeGreaterThan(0);
    expect(during).toBeLessThanOrEqual(2 * (storm.durS / 2 + 1));
    expect(c.r.shutdown!.elapsedMs).toBeGreaterThanOrEqual(storm.durS * 1000 - 500);
  });

  for (const kind of ['shutdown_rest_5xx', 'shutdown_rest_timeout'] as const) {
    it(`a REST outage during the stop (${kind}, 8 s): the stop retries within its bound and verifies`, async () => {
      const c = await stopScenario(43, { shutdownFaults: [{ kind, atS: 0, durS: 8 }] });
      expectCleanStop(c.r);
      console.log(`[shutdown.dst] ${kind}: ${c.r.shutdown!.rounds} rounds, ${c.r.shutdown!.elapsedMs} ms, fills at shutdown ${c.r.shutdown!.fillsAtShutdown}, exchange fills ${c.r.fillsExchange}`);
      expect(c.r.shutdown!.elapsedMs).toBeGreaterThanOrEqual(7000);
    });
  }

  it('SIGINT twice and SIGHUP during the stop are reported and ignored (no forced exit)', async () => {
    const c = await stopScenario(45, {
      shutdownFaults: [{ kind: 'shutdown_rest_5xx', atS: 0, durS: 5 }],
      shutdownSignals: [[0.2, 'SIGINT'], [0.4, 'SIGINT'], [3, 'SIGHUP']],
    });
    expectCleanStop(c.r);
    const reported = c.r.shutdownLines.filter((l) => l.includes('shutdown in progress'));
    expect(reported.length).toBe(3);
    expect(reported[0]).toMatch(/^SIGINT: shutdown in progress, \d+ orders resting; press Ctrl-C 2 more times within 2 s to force exit$/);
    expect(reported[1]).toContain('press Ctrl-C 1 more time within 2 s');
    expect(reported[2]).toMatch(/^SIGHUP: shutdown in progress/);
  });

  it('a 429 storm longer than kmm_shutdown_timeout_s: the stop ends within its bound, unverified, naming exactly what rests; those orders expire', async () => {
    const expiryS = 30;
    let ex: MemoryExchange | null = null;
    const c = await stopScenario(47, {
      set: { kmm_shutdown_timeout_s: 8, kmm_order_expiry_s: expiryS },
      shutdownFaults: [{ kind: 'shutdown_429_storm', atS: 0, durS: 60 }],
      // the exchange runs on after the stop (the storm still on): what was left must expire
      runOnAfterStopS: expiryS + 5,
      keepExchange: (x) => (ex = x),
    });
    const rep = c.r.shutdown!;
    expect(rep).not.toBeNull();
    expect(rep.verified).toBe(false);
    expect(rep.elapsedMs).toBeLessThanOrEqual(8000 + 500);
    expect(c.r.violations.shutdown).toBe(1);
    expect(c.r.violations.resting).toBeGreaterThan(0);
    // the exchange was never readable: the report names what exec knows it placed and did not see gone
    expect(rep.restingSource).toBe('kmm');
    const out = describeShutdown(rep);
    expect(out.ok).toBe(false);
    expect(c.r.problems.some((p) => p.includes('every one named')), c.r.problems.join('\n')).toBe(true);
    for (const o of rep.resting) expect(out.lines.join('\n')).toContain(o.orderId);
    expect(out.lines).toContain(`  unless cancelled, each expires on the exchange by itself within kmm_order_expiry_s (${expiryS} s) of its placement`);
    // every order named (and so every one the exchange held) ended by its expiration, or filled
    const end = new Map((ex as MemoryExchange | null)!.records().orders.map((o) => [String(o.order_id), o]));
    expect(end.size).toBeGreaterThan(0);
    expect([...end.values()].filter((o) => o.status === 'resting')).toEqual([]);
    let expired = 0;
    for (const o of rep.resting) {
      const e = end.get(o.orderId);
      if (!e || e.status === 'executed') continue; // never placed (its create met the storm), or filled
      expect(e.status).toBe('canceled');
      expect(Date.parse(String(e.last_update_time)), `order ${o.orderId} ended at its expiration`).toBeGreaterThanOrEqual(Date.parse(String(e.expiration_time)));
      expired++;
    }
    expect(expired, 'orders left by the unverified stop expired').toBeGreaterThan(0);
  });

  it('20 consecutive graceful stops (seeded shutdown faults): every one verified', async () => {
    const outcomes: string[] = [];
    for (let seed = 101; seed <= 120; seed++) {
      const r = await runDst({ seed, simMinutes: 0.2, markets: 1, speed: 1 });
      const d = describeShutdown(r.shutdown);
      outcomes.push(`${seed}:${r.shutdownFaults.map((f) => f.kind).join('+') || 'none'}:${d.ok ? 'ok' : 'FAILED'}`);
      expect(d.ok, `seed ${seed}: ${d.lines.join(' ')} ${r.problems.join('; ')}`).toBe(true);
      expect(r.ok, `seed ${seed}: ${r.problems.join('; ')}`).toBe(true);
    }
    console.log(`[shutdown.dst] 20 stops: ${outcomes.join(' ')}`);
  });
});
