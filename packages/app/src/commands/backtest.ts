/**
 * `kmm backtest`'s configuration: the same loading as demo and run (loadForCommand: registry
 * defaults < profile < preset < the command's defaults < file < CLI, and `kmm config check`'s
 * warnings), with the backtest's command defaults (@kmm/backtest backtestCommandDefaults: the
 * Kalshi profile, every market of the capture selected). The environment is not read: a backtest
 * depends only on its files and arguments (the same capture, config and seed give the same outputs).
 * `--like RUN_DIR` does not use this: it takes the recorded run's own effective configuration.
 */
import type { kmm } from '@kmm/shared';
import { backtestCommandDefaults } from '@kmm/backtest';
import { loadForCommand } from './startup-config.js';

export function loadBacktestCommandConfig(
  opts: { config?: string; set?: Record<string, string | number | boolean> },
  markets: readonly kmm.v1.IMarketInfo[],
): { values: Record<string, unknown>; warnings: string[] } {
  const { loaded, warnings } = loadForCommand({ file: opts.config, env: {}, cli: opts.set ?? {} }, backtestCommandDefaults(markets.length));
  return { values: loaded.values as unknown as Record<string, unknown>, warnings };
}
