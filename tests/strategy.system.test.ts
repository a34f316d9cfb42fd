/**
 * Issue 5 against the running system: the real actor system (`startSystem`: ingest, book shards,
 * strategy, exec in worker threads) trading the simulator, as `kmm demo` runs it.
 *  1. start-up over cap: the account already holds more than MM_MAX_POS in a market; the system
 *     starts read-only (ops `startup_position_cap_breach` naming that market), sends no order
 *     until the operator acknowledges (`ack_breach`), then trades.
 *  2. quotes move with inventory: a long position taken while the system runs lowers the
 *     reservation price strategy quotes around (TargetQuotes.fair_value relative to the touch mid).
 *  3. the bailout fires when it should: with IMPULSE_CONTROL_ENABLED and |q| > Q_critical strategy
 *     emits a taker intent and the exchange position comes back toward Q_target; with it off, the
 *     same position produces no taker intent.
 * Positions are made by the demo user (the system's own account) with IOC orders through the
 * sim's REST API, signed with its key, as any other client would. Waits are on events or polled
 * conditions with deadlines; absence is checked over a window counted in the exec actor's
 * heartbeats, not a sleep.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fetchMarkets, startSystem, type RunningSystem } from '@kmm/app';
import { formatCount, formatPrice, kmm, loadConfig, parseCount, parsePrice, Signer } from '@kmm/shared';
import { startSimThread, type SimThreadHandle } from '@kmm/sim';

const N_MARKETS = 4;
const CENTI = 100;

// The Kalshi tuning `kmm demo` layers under user settings (packages/app/src/commands/tuning.ts,
// not exported) plus demo.ts's per-run overrides: without them the seed's 8 bps micro-volatility
// gate pauses every Kalshi book and market selection drops the sim's far-dated markets.
const DEMO_TUNING: Record<string, number | string | boolean> = {
  MM_MICRO_VOL_MAX_BPS: 2000,
  MM_MICRO_DRIFT_MAX_BPS: 1500,
  MM_MIN_OFFSET_BPS: 0,
  MM_SPREAD_MULTIPLIER: 0.2,
  horizon_s: 60,
  risk_aversion: 0.01,
  max_time_to_resolution_hours: 8760,
  max_markets: N_MARKETS,
  min_liquidity: 0,
  kmm_order_group_contracts_limit: 1000,
};

interface OpsEv {
  actor: string;
  event: string;
  market: string;
  level: string;
  json: string;
}

interface Run {
  sim: SimThreadHandle;
  sys: RunningSystem | null;
  markets: kmm.v1.IMarketInfo[];
  signer: Signer;
  ops: OpsEv[];
  targets: { market: string; tq: kmm.v1.ITargetQuotes; posCenti: number }[];
  /** latest exchange position per market as exec reports it to strategy (and the supervisor) */
  pos: Map<string, number>;
  execBeats: number;
  /** client_order_ids of the test's own IOC orders (not the system's) */
  mine: Set<string>;
  startedAtMs: number;
}

function waitFor(what: string, cond: () => boolean | Promise<boolean>, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const t0 = Date.now();
    let busy = false;
    const iv = setInterval(async () => {
      if (busy) return;
      busy = true;
      try {
        if (await cond()) {
          clearInterval(iv);
          resolve();
        } else if (Date.now() - t0 > timeoutMs) {
          clearInterval(iv);
          reject(new Error(`timed out after ${timeoutMs} ms waiting for: ${what}`));
        }
      } catch (e) {
        clearInterval(iv);
        reject(e as Error);
      } finally {
        busy = false;
      }
    }, 100);
  });
}

async function newRun(seed: number): Promise<Run> {
  const sim = await startSimThread({ port: 0, seed, markets: N_MARKETS, speed: 1, tier: 'basic', keyDir: mkdtempSync(join(tmpdir(), 'kmm-strat-sys-key-')) });
  const markets = await fetchMarkets(sim.restBaseUrl, N_MARKETS);
  return { sim, sys: null, markets, signer: new Signer(sim.keyId, sim.privateKeyPem), ops: [], targets: [], pos: new Map(), execBeats: 0, mine: new Set(), startedAtMs: 0 };
}

async function startSys(run: Run, overrides: Record<string, number | string | boolean>): Promise<RunningSystem> {
  const loaded = loadConfig({ env: {}, cli: { kmm_env: 'sim', kmm_markets: N_MARKETS, ...DEMO_TUNING, ...overrides } });
  run.startedAtMs = Date.now();
  const sys = await startSystem({
    loaded,
    exchange: { env: 'sim', restBaseUrl: run.sim.restBaseUrl, wsUrl: run.sim.wsUrl, keyId: run.sim.keyId, privateKeyPath: run.sim.privateKeyPath },
    markets: run.markets,
    runDir: mkdtempSync(join(tmpdir(), 'kmm-strat-sys-')),
    mode: 'sim',
    shards: 1,
  });
  run.sys = sys;
  sys.supervisor.on('ops', (ev: OpsEv) => run.ops.push(ev));
  sys.supervisor.on('health', (h: kmm.v1.IHealth) => {
    if (h.actor === 'exec') run.execBeats++;
  });
  sys.supervisor.on('message', (_actor: string, env: kmm.v1.Envelope) => {
    if (env.position?.market && env.position.fromExchange) run.pos.set(env.position.market, Number(env.position.positionCenti ?? 0));
    if (env.targetQuotes?.market) run.targets.push({ market: env.targetQuotes.market, tq: env.targetQuotes, posCenti: run.pos.get(env.targetQuotes.market) ?? 0 });
  });
  return sys;
}

async function stopRun(run: Run): Promise<void> {
  try {
    await run.sys?.stop();
  } finally {
    await run.sim.close();
  }
}

function fields(ev: OpsEv): Record<string, unknown> {
  return JSON.parse(ev.json || '{}') as Record<string, unknown>;
}

/** Best bid / ask (price units) and their sizes (centi) from the sim's orderbook_fp. */
async function top(sim: SimThreadHandle, ticker: string): Promise<{ bid: number; ask: number; bidDepthCenti: number; askDepthCenti: number }> {
  const b = await sim.book(ticker);
  if (!b) return { bid: 0, ask: 0, bidDepthCenti: 0, askDepthCenti: 0 };
  const yes = b.yes_dollars;
  const no = b.no_dollars;
  let bidDepthCenti = 0;
  let askDepthCenti = 0;
  for (const l of yes) bidDepthCenti += parseCount(l[1]);
  for (const l of no) askDepthCenti += parseCount(l[1]);
  return {
    bid: yes.length ? parsePrice(yes[yes.length - 1][0]) : 0,
    ask: no.length ? 10_000 - parsePrice(no[no.length - 1][0]) : 0,
    bidDepthCenti,
    askDepthCenti,
  };
}

/** A market with a two-sided book away from the price edges (for taking and being taken out). */
async function pickMarket(run: Run): Promise<string> {
  let best = '';
  await waitFor('a two-sided book in the sim', async () => {
    for (const m of run.markets) {
      const t = await top(run.sim, m.market!);
      if (t.bid >= 1500 && t.ask > 0 && t.ask <= 8500 && t.bidDepthCenti >= 20 * CENTI && t.askDepthCenti >= 20 * CENTI) {
        best = m.market!;
        return true;
      }
    }
    return false;
  }, 15_000);
  return best;
}

async function position(sim: SimThreadHandle, ticker: string): Promise<number> {
  const r = await sim.records();
  return r.caps.find((c) => c.ticker === ticker)?.positionCenti ?? 0;
}

/**
 * Buys YES with IOC orders as the demo user until the exchange position is at least
 * `targetCenti` (bounded attempts: the flow refills the book). `stp: maker` cancels any resting
 * order of the system's that would self-trade instead of cancelling ours.
 */
async function buyUpTo(run: Run, ticker: string, targetCenti: number): Promise<number> {
  const path = '/trade-api/v2/portfolio/events/orders';
  for (let attempt = 0; attempt < 10; attempt++) {
    const have = await position(run.sim, ticker);
    if (have >= targetCenti) return have;
    const t = await top(run.sim, ticker);
    const limit = Math.min(9900, t.ask + 500);
    const id = `test-ioc-${ticker}-${Date.now()}-${attempt}`;
    run.mine.add(id);
    const body = JSON.stringify({
      ticker,
      side: 'bid',
      count: formatCount(targetCenti - have),
      price: formatPrice(limit),
      time_in_force: 'immediate_or_cancel',
      self_trade_prevention_type: 'maker',
      client_order_id: id,
    });
    const res = await fetch(run.sim.restBaseUrl.replace('/trade-api/v2', '') + path, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...run.signer.headers(Date.now(), 'POST', path) },
      body,
    });
    if (res.status !== 201) throw new Error(`IOC order rejected: ${res.status} ${await res.text()}`);
    await res.text();
  }
  const have = await position(run.sim, ticker);
  if (have < targetCenti) throw new Error(`could not build a position of ${targetCenti / CENTI} in ${ticker} (have ${have / CENTI})`);
  return have;
}

async function systemOrdersSince(run: Run, sinceMs: number): Promise<Array<Record<string, unknown>>> {
  const r = await run.sim.records();
  return r.orders.filter((o) => !run.mine.has(String(o.client_order_id)) && Date.parse(String(o.created_time)) >= sinceMs);
}

function tqShift(tq: kmm.v1.ITargetQuotes): number {
  const bb = tq.bestBid ?? 0;
  const ba = tq.bestAsk ?? 0;
  return (tq.fairValue ?? 0) - (bb + ba) / 2;
}

function quoting(tq: kmm.v1.ITargetQuotes): boolean {
  return (tq.levels ?? []).length > 0 && (tq.bestBid ?? 0) > 0 && (tq.bestAsk ?? 0) > 0;
}

describe('strategy in the running system against the sim (issue 5)', () => {
  it('starts read-only over the position cap, sends nothing until acknowledged, then trades', async () => {
    const run = await newRun(501);
    try {
      const ticker = await pickMarket(run);
      // caps 5 (MM_MAX_POS and the side caps, which are separate keys with their own default 5): hold 8 before the system starts
      const held = await buyUpTo(run, ticker, 8 * CENTI);
      expect(held).toBeGreaterThan(5 * CENTI);
      const sys = await startSys(run, { MM_MAX_POS: 5, MM_MAX_LONG_POS: 5, MM_MAX_SHORT_POS: 5, IMPULSE_CONTROL_ENABLED: false, kmm_startup_settle_ms: 500 });

      await waitFor('startup_position_cap_breach from strategy', () => run.ops.some((e) => e.event === 'startup_position_cap_breach' && e.actor === 'strategy'), 20_000);
      const breach = run.ops.find((e) => e.event === 'startup_position_cap_breach' && e.actor === 'strategy');
      expect(breach).toBeDefined();
      const bf = fields(breach!);
      expect(bf.status).toBe('TRADING_DISABLED');
      expect(JSON.stringify(bf.breached_markets)).toContain(ticker);
      expect(run.ops.some((e) => e.event === 'startup_position_check_ok')).toBe(false);

      // read-only: a window of 4 exec heartbeats (~4 s) with the books live and no order of ours
      const beats0 = run.execBeats;
      await waitFor('4 exec heartbeats in read-only', () => run.execBeats >= beats0 + 4, 15_000);
      expect(await systemOrdersSince(run, run.startedAtMs)).toEqual([]);
      expect(run.ops.some((e) => e.event === 'startup_position_cap_breach_ack')).toBe(false);

      const ackAtMs = Date.now();
      sys.control('ack_breach');
      await waitFor('startup_position_cap_breach_ack', () => run.ops.some((e) => e.event === 'startup_position_cap_breach_ack' && e.actor === 'strategy'), 10_000);
      const ack = fields(run.ops.find((e) => e.event === 'startup_position_cap_breach_ack' && e.actor === 'strategy')!);
      expect(ack.status).toBe('TRADING_ENABLED');
      let placed: Array<Record<string, unknown>> = [];
      await waitFor('orders of the system at the sim after the acknowledgement', async () => {
        placed = await systemOrdersSince(run, ackAtMs - 1000);
        return placed.length > 0;
      }, 20_000);
      expect(placed.length).toBeGreaterThan(0);
    } finally {
      await stopRun(run);
    }
  });

  it('moves the reservation price against inventory (long -> lower)', async () => {
    const run = await newRun(502);
    try {
      const ticker = await pickMarket(run);
      // impulse control off so the bailout does not trade the position away under the measurement
      await startSys(run, { MM_MAX_POS: 20, MM_MAX_LONG_POS: 20, MM_MAX_SHORT_POS: 20, IMPULSE_CONTROL_ENABLED: false });
      await waitFor('startup check ok', () => run.ops.some((e) => e.event === 'startup_position_check_ok'), 20_000);
      // before: quoting the market flat
      await waitFor(`quotes in ${ticker} while flat`, () => run.targets.some((t) => t.market === ticker && t.posCenti === 0 && quoting(t.tq)), 20_000);
      const flat = run.targets.filter((t) => t.market === ticker && t.posCenti === 0 && quoting(t.tq));
      const before = flat[flat.length - 1];
      const shiftBefore = tqShift(before.tq);

      // Targets from here on: strategy's target for the new position can reach the supervisor
      // before exec's copy of the position does, so do not require the test's own position tag.
      const idx = run.targets.length;
      const held = await buyUpTo(run, ticker, 12 * CENTI);
      expect(held).toBeGreaterThanOrEqual(12 * CENTI);
      await waitFor('position reaches strategy', () => (run.pos.get(ticker) ?? 0) >= 12 * CENTI, 15_000);
      // With no alpha feed and the legacy profile, only inventory moves the reservation away from
      // the fair value: a quoting target whose reservation sits below the flat one is the long one.
      const longAndLower = (t: Run['targets'][number]) => t.market === ticker && quoting(t.tq) && tqShift(t.tq) < shiftBefore - 1;
      await waitFor(`quotes in ${ticker} below the flat reservation while long`, () => run.targets.slice(idx).some(longAndLower), 15_000);
      const after = run.targets.slice(idx).find(longAndLower)!;
      const shiftAfter = tqShift(after.tq);
      // Flat, the reservation sits at the fair value (mid, no alpha feed); long, it is below it,
      // and the ask (the side that sheds inventory) is no higher relative to the touch.
      expect(Math.abs(shiftBefore)).toBeLessThan(1);
      const askOf = (tq: kmm.v1.ITargetQuotes) => (tq.levels ?? []).find((l) => l.side === kmm.v1.BookSide.ASK)?.price ?? 0;
      const midOf = (tq: kmm.v1.ITargetQuotes) => ((tq.bestBid ?? 0) + (tq.bestAsk ?? 0)) / 2;
      expect(askOf(after.tq)).toBeGreaterThan(0);
      expect(askOf(after.tq) - midOf(after.tq)).toBeLessThanOrEqual(askOf(before.tq) - midOf(before.tq));
      expect(shiftAfter).toBeLessThan(0);
    } finally {
      await stopRun(run);
    }
  });

  it('fires the inventory-breach taker above Q_critical and works the position back toward Q_target; not with IMPULSE_CONTROL_ENABLED false', async () => {
    const impulse = { MM_MAX_POS: 10, MM_MAX_LONG_POS: 10, MM_MAX_SHORT_POS: 10, Q_critical: 3, Q_target: 1 };
    // on: a position of 6 > Q_critical 3
    const on = await newRun(503);
    try {
      const ticker = await pickMarket(on);
      await startSys(on, { ...impulse, IMPULSE_CONTROL_ENABLED: true });
      await waitFor('startup check ok', () => on.ops.some((e) => e.event === 'startup_position_check_ok'), 20_000);
      const held = await buyUpTo(on, ticker, 6 * CENTI);
      expect(held).toBeGreaterThan(3 * CENTI);
      await waitFor('taker_intent', () => on.ops.some((e) => e.event === 'taker_intent' && e.market === ticker), 15_000);
      const ti = fields(on.ops.find((e) => e.event === 'taker_intent' && e.market === ticker)!);
      expect(['INVENTORY_BREACH', 'BAILOUT']).toContain(ti.reason);
      expect(ti.side).toBe('ASK');
      if (ti.reason === 'INVENTORY_BREACH') expect(Number(ti.position) - Number(ti.count)).toBe(1); // down to Q_target
      await waitFor('exchange position back to <= Q_critical', async () => (await position(on.sim, ticker)) <= 3 * CENTI, 20_000);
      expect(Math.abs(await position(on.sim, ticker))).toBeLessThanOrEqual(3 * CENTI);
    } finally {
      await stopRun(on);
    }

    // off: the same position, no taker intent while strategy holds it
    const off = await newRun(503);
    try {
      const ticker = await pickMarket(off);
      await startSys(off, { ...impulse, IMPULSE_CONTROL_ENABLED: false });
      await waitFor('startup check ok', () => off.ops.some((e) => e.event === 'startup_position_check_ok'), 20_000);
      const held = await buyUpTo(off, ticker, 6 * CENTI);
      expect(held).toBeGreaterThan(3 * CENTI);
      await waitFor('position reaches strategy', () => (off.pos.get(ticker) ?? 0) > 3 * CENTI, 15_000);
      const beats0 = off.execBeats;
      await waitFor('3 exec heartbeats holding the position', () => off.execBeats >= beats0 + 3, 15_000);
      expect(off.ops.filter((e) => e.event === 'taker_intent')).toEqual([]);
    } finally {
      await stopRun(off);
    }
  });
});
