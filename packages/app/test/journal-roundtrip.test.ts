/**
 * Exec journal round trip, writer -> every reader: an ExecCore run (and the shell's wire and
 * shutdown records) written by the real Journal, then read by recovery (seedFromJournal), the
 * bench (tick-to-order pairs), the chaos invariant checker and the run-folder report; and the
 * committed journal of the pre-schema writer read by the report.
 */
import { copyFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { kmm, resolveConfig } from '@kmm/shared';
import { execParamsOf, ExecCore, Journal, readJournal, type CommandResult, type Effects } from '@kmm/exec-worker';

/** Exec's params at the registry defaults (one shard). */
const EXEC_DEFAULTS = () => execParamsOf(resolveConfig({ kmm_shards: 1 }));
import { readJournalRecords, tickToOrderSamples } from '../src/proof/common.js';
import { checkChaosInvariants } from '../src/proof/chaos.js';
import { readRunFolder } from '../src/report/runfolder.js';

const MKT = 'KXTEST-26JAN01-T50';
const BID = kmm.v1.BookSide.BID;
const FIXTURE = resolve(__dirname, '../../exec-worker/test/fixtures/journal-v1.jsonl');

async function writeRun(dir: string): Promise<{ tradeIds: string[]; cmdIds: number[] }> {
  let wall = 1_790_000_000_000;
  const j = new Journal(join(dir, 'journal.jsonl'), { flushEveryMs: 0, fsyncEveryMs: 0, wallMs: () => (wall += 10) });
  const p = { ...EXEC_DEFAULTS(), longCapCenti: 1000_00, shortCapCenti: 1000_00, quoteRefreshMs: 0, minRepriceIntervalMs: 0, reconcileIntervalMs: 0, queuePositionPollMs: 0, marketsPollMs: 0, tapeIntervalMs: 0 };
  const core = new ExecCore(p, { runId: 'rt', markets: [{ market: MKT, status: kmm.v1.MarketStatus.MARKET_ACTIVE, priceRanges: [{ startPrice: 100, endPrice: 9900, stepPrice: 100 }] }], nowMs: 0 });
  const cmdIds: number[] = [];
  const take = (fx: Effects) => {
    for (const r of fx.journal) j.append(r);
    for (const c of fx.commands) {
      cmdIds.push(c.id);
      j.append({ k: 'wire', id: c.id, wireMonoNs: 5_000_000 + c.id * 1000, targetToWireUs: 3 });
    }
    return fx.commands.slice();
  };
  take(core.start(0));
  take(core.onSnapshot({ requestedAtMs: 0, orders: [], positions: [], fills: [] }, 0));
  take(core.onOrderGroup('og', 0));
  take(core.onTrust({ market: MKT, state: kmm.v1.TrustState.TRUSTED }, 0));
  const cmds = take(core.onTargets({ market: MKT, levels: [{ side: BID, level: 0, price: 4800, countCenti: 500 }, { side: kmm.v1.BookSide.ASK, level: 0, price: 5200, countCenti: 500 }] }, 10, { recvMonoNs: 4_000_000, arrivalMonoNs: 4_500_000 }));
  const c = cmds[0];
  const res: CommandResult = {
    cmdId: c.id,
    acks: [{ kind: 1, market: MKT, clientOrderId: c.orders[0].clientOrderId, orderId: 'o1', side: BID, price: 4800, remainingCenti: 500, filledCenti: 0, status: kmm.v1.OrderStatus.RESTING }],
    rejects: [{ kind: 1, market: MKT, clientOrderId: c.orders[1].clientOrderId, code: kmm.v1.RejectCode.INSUFFICIENT_BALANCE, message: 'no money', side: kmm.v1.BookSide.ASK, price: 5200 }],
    rateLimited: false,
    latencyUs: 50,
  };
  take(core.onCommandResult(res, 11));
  take(core.onFill({ tradeId: 'T1', orderId: 'o1', market: MKT, side: BID, yesPrice: 4800, countCenti: 100, feeMoney: 3, postPositionCenti: 100, tsMs: 1_790_000_000_500 }, 12, 'ws'));
  take(core.onFill({ tradeId: 'T2', orderId: 'o1', market: MKT, side: BID, yesPrice: 4800, countCenti: 100, feeMoney: 3, tsMs: 1_790_000_000_600 }, 13, 'rest'));
  take(core.beginShutdown(20));
  j.append({ k: 'shutdown', verified: true, restingLeft: 0, rounds: 1 });
  await j.close();
  return { tradeIds: ['T1', 'T2'], cmdIds };
}

describe('exec journal: writer -> every reader', () => {
  it('recovery, bench, chaos and report read what the writer wrote', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kmm-jrt-'));
    const { cmdIds } = await writeRun(dir);
    const path = join(dir, 'journal.jsonl');

    const read = readJournal(path);
    expect([read.badLines, read.seqErrors, read.tornTail, read.errors]).toEqual([0, 0, false, []]);
    const fresh = new ExecCore(EXEC_DEFAULTS(), { runId: 'x', markets: [], nowMs: 0 });
    expect(fresh.seedFromJournal(read.records)).toEqual({ tradeIds: 2, maxFillTsMs: 1_790_000_000_600 });

    const recs = readJournalRecords(path);
    const samples = tickToOrderSamples(recs);
    // only the target-caused create carries a market-data cause
    // (no stage stamps in this journal: they read as 0, and the bench's per-hop breakdown skips the sample)
    const noStages = { ingestEmitMonoNs: 0, bookRecvMonoNs: 0, bookEmitMonoNs: 0, strategyRecvMonoNs: 0, strategyEmitMonoNs: 0, writeMonoNs: 0 };
    expect(samples).toEqual([{ cmdId: cmdIds[0], op: 'batch_create', causeRecvMonoNs: 4_000_000, arrivalMonoNs: 4_500_000, wireMonoNs: 5_000_000 + cmdIds[0] * 1000, ...noStages }]);

    const chaos = checkChaosInvariants({
      capCenti: 100_000,
      records: { orders: [], fills: [{ trade_id: 'T1', ticker: MKT, book_side: 'bid', side: 'yes', count_fp: '1.00' }, { trade_id: 'T2', ticker: MKT, book_side: 'bid', side: 'yes', count_fp: '1.00' }], caps: [] },
      polledMaxAbsCenti: {},
      journal: recs,
      faults: [],
      recoveryBoundS: 30,
    });
    expect([chaos.fills_journal, chaos.fills_missing, chaos.fills_duplicated, chaos.duplicate_client_order_ids]).toEqual([2, 0, 0, 0]);
    // an order left resting and a fill the journal lacks: the problems say what the journal knows of them
    const placed = recs.find((r) => r.k === 'cmd')!.orders![0].clientOrderId!;
    const left = checkChaosInvariants({
      capCenti: 100_000,
      records: {
        orders: [{ order_id: 'X9', client_order_id: placed, ticker: MKT, status: 'resting', created_time: new Date(1_789_000_000_000).toISOString() }],
        fills: [{ trade_id: 'T3', ticker: MKT, order_id: 'Y1', client_order_id: 'kmm-nobody-1', book_side: 'bid', side: 'yes', count_fp: '1.00', created_time: new Date(1_789_000_000_000).toISOString() }],
        caps: [],
      },
      polledMaxAbsCenti: {},
      journal: recs,
      faults: [],
      recoveryBoundS: 30,
    });
    const resting = left.problems.find((x) => x.includes('still resting after shutdown'))!;
    expect(resting).toMatch(new RegExp(`X9 \\(${MKT} ${placed} created .*; last journal record \\w+ .*at .*; exec shutdowns journaled since: verified (true|false) resting_left \\d+`));
    expect(left.problems.find((x) => x.includes('missing from the journal'))).toMatch(/T3 \(KXTEST-26JAN01-T50 order Y1 at .*the order: Y1 \(.* kmm-nobody-1 created .*; in no journal;/);

    const run = await readRunFolder(dir);
    expect(run.files['journal.jsonl'].malformed).toBe(0);
    expect(run.journal.fills.map((f) => [f.side, f.priceMicro, f.countCenti, f.postPositionCenti])).toEqual([
      ['bid', 480_000, 100, 100],
      ['bid', 480_000, 100, null],
    ]);
    expect(run.journal.commandsByKind).toMatchObject({ PLACE: 1 });
    expect(run.journal.rejectsByCode).toEqual({ INSUFFICIENT_BALANCE: 1 });
    expect(run.journal.typeCounts).toMatchObject({ command: cmdIds.length, ack: 1, reject: 1, fill: 2, wire: cmdIds.length, start: 1, shutdown: 1 });
  });

  it('the report reads a journal of the pre-schema writer', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kmm-jv1-'));
    copyFileSync(FIXTURE, join(dir, 'journal.jsonl'));
    const run = await readRunFolder(dir);
    expect(run.files['journal.jsonl'].malformed).toBe(0);
    expect(run.journal.fills).toHaveLength(2);
    expect(run.journal.typeCounts).toMatchObject({ fill: 2, divergence: 2, backtest_end: 1, skip: 1 });
  });
});
