/**
 * Starts and stops the whole actor system against an exchange (the sim, Kalshi demo or prod):
 * run folder, logger, market discovery, supervisor with the topology, monitor, health and
 * decision files, config hot reload (config-reload.ts), optional dashboard. Used by `demo`, `run`, `chaos`, `bench`.
 */
import { EventEmitter } from 'node:events';
import { createWriteStream, mkdirSync, writeFileSync, type WriteStream } from 'node:fs';
import { scorecardOfRunFolder, writeRunRecord } from '@kmm/backtest';
import { join, resolve } from 'node:path';
import {
  createLogger,
  flushLogger,
  kmm,
  Supervisor,
  validateLiveUpdate,
  loadConfig,
  defaultShardCount,
  type LoadedConfig,
} from '@kmm/shared';
import type { Logger } from 'pino';
import { ControlRefused, startDashboard } from '../dashboard/index.js';
import { createMetrics } from '../metrics/index.js';
import { ConfigReloader } from './config-reload.js';
import { buildTopology } from './topology.js';
import { Monitor, type RunSummary } from './monitor.js';
import { WarningAggregator } from './warnings.js';
import { JournalTail } from '../report/figures.js';
import type { ShutdownReport } from '@kmm/exec-worker';
import { UsageError } from '../commands/errors.js';

/** The supervisor waits this much longer than kmm_shutdown_timeout_s for exec to stop. */
const EXEC_STOP_MARGIN_MS = 10_000;

export interface ExchangeEndpoints {
  env: 'sim' | 'demo' | 'prod';
  restBaseUrl: string;
  wsUrl: string;
  keyId: string;
  privateKeyPath: string;
}

export interface SystemOptions {
  loaded: LoadedConfig;
  exchange: ExchangeEndpoints;
  markets: kmm.v1.IMarketInfo[];
  runDir: string;
  mode: string;
  paper?: boolean;
  dashboard?: boolean;
  dashboardPort?: number;
  /** config file to watch for live-safe changes */
  configFile?: string;
  /** re-reads the configuration with the same layers as at start (file, env, CLI, tuning) */
  reloadConfig?: () => LoadedConfig;
  shards?: number;
  heartbeatMs?: number;
  /** benchmark fault: every fsync of exec's journal first waits this long, writes queued behind it (`kmm bench latency --stall-journal-ms`) */
  journalFsyncStallMs?: number;
  /** record every actor's inputs and outputs to runDir/inputs/ (replay-parity checks) */
  recordInputs?: boolean;
  print?: (line: string) => void;
  /** an actor exceeded its restart budget: the command should stop (through its one shutdown path) */
  onFatal?: (reason: string) => void;
}

export interface RunningSystem {
  supervisor: Supervisor;
  monitor: Monitor;
  log: Logger;
  runDir: string;
  dashboard: { url: string; loginUrl: string; token: string; close(): Promise<void> } | null;
  /** Apply a live-safe config change (as the file watcher does). Returns the message shown. */
  applyConfigChange(changed: Record<string, unknown>, source: string): { ok: boolean; message: string };
  /** Sends an operator control; throws ControlRefused for a market this run does not trade. */
  control(kind: 'pause' | 'resume' | 'flatten' | 'ack_breach', market?: string): string;
  /**
   * 'config' ({ok, message}) after every live config change attempt (file watcher or API);
   * 'config_reload' (ReloadReport) after every reload of the config file and every ack-config
   */
  events: EventEmitter;
  /** applies the risk increases a config reload holds back (`kmm ack-config`, dashboard "ack config") */
  ackConfig(): { ok: boolean; message: string };
  /** The run's summary now: figures from the journal so far (the same definitions as summary.json). */
  summary(): RunSummary;
  /** Warn/error lines aggregated since the last call (one per event, market and reason, with a count). */
  drainWarnings(): string[];
  /**
   * Graceful stop (once; later calls return the same promise): every actor in order, exec last
   * (cancel all, verify, last fills); then summary.json, always, even when a step failed.
   */
  stop(): Promise<RunSummary>;
  /** exec's shutdown report once it stopped (null: exec never reported, e.g. it was killed) */
  shutdownReport(): ShutdownReport | null;
}

/** A listener (dashboard) could not be bound: nothing was started (reported as a refused request). */
export class ListenerError extends UsageError {}

/** The registry default of kmm_shards (one definition: @kmm/shared defaultShardCount). */
export function defaultShards(): number {
  return defaultShardCount();
}

/**
 * The dashboard's scorecard is recomputed this often (ms): from the whole run folder each time
 * (journal + capture), so not on every snapshot; a long run's scorecard costs a read of both.
 */
export const DASHBOARD_SCORECARD_MS = 10_000;

export async function startSystem(opts: SystemOptions): Promise<RunningSystem> {
  const runDir = resolve(opts.runDir);
  mkdirSync(runDir, { recursive: true });
  const print = opts.print ?? (() => {});
  const log = createLogger({ name: 'supervisor', file: join(runDir, 'ops.log'), level: String(opts.loaded.values.kmm_log_level) });
  // what `kmm backtest --like <run>` reproduces the run from: the effective configuration at the
  // start and the markets' details (close times, fee parameters, price grid)
  writeRunRecord(runDir, opts.loaded, opts.markets);
  let loaded = opts.loaded;
  const shards = opts.shards ?? opts.loaded.values.kmm_shards;
  const decisions = createWriteStream(join(runDir, 'decisions.jsonl'), { flags: 'a' });
  const healthOut = createWriteStream(join(runDir, 'health.jsonl'), { flags: 'a' });
  const monitor = new Monitor(opts.mode, (record) => decisions.write(JSON.stringify(record) + '\n'));
  monitor.addMarkets(opts.markets);
  const capContracts = Number((loaded.values as unknown as Record<string, unknown>).MM_MAX_POS);
  const journalTail = new JournalTail(join(runDir, 'journal.jsonl'), { capCenti: Math.round(capContracts * 100), markets: opts.markets.map((m) => m.market ?? '').filter((m) => m !== '') });
  const summary = (): RunSummary => monitor.summary(journalTail.figures(monitor.marks()));
  const warnings = new WarningAggregator();

  const extra = {
    markets: opts.markets,
    env: opts.exchange.env,
    restBaseUrl: opts.exchange.restBaseUrl,
    wsUrl: opts.exchange.wsUrl,
    keyId: opts.exchange.keyId,
    privateKeyPath: opts.exchange.privateKeyPath,
    runDir,
    paper: !!opts.paper,
    ...(opts.paper ? { paperQueueModel: 'risk-averse', paperLatencyMs: 0 } : {}),
    recordInputs: !!opts.recordInputs,
    ...(opts.journalFsyncStallMs ? { journalFsyncStallMs: opts.journalFsyncStallMs } : {}),
  };
  // paper fills: exec runs from the backtest's paper entry, with the simulated venue (queue model, fees) as its gateway
  const topo = buildTopology(shards, extra, { paper: !!opts.paper });
  const supervisor = new Supervisor({
    actors: topo.actors,
    edges: topo.edges,
    config: loaded.values as unknown as Record<string, unknown>,
    runDir,
    mailboxCapacity: Number(loaded.values.kmm_mailbox_capacity),
    heartbeatMs: opts.heartbeatMs ?? 1000,
    shutdownOrder: topo.shutdownOrder,
    // exec's stop is bounded by kmm_shutdown_timeout_s: never terminate it before
    stopTimeoutMs: Math.max(15_000, Number(loaded.values.kmm_shutdown_timeout_s) * 1000 + EXEC_STOP_MARGIN_MS),
  });
  supervisor.on('health', (h: kmm.v1.IHealth) => {
    monitor.onHealth(h);
    healthOut.write(
      JSON.stringify({
        t: Date.now(),
        actor: h.actor,
        elu: h.elu,
        mailbox_depth: h.mailboxDepth,
        msgs_in: h.msgsIn,
        msgs_out: h.msgsOut,
        dropped: h.dropped,
        conflated: h.conflated,
        handler: { p50_ns: h.handler?.p50Ns, p99_ns: h.handler?.p99Ns, max_ns: h.handler?.maxNs, count: h.handler?.count },
        rss_mb: h.rssMb,
        stats: safeJson(h.statsJson),
      }) + '\n',
    );
  });
  let shutdownReport: ShutdownReport | null = null;
  supervisor.on('ops', (ev: { actor: string; event: string; market: string; level: string; json: string }) => {
    monitor.onOps(ev);
    if (ev.actor === 'exec' && (ev.event === 'shutdown_verified' || ev.event === 'shutdown_unverified')) shutdownReport = safeJson(ev.json) as unknown as ShutdownReport;
    if (ev.event === 'reprice_decision') return;
    const level = ev.level === 'error' ? 'error' : ev.level === 'warn' ? 'warn' : 'info';
    log[level]({ actor: ev.actor, event: ev.event, market: ev.market || undefined, ...safeJson(ev.json) }, ev.event);
    const now = warnings.add({ actor: ev.actor, event: ev.event, market: ev.market || '', level, json: ev.json });
    if (now !== null) print(now);
  });
  supervisor.on('message', (_actor: string, env: kmm.v1.Envelope) => monitor.onMessage(env));
  supervisor.on('restart', (r: { actor: string; reason: string; restarts: number }) => {
    monitor.restarts++;
    log.warn({ event: 'actor_restart', ...r }, 'actor restarted');
    print(`actor ${r.actor} restarted (${r.reason})`);
  });
  supervisor.on('fatal', (f: { actor: string; reason: string }) => {
    log.error({ event: 'actor_fatal', ...f }, 'actor gave up');
    print(`FATAL: actor ${f.actor}: ${f.reason}`);
    opts.onFatal?.(`actor ${f.actor} gave up: ${f.reason}`);
  });

  const knownMarkets = new Set(opts.markets.map((m) => m.market ?? '').filter((m) => m !== ''));
  const control = (kind: 'pause' | 'resume' | 'flatten' | 'ack_breach', market?: string): string => {
    const map = {
      pause: kmm.v1.ControlKind.PAUSE_QUOTING,
      resume: kmm.v1.ControlKind.RESUME_QUOTING,
      flatten: kmm.v1.ControlKind.FLATTEN,
      ack_breach: kmm.v1.ControlKind.ACK_BREACH,
    } as const;
    // an unknown market is refused (it would otherwise read as done, or pause everything)
    if (market !== undefined && !knownMarkets.has(market)) throw new ControlRefused(`unknown market '${market}': this run trades ${knownMarkets.size} markets`);
    const markets = market ? [market] : [];
    // Strategy owns quoting decisions and the start-up breach; exec owns the exchange-side kill
    // switch (an acknowledged breach also resets a triggered order group).
    supervisor.send('strategy', { control: { kind: map[kind], markets, reason: 'operator' } });
    if (kind !== 'flatten') supervisor.send('exec', { control: { kind: map[kind], markets, reason: 'operator' } });
    // the global "quoting paused" flag follows global pause/resume only, not a one-market control
    if (kind === 'pause' && !market) monitor.quotingPaused = true;
    if (kind === 'resume' && !market) monitor.quotingPaused = false;
    log.warn({ event: 'operator_control', kind, market: market ?? 'all' }, 'operator control');
    return `${kind} sent for ${market ?? 'all markets'}`;
  };

  const events = new EventEmitter();
  const applyConfigChange = (changed: Record<string, unknown>, source: string): { ok: boolean; message: string } => {
    const result = validateLiveUpdate(loaded, changed, source);
    if (!result.ok) {
      const message = `config change rejected, keeping the running config: ${result.errors.map((e) => e.message).join('; ')}`;
      log.error({ event: 'config_change_rejected', source, errors: result.errors.map((e) => e.message) }, message);
      events.emit('config', { ok: false, message });
      return { ok: false, message };
    }
    if (result.changes.length === 0) return { ok: true, message: 'config unchanged' };
    loaded = { ...loaded, values: result.values };
    const json = JSON.stringify(Object.fromEntries(result.changes.map((c) => [c.key, c.to])));
    for (const actor of supervisor.actorNames()) supervisor.send(actor, { control: { kind: kmm.v1.ControlKind.CONFIG_UPDATE, json, reason: source } });
    const message = `config updated live: ${result.changes.map((c) => `${c.key} ${c.from} -> ${c.to}`).join(', ')}`;
    log.warn({ event: 'config_changed', source, changes: result.changes }, message);
    events.emit('config', { ok: true, message });
    return { ok: true, message };
  };

  // live reload of the config file (config-reload.ts): survives atomic saves, reports every
  // reload, holds risk increases until `kmm ack-config` / the dashboard acknowledges them
  const reloader = opts.configFile
    ? new ConfigReloader({
        file: opts.configFile,
        read: () => (opts.reloadConfig ? opts.reloadConfig() : loadConfig({ file: resolve(opts.configFile!), env: process.env })),
        current: () => loaded,
        apply: applyConfigChange,
        report: (r) => {
          const level = !r.ok ? 'error' : r.pending.length > 0 ? 'warn' : 'info';
          const fields = { ok: r.ok, applied: r.applied, pending: r.pending, message: r.message };
          log[level]({ event: 'config_reload', ...fields }, r.message);
          monitor.onOps({ actor: 'supervisor', event: 'config_reload', level, json: JSON.stringify(fields) });
          print(r.message);
          // a refusal never reached applyConfigChange: 'config' still reports the attempt
          if (!r.ok) events.emit('config', { ok: false, message: r.message });
          events.emit('config_reload', r);
        },
      })
    : null;
  const ackConfig = (): { ok: boolean; message: string } => {
    if (!reloader) return { ok: false, message: 'ack-config: this run watches no config file' };
    const r = reloader.ack();
    return { ok: r.ok, message: r.message };
  };

  // Every listener is bound BEFORE any actor can trade: a taken port fails here, with nothing
  // started and nothing on the exchange (issue 14: it used to fail after the actors were quoting).
  let dashboard: RunningSystem['dashboard'] = null;
  let scorecardTimer: NodeJS.Timeout | null = null;
  if (opts.dashboard) {
    const metrics = createMetrics();
    try {
      const d = await startDashboard({
        port: opts.dashboardPort ?? 0,
        source: { snapshot: () => monitor.snapshot(), counters: () => monitor.counters() },
        metrics,
        onControl: (cmd) => {
          if (cmd.kind !== 'ack_config') return control(cmd.kind, cmd.market);
          const r = ackConfig();
          if (!r.ok) throw new Error(r.message);
          return r.message;
        },
      });
      dashboard = d;
      // the scorecard so far on the dashboard: the run folder's journal and capture, the figures now
      const scoreNow = (): void => {
        try {
          monitor.setScorecard(scorecardOfRunFolder(runDir, summary()), Date.now());
        } catch (err) {
          monitor.setScorecard(null, Date.now(), (err as Error).message);
        }
      };
      scorecardTimer = setInterval(scoreNow, DASHBOARD_SCORECARD_MS);
      scorecardTimer.unref();
      writeFileSync(join(runDir, 'dashboard.json'), JSON.stringify({ url: d.url, token: d.token, pid: process.pid }), { mode: 0o600 });
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      const why = e.code === 'EADDRINUSE' ? `port ${opts.dashboardPort} on 127.0.0.1 is already in use` : e.message;
      log.error({ event: 'dashboard_listen_failed', port: opts.dashboardPort, error: e.message }, 'dashboard could not listen');
      await Promise.all([endStream(decisions), endStream(healthOut)]);
      await flushLogger(log);
      throw new ListenerError(`dashboard: ${why}; nothing was started (choose another --dashboard-port, 0 for any free port, or --no-dashboard)`);
    }
  }

  log.info({ event: 'system_start', mode: opts.mode, env: opts.exchange.env, markets: opts.markets.length, shards, runDir }, 'starting actors');
  try {
    await supervisor.start();
  } catch (err) {
    // some actors may be up (and exec may have reconciled): stop what started, through the same path
    log.error({ event: 'system_start_failed', error: (err as Error).message }, 'start-up failed');
    await supervisor.stop().catch(() => {});
    if (scorecardTimer) clearInterval(scorecardTimer);
    await dashboard?.close();
    await Promise.all([endStream(decisions), endStream(healthOut)]);
    await flushLogger(log);
    throw err;
  }

  // the config watcher starts once the actors can take a change
  reloader?.start();

  let stopped: Promise<RunSummary> | null = null;
  const stop = (): Promise<RunSummary> => {
    stopped ??= (async () => {
      reloader?.close();
      log.info({ event: 'system_stop' }, 'graceful shutdown: ingest, books, strategy, exec (cancel all + verify)');
      try {
        await supervisor.stop();
      } catch (err) {
        log.error({ event: 'system_stop_failed', error: (err as Error).message }, 'stopping the actors failed');
        print(`error while stopping the actors: ${(err as Error).message}`);
      }
      if (scorecardTimer) clearInterval(scorecardTimer);
      await dashboard?.close().catch(() => {});
      for (const l of warnings.flush()) print(l);
      const final = summary();
      writeFileSync(join(runDir, 'summary.json'), JSON.stringify(final, null, 2) + '\n');
      // the strategy scorecard (issue 17): journal + capture, the backtest's definitions; needs the figures above
      try {
        const scorecard = scorecardOfRunFolder(runDir);
        writeFileSync(join(runDir, 'summary.json'), JSON.stringify({ ...final, strategy: String((loaded.values as unknown as Record<string, unknown>).kmm_strategy ?? 'default'), scorecard }, null, 2) + '\n');
      } catch (err) {
        log.warn({ event: 'scorecard_failed', error: (err as Error).message }, 'no scorecard in summary.json');
      }
      await Promise.all([endStream(decisions), endStream(healthOut)]);
      log.info({ event: 'system_stopped', ...final }, 'stopped');
      await flushLogger(log);
      return final;
    })();
    return stopped;
  };

  return { supervisor, monitor, log, runDir, dashboard, applyConfigChange, ackConfig, control, events, summary, drainWarnings: () => warnings.flush(), stop, shutdownReport: () => shutdownReport };
}

function endStream(s: WriteStream): Promise<void> {
  return new Promise((res) => s.end(() => res()));
}

function safeJson(text: string | null | undefined): Record<string, unknown> {
  if (!text) return {};
  try {
    const v = JSON.parse(text);
    return v && typeof v === 'object' ? v : { value: v };
  } catch {
    return { raw: text };
  }
}
