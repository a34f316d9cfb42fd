/**
 * The market data path under faults as one deterministic simulation (runDst,
 * packages/app/src/dst/world.ts): the whole system (ingest, two book shards, strategy, exec)
 * against the simulator's in-memory exchange, in virtual time, with a scripted fault schedule.
 * It replaces the wall-clock test that fed IngestCore and BookShardCores from a real websocket
 * with a 50 ms interval tick and timed reconnects (tests/marketdata.sim.test.ts).
 *
 * Schedule: seq gaps, duplicates, malformed frames and silence of some markets together for
 * FAULT_S seconds, with two websocket drops inside; the flow stops FLOW_STOP_AFTER_S after the
 * faults so the books come to rest and can be compared exactly.
 * Checks (as the old test):
 *  - start-up: every market trusted and every book equal to the exchange's, level by level,
 *    before the faults; ingest told exec of the connection before strategy;
 *  - every fault was seen and handled (ingest's counters, the disconnect log), each silent market
 *    left TRUSTED and was reported STALE or UNTRUSTED to exec, disconnects reached exec first;
 *  - once the faults stop every market resyncs (never left UNTRUSTED) and every book converges to
 *    the exchange's own book exactly (the exchange's book is the independent reference);
 *  - strategy never sent exec a quote while ingest held the market untrusted or stale, nor on an
 *    invalid book (checked at the instant of the send against ingest's and the shard's state).
 * runDst's invariants hold for the whole run (every fault recovered, fills journaled, ...).
 * No real time anywhere: the run is a pure function of its seed.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { formatCount, formatPrice, kmm, shardOf, type LocalKernel } from '@kmm/shared';
import type { IngestActorState } from '@kmm/ingest-worker/actor';
import type { BookActorState } from '@kmm/book-worker/actor';
import { runDst, type DstResult, type DstView } from '@kmm/app';

const T = kmm.v1.TrustState;
const CONNECTED = kmm.v1.ConnectionEvent.Kind.CONNECTED;
const DISCONNECTED = kmm.v1.ConnectionEvent.Kind.DISCONNECTED;
const SHARDS = 2; // runDst's book.0, book.1
/**
 * Half the exchange's step period (50 ms): every other observation falls between two flow steps,
 * when the frames of the last step have arrived (at a step instant they are still on the wire).
 */
const OBSERVE_MS = 25;
const FAULT_AT_S = 20;
const FAULT_S = 20;
const FLOW_STOP_AFTER_S = 8;
/** the books must be equal to the exchange's within this long of the flow stopping */
const CONVERGE_S = 30;

type Book = { yes_dollars: string[][]; no_dollars: string[][] };

function ingestOf(k: LocalKernel): IngestActorState | undefined {
  const a = k.get('ingest');
  return a?.started ? (a.state as IngestActorState) : undefined;
}

function shardEntry(k: LocalKernel, market: string) {
  const a = k.get(`book.${shardOf(market, SHARDS)}`);
  return a?.started ? (a.state as BookActorState).core.entry(market) : undefined;
}

/** Our book of `market` in the exchange's orderbook_fp format. */
function ourBook(k: LocalKernel, market: string): Book {
  const e = shardEntry(k, market);
  if (e === undefined) return { yes_dollars: [], no_dollars: [] };
  const fmt = (l: Array<[number, number]>) => l.map(([p, c]) => [formatPrice(p), formatCount(c)]);
  return { yes_dollars: fmt(e.book.legLevels(kmm.v1.LegSide.YES)), no_dollars: fmt(e.book.legLevels(kmm.v1.LegSide.NO)) };
}

function sameBook(v: DstView, market: string): boolean {
  return JSON.stringify(ourBook(v.kernel, market)) === JSON.stringify(v.exchange.book(market));
}

function trustOf(k: LocalKernel, market: string): kmm.v1.TrustState {
  return ingestOf(k)?.core.trustOf(market) ?? T.UNTRUSTED;
}

interface Quote {
  tS: number;
  market: string;
  ingestTrust: kmm.v1.TrustState;
  bookValid: boolean;
}

describe('market data path under faults (deterministic simulation)', () => {
  let r: DstResult;
  let tickers: string[] = [];
  const silent = new Set<string>();
  const silentLeftTrusted = new Set<string>();
  /** connection events ingest sent, in order: 'exec:<kind>' / 'strategy:<kind>' */
  const connSends: string[] = [];
  const trustToExec: kmm.v1.IMarketTrust[] = [];
  const quotes: Quote[] = [];
  const reasons = new Map<string, number>();
  const logs: string[] = [];
  let kernel: LocalKernel | null = null;
  let startupSyncedAtS: number | null = null;
  let counters = { frames: 0, invalid: 0, gaps: 0, duplicates: 0 };
  let convergedAtS: number | null = null;
  let notConverged = 'not observed';
  let validAtConvergence = false;
  const flowStopS = FAULT_AT_S + FAULT_S + FLOW_STOP_AFTER_S;

  beforeAll(async () => {
    r = await runDst({
      seed: 31,
      simMinutes: 1.5,
      markets: 6,
      speed: 3,
      observeEveryMs: OBSERVE_MS,
      schedule: [
        { atS: FAULT_AT_S, kind: 'seq_gap', durS: FAULT_S },
        { atS: FAULT_AT_S, kind: 'seq_duplicate', durS: FAULT_S },
        { atS: FAULT_AT_S, kind: 'malformed_frames', durS: FAULT_S },
        { atS: FAULT_AT_S, kind: 'market_silence', durS: FAULT_S },
        { atS: FAULT_AT_S + 5, kind: 'ws_drop', durS: 1 },
        { atS: FAULT_AT_S + 12, kind: 'ws_drop', durS: 1 },
      ],
      hooks: {
        log: (actor, _level, event) => {
          if (actor === 'ingest') logs.push(event);
        },
        send: (actor, to, body) => {
          if (actor === 'ingest') {
            if (body.connection && (to === 'exec' || to === 'strategy')) connSends.push(`${to}:${body.connection.kind}`);
            if (to === 'exec' && body.marketTrust) trustToExec.push(body.marketTrust);
          }
          // every target with at least one level is a quote: the trust and book state it was sent on
          if (actor === 'strategy' && to === 'exec' && body.targetQuotes) {
            const t = body.targetQuotes;
            reasons.set(t.reason ?? '', (reasons.get(t.reason ?? '') ?? 0) + 1);
            if (!t.levels || t.levels.length === 0) return;
            const m = t.market ?? '';
            const tS = kernel ? kernel.clock.monoNs() / 1e9 : -1;
            quotes.push({ tS, market: m, ingestTrust: kernel ? trustOf(kernel, m) : T.UNTRUSTED, bookValid: kernel ? (shardEntry(kernel, m)?.book.valid ?? false) : false });
          }
        },
      },
      observe: (v) => {
        kernel = v.kernel;
        if (tickers.length === 0) tickers = v.exchange.markets().filter((m) => m.status === 'active').map((m) => m.spec.ticker);
        const ing = ingestOf(v.kernel);
        if (ing) counters = { frames: ing.core.counters.frames, invalid: ing.core.counters.invalid, gaps: ing.core.counters.gaps, duplicates: ing.core.counters.duplicates };
        // start-up: all trusted and equal to the exchange before the faults
        if (v.nowS < FAULT_AT_S && startupSyncedAtS === null && tickers.every((t) => trustOf(v.kernel, t) === T.TRUSTED && sameBook(v, t))) startupSyncedAtS = v.nowS;
        // during the silence: which markets are silent, and did each leave TRUSTED
        if (v.nowS >= FAULT_AT_S && v.nowS < FAULT_AT_S + FAULT_S) {
          for (const t of v.exchange.faults.get().silenceMarkets) {
            silent.add(t);
            if (trustOf(v.kernel, t) !== T.TRUSTED) silentLeftTrusted.add(t);
          }
        }
        // let the books come to rest so they can be compared exactly
        if (v.nowS >= flowStopS && v.nowS < flowStopS + OBSERVE_MS / 1000) v.exchange.flow?.setSpeed(0);
        // With the flow stopped a market goes STALE after the stale window (no data is the
        // definition of stale); what must hold is: resynced (never left UNTRUSTED) and exactly equal.
        if (v.nowS > flowStopS && convergedAtS === null && v.nowS <= flowStopS + CONVERGE_S) {
          const bad = tickers.filter((t) => trustOf(v.kernel, t) === T.UNTRUSTED || !sameBook(v, t));
          if (bad.length === 0) {
            convergedAtS = v.nowS;
            validAtConvergence = tickers.every((t) => shardEntry(v.kernel, t)?.book.valid === true);
          } else {
            notConverged = bad.map((t) => `${t}: trust=${T[trustOf(v.kernel, t)]} ours=${JSON.stringify(ourBook(v.kernel, t)).slice(0, 200)} exchange=${JSON.stringify(v.exchange.book(t)).slice(0, 200)}`).join(' | ');
          }
        }
      },
    });
  }, 300_000);

  it('runs clean: every runDst invariant holds and every fault recovered', () => {
    expect(r.problems, `seed ${r.seed}: ${r.problems.join('; ')}`).toEqual([]);
    expect(r.ok).toBe(true);
    expect(r.faults.map((f) => f.kind).sort()).toEqual(['malformed_frames', 'market_silence', 'seq_duplicate', 'seq_gap', 'ws_drop', 'ws_drop']);
  });

  it('starts with every book trusted and equal to the exchange', () => {
    expect(tickers.length).toBeGreaterThanOrEqual(4);
    expect(startupSyncedAtS, 'never all trusted and equal to the exchange before the faults').not.toBeNull();
    expect(connSends.slice(0, 2)).toEqual([`exec:${CONNECTED}`, `strategy:${CONNECTED}`]);
  });

  it('survives gaps, duplicates, malformed frames, drops and silence, then converges to the exchange books', () => {
    console.log(`[marketdata.dst] ${counters.frames} frames, ${counters.gaps} gaps, ${counters.duplicates} duplicates, ${counters.invalid} invalid; silent ${[...silent].join(',')}; start-up synced at ${startupSyncedAtS} s, converged ${convergedAtS === null ? 'never' : (convergedAtS - flowStopS).toFixed(2) + ' s'} after the flow stopped`);
    expect(counters.gaps).toBeGreaterThan(0);
    expect(counters.duplicates).toBeGreaterThan(0);
    expect(counters.invalid).toBeGreaterThan(0);
    expect(logs).toContain('ws_disconnected');
    expect(counters.frames).toBeGreaterThan(2000);
    expect(silent.size).toBeGreaterThan(0);
    expect([...silentLeftTrusted].sort()).toEqual([...silent].sort());
    expect(convergedAtS, `not converged: ${notConverged}`).not.toBeNull();
    expect(validAtConvergence).toBe(true);
    // every silent market was reported STALE or UNTRUSTED to exec
    for (const t of silent) expect(trustToExec.some((m) => m.market === t && (m.state === T.STALE || m.state === T.UNTRUSTED)), t).toBe(true);
    // disconnects reached exec first
    const firstDisc = connSends.findIndex((e) => e.endsWith(`:${DISCONNECTED}`));
    expect(firstDisc).toBeGreaterThan(0);
    expect(connSends[firstDisc]).toBe(`exec:${DISCONNECTED}`);
  });

  it('never quoted on an untrusted, stale or invalid book', () => {
    expect(quotes.length, JSON.stringify([...reasons])).toBeGreaterThan(20);
    const bad = quotes.filter((q) => q.ingestTrust !== T.TRUSTED || !q.bookValid);
    expect(bad).toEqual([]);
  });
});
