/**
 * One deterministic simulation of the whole trading system, in one thread, in virtual time.
 *
 *   MemoryExchange (the simulator's matching engine, synthetic flow, auth, rate limits, REST and
 *   websocket wire code; in-memory messages with seeded latency)
 *      <- websocket frames -> ingest -> book.0, book.1 -> strategy -> exec -> RestClient -> REST
 *   every actor is its live descriptor, driven by LocalKernel on a SimClock.
 *
 * A seeded schedule injects every fault kind `kmm chaos` knows (websocket drops, seq gaps and
 * duplicates, malformed frames, market silence, silence of the whole websocket with fills going
 * on (ws_silence), fills and position updates reordered against each other (reorder_user_data),
 * 429 storms, REST 5xx and timeouts, exchange
 * pause), start-up read failures (every read of the account's positions, orders and fills
 * answers 503 from before exec starts until a seeded moment), plus actor crashes (the actor restarts through its cold-start path; exec from its
 * journal) and process crashes (every actor restarts; journal records not yet fsynced are
 * lost). After the run the system stops as `kmm run` does (exec cancels everything and
 * verifies), and the checks run against the exchange's own records:
 *   cap            the exchange position never exceeded MM_MAX_POS (fill by fill)
 *   resting        nothing of ours rests after shutdown
 *   fills          every exchange fill is in the journal exactly once (no phantom fills)
 *   client_ids     no client order id sent for two orders; the exchange never answered "exists"
 *   positions      exec's positions equal the exchange's after quiesce
 *   recovery       every fault recovered (all markets trusted, a new order reached the exchange)
 *                  within RECOVERY_BOUND_S
 *   assertions     no actor crashed other than by an injected crash (a broken invariant crashes)
 *   shutdown       exec verified its shutdown (nothing rests, last fills read) despite the faults
 *                  and signals of the shutdown window, and no signal forced an exit
 *   startup        no order request (create, batch, amend) reached the exchange before it had
 *                  answered a positions read of ours (seen at the exchange's REST door)
 *   run_lock       one owner per run folder: the world's KMM holds a real run folder's lock (the
 *                  code `kmm run` takes it with, under pids of the world: its KMM, the KMM
 *                  restarted after a process crash, a second instance); a seeded second
 *                  instance is refused naming the live holder, a restart after a process crash
 *                  (or a start after the KMM died) takes the dead holder's lock over
 * A second instance is refused before it starts anything, so no second set of actors is built:
 * what is checked is the lock's decision at that moment of the seeded run. `kmm chaos` also
 * starts a real second `kmm run` process against its run.
 * The stop is requested through the commands' ShutdownController (virtual clock, a signal bus in
 * place of the process); the exchange keeps trading during the stop, so fills made while the
 * cancels are in flight must reach the journal too.
 * The result carries a hash of the journal: the same seed gives the same hash.
 *
 * Nothing here reads a real clock or Math.random: every draw comes from the seed. (The run
 * folder is a real temporary folder holding only the lock: the lock code is the production one.)
 */
import { createHash, generateKeyPairSync } from 'node:crypto';
import { kmm, LocalKernel, resolveConfig, SeededRng, Signer, SimClock, type KernelActor, type KernelHooks, type KmmConfig, type Rng } from '@kmm/shared';
import { marketTimeScale, MemoryExchange, NO_READ_LAG, type ReplaySource, type SimRecords } from '@kmm/sim';
import { ingestActor, type IngestActorState, type IngestEnv, type IngestSocket, type WsEvents } from '@kmm/ingest-worker/actor';
import { bookActor } from '@kmm/book-worker/actor';
import { strategyActor } from '@kmm/strategy-worker/actor';
import { execActor, type ExecActorState, type ExecEnv } from '@kmm/exec-worker/actor';
import { decodeJournalText, encodeJournalLine, execParamsOf, RestClient, RestGateway, type JournalRecord } from '@kmm/exec-worker';
import { CHAOS_SET, checkChaosInvariants, FAULT_KINDS, RECOVERY_BOUND_S, SHUTDOWN_FAULT_KINDS, USER_DATA_REORDER_MS, type FaultRecord, type ShutdownFaultKind } from '../proof/chaos.js';
import { marketInfoFromVenue, seriesOf } from '../system/markets.js';
import { ShutdownController } from '../system/shutdown.js';
import { openRunDir } from '../system/run-dir.js';
import { RunLockError, type RunLock } from '../system/run-lock.js';
import { EventEmitter } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ShutdownReport } from '@kmm/exec-worker';

/** 2026-01-01T00:00:00Z: virtual wall time at t = 0 */
export const DST_START_WALL_MS = 1_767_225_600_000;
/** the simulated market's default time scale in a DST run (flow rates, the venue's token refill and KMM's market-time values x this: kmm_time_scale) */
export const DST_DEFAULT_SPEED = 0.5;
/** Virtual time the system may take to stop (cancel all, verify, final fills) after the run. */
export const DST_STOP_MAX_MS = 120_000;
/** The exec journal is fsynced this often (virtual); a process crash loses what came after. */
export const DST_FSYNC_MS = 100;
/** Recovery probe period (virtual). */
const PROBE_MS = 250;
/** Longest fault (virtual seconds) but ws_silence. */
const MAX_FAULT_S = 10;
/**
 * How long a seeded ws_silence lasts (virtual s): every market and the user data silent while
 * orders rest and fill (issue 14 item 3: 15 s of silence took the exchange past the cap).
 */
export const DST_WS_SILENCE_S = 15;
const BOOKS = ['book.0', 'book.1'];
const SHUTDOWN_ORDER = ['ingest', ...BOOKS, 'strategy', 'exec'];

export type DstFaultKind = (typeof FAULT_KINDS)[number] | 'process_crash';
export const DST_FAULT_KINDS: readonly DstFaultKind[] = [...FAULT_KINDS, 'process_crash'];

/** Longest seeded start-up read failure window (virtual s from t = 0, before exec starts). */
export const DST_STARTUP_READ_FAIL_MAX_S = 20;
/** First pid of the world's KMM processes (the run-folder lock's holders; none is a real process). */
const DST_FIRST_PID = 4_000_001;
/** Order requests that can add exposure: create, batch create, amend (current and legacy paths). */
const ORDER_REQUEST_RE = /\/portfolio\/(events\/)?orders(\/batched|\/[^/]+\/amend)?$/;
/** Seeded in-run faults start at least this long after a start-up read failure ends (its recovery). */
const STARTUP_RECOVERY_GAP_S = 25;

/** Faults of the shutdown window: chaos.ts SHUTDOWN_FAULT_KINDS (one list for chaos and dst). */
export { SHUTDOWN_FAULT_KINDS, type ShutdownFaultKind };
export interface ShutdownFault {
  kind: ShutdownFaultKind;
  /** seconds after the stop request */
  atS: number;
  durS: number;
}
/** Signals of 'shutdown_signals', seconds after its start: never FORCE_AFTER within FORCE_WINDOW_MS. */
const SHUTDOWN_SIGNAL_TIMES: ReadonlyArray<[number, string]> = [[0, 'SIGINT'], [1, 'SIGHUP'], [3.5, 'SIGINT']];

/** A deliberately broken invariant (tests prove the checks catch it and the seed reproduces it). */
export type DstBug = 'none' | 'journal_duplicate_fill' | 'exec_assertion';

export interface DstOptions {
  seed: number;
  /** virtual minutes of trading before the shutdown */
  simMinutes: number;
  markets?: number;
  /** flow intensity of the simulator */
  speed?: number;
  /** replay market instead of synthetic flow (the capture's markets; `markets` should be their count) */
  replay?: ReplaySource;
  /**
   * the simulator's market profile (default 'synthetic': the original uncalibrated flow, whose
   * fills within minutes the DST scenarios rely on; 'active' / 'quiet' are calibrated to Kalshi)
   */
  profile?: string;
  /** inject the seeded fault schedule (default true) */
  faults?: boolean;
  bug?: DstBug;
  /** extra config (key -> value) on top of the DST set */
  set?: Record<string, string | number | boolean>;
  /** every warn/error ops event and log line, with its virtual time (debugging a seed) */
  trace?: (line: string) => void;
  /** a scripted fault schedule instead of the seeded one (scenario tests) */
  schedule?: ReadonlyArray<{ atS: number; kind: DstFaultKind; durS: number }>;
  /** called every `observeEveryMs` of virtual time with the world's state (scenario tests) */
  observe?: (w: DstView) => void;
  observeEveryMs?: number;
  /** taps on the kernel (scenario tests): ops events, logs, every delivered and every sent message */
  hooks?: Pick<KernelHooks, 'ops' | 'log' | 'deliver' | 'send'>;
  /**
   * runs once on the exchange before any actor starts (scenario tests: an account that already
   * holds a position, an order resting from a previous run)
   */
  before?: (exchange: MemoryExchange) => void;
  /** keep the decoded journal in the result (scenario tests) */
  keepJournal?: boolean;
  /** ingest's capture of every websocket frame (as a run's capture.jsonl; backtest parity tests) */
  capture?: IngestEnv['capture'];
  /**
   * the KMM process dies at this virtual time and is not restarted (scenario tests of order
   * expiry): no shutdown, nothing cancels; the exchange runs on to `simMinutes`
   */
  dieAtS?: number;
  /**
   * faults of the shutdown window (scenario tests); default: with seeded faults, a seeded choice
   * of one REST fault (or none) and, half the time, stop signals
   */
  shutdownFaults?: readonly ShutdownFault[];
  /** signals the ShutdownController receives during the stop, [seconds after the stop request, signal] (scenario tests) */
  shutdownSignals?: ReadonlyArray<[number, string]>;
  /**
   * after the stop (and the checks' snapshot of the exchange), the exchange runs on this many
   * virtual seconds with nothing of ours running: scenario tests watch what an unverified stop
   * left resting expire (`observe` keeps being called). The checks are those of the stop's end.
   */
  runOnAfterStopS?: number;
  /**
   * every read of the account (positions, orders, fills) answers 503 from t = 0 (before exec
   * starts) for this many virtual seconds; 0 = none. Default: with seeded faults and no
   * scripted schedule, a seeded window (none in half the seeds, else 3..20 s) when the run is
   * long enough for its recovery to be observed
   */
  startupReadFailS?: number;
  /**
   * the venue's read-after-write lag of GET orders / positions (ms). Default none (current
   * reads); DEFAULT_READ_LAG of @kmm/sim is what was recorded on demo (360 / 1,000 ms)
   */
  readLag?: { ordersMs: number; positionsMs: number };
  /**
   * a second KMM starts on the run folder at this virtual second (the run-folder lock must refuse
   * it, naming the holder); default: with seeded faults and no scripted schedule, a seeded time
   * inside the fault window; null: none
   */
  secondInstanceAtS?: number | null;
  /** scenario tests: runs just before the second instance starts, with the run folder (e.g. delete its lock) */
  beforeSecondInstance?: (runDir: string) => void;
}

/** What a scenario test may look at while the world runs (read only by convention). */
export interface DstView {
  nowS: number;
  exchange: MemoryExchange;
  kernel: LocalKernel;
  /** exec's state (undefined while it (re)starts) */
  exec: ExecActorState | undefined;
  /** every market trusted by ingest */
  trusted: boolean;
  /** faults injected so far */
  faults: readonly FaultRecord[];
}

export const DST_CHECKS = ['cap', 'resting', 'fills', 'client_ids', 'positions', 'recovery', 'assertions', 'shutdown', 'startup', 'run_lock'] as const;
export type DstCheck = (typeof DST_CHECKS)[number];

export interface DstResult {
  seed: number;
  ok: boolean;
  /** violations per check (0 = held) */
  violations: Record<DstCheck, number>;
  problems: string[];
  hash: string;
  events: number;
  simMinutes: number;
  faults: FaultRecord[];
  /** the faults of the shutdown window */
  shutdownFaults: ShutdownFault[];
  /** the start-up read failure window (virtual s from t = 0; 0 = none) */
  startupReadFailS: number;
  /** virtual s at which the exchange first answered a positions read of ours (null: never) */
  positionsFirstReadS: number | null;
  /** virtual s of our first order request (create, batch, amend) at the exchange (null: none) */
  firstOrderRequestS: number | null;
  /** exec's shutdown report (null: exec never reported) */
  shutdown: ShutdownReport | null;
  /** a forced exit (exit code) the ShutdownController asked for during the stop (null: none) */
  forcedExit: number | null;
  /** what the ShutdownController printed (signals reported during the stop) */
  shutdownLines: string[];
  /** when a second KMM started on the run folder (virtual s; null: none) */
  secondInstanceAtS: number | null;
  /** what the run-folder lock said (takeovers) and the second instance's refusal, with virtual times */
  runLockLines: string[];
  crashes: string[];
  fillsExchange: number;
  ordersExchange: number;
  journalRecords: number;
  /** the decoded journal, with `keepJournal` */
  journal?: JournalRecord[];
  /** the markets traded, as exec and strategy got them (a run folder's markets.json) */
  markets: kmm.v1.IMarketInfo[];
}

/**
 * RSA key size of the simulation's API key. Signing is real (the exchange verifies every
 * request), but its cost is not what is being tested: 1024 bits signs ~4x faster than 2048.
 */
const DST_RSA_BITS = 1024;
let keyPair: { publicKeyPem: string; privateKeyPem: string } | null = null;
/** One RSA key pair per process: key generation is slow and the key plays no part in determinism. */
function keys(): { publicKeyPem: string; privateKeyPem: string } {
  if (!keyPair) {
    const k = generateKeyPairSync('rsa', { modulusLength: DST_RSA_BITS });
    keyPair = { publicKeyPem: k.publicKey.export({ type: 'spki', format: 'pem' }).toString(), privateKeyPem: k.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() };
  }
  return keyPair;
}

/**
 * The exec journal as a disk would keep it: lines encoded by the journal's own codec; appended
 * lines are durable after the next fsync; a restart reads the durable lines back (decoded).
 */
class MemoryJournal {
  private readonly durable: string[] = [];
  private pending: string[] = [];
  private seq = 0;
  lostOnCrash = 0;
  constructor(private readonly wallMs: () => number) {}
  append(rec: JournalRecord): void {
    this.pending.push(encodeJournalLine(rec, this.wallMs(), ++this.seq));
  }
  fsync(): void {
    for (const l of this.pending) this.durable.push(l);
    this.pending = [];
  }
  /** a process crash: what was not fsynced is gone; the next writer starts its sequence again */
  loseUnsynced(): void {
    this.lostOnCrash += this.pending.length;
    this.pending = [];
    this.seq = 0;
  }
  /** what a restarted exec reads back */
  read(): JournalRecord[] {
    const r = decodeJournalText(this.durable.join('\n') + '\n');
    if (r.badLines > 0) throw new Error(`dst: the journal does not read back: ${r.errors.join('; ')}`);
    return r.records;
  }
  lines(): string[] {
    return [...this.durable, ...this.pending];
  }
}

function shuffle<T>(a: T[], rng: Rng): T[] {
  for (let i = a.length - 1; i > 0; i--) {
    const j = rng.int(0, i);
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a;
}

function marketsOf(ex: MemoryExchange, limit: number): kmm.v1.IMarketInfo[] {
  const r = ex.request('GET', '/trade-api/v2/markets?status=open&limit=200', {}, '');
  if (r.kind !== 'reply' || r.status !== 200) throw new Error(`dst: GET /markets failed (${r.kind === 'reply' ? r.status : 'no reply'})`);
  const raw = (JSON.parse(r.bodyText) as { markets: Array<Record<string, any>> }).markets;
  raw.sort((a, b) => Number.parseInt(String(b.volume_24h_fp ?? '0'), 10) - Number.parseInt(String(a.volume_24h_fp ?? '0'), 10) || String(a.ticker).localeCompare(String(b.ticker)));
  return raw.slice(0, limit).map((m) => {
    const series = seriesOf(String(m.event_ticker ?? m.ticker));
    const s = ex.request('GET', `/trade-api/v2/series/${encodeURIComponent(series)}`, {}, '');
    let fee = { feeType: 'quadratic', multiplierMilli: 1000 };
    if (s.kind === 'reply' && s.status === 200) {
      const sj = (JSON.parse(s.bodyText) as { series?: Record<string, unknown> }).series ?? {};
      fee = { feeType: String(sj.fee_type ?? 'quadratic'), multiplierMilli: Math.round(Number(String(sj.fee_multiplier ?? '1')) * 1000) };
    }
    const ev = ex.request('GET', `/trade-api/v2/events/${encodeURIComponent(String(m.event_ticker ?? ''))}`, {}, '');
    const exclusive = ev.kind === 'reply' && ev.status === 200 && (JSON.parse(ev.bodyText) as { event?: { mutually_exclusive?: boolean } }).event?.mutually_exclusive === true;
    return marketInfoFromVenue(m as never, fee, exclusive);
  });
}

/** The DST configuration: the chaos soak's set (Kalshi tuning, breaker floor), sized to the run. */
export function dstConfig(o: DstOptions, markets: number): KmmConfig {
  return resolveConfig({
    kmm_env: 'sim',
    kmm_seed: o.seed,
    kmm_markets: markets,
    max_markets: markets,
    kmm_shards: BOOKS.length,
    // the simulated market's pace (a replay's own speed): KMM's market-time values and exec's
    // token refill follow it, as the exchange's refill does
    kmm_time_scale: marketTimeScale({ speed: o.speed ?? DST_DEFAULT_SPEED, replay: o.replay }),
    // kmm_order_group_contracts_limit left at 0: the kill switch is sized to risk exactly as in
    // demo and run (limits.ts orderGroupContractsLimitFor, from the caps and kmm_markets)
    ...CHAOS_SET,
    ...(o.set ?? {}),
  });
}

export async function runDst(o: DstOptions): Promise<DstResult> {
  const seed = o.seed >>> 0;
  const nMarkets = o.markets ?? 4;
  const rng = new SeededRng(seed).fork('dst.schedule');
  const clock = new SimClock(DST_START_WALL_MS, 0);
  const problems: string[] = [];
  const crashes: string[] = [];
  let injectedCrash = false;
  let processCrash = false;
  const journal = new MemoryJournal(() => clock.wallMs());
  let shutdownReport: ShutdownReport | null = null;
  // the kernel is created before the exchange (whose scheduler it is); config comes after discovery
  let kernel: LocalKernel | null = null;
  const k = (): LocalKernel => kernel!;
  const { publicKeyPem, privateKeyPem } = keys();
  // the market's time scale: the flow's rates and the venue's token refill (exec is told it too)
  const speed = o.speed ?? DST_DEFAULT_SPEED;
  const ex = new MemoryExchange({
    seed,
    markets: nMarkets,
    speed,
    flow: true,
    replay: o.replay,
    profile: o.profile ?? 'synthetic',
    publicKeyPem,
    keyId: 'dst-key',
    readLag: o.readLag ?? NO_READ_LAG,
    clock,
    scheduler: { at: (tNs, fn) => k().atAsync(tNs, fn) },
  });
  const signer = new Signer(ex.keyId, privateKeyPem);
  const markets = marketsOf(ex, nMarkets);
  const tickers = markets.map((m) => m.market ?? '');
  const config = dstConfig(o, markets.length);
  const capCenti = Math.round(Number((config as unknown as Record<string, unknown>).MM_MAX_POS) * 100);
  kernel = new LocalKernel({
    clock,
    config,
    onCrash: 'restart',
    hooks: {
      ops: (actor, event, market, level, fields, t) => {
        o.hooks?.ops?.(actor, event, market, level, fields, t);
        if (actor === 'exec' && (event === 'shutdown_verified' || event === 'shutdown_unverified')) shutdownReport = fields as unknown as ShutdownReport;
        if (o.trace && (level !== 'info' || process.env.KMM_DST_TRACE_INFO)) o.trace(`${(t.monoNs / 1e9).toFixed(3)} ${actor} ${level} ${event} ${market} ${JSON.stringify(fields).slice(0, 300)}`);
      },
      log: (actor, level, event, fields, t) => {
        o.hooks?.log?.(actor, level, event, fields, t);
        if (o.trace && (level === 'warn' || level === 'error')) o.trace(`${(t.monoNs / 1e9).toFixed(3)} ${actor} log.${level} ${event} ${JSON.stringify(fields).slice(0, 300)}`);
      },
      deliver: o.hooks?.deliver,
      send: o.hooks?.send,
      crash: (actor, err) => {
        crashes.push(`${actor}: ${err.message}`);
        if (!injectedCrash) problems.push(`${actor} crashed (not injected): ${err.message.split('\n')[0]}`);
        // a thread crash keeps what the journal handed to the OS; a process crash does not
        if (actor === 'exec' && !processCrash) journal.fsync();
      },
    },
  });
  const kern = kernel;
  const sleep = (ms: number): Promise<void> => kern.sleep(ms);

  // ---- environments (a fresh one per (re)start; an old one goes dead, as a dead thread's sockets would)
  let ingestEnvAlive = { alive: false, conn: null as null | { terminate(): void } };
  const ingestEnv = (): IngestEnv => {
    ingestEnvAlive.alive = false;
    ingestEnvAlive.conn?.terminate();
    const me = { alive: true, conn: null as null | { terminate(): void } };
    ingestEnvAlive = me;
    return {
      capture: o.capture ?? null,
      connect(events: WsEvents): IngestSocket {
        const actor = kern.get('ingest')!;
        const run = (fn: () => void): void => {
          if (me.alive) actor.external(fn);
        };
        const path = '/trade-api/ws/v2';
        const conn = ex.connect(signer.headers(clock.wallMs(), 'GET', path) as unknown as Record<string, string>, {
          onOpen: () => run(() => events.open()),
          onFrame: (text) => run(() => events.message(text)),
          onPing: () => run(() => events.heartbeat()),
          onPong: () => run(() => events.heartbeat()),
          onClose: (code, reason) => run(() => events.close(code, reason)),
        });
        me.conn = conn;
        return {
          send(text: string): boolean {
            if (conn.state !== 'open') return false;
            conn.send(text);
            return true;
          },
          ping: () => conn.ping(),
          terminate: () => conn.terminate(),
          close: () => conn.close(1000, 'shutdown'),
        };
      },
    };
  };

  let execAlive = { alive: false };
  const transport = ex.restTransport();
  const execEnv = (): ExecEnv => {
    execAlive.alive = false;
    const me = { alive: true };
    execAlive = me;
    const never = new Promise<never>(() => {});
    const rest = new RestClient({
      baseUrl: ex.restBaseUrl,
      signer,
      cancelOrderOnPause: execParamsOf(config).cancelOrderOnPause,
      monoNs: () => clock.monoNs(),
      wallMs: () => clock.wallMs(),
      // a dead exec's requests never answer: its continuations must not act for the new one
      transport: (req) => (me.alive ? transport(req).then((r) => (me.alive ? r : never)) : never),
      sleep,
      setTimer: (ms, fn) => {
        let live = true;
        kern.atAsync(clock.monoNs() + Math.round(ms * 1e6), () => {
          if (live && me.alive) fn();
        });
        return () => {
          live = false;
        };
      },
    });
    return {
      gateway: new RestGateway(rest),
      journal: {
        append: (rec) => {
          if (!me.alive) return;
          journal.append(rec);
          if (o.trace && rec.k === 'rej') o.trace(`${(clock.monoNs() / 1e9).toFixed(3)} exec journal rej ${JSON.stringify(rec).slice(0, 300)}`);
        },
        close: async () => journal.fsync(),
      },
      priorJournal: journal.read(),
      tape: null,
      sleep,
      paperVenue: null,
      journalWire: false,
    };
  };

  o.before?.(ex);
  // the 'startup' check, at the exchange's REST door: order requests before the exchange first
  // answered a positions read of ours (wraps whatever `before` installed)
  let positionsFirstReadNs: number | null = null;
  let firstOrderRequestNs: number | null = null;
  const ordersBeforePositions: string[] = [];
  {
    const serve = ex.request.bind(ex);
    ex.request = (method, pathWithQuery, headers, bodyText) => {
      const out = serve(method, pathWithQuery, headers, bodyText);
      const path = pathWithQuery.split('?')[0];
      const isOrder = method === 'POST' && ORDER_REQUEST_RE.test(path);
      if (isOrder) firstOrderRequestNs ??= clock.monoNs();
      if (positionsFirstReadNs === null) {
        if (method === 'GET' && path.endsWith('/portfolio/positions') && out.kind === 'reply' && out.status === 200) positionsFirstReadNs = clock.monoNs();
        else if (isOrder) ordersBeforePositions.push(`${(clock.monoNs() / 1e9).toFixed(3)} s POST ${path} (${out.kind === 'reply' ? out.status : out.kind})`);
      }
      return out;
    };
  }
  // ---- one owner per run folder: the lock `kmm run` takes (openRunDir), on a real folder, under
  // the world's own pids (the KMM, the KMM restarted after a process crash, a second instance)
  const runDir = mkdtempSync(join(tmpdir(), 'kmm-dst-run-'));
  const livePids = new Set<number>();
  let nextPid = DST_FIRST_PID;
  const runLockLines: string[] = [];
  let runLockViolations = 0;
  const lockAs = (pid: number) => ({ pid, alive: (p: number) => livePids.has(p), startedIso: new Date(clock.wallMs()).toISOString() });
  const sayLock = (l: string): void => {
    runLockLines.push(`${(clock.monoNs() / 1e9).toFixed(3)} ${l}`);
    o.trace?.(`${(clock.monoNs() / 1e9).toFixed(3)} RUN LOCK ${l}`);
  };
  /** a KMM process starts on the run folder: takes the lock (or is refused, RunLockError) */
  const startProcess = (): { pid: number; lock: RunLock } => {
    const pid = nextPid++;
    const { lock } = openRunDir(runDir, sayLock, lockAs(pid));
    livePids.add(pid);
    return { pid, lock };
  };
  let kmmProcess: { pid: number; lock: RunLock } | null = startProcess();
  /** the KMM's process ended (a crash, a death): its pid is no longer alive, its lock file stays */
  const processEnded = (): number | null => {
    if (!kmmProcess) return null;
    livePids.delete(kmmProcess.pid);
    const dead = kmmProcess.pid;
    kmmProcess = null;
    return dead;
  };
  /** the KMM restarted after its process died: it must take the dead holder's lock over */
  const restartProcess = (dead: number | null): void => {
    try {
      kmmProcess = startProcess();
    } catch (e) {
      runLockViolations++;
      problems.push(`the KMM restarted after a process crash could not take its run folder's lock: ${(e as Error).message}`);
      return;
    }
    if (dead !== null && kmmProcess.lock.tookOverFromPid !== dead) {
      runLockViolations++;
      problems.push(`the KMM restarted after a process crash did not take over the lock of its dead process (pid ${dead}; took over ${kmmProcess.lock.tookOverFromPid})`);
    }
  };
  /** a second KMM on the run folder: refused naming the live holder, or (the KMM is dead) it takes the lock over */
  const secondInstance = (): string => {
    o.beforeSecondInstance?.(runDir);
    const holder = kmmProcess?.pid ?? null;
    let second: { pid: number; lock: RunLock } | null = null;
    let refusal: RunLockError | null = null;
    try {
      second = startProcess();
    } catch (e) {
      if (!(e instanceof RunLockError)) throw e;
      refusal = e;
    }
    if (holder === null) {
      // nothing alive holds the folder: a new KMM may have it (the stale lock is taken over)
      if (!second) {
        runLockViolations++;
        problems.push(`a KMM starting after the previous one died was refused: ${refusal!.message}`);
        return 'refused although the holder is dead';
      }
      livePids.delete(second.pid);
      second.lock.release();
      return `took over the lock of the dead KMM (pid ${second.lock.tookOverFromPid})`;
    }
    if (second) {
      // it would now trade beside the KMM, cancel its orders and write into its journal
      runLockViolations++;
      problems.push(`a second KMM on the run folder was not refused (pid ${second.pid} took the lock while pid ${holder} runs)`);
      livePids.delete(second.pid);
      second.lock.release();
      return 'NOT refused';
    }
    if (refusal!.holderPid !== holder || !refusal!.message.includes(`in use by another kmm (pid ${holder}`)) {
      runLockViolations++;
      problems.push(`a second KMM was refused without naming the holder (pid ${holder}): ${refusal!.message}`);
    }
    runLockLines.push(`${(clock.monoNs() / 1e9).toFixed(3)} second instance refused: ${refusal!.message}`);
    return `refused: in use by pid ${refusal!.holderPid}`;
  };

  kern.add({ name: 'ingest', descriptor: ingestActor, markets, shardCount: BOOKS.length, makeEnv: ingestEnv });
  BOOKS.forEach((name, i) => kern.add({ name, descriptor: bookActor, markets, shard: i, shardCount: BOOKS.length, makeEnv: () => null }));
  kern.add({ name: 'strategy', descriptor: strategyActor, markets, shardCount: BOOKS.length, makeEnv: () => ({ feed: null }) });
  const exec = kern.add({ name: 'exec', descriptor: execActor, markets, shardCount: BOOKS.length, extra: { allowFaultInjection: o.bug === 'exec_assertion' }, makeEnv: execEnv });

  // ---- periodic world steps: the exchange's flow and ticks, the journal's fsync
  const endNs = Math.round(o.simMinutes * 60e9);
  let running = true;
  const every = (periodMs: number, fn: () => void): void => {
    const loop = (tNs: number): void =>
      kern.at(tNs, () => {
        if (!running) return;
        fn();
        loop(tNs + periodMs * 1e6);
      });
    loop(clock.monoNs() + periodMs * 1e6);
  };
  every(ex.stepPeriodMs, () => ex.step());
  every(DST_FSYNC_MS, () => journal.fsync());
  if (o.trace) {
    every(5000, () => {
      const es = exec.state as ExecActorState | undefined;
      const st = es?.core.stats;
      o.trace!(`${(clock.monoNs() / 1e9).toFixed(3)} STATUS exec ${exec.started ? 'up' : 'starting'} pending ${es?.runner.pending ?? '-'} commands ${st?.commands ?? '-'} placed ${st?.ordersPlaced ?? '-'} rejects ${st?.rejects ?? '-'} live ${es?.core.bk.liveCount ?? '-'} trusted ${trusted()} exchange orders ${ordersNow()} trading ${es?.core.tradingEnabled} ready ${es?.core.ready} paused ${es?.core.globalPaused} skips ${st?.skips} in ${kern.actorNames.map((n) => n + ':' + kern.get(n)!.counters.msgsIn).join(',')}`);
    });
  }

  // ---- the fault schedule
  const faults: FaultRecord[] = [];
  const startupReadFailS = o.startupReadFailS ?? (o.faults !== false && !o.schedule ? seededStartupReadFailS(new SeededRng(seed).fork('dst.startup'), endNs / 1e9) : 0);
  const ordersNow = (): number => ex.records().orders.length;
  const trusted = (): boolean => {
    const ing = kern.get('ingest') as KernelActor<IngestActorState> | undefined;
    const s = ing?.started ? ing.state : undefined;
    if (!s) return false;
    return tickers.every((t) => s.core.trustOf(t) !== kmm.v1.TrustState.UNTRUSTED);
  };
  const probeRecovery = (rec: FaultRecord, fromNs: number, ordersAtEnd: number): void => {
    const probe = (): void => {
      const waitedS = (clock.monoNs() - fromNs) / 1e9;
      if (trusted() && ordersNow() > ordersAtEnd) {
        rec.recoveryS = Math.round(waitedS * 10) / 10;
        return;
      }
      if (waitedS > RECOVERY_BOUND_S) return; // stays null: not recovered
      kern.at(clock.monoNs() + PROBE_MS * 1e6, probe);
    };
    kern.at(clock.monoNs(), probe);
  };
  const apply = (kind: DstFaultKind, durS: number): { detail: string; end: () => void } => {
    const f = ex.faults;
    switch (kind) {
      case 'ws_drop':
        ex.dropWebSockets();
        return { detail: 'all websocket connections closed', end: () => {} };
      case 'seq_gap':
        f.set({ seqSkipProb: 0.05 });
        return { detail: 'seqSkipProb 0.05', end: () => f.set({ seqSkipProb: 0 }) };
      case 'seq_duplicate':
        f.set({ seqDupProb: 0.05 });
        return { detail: 'seqDupProb 0.05', end: () => f.set({ seqDupProb: 0 }) };
      case 'malformed_frames':
        f.set({ malformedFrameProb: 0.05 });
        return { detail: 'malformedFrameProb 0.05', end: () => f.set({ malformedFrameProb: 0 }) };
      case 'market_silence': {
        const silent = shuffle([...tickers], rng).slice(0, Math.max(1, Math.min(tickers.length, 1 + rng.int(0, 2))));
        f.set({ silenceMarkets: silent });
        return { detail: `${silent.length} markets silent`, end: () => f.set({ silenceMarkets: [] }) };
      }
      case 'ws_silence':
        f.set({ wsSilent: true });
        return { detail: 'every market and the user data silent, connection open', end: () => f.set({ wsSilent: false }) };
      case 'reorder_user_data':
        f.set({ userDataReorderMs: USER_DATA_REORDER_MS });
        return { detail: `fills and positions each held 0..${USER_DATA_REORDER_MS} ms`, end: () => f.set({ userDataReorderMs: 0 }) };
      case 'rate_429_storm':
        f.set({ rate429Storm: true });
        return { detail: 'every REST call 429', end: () => f.set({ rate429Storm: false }) };
      case 'rest_5xx':
        f.set({ rest5xxProb: 0.5 });
        return { detail: 'rest5xxProb 0.5', end: () => f.set({ rest5xxProb: 0 }) };
      case 'rest_timeout':
        f.set({ restTimeoutProb: 0.3, restTimeoutMs: 3000 });
        return { detail: 'restTimeoutProb 0.3, 3 s hang', end: () => f.set({ restTimeoutProb: 0 }) };
      case 'exchange_pause':
        ex.pauseExchange();
        return { detail: 'trading paused', end: () => ex.resumeExchange() };
      case 'actor_kill': {
        const actor = rng.pick(kern.actorNames);
        injectedCrash = true;
        kern.get(actor)!.fail(new Error('dst: actor killed'));
        injectedCrash = false;
        return { detail: `${actor} crashed`, end: () => {} };
      }
      case 'process_crash': {
        injectedCrash = true;
        processCrash = true;
        journal.loseUnsynced();
        // the process is gone (its lock file stays behind) and KMM is started again on the folder
        restartProcess(processEnded());
        kern.crashAll('dst: process crashed');
        processCrash = false;
        injectedCrash = false;
        return { detail: 'every actor restarted; unsynced journal lost; the run folder\'s lock taken over', end: () => {} };
      }
    }
    void durS;
    return { detail: 'none', end: () => {} };
  };
  const inject = (kind: DstFaultKind, durS: number, startNs: number): void => {
    kern.at(startNs, () => {
      const a = apply(kind, durS);
      o.trace?.(`${(startNs / 1e9).toFixed(3)} FAULT ${kind} for ${durS} s: ${a.detail}`);
      const rec: FaultRecord = { kind: kind === 'process_crash' ? 'process_sigkill' : kind, detail: a.detail, startS: Math.round(startNs / 1e8) / 10, durationS: durS, recoveryS: null };
      faults.push(rec);
      kern.at(startNs + durS * 1e9, () => {
        o.trace?.(`${(clock.monoNs() / 1e9).toFixed(3)} FAULT ${kind} ends`);
        a.end();
        probeRecovery(rec, clock.monoNs(), ordersNow());
      });
    });
  };
  if (o.schedule) {
    for (const f of o.schedule) inject(f.kind, f.durS, Math.round(f.atS * 1e9));
  } else if (o.faults !== false) {
    // after a start-up read failure, the first fault waits for its recovery (exec's read backoff
    // reaches 10 s; seed 36: a market silence right after it held every market untrusted)
    let tNs = Math.max(20e9 + rng.int(0, 10_000) * 1e6, startupReadFailS > 0 ? (startupReadFailS + STARTUP_RECOVERY_GAP_S) * 1e9 : 0);
    // the last fault ends early enough for its recovery to be observed before the shutdown
    const lastStartNs = endNs - (Math.max(MAX_FAULT_S, DST_WS_SILENCE_S) + RECOVERY_BOUND_S) * 1e9;
    let prevEndNs = 0;
    while (tNs < lastStartNs) {
      const kind = rng.pick(DST_FAULT_KINDS as DstFaultKind[]);
      const drawnS = 2 + rng.int(0, MAX_FAULT_S - 2);
      const durS = kind === 'ws_silence' ? DST_WS_SILENCE_S : drawnS;
      // a whole-websocket silence holds back every market's recovery: it starts only once the
      // fault before it has had its whole recovery bound (seed 72: a silence cut into the resync
      // cool-down of a market silence and that fault counted as not recovered)
      const startNs = kind === 'ws_silence' ? Math.max(tNs, prevEndNs + RECOVERY_BOUND_S * 1e9) : tNs;
      if (startNs >= lastStartNs) break;
      inject(kind, durS, startNs);
      prevEndNs = startNs + durS * 1e9;
      tNs = startNs + (durS + RECOVERY_BOUND_S / 3 + rng.int(0, 20)) * 1e9;
    }
  }
  // ---- a second instance on the run folder, at a scripted or seeded moment (its own rng fork:
  // the other seeded schedules, and so every seed's journal, stay as they were)
  const secondInstanceAtS = o.secondInstanceAtS !== undefined ? o.secondInstanceAtS : o.faults !== false && !o.schedule ? seededSecondInstanceS(new SeededRng(seed).fork('dst.second'), startupReadFailS, endNs / 1e9) : null;
  if (secondInstanceAtS !== null) {
    kern.at(Math.round(secondInstanceAtS * 1e9), () => {
      const detail = secondInstance();
      o.trace?.(`${(clock.monoNs() / 1e9).toFixed(3)} FAULT second_instance: ${detail}`);
      // refused before it starts anything: the world is untouched, nothing to recover from
      faults.push({ kind: 'second_instance', detail: `a second kmm on the run folder: ${detail}`, startS: Math.round(secondInstanceAtS * 10) / 10, durationS: 0, recoveryS: 0 });
    });
  }
  // ---- start-up read failures: from t = 0, before exec's start-up reconcile, until a seeded moment
  if (startupReadFailS > 0) {
    ex.faults.set({ accountReadsFail: true });
    o.trace?.(`0.000 FAULT startup_read_failures for ${startupReadFailS} s: positions, orders and fills reads 503`);
    const rec: FaultRecord = { kind: 'startup_read_failures', detail: 'positions, orders and fills reads 503 from before start-up', startS: 0, durationS: startupReadFailS, recoveryS: null };
    faults.push(rec);
    kern.at(Math.round(startupReadFailS * 1e9), () => {
      o.trace?.(`${(clock.monoNs() / 1e9).toFixed(3)} FAULT startup_read_failures ends`);
      ex.faults.set({ accountReadsFail: false });
      probeRecovery(rec, clock.monoNs(), ordersNow());
    });
  }
  if (o.observe) {
    const view = (): DstView => ({ nowS: clock.monoNs() / 1e9, exchange: ex, kernel: kern, exec: exec.started ? (exec.state as ExecActorState) : undefined, trusted: trusted(), faults });
    every(o.observeEveryMs ?? 1000, () => o.observe!(view()));
  }

  // ---- deliberately broken invariants (tests of the checks)
  if (o.bug === 'journal_duplicate_fill') {
    const atNs = Math.round(endNs * (0.3 + rng.next() * 0.4));
    kern.at(atNs, () => {
      const fill = journal.read().find((r) => r.k === 'fill');
      if (fill) journal.append({ ...fill });
    });
  } else if (o.bug === 'exec_assertion') {
    const atNs = Math.round(endNs * (0.3 + rng.next() * 0.4));
    kern.at(atNs, () => {
      const s = exec.state as ExecActorState | undefined;
      if (s) exec.external(() => corruptPosition(s));
    });
  }

  // ---- a death without restart: every actor and its sockets gone at once, nothing cancelled
  if (o.dieAtS !== undefined) {
    kern.at(Math.round(o.dieAtS * 1e9), () => {
      o.trace?.(`${(clock.monoNs() / 1e9).toFixed(3)} KMM DIES (no restart)`);
      processEnded();
      ingestEnvAlive.alive = false;
      ingestEnvAlive.conn?.terminate();
      execAlive.alive = false;
      for (const name of kern.actorNames) kern.get(name)!.crashed();
    });
  }

  // ---- run, stop, check
  // ---- the stop, as `kmm run` does it: one ShutdownController; signals and faults during it
  const signalBus = new EventEmitter();
  const shutdownLines: string[] = [];
  let forcedExit: number | null = null;
  const ctl = new ShutdownController({
    print: (l) => {
      shutdownLines.push(l);
      o.trace?.(`${(clock.monoNs() / 1e9).toFixed(3)} SHUTDOWN ${l}`);
    },
    restingNow: () => (exec.started ? (exec.state as ExecActorState).core.bk.liveCount : null),
    describeLeft: () => ex.records().orders.filter((x) => x.status === 'resting').map((x) => `${x.ticker} ${x.order_id}`),
    exit: (code) => {
      forcedExit ??= code;
    },
    nowMs: () => clock.monoNs() / 1e6,
    proc: signalBus,
  });
  ctl.install();
  const shutdownFaults = [...(o.shutdownFaults ?? (o.faults !== false && !o.schedule ? seededShutdownFaults(new SeededRng(seed).fork('dst.shutdown')) : []))];
  const scheduleShutdownFaults = (stopNs: number): void => {
    for (const f of shutdownFaults) {
      const startNs = stopNs + Math.round(f.atS * 1e9);
      if (f.kind === 'shutdown_signals') {
        for (const [dt, sig] of SHUTDOWN_SIGNAL_TIMES) kern.at(startNs + Math.round(dt * 1e9), () => void signalBus.emit(sig));
        continue;
      }
      kern.at(startNs, () => {
        o.trace?.(`${(clock.monoNs() / 1e9).toFixed(3)} FAULT ${f.kind} for ${f.durS} s (shutdown window)`);
        if (f.kind === 'shutdown_429_storm') ex.faults.set({ rate429Storm: true });
        else if (f.kind === 'shutdown_rest_5xx') ex.faults.set({ rest5xxProb: 1 });
        else ex.faults.set({ restTimeoutProb: 1, restTimeoutMs: 3000 });
      });
      kern.at(startNs + Math.round(f.durS * 1e9), () => {
        o.trace?.(`${(clock.monoNs() / 1e9).toFixed(3)} FAULT ${f.kind} ends`);
        ex.faults.set({ rate429Storm: false, rest5xxProb: 0, restTimeoutProb: 0 });
      });
    }
    for (const [dt, sig] of o.shutdownSignals ?? []) kern.at(stopNs + Math.round(dt * 1e9), () => void signalBus.emit(sig));
  };

  // ---- run, stop, check
  await kern.runWhile(exec.ready, 120e9, 'exec start-up');
  await kern.runUntil(endNs);
  ctl.request(`end of the run (${o.simMinutes} simulated minutes)`);
  await ctl.requested;
  scheduleShutdownFaults(clock.monoNs());
  // the exchange keeps trading while exec cancels: fills of the shutdown window must be journaled too
  await kern.stopAll(SHUTDOWN_ORDER, endNs + DST_STOP_MAX_MS * 1e6);
  ctl.uninstall();
  journal.fsync();
  const records: SimRecords = ex.records();
  if (o.runOnAfterStopS) await kern.runUntil(clock.monoNs() + Math.round(o.runOnAfterStopS * 1e9));
  running = false;
  // the KMM exits: its lock goes with it (release removes the file only if it is still ours)
  kmmProcess?.lock.release();
  rmSync(runDir, { recursive: true, force: true });
  const lines = journal.lines();
  const recs = decodeJournalText(lines.join('\n') + '\n').records;
  const report = checkChaosInvariants({ capCenti, records, polledMaxAbsCenti: {}, journal: recs, faults, recoveryBoundS: RECOVERY_BOUND_S });
  problems.push(...report.problems);
  // positions: exec's view after quiesce equals the exchange's
  let positionMismatches = 0;
  const es = exec.state as ExecActorState | undefined;
  if (es) {
    for (const c of records.caps) {
      const mine = es.core.bk.position(c.ticker).positionCenti;
      if (mine !== c.positionCenti) {
        positionMismatches++;
        problems.push(`position of ${c.ticker}: exec ${mine / 100}, exchange ${c.positionCenti / 100}`);
      }
    }
  }
  // shutdown: verified, and never forced; an unverified one must at least name exactly what rests
  let shutdownViolations = 0;
  const rep = shutdownReport as ShutdownReport | null;
  if (forcedExit !== null) {
    shutdownViolations++;
    problems.push(`a signal during the shutdown forced an exit (code ${forcedExit})`);
  }
  if (!rep) {
    shutdownViolations++;
    problems.push('exec did not report its shutdown');
  } else if (!rep.verified) {
    shutdownViolations++;
    // an unverified stop must at least name every order the exchange still holds (exec's own
    // list, when the exchange was never read, may also name orders that filled meanwhile)
    const left = records.orders.filter((x) => x.status === 'resting').map((x) => String(x.order_id));
    const named = new Set(rep.resting.map((x) => x.orderId));
    const unnamed = left.filter((id) => !named.has(id));
    problems.push(`shutdown not verified (${rep.error ?? 'no reason'}); named ${named.size} (${rep.restingSource}), the exchange has ${left.length} resting${unnamed.length === 0 ? ', every one named' : `, ${unnamed.length} NOT named`}`);
  }
  for (const l of ordersBeforePositions.slice(0, 3)) problems.push(`order request before the exchange answered a positions read: ${l}`);
  const unexpectedCrashes = problems.filter((p) => p.includes('crashed (not injected)')).length;
  const violations: Record<DstCheck, number> = {
    cap: report.cap_breaches,
    resting: report.orders_resting_after_shutdown,
    fills: report.fills_missing + report.fills_duplicated,
    client_ids: report.duplicate_client_order_ids,
    positions: positionMismatches,
    recovery: report.unrecovered_faults,
    assertions: unexpectedCrashes,
    shutdown: shutdownViolations,
    startup: ordersBeforePositions.length,
    run_lock: runLockViolations,
  };
  const h = createHash('sha256');
  for (const l of lines) h.update(l + '\n');
  return {
    seed,
    ok: DST_CHECKS.every((c) => violations[c] === 0),
    violations,
    problems,
    hash: h.digest('hex'),
    events: kern.counters.events,
    simMinutes: clock.monoNs() / 60e9,
    faults,
    shutdownFaults,
    startupReadFailS,
    positionsFirstReadS: positionsFirstReadNs === null ? null : positionsFirstReadNs / 1e9,
    firstOrderRequestS: firstOrderRequestNs === null ? null : firstOrderRequestNs / 1e9,
    shutdown: rep,
    forcedExit,
    shutdownLines,
    secondInstanceAtS,
    runLockLines,
    crashes,
    fillsExchange: report.fills_exchange,
    ordersExchange: records.orders.length,
    journalRecords: lines.length,
    ...(o.keepJournal ? { journal: recs } : {}),
    markets,
  };
}

/** The seeded shutdown-window faults: one REST fault (or none) and, half the time, stop signals. */
function seededShutdownFaults(rng: Rng): ShutdownFault[] {
  const out: ShutdownFault[] = [];
  const rest = rng.pick(['none', 'shutdown_429_storm', 'shutdown_rest_5xx', 'shutdown_rest_timeout'] as const);
  if (rest !== 'none') out.push({ kind: rest, atS: rng.int(0, 500) / 1000, durS: 2 + rng.int(0, 6) });
  if (rng.next() < 0.5) out.push({ kind: 'shutdown_signals', atS: rng.int(0, 2000) / 1000, durS: 4 });
  return out;
}

/**
 * The seeded start-up read failure window (virtual s): none in half the seeds, else 3..20 s; none
 * when the run is too short to see the system recover from it (a new order placed after it)
 * within RECOVERY_BOUND_S.
 */
function seededStartupReadFailS(rng: Rng, runS: number): number {
  if (rng.next() < 0.5) return 0;
  const s = 3 + rng.int(0, DST_STARTUP_READ_FAIL_MAX_S - 3);
  return s + RECOVERY_BOUND_S + 15 <= runS ? s : 0;
}

/**
 * The seeded moment of the second instance: inside the run, after a start-up read failure window
 * and at least 5 s before the stop (a seed too short for that has none).
 */
function seededSecondInstanceS(rng: Rng, startupReadFailS: number, runS: number): number | null {
  const from = Math.max(5, startupReadFailS + 1);
  const to = runS - 5;
  if (to <= from) return null;
  return Math.round((from + rng.next() * (to - from)) * 1000) / 1000;
}

/** The injected bug 'exec_assertion': exec's position drifts from the sum of its fills (its own state, not the venue's); its assertions must catch it. */
function corruptPosition(s: ExecActorState): void {
  s.core.debugCorrupt('position_drift');
}
