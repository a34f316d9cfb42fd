/**
 * The live environment of the exec actor (ExecEnv): REST or paper gateway, journal file (read
 * first: crash recovery), tape file, real-time sleeps. Used by the exec worker entry and by the
 * paper worker entry (@kmm/backtest), which passes its simulated venue as the gateway.
 */
import { join } from 'node:path';
import { loadPrivateKeyPem, Signer, type KmmConfig, type WorkerEnvContext } from '@kmm/shared';
import type { ExecEnv, JournalSink, PaperVenue } from '../actor/index.js';
import type { JournalRecord } from '../core/journal-record.js';
import { execParamsOf } from '../core/params.js';
import { PaperGateway, RestGateway, type OrderGateway } from '../actor/gateway.js';
import { Journal, readJournal } from './journal.js';
import { RestClient, realSleep } from './rest-client.js';
import { Tape } from './tape.js';

/**
 * `journal` replaces the journal file (a cluster gateway journals to a JetStream stream the
 * standby can read: @kmm/cluster), with what it held before this start.
 */
export function liveExecEnv(ctx: WorkerEnvContext, paperVenue: (OrderGateway & PaperVenue) | null, journalOverride?: { sink: JournalSink; prior: readonly JournalRecord[] }): ExecEnv {
  const extra = ctx.extra;
  const cfg = ctx.config as KmmConfig & Record<string, unknown>;
  const runDir = String(extra.runDir || ctx.startup.runDir || 'runs');
  let journal: JournalSink;
  let priorRecords: readonly JournalRecord[];
  if (journalOverride) {
    journal = journalOverride.sink;
    priorRecords = journalOverride.prior;
  } else {
    const journalPath = join(runDir, 'journal.jsonl');
    const prior = readJournal(journalPath);
    if (prior.badLines > 0 || prior.tornTail) ctx.log.warn({ bad: prior.badLines, torn: prior.tornTail }, 'journal had unreadable lines');
    const fsyncMs = typeof cfg.kmm_journal_fsync_ms === 'number' ? cfg.kmm_journal_fsync_ms : 100;
    const fsyncStallMs = typeof extra.journalFsyncStallMs === 'number' ? extra.journalFsyncStallMs : 0;
    journal = new Journal(journalPath, { fsyncEveryMs: fsyncMs > 0 ? fsyncMs : 1, flushEveryMs: fsyncMs === 0 ? 1 : 20, onRepair: (m) => ctx.log.warn(m), fsyncStallMs });
    priorRecords = prior.records;
  }
  let gateway: OrderGateway;
  if (paperVenue) gateway = paperVenue;
  else if (extra.paper === true) gateway = new PaperGateway(() => ctx.clock.monoNs());
  else {
    if (!extra.restBaseUrl) throw new Error('exec: extra.restBaseUrl is required (not in paper mode)');
    if (!extra.keyId || !extra.privateKeyPath) throw new Error('exec: extra.keyId and extra.privateKeyPath are required');
    const pem = loadPrivateKeyPem(String(extra.privateKeyPath), (m) => ctx.log.warn(m));
    gateway = new RestGateway(
      new RestClient({
        baseUrl: String(extra.restBaseUrl),
        signer: new Signer(String(extra.keyId), pem),
        cancelOrderOnPause: execParamsOf(ctx.config).cancelOrderOnPause,
        monoNs: () => ctx.clock.monoNs(),
      }),
    );
  }
  return {
    gateway,
    journal,
    priorJournal: priorRecords,
    tape: new Tape(join(runDir, 'tape.csv')),
    sleep: realSleep,
    paperVenue,
    journalWire: true,
    afterWrites: (fn) => setImmediate(fn),
  };
}
