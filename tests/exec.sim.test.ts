/**
 * exec against the simulator (127.0.0.1, real HTTP): ExecCore + RestGateway + ExecRunner driven
 * in-process with changing targets, then faults (429 storm, 5xx and timeouts, post-only
 * rejections, dropped websocket, exchange pause) and a SIGKILL restart. After each scenario the
 * flow is stopped and exec reconciles; our resting orders and positions must equal the exchange's
 * and the journal must hold every exchange fill exactly once.
 * Real time is involved (sockets, the sim's flow timer), but no assertion depends on timing:
 * waits are for conditions (idle, reconcile done), and the comparison is made at a quiet point.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kmm, parseCount, parsePrice, SeededRng, Signer, loadPrivateKeyPem, resolveConfig } from '@kmm/shared';
import { startSim, type SimHandle } from '@kmm/sim';
import {
  ExecCore,
  ExecRunner,
  execParamsOf,
  Journal,
  OrderStatus,
  RestClient,
  RestGateway,
  readJournal,
  TIER_LIMITS,
  type ExecParams,
} from '@kmm/exec-worker';

const TRUSTED = kmm.v1.TrustState.TRUSTED;
const BID = kmm.v1.BookSide.BID;
const ASK = kmm.v1.BookSide.ASK;

const TESTS_DIR = fileURLToPath(new URL('.', import.meta.url));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Harness {
  sim: SimHandle;
  rest: RestClient;
  core: ExecCore;
  runner: ExecRunner;
  journal: Journal;
  journalPath: string;
  markets: string[];
  ops: { event: string; market: string; fields: Record<string, unknown> }[];
  stopTargets: () => void;
  naiveCalls: number;
  targetUpdates: number;
}

const open: Harness[] = [];

function testParams(over: Partial<ExecParams> = {}): ExecParams {
  return {
    ...execParamsOf(resolveConfig({ kmm_shards: 1 })),
    tier: 'basic',
    rateBudgetPermille: 800,
    quoteRefreshMs: 500,
    minRepriceIntervalMs: 200,
    maxPosCenti: 50_00,
    maxOrderCenti: 20_00,
    postOnlySafetyTicks: 1,
    pofCooldownMs: 300,
    breakerCooldownMs: 1500,
    reconcileIntervalMs: 1000,
    reconcileGraceMs: 300,
    queuePositionPollMs: 1000,
    marketsPollMs: 0,
    tapeIntervalMs: 0,
    orderGroupContractsLimit: 1000,
    ...over,
  };
}

function bookTop(sim: SimHandle, ticker: string): { bid: number; ask: number } {
  const b = sim.book(ticker);
  if (!b) return { bid: 0, ask: 0 };
  const yes = b.yes_dollars;
  const no = b.no_dollars;
  const bid = yes.length ? parsePrice(yes[yes.length - 1][0]) : 0;
  const ask = no.length ? 10_000 - parsePrice(no[no.length - 1][0]) : 0;
  return { bid, ask };
}

async function harness(opts: { seed: number; params?: Partial<ExecParams>; tier?: string; journalPath?: string; sim?: SimHandle }): Promise<Harness> {
  const sim = opts.sim ?? (await startSim({ port: 0, seed: opts.seed, markets: 6, tier: opts.tier ?? 'basic', speed: 5 }));
  const pem = sim.privateKeyPem || loadPrivateKeyPem(sim.privateKeyPath);
  const rest = new RestClient({ baseUrl: sim.restBaseUrl, signer: new Signer(sim.keyId, pem), timeoutMs: 2000, readTimeoutMs: 3000 });
  const mk = await rest.getMarkets('open');
  if (!mk.ok) throw new Error(mk.error.message);
  const active = mk.value.filter((m) => m.status === kmm.v1.MarketStatus.MARKET_ACTIVE);
  const chosen = active.filter((m) => {
    const t = bookTop(sim, m.market!);
    return t.bid > 500 && t.ask > 0 && t.ask < 9500;
  }).slice(0, 2);
  expect(chosen.length).toBe(2);
  const params = testParams(opts.params);
  const dir = mkdtempSync(join(tmpdir(), 'kmm-exec-'));
  const journalPath = opts.journalPath ?? join(dir, 'journal.jsonl');
  const journal = new Journal(journalPath, { flushEveryMs: 10, fsyncEveryMs: 200 });
  const core = new ExecCore(params, { runId: 't' + opts.seed, markets: chosen, nowMs: Number(process.hrtime.bigint()) / 1e6 });
  const ops: Harness['ops'] = [];
  // a restart replays its journal first: trade ids already recorded are not applied twice
  const seeded = existsSync(journalPath) ? core.seedFromJournal(readJournal(journalPath).records) : { tradeIds: 0, maxFillTsMs: 0 };
  const runner = new ExecRunner({
    core,
    gateway: new RestGateway(rest),
    journal,
    orderGroupContractsLimit: params.orderGroupContractsLimit,
    ops: (event, market, _level, fields) => ops.push({ event, market, fields }),
  });
  const h: Harness = { sim, rest, core, runner, journal, journalPath, markets: chosen.map((m) => m.market!), ops, stopTargets: () => {}, naiveCalls: 0, targetUpdates: 0 };
  open.push(h);
  await runner.startup(seeded.maxFillTsMs > 0 ? seeded.maxFillTsMs - 60_000 : 0);
  for (const m of h.markets) runner.handle(core.onTrust({ market: m, state: TRUSTED }, runner.nowMs()));
  runner.startTimer(50);
  return h;
}

/** Changing targets around the touch (seeded); counts what naive cancel/replace would send. */
function driveTargets(h: Harness, seed: number, periodMs = 50, cross = false): void {
  const rng = new SeededRng(seed);
  const last = new Map<string, string>();
  const t = setInterval(() => {
    for (const m of h.markets) {
      const top = bookTop(h.sim, m);
      if (!top.bid || !top.ask) continue;
      const bid = cross ? top.ask : Math.max(100, top.bid - 100 * rng.int(0, 3));
      const ask = cross ? top.bid : Math.min(9900, top.ask + 100 * rng.int(0, 3));
      const size = 100 * rng.int(1, 3);
      const levels = [
        { side: BID, level: 0, price: bid, countCenti: size },
        { side: ASK, level: 0, price: ask, countCenti: size },
      ];
      // naive: every change of a side's (price, size) is a cancel plus a create
      for (const l of levels) {
        const k = `${m}|${l.side}`;
        const v = `${l.price}|${l.countCenti}`;
        const prev = last.get(k);
        if (prev === undefined) h.naiveCalls += 1;
        else if (prev !== v) h.naiveCalls += 2;
        last.set(k, v);
      }
      h.targetUpdates++;
      const now = process.hrtime.bigint();
      h.runner.handle(h.core.onTargets({ market: m, levels, bestBid: cross ? 0 : top.bid, bestAsk: cross ? 0 : top.ask }, Number(now) / 1e6, { recvMonoNs: 0, arrivalMonoNs: Number(now) }));
    }
  }, periodMs);
  h.stopTargets = () => clearInterval(t);
}

/** Stops flow and targets, reconciles until quiet, then compares orders, positions and fills with the sim. */
async function expectInSync(h: Harness): Promise<void> {
  h.stopTargets();
  h.sim.flow?.setSpeed(0);
  h.runner.stopTimer();
  h.sim.faults.clear();
  let lastErr: unknown = null;
  for (let round = 0; round < 8; round++) {
    await h.runner.idle();
    await sleep(h.core.params.reconcileGraceMs + 50);
    h.runner.tick(); // releases anything held by gates
    await h.runner.idle();
    h.runner.handle(h.core.onControl({ kind: kmm.v1.ControlKind.RECONCILE }, h.runner.nowMs()));
    await h.runner.idle();
    await h.journal.sync();
    try {
      compare(h);
      console.log(`[exec.sim] in sync after ${round + 1} reconcile round(s): ${h.sim.records().fills.length} exchange fills = journal fills, ${h.core.bk.live().length} resting orders, divergences logged ${h.core.stats.divergences}`);
      return;
    } catch (e) {
      lastErr = e;
    }
  }
  throw lastErr;
}

function compare(h: Harness): void {
  const rec = h.sim.records();
  const venueResting = rec.orders.filter((o) => o.status === 'resting').map((o) => String(o.order_id)).sort();
  const ours = h.core.bk
    .live()
    .filter((o) => o.status === OrderStatus.RESTING)
    .map((o) => o.orderId)
    .sort();
  expect(h.core.bk.live().filter((o) => o.status !== OrderStatus.RESTING)).toEqual([]);
  expect(ours).toEqual(venueResting);
  const venuePos = new Map<string, number>();
  for (const p of rec.positions) venuePos.set(String(p.ticker), parseCount(p.position_fp));
  for (const [m, p] of h.core.bk.positions) expect([m, p.positionCenti]).toEqual([m, venuePos.get(m) ?? 0]);
  for (const [m, v] of venuePos) expect([m, h.core.bk.position(m).positionCenti]).toEqual([m, v]);
  const j = readJournal(h.journalPath).records.filter((r) => r.k === 'fill');
  const ids = j.map((r) => (r.k === 'fill' ? r.tradeId : ''));
  expect(new Set(ids).size).toBe(ids.length); // never counted twice
  expect([...ids].sort()).toEqual(rec.fills.map((f) => String(f.trade_id)).sort()); // none missing
}

afterEach(async () => {
  while (open.length) {
    const h = open.pop()!;
    h.stopTargets();
    h.runner.stopTimer();
    await h.runner.idle();
    await h.journal.close();
    h.rest.close();
    await h.sim.close();
  }
});

describe('exec against the sim', () => {
  it('long run: far fewer calls than naive cancel/replace, within the tier budget, no 429', { timeout: 900_000 }, async () => {
    const h = await harness({ seed: 11 });
    const t0 = h.runner.nowMs();
    const tokens0 = h.core.stats.tokensWrite;
    driveTargets(h, 5, 50);
    // KMM_EXEC_LONG_S lengthens the run (default 8 s keeps the suite short)
    await sleep(1000 * Number(process.env.KMM_EXEC_LONG_S ?? 8));
    h.stopTargets();
    const elapsedS = (h.runner.nowMs() - t0) / 1000;
    const writeCalls = h.core.stats.commands;
    const ratio = h.naiveCalls / Math.max(1, writeCalls);
    const tier = TIER_LIMITS.basic;
    const tokens = h.core.stats.tokensWrite - tokens0;
    console.log(
      `[exec.sim] ${h.targetUpdates} target updates in ${elapsedS.toFixed(1)} s: naive cancel/replace ${h.naiveCalls} calls, exec ${writeCalls} write calls ` +
        `(placed ${h.core.stats.ordersPlaced}, amends ${h.core.stats.amends}, decreases ${h.core.stats.decreases}, cancels ${h.core.stats.cancels}, skips ${h.core.stats.skips}) ` +
        `ratio ${ratio.toFixed(1)}x; fills ${h.core.stats.fills}; write tokens ${tokens} vs budget ${tier.writeCapacity + tier.writeTokensPerS * elapsedS}; 429s ${h.rest.stats.http429}`,
    );
    expect(ratio).toBeGreaterThan(3);
    expect(tokens).toBeLessThanOrEqual(tier.writeCapacity + tier.writeTokensPerS * elapsedS);
    expect(h.rest.stats.http429).toBe(0);
    expect(h.core.limiter.rateLimited429).toBe(0);
    await expectInSync(h);
  });

  it('429 storm: pauses new orders, keeps state in sync', async () => {
    const h = await harness({ seed: 12 });
    driveTargets(h, 6);
    await sleep(1500);
    h.sim.faults.set({ rate429Storm: true });
    await sleep(2500);
    h.sim.faults.set({ rate429Storm: false });
    await sleep(2000);
    expect(h.core.limiter.rateLimited429).toBeGreaterThan(0);
    expect(h.ops.some((o) => o.event === 'rate_limited_429')).toBe(true);
    await expectInSync(h);
  });

  it('5xx and timeouts: retries where safe, uncertain orders resolved by reconcile', async () => {
    const h = await harness({ seed: 13 });
    driveTargets(h, 7);
    await sleep(1000);
    h.sim.faults.set({ rest5xxProb: 0.25, restTimeoutProb: 0.08, restTimeoutMs: 300 });
    await sleep(4000);
    h.sim.faults.set({ rest5xxProb: 0, restTimeoutProb: 0 });
    await sleep(1500);
    expect(h.rest.stats.errors).toBeGreaterThan(0);
    await expectInSync(h);
  });

  it('post-only rejections: the safety buffer widens, no breaker trip', async () => {
    const h = await harness({ seed: 14, params: { postOnlySafetyTicks: 0 } });
    driveTargets(h, 8, 50, true);
    await sleep(3000);
    expect(h.core.pof.rejections).toBeGreaterThan(0);
    expect(h.ops.some((o) => o.event === 'post_only_rejected')).toBe(true);
    expect(h.ops.some((o) => o.event === 'circuit_breaker_open')).toBe(false);
    await expectInSync(h);
  });

  it('dropped connection: cancels all, nothing placed until trusted again, then resumes', async () => {
    const h = await harness({ seed: 15 });
    driveTargets(h, 9);
    await sleep(1500);
    h.runner.handle(h.core.onConnection({ kind: kmm.v1.ConnectionEvent.Kind.DISCONNECTED, reason: 'test' }, h.runner.nowMs()));
    await h.runner.idle();
    await sleep(600);
    await h.runner.idle();
    expect(h.sim.records().orders.filter((o) => o.status === 'resting')).toEqual([]);
    const placedWhileDown = h.core.stats.ordersPlaced;
    await sleep(500); // targets keep coming while disconnected: nothing may be placed
    expect(h.core.stats.ordersPlaced).toBe(placedWhileDown);
    const seenBefore = h.sim.records().clientOrderIdsSeen.length;
    h.runner.handle(h.core.onConnection({ kind: kmm.v1.ConnectionEvent.Kind.CONNECTED }, h.runner.nowMs()));
    for (const m of h.markets) h.runner.handle(h.core.onTrust({ market: m, state: TRUSTED }, h.runner.nowMs()));
    await sleep(1500);
    // quoting resumed: the exchange saw new orders of ours (they may have filled since)
    expect(h.sim.records().clientOrderIdsSeen.length).toBeGreaterThan(seenBefore);
    await expectInSync(h);
  });

  it('exchange pause: rejected calls hold the market, state in sync after resume', async () => {
    const h = await harness({ seed: 16 });
    driveTargets(h, 10);
    await sleep(1500);
    h.sim.pauseExchange();
    await sleep(2000);
    h.sim.resumeExchange();
    await sleep(2500);
    await expectInSync(h);
  });

  it('SIGKILL mid-run: the restart reconciles, cancels (or adopts) orders and loses no confirmed fill', async () => {
    const sim = await startSim({ port: 0, seed: 17, markets: 6, tier: 'basic', speed: 3 });
    try {
      const dir = mkdtempSync(join(tmpdir(), 'kmm-exec-kill-'));
      const journalPath = join(dir, 'journal.jsonl');
      const child = spawnChild(sim, journalPath);
      let out = '';
      child.stdout.on('data', (d) => (out += String(d)));
      // wait until the child has resting orders and has been running a while
      for (let i = 0; i < 100 && !out.includes('running'); i++) await sleep(100);
      expect(out).toContain('running');
      await sleep(2500);
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
      const before = sim.records();
      const restingBefore = before.orders.filter((o) => o.status === 'resting').length;
      expect(restingBefore).toBeGreaterThan(0);
      // restart, cancel mode: orders of the dead run are unknown to the new process
      const h = await harness({ seed: 17, sim, journalPath, params: { adoptOrdersOnStart: false } });
      await h.runner.idle();
      await sleep(500);
      await h.runner.idle();
      expect(h.ops.filter((o) => o.event === 'reconcile_divergence' && o.fields.what === 'unknown_order').length).toBe(restingBefore);
      // nothing of the old run rests any more
      const old = new Set(before.orders.filter((o) => o.status === 'resting').map((o) => String(o.order_id)));
      expect(sim.records().orders.filter((o) => o.status === 'resting' && old.has(String(o.order_id)))).toEqual([]);
      await expectInSync(h);
    } finally {
      // the harness closes the sim it was given
    }
  });

  it('SIGKILL restart in adopt mode: the dead run’s orders are adopted, not cancelled', async () => {
    const sim = await startSim({ port: 0, seed: 18, markets: 6, tier: 'basic', speed: 0.2 });
    const dir = mkdtempSync(join(tmpdir(), 'kmm-exec-adopt-'));
    const journalPath = join(dir, 'journal.jsonl');
    const child = spawnChild(sim, journalPath);
    let out = '';
    child.stdout.on('data', (d) => (out += String(d)));
    for (let i = 0; i < 100 && !out.includes('running'); i++) await sleep(100);
    await sleep(1000);
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    sim.flow?.setSpeed(0);
    const restingBefore = sim.records().orders.filter((o) => o.status === 'resting').map((o) => String(o.order_id));
    expect(restingBefore.length).toBeGreaterThan(0);
    const h = await harness({ seed: 18, sim, journalPath, params: { adoptOrdersOnStart: true } });
    await h.runner.idle();
    const adopted = h.ops.filter((o) => o.event === 'reconcile_divergence' && o.fields.what === 'order_adopted').length;
    expect(adopted).toBeGreaterThan(0);
    await expectInSync(h);
  });
});

function spawnChild(sim: SimHandle, journalPath: string) {
  // -e code resolves @kmm/* from the cwd (this package's node_modules)
  return spawn(process.execPath, ['--input-type=module', '-e', CHILD_SCRIPT, sim.restBaseUrl, sim.keyId, sim.privateKeyPath, journalPath], { cwd: TESTS_DIR, stdio: ['ignore', 'pipe', 'inherit'] });
}

describe('exec worker (runActor) against the sim', () => {
  it('starts (reconcile, order group), quotes from TargetQuotes, shuts down with nothing resting', async () => {
    const { Supervisor } = await import('@kmm/shared');
    const sim = await startSim({ port: 0, seed: 21, markets: 4, tier: 'basic', speed: 0.5 });
    const pem = sim.privateKeyPem || loadPrivateKeyPem(sim.privateKeyPath);
    const rest = new RestClient({ baseUrl: sim.restBaseUrl, signer: new Signer(sim.keyId, pem) });
    try {
      const mk = await rest.getMarkets('open');
      if (!mk.ok) throw new Error(mk.error.message);
      const markets = mk.value.filter((m) => m.status === kmm.v1.MarketStatus.MARKET_ACTIVE && bookTop(sim, m.market!).bid > 500).slice(0, 2);
      const runDir = mkdtempSync(join(tmpdir(), 'kmm-exec-worker-'));
      const script = createRequire(join(TESTS_DIR, 'package.json')).resolve('@kmm/exec-worker/shell');
      const sup = new Supervisor({
        actors: [{ name: 'exec', kind: kmm.v1.ActorKind.EXEC, script, extra: { restBaseUrl: sim.restBaseUrl, keyId: sim.keyId, privateKeyPath: sim.privateKeyPath, markets, runDir, env: 'sim' } }],
        edges: [],
        config: resolveConfig({ MM_MAX_POS: 50, MM_QUOTE_REFRESH_MS: 200, kmm_log_level: 'warn' }),
        runDir,
      });
      const ops: string[] = [];
      sup.on('ops', (e: { event?: string }) => ops.push(String(e.event)));
      await sup.start();
      for (const m of markets) sup.send('exec', { marketTrust: { market: m.market, state: TRUSTED } });
      for (let i = 0; i < 10; i++) {
        for (const m of markets) {
          const top = bookTop(sim, m.market!);
          sup.send('exec', { targetQuotes: { market: m.market, bestBid: top.bid, bestAsk: top.ask, levels: [{ side: BID, level: 0, price: top.bid - 200, countCenti: 100 }, { side: ASK, level: 0, price: top.ask + 200, countCenti: 100 }] } });
        }
        await sleep(100);
      }
      for (let i = 0; i < 50 && sim.records().orders.length === 0; i++) await sleep(100);
      expect(sim.records().orders.length).toBeGreaterThan(0);
      await sup.stop();
      expect(sim.records().orders.filter((o) => o.status === 'resting')).toEqual([]);
      const j = readJournal(join(runDir, 'journal.jsonl'));
      expect(j.records.some((r) => r.k === 'cmd')).toBe(true);
      expect(j.records.some((r) => r.k === 'shutdown' && r.verified === true)).toBe(true);
      expect(ops).toContain('shutdown_verified');
    } finally {
      rest.close();
      await sim.close();
    }
  });
});

/** The killed process: exec with changing targets against the sim, journaling to argv[5]. */
const CHILD_SCRIPT = `
import { kmm, Signer, loadPrivateKeyPem, parsePrice, resolveConfig } from '@kmm/shared';
import { ExecCore, ExecRunner, execParamsOf, Journal, RestClient, RestGateway } from '@kmm/exec-worker';
const [, baseUrl, keyId, keyPath, journalPath] = process.argv;
const rest = new RestClient({ baseUrl, signer: new Signer(keyId, loadPrivateKeyPem(keyPath)) });
const mk = await rest.getMarkets('open');
const markets = mk.value.filter((m) => m.status === kmm.v1.MarketStatus.MARKET_ACTIVE).slice(0, 3);
const params = { ...execParamsOf(resolveConfig({ kmm_shards: 1 })), maxPosCenti: 5000, quoteRefreshMs: 300, minRepriceIntervalMs: 100, postOnlySafetyTicks: 1, reconcileIntervalMs: 1000, reconcileGraceMs: 300 };
const core = new ExecCore(params, { runId: 'k' + process.pid, markets, nowMs: Number(process.hrtime.bigint()) / 1e6 });
const journal = new Journal(journalPath, { flushEveryMs: 10, fsyncEveryMs: 100 });
const runner = new ExecRunner({ core, gateway: new RestGateway(rest), journal, orderGroupContractsLimit: 1000 });
await runner.startup();
for (const m of markets) runner.handle(core.onTrust({ market: m.market, state: kmm.v1.TrustState.TRUSTED }, runner.nowMs()));
runner.startTimer(50);
let n = 0;
setInterval(async () => {
  for (const m of markets) {
    const ob = await rest.call('GET', '/markets/' + m.market + '/orderbook', '', undefined, 'read');
    if (!ob.ok) continue;
    const y = ob.value.orderbook_fp.yes_dollars, no = ob.value.orderbook_fp.no_dollars;
    if (!y.length || !no.length) continue;
    const bid = parsePrice(y[y.length - 1][0]), ask = 10000 - parsePrice(no[no.length - 1][0]);
    const j = (n++ % 3) * 100;
    runner.handle(core.onTargets({ market: m.market, bestBid: bid, bestAsk: ask, levels: [
      { side: 1, level: 0, price: Math.max(100, bid - j), countCenti: 200 },
      { side: 2, level: 0, price: Math.min(9900, ask + j), countCenti: 200 } ] }, runner.nowMs()));
  }
}, 200);
setTimeout(() => process.stdout.write('running\\n'), 1000);
`;
