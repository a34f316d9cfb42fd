/**
 * Exec worker entry: runs the exec descriptor (actor/index.ts) in a worker thread with its live
 * environment (liveExecEnv): the REST gateway to the exchange (or the in-memory PaperGateway
 * with `extra.paper`), the journal `runDir/journal.jsonl` (and what it held before a restart),
 * the tape `runDir/tape.csv`, and real-time sleeps. Paper trading with a fill model runs the same
 * descriptor from @kmm/backtest's paper worker entry, with the simulated venue as gateway.
 */
import { runActor } from '@kmm/shared';
import { execActor } from '../actor/index.js';
import { liveExecEnv } from './env.js';

runActor(execActor, (ctx) => liveExecEnv(ctx, null));
