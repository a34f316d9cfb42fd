/**
 * `kmm backtest`'s configuration: the same loading as demo and run (loadForCommand: registry
 * defaults < profile < preset < the command's defaults < file < CLI), with the backtest's own
 * command defaults. The environment is not read: a backtest depends only on its files and
 * arguments (the same capture, config and seed give the same outputs).
 *
 * The command defaults say what a capture is: markets someone chose to record, so every market in
 * it is selected (max_markets = their number, no time-to-resolution or liquidity filter: a capture
 * carries no market details unless --markets gives them), with the Kalshi profile of demo and run.
 * `--like RUN_DIR` does not use this: it takes the recorded run's own effective configuration.
 */
import type { kmm } from '@kmm/shared';
import { loadForCommand } from './startup-config.js';

/** The backtest's market profile: that of demo and run (startup-config COMMAND_PROFILE). */
export const BACKTEST_PROFILE = 'kalshi';

export function loadBacktestCommandConfig(
  opts: { config?: string; set?: Record<string, string | number | boolean> },
  markets: readonly kmm.v1.IMarketInfo[],
): { values: Record<string, unknown>; warnings: string[] } {
  const { loaded, warnings } = loadForCommand(
    { file: opts.config, env: {}, cli: opts.set ?? {} },
    {
      name: 'backtest',
      profile: BACKTEST_PROFILE,
      values: { max_markets: Math.max(1, Math.min(10_000, markets.length)), max_time_to_resolution_hours: 0, min_liquidity: 0 },
    },
  );
  return { values: loaded.values as unknown as Record<string, unknown>, warnings };
}
