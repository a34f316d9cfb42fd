/**
 * Loading the effective configuration:
 * defaults < profile < preset < command defaults < file < environment < CLI flags.
 *
 * Role: the edge where untrusted configuration enters. Everything is checked here against
 * `CONFIG_SPECS`; the result is a plain, JSON-serialisable `KmmConfig` (it travels in
 * Startup.config_json) plus where each value came from. Any problem throws one `ConfigError` that
 * names the variable, the value, its source and what is allowed (all problems are collected first
 * and listed in `errors`).
 *
 * Rules:
 * - The market profile (`MM_MARKET_PROFILE`) is chosen by cli > env > file > the command's default
 *   profile > the registry default (legacy), then its values (CONFIG_PROFILES) are applied as a
 *   layer just above the defaults: a preset, a command default and any value the user set win.
 * - The preset (`kmm_preset`) is itself chosen by cli > env > file > default, then applied as a
 *   layer above the profile and below the command defaults.
 * - A command's defaults (`command`: e.g. the demo's simulator facts and its default profile) are
 *   a visible layer of their own between the preset and the file.
 * - File keys may be the registry key or its env name; CLI keys may also use '-' for '_' and any
 *   letter case. Unknown keys in the file or on the CLI are errors ("did you mean").
 * - Environment: unknown `MM_*` variables are errors; unknown `KMM_*` variables are warnings;
 *   anything else is ignored. When `env` is omitted, `process.env` is read.
 * - Alias keys mirror their canonical key; setting both to different values in one layer is an error.
 * - Values outside the 004 safe range but inside hard bounds load with a warning.
 */
import * as path from 'node:path';
import YAML, { LineCounter } from 'yaml';
import { ConfigError, closest } from './errors.js';
import {
  CONFIG_PRESETS, CONFIG_PROFILES, CONFIG_SPECS, SPEC_BY_ENV, SPEC_BY_KEY,
  type ConfigSource, type ConfigSpec, type ConfigValue, type KmmConfig,
} from './specs.js';
import { CONFIG_SCHEMA, clipForMessage, parseValue, showRaw, unsafeReason } from './values.js';
import { BoundedFileError, CONFIG_FILE_MAX_BYTES, readBoundedFile } from '../io/bounded-file.js';
import { limitViolations } from './limits.js';

export interface LoadConfigOptions {
  /** YAML (.yaml/.yml) or JSON (.json) file */
  file?: string;
  /** environment; defaults to process.env */
  env?: Record<string, string | undefined>;
  /** CLI overrides: key (or env name) -> value */
  cli?: Record<string, string | number | boolean>;
  /** the running command's own defaults, below the file (e.g. demo: profile kalshi, the simulator's market facts) */
  command?: CommandDefaults;
}

/** A command's defaults: a layer of their own, shown by `config explain` as `command <name>`. */
export interface CommandDefaults {
  /** the command (`demo`, `run`) */
  name: string;
  /** MM_MARKET_PROFILE when neither the file, the environment nor the CLI names one */
  profile?: string;
  /** key (or env name) -> value, overridden by the file, the environment and the CLI */
  values?: Record<string, string | number | boolean>;
}

export interface LoadedConfig {
  values: KmmConfig;
  sources: Record<string, ConfigSource>;
  file?: string;
  /** the 002 preset that was applied ('none' if none) */
  preset: string;
  /** the market profile whose values were applied (MM_MARKET_PROFILE) */
  profile: string;
  /** the command whose defaults were applied, if any */
  command?: string;
  /** accepted but noteworthy: values outside the 004 safe range, unknown KMM_* variables */
  warnings: string[];
}

const SOURCE_RANK: Record<ConfigSource, number> = { default: 0, profile: 1, preset: 2, command: 3, file: 4, env: 5, cli: 6 };

/** Lower-case, '-' -> '_' name -> spec, over keys and env names (unique: checked by tests). */
const SPEC_BY_LOOSE: ReadonlyMap<string, ConfigSpec> = (() => {
  const m = new Map<string, ConfigSpec>();
  for (const s of CONFIG_SPECS) {
    m.set(s.key.toLowerCase(), s as ConfigSpec);
    m.set(s.env.toLowerCase(), s as ConfigSpec);
  }
  return m;
})();

const ALL_NAMES: readonly string[] = CONFIG_SPECS.flatMap((s) => (s.key === s.env ? [s.key] : [s.key, s.env]));
const MM_ENV_NAMES: readonly string[] = CONFIG_SPECS.filter((s) => s.env.startsWith('MM_')).map((s) => s.env);
const KMM_ENV_NAMES: readonly string[] = CONFIG_SPECS.filter((s) => s.env.startsWith('KMM_')).map((s) => s.env);

/** The canonical key a spec writes to (aliases write to the key they mirror). */
function canonicalKey(spec: ConfigSpec): string {
  return spec.aliasOf ?? spec.key;
}

/** Resolve a user-written name to a spec: exact key or env name, else (loose) case/dash-insensitive. */
export function resolveConfigName(name: string, loose: boolean): ConfigSpec | undefined {
  const exact = SPEC_BY_KEY.get(name) ?? SPEC_BY_ENV.get(name);
  if (exact || !loose) return exact;
  return SPEC_BY_LOOSE.get(name.replace(/-/g, '_').toLowerCase());
}

function unknownError(name: string, raw: unknown, source: string, candidates: readonly string[], what: string): ConfigError {
  // no "did you mean" for a name far longer than any key (the edit distance would cost its length squared)
  const guess = name.length <= 64 ? closest(name, candidates) : undefined;
  const allowed = `a known ${what}` + (guess ? `; did you mean ${guess}?` : ' (see `kmm config explain`)');
  const e = new ConfigError(clipForMessage(name), showRaw(raw), allowed, source);
  if (guess) e.suggestion = guess;
  return e;
}

/** One layer: canonical key -> { value, written name }. */
type Layer = Map<string, { value: ConfigValue; name: string }>;

function addToLayer(layer: Layer, spec: ConfigSpec, name: string, raw: unknown, source: string, errors: ConfigError[]): void {
  const r = parseValue(spec, raw);
  if (!r.ok) {
    errors.push(new ConfigError(name, showRaw(raw), r.allowed, source));
    return;
  }
  const key = canonicalKey(spec);
  const prev = layer.get(key);
  if (prev && prev.value !== r.value) {
    errors.push(new ConfigError(name, showRaw(raw), `one value, but ${prev.name}=${showRaw(prev.value)} is set in the same place`, source));
    return;
  }
  layer.set(key, { value: r.value, name });
}

// ---------------------------------------------------------------- file

/** Alias expansions allowed in a YAML config file (the yaml library's resource-exhaustion guard). */
export const YAML_MAX_ALIAS_COUNT = 100;

function lineText(text: string, line: number): string {
  return clipForMessage((text.split(/\r?\n/)[line - 1] ?? '').trim());
}

function fileParseError(file: string, kind: 'YAML' | 'JSON', line: number, col: number, reason: string, text: string): ConfigError {
  const src = lineText(text, line);
  return new ConfigError(file, src, `valid ${kind}`, `file ${file}`,
    `${file}:${line}:${col}: invalid ${kind}: ${reason.split('\n')[0]}${src ? ` (line ${line}: ${src})` : ''}`);
}

/** Read and parse a config file into a flat record; throws ConfigError naming file and line. */
export function readConfigFile(file: string): Record<string, unknown> {
  const ext = path.extname(file).toLowerCase();
  const source = `file ${file}`;
  if (ext !== '.yaml' && ext !== '.yml' && ext !== '.json') {
    throw new ConfigError(file, ext || '(none)', 'a .yaml, .yml or .json file', source,
      `${file}: unsupported config file type '${ext || '(none)'}': expected .yaml, .yml or .json`);
  }
  let text: string;
  try {
    text = readBoundedFile(file, CONFIG_FILE_MAX_BYTES, 'config file');
  } catch (e) {
    if (!(e instanceof BoundedFileError)) throw e;
    if (e.reason === 'missing') throw new ConfigError(file, 'ENOENT', 'a readable file', source, `${file}: cannot read config file (ENOENT)`);
    throw new ConfigError(file, e.reason, `a regular file of at most ${CONFIG_FILE_MAX_BYTES} bytes`, source, e.message);
  }
  let data: unknown;
  if (ext === '.json') {
    try {
      data = JSON.parse(text);
    } catch (e) {
      const msg = (e as Error).message;
      const m = /position (\d+)/.exec(msg);
      let line: number;
      let col: number;
      if (m) {
        const before = text.slice(0, Number(m[1]));
        line = before.split('\n').length;
        col = Number(m[1]) - before.lastIndexOf('\n');
      } else {
        line = text.split('\n').length;
        col = 1;
      }
      throw fileParseError(file, 'JSON', line, col, msg, text);
    }
  } else {
    const lines = new LineCounter();
    const doc = YAML.parseDocument(text, { uniqueKeys: true, prettyErrors: false, lineCounter: lines });
    if (doc.errors.length > 0) {
      const err = doc.errors[0];
      const pos = lines.linePos(err.pos[0]);
      throw fileParseError(file, 'YAML', pos.line, pos.col, err.message, text);
    }
    try {
      // maxAliasCount bounds alias expansion (a "billion laughs" file); a flat config needs none
      data = doc.toJS({ maxAliasCount: YAML_MAX_ALIAS_COUNT });
    } catch (e) {
      throw new ConfigError(file, 'aliases', `at most ${YAML_MAX_ALIAS_COUNT} alias expansions`, source,
        `${file}: invalid YAML: ${(e as Error).message.split('\n')[0]}`);
    }
  }
  if (data === null || data === undefined) return {};
  if (typeof data !== 'object' || Array.isArray(data)) {
    throw new ConfigError(file, showRaw(data), 'a mapping of KEY: value', source,
      `${file}: expected a mapping of KEY: value at the top level, got ${Array.isArray(data) ? 'a list' : typeof data}`);
  }
  return data as Record<string, unknown>;
}

// ---------------------------------------------------------------- cross-field rules

/** [lower, upper, strict]: value(lower) <= value(upper) (or < when strict). */
export const CONFIG_RELATIONS: ReadonlyArray<readonly [string, string, boolean]> = [
  ['min_spread', 'base_spread', false],
  ['base_spread', 'max_spread', false],
  ['MM_MIN_OFFSET_BPS', 'MM_MAX_OFFSET_BPS', false],
  ['MM_VOL_REGIME_SHORT_WINDOW_S', 'MM_VOL_REGIME_MEDIUM_WINDOW_S', false],
  ['MM_VOL_REGIME_MEDIUM_WINDOW_S', 'MM_VOL_REGIME_LONG_WINDOW_S', false],
  ['MM_VOL_REGIME_CALM_BPS', 'MM_VOL_REGIME_ELEVATED_BPS', false],
  ['MM_VOL_REGIME_ELEVATED_BPS', 'MM_VOL_REGIME_EXTREME_BPS', false],
  ['MM_TREND_FAST_EMA_S', 'MM_TREND_SLOW_EMA_S', true],
  ['MM_INVENTORY_WARN_PCT', 'MM_INVENTORY_CRITICAL_PCT', false],
  ['MM_INVENTORY_CRITICAL_PCT', 'MM_INVENTORY_HARD_PCT', false],
  ['MM_POST_ONLY_SAFETY_TICKS', 'MM_POF_MAX_SAFETY_TICKS', false],
  ['time_to_close_urgent_hours', 'time_to_close_near_hours', false],
  ['quote_min_price_cents', 'quote_max_price_cents', true],
  ['Q_target', 'Q_critical', true],
  ['kmm_reconnect_base_ms', 'kmm_reconnect_max_ms', false],
];

/** A source as people read it: `file x.yaml`, `profile kalshi`, `preset aggressive`, `command demo`, `env`. */
function sourceLabel(source: ConfigSource, ctx: { file?: string; profile: string; preset: string; command?: string }): string {
  if (source === 'file' && ctx.file) return `file ${ctx.file}`;
  if (source === 'profile') return `profile ${ctx.profile}`;
  if (source === 'preset') return `preset ${ctx.preset}`;
  if (source === 'command' && ctx.command) return `command ${ctx.command}`;
  return source;
}

/** Where a loaded key's value came from, as `config explain` and the warnings name it (`profile kalshi`). */
export function describeSource(loaded: LoadedConfig, key: string): string {
  return sourceLabel(loaded.sources[key], loaded);
}

/**
 * Check the cross-field relations (CONFIG_RELATIONS, then the limit rules of limits.ts); blames
 * the key set at the higher-precedence source.
 */
export function checkRelations(
  values: Record<string, ConfigValue>, sourceOf: (key: string) => string, rank: (key: string) => number,
): ConfigError[] {
  const errors: ConfigError[] = [];
  for (const [lo, hi, strict] of CONFIG_RELATIONS) {
    const a = values[lo] as number;
    const b = values[hi] as number;
    if (strict ? a < b : a <= b) continue;
    const blameHi = rank(hi) > rank(lo);
    const [bad, other] = blameHi ? [hi, lo] : [lo, hi];
    const rel = blameHi ? (strict ? 'greater than' : 'at least') : (strict ? 'less than' : 'at most');
    const e = new ConfigError(bad, showRaw(values[bad]),
      `${rel} ${other} (${showRaw(values[other])}, from ${sourceOf(other)})`, sourceOf(bad));
    e.keys = [lo, hi];
    errors.push(e);
  }
  for (const { rule, message } of limitViolations(values)) {
    // blame the highest-precedence key the rule reads (what the user most likely just set)
    let bad = rule.keys[0];
    for (const k of rule.keys) if (rank(k) > rank(bad)) bad = k;
    const e = new ConfigError(bad, showRaw(values[bad]), `limits that agree (${rule.id})`, sourceOf(bad),
      `${message} (${bad} from ${sourceOf(bad)})`);
    e.keys = keysNamedIn(message, rule.keys);
    errors.push(e);
  }
  return errors;
}

/** The keys of `candidates` a message names (in the message's order), for a problem's key list. */
function keysNamedIn(message: string, candidates: readonly string[]): string[] {
  const words = message.split(/[^A-Za-z0-9_]+/);
  const named = words.filter((w, i) => candidates.includes(w) && words.indexOf(w) === i);
  return named.length > 0 ? named : [...candidates];
}

/**
 * The values outside their seed's safe range (004) or not the safe boolean, as (key, message);
 * `sourceOf` labels where each value came from. Aliases are skipped (their canonical key speaks).
 * Loading turns these into warnings; `kmm config check` lists them with their key.
 */
export function safeRangeWarnings(
  values: Readonly<Record<string, ConfigValue>>, sourceOf: (key: string) => string,
): Array<{ key: string; message: string }> {
  const out: Array<{ key: string; message: string }> = [];
  for (const s of CONFIG_SPECS) {
    if (s.aliasOf) continue;
    const why = unsafeReason(s as ConfigSpec, values[s.key], String(values.MM_MARKET_PROFILE));
    if (why) out.push({ key: s.key, message: `${s.key}=${showRaw(values[s.key])} (from ${sourceOf(s.key)}) is ${why}` });
  }
  return out;
}

// ---------------------------------------------------------------- load

function profileLayer(name: string): Layer {
  const layer: Layer = new Map();
  const p = CONFIG_PROFILES[name as keyof typeof CONFIG_PROFILES];
  for (const [k, v] of Object.entries(p)) layer.set(k, { value: v as ConfigValue, name: k });
  return layer;
}

function presetLayer(name: string): Layer {
  const layer: Layer = new Map();
  if (name === 'none') return layer;
  const p = CONFIG_PRESETS[name as keyof typeof CONFIG_PRESETS];
  for (const [k, v] of Object.entries(p)) layer.set(k, { value: v as ConfigValue, name: k });
  return layer;
}

/** Build the effective configuration. Throws ConfigError on any invalid input. */
export function loadConfig(opts: LoadConfigOptions = {}): LoadedConfig {
  const r = loadConfigReport(opts);
  // invalid input first (as before): contradictions among values that were not all read are noise
  if (r.inputErrors.length > 0) throw ConfigError.aggregate(r.inputErrors);
  if (r.relationErrors.length > 0) throw ConfigError.aggregate(r.relationErrors);
  return r.loaded!;
}

/** Everything loading finds, without throwing (`kmm config check`). */
export interface ConfigLoadReport {
  /** the configuration built from every valid entry (contradictions included); null when the file cannot be read */
  loaded: LoadedConfig | null;
  /** unreadable file, unknown names, values of the wrong type or out of their hard bounds */
  inputErrors: ConfigError[];
  /** contradictions among the values (CONFIG_RELATIONS and limits.ts CONFIG_LIMIT_RULES, via checkRelations) */
  relationErrors: ConfigError[];
}

/**
 * loadConfig's every step, collecting instead of throwing: an invalid entry is left out (its key
 * keeps the lower layer's value) and the relations are checked on what remains, so one call
 * reports every problem. loadConfig is this plus a throw.
 */
export function loadConfigReport(opts: LoadConfigOptions = {}): ConfigLoadReport {
  const errors: ConfigError[] = [];
  const warnings: string[] = [];

  // file layer
  const fileLayer: Layer = new Map();
  if (opts.file !== undefined) {
    let data: Record<string, unknown>;
    try {
      data = readConfigFile(opts.file);
    } catch (e) {
      if (e instanceof ConfigError) return { loaded: null, inputErrors: [...e.errors], relationErrors: [] };
      throw e;
    }
    const src = `file ${opts.file}`;
    for (const [name, raw] of Object.entries(data)) {
      const spec = resolveConfigName(name, false);
      if (!spec) { errors.push(unknownError(name, raw, src, ALL_NAMES, 'configuration key')); continue; }
      addToLayer(fileLayer, spec, name, raw, src, errors);
    }
  }

  // env layer
  const envLayer: Layer = new Map();
  const env = opts.env ?? process.env;
  for (const name of Object.keys(env).sort()) {
    const raw = env[name];
    if (raw === undefined) continue;
    const spec = SPEC_BY_ENV.get(name);
    if (spec) { addToLayer(envLayer, spec, name, raw, 'env', errors); continue; }
    if (name.startsWith('MM_')) {
      errors.push(unknownError(name, raw, 'env', MM_ENV_NAMES, 'MM_ variable'));
    } else if (name.startsWith('KMM_')) {
      const guess = closest(name, KMM_ENV_NAMES);
      warnings.push(`${clipForMessage(name)}=${showRaw(raw)} (from env): unknown KMM_ variable, ignored${guess ? `; did you mean ${guess}?` : ''}`);
    }
  }

  // cli layer
  const cliLayer: Layer = new Map();
  for (const [name, raw] of Object.entries(opts.cli ?? {})) {
    const spec = resolveConfigName(name, true);
    if (!spec) { errors.push(unknownError(name, raw, 'cli', ALL_NAMES, 'configuration key')); continue; }
    addToLayer(cliLayer, spec, name, raw, 'cli', errors);
  }

  // command layer: the command's default profile and values
  const commandLayer: Layer = new Map();
  const cmd = opts.command;
  if (cmd) {
    const src = `command ${cmd.name}`;
    if (cmd.profile !== undefined) addToLayer(commandLayer, SPEC_BY_KEY.get('MM_MARKET_PROFILE')!, 'MM_MARKET_PROFILE', cmd.profile, src, errors);
    for (const [name, raw] of Object.entries(cmd.values ?? {})) {
      const spec = resolveConfigName(name, true);
      if (!spec) { errors.push(unknownError(name, raw, src, ALL_NAMES, 'configuration key')); continue; }
      addToLayer(commandLayer, spec, name, raw, src, errors);
    }
  }

  const relationErrors: ConfigError[] = [];
  const layers: Array<[ConfigSource, Layer]> = [['command', commandLayer], ['file', fileLayer], ['env', envLayer], ['cli', cliLayer]];
  const label = (src: ConfigSource, picked: { profile: string; preset: string }): string =>
    sourceLabel(src, { file: opts.file, command: cmd?.name, ...picked });
  const { values, sources, preset, profile } = assemble(layers, label, warnings, relationErrors);
  const loaded: LoadedConfig = { values, sources, preset, profile, warnings };
  if (opts.file !== undefined) loaded.file = opts.file;
  if (cmd) loaded.command = cmd.name;
  return { loaded, inputErrors: errors, relationErrors };
}

/**
 * Defaults < profile < preset < the given layers (lowest first), then the cross-field relations, the 004
 * safe-range warnings and the alias mirrors. The one path by which any `KmmConfig` is built.
 * Contradictions throw, or go to `relationSink` when given (the result then holds them).
 */
function assemble(
  given: ReadonlyArray<readonly [ConfigSource, Layer]>,
  labelOf: (source: ConfigSource, picked: { profile: string; preset: string }) => string, warnings: string[],
  relationSink?: ConfigError[],
): { values: KmmConfig; sources: Record<string, ConfigSource>; preset: string; profile: string } {
  // profile and preset: each chosen by the highest layer that names it
  let preset = 'none';
  let profile = String(SPEC_BY_KEY.get('MM_MARKET_PROFILE')!.default);
  for (const [, layer] of given) {
    const named = layer.get('kmm_preset');
    if (named) preset = String(named.value);
    const prof = layer.get('MM_MARKET_PROFILE');
    if (prof) profile = String(prof.value);
  }

  const values: Record<string, ConfigValue> = {};
  const sources: Record<string, ConfigSource> = {};
  for (const s of CONFIG_SPECS) {
    if (s.aliasOf) continue;
    values[s.key] = s.default;
    sources[s.key] = 'default';
  }
  const layers: Array<readonly [ConfigSource, Layer]> = [['profile', profileLayer(profile)], ['preset', presetLayer(preset)], ...given];
  for (const [source, layer] of layers) {
    for (const [key, { value }] of layer) {
      values[key] = value;
      sources[key] = source;
    }
  }

  const srcLabel = (k: string): string => labelOf(sources[k], { profile, preset });
  const relErrors = checkRelations(values, srcLabel, (k) => SOURCE_RANK[sources[k]]);
  if (relErrors.length > 0) {
    if (!relationSink) throw ConfigError.aggregate(relErrors);
    relationSink.push(...relErrors);
  }

  for (const w of safeRangeWarnings(values, srcLabel)) warnings.push(w.message);
  for (const s of CONFIG_SPECS) {
    if (!s.aliasOf) continue;
    values[s.key] = values[s.aliasOf];
    sources[s.key] = sources[s.aliasOf];
  }

  // Ordered like the registry, so the JSON form is stable.
  const ordered: Record<string, ConfigValue> = {};
  const orderedSources: Record<string, ConfigSource> = {};
  for (const s of CONFIG_SPECS) {
    ordered[s.key] = values[s.key];
    orderedSources[s.key] = sources[s.key];
  }
  // Assertion (stays on): the registry, parser and relations together must yield a valid config.
  const check = CONFIG_SCHEMA.safeParse(ordered);
  if (!check.success) throw new Error(`config invariant broken: ${check.error.message}`);
  return { values: ordered as KmmConfig, sources: orderedSources, preset, profile };
}

/**
 * The effective configuration from a partial record (registry key or env name -> value), for
 * tests and tools that hold a record rather than a file and an environment. Absent keys take
 * the registry default (or the profile's and the preset's value when `MM_MARKET_PROFILE` or
 * `kmm_preset` is named); every value is checked
 * exactly as `loadConfig` checks it. `process.env` is not read. Throws one ConfigError naming
 * each bad key, its value and what is allowed (source: 'record').
 */
export function resolveConfig(partial: Readonly<Record<string, unknown>> = {}): KmmConfig {
  const errors: ConfigError[] = [];
  const layer: Layer = new Map();
  for (const [name, raw] of Object.entries(partial)) {
    if (raw === undefined) continue;
    const spec = resolveConfigName(name, false);
    if (!spec) { errors.push(unknownError(name, raw, 'record', ALL_NAMES, 'configuration key')); continue; }
    addToLayer(layer, spec, name, raw, 'record', errors);
  }
  if (errors.length > 0) throw ConfigError.aggregate(errors);
  // 'cli' ranks the record above the defaults and the preset; messages say 'record'.
  return assemble([['cli', layer]], (src, picked) => (src === 'cli' ? 'record' : sourceLabel(src, picked)), []).values;
}

/**
 * Turn repeated `KEY=VALUE` CLI assignments (e.g. `--set MM_MAX_POS=3`) into a `cli` record.
 * A malformed assignment is a ConfigError.
 */
export function cliFromAssignments(assignments: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const a of assignments) {
    const i = a.indexOf('=');
    if (i <= 0) throw new ConfigError(a, a, 'KEY=VALUE', 'cli', `--set ${a}: expected KEY=VALUE`);
    out[a.slice(0, i).trim()] = a.slice(i + 1);
  }
  return out;
}
