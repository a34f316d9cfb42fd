/**
 * Strategy worker entry: runs the strategy descriptor (actor/index.ts) in a worker thread with
 * its live environment: the alpha feed poller (a file or URL, kmm_external_fair_values) and,
 * when the run keeps a capture, the decision-drain record beside it (strategy-drains.csv).
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { DECISION_DRAINS_BUFFER_MAX_BYTES, DECISION_DRAINS_FILE, DECISION_DRAINS_HEADER, formatDecisionDrain, LineAppender, runActor, type WorkerEnvContext } from '@kmm/shared';
import { alphaPollMs, strategyActor, type StrategyEnv } from '../actor/index.js';
import { FeedSource } from './feed-source.js';

function drainRecord(ctx: WorkerEnvContext): StrategyEnv['drains'] {
  const runDir = String(ctx.extra.runDir ?? ctx.startup.runDir ?? '');
  // the record completes the capture (kmm backtest --like): without a capture there is nothing to group
  if (runDir === '' || !ctx.config.kmm_capture_enabled) return null;
  const path = join(runDir, DECISION_DRAINS_FILE);
  const fresh = !existsSync(path) || statSync(path).size === 0;
  const out = new LineAppender(path, 'decision_drains', DECISION_DRAINS_BUFFER_MAX_BYTES, (event, fields) => ctx.io.ops(event, '', 'warn', fields));
  // a restarted strategy appends to the same file
  if (fresh) out.append(DECISION_DRAINS_HEADER);
  return { record: (kind, atNs, drainNs) => out.append(formatDecisionDrain(kind, atNs, drainNs)), close: () => out.close() };
}

runActor(strategyActor, (ctx) => {
  const src = String((ctx.config as unknown as Record<string, unknown>).kmm_external_fair_values ?? '');
  return { feed: src !== '' ? new FeedSource(src, alphaPollMs(ctx.config)) : null, drains: drainRecord(ctx) };
});
