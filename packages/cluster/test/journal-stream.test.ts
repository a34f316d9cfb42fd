/**
 * The shard journal as a JetStream stream against a real nats-server: what the old and the new
 * gateway both journal after a failover (the same fills, the same placed orders) is stored once;
 * a reused client order id is counted; the standby reads the whole journal back in order.
 */
import { expect, it } from 'vitest';
import { kmm } from '@kmm/shared';
import type { JournalRecord } from '@kmm/exec-worker/core';
import { journalMsgId } from '../src/core/journal-ids.js';
import { JetStreamJournal, ensureJournalStream, journalStreamName, readJournalStream } from '../src/shell/journal-stream.js';
import { describeNats, useNatsServer } from './nats.js';

const create = (id: number, ...coids: string[]): JournalRecord => ({
  k: 'cmd',
  id,
  op: coids.length > 1 ? 'batch_create' : 'create',
  orders: coids.map((c) => ({ kind: kmm.v1.CommandKind.PLACE, market: 'MKT-A', clientOrderId: c, side: kmm.v1.BookSide.YES_BID, price: 4100, countCenti: 100 })),
});
const placed = (coid: string, oid: string): JournalRecord => ({ k: 'ack', kind: kmm.v1.CommandKind.PLACE, market: 'MKT-A', coid, oid, side: kmm.v1.BookSide.YES_BID, price: 4100, remainingCenti: 100 });
const fill = (tradeId: string, coid: string): JournalRecord => ({ k: 'fill', src: 'ws', tradeId, oid: 'o-' + coid, coid, market: 'MKT-A', side: kmm.v1.BookSide.YES_BID, yesPrice: 4100, countCenti: 100, isTaker: false });

it('journal message ids: creates by client order id, placements, fills by trade id; nothing else', () => {
  expect(journalMsgId(create(1, 'c1'))).toBe('create:c1');
  expect(journalMsgId(create(2, 'c1', 'c2'))).toBe('create:c1,c2');
  expect(journalMsgId(placed('c1', 'o1'))).toBe('placed:c1');
  expect(journalMsgId(fill('t-9', 'c1'))).toBe('fill:t-9');
  expect(journalMsgId({ k: 'cmd', id: 3, op: 'cancel', orders: [{ orderId: 'o1' }] })).toBeNull();
  expect(journalMsgId({ k: 'start', runId: 'r', paper: true })).toBeNull();
  expect(() => journalStreamName('kmm', -1)).toThrow(/exchange shard must be an integer >= 0/);
});

describeNats('the shard journal on JetStream', () => {
  const fx = useNatsServer();

  it('keeps one copy of what two gateways both journaled, counts a reused client order id, and reads back in order', async () => {
    const ncOld = await fx.connect();
    const ncNew = await fx.connect();
    expect(await ensureJournalStream(ncOld, 'jr', 1)).toBe('KMM_JR_JOURNAL_1');
    await ensureJournalStream(ncNew, 'jr', 1); // the standby finds it
    const old = new JetStreamJournal(ncOld, 'jr', 1);
    old.append({ k: 'start', runId: 'old', paper: false });
    old.append(create(1, 'c1'));
    old.append(placed('c1', 'o1'));
    old.append(fill('t1', 'c1'));
    await old.close();

    // the new gateway reads the journal before it accepts a command
    const prior = await readJournalStream(ncNew, 'jr', 1);
    expect(prior.badRecords).toBe(0);
    expect(prior.records.map((r) => r.k)).toEqual(['start', 'cmd', 'ack', 'fill']);
    expect(prior.records[3]).toMatchObject({ k: 'fill', tradeId: 't1', coid: 'c1', countCenti: 100 });

    // it reconciles with the exchange and journals what it learns: the same placement and fill
    // again (dropped), a new fill (kept), and - a bug - a create reusing c1 (dropped and counted)
    const next = new JetStreamJournal(ncNew, 'jr', 1);
    next.append({ k: 'start', runId: 'new', paper: false });
    next.append(placed('c1', 'o1'));
    next.append(fill('t1', 'c1'));
    next.append(fill('t2', 'c1'));
    next.append(create(7, 'c1'));
    next.append(create(8, 'c2', 'c3'));
    await next.close();
    expect(next.duplicates).toEqual({ placed: 1, fill: 1, create: 1 });

    const all = await readJournalStream(ncOld, 'jr', 1);
    expect(all.records.map((r) => (r.k === 'fill' ? 'fill:' + r.tradeId : r.k === 'start' ? 'start:' + r.runId : r.k))).toEqual([
      'start:old',
      'cmd',
      'ack',
      'fill:t1',
      'start:new',
      'fill:t2',
      'cmd',
    ]);
    // another shard's journal is its own stream
    expect((await readJournalStream(ncOld, 'jr', 2)).records).toEqual([]);
  });

  it('reads back a journal longer than one fetch, in order', async () => {
    const nc = await fx.connect();
    await ensureJournalStream(nc, 'jr', 3);
    const j = new JetStreamJournal(nc, 'jr', 3);
    for (let i = 0; i < 2500; i++) j.append(fill('t' + i, 'c' + i));
    await j.close();
    const back = await readJournalStream(nc, 'jr', 3);
    expect(back.records.length).toBe(2500);
    expect(back.records.every((r, i) => r.k === 'fill' && r.tradeId === 't' + i)).toBe(true);
  });
});
