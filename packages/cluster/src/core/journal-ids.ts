/**
 * JetStream message ids of journal records (pure): the stream drops a second record with the
 * same id within its duplicate window, so after a failover the old and the new gateway can both
 * journal what the exchange told them and the journal keeps one copy.
 *
 *   cmd  create | batch_create   'create:<client order id>[,<client order id>...]'
 *   ack  PLACE                   'placed:<client order id>'
 *   fill                         'fill:<trade id>'
 *   everything else              null (not de-duplicated: it describes this gateway's own run)
 *
 * A duplicate 'create:' id is also the signal of a reused client order id (a bug the chaos
 * invariants look for): the journal counts it.
 */
import { kmm } from '@kmm/shared';
import type { JournalRecord } from '@kmm/exec-worker/core';

export function journalMsgId(rec: JournalRecord): string | null {
  switch (rec.k) {
    case 'cmd': {
      if (rec.op !== 'create' && rec.op !== 'batch_create') return null;
      const ids = (rec.orders ?? []).map((o) => o.clientOrderId ?? '').filter((c) => c !== '');
      return ids.length > 0 ? 'create:' + ids.join(',') : null;
    }
    case 'ack':
      return rec.kind === kmm.v1.CommandKind.PLACE && rec.coid ? 'placed:' + rec.coid : null;
    case 'fill':
      return rec.tradeId ? 'fill:' + rec.tradeId : null;
    default:
      return null;
  }
}
