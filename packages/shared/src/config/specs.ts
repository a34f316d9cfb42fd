/**
 * The configuration registry: one array (`CONFIG_SPECS`) with every variable KMM reads.
 *
 * Role: the single place where a variable's name, type, default, hard bounds, 004 "safe range",
 * unit, meaning, originating seed and live-update safety are written down. Loading, validation,
 * `kmm config explain` and the typed `KmmConfig` interface are all derived from it.
 *
 * Naming (invariants, checked by tests):
 * - `MM_*` keys are written exactly as in seeds 004/000; their environment variable is the same name.
 * - 002 `MarketMakingConfig` fields and 003/001 model parameters keep the seed's spelling
 *   (`base_spread`, `Q_critical`, `IMPULSE_CONTROL_ENABLED`); their environment variable is
 *   `KMM_` + upper-case key (`KMM_BASE_SPREAD`, `KMM_Q_CRITICAL`).
 * - System keys start with `kmm_` (`kmm_shards` -> `KMM_SHARDS`).
 * - Every key and every env name is unique; every default lies within its own hard bounds.
 * - Values are in the seed's own units (seconds, ms, bps, USD, contracts, cents, fractions), not
 *   in the integer price/count units of the wire protocol.
 *
 * Units, one meaning each (the UNIT column of `kmm config explain`):
 * - `bps of mid`: every *_BPS key. One basis point OF THE MARKET'S MID PRICE (mid / 10,000), the
 *   unit of the 004 guide, which was written for crypto books: a move, a spread or an offset of
 *   x bps is x / 10,000 of the mid at that moment. On Kalshi's 1-cent grid one tick is 200 bps
 *   at a 50c mid, 100 bps at 99c and 1,000 bps at 10c; the seed's numbers therefore keep their
 *   seed meaning (8 bps of micro-vol is 8/10,000 of the price) and are far below a tick here,
 *   which is why the `kalshi` profile (CONFIG_PROFILES) sets grid-sized values, each with the
 *   real-data figure behind it, and its own safe ranges (PROFILE_SAFE_RANGES).
 * - `ticks`: steps of the market's price grid (1 cent on a linear-cent market).
 * - `$` (USD) for 002's prices and spreads (0.04 = 4 cents) and notional caps; `contracts`
 *   (fractional contracts allowed where stated); `s`, `ms`, `h`, `days` for time; `x` for a
 *   multiplier; `fraction` for 0..1 ratios.
 *
 * Aliases: a few system keys the brief asks for name the same setting as a seed key
 * (`kmm_market_profile` = `MM_MARKET_PROFILE`, `kmm_stale_window_s` = `stale_data_s`,
 * `kmm_heartbeat_timeout_s` = `heartbeat_threshold_s`). Setting either sets both; setting both
 * to different values in one layer is an error.
 */
import * as os from 'node:os';
import { RATE_TIER_NAMES } from '../units/rate-tiers.js';

export type ConfigType = 'number' | 'int' | 'bool' | 'string' | 'enum';
/**
 * Where an effective value came from, lowest precedence first: the registry default, the market
 * profile (MM_MARKET_PROFILE, CONFIG_PROFILES), the 002 preset (kmm_preset), the command's own
 * defaults (e.g. the demo's simulator facts), the config file, the environment, CLI flags.
 */
export type ConfigSource = 'default' | 'profile' | 'preset' | 'command' | 'file' | 'env' | 'cli';
/** The seed file that names the variable ('sys' = KMM system key). */
export type SeedRef = '000' | '001' | '002' | '003' | '004' | 'sys';

interface SpecBase<K extends string> {
  readonly key: K;
  /** environment variable name */
  readonly env: string;
  readonly group: string;
  readonly unit: string;
  /** one line: what it controls (and "seed gives no default; chosen ..." where we picked it) */
  readonly meaning: string;
  readonly seed: SeedRef;
  /** safe to change while running (CONFIG_UPDATE) */
  readonly liveSafe: boolean;
  /** for alias keys: the canonical key whose value this one mirrors */
  readonly aliasOf?: string;
  /**
   * Set only for a key that changes no output of KMM's cores or commands, as
   * `informational: <reason>`; the one list of such keys (tests/config.effect.test.ts checks that
   * every other key has an observable effect).
   */
  readonly effect?: string;
  /**
   * A quantity of market time (market-time.ts inRunTime, MARKET_TIME_KEYS): a 'duration' (s or ms of market: windows,
   * horizons, intervals that follow the market's pace) or a 'sigma' (per square root of a second
   * of market). Unmarked durations are the system's own (network timeouts, polls, health), and
   * time to a market's close is calendar time: neither follows kmm_time_scale.
   */
  readonly marketTime?: 'duration' | 'sigma';
}

export interface NumberSpec<K extends string = string> extends SpecBase<K> {
  readonly type: 'number' | 'int';
  readonly default: number;
  /** hard bounds, inclusive */
  readonly min: number;
  readonly max: number;
  /** the 004 "safe range": outside it (but inside min..max) loads with a warning */
  readonly safeMin?: number;
  readonly safeMax?: number;
}

export interface BoolSpec<K extends string = string> extends SpecBase<K> {
  readonly type: 'bool';
  readonly default: boolean;
  /** the only value the seed calls safe (e.g. MM_CANCEL_ON_STALE_BOOK "true (always)") */
  readonly safeValue?: boolean;
}

export interface StringSpec<K extends string = string> extends SpecBase<K> {
  readonly type: 'string';
  readonly default: string;
  readonly pattern: RegExp;
  /** what `pattern` allows, for error messages */
  readonly patternText: string;
}

export interface EnumSpec<K extends string = string, V extends string = string> extends SpecBase<K> {
  readonly type: 'enum';
  readonly default: V;
  readonly values: readonly V[];
}

export type ConfigSpec = NumberSpec | BoolSpec | StringSpec | EnumSpec;

interface Extra {
  safe?: readonly [number, number];
  live?: boolean;
  effect?: string;
  marketTime?: 'duration' | 'sigma';
}

function envNameOf(key: string): string {
  if (key.startsWith('MM_')) return key;
  if (key.startsWith('kmm_')) return 'KMM_' + key.slice(4).toUpperCase();
  return 'KMM_' + key.toUpperCase();
}

function liveDefault(seed: SeedRef): boolean {
  return seed !== 'sys';
}

function numeric<const K extends string>(
  type: 'number' | 'int', seed: SeedRef, group: string, key: K, def: number, min: number, max: number,
  unit: string, meaning: string, extra?: Extra,
): NumberSpec<K> {
  const spec: NumberSpec<K> = {
    key, env: envNameOf(key), type, group, unit, meaning, seed, default: def, min, max,
    liveSafe: extra?.live ?? liveDefault(seed),
    ...(extra?.safe ? { safeMin: extra.safe[0], safeMax: extra.safe[1] } : {}),
    ...(extra?.effect ? { effect: extra.effect } : {}),
    ...(extra?.marketTime ? { marketTime: extra.marketTime } : {}),
  };
  return spec;
}

function num<const K extends string>(
  seed: SeedRef, group: string, key: K, def: number, min: number, max: number, unit: string, meaning: string, extra?: Extra,
): NumberSpec<K> {
  return numeric('number', seed, group, key, def, min, max, unit, meaning, extra);
}

function int<const K extends string>(
  seed: SeedRef, group: string, key: K, def: number, min: number, max: number, unit: string, meaning: string, extra?: Extra,
): NumberSpec<K> {
  return numeric('int', seed, group, key, def, min, max, unit, meaning, extra);
}

function bool<const K extends string>(
  seed: SeedRef, group: string, key: K, def: boolean, meaning: string, extra?: { live?: boolean; safeValue?: boolean },
): BoolSpec<K> {
  return {
    key, env: envNameOf(key), type: 'bool', group, unit: 'bool', meaning, seed, default: def,
    liveSafe: extra?.live ?? liveDefault(seed),
    ...(extra?.safeValue !== undefined ? { safeValue: extra.safeValue } : {}),
  };
}

function str<const K extends string>(
  seed: SeedRef, group: string, key: K, def: string, unit: string, meaning: string,
  pattern: RegExp, patternText: string, extra?: { live?: boolean },
): StringSpec<K> {
  return {
    key, env: envNameOf(key), type: 'string', group, unit, meaning, seed, default: def, pattern, patternText,
    liveSafe: extra?.live ?? liveDefault(seed),
  };
}

function enm<const K extends string, const V extends string>(
  seed: SeedRef, group: string, key: K, values: readonly V[], def: NoInfer<V>, meaning: string, extra?: { live?: boolean; effect?: string },
): EnumSpec<K, V> {
  return {
    key, env: envNameOf(key), type: 'enum', group, unit: 'enum', meaning, seed, default: def, values,
    liveSafe: extra?.live ?? liveDefault(seed),
    ...(extra?.effect ? { effect: extra.effect } : {}),
  };
}

/** A system key that names the same setting as `of` (same type, bounds, default). */
function alias<const K extends string, S extends ConfigSpec>(key: K, group: string, of: S): Omit<S, 'key'> & { key: K } {
  return {
    ...of, key, env: envNameOf(key), group, seed: 'sys', aliasOf: of.key,
    meaning: `alias of ${of.key}: ${of.meaning}`,
  } as unknown as Omit<S, 'key'> & { key: K };
}

/** Book shards default to the cores left after main, ingest, strategy and exec (at least 1, at most 16). */
export function defaultShardCount(): number {
  const cores = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  return Math.max(1, Math.min(16, cores - 4));
}

// ---- seed keys that system aliases point at (declared first so the aliases can copy them) ----
const MM_MARKET_PROFILE = enm('004', 'profile', 'MM_MARKET_PROFILE', ['legacy', 'crypto', 'kalshi'], 'legacy',
  'legacy = the seed values, static guard/skew behaviour; crypto = vol regimes, trend bias, inventory bands, funding bias; kalshi = legacy behaviour with the values of CONFIG_PROFILES.kalshi for 1c binary books (the default of demo and run); a profile never overrides a preset or a value you set', { live: false });
const STALE_DATA_S = num('003', 'ops_003', 'stale_data_s', 5, 0.5, 300, 's',
  'no book data for this long -> market STALE: cancel all its quotes until data resumes (003 "No ticks 5s")', { live: false });
const HEARTBEAT_THRESHOLD_S = num('003', 'ops_003', 'heartbeat_threshold_s', 30, 11, 600, 's',
  'no websocket message/ping for this long -> force reconnect; seed gives no value, chosen 30 (server pings every 10 s)', { live: false });

const HTTP_URL = /^(|https?:\/\/\S+)$/;
const WS_URL = /^(|wss?:\/\/\S+)$/;
const NO_NEWLINE = /^[^\r\n\0]*$/;
const NO_SPACE = /^\S*$/;

const S004_CORE = 'core_004';

/**
 * The one fat-finger size (003 "Size > max"): strategy never sizes an order above it (quotes and
 * takers are clipped to it) and exec's pre-flight refuses any order above it. kmm_max_order_contracts
 * is an alias of it, not a second limit.
 */
const FAT_FINGER_MAX_CONTRACTS = int('003', 'ops_003', 'fat_finger_max_contracts', 100, 1, 1_000_000, 'contracts',
  'largest order in contracts, one limit for both actors: strategy clips every quote and taker to it, exec pre-flight refuses any order above it (003 "Size > max"); chosen 100');

export const CONFIG_SPECS = [
  // ======================= 004: Market Maker Config Guide =======================
  MM_MARKET_PROFILE,

  // -- volatility regime (defaults = the 004 "recommended crypto baseline")
  bool('004', 'vol_regime', 'MM_VOL_REGIME_ENABLED', true,
    'volatility regime classifier (acts only with MM_MARKET_PROFILE=crypto); seed baseline true'),
  num('004', 'vol_regime', 'MM_VOL_REGIME_SHORT_WINDOW_S', 15, 1, 3600, 's', 'short realised-vol window of the regime classifier (baseline 15)', { marketTime: 'duration' }),
  num('004', 'vol_regime', 'MM_VOL_REGIME_MEDIUM_WINDOW_S', 60, 1, 7200, 's', 'medium realised-vol window (baseline 60)', { marketTime: 'duration' }),
  num('004', 'vol_regime', 'MM_VOL_REGIME_LONG_WINDOW_S', 120, 1, 86400, 's', 'long realised-vol window (baseline 120)', { marketTime: 'duration' }),
  num('004', 'vol_regime', 'MM_VOL_REGIME_CALM_BPS', 8, 0, 10000, 'bps of mid', 'realised vol at or below this = calm regime (baseline 8)'),
  num('004', 'vol_regime', 'MM_VOL_REGIME_ELEVATED_BPS', 20, 0, 10000, 'bps of mid', 'realised vol at or above this = elevated regime (baseline 20)'),
  num('004', 'vol_regime', 'MM_VOL_REGIME_EXTREME_BPS', 45, 0, 10000, 'bps of mid', 'realised vol at or above this = extreme regime (baseline 45)'),
  num('004', 'vol_regime', 'MM_VOL_OFFSET_SCALE_CALM', 0.8, 0, 10, 'x', 'placement offset multiplier in the calm regime (baseline 0.8)'),
  num('004', 'vol_regime', 'MM_VOL_OFFSET_SCALE_ELEVATED', 1.5, 0, 10, 'x', 'placement offset multiplier in the elevated regime (baseline 1.5)'),
  num('004', 'vol_regime', 'MM_VOL_OFFSET_SCALE_EXTREME', 2.2, 0, 10, 'x', 'placement offset multiplier in the extreme regime (baseline 2.2)'),

  // -- trend and funding bias, inventory bands
  bool('004', 'trend_funding', 'MM_TREND_ENABLED', true, 'EMA trend bias (acts only with MM_MARKET_PROFILE=crypto); seed baseline true'),
  num('004', 'trend_funding', 'MM_TREND_FAST_EMA_S', 15, 0.1, 3600, 's', 'fast mid EMA time constant of the trend signal (baseline 15)', { marketTime: 'duration' }),
  num('004', 'trend_funding', 'MM_TREND_SLOW_EMA_S', 60, 0.1, 86400, 's', 'slow mid EMA time constant of the trend signal (baseline 60)', { marketTime: 'duration' }),
  num('004', 'trend_funding', 'MM_TREND_STRONG_THRESHOLD', 0.7, 0, 1, 'fraction', 'normalised trend strength above which the trend counts as strong (baseline 0.7)'),
  num('004', 'trend_funding', 'MM_TREND_COUNTER_SIDE_SIZE_CUT', 0.6, 0, 1, 'fraction', 'in a strong trend, cut the counter-trend side size by this fraction (baseline 0.6)'),
  num('004', 'trend_funding', 'MM_TREND_SKEW_BOOST', 1.5, 0, 10, 'x', 'in a strong trend, multiply the inventory skew by this (baseline 1.5)'),
  num('004', 'trend_funding', 'MM_INVENTORY_WARN_PCT', 0.5, 0, 1, 'fraction', 'inventory band: |position|/max at or above this = warn band (baseline 0.5)'),
  num('004', 'trend_funding', 'MM_INVENTORY_CRITICAL_PCT', 0.8, 0, 1, 'fraction', 'inventory band: critical band, stronger skew/size cut (baseline 0.8)'),
  num('004', 'trend_funding', 'MM_INVENTORY_HARD_PCT', 0.95, 0, 1, 'fraction', 'inventory band: hard band, only position-reducing quotes (baseline 0.95)'),
  bool('004', 'trend_funding', 'MM_FUNDING_BIAS_ENABLED', true, 'inventory funding (carry) bias on the fair value (acts only with crypto profile); seed baseline true'),
  num('004', 'trend_funding', 'MM_FUNDING_INVENTORY_WEIGHT', 1.0, 0, 10, 'x', 'weight of inventory in the funding bias (baseline 1.0)'),
  num('004', 'trend_funding', 'MM_FUNDING_BIAS_CAP_BPS', 5, 0, 10000, 'bps of mid', 'cap on the funding bias shift of the fair value (baseline 5)'),

  // -- reprice hysteresis
  int('004', 'reprice', 'MM_MIN_REPRICE_MOVE_TICKS', 2, 0, 100, 'ticks',
    'hysteresis gate: min target move (ticks) to cancel+replace; the move must also reach MM_MIN_REPRICE_TICKS (000), i.e. max of both', { safe: [1, 5] }),
  num('004', 'reprice', 'MM_MIN_REPRICE_EDGE_DELTA_BPS', 0.5, 0, 10000, 'bps of mid', 'hysteresis gate: min change of theoretical edge to reprice', { safe: [0.3, 2.0] }),
  num('004', 'reprice', 'MM_MIN_REPRICE_INTERVAL_S', 0.5, 0, 60, 's', 'min time between reprices of one slot (market, side, level)', { safe: [0.2, 2.0], marketTime: 'duration' }),

  // -- adaptive POST_ONLY handling
  bool('004', 'post_only', 'MM_ADAPTIVE_POF_ENABLED', true, 'widen the safety buffer adaptively after POST_ONLY rejections'),
  int('004', 'post_only', 'MM_POST_ONLY_SAFETY_TICKS', 2, 0, 50, 'ticks', 'base tick buffer kept from the opposite best price: a bid at most this many ticks below the best ask (1 = may join the touch of a 1-tick book, never cross it; the kalshi profile sets 1)', { safe: [1, 4] }),
  int('004', 'post_only', 'MM_POF_MAX_SAFETY_TICKS', 8, 0, 100, 'ticks', 'ceiling on the adaptive post-only buffer', { safe: [4, 12] }),
  num('004', 'post_only', 'MM_POF_BACKOFF_MULTIPLIER', 1.7, 1, 10, 'x', 'cooldown grows by this factor per consecutive post-only failure', { safe: [1.3, 2.5] }),
  num('004', 'post_only', 'MM_POF_STREAK_RESET_S', 45, 1, 3600, 's', 'post-only failure streak resets after this quiet period', { safe: [15, 90], marketTime: 'duration' }),
  num('004', 'post_only', 'MM_POF_COOLDOWN_S', 2.0, 0, 300, 's', 'base cooldown of a slot after a post-only rejection', { safe: [0.5, 5.0], marketTime: 'duration' }),

  // -- exposure / notional limits
  num('004', 'exposure', 'MM_MAX_ORDER_NOTIONAL_USD', 250, 1, 10_000_000, 'USD', 'max USD cost of a single order (size capped to this / price)', { safe: [50, 1000] }),
  num('004', 'exposure', 'MM_MAX_POSITION_NOTIONAL_USD', 2500, 1, 100_000_000, 'USD', 'max USD cost of a market position; the tighter of this and the contract caps wins', { safe: [500, 10000] }),
  num('sys', 'exposure', 'MM_MAX_TOTAL_NOTIONAL_USD', 10_000, 0, 1_000_000_000, 'USD',
    'max USD all markets together can lose: every market\'s worst case (position cost + resting orders of its larger direction) summed; exec refuses an order that would pass it (reducing orders always pass); 0 = off. Chosen 10000 (4 markets at the per-market MM_MAX_POSITION_NOTIONAL_USD); 004 says scale it with account equity', { live: true }),
  num('sys', 'exposure', 'MM_MAX_EVENT_LOSS_USD', 2500, 0, 1_000_000_000, 'USD',
    'max USD the whole position in one event can lose: the worst outcome of its payoff table (positions plus every resting order that would fill against us; an exclusive event\'s outcomes are each market winning and none of them), README "Event risk"; exec refuses an order that would raise it past this (orders that do not raise it always pass); 0 = off. Chosen 2500 (one market at MM_MAX_POSITION_NOTIONAL_USD)', { live: true }),
  num('sys', 'exposure', 'MM_MAX_TOTAL_LOSS_USD', 10_000, 0, 1_000_000_000, 'USD',
    'max USD all events together can lose: the events\' worst cases summed (events independent), README "Event risk"; never more than the MM_MAX_TOTAL_NOTIONAL_USD measure, lower when an exclusive event nets; exec refuses an order that would raise it past this (orders that do not raise it always pass); 0 = off. Chosen 10000 as MM_MAX_TOTAL_NOTIONAL_USD', { live: true }),
  num('sys', 'exposure', 'kmm_cluster_max_loss_usd', 5000, 0, 1_000_000_000, 'USD',
    'cluster only (issue 19): the risk aggregator trips the kill switch when the account P&L across every gateway (realised, fees subtracted, plus marked) falls to -this; 0 = off. Chosen 5000 (half of MM_MAX_TOTAL_LOSS_USD)'),
  num('sys', 'exposure', 'kmm_cluster_max_drawdown_usd', 5000, 0, 1_000_000_000, 'USD',
    'cluster only (issue 19): the risk aggregator trips the kill switch when the account P&L falls this far below its peak (the peak survives a takeover: KV risk.state); 0 = off. Chosen 5000 as kmm_cluster_max_loss_usd'),
  int('sys', 'skew', 'kmm_event_skew_ticks', 1, 0, 10, 'ticks',
    'most ticks the event skew moves a market\'s fair value in an exclusive event with a position: up on the outcome that loses most, down on the others, scaled by the worst outcome\'s contracts over MM_MAX_POS (strategy event-skew.ts, README "Event risk"); 0 = off', { live: true }),

  // -- inventory skew shaping
  num('004', 'skew', 'MM_INVENTORY_SKEW_FACTOR', 0.5, 0, 5, 'x', 'overall skew intensity; effective max skew = MM_SKEW_MAX_BPS x this', { safe: [0.05, 1.0] }),
  num('004', 'skew', 'MM_INVENTORY_DEADBAND_PCT', 0.10, 0, 1, 'fraction', 'fraction of max position around flat with zero skew', { safe: [0.05, 0.25] }),
  num('004', 'skew', 'MM_SKEW_SHAPE_K', 2.0, 0, 20, 'x', 'tanh curvature of the skew curve (0 = linear)', { safe: [1.0, 4.0] }),
  num('004', 'skew', 'MM_SKEW_MAX_BPS', 20, 0, 10000, 'bps of mid', 'max raw skew at the position limit, before MM_INVENTORY_SKEW_FACTOR', { safe: [10, 50] }),

  // -- imbalance & toxicity filter
  num('004', 'toxicity', 'MM_IMBALANCE_WINDOW_S', 2.0, 0.1, 600, 's', 'EMA window of top-of-book imbalance', { safe: [1.0, 5.0], marketTime: 'duration' }),
  num('004', 'toxicity', 'MM_IMBALANCE_PAUSE_THRESHOLD', 0.70, 0, 1, 'fraction', 'pause the side facing the flow when |signed imbalance| reaches this (0 = off)', { safe: [0.5, 0.85] }),
  num('004', 'toxicity', 'MM_MICRO_VOL_WINDOW_S', 5.0, 0.1, 600, 's', 'window of the mid micro-volatility guard', { safe: [2.0, 10.0], marketTime: 'duration' }),
  num('004', 'toxicity', 'MM_MICRO_VOL_MAX_BPS', 8, 0, 10000, 'bps of mid', 'micro-vol above this widens; above 1.25x this pauses (0 = off)', { safe: [4, 15] }),
  num('004', 'toxicity', 'MM_MICRO_DRIFT_WINDOW_S', 3.0, 0.1, 600, 's', 'window of the directional drift guard', { safe: [1.0, 5.0], marketTime: 'duration' }),
  num('004', 'toxicity', 'MM_MICRO_DRIFT_MAX_BPS', 6, 0, 10000, 'bps of mid', 'drift above this widens; above 1.25x this pauses (0 = off)', { safe: [3, 10] }),
  num('004', 'toxicity', 'MM_VOLATILITY_OFFSET_MULTIPLIER', 0.35, 0, 10, 'fraction', 'extra offset in moderate stress, as a fraction of the excess vol/drift', { safe: [0.1, 0.7] }),

  // -- circuit breaker
  int('004', 'breaker', 'MM_CIRCUIT_BREAKER_MAX_FAILURES', 5, 1, 1000, 'count', 'consecutive order failures that trip the breaker', { safe: [3, 10] }),
  num('004', 'breaker', 'MM_CIRCUIT_BREAKER_COOLDOWN_S', 30, 1, 3600, 's', 'pause after the breaker trips', { safe: [15, 120] }),
  num('004', 'breaker', 'MM_FAILURE_WINDOW_S', 60, 1, 3600, 's', 'rolling window of the failure-rate breaker', { safe: [30, 120] }),
  num('004', 'breaker', 'MM_FAILURE_RATE_TRIP', 0.35, 0.01, 1, 'fraction', 'trip when failures/attempts in the window exceed this', { safe: [0.2, 0.5] }),
  int('004', 'breaker', 'MM_MIN_ATTEMPTS_FOR_BREAKER', 10, 1, 100000, 'count', 'attempts in the window before the rate breaker may trip', { safe: [5, 20] }),

  // -- stale book safety, telemetry
  bool('004', 'stale', 'MM_CANCEL_ON_STALE_BOOK', true, 'cancel resting orders of a market whose book is stale (004: always true)', { safeValue: true }),
  num('004', 'stale', 'MM_STALE_CANCEL_GRACE_S', 3.0, 0, 60, 's',
    'grace before a market\'s orders are cancelled: for a stale book (no data for stale_data_s) counted from its last data, so they go at max(stale_data_s, this) after it (5 s at the defaults); for an untrusted book (gap, reconnect) counted from the report', { safe: [1.0, 5.0] }),
  bool('004', 'stale', 'MM_JOURNAL_REPRICE_DECISIONS', true, 'journal every reprice skip/trigger with its reason (per-decision "why")'),

  // -- 004 "existing core knobs": the guide gives no defaults; the values below are chosen
  num('004', S004_CORE, 'MM_SPREAD_MULTIPLIER', 1.0, 0, 20, 'x', 'placement distance = this x spread EMA, clamped to [MIN,MAX]_OFFSET_BPS; seed gives no default, chosen 1.0'),
  num('004', S004_CORE, 'MM_MIN_OFFSET_BPS', 100, 0, 10000, 'bps of mid', 'minimum placement distance (the 004 real floor), measured from the reservation price; seed gives no default, chosen 100 (1 % of the mid: 0.5c at 50c)'),
  num('004', S004_CORE, 'MM_MAX_OFFSET_BPS', 1000, 0, 10000, 'bps of mid', 'maximum placement distance, measured from the reservation price; seed gives no default, chosen 1000 (10 % of the mid: 5c at 50c)'),
  num('004', S004_CORE, 'MM_MIN_SPREAD_BPS', 100, 0, 10000, 'bps of mid', 'book spread below this pauses quoting and cancels resting orders (0 = off); seed gives no default, chosen 100 (1 % of the mid; on a 1c grid every book is at least 100 bps wide, so it never fires there: the kalshi profile turns it off explicitly)'),
  num('004', S004_CORE, 'MM_REPRICE_TOLERANCE_PERCENT', 0.25, 0, 1, 'fraction', 'reprice gate: deviation must exceed this fraction of the target offset; seed gives no default, chosen 0.25'),
  num('004', S004_CORE, 'MM_MAX_ORDER_AGE_S', 60, 0, 86400, 's',
    'the quote-age refresh (exec): a resting order this long since placed or amended is refreshed regardless of the reprice gates - amended to the target, or cancelled and placed again (new queue place, new expiration) when the target is unchanged; 0 = off; seed gives no default, chosen 60', { marketTime: 'duration' }),
  num('004', S004_CORE, 'MM_ORDER_SIZE_MULTIPLIER', 1.0, 0, 100000, 'x', 'order size = this x quote_size contracts (then capped by fat_finger_max_contracts and MM_MAX_ORDER_NOTIONAL_USD/price); chosen 1.0'),
  int('004', S004_CORE, 'MM_MAX_POSITION_SIZE', 100, 1, 1_000_000, 'contracts', 'position cap in contracts (tighter of this, MM_MAX_POS and notional wins); seed gives no default, chosen 100'),
  num('004', S004_CORE, 'MM_SIZE_SCALE_PER_LEVEL', 1.0, 0, 10, 'x', 'size of level n+1 = size of level n x this; seed gives no default, chosen 1.0'),
  int('004', S004_CORE, 'MM_NUM_PRICE_LEVELS', 1, 1, 20, 'count', 'quote levels per side; seed gives no default, chosen 1'),

  // ======================= 000: MM engine fixes =======================
  int('000', 'churn_risk_000', 'MM_QUOTE_REFRESH_MS', 5000, 0, 3_600_000, 'ms', 'min interval between non-urgent target changes strategy sends for a market (000 raised 1000 -> 5000; 0 = no minimum); urgent ones (a move of more than price_change_requote_threshold, a size cut, a pause) go at once, and exec re-prices each target as it comes', { marketTime: 'duration' }),
  int('000', 'churn_risk_000', 'MM_MIN_REPRICE_TICKS', 2, 0, 100, 'ticks',
    'exec diff: reprice only if price moved >= this many ticks (size change always reprices); same gate as MM_MIN_REPRICE_MOVE_TICKS, max of both applies'),
  int('000', 'churn_risk_000', 'MM_MAX_POS', 5, 1, 100000, 'contracts', 'hard cap on |exchange position| and |position + intended delta| per market, both directions (unless a side cap tightens one); startup over it -> read-only'),
  int('000', 'churn_risk_000', 'MM_MAX_LONG_POS', -1, -1, 100000, 'contracts', 'cap on a long YES position per market; -1 (default) = MM_MAX_POS; a set value tightens the long side (0 = only reduce), it cannot exceed MM_MAX_POS'),
  int('000', 'churn_risk_000', 'MM_MAX_SHORT_POS', -1, -1, 100000, 'contracts', 'cap on a short YES (long NO) position per market; -1 (default) = MM_MAX_POS; a set value tightens the short side (0 = only reduce), it cannot exceed MM_MAX_POS'),

  // ======================= 002: MarketMakingConfig + scenarios =======================
  // Spreads are fractions of the $1 payout, i.e. dollars per contract (0.04 = 4c, the seed's "4%").
  num('002', 'spread_002', 'min_spread', 0.02, 0, 1, 'USD', 'floor of the dynamic spread (troubleshooting: "down from 0.02")',
    { effect: 'informational: the spread starts at max(base_spread, ...) and every 002 multiplier is >= 1, and the configuration refuses base_spread below min_spread, so the floor never binds; it bounds base_spread (config check) and keeps 002 configurations loading' }),
  num('002', 'spread_002', 'base_spread', 0.04, 0, 1, 'USD', 'spread before adjustments; bid/ask = fair -/+ spread/2 (scenario 1: 0.04)'),
  num('002', 'spread_002', 'max_spread', 0.10, 0, 1, 'USD', 'cap of the dynamic spread; seed gives no default (presets 0.15/0.08), chosen 0.10'),
  num('002', 'spread_002', 'low_liquidity_threshold', 10000, 0, 1e9, 'USD', 'market liquidity below this widens the spread by low_liquidity_spread_add (unit test: 10000 normal, 6000 low); the liquidity figure is the dollar depth of the book near the touch (what the contracts in the top kmm_features_top_levels levels of each side cost), since Kalshi\'s liquidity_dollars is deprecated and reads 0'),
  num('002', 'spread_002', 'low_liquidity_spread_add', 0.02, 0, 1, 'USD', 'spread added in low liquidity (unit test: 0.04 -> 0.06)'),
  num('002', 'spread_002', 'inventory_spread_multiplier', 1.3, 1, 10, 'x', 'spread x this when |net position| > inventory_skew_threshold (scenario 2); the larger of this and the time-to-close multiplier applies, they do not compound (scenario 3)'),
  num('002', 'spread_002', 'time_to_close_urgent_hours', 6, 0, 8760, 'h', 'closer to close than this -> spread x time_to_close_urgent_multiplier (scenario 3: <6h); the larger of it and inventory_spread_multiplier applies'),
  num('002', 'spread_002', 'time_to_close_urgent_multiplier', 2.0, 1, 20, 'x', 'spread multiplier inside time_to_close_urgent_hours (scenario 3: x2.0)'),
  num('002', 'spread_002', 'time_to_close_near_hours', 24, 0, 8760, 'h', 'closer than this (but beyond urgent) -> spread x near multiplier; scenario 1: none beyond 24h'),
  num('002', 'spread_002', 'time_to_close_near_multiplier', 1.5, 1, 20, 'x', 'spread multiplier between urgent and near hours; seed gives no value ("etc."), chosen 1.5'),
  int('002', 'inventory_002', 'max_inventory', 50, 1, 1_000_000, 'contracts', 'per-market |net position| limit of the 002 strategy; seed gives no default (presets 30/75/20), chosen 50'),
  int('002', 'inventory_002', 'inventory_skew_threshold', 10, 0, 1_000_000, 'contracts', '|net position| above this applies inventory_spread_multiplier and skew (troubleshooting: "down from 10")'),
  int('002', 'inventory_002', 'rebalance_threshold', 20, 0, 1_000_000, 'contracts', '|net position| above this exits the whole position by a taker (002 check_exit, "down from 20"; needs IMPULSE_CONTROL_ENABLED; 0 = off)'),
  num('002', 'inventory_002', 'skew_price_adjustment_per_10', 0.01, 0, 0.5, 'USD', 'both quotes shift against inventory by this per whole 10 contracts (scenario 2: 25 -> 2 x 0.01)'),
  num('002', 'inventory_002', 'force_exit_hours', 12, 0, 8760, 'h',
    'hours: closer to close than this with |inventory| > force_exit_min_inventory -> force exit by a taker (needs IMPULSE_CONTROL_ENABLED; 0 = off); scenario 3 writes time_to_close < 0.5 in days there (it fires at 2 h), so 12 h'),
  int('002', 'inventory_002', 'force_exit_min_inventory', 5, 0, 1_000_000, 'contracts', 'force exit near close only if |inventory| exceeds this (scenario 3: > 5)'),
  // Deliberately not the seed's 10 (troubleshooting: "up from 10"): with 000's MM_MAX_POS 5 a quote
  // must be at most half the cap (limits.ts quote_size_vs_cap), so 2.
  int('002', 'size_002', 'quote_size', 2, 1, 1_000_000, 'contracts', 'contracts per quote; at most half the position cap (seed 002 implies 10, chosen 2 to fit MM_MAX_POS 5)'),
  int('002', 'size_002', 'max_position_size', 100, 1, 1_000_000, 'contracts', 'max position per market of the 002 strategy; seed gives no default (presets 50/150), chosen 100'),
  int('002', 'selection_002', 'max_markets', 10, 1, 10000, 'count', 'markets quoted at once; seed gives no default (presets 5/15/25, example 8), chosen 10'),
  num('002', 'selection_002', 'min_liquidity', 5000, 0, 1e9, 'USD', 'skip markets with less liquidity (the book\'s dollar depth near the touch, as low_liquidity_threshold; unknown liquidity passes; 0 = off); seed gives no default (presets 10000/3000), chosen 5000'),
  num('002', 'selection_002', 'max_time_to_resolution_hours', 120, 0, 87600, 'h', 'skip markets resolving later than this (0 = no limit); seed gives no default (presets 72/168), chosen 120'),
  num('002', 'protection_002', 'max_quote_age_seconds', 30, 0, 86400, 's',
    'strategy re-sends an unchanged target this old to exec (scenario 4: 30; 0 = off); it does not touch resting orders: re-placing an unchanged order is MM_MAX_ORDER_AGE_S (exec)'),
  num('002', 'protection_002', 'price_change_requote_threshold', 0.02, 0, 1, 'USD', 'price move larger than this cancels stale quotes and requotes (scenario 4: 0.02)'),
  num('002', 'protection_002', 'volume_spike_multiplier', 3.0, 1, 1000, 'x', 'volume above this x average pauses quoting and cancels (scenario 4: 3.0)'),
  num('002', 'protection_002', 'scan_interval_seconds', 30, 0.1, 86400, 's', 'market scan/selection loop period (pattern 1: refresh every 30s)'),
  bool('002', 'protection_002', 'paper_mode', false, 'paper trading in kmm run (the same setting as --paper): live data, simulated fills on the paper venue, no order reaches the exchange', { live: false }),

  // Removed (issue 15: registered, never read, no honest meaning here): backtest_fill_rate and
  // backtest_exit_horizon_hours (002's naive backtest: KMM has no such mode; `kmm backtest` replays
  // a capture through the queue model, and a coin-flip fill rate would be a second, weaker model).

  // ======================= 003: KMM-v1 (Avellaneda-Stoikov) =======================
  // Removed (issue 15): volatility_window_s. sigma is the book's realised volatility over
  // MM_VOL_REGIME_MEDIUM_WINDOW_S (pricing.ts sigmaCentsPerSqrtS); a second window would need a
  // second estimator in the book, i.e. a different meaning than the one explain stated.
  num('003', 'model_003', 'risk_aversion', 0.1, 0, 100, '1/contract',
    'gamma in r = S - q*gamma*sigma^2*(T-t) (S in cents, sigma in c/sqrt(s), T-t in s); seed gives no value, chosen 0.1'),
  num('003', 'model_003', 'horizon_s', 3600, 1, 31_536_000, 's', 'T-t = min(this, time to close); seed names T without a value, chosen 3600', { marketTime: 'duration' }),
  num('003', 'model_003', 'order_arrival_k', 1.5, 0.001, 1000, '1/cent',
    'k of the A-S optimal spread delta = gamma*sigma^2*(T-t) + (2/gamma)*ln(1+gamma/k); seed gives none, chosen 1.5'),
  num('003', 'model_003', 'volatility_prior', 0.05, 0, 100, 'c/sqrt(s)', 'sigma used until the window has data; seed gives none, chosen 0.05', { marketTime: 'sigma' }),
  num('003', 'model_003', 'volatility_floor', 0.005, 0, 100, 'c/sqrt(s)', 'lower bound on the sigma estimate; seed gives none, chosen 0.005', { marketTime: 'sigma' }),
  int('003', 'model_003', 'quote_min_price_cents', 1, 1, 99, 'cents', 'sanity check: no quote below this (003 bounds [1, 99])'),
  int('003', 'model_003', 'quote_max_price_cents', 99, 1, 99, 'cents', 'sanity check: no quote above this (003 bounds [1, 99])'),
  num('003', 'model_003', 'external_skew_max_cents', 5, 0, 99, 'cents', 'clamp on the alpha engine skew added to r (003 get_external_skew, +-cents); chosen 5'),
  num('003', 'model_003', 'alpha_poll_s', 5, 0.1, 86400, 's', 'how often kmm_external_fair_values is re-read; seed gives none, chosen 5', { live: false }),
  num('003', 'ops_003', 'rate_limit_pause_s', 2, 0, 300, 's', 'after HTTP 429: pause new orders this long, cancels still allowed (003)'),
  STALE_DATA_S,
  HEARTBEAT_THRESHOLD_S,
  num('003', 'ops_003', 'high_latency_warn_ms', 150, 1, 60000, 'ms', 'an exchange request whose round trip (request written to answer read, as tape latency_ms) exceeds this -> exec ops warn high_latency, at most one per 10 s with the count of slow requests (003 ops.log "High latency detected": 150ms)'),
  FAT_FINGER_MAX_CONTRACTS,

  // ======================= 001: KMM-v2 (queue + impulse control) =======================
  bool('001', 'v2_001', 'IMPULSE_CONTROL_ENABLED', true, 'every taker (crossing the spread): 001 bailout, inventory breach, toxicity close-all, arb, and the 002 forced and rebalance exits; false = v1 behaviour, maker only'),
  bool('001', 'v2_001', 'QUEUE_OPTIMIZATION_ENABLED', true, 'queue estimation driven cancel/replace to the front and yielding the front on toxic flow; false = v1 behaviour (quotes ignore the queue estimates)'),
  int('001', 'v2_001', 'Q_critical', 600, 1, 1_000_000, 'contracts', '|q| above this -> market order down to Q_target (001: e.g. 600 lots)'),
  int('001', 'v2_001', 'Q_target', 500, 0, 1_000_000, 'contracts', 'bailout sells q - Q_target; seed implies 500 (Inventory=1000 -> Market_Sell(500))'),
  int('001', 'v2_001', 'MAX_QUEUE_DEPTH', 1000, 0, 100_000_000, 'contracts', 'estimated contracts ahead of us beyond which we refresh to the front; seed gives none, chosen 1000'),
  int('001', 'v2_001', 'DESIRED_INVENTORY', 0, -1_000_000, 1_000_000, 'contracts', 'queue optimisation only while inventory < this (side-adjusted); seed gives none, chosen 0 (flat)'),
  num('001', 'v2_001', 'toxicity_threshold', 0.05, 0, 1, 'fraction', 'alpha score moving more than this against a position -> close every market\'s position by takers (001 Market_Close_All: >5%)'),
  num('001', 'v2_001', 'arb_min_edge_cents', 1, 0, 99, 'cents', 'take only if external fair - (ask + spread + fees) exceeds this; seed gives none, chosen 1'),
  num('001', 'v2_001', 'bailout_max_slippage_cents', 5, 0, 99, 'cents', 'taker limit price at most this beyond the touch (001: 5c slippage = failure)'),

  // ======================= system keys (kmm_*) =======================
  enm('sys', 'system', 'kmm_env', ['sim', 'demo', 'prod'], 'sim', 'exchange: embedded simulator, Kalshi demo or production',
    { effect: 'informational: each command sets it from what it runs against (run --env, demo/dst/bench: sim) and records it in the run configuration; nothing reads it back' }),
  int('sys', 'system', 'kmm_markets', 10, 1, 10000, 'count', 'number of markets to select in sim/demo runs'),
  num('sys', 'system', 'kmm_time_scale', 1, 0.01, 100, 'x',
    "seconds of market per second of the run: 1 on Kalshi; kmm demo sets it from --speed (the simulator compresses its market that much). Every value marked [market time] then runs this much faster (windows, horizons, intervals; sigma priors x its square root), and exec's token buckets refill this much faster, as the simulator's do, so the strategy meets the market at its tuning and the tier's budget holds per second of market (only with kmm_env sim)",
    { live: false }),
  int('sys', 'system', 'kmm_shards', defaultShardCount(), 1, 256, 'count', 'book worker shards of demo and run (--shards wins); default = available cores - 4 (1..16) on this machine'),
  enm('sys', 'system', 'kmm_preset', ['none', 'conservative', 'aggressive', 'high_frequency'], 'none',
    '002 preset applied as a layer between defaults and the config file'),
  enm('sys', 'system', 'kmm_pricing_model', ['stoikov', 'logodds', 'grid'], 'stoikov',
    'quote model: grid = fair value from microprice + OFI + alpha, A-S reservation, A-S half-spread with an online fill-intensity kappa, fee and markout floors, placed on the tick grid (join / step inside / behind the touch; README "How prices are made"; the kalshi profile\'s choice); stoikov / logodds = the 002/004 heuristic spread pipeline with the A-S reservation in price space or in log-odds space'),
  alias('kmm_market_profile', 'system', MM_MARKET_PROFILE),
  enm('sys', 'system', 'kmm_strategy', ['default', 'naive'], 'default',
    'quoting strategy: default = the strategy core (model-based prices, v2 queue logic); naive = the baseline to beat: every price fixed at the mid -/+ 1c (bid on the grid at or below mid - 1c, ask at or above mid + 1c), with the default core\'s sizes, caps, gates and exits (the same actors; exec, risk and the figures unchanged)', { live: false }),
  num('sys', 'system', 'kmm_scorecard_max_spread_cents', 6, 1, 99, 'cents',
    'scorecard: two-sided uptime counts the time with a resting bid and ask at most this far apart (Kalshi Market Maker Program style obligation; chosen 6c)'),
  num('sys', 'system', 'kmm_scorecard_min_size', 1, 0.01, 1_000_000, 'contracts',
    'scorecard: two-sided uptime counts a side only with at least this many contracts resting at its best price (chosen 1)'),
  bool('sys', 'system', 'kmm_adopt_orders_on_start', false, 'own resting orders unknown to the journal at start: true = adopt, false = cancel'),
  str('sys', 'system', 'kmm_external_fair_values', '', 'path|url', 'alpha engine source: JSON file path or http(s) URL; empty = none (skew 0)',
    NO_NEWLINE, 'a file path or http(s) URL without newlines (empty = none)'),
  str('sys', 'system', 'kmm_run_dir', 'runs', 'path', 'parent folder of run folders: each demo/run writes journal, tape, capture and ops.log to <this>/<kind>-<time>/ (relative = to the working directory); --out names the run folder itself and wins', NO_NEWLINE, 'a folder path without newlines'),
  int('sys', 'system', 'kmm_seed', 1, 0, 2_147_483_647, 'int', 'seed of the simulator and of every SeededRng (same seed, same run)',
    { effect: 'informational: demo, dst, bench and backtest set it from their --seed option, seed their RNGs from that option and record it here; nothing reads it back' }),
  enm('sys', 'connection', 'kmm_rate_tier', RATE_TIER_NAMES, 'basic',
    "Kalshi API usage tier: sizes the read/write token buckets (kalshi-api.md section 5); against a time-compressed simulator (kmm demo --speed N) both the simulator and exec refill them N x faster per second of the run, the tier's budget per second of market"),
  num('sys', 'connection', 'kmm_rate_budget_fraction', 0.8, 0.05, 1, 'fraction', 'use at most this fraction of the tier token refill (headroom for cancels and reads)'),
  // (0, 1]: the registry's bounds are inclusive, 0.001 stands for "more than 0" (a thousand gateways)
  num('sys', 'connection', 'kmm_read_share_fraction', 1, 0.001, 1, 'fraction',
    "this process's share of the account's REST read token bucket (the account has one for all its processes): exec's read bucket is the tier's x kmm_rate_budget_fraction x this, its capacity never below one reconcile (30 tokens). 1 = one process trades the account; a cluster gives each exchange shard's gateway 1 / the number of shards unless set"),
  str('sys', 'connection', 'kmm_rest_base_url', '', 'url', 'REST base URL override (empty = from kmm_env)', HTTP_URL, 'empty or an http(s):// URL'),
  str('sys', 'connection', 'kmm_ws_url', '', 'url', 'websocket URL override (empty = from kmm_env)', WS_URL, 'empty or a ws(s):// URL'),
  alias('kmm_stale_window_s', 'connection', STALE_DATA_S),
  alias('kmm_heartbeat_timeout_s', 'connection', HEARTBEAT_THRESHOLD_S),
  int('sys', 'connection', 'kmm_reconnect_base_ms', 250, 1, 600000, 'ms', 'first websocket reconnect delay; doubles per attempt (with jitter)'),
  int('sys', 'connection', 'kmm_reconnect_max_ms', 30000, 1, 3_600_000, 'ms', 'cap on the reconnect delay'),
  int('sys', 'connection', 'kmm_reconnect_max_attempts', 50, 1, 1_000_000, 'count', 'consecutive failed reconnects before ingest gives up (read-only, supervisor alerted)'),
  num('sys', 'connection', 'kmm_market_refresh_s', 60, 1, 86400, 's', 'period of the market list refresh (exec -> strategy MarketInfo)'),
  str('sys', 'auth', 'kmm_api_key_id', '', 'id', 'Kalshi API key id (KALSHI-ACCESS-KEY); empty in sim', NO_SPACE, 'a key id without whitespace'),
  str('sys', 'auth', 'kmm_private_key_path', '', 'path', 'path of the RSA private key PEM (the key itself is never read or shown here)',
    NO_NEWLINE, 'a file path without newlines'),
  bool('sys', 'exec', 'kmm_order_group_enabled', true, 'place orders in an exchange order group as a kill switch'),
  int('sys', 'exec', 'kmm_order_group_contracts_limit', 0, 0, 1_000_000, 'contracts',
    'order group kill switch: filled contracts per rolling 15 s before the exchange cancels the group; 0 = sized to risk (kmm_markets x 2 x (long cap + short cap))'),
  num('sys', 'exec', 'kmm_reconcile_interval_s', 30, 1, 3600, 's', 'period of REST reconciliation of orders and positions'),
  num('sys', 'exec', 'kmm_queue_position_poll_s', 5, 0.5, 3600, 's', 'period of GET queue_positions for our resting orders (queue estimator calibration)'),
  int('sys', 'runtime', 'kmm_mailbox_capacity', 65536, 16, 16_777_216, 'messages', 'per-actor mailbox limit; market data conflates, commands are rejected when full'),
  int('sys', 'runtime', 'kmm_journal_fsync_ms', 100, 0, 60000, 'ms', 'journal fsync period (0 = fsync every write)'),
  bool('sys', 'runtime', 'kmm_capture_enabled', true, 'write every raw websocket frame with its receive time to <run folder>/capture.jsonl (false = no capture: the run cannot be replayed or backtested)'),
  bool('sys', 'dashboard', 'kmm_dashboard', true, 'serve the local dashboard and metrics endpoint in demo and run (--dashboard / --no-dashboard win)'),
  int('sys', 'dashboard', 'kmm_dashboard_port', 8787, 0, 65535, 'port', 'dashboard port on 127.0.0.1 in run (0 = any free port; --dashboard-port wins; demo uses any free port unless the flag or this key is set)'),
  // ---- settings the actors need beyond the seeds (each one named by the actor that reads it) ----
  // ingest (connection, resync) and book (features)
  int('sys', 'connection', 'kmm_resync_timeout_ms', 3000, 100, 600_000, 'ms', 'wait for get_snapshot before falling back to delete+add / resubscribe'),
  int('sys', 'connection', 'kmm_resync_max_attempts', 3, 1, 100, 'count', 'resync rounds per market before a cool-down'),
  int('sys', 'connection', 'kmm_markets_max', 10_000, 1, 1_000_000, 'count', 'most markets ingest tracks (add_markets beyond this is refused)'),
  int('sys', 'connection', 'kmm_ws_pending_commands_max', 1024, 1, 1_000_000, 'count', 'most websocket commands awaiting a reply'),
  num('sys', 'book', 'kmm_spread_ema_window_s', 10, 0.1, 3600, 's', 'EMA window of the book spread (input of the 004 spread pipeline)', { live: false, marketTime: 'duration' }),
  num('sys', 'book', 'kmm_volume_window_s', 60, 1, 86_400, 's', 'long window of the trade volume rate (the average of the 002 spike check)', { live: false, marketTime: 'duration' }),
  num('sys', 'book', 'kmm_volume_spike_window_s', 5, 0.1, 3600, 's', 'short window compared with the average for volume spikes', { live: false, marketTime: 'duration' }),
  int('sys', 'book', 'kmm_features_top_levels', 5, 1, 100, 'levels', 'book levels per side sent with the features (dashboard ladder)'),
  bool('sys', 'book', 'kmm_queue_calibrate', true, "reset the queue estimate to the exchange's queue position when it is fetched"),
  int('sys', 'book', 'kmm_book_markets_max', 20_000, 1, 1_000_000, 'count', 'most markets one book shard holds'),
  // strategy
  num('002', 'selection_002', 'min_volume_24h', 0, 0, 1e12, 'contracts', 'market selection: minimum 24 h volume; seed names the filter without a value, chosen 0'),
  bool('002', 'protection_002', 'volume_spike_pause', true, 'pause both sides while the book reports a volume spike (scenario 4)'),
  num('sys', 'strategy', 'kmm_bailout_horizon_s', 60, 1, 86_400, 's', 'horizon of the hold-cost estimate in the 001 bailout check', { live: true, marketTime: 'duration' }),
  num('sys', 'strategy', 'kmm_bailout_hysteresis', 0.25, 0, 0.9, 'fraction', 'with IMPULSE_CONTROL_ENABLED the maker adds to a position only up to (1 - this) x the bailout threshold q*; the bailout fires above q*: the band between them keeps the taker from churning against our own maker fills', { live: true }),
  int('sys', 'strategy', 'kmm_level_spacing_ticks', 1, 1, 100, 'ticks', 'distance between price levels (MM_NUM_PRICE_LEVELS > 1)', { live: true }),
  num('sys', 'strategy', 'kmm_queue_front_contracts', 10, 0, 1e9, 'contracts', 'queue estimate at or below this counts as the front (001 yield-priority rule)', { live: true }),
  num('sys', 'strategy', 'kmm_toxic_ofi_contracts', 200, 0, 1e12, 'contracts', 'order-flow imbalance against us beyond this counts as toxic flow (001)', { live: true }),
  num('sys', 'strategy', 'kmm_ofi_fair_ticks', 0.5, 0, 10, 'ticks', 'grid model: largest fair-value shift from order-flow imbalance (tanh of OFI over the touch depth, x this)', { live: true }),
  num('sys', 'book', 'kmm_kappa_window_s', 600, 1, 86_400, 's', 'grid model: decay window of the public-trade histogram behind the fill-intensity kappa (per tick from the mid; the book shard estimates it over every public trade, BookFeatures.kappa_per_tick)', { live: true, marketTime: 'duration' }),
  num('sys', 'strategy', 'kmm_markout_s', 10, 0.1, 3600, 's', 'grid model: markout horizon of our own fills; their average loss (EWMA) floors the half-spread', { live: true, marketTime: 'duration' }),
  num('sys', 'strategy', 'kmm_touch_hysteresis_ticks', 0.5, 0, 5, 'ticks', 'grid model: a quote already resting at the others\' touch (or asked for there by the last target) stays there until the touch lacks the required edge by more than this (no flapping between join and one tick behind, which loses the queue place each time)', { live: true }),
  // jump and schedule protection (issue 17; strategy core/jump.ts, README "Jump and schedule protection")
  int('sys', 'strategy', 'kmm_sweep_levels', 0, 0, 100, 'levels',
    'a public trade whose price went through this many levels of the book before it (the touch counts as one) is a sweep: pull both sides for kmm_sweep_pull_ms; 0 = off. 3 recommended (a trade into the second level happens on thin books every minute, into the third it has emptied two levels); off by default until backtest --like reproduces it (with 3 the DST parity run differed by one fill: a book update batched differently sees a different sweep)', { live: true }),
  num('sys', 'strategy', 'kmm_jump_cents', 0, 0, 100, 'cents',
    'the others\' best bid falling, or best ask rising, by this many cents in one book update (the touch emptied and nothing near behind it) is a jump: pull both sides for kmm_sweep_pull_ms; 0 = off. In cents, not ticks: on a 0.1c band three ticks is a cancelled touch. 3 recommended (on 1c books a one-tick move is a cancelled touch, three is a hole); off by default as kmm_sweep_levels', { live: true }),
  int('sys', 'strategy', 'kmm_sweep_pull_ms', 2000, 0, 600_000, 'ms',
    'how long quotes stay pulled after a sweep or jump (each new one restarts it); 0 = off. Chosen 2000: the calibrated active profile refills a swept touch within about a second, and the next quote then prices from the settled book', { live: true, marketTime: 'duration' }),
  num('sys', 'strategy', 'kmm_close_widen_s', 600, 0, 604_800, 's',
    'within this many seconds of the market\'s close_time, every quote moves kmm_close_widen_ticks further from the touch (informed flow gathers before the close); 0 = off. Chosen 600 (10 min); 002\'s time_to_close_* multipliers act on hours', { live: true }),
  int('sys', 'strategy', 'kmm_close_widen_ticks', 1, 0, 100, 'ticks',
    'ticks each quote moves away from the touch inside kmm_close_widen_s; 0 = no widening. Chosen 1: on 1c books one tick behind the touch halves the fill rate, not the quoting', { live: true }),
  num('sys', 'strategy', 'kmm_close_stop_s', 60, 0, 604_800, 's',
    'within this many seconds of the market\'s close_time the maker stops quoting (takers still reduce); Kalshi rejects every order op, cancels too, after close_time, so quotes must be gone before it; 0 = off. Chosen 60', { live: true }),
  int('sys', 'strategy', 'kmm_taker_cooldown_ms', 2000, 0, 600_000, 'ms', 'after a taker intent, wait this long (or for the position to change) before another', { live: true }),
  num('sys', 'strategy', 'kmm_alpha_weight', 1, 0, 10, 'x', 'weight of the external fair-value skew (alpha engine)', { live: true }),
  int('sys', 'strategy', 'kmm_alpha_max_age_ms', 60_000, 100, 86_400_000, 'ms', 'external fair values older than this are ignored', { live: true }),
  int('sys', 'strategy', 'kmm_startup_settle_ms', 1500, 0, 600_000, 'ms', 'wait after the first exchange positions before the start-up cap check'),
  int('sys', 'strategy', 'kmm_startup_wait_max_ms', 10_000, 0, 600_000, 'ms', 'wait for exchange positions before the start-up cap check says it is still waiting (it never runs without them)'),
  // exec
  int('sys', 'exec', 'kmm_batch_max_orders', 20, 1, 1000, 'orders', 'most orders per batched create/cancel request'),
  bool('sys', 'exec', 'kmm_cancel_order_on_pause', true, 'set cancel_order_on_pause on every order (exchange pauses cancel our quotes)'),
  str('sys', 'exec', 'kmm_client_order_id_prefix', 'kmm', 'text', 'prefix of our client_order_ids (identifies our orders at start-up)', /^[A-Za-z0-9_]{1,12}$/, '1-12 characters [A-Za-z0-9_]'),
  int('sys', 'exec', 'kmm_reconcile_grace_ms', 3000, 0, 600_000, 'ms', 'orders younger than this are not called divergent, and a stop counts "nothing rests" only from a read asked at least this long after the last create (REST views lag the engine)'),
  num('sys', 'exec', 'kmm_shutdown_timeout_s', 30, 1, 3600, 's', 'longest shutdown (cancel all, verify nothing of ours rests, read the last fills); past it KMM exits non-zero naming what is left', { live: false }),
  int('sys', 'exec', 'kmm_inflight_timeout_ms', 15_000, 100, 600_000, 'ms', 'a request without an answer this long is uncertain and triggers a reconcile'),
  int('sys', 'exec', 'kmm_tape_interval_ms', 1000, 10, 3_600_000, 'ms', 'tape.csv row period per market'),
  int('sys', 'exec', 'kmm_fill_dedup_max', 100_000, 1000, 100_000_000, 'count', 'trade ids remembered for fill de-duplication'),
  int('sys', 'exec', 'kmm_max_orders_tracked', 2000, 10, 1_000_000, 'count', 'most working orders exec tracks'),
  int('sys', 'exec', 'kmm_max_levels_per_side', 5, 1, 100, 'levels', 'most quote levels per side exec will keep resting'),
  // Minimum 10 s: a cluster gateway sets the expiry a little beyond its lease, so that a dead
  // cluster's quotes die within seconds (issue 19); each renewal is a cancel + place per order at
  // 80% of the expiry, so below ~10 s renewals alone would spend a large share of the write
  // bucket (40 resting orders at 10 s: 10 writes/s).
  int('sys', 'exec', 'kmm_order_expiry_s', 300, 10, 86_400, 's',
    'every resting order carries an exchange expiration this far ahead; exec re-places it (cancel + place: amend cannot move an expiration) once 80% has passed, so only the orders of a dead or cut-off KMM expire', { live: true }),
  // one size for a fat finger (issue 15): exec's pre-flight cap is fat_finger_max_contracts
  alias('kmm_max_order_contracts', 'exec', FAT_FINGER_MAX_CONTRACTS),
  enm('sys', 'logging', 'kmm_log_level', ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'], 'info',
    'ops.log level (nothing per tick at info)', { live: true }),
] as const;

type Specs = typeof CONFIG_SPECS;
type AnySpecOf = Specs[number];
type ValueOf<S> = S extends { type: 'bool' } ? boolean
  : S extends { type: 'enum'; values: readonly (infer V)[] } ? V
    : S extends { type: 'string' } ? string
      : number;

/** The effective configuration: one field per registry key, typed from the registry. */
export type KmmConfig = { -readonly [S in AnySpecOf as S['key']]: ValueOf<S> };
export type ConfigKey = keyof KmmConfig;
export type ConfigValue = number | boolean | string;

export const SPEC_BY_KEY: ReadonlyMap<string, ConfigSpec> = new Map(CONFIG_SPECS.map((s) => [s.key, s as ConfigSpec]));
export const SPEC_BY_ENV: ReadonlyMap<string, ConfigSpec> = new Map(CONFIG_SPECS.map((s) => [s.env, s as ConfigSpec]));

/**
 * The 002 presets (conservative, aggressive, high_frequency) as the seed writes them, plus the 000
 * contract cap (MM_MAX_POS, both sides) each needs for its quote size to be at most half the cap (limits.ts): the seed's
 * presets predate 000's MM_MAX_POS 5, which would contradict their quote sizes. Deliberate
 * differences: the caps (twice the quote size, within the preset's own max_inventory), and the
 * aggressive preset's quote_size 15 instead of 20 (its rebalance_threshold 30 bounds the cap at 30).
 */
export const CONFIG_PRESETS: Readonly<Record<'conservative' | 'aggressive' | 'high_frequency', Readonly<Partial<KmmConfig>>>> = {
  conservative: {
    min_spread: 0.03, base_spread: 0.06, max_spread: 0.15,
    max_inventory: 30, inventory_skew_threshold: 8, rebalance_threshold: 15,
    quote_size: 5, max_position_size: 50,
    MM_MAX_POS: 10,
    max_markets: 5, min_liquidity: 10000, max_time_to_resolution_hours: 72,
  },
  aggressive: {
    min_spread: 0.015, base_spread: 0.03, max_spread: 0.08,
    max_inventory: 75, inventory_skew_threshold: 15, rebalance_threshold: 30,
    quote_size: 15, max_position_size: 150,
    MM_MAX_POS: 30,
    max_markets: 15, min_liquidity: 3000, max_time_to_resolution_hours: 168,
  },
  high_frequency: {
    min_spread: 0.01, base_spread: 0.02,
    max_quote_age_seconds: 5, price_change_requote_threshold: 0.01,
    quote_size: 3, max_markets: 25,
    MM_MAX_POS: 6,
    max_inventory: 20, inventory_skew_threshold: 5,
  },
};

/**
 * The market profiles (MM_MARKET_PROFILE): values layered just above the registry defaults, so a
 * preset, a command's defaults, the file, the environment and the CLI all override them
 * (`config explain` shows `profile <name>` as their source). legacy and crypto keep the seed
 * values (crypto switches behaviour in the strategy, not values).
 *
 * kalshi: values for 1-cent binary books. All bps are of the mid (see Units above); the figures
 * behind them come from the real recordings in ../shared/data (NCAA playoff futures prints,
 * 17,713 price moves, `node scripts/kalshi-moves.mjs`): half of all moves are a single 1c tick,
 * the median move is 513 bps of mid, the 75th percentile 1,429 bps, and 91 % of the price
 * variance comes from moves of 5c or more (news). The demo capture's books move less still
 * (no mid change in 5 minutes on the three NBA markets).
 * - MM_MICRO_VOL_MAX_BPS 1000 / MM_MICRO_DRIFT_MAX_BPS 750: widen past 1000 bps of micro-vol
 *   (a 5c move at 50c), pause past 1.25x (1250: above three quarters of all real moves); the
 *   seed's 8/6 pause a book on its first tick.
 * - MM_VOL_REGIME_CALM/ELEVATED/EXTREME_BPS 200/500/1400: calm = at most one tick at 50c in the
 *   short window, elevated = the median real move, extreme = the 75th percentile move (the seed's
 *   8/20/45 put every Kalshi book in EXTREME after one tick). Act only with the crypto behaviour;
 *   set here so that switching it on starts from grid-sized thresholds.
 * - MM_SKEW_MAX_BPS 400: the effective max skew (x MM_INVENTORY_SKEW_FACTOR 0.5) is 200 bps,
 *   one tick at 50c at the position limit; the seed's 20 x 0.5 = 10 bps is 0.05c, below a tick.
 * - MM_MIN_REPRICE_EDGE_DELTA_BPS 50: a quarter tick at 50c; the seed's 0.5 always passes.
 * - MM_MIN_SPREAD_BPS 0: the gate is off. A 1c book is the tightest the grid allows (at least
 *   100 bps at any price), so the 004 danger of being the only liquidity inside a sub-tick book
 *   cannot arise; the seed's 100 never fires here anyway, and 0 says so.
 * - MM_MIN_OFFSET_BPS 0 and MM_SPREAD_MULTIPLIER 0.2: the 002 spread (base_spread, min_spread)
 *   is the real floor on Kalshi; a 004 offset of 1 % of the mid plus the spread EMA puts quotes
 *   behind the touch where small prints never reach.
 * - horizon_s 60, risk_aversion 0.01: the A-S parameters of 003 (gamma 0.1, a one-hour horizon)
 *   with the per-second volatility of a thin binary book shift the reservation price by dollars
 *   per contract, so one fill pins quoting to one side.
 * - Inventory features of 002 made to act within the default caps (MM_MAX_POS 5, quote_size 2):
 *   inventory_skew_threshold 2 (the 1.3x spread beyond 2 contracts; the seed's 10 lies above the
 *   cap), force_exit_min_inventory 2 (the forced exit near close; the seed's 5 equals the cap and
 *   never fires), rebalance_threshold 0 (off: the limit rules keep a rebalance exit at or above
 *   the cap, so it could only act beyond it; the 001/003 bailout owns exits), and
 *   skew_price_adjustment_per_10 0 (off: it moves quotes per whole 10 contracts, which no position
 *   within a cap of 5 reaches; the 004 skew, one tick at the cap, does this job here).
 * MM_FUNDING_BIAS_CAP_BPS is not set: Kalshi has no funding (crypto behaviour only).
 */
export const CONFIG_PROFILES: Readonly<Record<'legacy' | 'crypto' | 'kalshi', Readonly<Partial<KmmConfig>>>> = {
  legacy: {},
  crypto: {},
  kalshi: {
    MM_MICRO_VOL_MAX_BPS: 1000,
    MM_MICRO_DRIFT_MAX_BPS: 750,
    MM_VOL_REGIME_CALM_BPS: 200,
    MM_VOL_REGIME_ELEVATED_BPS: 500,
    MM_VOL_REGIME_EXTREME_BPS: 1400,
    MM_SKEW_MAX_BPS: 400,
    MM_MIN_REPRICE_EDGE_DELTA_BPS: 50,
    MM_MIN_SPREAD_BPS: 0,
    MM_MIN_OFFSET_BPS: 0,
    MM_SPREAD_MULTIPLIER: 0.2,
    horizon_s: 60,
    risk_aversion: 0.01,
    inventory_skew_threshold: 2,
    force_exit_min_inventory: 2,
    rebalance_threshold: 0,
    skew_price_adjustment_per_10: 0,
    // the model-based quotes on the tick grid (issue 17): join the touch of a 1c book when the
    // edge is there; post-only safety of 1 tick lets a bid sit at best ask - 1 (never crossing)
    kmm_pricing_model: 'grid',
    MM_POST_ONLY_SAFETY_TICKS: 1,
  },
};

/**
 * A profile's own safe ranges, replacing the seed's for the keys it lists while that profile is
 * in force (the 004 safe ranges are in bps of a crypto mid; on a 1c grid they would flag every
 * sensible value). Outside them a value loads with a warning, as with the seed's ranges.
 */
export const PROFILE_SAFE_RANGES: Readonly<Record<string, Readonly<Record<string, readonly [number, number]>>>> = {
  kalshi: {
    MM_MICRO_VOL_MAX_BPS: [500, 2500],
    MM_MICRO_DRIFT_MAX_BPS: [400, 2000],
    MM_SKEW_MAX_BPS: [200, 1000],
    MM_MIN_REPRICE_EDGE_DELTA_BPS: [20, 200],
  },
};

/** The safe range of a key under a profile: the profile's own if it lists the key, else the seed's. */
export function safeRangeOf(spec: { key: string; seed: SeedRef; safeMin?: number; safeMax?: number }, profile: string):
  { min: number; max: number; from: string } | undefined {
  const own = PROFILE_SAFE_RANGES[profile]?.[spec.key];
  if (own) return { min: own[0], max: own[1], from: `${profile} profile` };
  if (spec.safeMin === undefined && spec.safeMax === undefined) return undefined;
  return { min: spec.safeMin ?? -Infinity, max: spec.safeMax ?? Infinity, from: spec.seed };
}

/** A fresh object with every default (aliases carry their canonical key's default). */
export function defaultConfig(): KmmConfig {
  const out: Record<string, ConfigValue> = {};
  for (const s of CONFIG_SPECS) out[s.key] = s.default;
  return out as KmmConfig;
}
