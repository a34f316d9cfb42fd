/**
 * Paper-trading exec worker entry (`kmm run --paper`): the same exec descriptor as live, with
 * the backtest's simulated venue as its order gateway. Ingest sends live market data to exec in
 * paper mode; the descriptor hands it to the venue; the venue's fills come back into exec's own
 * mailbox as the websocket's fill / market_positions / user_orders would.
 */
import { runActor } from '@kmm/shared';
import { execActor, liveExecEnv } from '@kmm/exec-worker';
import { createPaperGateway } from '../core/venue-gateway.js';
import type { QueueModelName } from '../core/queue-models.js';

runActor(execActor, (ctx) => {
  const extra = ctx.extra;
  const venue = createPaperGateway({
    markets: Array.isArray(extra.markets) ? extra.markets : [],
    queueModel: (extra.paperQueueModel as QueueModelName | undefined) ?? 'risk-averse',
    latencyMs: typeof extra.paperLatencyMs === 'number' ? extra.paperLatencyMs : 0,
    monoNs: () => ctx.clock.monoNs(),
    wallMs: () => ctx.clock.wallMs(),
    defer: (ms, fn) => (ms > 0 ? setTimeout(fn, ms) : setImmediate(fn)),
    onFill: (fill, position, doneAck) => {
      ctx.io.self({ fill });
      ctx.io.self({ position });
      if (doneAck) ctx.io.self({ orderAck: doneAck });
    },
  });
  return liveExecEnv(ctx, venue);
});
