/**
 * Shared pieces of the proof commands (`kmm bench`, `kmm chaos`): percentiles, the exec journal
 * reader used to pull per-command tick-to-order samples, and the per-actor load
 * profile (from Supervisor.health()) that names the bottleneck.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { kmm } from '@kmm/shared';
import { readJournal, type JournalRecord } from '@kmm/exec-worker';

/** Nearest-rank percentile of an ascending array. */
export function pct(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return 0;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}

export const round1 = (x: number): number => Math.round(x * 10) / 10;

export interface JournalSample {
  cmdId: number;
  op: string;
  causeRecvMonoNs: number;
  arrivalMonoNs: number;
  wireMonoNs: number;
  /**
   * the stage stamps of the market-data path (0 = unknown; journals before issue 18 have none):
   * frame receipt (causeRecvMonoNs) -> ingest emit -> book start -> book emit -> strategy start ->
   * strategy emit -> exec arrival (arrivalMonoNs) -> request started (write) -> wire
   */
  ingestEmitMonoNs: number;
  bookRecvMonoNs: number;
  bookEmitMonoNs: number;
  strategyRecvMonoNs: number;
  strategyEmitMonoNs: number;
  writeMonoNs: number;
}

/** Reads exec journal records, typed (tolerates a torn last line; bad lines are skipped). */
export function readJournalRecords(path: string): JournalRecord[] {
  return readJournal(path).records;
}

/**
 * Tick-to-order samples: exec journals each command ('cmd': cause_recv_mono_ns = ingest's receive
 * stamp of the frame that caused it) and the moment its request was handed to the socket
 * ('wire': wire_mono_ns). Both stamps are process.hrtime (one clock for all threads). Commands
 * with no market-data cause (timers, reconcile) have cause 0 and are not tick-to-order samples.
 * Command ids restart with each exec incarnation ('start' record), so pairs are matched per segment.
 */
export function tickToOrderSamples(records: readonly JournalRecord[]): JournalSample[] {
  const out: JournalSample[] = [];
  let pending = new Map<number, JournalSample>();
  const n = (x: number | null | undefined): number => Number(x ?? 0);
  for (const r of records) {
    if (r.k === 'start') pending = new Map();
    else if (r.k === 'cmd')
      pending.set(n(r.id), {
        cmdId: n(r.id),
        op: r.op ?? '',
        causeRecvMonoNs: n(r.causeRecvMonoNs),
        arrivalMonoNs: n(r.arrivalMonoNs),
        wireMonoNs: 0,
        ingestEmitMonoNs: n(r.ingestEmitMonoNs),
        bookRecvMonoNs: n(r.bookRecvMonoNs),
        bookEmitMonoNs: n(r.bookEmitMonoNs),
        strategyRecvMonoNs: n(r.strategyRecvMonoNs),
        strategyEmitMonoNs: n(r.strategyEmitMonoNs),
        writeMonoNs: 0,
      });
    else if (r.k === 'wire') {
      const id = n(r.id);
      const c = pending.get(id);
      if (!c) continue;
      pending.delete(id);
      const wire = n(r.wireMonoNs);
      if (c.causeRecvMonoNs > 0 && wire > c.causeRecvMonoNs) {
        c.wireMonoNs = wire;
        c.writeMonoNs = n(r.writeMonoNs);
        out.push(c);
      }
    }
  }
  return out;
}

export interface ActorLoad {
  actor: string;
  eluMean: number;
  eluMax: number;
  mailboxDepthMax: number;
  mailboxDepthLast: number;
  msgsIn: number;
  msgsOut: number;
  dropped: number;
  conflated: number;
  handlerP99Us: number;
  samples: number;
}

/** Samples Supervisor.health() over a run: mean/max ELU, mailbox depth, counters per actor. */
export class LoadProfile {
  private readonly acc = new Map<string, ActorLoad & { eluSum: number; first: { msgsIn: number; msgsOut: number; dropped: number; conflated: number } }>();
  private readonly depthSeries = new Map<string, number[]>();
  rssMbMax = 0;
  rssMbLast = 0;
  heapMbLast = 0;
  /** per actor: its isolate's last heapUsed (MB); worker threads have one heap each */
  readonly heapMbByActor = new Map<string, number>();

  sample(health: Map<string, kmm.v1.IHealth>): void {
    for (const [actor, h] of health) {
      let a = this.acc.get(actor);
      const msgsIn = Number(h.msgsIn ?? 0);
      const msgsOut = Number(h.msgsOut ?? 0);
      const dropped = Number(h.dropped ?? 0);
      const conflated = Number(h.conflated ?? 0);
      if (!a) {
        a = { actor, eluMean: 0, eluMax: 0, eluSum: 0, mailboxDepthMax: 0, mailboxDepthLast: 0, msgsIn: 0, msgsOut: 0, dropped: 0, conflated: 0, handlerP99Us: 0, samples: 0, first: { msgsIn, msgsOut, dropped, conflated } };
        this.acc.set(actor, a);
        this.depthSeries.set(actor, []);
      }
      const elu = Number(h.elu ?? 0);
      a.samples++;
      a.eluSum += elu;
      a.eluMax = Math.max(a.eluMax, elu);
      a.eluMean = a.eluSum / a.samples;
      const depth = Math.max(Number(h.mailboxDepth ?? 0), 0);
      a.mailboxDepthMax = Math.max(a.mailboxDepthMax, depth, Number(h.mailboxDepthMax ?? 0));
      a.mailboxDepthLast = depth;
      this.depthSeries.get(actor)!.push(depth);
      a.msgsIn = msgsIn - a.first.msgsIn;
      a.msgsOut = msgsOut - a.first.msgsOut;
      a.dropped = dropped - a.first.dropped;
      a.conflated = conflated - a.first.conflated;
      a.handlerP99Us = Number(h.handler?.p99Ns ?? 0) / 1000;
      const rss = Number(h.rssMb ?? 0);
      this.rssMbLast = rss;
      this.rssMbMax = Math.max(this.rssMbMax, rss);
      this.heapMbLast = Number(h.heapUsedMb ?? 0);
      this.heapMbByActor.set(actor, this.heapMbLast);
    }
  }

  /** The actors' JS heaps summed (MB): KMM's own state, without node's per-thread fixed cost. */
  actorsHeapMb(): number {
    let s = 0;
    for (const v of this.heapMbByActor.values()) s += v;
    return s;
  }

  actors(): ActorLoad[] {
    return [...this.acc.values()].map(({ eluSum: _e, first: _f, ...a }) => a).sort((x, y) => y.eluMean - x.eluMean);
  }

  totals(): { dropped: number; conflated: number } {
    let dropped = 0;
    let conflated = 0;
    for (const a of this.acc.values()) {
      dropped += a.dropped;
      conflated += a.conflated;
    }
    return { dropped, conflated };
  }

  /**
   * Queue growth: an actor's mailbox is growing without bound if the mean depth over the last
   * third of the run is well above the first third and above a small absolute floor.
   */
  growingQueues(): string[] {
    const out: string[] = [];
    for (const [actor, s] of this.depthSeries) {
      if (s.length < 6) continue;
      const third = Math.floor(s.length / 3);
      const mean = (xs: number[]) => xs.reduce((x, y) => x + y, 0) / Math.max(1, xs.length);
      const head = mean(s.slice(0, third));
      const tail = mean(s.slice(s.length - third));
      if (tail > 1000 && tail > 2 * head + 100) out.push(actor);
    }
    return out;
  }

  /** The bottleneck: highest mean ELU (an actor at ~1.0 is saturated); ties broken by mailbox depth. */
  bottleneck(): { actor: string; why: string } | null {
    const list = this.actors();
    if (list.length === 0) return null;
    const top = [...list].sort((a, b) => b.eluMean - a.eluMean || b.mailboxDepthMax - a.mailboxDepthMax)[0];
    const saturated = top.eluMean > 0.85;
    return {
      actor: top.actor,
      why: `${top.actor} has the highest event-loop utilisation (mean ${(top.eluMean * 100).toFixed(0)}%, max ${(top.eluMax * 100).toFixed(0)}%), mailbox depth max ${top.mailboxDepthMax}, handler p99 ${top.handlerP99Us.toFixed(0)} us${saturated ? ': saturated' : ''}`,
    };
  }
}

/** exec's journal in a run folder (runDir/journal.jsonl; older builds wrote exec.journal.jsonl). */
export function execJournalPath(runDir: string): string {
  const p = join(runDir, 'journal.jsonl');
  const old = join(runDir, 'exec.journal.jsonl');
  return !existsSync(p) && existsSync(old) ? old : p;
}
