/**
 * Issue 7 end to end, against a real demo (simulator + all actors), not a scripted source:
 *  - the dashboard in headless Chromium shows books and our quotes updating, a control works,
 *    and a request without the token is refused;
 *  - a config file change during the run takes effect without a restart (strategy reports the
 *    new value), and a bad change is rejected with a message naming the variable while the run
 *    goes on and ends cleanly (nothing of ours resting, run folder complete, tape has the seed's columns);
 *  - an editor's atomic save (temp file renamed over the config) raising MM_MAX_POS is held until
 *    the dashboard's ack_config control applies it (issue 14 item 8).
 * Waits are on events with deadlines, never on fixed sleeps.
 */
import { existsSync, mkdtempSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dashboardE2E, runDemo, CHROMIUM_PATH, type RunningSystem } from '@kmm/app';
import { DECISION_DRAINS_FILE, parseDecisionDrains } from '@kmm/shared';

const haveChromium = existsSync(CHROMIUM_PATH);

function next<T>(emitter: NodeJS.EventEmitter, event: string, timeoutMs: number, pred: (v: T) => boolean = () => true): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      emitter.off(event, on);
      reject(new Error(`no '${event}' event within ${timeoutMs} ms`));
    }, timeoutMs);
    const on = (v: T) => {
      if (!pred(v)) return;
      clearTimeout(timer);
      emitter.off(event, on);
      resolve(v);
    };
    emitter.on(event, on);
  });
}

describe.skipIf(!haveChromium)('kmm demo end to end (dashboard in Chromium, live config)', () => {
  it('serves a live dashboard with working controls and applies config changes without a restart', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kmm-demo-e2e-'));
    const configFile = join(dir, 'kmm.yaml');
    writeFileSync(configFile, 'MM_SPREAD_MULTIPLIER: 0.2\n');
    let e2e: Awaited<ReturnType<typeof dashboardE2E>> | null = null;
    let goodChange: { ok: boolean; message: string } | null = null;
    let badChange: { ok: boolean; message: string } | null = null;
    let strategyUpdated = false;
    let heldRaise: { pending: { key: string }[]; message: string } | null = null;
    let ackAnswer: { ok: boolean; result?: string } | null = null;

    const result = await runDemo({
      markets: 5,
      durationS: 3,
      seed: 11,
      out: join(dir, 'run'),
      config: configFile,
      dashboard: true,
      quiet: true,
      onRunning: async (sys: RunningSystem) => {
        e2e = await dashboardE2E(sys.dashboard!.url, sys.dashboard!.token, { screenshotPath: join(dir, 'dashboard.png'), timeoutMs: 30_000 });
        // a live-safe change in the watched file
        const applied = next<{ ok: boolean; message: string }>(sys.events, 'config', 15_000);
        const reported = next<{ event: string; json: string }>(sys.supervisor, 'ops', 15_000, (ev) => ev.event === 'config_updated' && ev.json.includes('MM_SPREAD_MULTIPLIER'));
        writeFileSync(configFile, 'MM_SPREAD_MULTIPLIER: 0.3\n');
        goodChange = await applied;
        strategyUpdated = !!(await reported);
        // a bad change: rejected, the old config stays, the run goes on
        const rejected = next<{ ok: boolean; message: string }>(sys.events, 'config', 15_000);
        writeFileSync(configFile, 'MM_SPREAD_MULTIPLIER: lots\n');
        badChange = await rejected;
        // an atomic save raising a risk limit: held, then applied by the dashboard's acknowledgement
        const held = next<{ pending: { key: string }[]; message: string }>(sys.events, 'config_reload', 15_000, (r) => r.pending.length > 0);
        writeFileSync(join(dir, 'kmm.yaml.tmp'), 'MM_SPREAD_MULTIPLIER: 0.3\nMM_MAX_POS: 6\n');
        renameSync(join(dir, 'kmm.yaml.tmp'), configFile);
        heldRaise = await held;
        const res = await fetch(new URL('/api/control', sys.dashboard!.url), {
          method: 'POST',
          headers: { authorization: `Bearer ${sys.dashboard!.token}`, 'content-type': 'application/json' },
          body: JSON.stringify({ kind: 'ack_config' }),
        });
        ackAnswer = (await res.json()) as { ok: boolean; result?: string };
      },
    });

    expect(e2e).not.toBeNull();
    const r = e2e!;
    expect(r.sawBookUpdate).toBe(true);
    expect(r.sawQuoteUpdate).toBe(true);
    expect(r.controlResult).toMatch(/pause/);
    expect(r.unauthenticatedStatus).toBe(401);
    expect(r.unauthenticatedLeaked).toBe(false);
    expect(r.consoleErrors).toEqual([]);

    expect(goodChange!.ok).toBe(true);
    expect(goodChange!.message).toMatch(/MM_SPREAD_MULTIPLIER 0\.2 -> 0\.3/);
    expect(strategyUpdated).toBe(true);
    expect(badChange!.ok).toBe(false);
    expect(badChange!.message).toMatch(/MM_SPREAD_MULTIPLIER/);
    expect(badChange!.message).toMatch(/lots/);
    expect(heldRaise!.pending.map((c) => c.key)).toEqual(['MM_MAX_POS']);
    expect(heldRaise!.message).toMatch(/NOT applied, raises a risk limit: MM_MAX_POS \d+ -> 6/);
    expect(ackAnswer).toMatchObject({ ok: true });
    expect(ackAnswer!.result).toMatch(/^ack-config: applied MM_MAX_POS \d+ -> 6$/);

    // the run ended cleanly with its folder
    expect(result.restingAfterShutdown).toBe(0);
    for (const f of ['ops.log', 'tape.csv', 'journal.jsonl', 'capture.jsonl', 'summary.json', 'report.html']) expect(existsSync(join(result.runDir, f))).toBe(true);
    expect(readFileSync(join(result.runDir, 'tape.csv'), 'utf8').split('\n')[0]).toBe('ts,ticker,mid,my_bid,my_ask,inventory,unrealized_pnl,realized_pnl,latency_ms');
    // the strategy's decision drains, beside the capture: each names a frame the capture holds (kmm backtest --like groups by them)
    const drainsPath = join(result.runDir, DECISION_DRAINS_FILE);
    const drains = parseDecisionDrains(readFileSync(drainsPath, 'utf8'), drainsPath);
    expect(drains.length).toBeGreaterThan(0);
    const captured = new Set(readFileSync(join(result.runDir, 'capture.jsonl'), 'utf8').split('\n').filter((l) => l).map((l) => (JSON.parse(l) as { recv_ns: number }).recv_ns));
    expect(drains.filter((d) => d.kind === 'book' && !captured.has(d.atNs))).toEqual([]);
    // and its ticks, four a second
    expect(drains.filter((d) => d.kind === 'tick').length).toBeGreaterThan(0);
    // and its fills, each at the receive time of a fill frame of the capture
    const fillFrames = new Set(readFileSync(join(result.runDir, 'capture.jsonl'), 'utf8').split('\n').filter((l) => l.includes('\\"type\\":\\"fill\\"')).map((l) => (JSON.parse(l) as { recv_ns: number }).recv_ns));
    expect(drains.filter((d) => d.kind === 'fill' && !fillFrames.has(d.atNs))).toEqual([]);
  });
});
