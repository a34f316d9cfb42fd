/**
 * Kalshi tuning. The 004 guide was written for crypto books where 8 bps is many ticks; on
 * Kalshi one 1-cent tick at a 50-cent mid is 200 bps of the mid, so the seed's defaults
 * (MM_MICRO_VOL_MAX_BPS 8, MM_MICRO_DRIFT_MAX_BPS 6) pause every book on its first tick, and a
 * placement offset of 100 bps plus the spread EMA puts our quotes behind the touch where small
 * prints never reach. The A-S parameters of 003 (gamma 0.1, a one-hour horizon) with the
 * per-second volatility of a thin binary book shift the reservation price by dollars per contract,
 * so one fill pins quoting to one side. Measured on the demo (bench/RESULTS.md): with these values
 * 19 of 20 markets trade in 30 s instead of 7. `demo` and `run` apply them to every key the user
 * left at its default (file, env and CLI always win), and print what they applied.
 */
import {
  checkLoaded, effectiveOrderGroupLimit, loadConfig, ORDER_GROUP_SWINGS_PER_WINDOW, sideCaps, type KmmConfig, type LoadedConfig, type LoadConfigOptions,
} from '@kmm/shared';

export const KALSHI_TUNING: Record<string, number> = {
  MM_MICRO_VOL_MAX_BPS: 2000,
  MM_MICRO_DRIFT_MAX_BPS: 1500,
  MM_MIN_OFFSET_BPS: 0,
  MM_SPREAD_MULTIPLIER: 0.2,
  horizon_s: 60,
  risk_aversion: 0.01,
};

/**
 * Loads the config, then layers `tuning` under everything the user set explicitly. `warnings`
 * are `kmm config check`'s warnings of the result (safe ranges, unreachable features, unknown
 * KMM_ variables), one line each, for the command to print at start; contradictions already
 * threw (loadConfig refuses them with the same rules).
 */
export function loadWithTuning(
  opts: LoadConfigOptions, tuning: Record<string, number | string | boolean>,
): { loaded: LoadedConfig; applied: string[]; warnings: string[] } {
  const first = loadConfig(opts);
  const extra: Record<string, number | string | boolean> = {};
  for (const [k, v] of Object.entries(tuning)) if (first.sources[k] === 'default' || first.sources[k] === 'preset') extra[k] = v;
  const loaded = Object.keys(extra).length === 0 ? first : loadConfig({ ...opts, cli: { ...extra, ...(opts.cli ?? {}) } });
  const label = (k: string): string => (k in extra ? 'Kalshi tuning' : loaded.sources[k] === 'file' && loaded.file ? `file ${loaded.file}` : loaded.sources[k]);
  const warnings = checkLoaded(loaded, label).map((p) => `warning: ${p.message} [${p.kind}: ${p.keys.join(', ')}]`);
  return { loaded, applied: Object.entries(extra).map(([k, v]) => `${k}=${v}`), warnings };
}

/** One start-up line: the exchange kill switch the run will use and where the figure comes from. */
export function describeKillSwitch(v: KmmConfig): string {
  if (!v.kmm_order_group_enabled) return 'order group kill switch: off (kmm_order_group_enabled=false)';
  const limit = effectiveOrderGroupLimit(v);
  if (v.kmm_order_group_contracts_limit > 0) return `order group kill switch: ${limit} contracts per 15 s (kmm_order_group_contracts_limit)`;
  const { long, short } = sideCaps(v);
  return `order group kill switch: ${limit} contracts per 15 s, sized to risk: ${v.kmm_markets} markets x ${ORDER_GROUP_SWINGS_PER_WINDOW} swings x (long cap ${long.contracts} + short cap ${short.contracts}); warning at 80 %`;
}
