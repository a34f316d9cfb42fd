/**
 * `kmm run --env demo|prod --config FILE`: the same system against real Kalshi (or any
 * Kalshi-compatible endpoint given by kmm_rest_base_url / kmm_ws_url, e.g. a standalone
 * `kmm sim`). The API key id and PEM path come from config or environment; the key is never
 * printed or logged; a key file readable by others gets a warning. Any run whose REST or
 * websocket URL is a Kalshi production host needs --confirm-prod, whatever --env says
 * (system/prod-guard.ts).
 */
import { loadPrivateKeyPem, Signer } from '@kmm/shared';
import { describeKillSwitch, describeProfile, loadForCommand, runLoadOptions } from './startup-config.js';
import { fetchMarkets } from '../system/markets.js';
import { startSystem, type ExchangeEndpoints, type RunningSystem } from '../system/system.js';
import { describeShutdown, describeWorking, ShutdownController, waitForStop } from '../system/shutdown.js';
import { UsageError } from './errors.js';
import { generateReport } from '../report/index.js';
import { dashboardChoice, newRunDir, printSummary } from './demo.js';
import { renderLive } from './live.js';
import { productionRefusal } from '../system/prod-guard.js';
import { checkCredentials, withStartupRetry } from '../system/preflight.js';

export const KALSHI_ENDPOINTS = {
  demo: { rest: 'https://external-api.demo.kalshi.co/trade-api/v2', ws: 'wss://external-api-ws.demo.kalshi.co/trade-api/ws/v2' },
  prod: { rest: 'https://external-api.kalshi.com/trade-api/v2', ws: 'wss://external-api-ws.kalshi.com/trade-api/ws/v2' },
} as const;

export interface RunOptions {
  env: string;
  config?: string;
  set?: Record<string, string>;
  confirmProd: boolean;
  /** --paper; `paper_mode: true` (config file) or KMM_PAPER_MODE=true paper-trade the same way */
  paper: boolean;
  durationS?: number;
  out?: string;
  /** --dashboard / --no-dashboard; undefined = kmm_dashboard */
  dashboard?: boolean;
  /** --dashboard-port; undefined = kmm_dashboard_port */
  dashboardPort?: number;
  /** record every actor's inputs and outputs to <run>/inputs/ (replay-parity: `replayRecording`) */
  recordInputs?: boolean;
}

export { UsageError } from './errors.js';

export async function runLive(opts: RunOptions): Promise<number> {
  if (opts.env !== 'demo' && opts.env !== 'prod' && opts.env !== 'sim') throw new UsageError(`--env must be demo, prod or sim (got '${opts.env}')`);
  const layers = runLoadOptions(opts, process.env);
  const load = () => loadForCommand(layers.options, layers.command);
  const { loaded, warnings } = load();
  const profileLine = describeProfile(loaded);
  const v = loaded.values;
  const paper = v.paper_mode;
  if (opts.env === 'prod' && !opts.confirmProd && !paper) {
    throw new UsageError('refusing to trade on Kalshi production without --confirm-prod (or use --paper, or --env demo)');
  }
  if (profileLine) process.stdout.write(`${profileLine}\n`);
  for (const w of warnings) process.stderr.write(`${w}\n`); // the `kmm config check` warnings of this configuration
  const rest = String(v.kmm_rest_base_url || (opts.env === 'sim' ? '' : KALSHI_ENDPOINTS[opts.env as 'demo' | 'prod'].rest));
  const ws = String(v.kmm_ws_url || (opts.env === 'sim' ? '' : KALSHI_ENDPOINTS[opts.env as 'demo' | 'prod'].ws));
  if (!rest || !ws) throw new UsageError('--env sim needs kmm_rest_base_url and kmm_ws_url (start one with `kmm sim`)');
  // The URLs decide, not --env: a demo/sim run pointed at a production URL needs the flag too.
  const refusal = paper ? null : productionRefusal([rest, ws], opts.confirmProd);
  if (refusal) throw new UsageError(`${refusal} (or use --paper)`);
  const keyId = String(v.kmm_api_key_id);
  const keyPath = String(v.kmm_private_key_path);
  if (!keyId || !keyPath) throw new UsageError('set kmm_api_key_id and kmm_private_key_path (config file or KMM_API_KEY_ID / KMM_PRIVATE_KEY_PATH)');
  const warn = (m: string) => process.stderr.write(`warning: ${m}\n`);
  // Validate the key now (clear error) without ever printing it.
  const signer = new Signer(keyId, loadPrivateKeyPem(keyPath, warn));
  // Before any folder or worker: a key the exchange rejects fails here at once (paper runs need
  // it too: the market data websocket is signed); transient 5xx/network failures are retried.
  const say = (m: string) => process.stderr.write(`${m}\n`);
  await checkCredentials(rest, signer, { say });
  const print = (l: string) => process.stdout.write(l + '\n');
  // One shutdown path (issue 14): from here on every signal, the duration, an actor giving up or an
  // uncaught error only requests it; the stop below then runs once.
  let sys: RunningSystem | null = null;
  const ctl = new ShutdownController({
    print,
    restingNow: () => (sys ? sys.monitor.workingOrders().length : null),
    describeLeft: () => (sys ? describeWorking(sys.monitor.workingOrders()) : ['the actors had not started: nothing of ours was placed by this run']),
    exit: (code) => process.exit(code),
    orderExpiryS: Number(v.kmm_order_expiry_s),
  });
  ctl.install();
  try {
    const markets = await withStartupRetry('market discovery', () => fetchMarkets(rest, Number(v.kmm_markets)), { say });
    const runDir = newRunDir(opts.out, `run-${opts.env}`, v.kmm_run_dir);
    const dash = dashboardChoice(loaded, opts.dashboard, opts.dashboardPort);
    if (markets.length === 0) throw new UsageError(`no open markets returned by ${rest}/markets`);
    if (ctl.reason !== null) {
      print(`stopped before start-up (${ctl.reason}): nothing was started`);
      return 1;
    }
    const exchange: ExchangeEndpoints = { env: opts.env as ExchangeEndpoints['env'], restBaseUrl: rest, wsUrl: ws, keyId, privateKeyPath: keyPath };
    print(`kmm run: env ${opts.env}${paper ? ' (paper: no order reaches the exchange)' : ''}, ${markets.length} markets; run folder ${runDir}`);
    sys = await startSystem({ loaded, exchange, markets, runDir, mode: paper ? 'paper' : opts.env, paper, dashboard: dash.dashboard, dashboardPort: dash.dashboardPort, shards: v.kmm_shards, configFile: opts.config, reloadConfig: () => load().loaded, recordInputs: opts.recordInputs, print, onFatal: (r) => ctl.request(r, true) });
    const running = sys;
    if (!paper) print(describeKillSwitch(v));
    if (running.dashboard) print(`dashboard: ${running.dashboard.loginUrl}`);
    const started = Date.now();
    const reason = await waitForStop(ctl, opts.durationS ?? 0, () => print(renderLive(running.monitor.snapshot(), running.summary(), (Date.now() - started) / 1000, opts.durationS ?? 0, running.drainWarnings())), 5000);
    print(`stopping (${reason}): cancel all, verify with the exchange, read the last fills, flush the journal`);
    const summary = await running.stop();
    let reportPath: string | null = null;
    try {
      reportPath = (await generateReport(runDir)).path;
    } catch (err) {
      print(`report failed: ${(err as Error).message}`);
    }
    const rep = running.shutdownReport();
    printSummary({ runDir, summary, restingAfterShutdown: rep ? rep.restingLeft : -1, reportPath, dashboardUrl: null }, print);
    const outcome = describeShutdown(rep);
    for (const l of outcome.lines) (outcome.ok ? print : (x: string) => process.stderr.write(x + '\n'))(l);
    // 0 exactly when the shutdown was verified and nothing failed
    return outcome.ok && !ctl.failed ? 0 : 1;
  } catch (err) {
    // an error after the actors started still goes through the stop (idempotent: once)
    if (sys) {
      print(`error: ${(err as Error).message}; stopping through the graceful shutdown`);
      await sys.stop().catch(() => {});
    }
    throw err;
  } finally {
    ctl.uninstall();
  }
}
