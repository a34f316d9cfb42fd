/**
 * `kmm config explain`: every effective value with its source, unit and one-line meaning.
 *
 * Role: human (aligned table, grouped as in the registry) and machine (JSON) views of a
 * LoadedConfig. Pure functions of their input; no I/O.
 */
import { CONFIG_SPECS, safeRangeOf, type ConfigSource, type ConfigSpec, type ConfigValue, type SeedRef } from './specs.js';
import { describeSource, type LoadedConfig } from './load.js';
import { positionCapsOf } from './caps.js';

export interface ExplainedValue {
  key: string;
  env: string;
  value: ConfigValue;
  source: ConfigSource;
  /** the source as people read it: `profile kalshi`, `preset aggressive`, `file x.yaml`, `command demo`, `env` */
  sourceLabel: string;
  default: ConfigValue;
  type: ConfigSpec['type'];
  unit: string;
  group: string;
  seed: SeedRef;
  liveSafe: boolean;
  meaning: string;
  min?: number;
  max?: number;
  safeMin?: number;
  safeMax?: number;
  values?: readonly string[];
  aliasOf?: string;
  /**
   * For a derived cap (MM_MAX_LONG_POS / MM_MAX_SHORT_POS): the cap in force (caps.ts
   * positionCapsOf), the key that binds it and that key's source; e.g. an unset long cap
   * (value -1) with MM_MAX_POS=8 from env is { contracts: 8, boundBy: 'MM_MAX_POS', source: 'env' }.
   */
  effective?: { contracts: number; boundBy: string; source: ConfigSource; sourceLabel: string };
}

export interface ExplainedConfig {
  file: string | null;
  preset: string;
  /** the market profile applied (MM_MARKET_PROFILE) */
  profile: string;
  /** the command whose defaults were applied, or null */
  command: string | null;
  warnings: string[];
  entries: ExplainedValue[];
}

function showValue(v: ConfigValue): string {
  if (typeof v === 'string') return v === '' || /\s/.test(v) ? JSON.stringify(v) : v;
  return String(v);
}

/** Machine-readable explain output (JSON-serialisable). */
export function explainConfigJson(loaded: LoadedConfig): ExplainedConfig {
  const entries: ExplainedValue[] = [];
  const caps = positionCapsOf(loaded.values);
  const capOf: Record<string, { contracts: number; key: string }> = { MM_MAX_LONG_POS: caps.long, MM_MAX_SHORT_POS: caps.short };
  for (const raw of CONFIG_SPECS) {
    const s = raw as ConfigSpec;
    const e: ExplainedValue = {
      key: s.key, env: s.env,
      value: (loaded.values as unknown as Record<string, ConfigValue>)[s.key],
      source: loaded.sources[s.key],
      sourceLabel: describeSource(loaded, s.key),
      default: s.default, type: s.type, unit: s.unit, group: s.group, seed: s.seed,
      liveSafe: s.liveSafe,
      // a value of market time runs kmm_time_scale x faster in a time-compressed demo (market-time.ts)
      meaning: s.marketTime === 'duration' ? `${s.meaning} [market time]` : s.marketTime === 'sigma' ? `${s.meaning} [per root second of market time]` : s.meaning,
    };
    if (s.type === 'number' || s.type === 'int') {
      e.min = s.min; e.max = s.max;
      // the safe range in force: the profile's own where it has one (PROFILE_SAFE_RANGES), else the seed's
      const safe = safeRangeOf(s, loaded.profile);
      if (safe && Number.isFinite(safe.min)) e.safeMin = safe.min;
      if (safe && Number.isFinite(safe.max)) e.safeMax = safe.max;
    }
    if (s.type === 'enum') e.values = s.values;
    if (s.aliasOf) e.aliasOf = s.aliasOf;
    const cap = capOf[s.key];
    if (cap) e.effective = { contracts: cap.contracts, boundBy: cap.key, source: loaded.sources[cap.key], sourceLabel: describeSource(loaded, cap.key) };
    entries.push(e);
  }
  return { file: loaded.file ?? null, preset: loaded.preset, profile: loaded.profile, command: loaded.command ?? null, warnings: loaded.warnings.slice(), entries };
}

/** Aligned text table, one section per group in registry order. */
export function explainConfig(loaded: LoadedConfig): string {
  const data = explainConfigJson(loaded);
  // a derived cap shows the cap in force and which key (and source) set it: `5  = MM_MAX_POS (default)`
  const rows = data.entries.map((e) => [
    e.key,
    e.effective ? String(e.effective.contracts) : showValue(e.value),
    e.effective && e.effective.boundBy !== e.key ? `= ${e.effective.boundBy} (${e.effective.sourceLabel})` : e.sourceLabel,
    e.unit,
    (e.liveSafe ? '' : '[restart] ') + e.meaning,
  ]);
  const head = ['KEY', 'VALUE', 'SOURCE', 'UNIT', 'MEANING'];
  const width = [0, 1, 2, 3].map((i) => Math.max(head[i].length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]): string => r.map((c, i) => (i < 4 ? c.padEnd(width[i]) : c)).join('  ').trimEnd();

  const out: string[] = [];
  const cmd = data.command ? `, command: ${data.command}` : '';
  out.push(`# KMM effective configuration (file: ${data.file ?? 'none'}, profile: ${data.profile}, preset: ${data.preset}${cmd}, ${rows.length} keys)`);
  out.push('# precedence: default < profile < preset < command < file < env < cli; [restart] = not changeable while running');
  let group = '';
  for (let i = 0; i < rows.length; i++) {
    const e = data.entries[i];
    if (e.group !== group) {
      group = e.group;
      out.push('');
      out.push(`## ${group} (seed ${e.seed})`);
      out.push(line(head));
    }
    out.push(line(rows[i]));
  }
  if (data.warnings.length > 0) {
    out.push('');
    out.push('## warnings');
    for (const w of data.warnings) out.push('- ' + w);
  }
  return out.join('\n') + '\n';
}
