/**
 * Venue check of a recorded run (`kmm backtest --like RUN --venue-check`, issue 16): the run's
 * own orders, as the exchange acknowledged them, through the backtest's venue on the run's
 * capture, with no strategy or exec in the loop.
 *
 * A `--like` backtest differs from its run for two reasons: the venue (queue model, matching)
 * and the decisions of the cores (which orders exist when). This takes the decisions out: every
 * place / amend / decrease / cancel acknowledgement of the journal is applied to the venue at its
 * journal time, and the capture's book and prints (the run's own orders taken out, as `--like`
 * does) drive the queue model. For a run against the simulator with the `exchange` queue model
 * the venue gives the run's own maker fills; a gap here is the venue's, a gap only in `--like`
 * is the decisions'.
 *
 * In: a RecordedRun (readRunFolder) with its journal, the capture's parsed lines, a queue model.
 * Out: maker fills and contracts of the run and of the venue, overall and per market; and, for
 * each queue position the exchange reported to the run (the journal's `queue` records), the
 * venue's contracts ahead of the same order at that moment: equal where the queue model
 * rebuilds the exchange's queue.
 * Ack times stand for the exchange's: an order is live at the venue from its acknowledgement
 * (the simulator answers within milliseconds; a print between the two would be missed).
 */
import { kmm } from '@kmm/shared';
import type { JournalRecord } from '@kmm/exec-worker/core';
import type { CaptureLine } from '@kmm/ingest-worker/core';
import { OthersBook } from '../core/others-book.js';
import { queueModel, type QueueModelName } from '../core/queue-models.js';
import { SimVenue } from '../core/venue.js';
import type { RecordedRun } from './like.js';

const CK = kmm.v1.CommandKind;
const RESTING = kmm.v1.OrderStatus.RESTING;

type AckRecord = Extract<JournalRecord, { k: 'ack' }>;
type QueueRecord = Extract<JournalRecord, { k: 'queue' }>;

export interface VenueCheckMarket {
  market: string;
  runFills: number;
  venueFills: number;
}

export interface VenueCheckResult {
  queueModel: QueueModelName;
  /** acknowledged orders applied (place, amend, decrease, cancel) */
  ordersApplied: number;
  runMakerFills: number;
  runMakerCenti: number;
  venueFills: number;
  venueCenti: number;
  /** markets where the two differ, sorted by the gap (largest first) */
  differing: VenueCheckMarket[];
  /** queue positions the exchange reported for orders the venue holds, compared with the venue's */
  queueCompared: number;
  /** of them, where the venue has exactly the exchange's contracts ahead */
  queueEqual: number;
  /** the first few that differ */
  queueDiffering: { atMs: number; market: string; oid: string; exchangeCenti: number; venueCenti: number }[];
}

/** How many differing queue positions a venue check keeps as examples. */
const QUEUE_EXAMPLES_MAX = 10;

export function venueCheck(run: RecordedRun, lines: readonly CaptureLine[], model: QueueModelName, queuePower = 2, orderLatencyMs = 0): VenueCheckResult {
  if (!run.journal) throw new Error(`--venue-check: run folder ${run.dir} has no journal.jsonl (the run's orders)`);
  const venue = new SimVenue(queueModel(model, queuePower), run.markets);
  // the recorded book's orders rest, as in the backtest's venue
  venue.othersPostOnly = true;
  const others = new OthersBook();
  const acks: AckRecord[] = [];
  const queues: QueueRecord[] = [];
  const perMarket = new Map<string, VenueCheckMarket>();
  const market = (m: string): VenueCheckMarket => {
    let x = perMarket.get(m);
    if (!x) perMarket.set(m, (x = { market: m, runFills: 0, venueFills: 0 }));
    return x;
  };
  let runMakerFills = 0;
  let runMakerCenti = 0;
  const seenTrades = new Set<string>();
  for (const r of run.journal) {
    if (r.k === 'fill' && !r.isTaker) {
      const id = `${r.tradeId ?? ''}|${r.oid ?? ''}`;
      if (r.tradeId && seenTrades.has(id)) continue; // a fill journaled twice (websocket and REST) counts once
      seenTrades.add(id);
      runMakerFills++;
      runMakerCenti += Number(r.countCenti ?? 0);
      market(r.market ?? '').runFills++;
    } else if (r.k === 'ack' && (r.kind === CK.PLACE || r.kind === CK.AMEND || r.kind === CK.DECREASE || r.kind === CK.CANCEL)) acks.push(r);
    else if (r.k === 'queue') queues.push(r);
  }
  acks.sort((a, b) => (a.t ?? 0) - (b.t ?? 0));
  queues.sort((a, b) => (a.t ?? 0) - (b.t ?? 0));
  // the exchange answered with its queue when the request arrived: one order latency before the journal's record
  const askedMs = (r: QueueRecord): number => (r.t ?? 0) - orderLatencyMs;
  let queueCompared = 0;
  let queueEqual = 0;
  const queueDiffering: VenueCheckResult['queueDiffering'] = [];
  let nextQueue = 0;
  const compareUpTo = (nowMs: number): void => {
    for (; nextQueue < queues.length && askedMs(queues[nextQueue]) <= nowMs; nextQueue++) {
      const r = queues[nextQueue];
      for (const p of r.positions ?? []) {
        const id = idOf.get(p.oid ?? '');
        const o = id === undefined ? undefined : venue.orders.get(id);
        if (o === undefined) continue;
        queueCompared++;
        const ex = Number(p.aheadCenti ?? 0);
        if (o.aheadCenti === ex) queueEqual++;
        else if (queueDiffering.length < QUEUE_EXAMPLES_MAX) queueDiffering.push({ atMs: askedMs(r), market: o.market, oid: p.oid ?? '', exchangeCenti: ex, venueCenti: o.aheadCenti });
      }
    }
  };
  /** the run's order id -> the venue's */
  const idOf = new Map<string, string>();
  let venueFills = 0;
  let venueCenti = 0;
  let applied = 0;
  const collect = (): void => {
    for (const f of venue.fills) {
      venueFills++;
      venueCenti += f.countCenti;
      market(f.market).venueFills++;
    }
  };
  let next = 0;
  const applyUpTo = (nowMs: number): void => {
    for (; next < acks.length && (acks[next].t ?? 0) <= nowMs; next++) {
      const r = acks[next];
      const oid = r.oid ?? '';
      const total = Number(r.remainingCenti ?? 0) + Number(r.filledCenti ?? 0);
      if (r.kind === CK.PLACE) {
        if (r.status !== RESTING) continue;
        const res = venue.place({ market: r.market ?? '', clientOrderId: r.coid ?? '', side: r.side ?? 0, price: r.price ?? 0, countCenti: total, postOnly: true }, nowMs);
        if (res.ok) idOf.set(oid, res.value.orderId);
      } else {
        const id = idOf.get(oid);
        if (id === undefined) continue;
        if (r.kind === CK.AMEND) venue.amend({ orderId: id, price: r.price ?? 0, countCenti: total }, nowMs);
        else if (r.kind === CK.DECREASE) venue.decrease({ orderId: id, countCenti: Number(r.remainingCenti ?? 0) });
        else venue.cancel(id);
      }
      applied++;
      collect();
    }
  };
  for (const c of lines) {
    compareUpTo(c.recvMs - 1);
    applyUpTo(c.recvMs);
    for (const f of others.process(c.frame)) {
      if (f.kind === 'snapshot') venue.onSnapshot(f.body, c.recvMs);
      else if (f.kind === 'delta') venue.onDelta(f.body, c.recvMs);
      else if (f.kind === 'trade') venue.onTrade(f.body, c.recvMs);
      else continue;
      collect();
    }
  }
  compareUpTo(Infinity);
  applyUpTo(Infinity);
  const differing = [...perMarket.values()].filter((x) => x.runFills !== x.venueFills).sort((a, b) => Math.abs(b.venueFills - b.runFills) - Math.abs(a.venueFills - a.runFills));
  return { queueModel: model, ordersApplied: applied, runMakerFills, runMakerCenti, venueFills, venueCenti, differing, queueCompared, queueEqual, queueDiffering };
}
