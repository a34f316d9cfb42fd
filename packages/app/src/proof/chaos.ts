/**
 * `kmm chaos [--duration S] [--seed X] [--markets N] [--json]`: a chaos soak of the demo.
 *
 * The simulator runs in a worker thread of this (orchestrating) process, so it outlives the
 * system under test. Two segments share one run folder (and so exec's journal):
 *   A. `kmm run --env sim` as a child process (the real CLI) against the sim; once our orders
 *      rest on the exchange, the child is killed with SIGKILL (no shutdown, orders left resting).
 *   B. The system restarted on the same run folder (startSystem, as `kmm run` does: it takes over
 *      the run folder's lock of the killed child) in this process, with start-up read failures:
 *      every read of the account's positions, orders and fills answers 503 for a seeded
 *      STARTUP_READ_FAIL_S window from before the restart; no new order may reach the exchange
 *      while they fail (no order before the positions were read). Then a second instance: a
 *      second `kmm run` child on the same run folder must exit 2 with the lock message naming
 *      this process's pid (the run goes on: the end checks cover it). Then a seeded random schedule of faults,
 *      one at a time: websocket drops, seq gaps
 *      and duplicates, malformed frames, market silence, 429 storms, REST 5xx and timeouts,
 *      exchange pause, a worker actor killed (Supervisor.kill: crash -> cold-start restart).
 *      After each fault ends, recovery is timed: every market TRUSTED again (ingest's view, via
 *      the monitor) and the exchange has received a new order from us since the fault ended.
 *   Then a graceful stop through the commands' ShutdownController, with a seeded REST fault (429
 *   storm, 5xx, timeouts) of the shutdown window and two more signals (SIGHUP, SIGINT) during it:
 *   the stop must verify, both signals be reported and none force an exit. Then the checks
 *   against the exchange's own records (sim.records()):
 *   - the exchange position (rebuilt fill by fill, and the final one) never exceeds MM_MAX_POS;
 *   - after shutdown nothing of ours rests;
 *   - every exchange fill (trade id) is in the journal exactly once;
 *   - no client order id is sent for two different orders (journal create commands) and the
 *     exchange never answered order_already_exists;
 *   - every fault recovered within RECOVERY_BOUND_S.
 *   `ok` is true only if all hold. The pure check is `checkChaosInvariants` (tested on its own).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { kmm, loadConfig, makeDirsSync, ONE_DOLLAR, SeededRng, type Rng } from '@kmm/shared';
import { eventWorstPc, type EventLeg, type JournalRecord } from '@kmm/exec-worker';
import { startSimThread, type SimRecords, type SimThreadHandle } from '@kmm/sim';
import { fetchMarkets } from '../system/markets.js';
import { acquireRunLock, type RunLock } from '../system/run-lock.js';
import { startSystem, type RunningSystem } from '../system/system.js';
import { execJournalPath, readJournalRecords, round1 } from './common.js';
import { startupWarnings } from '../commands/startup-config.js';
import { describeShutdown, describeWorking, ShutdownController } from '../system/shutdown.js';
import { EventEmitter } from 'node:events';

/**
 * A fault not recovered from within this many seconds fails the soak. It must exceed the
 * circuit breaker's cooldown (MM_CIRCUIT_BREAKER_COOLDOWN_S, 30 s by default): after a REST
 * failure storm the breaker deliberately holds new orders that long.
 */
export const RECOVERY_BOUND_S = 45;
/** Poll period of the recovery probe and of the exchange position watch. */
const PROBE_MS = 200;
/** Segment A: kill the child once our orders rest, at most this long after start. */
const SEGMENT_A_MAX_S = 30;
/** Seeded length of the start-up read failure window of segment B: [min, max] seconds. */
export const STARTUP_READ_FAIL_S: readonly [number, number] = [2, 6];
/** A second instance must be refused within this long (it exits before contacting the exchange). */
const SECOND_INSTANCE_MAX_S = 30;

export const FAULT_KINDS = [
  'ws_drop',
  'seq_gap',
  'seq_duplicate',
  'malformed_frames',
  'market_silence',
  'ws_silence',
  'reorder_user_data',
  'rate_429_storm',
  'rest_5xx',
  'rest_timeout',
  'exchange_pause',
  'actor_kill',
] as const;
/**
 * Faults of the shutdown window (issue 14), timed from the stop request, in `kmm chaos` and
 * `kmm dst` alike: a 429 storm, a REST outage (every call 5xx, or every call hanging until the
 * client's timeout), and stop signals delivered to the commands' ShutdownController while exec
 * cancels and verifies.
 */
export const SHUTDOWN_FAULT_KINDS = ['shutdown_429_storm', 'shutdown_rest_5xx', 'shutdown_rest_timeout', 'shutdown_signals'] as const;
export type ShutdownFaultKind = (typeof SHUTDOWN_FAULT_KINDS)[number];
export type FaultKind = (typeof FAULT_KINDS)[number] | 'process_sigkill' | 'startup_read_failures' | 'second_instance' | ShutdownFaultKind;

/**
 * What each fault kind does, for `kmm chaos --help` and `kmm dst --help` (one wording for both;
 * 'process_crash' is dst's, 'process_sigkill' and 'second_instance' chaos's).
 */
export const FAULT_DESCRIPTIONS: Record<FaultKind | 'process_crash', string> = {
  ws_drop: 'the websocket connection drops',
  seq_gap: 'sequence gaps in the order book feed',
  seq_duplicate: 'duplicated order book messages',
  malformed_frames: 'malformed websocket frames',
  market_silence: 'some markets fall silent',
  ws_silence: 'silence with fills: the whole websocket silent (connection open) while the exchange keeps filling our resting orders',
  reorder_user_data: 'fills and position updates reordered against each other',
  rate_429_storm: 'every REST call answered 429',
  rest_5xx: 'REST calls answered 5xx',
  rest_timeout: 'REST calls hang until the client times out',
  exchange_pause: 'the exchange pauses trading',
  actor_kill: 'a worker actor crashes and restarts cold (exec from its journal)',
  process_sigkill: 'the whole `kmm run` process SIGKILLed with orders resting, restarted on the same run folder',
  process_crash: 'the process crashes: every actor restarts, journal lines not yet fsynced are lost',
  startup_read_failures: 'start-up read failures: every read of positions, orders and fills answers 503 from before start-up (no order may go out before the positions were read)',
  second_instance: 'a second instance: a second `kmm run` on the same run folder must exit 2 naming the lock holder\'s pid',
  shutdown_429_storm: 'a fault during shutdown: a 429 storm while exec cancels and verifies',
  shutdown_rest_5xx: 'a fault during shutdown: every REST call 5xx',
  shutdown_rest_timeout: 'a fault during shutdown: every REST call hangs',
  shutdown_signals: 'signals during shutdown: SIGHUP and SIGINT again while it runs (reported, never forcing an exit)',
};

/** The help lines listing fault kinds with what each does. */
export function faultHelp(kinds: readonly (FaultKind | 'process_crash')[]): string {
  const w = Math.max(...kinds.map((k) => k.length));
  return kinds.map((k) => `  ${k.padEnd(w)}  ${FAULT_DESCRIPTIONS[k]}`).join('\n');
}

/** Every fault kind `kmm chaos` injects in one soak (one of the shutdown REST faults, seeded). */
export const CHAOS_FAULT_KINDS: readonly FaultKind[] = ['process_sigkill', 'startup_read_failures', 'second_instance', ...FAULT_KINDS, ...SHUTDOWN_FAULT_KINDS];
/**
 * Longest hold of one fill or market_position frame under 'reorder_user_data' (ms, seeded per
 * frame): long enough for a position update to land before its fill, after it, or after later
 * fills of the market.
 */
export const USER_DATA_REORDER_MS = 1500;
/** How long `kmm chaos` keeps the whole websocket silent (past the stale window, so orders get pulled). */
export const CHAOS_WS_SILENCE_S = 6;

/** Config of the soak: quote on sim books, follow the book closely enough to show recovery. */
export const CHAOS_SET: Record<string, string | number> = {
  // the demo's market profile (its values: shared CONFIG_PROFILES.kalshi)
  MM_MARKET_PROFILE: 'kalshi',
  // the bottom of the seed's safe range (15-120 s): a REST failure storm that trips the breaker
  // still recovers within a short soak, so the schedule reaches every fault kind
  MM_CIRCUIT_BREAKER_COOLDOWN_S: 15,
  min_liquidity: 0,
  MM_QUOTE_REFRESH_MS: 500,
  MM_MIN_REPRICE_INTERVAL_S: 0.2,
  MM_MIN_REPRICE_TICKS: 1,
  MM_MIN_REPRICE_MOVE_TICKS: 1,
  max_time_to_resolution_hours: 8760,
  kmm_log_level: 'warn',
};

export interface ChaosOptions {
  durationS: number;
  seed: number;
  markets: number;
  /** simulator flow intensity (higher = more fills to check) */
  speed?: number;
  out?: string;
  set?: Record<string, string>;
  progress?: (line: string) => void;
}

export interface FaultRecord {
  kind: FaultKind;
  detail: string;
  startS: number;
  durationS: number;
  recoveryS: number | null;
}

export interface ChaosResult {
  seed: number;
  markets: number;
  duration_s: number;
  faults: Record<string, number>;
  fault_log: FaultRecord[];
  cap_centi: number;
  cap_breaches: number;
  max_abs_position_centi: number;
  orders_resting_after_shutdown: number;
  fills_exchange: number;
  fills_journal: number;
  fills_missing: number;
  fills_duplicated: number;
  duplicate_client_order_ids: number;
  max_recovery_s: number;
  unrecovered_faults: number;
  orders_exchange: number;
  actor_restarts: number;
  problems: string[];
  ok: boolean;
  run_dir: string;
}

// ---- the pure check ---------------------------------------------------------------------------------

export interface InvariantInput {
  capCenti: number;
  records: Pick<SimRecords, 'orders' | 'fills' | 'caps'>;
  /** max |position| seen by polling the exchange during the run, per market */
  polledMaxAbsCenti: Record<string, number>;
  journal: JournalRecord[];
  faults: FaultRecord[];
  recoveryBoundS: number;
  /**
   * Event- and account-level caps (the cluster chaos): every market's event, whether the event
   * is mutually exclusive, MM_MAX_EVENT_LOSS_USD and MM_MAX_TOTAL_LOSS_USD. The worst-case loss
   * of the filled positions (exec's event-risk measure, without resting orders) is rebuilt fill
   * by fill from the exchange's fills and must stay within both caps.
   */
  eventRisk?: { eventOf: Record<string, string>; exclusive: Record<string, boolean>; eventCapUsd: number; totalCapUsd: number };
  /**
   * Order expiry (the cluster chaos), polled against the exchange: every order seen resting must
   * carry an expiration (`restingWithoutExpiry`), and none may be seen resting past it.
   */
  expiry?: { restingPastExpiry: number; restingWithoutExpiry: number };
}

export interface InvariantReport {
  cap_breaches: number;
  max_abs_position_centi: number;
  orders_resting_after_shutdown: number;
  fills_exchange: number;
  fills_journal: number;
  fills_missing: number;
  fills_duplicated: number;
  duplicate_client_order_ids: number;
  max_recovery_s: number;
  unrecovered_faults: number;
  /** with eventRisk: fills after which an event's (or the account's) worst-case loss exceeded its cap */
  event_cap_breaches?: number;
  account_cap_breaches?: number;
  max_event_loss_usd?: number;
  max_account_loss_usd?: number;
  /** with expiry: orders seen resting without an expiration, and orders seen resting past theirs */
  orders_without_expiry?: number;
  orders_resting_past_expiry?: number;
  problems: string[];
  ok: boolean;
}

/**
 * The worst-case loss of filled positions per event and in total (USD), rebuilt fill by fill in
 * the exchange's order (exec's event-risk measure: eventWorstPc, positions only).
 */
export function eventLossBreaches(fills: ReadonlyArray<Record<string, unknown>>, r: NonNullable<InvariantInput['eventRisk']>): { eventBreaches: number; accountBreaches: number; maxEventUsd: number; maxAccountUsd: number; problems: string[] } {
  const legs = new Map<string, EventLeg>();
  const worstOf = new Map<string, number>();
  const pcPerUsd = ONE_DOLLAR * 100;
  let total = 0;
  let eventBreaches = 0;
  let accountBreaches = 0;
  let maxEvent = 0;
  let maxAccount = 0;
  const problems: string[] = [];
  for (const f of fills) {
    const t = String(f.ticker ?? f.market_ticker ?? '');
    const count = Math.round(Number(String(f.count_fp ?? '0')) * 100);
    const price = Math.round(Number(String(f.yes_price_dollars ?? '0')) * ONE_DOLLAR);
    const signed = f.book_side === 'ask' || f.side === 'no' ? -count : count;
    const leg = legs.get(t) ?? { market: t, positionCenti: 0, costPriceCenti: 0, orders: [] };
    legs.set(t, leg);
    const q = leg.positionCenti;
    if (q === 0 || Math.sign(q) === Math.sign(signed)) leg.costPriceCenti += price * Math.abs(signed);
    else {
      // reducing (and maybe flipping): the remaining part keeps its average entry price
      const closed = Math.min(Math.abs(signed), Math.abs(q));
      leg.costPriceCenti -= Math.round((leg.costPriceCenti * closed) / Math.abs(q));
      if (Math.abs(signed) > Math.abs(q)) leg.costPriceCenti = price * (Math.abs(signed) - Math.abs(q));
    }
    leg.positionCenti = q + signed;
    if (leg.positionCenti === 0) leg.costPriceCenti = 0;
    const ev = r.eventOf[t] ?? t;
    const evLegs = [...legs.values()].filter((l) => (r.eventOf[l.market] ?? l.market) === ev);
    const worst = Math.max(0, eventWorstPc(evLegs, r.exclusive[ev] === true));
    total += worst - (worstOf.get(ev) ?? 0);
    worstOf.set(ev, worst);
    maxEvent = Math.max(maxEvent, worst / pcPerUsd);
    maxAccount = Math.max(maxAccount, total / pcPerUsd);
    if (worst > r.eventCapUsd * pcPerUsd) {
      eventBreaches++;
      if (eventBreaches <= 3) problems.push(`event ${ev}: worst-case loss ${(worst / pcPerUsd).toFixed(2)} USD > cap ${r.eventCapUsd} USD`);
    }
    if (total > r.totalCapUsd * pcPerUsd) {
      accountBreaches++;
      if (accountBreaches <= 3) problems.push(`account: worst-case loss ${(total / pcPerUsd).toFixed(2)} USD > cap ${r.totalCapUsd} USD`);
    }
  }
  return { eventBreaches, accountBreaches, maxEventUsd: round1(maxEvent), maxAccountUsd: round1(maxAccount), problems };
}

/**
 * What the journal says of an order found resting after shutdown, so a failure names its cause:
 * the order (ticker, client id, created), the journal's last record about it, and the exec
 * shutdowns journaled after it was created (verified, resting left, rounds). No record at all
 * means no journal holds its placement (the placing exec died before its journal append landed).
 */
export function restingDiagnosis(o: Record<string, unknown>, journal: readonly JournalRecord[]): string {
  const coid = String(o.client_order_id ?? '');
  const oid = String(o.order_id ?? '');
  const created = Date.parse(String(o.created_time ?? ''));
  let last: JournalRecord | undefined;
  for (const r of journal) {
    const x = r as { coid?: string; oid?: string; orders?: unknown };
    const cmds = Array.isArray(x.orders) ? (x.orders as Array<{ clientOrderId?: string | null; orderId?: string | null }>) : [];
    if ((coid !== '' && x.coid === coid) || (oid !== '' && x.oid === oid) || cmds.some((c) => (coid !== '' && c.clientOrderId === coid) || (oid !== '' && c.orderId === oid))) last = r;
  }
  const shutdowns = journal.filter((r) => r.k === 'shutdown' && (!Number.isFinite(created) || Number(r.t ?? 0) >= created)).map((r) => {
    const x = r as { t?: number; verified?: boolean; restingLeft?: number; rounds?: number };
    return `verified ${x.verified === true} resting_left ${x.restingLeft ?? '?'} rounds ${x.rounds ?? '?'} at ${Number.isFinite(x.t) ? new Date(Number(x.t)).toISOString() : '?'}`;
  });
  const when = Number.isFinite(created) ? new Date(created).toISOString() : '?';
  const lastText = last ? `last journal record ${last.k}${(last as { op?: string }).op ? ' ' + (last as { op?: string }).op : ''} at ${last.t !== undefined ? new Date(Number(last.t)).toISOString() : '?'}` : 'in no journal';
  return `${oid} (${String(o.ticker ?? '')} ${coid} created ${when}; ${lastText}; exec shutdowns journaled since: ${shutdowns.length > 0 ? shutdowns.join(' | ') : 'none'})`;
}

export function checkChaosInvariants(inp: InvariantInput): InvariantReport {
  const problems: string[] = [];
  // 1. position caps: rebuild each market's position fill by fill (the exchange's order), yes
  //    bought = +, no bought (book side ask) = -; and compare the final one to the exchange's.
  const pos = new Map<string, number>();
  let breaches = 0;
  let maxAbs = 0;
  for (const f of inp.records.fills) {
    const t = String(f.ticker ?? f.market_ticker ?? '');
    const count = Math.round(Number(String(f.count_fp ?? '0')) * 100);
    const signed = f.book_side === 'ask' || f.side === 'no' ? -count : count;
    const p = (pos.get(t) ?? 0) + signed;
    pos.set(t, p);
    maxAbs = Math.max(maxAbs, Math.abs(p));
    if (Math.abs(p) > inp.capCenti) {
      breaches++;
      problems.push(`position cap breached on ${t}: ${p / 100} contracts > ${inp.capCenti / 100}`);
    }
  }
  for (const c of inp.records.caps) {
    maxAbs = Math.max(maxAbs, Math.abs(c.positionCenti));
    if (Math.abs(c.positionCenti) > inp.capCenti && !problems.some((p) => p.includes(c.ticker))) {
      breaches++;
      problems.push(`final exchange position on ${c.ticker} is ${c.positionCenti / 100} > cap ${inp.capCenti / 100}`);
    }
  }
  for (const [t, a] of Object.entries(inp.polledMaxAbsCenti)) {
    maxAbs = Math.max(maxAbs, a);
    if (a > inp.capCenti && !problems.some((p) => p.includes(t))) {
      breaches++;
      problems.push(`exchange position on ${t} reached ${a / 100} > cap ${inp.capCenti / 100} (polled)`);
    }
  }
  // 2. nothing of ours rests after shutdown
  const resting = inp.records.orders.filter((o) => o.status === 'resting');
  if (resting.length > 0) problems.push(`${resting.length} orders still resting after shutdown: ${resting.slice(0, 3).map((o) => restingDiagnosis(o, inp.journal)).join('; ')}`);
  // 3. every exchange fill in the journal exactly once (by trade id)
  const journalFills = new Map<string, number>();
  for (const r of inp.journal) if (r.k === 'fill' && r.tradeId) journalFills.set(r.tradeId, (journalFills.get(r.tradeId) ?? 0) + 1);
  const exchangeIds = new Set(inp.records.fills.map((f) => String(f.trade_id ?? f.fill_id ?? '')));
  let missing = 0;
  for (const id of exchangeIds) if (!journalFills.has(id)) missing++;
  let duplicated = 0;
  for (const [, n] of journalFills) if (n > 1) duplicated++;
  let phantom = 0;
  for (const id of journalFills.keys()) if (!exchangeIds.has(id)) phantom++;
  if (missing) {
    const lost = inp.records.fills.filter((f) => !journalFills.has(String(f.trade_id ?? f.fill_id ?? ''))).slice(0, 3);
    const what = lost.map((f) => `${String(f.trade_id ?? f.fill_id ?? '')} (${String(f.ticker ?? f.market_ticker ?? '')} order ${String(f.order_id ?? '')} at ${String(f.created_time ?? '?')}; the order: ${restingDiagnosis({ order_id: f.order_id, client_order_id: f.client_order_id, ticker: f.ticker ?? f.market_ticker, created_time: f.created_time }, inp.journal)})`);
    problems.push(`${missing} exchange fills missing from the journal: ${what.join('; ')}`);
  }
  if (duplicated) problems.push(`${duplicated} fills journaled more than once`);
  if (phantom) problems.push(`${phantom} journaled fills the exchange does not have`);
  // 4. client order ids: each create's id is used for one order only; the exchange never saw a reuse
  const coidUse = new Map<string, number>();
  for (const r of inp.journal) {
    if (r.k !== 'cmd' || !r.orders) continue;
    for (const o of r.orders) if (o.kind === kmm.v1.CommandKind.PLACE && o.clientOrderId) coidUse.set(o.clientOrderId, (coidUse.get(o.clientOrderId) ?? 0) + 1);
  }
  let dupCoids = 0;
  for (const [, n] of coidUse) if (n > 1) dupCoids++;
  // A 409 to a create is a reuse unless it answers a retry of the same create: the REST client
  // re-sends a create whose answer was lost with the same client order id (that is what the id
  // is for), and the exchange's order under that id is then the very order the create asked for.
  const byCoid = new Map<string, Record<string, unknown>>();
  for (const o of inp.records.orders) if (typeof o.client_order_id === 'string') byCoid.set(o.client_order_id, o);
  const sameOrder = (r: Extract<JournalRecord, { k: 'rej' }>): boolean => {
    const o = byCoid.get(r.coid ?? '');
    if (!o) return false;
    const side = o.book_side === 'bid' ? kmm.v1.BookSide.BID : o.book_side === 'ask' ? kmm.v1.BookSide.ASK : -1;
    return o.ticker === r.market && side === r.side && Math.round(Number(o.yes_price_dollars) * 10_000) === r.price;
  };
  const exists409 = inp.journal.filter((r) => r.k === 'rej' && /already.?exists/i.test(r.message ?? '') && !sameOrder(r)).length;
  dupCoids += exists409;
  if (dupCoids) problems.push(`${dupCoids} client order ids reused (journal creates, or order_already_exists answers to a create of another order)`);
  // 5. bounded recovery
  let maxRec = 0;
  let unrecovered = 0;
  for (const f of inp.faults) {
    if (f.recoveryS === null || f.recoveryS > inp.recoveryBoundS) {
      unrecovered++;
      problems.push(`fault ${f.kind} (${f.detail}) at ${f.startS} s not recovered within ${inp.recoveryBoundS} s`);
    }
    maxRec = Math.max(maxRec, f.recoveryS ?? inp.recoveryBoundS);
  }
  // 6. event and account caps (optional)
  let eventOk = true;
  const extra: Partial<InvariantReport> = {};
  if (inp.eventRisk) {
    const e = eventLossBreaches(inp.records.fills, inp.eventRisk);
    problems.push(...e.problems);
    Object.assign(extra, { event_cap_breaches: e.eventBreaches, account_cap_breaches: e.accountBreaches, max_event_loss_usd: e.maxEventUsd, max_account_loss_usd: e.maxAccountUsd });
    eventOk = e.eventBreaches === 0 && e.accountBreaches === 0;
  }
  // 7. order expiry (optional): every GTC order carries one; none rested past it
  let expiryOk = true;
  if (inp.expiry) {
    const without = inp.expiry.restingWithoutExpiry;
    if (without) problems.push(`${without} orders seen resting without an expiration`);
    if (inp.expiry.restingPastExpiry) problems.push(`${inp.expiry.restingPastExpiry} orders seen resting past their expiration`);
    Object.assign(extra, { orders_without_expiry: without, orders_resting_past_expiry: inp.expiry.restingPastExpiry });
    expiryOk = without === 0 && inp.expiry.restingPastExpiry === 0;
  }
  return {
    ...extra,
    cap_breaches: breaches,
    max_abs_position_centi: maxAbs,
    orders_resting_after_shutdown: resting.length,
    fills_exchange: exchangeIds.size,
    fills_journal: journalFills.size,
    fills_missing: missing,
    fills_duplicated: duplicated + phantom,
    duplicate_client_order_ids: dupCoids,
    max_recovery_s: round1(maxRec),
    unrecovered_faults: unrecovered,
    problems,
    ok: breaches === 0 && resting.length === 0 && missing === 0 && duplicated === 0 && phantom === 0 && dupCoids === 0 && unrecovered === 0 && eventOk && expiryOk,
  };
}

// ---- the soak ------------------------------------------------------------------------------------------

export async function runChaos(o: ChaosOptions): Promise<ChaosResult> {
  const say = o.progress ?? (() => {});
  const rng = new SeededRng(o.seed).fork('chaos');
  const runDir = resolve(o.out ?? mkdtempSync(join(tmpdir(), 'kmm-chaos-')));
  makeDirsSync(runDir); // not mkdirSync({ recursive }): it never returns for /proc/x
  // The exchange-side kill switch sized as in the demo (4 full swings of every market's cap per
  // 15 s): a triggered group waits for an operator, which a soak cannot provide.
  const set: Record<string, string | number> = { kmm_env: 'sim', kmm_seed: o.seed, kmm_markets: o.markets, max_markets: o.markets, ...CHAOS_SET, ...(o.set ?? {}) };
  const loaded = loadConfig({ env: process.env, cli: set });
  for (const w of startupWarnings(loaded)) say(w);
  const capCenti = Math.round(Number(loaded.values.MM_MAX_POS) * 100);
  const started = Date.now();
  const elapsedS = () => round1((Date.now() - started) / 1000);
  const sim = await startSimThread({ port: 0, seed: o.seed, markets: o.markets, speed: o.speed ?? 3, tier: String(loaded.values.kmm_rate_tier), keyDir: runDir });
  const faults: FaultRecord[] = [];
  const polledMaxAbs: Record<string, number> = {};
  let child: ChildProcess | null = null;
  let sys: RunningSystem | null = null;
  let lock: RunLock | null = null;
  let restarts = 0;
  const watch = setInterval(() => {
    void sim.records().then((r) => {
      for (const c of r.caps) polledMaxAbs[c.ticker] = Math.max(polledMaxAbs[c.ticker] ?? 0, Math.abs(c.positionCenti));
    }, () => {});
  }, 500);
  try {
    say(`chaos: seed ${o.seed}, ${o.markets} markets, ${o.durationS} s, cap ${capCenti / 100} contracts, run folder ${runDir}`);
    // ---- segment A: the real CLI as a child, SIGKILLed with orders resting
    const cli = fileURLToPath(new URL('../cli.js', import.meta.url));
    const args = ['run', '--env', 'sim', '--out', runDir, '--no-dashboard'];
    const childSet = { ...set, kmm_rest_base_url: sim.restBaseUrl, kmm_ws_url: sim.wsUrl, kmm_api_key_id: sim.keyId, kmm_private_key_path: sim.privateKeyPath };
    for (const [k, v] of Object.entries(childSet)) if (k !== 'kmm_env') args.push('--set', `${k}=${v}`);
    child = spawn(process.execPath, [cli, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let childErr = '';
    child.stderr!.on('data', (d: Buffer) => (childErr = (childErr + d.toString()).slice(-4000)));
    const childExit = new Promise<number | null>((r) => child!.once('exit', (code) => r(code)));
    const aMinS = Math.min(SEGMENT_A_MAX_S, Math.max(4, o.durationS * 0.2)) * (0.8 + 0.4 * rng.next());
    const aDeadline = Date.now() + SEGMENT_A_MAX_S * 1000;
    let restingAtKill = 0;
    for (;;) {
      await sleep(PROBE_MS * 2);
      if (child.exitCode !== null) throw new Error(`kmm run exited early (code ${child.exitCode}): ${childErr.slice(-800)}`);
      const recs = await sim.records();
      restingAtKill = recs.orders.filter((x) => x.status === 'resting').length;
      if ((elapsedS() >= aMinS && restingAtKill > 0) || Date.now() > aDeadline) break;
    }
    const killAtS = elapsedS();
    child.kill('SIGKILL');
    await childExit;
    child = null;
    say(`  ${killAtS} s: SIGKILL kmm run (${restingAtKill} of our orders resting); restarting on the same journal`);
    const killFault: FaultRecord = { kind: 'process_sigkill', detail: `${restingAtKill} orders resting`, startS: killAtS, durationS: 0, recoveryS: null };
    faults.push(killFault);
    const ordersBefore = (await sim.records()).orders.length;

    // ---- segment B: restart on the same run folder (its lock first, as `kmm run` takes it) with
    // the account's reads failing from before the start, then a second instance, then the schedule
    const markets = await fetchMarkets(sim.restBaseUrl, o.markets);
    lock = acquireRunLock(runDir, (l) => say(`  ${l}`));
    const readFailS = round1(STARTUP_READ_FAIL_S[0] + rng.next() * (STARTUP_READ_FAIL_S[1] - STARTUP_READ_FAIL_S[0]));
    await sim.faults.set({ accountReadsFail: true });
    const readFailFromS = elapsedS();
    const starting = startSystem({
      loaded,
      exchange: { env: 'sim', restBaseUrl: sim.restBaseUrl, wsUrl: sim.wsUrl, keyId: sim.keyId, privateKeyPath: sim.privateKeyPath },
      markets,
      runDir,
      mode: 'sim',
      dashboard: false,
    });
    // the window runs from before the start; startSystem cannot return within it (exec reports
    // Ready only once it has read the positions)
    starting.catch(() => {}); // awaited below; no unhandled rejection meanwhile
    await sleep(readFailS * 1000);
    const ordersWhileReadsFailed = (await sim.records()).orders.length - ordersBefore;
    await sim.faults.set({ accountReadsFail: false });
    const readFailEndS = elapsedS();
    sys = await starting;
    sys.supervisor.on('restart', () => restarts++);
    const tickers = markets.map((m) => m.market!);
    const readFault: FaultRecord = { kind: 'startup_read_failures', detail: `positions, orders and fills reads 503 from before the restart; ${ordersWhileReadsFailed} orders placed meanwhile`, startS: readFailFromS, durationS: round1(readFailEndS - readFailFromS), recoveryS: null };
    faults.push(readFault);
    killFault.recoveryS = await waitRecovered(sim, sys, ordersBefore, killAtS, elapsedS);
    readFault.recoveryS = killFault.recoveryS === null ? null : round1(Math.max(0, killAtS + killFault.recoveryS - readFailEndS));
    say(`  recovered from SIGKILL in ${killFault.recoveryS ?? '>' + RECOVERY_BOUND_S} s (account reads failed for the first ${readFault.durationS} s of the restart: ${ordersWhileReadsFailed} orders placed meanwhile)`);
    const secondProblems: string[] = [];
    if (ordersWhileReadsFailed !== 0) secondProblems.push(`${ordersWhileReadsFailed} orders reached the exchange while the start-up position reads failed`);

    // a second instance on the same run folder: refused at once, naming this process (the holder)
    {
      const ordersAt = (await sim.records()).orders.length;
      const startS = elapsedS();
      const second = await runSecondInstance(cli, args);
      const expected = `in use by another kmm (pid ${process.pid}`;
      const rec: FaultRecord = { kind: 'second_instance', detail: `second kmm run on the run folder exited ${second.code}`, startS, durationS: round1(elapsedS() - startS), recoveryS: null };
      faults.push(rec);
      if (second.code !== 2) secondProblems.push(`a second kmm run on the run folder exited ${second.code} (expected 2): ${second.out.slice(-400)}`);
      else if (!second.out.includes(expected)) secondProblems.push(`a second kmm run was refused without naming the holder ('${expected}'): ${second.out.slice(-400)}`);
      rec.recoveryS = await waitRecovered(sim, sys, ordersAt, elapsedS(), elapsedS);
      say(`  ${startS} s: second kmm run on the run folder: exit ${second.code}${second.out.includes(expected) ? ` (lock held by pid ${process.pid})` : ''}`);
    }

    const schedule = shuffle([...FAULT_KINDS], rng);
    let i = 0;
    while (elapsedS() < o.durationS) {
      const kind = schedule[i % schedule.length];
      i++;
      if (i > schedule.length && elapsedS() > o.durationS - 5) break;
      const durS = round1(0.5 + rng.next() * 1.5);
      const ordersAtStart = (await sim.records()).orders.length;
      const startS = elapsedS();
      const detail = await applyFault(kind, durS, sim, sys, tickers, rng);
      const endS = elapsedS();
      const rec: FaultRecord = { kind, detail, startS, durationS: round1(endS - startS), recoveryS: null };
      faults.push(rec);
      rec.recoveryS = await waitRecovered(sim, sys, kind === 'rate_429_storm' || kind === 'exchange_pause' || kind === 'rest_5xx' || kind === 'rest_timeout' ? (await sim.records()).orders.length : ordersAtStart, endS, elapsedS);
      say(`  ${startS} s: ${kind} (${detail}) for ${rec.durationS} s -> recovered in ${rec.recoveryS ?? '>' + RECOVERY_BOUND_S} s`);
      await sleep(200 + rng.int(0, 300));
    }
    // ---- the stop, as `kmm run` does it (one ShutdownController), with a seeded REST fault of
    // the shutdown window and two more stop signals (SIGHUP, SIGINT) while exec cancels
    const stopFault = rng.pick(['shutdown_429_storm', 'shutdown_rest_5xx', 'shutdown_rest_timeout'] as const);
    const stopFaultS = round1(1 + rng.next() * 2);
    const running = sys;
    const signals = new EventEmitter();
    const printed: string[] = [];
    let forcedExit: number | null = null;
    const ctl = new ShutdownController({
      print: (l) => printed.push(l),
      restingNow: () => running.monitor.workingOrders().length,
      describeLeft: () => describeWorking(running.monitor.workingOrders()),
      exit: (code) => {
        forcedExit ??= code;
      },
      proc: signals,
    });
    ctl.install();
    signals.emit('SIGINT');
    await ctl.requested;
    say(`  graceful stop (SIGINT) under ${stopFault} for ${stopFaultS} s, then SIGHUP and SIGINT during it: cancel all, verify, flush journal`);
    await sim.faults.set(stopFault === 'shutdown_429_storm' ? { rate429Storm: true } : stopFault === 'shutdown_rest_5xx' ? { rest5xxProb: 1 } : { restTimeoutProb: 1, restTimeoutMs: 3000 });
    const stopStartS = elapsedS();
    const stopping = running.stop();
    signals.emit('SIGHUP');
    signals.emit('SIGINT');
    await sleep(stopFaultS * 1000);
    await sim.faults.set({ rate429Storm: false, rest5xxProb: 0, restTimeoutProb: 0 });
    await stopping;
    ctl.uninstall();
    const shutdown = running.shutdownReport();
    sys = null;
    clearInterval(watch);
    const reported = printed.filter((l) => l.includes('shutdown in progress')).length;
    faults.push({ kind: stopFault, detail: `during the shutdown, for ${stopFaultS} s`, startS: stopStartS, durationS: stopFaultS, recoveryS: 0 });
    faults.push({ kind: 'shutdown_signals', detail: `SIGHUP and SIGINT during the shutdown: ${reported} of 2 reported${forcedExit === null ? '' : ', forced an exit'}`, startS: stopStartS, durationS: 0, recoveryS: 0 });
    const records = await sim.records();
    const journal = readJournalRecords(execJournalPath(runDir));
    const rep = checkChaosInvariants({ capCenti, records, polledMaxAbsCenti: polledMaxAbs, journal, faults, recoveryBoundS: RECOVERY_BOUND_S });
    if (!shutdown?.verified) rep.problems.push(`shutdown not verified: ${describeShutdown(shutdown).lines.join(' ')}`);
    if (forcedExit !== null) rep.problems.push(`a signal during the shutdown forced an exit (code ${forcedExit})`);
    if (reported !== 2) rep.problems.push(`${reported} of 2 signals during the shutdown were reported`);
    rep.problems.push(...secondProblems);
    rep.ok = rep.ok && !!shutdown?.verified && forcedExit === null && reported === 2 && secondProblems.length === 0;
    const counts: Record<string, number> = {};
    for (const f of faults) counts[f.kind] = (counts[f.kind] ?? 0) + 1;
    return {
      seed: o.seed,
      markets: o.markets,
      duration_s: elapsedS(),
      faults: counts,
      fault_log: faults,
      cap_centi: capCenti,
      ...rep,
      orders_exchange: records.orders.length,
      actor_restarts: restarts,
      run_dir: runDir,
    };
  } finally {
    clearInterval(watch);
    if (child && child.exitCode === null) child.kill('SIGKILL');
    if (sys) await sys.stop().catch(() => {});
    lock?.release();
    await sim.close();
  }
}

/** Runs `kmm <args>` to its exit (bounded: killed past SECOND_INSTANCE_MAX_S); its code and output. */
async function runSecondInstance(cli: string, args: string[]): Promise<{ code: number | null; out: string }> {
  const c = spawn(process.execPath, [cli, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  c.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  c.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const timer = setTimeout(() => c.kill('SIGKILL'), SECOND_INSTANCE_MAX_S * 1000);
  const code = await new Promise<number | null>((r) => c.once('exit', (code) => r(code)));
  clearTimeout(timer);
  return { code, out };
}

async function applyFault(kind: FaultKind, durS: number, sim: SimThreadHandle, sys: RunningSystem, tickers: string[], rng: Rng): Promise<string> {
  const hold = () => sleep(durS * 1000);
  switch (kind) {
    case 'ws_drop':
      await sim.dropWebSockets();
      return 'all websocket connections closed';
    case 'seq_gap':
      await sim.faults.set({ seqSkipProb: 0.05 });
      await hold();
      await sim.faults.set({ seqSkipProb: 0 });
      return 'seqSkipProb 0.05';
    case 'seq_duplicate':
      await sim.faults.set({ seqDupProb: 0.05 });
      await hold();
      await sim.faults.set({ seqDupProb: 0 });
      return 'seqDupProb 0.05';
    case 'malformed_frames':
      await sim.faults.set({ malformedFrameProb: 0.05 });
      await hold();
      await sim.faults.set({ malformedFrameProb: 0 });
      return 'malformedFrameProb 0.05';
    case 'market_silence': {
      const n = Math.max(1, Math.min(tickers.length, 1 + rng.int(0, 2)));
      const silent = shuffle([...tickers], rng).slice(0, n);
      await sim.faults.set({ silenceMarkets: silent });
      await hold();
      await sim.faults.set({ silenceMarkets: [] });
      return `${silent.length} markets silent`;
    }
    case 'ws_silence':
      // long enough for every market to go stale while orders rest and fills go unseen
      await sim.faults.set({ wsSilent: true });
      await sleep(Math.max(durS, CHAOS_WS_SILENCE_S) * 1000);
      await sim.faults.set({ wsSilent: false });
      return 'every market and the user data silent, connection open';
    case 'reorder_user_data':
      await sim.faults.set({ userDataReorderMs: USER_DATA_REORDER_MS });
      await hold();
      await sim.faults.set({ userDataReorderMs: 0 });
      return `fills and positions each held 0..${USER_DATA_REORDER_MS} ms`;
    case 'rate_429_storm':
      await sim.faults.set({ rate429Storm: true });
      await hold();
      await sim.faults.set({ rate429Storm: false });
      return 'every REST call 429';
    case 'rest_5xx':
      await sim.faults.set({ rest5xxProb: 0.5 });
      await hold();
      await sim.faults.set({ rest5xxProb: 0 });
      return 'rest5xxProb 0.5';
    case 'rest_timeout':
      await sim.faults.set({ restTimeoutProb: 0.3, restTimeoutMs: 3000 });
      await hold();
      await sim.faults.set({ restTimeoutProb: 0 });
      return 'restTimeoutProb 0.3, 3 s hang';
    case 'exchange_pause':
      await sim.pauseExchange();
      await hold();
      await sim.resumeExchange();
      return 'trading paused';
    case 'actor_kill': {
      const actor = rng.pick(sys.supervisor.actorNames());
      await sys.supervisor.kill(actor);
      return `${actor} terminated`;
    }
    default:
      return 'none';
  }
}

/**
 * Recovered = no market UNTRUSTED (resynced; a quiet market may be STALE, which is the
 * liveness state for "no data", not a fault) and the
 * exchange has received at least one new order of ours since the fault ended (the order path
 * works end to end). Returns seconds since `fromS`, or null past RECOVERY_BOUND_S.
 */
async function waitRecovered(sim: SimThreadHandle, sys: RunningSystem, ordersAtEnd: number, fromS: number, elapsedS: () => number): Promise<number | null> {
  for (;;) {
    const now = elapsedS();
    if (now - fromS > RECOVERY_BOUND_S) return null;
    const snap = sys.monitor.snapshot();
    const resynced = snap.markets.every((m) => m.trust !== 'UNTRUSTED');
    if (resynced) {
      const r = await sim.records();
      if (r.orders.length > ordersAtEnd) return round1(elapsedS() - fromS);
    }
    await sleep(PROBE_MS);
  }
}

function shuffle<T>(xs: T[], rng: Rng): T[] {
  for (let i = xs.length - 1; i > 0; i--) {
    const j = rng.int(0, i);
    [xs[i], xs[j]] = [xs[j], xs[i]];
  }
  return xs;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
