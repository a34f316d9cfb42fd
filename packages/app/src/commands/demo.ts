/**
 * `kmm demo`: the built-in simulator plus the full actor system making markets on N markets,
 * with a live terminal summary, a clean shutdown (cancel all, verify nothing of ours rests),
 * a run folder (ops.log, tape.csv, journal, capture, report.html) and a short summary.
 */
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { demoLoadOptions, describeKillSwitch, describeProfile, loadForCommand } from './startup-config.js';
import { readFileSync } from 'node:fs';
import { scorecardOfRunFolder, SIM_QUEUE_FILE } from '@kmm/backtest';
import { parseReplayCapture, resolveProfile, startSimThread, type QueueModelName, type SimThreadHandle } from '@kmm/sim';
import { generateReport } from '../report/index.js';
import { fetchMarkets } from '../system/markets.js';
import { startSystem, type RunningSystem } from '../system/system.js';
import { openRunDir } from '../system/run-dir.js';
import type { RunSummary } from '../system/monitor.js';
import type { LoadedConfig } from '@kmm/shared';
import { renderLive } from './live.js';
import type { ShutdownReport } from '@kmm/exec-worker';
import { describeWorking, ShutdownController, waitForStop } from '../system/shutdown.js';

export interface DemoOptions {
  markets: number;
  durationS: number;
  seed: number;
  out?: string;
  config?: string;
  set?: Record<string, string>;
  /** --dashboard / --no-dashboard; undefined = kmm_dashboard */
  dashboard?: boolean;
  /** --dashboard-port; undefined = kmm_dashboard_port if set (file/env/--set), else any free port */
  dashboardPort?: number;
  /** time scale of the simulator's flow: every rate x this (default 1, real time) */
  speed?: number;
  /** replay market (`--replay`): the simulator's books come from this capture; `speed` is then its time scale */
  replay?: { capturePath: string; queueModel?: QueueModelName };
  /** market profile of the simulator's flow: a built-in name or a JSON file (default 'active') */
  profile?: string;
  shards?: number;
  /** record every actor's inputs and outputs to <run>/inputs/ (replay-parity: `replayRecording`) */
  recordInputs?: boolean;
  quiet?: boolean;
  /** called once the system runs (tests, chaos) */
  onRunning?: (sys: RunningSystem, sim: SimThreadHandle) => void | Promise<void>;
}

export interface DemoResult {
  runDir: string;
  summary: RunSummary;
  restingAfterShutdown: number;
  reportPath: string | null;
  dashboardUrl: string | null;
  /** exec's shutdown report (null: exec never reported; absent: not a demo run) */
  shutdown?: ShutdownReport | null;
  /** why the run stopped (duration, a signal, an error) */
  stopReason?: string;
  /** the run was stopped by an error (the command exits non-zero) */
  stoppedByError?: boolean;
  /** the simulator's market profile and time scale (demo runs) */
  profile?: string;
  timeScale?: number;
}

/** One line saying which market the demo trades in and how fast its time runs. */
export function describeMarket(profile: string, timeScale: number): string {
  if (profile === 'replay') {
    const pace = timeScale === 1 ? 'real time' : `${timeScale}x the recording's pace`;
    return `simulated market: replay of a recording (README "Replay market"); ${pace}`;
  }
  const calibrated = profile === 'synthetic' ? 'the uncalibrated synthetic flow' : `calibrated to real Kalshi recordings (README "Simulator market profiles")`;
  const scale = timeScale === 1 ? 'time scale 1x (real time)' : `time scale ${timeScale}x: every flow rate x${timeScale}, so ${timeScale} s of market happen in each second of the run; KMM's market-time windows and the rate limits follow it (kmm_time_scale ${timeScale})`;
  return `simulated market: profile ${profile}, ${calibrated}; ${scale}`;
}

/**
 * The run folder: `--out` when given, else `<parent>/<label>-<time>` with parent = kmm_run_dir
 * (relative to the working directory).
 */
export function newRunDir(base: string | undefined, label: string, parent = 'runs'): string {
  const stamp = new Date().toISOString().replace(/[:.]/g, '-').replace('T', '_').slice(0, 19);
  // private (0700) and locked: one owner per run folder (system/run-dir.ts)
  return openRunDir(resolve(base ?? join(resolve(parent), `${label}-${stamp}`))).dir;
}

/**
 * Dashboard on/off and port: the CLI flag wins, else the config keys kmm_dashboard and
 * kmm_dashboard_port. `portWhenDefault` is the command's own port when the key is at its
 * registry default (demo: 0, any free port, so parallel demos never collide).
 */
export function dashboardChoice(
  loaded: LoadedConfig, flag: boolean | undefined, portFlag: number | undefined, portWhenDefault?: number,
): { dashboard: boolean; dashboardPort: number } {
  const v = loaded.values;
  const keyPort = portWhenDefault !== undefined && loaded.sources.kmm_dashboard_port === 'default' ? portWhenDefault : v.kmm_dashboard_port;
  return { dashboard: flag ?? v.kmm_dashboard, dashboardPort: portFlag ?? keyPort };
}

/**
 * The demo's configuration (startup-config.ts demoLoadOptions: its flags over the file and the
 * environment over the demo's own defaults). `warnings` are `kmm config check`'s, printed at start.
 */
export function loadDemoConfig(
  opts: Pick<DemoOptions, 'config' | 'set' | 'seed' | 'markets' | 'speed'>, env: Record<string, string | undefined> = process.env,
): { loaded: LoadedConfig; warnings: string[] } {
  const { options, command } = demoLoadOptions(opts, env);
  return loadForCommand(options, command);
}

export async function runDemo(opts: DemoOptions): Promise<DemoResult> {
  const print = opts.quiet ? () => {} : (l: string) => process.stdout.write(l + '\n');
  const replayLine = opts.replay ? describeReplay(opts) : null; // also sets opts.markets to the capture's
  const load = () => loadDemoConfig(opts);
  const { loaded, warnings } = load();
  const profileLine = describeProfile(loaded);

  const profile = resolveProfile(opts.profile ?? 'active');
  const profileName = opts.replay ? 'replay' : profile === 'synthetic' ? 'synthetic' : profile.name;
  const timeScale = opts.speed ?? 1;
  // KMM meets the market at the simulator's pace: one scale for both (a --set that differs is refused)
  if (Number(loaded.values.kmm_time_scale) !== timeScale) {
    throw new Error(`kmm_time_scale ${String(loaded.values.kmm_time_scale)} (${loaded.sources.kmm_time_scale}) differs from the simulator's speed ${timeScale}: the demo sets it from --speed; leave it out`);
  }
  const runDir = newRunDir(opts.out, 'demo', loaded.values.kmm_run_dir);
  // the simulated market of this run: `kmm market-stats <run>/capture.jsonl` reads the time scale here
  writeFileSync(join(runDir, 'market.json'), JSON.stringify({ profile: profileName, timeScale, note: 'timeScale = market seconds per second of the run (every flow rate x timeScale, and the rate-limit refills; KMM ran with kmm_time_scale = this, see config.json)' }, null, 2) + '\n');
  const dash = dashboardChoice(loaded, opts.dashboard, opts.dashboardPort, 0);
  print(`kmm demo: ${opts.markets} markets, ${opts.durationS} s, seed ${opts.seed}; run folder ${runDir}`);
  if (profileLine) print(profileLine);
  if (replayLine) print(replayLine);
  print(describeKillSwitch(loaded.values));
  for (const w of warnings) print(w); // the `kmm config check` warnings of this configuration
  const sim = await startSimThread({
    port: 0,
    seed: opts.seed,
    markets: opts.markets,
    speed: timeScale,
    profile,
    tier: String(loaded.values.kmm_rate_tier),
    keyDir: runDir,
    replay: opts.replay ? { capturePath: opts.replay.capturePath, speed: opts.speed ?? 1, queueModel: opts.replay.queueModel } : undefined,
  });
  print(`simulator: ${sim.restBaseUrl}  ${sim.wsUrl}`);
  print(describeMarket(profileName, timeScale));
  let sys: RunningSystem | null = null;
  // One shutdown path (issue 14): signals, the duration, an actor giving up and uncaught errors
  // only request it; the stop below runs once.
  const ctl = new ShutdownController({
    print: (l) => process.stdout.write(l + '\n'),
    restingNow: () => (sys ? sys.monitor.workingOrders().length : null),
    describeLeft: () => (sys ? describeWorking(sys.monitor.workingOrders()) : ['the actors had not started: nothing of ours was placed by this run']),
    exit: (code) => process.exit(code),
    orderExpiryS: Number(loaded.values.kmm_order_expiry_s),
  });
  ctl.install();
  try {
    const markets = await fetchMarkets(sim.restBaseUrl, opts.markets);
    sys = await startSystem({
      loaded,
      exchange: { env: 'sim', restBaseUrl: sim.restBaseUrl, wsUrl: sim.wsUrl, keyId: sim.keyId, privateKeyPath: sim.privateKeyPath },
      markets,
      runDir,
      mode: 'sim',
      dashboard: dash.dashboard,
      dashboardPort: dash.dashboardPort,
      configFile: opts.config,
      reloadConfig: () => load().loaded,
      shards: opts.shards ?? loaded.values.kmm_shards,
      recordInputs: opts.recordInputs,
      print,
      onFatal: (r) => ctl.request(r, true),
    });
    const running = sys;
    if (running.dashboard) print(`dashboard: ${running.dashboard.loginUrl}`);
    try {
      await opts.onRunning?.(running, sim);
    } catch (err) {
      ctl.request(`error: ${(err as Error).message}`, true);
    }
    const started = Date.now();
    const live = opts.quiet ? null : () => print(renderLive(running.monitor.snapshot(), running.summary(), (Date.now() - started) / 1000, opts.durationS, running.drainWarnings()));
    const reason = await waitForStop(ctl, opts.durationS, live, 2000);
    print(`stopping (${reason}): cancel all, verify with the exchange, read the last fills, flush the journal`);
    const summary = await running.stop();
    const records = await sim.records();
    const resting = records.orders.filter((o) => o.status === 'resting').length;
    // the simulator knows how many contracts were truly ahead of each maker fill of ours: keep it
    // in the run folder (sim-only, never venue data) and score the queue estimate against it
    writeFileSync(join(runDir, SIM_QUEUE_FILE), records.makerQueue.map((q) => JSON.stringify(q) + '\n').join(''));
    try {
      const sp = join(runDir, 'summary.json');
      const written = JSON.parse(readFileSync(sp, 'utf8')) as Record<string, unknown>;
      if (written.scorecard) writeFileSync(sp, JSON.stringify({ ...written, scorecard: scorecardOfRunFolder(runDir) }, null, 2) + '\n');
    } catch (err) {
      print(`scorecard with the simulator's queue truth failed: ${(err as Error).message}`);
    }
    let reportPath: string | null = null;
    try {
      reportPath = (await generateReport(runDir)).path;
    } catch (err) {
      print(`report failed: ${(err as Error).message}`);
    }
    return { runDir, summary, restingAfterShutdown: resting, reportPath, dashboardUrl: running.dashboard?.url ?? null, shutdown: running.shutdownReport(), stopReason: reason, stoppedByError: ctl.failed, profile: profileName, timeScale };
  } catch (err) {
    await sys?.stop().catch(() => {});
    throw err;
  } finally {
    ctl.uninstall();
    await sim.close();
  }
}

/**
 * The replay market's line (markets, recording length, time scale, queue model). Reads the
 * capture once here so the configuration (kmm_markets, market selection) covers exactly its markets.
 */
function describeReplay(opts: DemoOptions): string {
  const path = opts.replay!.capturePath;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new Error(`--replay: cannot read ${path}: ${(err as Error).message}`);
  }
  const cap = parseReplayCapture(text);
  if (cap.markets.length === 0) throw new Error(`--replay: ${path} has no orderbook_snapshot, orderbook_delta or trade frame`);
  opts.markets = cap.markets.length;
  const speed = opts.speed ?? 1;
  const playS = cap.spanMs / 1000 / speed;
  const prints = cap.events.filter((e) => e.kind === 'trade').length;
  return (
    `replay market: ${cap.markets.length} markets from ${path}: ${(cap.spanMs / 1000).toFixed(0)} s of recording at speed ${speed} (plays in ${playS.toFixed(0)} s), ` +
    `${prints} prints, queue model ${opts.replay!.queueModel ?? 'pessimistic'}; ` +
    (playS < opts.durationS ? `the recording ends before the run: its books then stay as they are` : `the run ends before the recording`)
  );
}

export function printSummary(r: DemoResult, print: (l: string) => void): void {
  const s = r.summary;
  const pct = (v: number | null): string => (v === null ? 'n/a' : `${v}%`);
  print('');
  print(`run folder: ${r.runDir}`);
  if (r.profile) print(describeMarket(r.profile, r.timeScale ?? 1));
  print(`  ops.log, tape.csv, journal.jsonl, capture.jsonl, market.json, decisions.jsonl, health.jsonl, summary.json${r.reportPath ? ', report.html' : ''}`);
  print(`fills: ${s.fills} (${s.contractsFilled} contracts) on ${s.marketsWithFills}/${s.markets} markets`);
  print(`P&L: net ${money(s.netPnl)} $ (gross ${money(s.grossPnl)} $ marked to the last mid, fees ${money(s.feesPaid)} $)${s.marketsUnmarked ? `; ${s.marketsUnmarked} market(s) without a mid, marked at their last fill` : ''}`);
  print(`commands: ${s.commands} (orders created ${s.ordersCreated}, amends ${s.amends}, cancels ${s.cancels}); rejects: ${s.rejectsLocal} local, ${s.rejectsVenue} by the exchange`);
  print(`takers: ${s.takerFired} sent, ${s.takerExecuted} filled; max |position| in one market: ${s.maxAbsPosition} contracts`);
  print(`at the cap: ${pct(s.atCapPct)} of market-time; reducing side quoted ${pct(s.atCapReducingQuotedPct)} of that`);
  print(`tick-to-order latency: p50 ${fmtUs(s.tickToOrderUs.p50)}, p99 ${fmtUs(s.tickToOrderUs.p99)} (${s.tickToOrderUs.samples} orders)`);
  print(`orders of ours resting after shutdown: ${r.restingAfterShutdown < 0 ? 'unknown (the exchange could not be asked)' : r.restingAfterShutdown}; actor restarts: ${s.restarts}`);
}

function money(v: number): string {
  return v.toFixed(2);
}

function fmtUs(v: number | null): string {
  return v === null ? 'n/a' : `${Math.round(v)} µs`;
}
