/**
 * The order journal of one exchange shard as a JetStream stream, so that the gateway that takes
 * over a shard reads what the previous one did (the file journal of a single process cannot be
 * read from another host).
 *
 *   stream KMM_<CLUSTER>_JOURNAL_<shard>   subjects kmm.<cluster>.journal.<shard>.<kind>
 *   one message per record: the journal line (exec-worker's encodeJournalLine), header
 *   Nats-Msg-Id = journalMsgId(record) (core/journal-ids.ts) where the record has a natural key
 *
 * JetStreamJournal has exec's JournalSink shape (append, close), so ExecEnv.journal can be one.
 * append() never waits (the hot path): publishes are pipelined on the connection and their acks
 * collected; close() waits for all of them. At most `backlogMax` unacknowledged records: past it
 * append throws (an assertion: NATS cannot keep up; exec crashes and reconciles).
 * readJournalStream() reads the whole stream back, in order (the standby's priorJournal).
 */
import type { NatsConnection } from '@nats-io/transport-node';
import { jetstream, jetstreamManager, type JetStreamClient } from '@nats-io/jetstream';
import { decodeJournalLine, encodeJournalLine, type JournalRecord } from '@kmm/exec-worker/core';
import { checkClusterName, gatewayLeaseKey } from '../core/subjects.js';
import { journalMsgId } from '../core/journal-ids.js';

export function journalStreamName(cluster: string, shard: number): string {
  gatewayLeaseKey(shard); // validates the shard
  return `KMM_${checkClusterName(cluster).replace(/-/g, '_').toUpperCase()}_JOURNAL_${shard}`;
}
export function journalSubject(cluster: string, shard: number, kind: string): string {
  return `kmm.${cluster}.journal.${shard}.${kind}`;
}

/** A failed journal publish is sent again after this long (ms). */
const RETRY_MS = 250;

export interface JournalStreamOptions {
  /** de-duplication window (ms): longer than any failover (default 10 minutes) */
  duplicateWindowMs?: number;
  /** most unacknowledged records before append throws (default 100,000) */
  backlogMax?: number;
  wallMs?: () => number;
}

/** Creates the shard's journal stream if absent (file storage, limits retention). */
export async function ensureJournalStream(nc: NatsConnection, cluster: string, shard: number, o: JournalStreamOptions = {}): Promise<string> {
  const name = journalStreamName(cluster, shard);
  const jsm = await jetstreamManager(nc);
  try {
    await jsm.streams.info(name);
  } catch {
    await jsm.streams.add({ name, subjects: [`kmm.${cluster}.journal.${shard}.>`], duplicate_window: (o.duplicateWindowMs ?? 600_000) * 1_000_000 });
  }
  return name;
}

export class JetStreamJournal {
  private readonly js: JetStreamClient;
  private seq = 0;
  private readonly inflight = new Set<Promise<void>>();
  private failure: Error | null = null;
  private readonly backlogMax: number;
  private readonly wallMs: () => number;
  /** records the stream dropped as duplicates, by id prefix ('create' = a reused client order id) */
  readonly duplicates: Record<string, number> = {};
  appended = 0;
  /** publishes sent again after a failure (a NATS outage) */
  retries = 0;
  private closed = false;

  constructor(
    nc: NatsConnection,
    readonly cluster: string,
    readonly shard: number,
    o: JournalStreamOptions = {},
  ) {
    this.js = jetstream(nc);
    this.backlogMax = o.backlogMax ?? 100_000;
    this.wallMs = o.wallMs ?? Date.now;
  }

  append(rec: JournalRecord): void {
    if (this.failure) throw this.failure;
    if (this.inflight.size >= this.backlogMax) throw new Error(`JetStream journal: ${this.inflight.size} records unacknowledged (limit ${this.backlogMax}): NATS is not keeping up`);
    const line = encodeJournalLine(rec, this.wallMs(), ++this.seq);
    const msgID = journalMsgId(rec);
    this.appended++;
    const p = this.store(journalSubject(this.cluster, this.shard, rec.k), line, msgID).finally(() => this.inflight.delete(p));
    this.inflight.add(p);
  }

  /**
   * Publishes one record until the stream has it. A NATS outage (the server restarting) makes
   * publishes fail or time out: the record is sent again every RETRY_MS with the same message
   * id, so the stream stores it once however many attempts reached it. Only a refusal that
   * retrying cannot cure (the stream is gone) fails the journal.
   */
  private async store(subject: string, line: string, msgID: string | null | undefined): Promise<void> {
    for (;;) {
      try {
        const ack = await this.js.publish(subject, line, msgID ? { msgID } : undefined);
        if (ack.duplicate && msgID) {
          const kind = msgID.slice(0, msgID.indexOf(':'));
          this.duplicates[kind] = (this.duplicates[kind] ?? 0) + 1;
        }
        return;
      } catch (err) {
        if (this.closed) {
          this.failure ??= new Error(`JetStream journal write failed: ${(err as Error).message}`);
          return;
        }
        this.retries++;
        await new Promise((r) => setTimeout(r, RETRY_MS));
      }
    }
  }

  /** Waits for every record to be stored; throws the first write failure. */
  async close(): Promise<void> {
    while (this.inflight.size > 0) await Promise.all([...this.inflight]);
    if (this.failure) throw this.failure;
  }

  /** Stops retrying (the connection is closing): records not stored by now fail the close. */
  abandon(): void {
    this.closed = true;
  }
}

/** Every record of a shard's journal stream, in stream order (a standby's priorJournal). */
export async function readJournalStream(nc: NatsConnection, cluster: string, shard: number): Promise<{ records: JournalRecord[]; badRecords: number }> {
  const name = journalStreamName(cluster, shard);
  const jsm = await jetstreamManager(nc);
  let total: number;
  try {
    total = (await jsm.streams.info(name)).state.messages;
  } catch {
    return { records: [], badRecords: 0 };
  }
  const records: JournalRecord[] = [];
  let badRecords = 0;
  if (total === 0) return { records, badRecords };
  const consumer = await jetstream(nc).consumers.get(name);
  for (;;) {
    const batch = await consumer.fetch({ max_messages: 1000, expires: 2000 });
    let last = -1;
    for await (const m of batch) {
      const d = decodeJournalLine(m.string());
      if (d.ok) records.push(d.record);
      else badRecords++;
      last = m.info.pending;
      if (last === 0) break;
    }
    if (last <= 0) break;
  }
  return { records, badRecords };
}
