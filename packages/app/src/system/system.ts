/**
 * Starts and stops the whole actor system against an exchange (the sim, Kalshi demo or prod):
 * run folder, logger, market discovery, supervisor with the topology, monitor, health and
 * decision files, config hot reload (config-reload.ts), optional dashboard. Used by `demo`, `run`, `chaos`, `bench`.
 */
import { EventEmitter } from 'node:events';
import { createWriteStream, mkdirSync, writeFileSync, type WriteStream } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import {
  createLogger,
  flushLogger,
  kmm,
  Supervisor,
  validateLiveUpdate,
  loadConfig,
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
  /** record every actor's inputs and outputs to runDir/inputs/ (replay-parity checks) */
  recordInputs?: boolean;
  print?: (line: string) => void;
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
  stop(): Promise<RunSummary>;
}

export function defaultShards(): number {
  // One core for ingest, strategy and exec each is the ideal; books share what is left.
  return Math.max(1, Math.min(16, availableParallelism() - 2));
}

export async function startSystem(opts: SystemOptions): Promise<RunningSystem> {
  const runDir = resolve(opts.runDir);
  mkdirSync(runDir, { recursive: true });
  const print = opts.print ?? (() => {});
  const log = createLogger({ name: 'supervisor', file: join(runDir, 'ops.log'), level: String(opts.loaded.values.kmm_log_level) });
  let loaded = opts.loaded;
  const shards = opts.shards ?? defaultShards();
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
  supervisor.on('ops', (ev: { actor: string; event: string; market: string; level: string; json: string }) => {
    monitor.onOps(ev);
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
  });

  log.info({ event: 'system_start', mode: opts.mode, env: opts.exchange.env, markets: opts.markets.length, shards, runDir }, 'starting actors');
  await supervisor.start();

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
  reloader?.start();
  const ackConfig = (): { ok: boolean; message: string } => {
    if (!reloader) return { ok: false, message: 'ack-config: this run watches no config file' };
    const r = reloader.ack();
    return { ok: r.ok, message: r.message };
  };

  let dashboard: RunningSystem['dashboard'] = null;
  if (opts.dashboard) {
    const metrics = createMetrics();
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
    writeFileSync(join(runDir, 'dashboard.json'), JSON.stringify({ url: d.url, token: d.token, pid: process.pid }), { mode: 0o600 });
  }

  let stopped: Promise<RunSummary> | null = null;
  const stop = (): Promise<RunSummary> => {
    stopped ??= (async () => {
      reloader?.close();
      log.info({ event: 'system_stop' }, 'graceful shutdown: ingest, books, strategy, exec (cancel all + verify)');
      await supervisor.stop();
      await dashboard?.close();
      for (const l of warnings.flush()) print(l);
      const final = summary();
      writeFileSync(join(runDir, 'summary.json'), JSON.stringify(final, null, 2) + '\n');
      await Promise.all([endStream(decisions), endStream(healthOut)]);
      log.info({ event: 'system_stopped', ...final }, 'stopped');
      await flushLogger(log);
      return final;
    })();
    return stopped;
  };

  return { supervisor, monitor, log, runDir, dashboard, applyConfigChange, ackConfig, control, events, summary, drainWarnings: () => warnings.flush(), stop };
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
