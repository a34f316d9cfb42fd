/**
 * `kmm config check`: every problem of a configuration, each with the keys involved.
 *
 * Role: one list of problems from the same functions that build a configuration, so the check
 * and every command agree by construction:
 * - invalid input and unknown names (with the nearest known name): loadConfigReport, the steps of
 *   loadConfig;
 * - contradicting values (CONFIG_RELATIONS and limits.ts CONFIG_LIMIT_RULES): checkRelations via
 *   loadConfigReport, the very rules resolveConfig and loadConfig refuse;
 * - values outside a seed's safe range: safeRangeWarnings, the warnings loading produces;
 * - features that the caps make unreachable (unreachableFeatures, below).
 * Errors are what loading refuses; warnings are accepted (exit 0 when there are only warnings).
 *
 * Inputs: LoadConfigOptions (file, env, cli) or an effective configuration. Outputs: ConfigProblem
 * lists and their text. Pure apart from reading the config file; no printing.
 */
import { describeSource, type LoadConfigOptions, type LoadedConfig, loadConfigReport, safeRangeWarnings } from './load.js';
import { sideCaps, type BindingLimit } from './limits.js';
import type { ConfigValue, KmmConfig } from './specs.js';
import type { ConfigError } from './errors.js';

export type ConfigProblemKind = 'invalid' | 'unknown_key' | 'contradiction' | 'unreachable' | 'safe_range';

export interface ConfigProblem {
  severity: 'error' | 'warning';
  kind: ConfigProblemKind;
  /** the registry keys involved (for an unknown name: the name written, then the suggestion if any) */
  keys: string[];
  message: string;
  /** unknown names: the nearest known name */
  suggestion?: string;
}

export interface ConfigCheckResult {
  problems: ConfigProblem[];
  errors: number;
  warnings: number;
  /** the configuration as loaded from every valid entry (null when the file could not be read) */
  loaded: LoadedConfig | null;
}

type Values = Readonly<Record<string, ConfigValue>>;

/** Does an input error report an unknown name (load.ts unknownError)? */
function isUnknownName(e: ConfigError): boolean {
  return e.allowed.startsWith('a known ');
}

function fromError(e: ConfigError, kind: ConfigProblemKind): ConfigProblem {
  const p: ConfigProblem = { severity: 'error', kind, keys: [...e.keys], message: e.message };
  if (e.suggestion !== undefined) {
    p.suggestion = e.suggestion;
    p.keys.push(e.suggestion);
  }
  return p;
}

/** The larger side cap (the most position the maker may build on either side). */
function widerCap(v: Values): BindingLimit {
  const { long, short } = sideCaps(v);
  return long.contracts >= short.contracts ? long : short;
}

/** The key of a BindingLimit's text (`MM_MAX_POS 5` -> MM_MAX_POS). */
function capKey(cap: BindingLimit): string {
  return cap.text.split(' ')[0];
}

/**
 * Position-triggered features that no position within the caps can fire (warnings). A position
 * beyond the caps (found at start-up, or a taker overshoot) can still fire them: as a backstop
 * they are harmless, but the feature the user configured never acts in normal trading.
 * The contradicting side (a threshold below the cap: churn) is limits.ts's error, not repeated here.
 */
export function unreachableFeatures(v: Values): ConfigProblem[] {
  const out: ConfigProblem[] = [];
  const cap = widerCap(v);
  const ck = capKey(cap);
  const warn = (keys: string[], message: string): void => {
    out.push({ severity: 'warning', kind: 'unreachable', keys: [...keys, ck], message });
  };
  const thr = Number(v.inventory_skew_threshold);
  // 002 scenario 2: spread x inventory_spread_multiplier when |q| > inventory_skew_threshold
  if (Number(v.inventory_spread_multiplier) !== 1 && cap.contracts <= thr) {
    warn(['inventory_spread_multiplier', 'inventory_skew_threshold'],
      `inventory_spread_multiplier ${v.inventory_spread_multiplier} never applies: it needs |position| > inventory_skew_threshold ${thr}, above ${cap.text}; lower the threshold below the cap`);
  }
  // 002 scenario 2: quotes shift by skew_price_adjustment_per_10 per whole 10 contracts, above the threshold
  const skewFrom = Math.max(10, thr + 1);
  if (Number(v.skew_price_adjustment_per_10) > 0 && cap.contracts < skewFrom) {
    warn(['skew_price_adjustment_per_10', 'inventory_skew_threshold'],
      `skew_price_adjustment_per_10 ${v.skew_price_adjustment_per_10} never applies: it needs |position| >= ${skewFrom} (a whole 10 contracts, above inventory_skew_threshold ${thr}), above ${cap.text}`);
  }
  // 002 check_exit: |q| > rebalance_threshold exits the whole position by a taker (0 = off; a
  // taker needs IMPULSE_CONTROL_ENABLED, so without it the exit is off, not unreachable)
  const takers = v.IMPULSE_CONTROL_ENABLED === true;
  const rt = Number(v.rebalance_threshold);
  if (takers && rt > 0 && cap.contracts <= rt) {
    warn(['rebalance_threshold'],
      `rebalance_threshold ${rt} is unreachable within ${cap.text}: the 002 rebalance exit only fires on a position beyond the caps; set 0 to turn it off`);
  }
  // 002 scenario 3: near close, |q| > force_exit_min_inventory exits
  const fe = Number(v.force_exit_min_inventory);
  if (takers && Number(v.force_exit_hours) > 0 && cap.contracts <= fe) {
    warn(['force_exit_min_inventory', 'force_exit_hours'],
      `force_exit_min_inventory ${fe} is unreachable within ${cap.text}: the 002 forced exit near close never fires; lower it below the cap or set force_exit_hours 0`);
  }
  // 001: |q| > Q_critical sells down to Q_target. Not warned: limits.ts requires Q_critical >= the
  // cap, so every valid configuration makes it a backstop for a position beyond the caps (start-up
  // breach, a taker overshoot); the bailout (003 q*) is the exit within them.
  return out;
}

/** The warnings of an effective configuration: safe-range violations, then unreachable features. */
export function configWarnings(values: Readonly<KmmConfig>, sourceOf: (key: string) => string): ConfigProblem[] {
  const v = values as unknown as Values;
  const safe: ConfigProblem[] = safeRangeWarnings(v, sourceOf)
    .map((w) => ({ severity: 'warning', kind: 'safe_range', keys: [w.key], message: w.message }));
  return [...safe, ...unreachableFeatures(v)];
}

/**
 * The warnings of a loaded configuration, as demo and run print them at start and `config check`
 * lists them: loading's own (unknown KMM_ variables), safe-range violations, unreachable features.
 * `sourceOf` labels where a value came from (default: its LoadedConfig source).
 */
export function checkLoaded(loaded: LoadedConfig, sourceOf?: (key: string) => string): ConfigProblem[] {
  const label = sourceOf ?? ((k: string): string => describeSource(loaded, k));
  const warnings = configWarnings(loaded.values, label);
  const safeKeys = warnings.filter((w) => w.kind === 'safe_range').map((w) => `${w.keys[0]}=`);
  const out: ConfigProblem[] = [];
  // loading's other warnings: unknown KMM_ environment variables (ignored, hence not errors)
  for (const w of loaded.warnings) {
    if (safeKeys.some((k) => w.startsWith(k))) continue;
    const guess = /did you mean (\w+)\?/.exec(w)?.[1];
    const name = w.split('=')[0];
    const p: ConfigProblem = { severity: 'warning', kind: 'unknown_key', keys: guess ? [name, guess] : [name], message: w };
    if (guess) p.suggestion = guess;
    out.push(p);
  }
  out.push(...warnings);
  return out;
}

/** Check a configuration as `loadConfig(opts)` would build it; never throws a ConfigError. */
export function checkConfig(opts: LoadConfigOptions = {}): ConfigCheckResult {
  const report = loadConfigReport(opts);
  const problems: ConfigProblem[] = [];
  for (const e of report.inputErrors) problems.push(fromError(e, isUnknownName(e) ? 'unknown_key' : 'invalid'));
  for (const e of report.relationErrors) problems.push(fromError(e, 'contradiction'));
  if (report.loaded) problems.push(...checkLoaded(report.loaded));
  const errors = problems.filter((p) => p.severity === 'error').length;
  return { problems, errors, warnings: problems.length - errors, loaded: report.loaded };
}

/** Text lines: one per problem (`error [contradiction] (quote_size, MM_MAX_POS): ...`), then a total. */
export function formatConfigProblems(problems: readonly ConfigProblem[]): string[] {
  const lines = problems.map((p) => `${p.severity} [${p.kind}] (${p.keys.join(', ')}): ${p.message.replace(/\n\s*/g, ' ')}`);
  const errors = problems.filter((p) => p.severity === 'error').length;
  lines.push(problems.length === 0 ? 'configuration OK: no problems'
    : `${errors} error(s), ${problems.length - errors} warning(s)`);
  return lines;
}
