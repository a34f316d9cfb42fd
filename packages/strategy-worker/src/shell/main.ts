/**
 * Strategy worker entry: runs the strategy descriptor (actor/index.ts) in a worker thread with
 * its live environment: the alpha feed poller (a file or URL, kmm_external_fair_values).
 */
import { runActor } from '@kmm/shared';
import { alphaPollMs, strategyActor } from '../actor/index.js';
import { FeedSource } from './feed-source.js';

runActor(strategyActor, (ctx) => {
  const src = String((ctx.config as unknown as Record<string, unknown>).kmm_external_fair_values ?? '');
  return { feed: src !== '' ? new FeedSource(src, alphaPollMs(ctx.config)) : null };
});
