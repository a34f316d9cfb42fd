/**
 * Worker entry of a shard's order gateway: the exec actor (unchanged descriptor) with its live
 * environment, except that its journal is the shard's JetStream stream (journal-stream.ts), read
 * before start-up so the reconcile knows what the previous gateway did, and appended to with
 * de-duplication ids. Startup.extra carries natsUrl and cluster; Startup.shard is the exchange
 * shard. Everything else (paper or REST gateway, keys, markets) is exec's usual extra.
 */
import { connect } from '@nats-io/transport-node';
import { runActor } from '@kmm/shared';
import { execActor, liveExecEnv } from '@kmm/exec-worker';
import { JetStreamJournal, ensureJournalStream, readJournalStream } from './journal-stream.js';

runActor(execActor, async (ctx) => {
  const extra = ctx.extra as Record<string, unknown>;
  const natsUrl = String(extra.natsUrl ?? '');
  const cluster = String(extra.cluster ?? '');
  if (!natsUrl || !cluster) throw new Error('gateway worker: extra.natsUrl and extra.cluster are required');
  const shard = ctx.startup.shard ?? 0;
  const nc = await connect({ servers: natsUrl, name: `kmm-gateway-${shard}-journal` });
  await ensureJournalStream(nc, cluster, shard);
  const prior = await readJournalStream(nc, cluster, shard);
  if (prior.badRecords > 0) ctx.log.warn({ bad: prior.badRecords }, 'journal stream had unreadable records');
  return liveExecEnv(ctx, null, { sink: new JetStreamJournal(nc, cluster, shard), prior: prior.records });
});
