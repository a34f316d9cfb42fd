/**
 * Kalshi tuning: the 004 guide's microstructure guards were written for crypto books where
 * 8 bps is many ticks; on Kalshi a single 1-cent tick at a 50-cent mid is 200 bps of the mid,
 * so the seed's defaults (MM_MICRO_VOL_MAX_BPS 8, MM_MICRO_DRIFT_MAX_BPS 6) would pause every
 * book on its first tick. `demo` and `run` apply these values to every key the user left at
 * its default (file, env and CLI always win), and print what they applied.
 */
import { loadConfig, type LoadedConfig, type LoadConfigOptions } from '@kmm/shared';

export const KALSHI_TUNING: Record<string, number> = {
  MM_MICRO_VOL_MAX_BPS: 800,
  MM_MICRO_DRIFT_MAX_BPS: 600,
};

/** Loads the config, then layers `tuning` under everything the user set explicitly. */
export function loadWithTuning(opts: LoadConfigOptions, tuning: Record<string, number | string | boolean>): { loaded: LoadedConfig; applied: string[] } {
  const first = loadConfig(opts);
  const extra: Record<string, number | string | boolean> = {};
  for (const [k, v] of Object.entries(tuning)) if (first.sources[k] === 'default' || first.sources[k] === 'preset') extra[k] = v;
  if (Object.keys(extra).length === 0) return { loaded: first, applied: [] };
  const loaded = loadConfig({ ...opts, cli: { ...extra, ...(opts.cli ?? {}) } });
  return { loaded, applied: Object.entries(extra).map(([k, v]) => `${k}=${v}`) };
}
