/**
 * Market time in run time. Some configuration values are quantities of *market* time: windows,
 * horizons and intervals that follow the market's pace (the registry marks them `marketTime`).
 * In a time-compressed simulator (kmm_time_scale N: N seconds of market each second of the run)
 * they must run N times faster, or the strategy meets a market N times faster than its tuning:
 * a 10 s markout horizon would span 5 minutes of a 30x market, a 2 s imbalance window a minute.
 * The cores read their parameters through this: every duration divided by N, every sigma (per
 * square root of a second) multiplied by sqrt(N). At N = 1 (Kalshi, the default) it is the
 * configuration itself. What the user set, `config explain` and config.json stay in market time.
 */
import { CONFIG_SPECS } from './specs.js';
import type { KmmConfig } from './specs.js';

const MARKET_DURATIONS: readonly string[] = CONFIG_SPECS.filter((s) => s.marketTime === 'duration' && !s.aliasOf).map((s) => s.key);
const MARKET_SIGMAS: readonly string[] = CONFIG_SPECS.filter((s) => s.marketTime === 'sigma' && !s.aliasOf).map((s) => s.key);

/** The keys whose values are market time (durations, then sigmas), for documentation and tests. */
export const MARKET_TIME_KEYS = { durations: MARKET_DURATIONS, sigmas: MARKET_SIGMAS } as const;

/** `cfg` with its market-time values in run time (kmm_time_scale); `cfg` itself at scale 1. */
export function inRunTime<C extends Readonly<KmmConfig>>(cfg: C): C {
  const scale = Number(cfg.kmm_time_scale ?? 1);
  if (scale === 1) return cfg;
  if (!(Number.isFinite(scale) && scale > 0)) throw new Error(`kmm_time_scale must be a positive number, got ${String(cfg.kmm_time_scale)}`);
  const out: Record<string, unknown> = { ...cfg };
  const raw = cfg as unknown as Record<string, unknown>;
  for (const k of MARKET_DURATIONS) if (typeof raw[k] === 'number') out[k] = (raw[k] as number) / scale;
  const root = Math.sqrt(scale);
  for (const k of MARKET_SIGMAS) if (typeof raw[k] === 'number') out[k] = (raw[k] as number) * root;
  return out as unknown as C;
}
