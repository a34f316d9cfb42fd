/**
 * Live configuration updates (Control CONFIG_UPDATE).
 *
 * Role: check a set of changes against the running configuration before anything applies them.
 * Only `liveSafe` keys may change (spread, skew, size, reprice knobs ...); keys, environment, shard
 * count and the like need a restart. Returns a typed result, never throws: a rejected update is an
 * operating error, not a crash. All-or-nothing: any error rejects the whole update.
 */
import { ConfigError } from './errors.js';
import { checkRelations, resolveConfigName, type LoadedConfig } from './load.js';
import { CONFIG_SPECS, type ConfigSpec, type ConfigValue, type KmmConfig } from './specs.js';
import { parseValue, showRaw, unsafeReason } from './values.js';
import { SIDE_CAP_UNSET } from './caps.js';

export interface ConfigChange {
  key: string;
  from: ConfigValue;
  to: ConfigValue;
}

export type LiveUpdateResult =
  | { ok: true; values: KmmConfig; changes: ConfigChange[]; warnings: string[] }
  | { ok: false; errors: ConfigError[] };

/**
 * Validate `changed` (keys or env names -> typed values or strings) against `current`.
 * `source` names who asked (e.g. 'control', 'dashboard') and appears in messages.
 */
export function validateLiveUpdate(current: LoadedConfig, changed: Record<string, unknown>, source: string): LiveUpdateResult {
  return validateLiveChange(current.values, changed, source);
}

/**
 * The same check against a bare effective configuration: what an actor holding a `KmmConfig`
 * uses for a CONFIG_UPDATE, so the live-safe set is the registry's `liveSafe` flags everywhere.
 */
export function validateLiveChange(current: Readonly<KmmConfig>, changed: Record<string, unknown>, source: string): LiveUpdateResult {
  const errors: ConfigError[] = [];
  const cur = current as unknown as Record<string, ConfigValue>;
  const next: Record<string, ConfigValue> = { ...cur };
  const touched = new Set<string>();
  for (const [name, raw] of Object.entries(changed)) {
    const spec = resolveConfigName(name, true);
    if (!spec) {
      errors.push(new ConfigError(name, showRaw(raw), 'a known configuration key', source));
      continue;
    }
    if (!spec.liveSafe) {
      errors.push(new ConfigError(name, showRaw(raw),
        `a key that can change while running; ${spec.key} takes effect only at restart (current ${showRaw(cur[spec.key])})`, source));
      continue;
    }
    const r = parseValue(spec, raw);
    if (!r.ok) { errors.push(new ConfigError(name, showRaw(raw), r.allowed, source)); continue; }
    const key = spec.aliasOf ?? spec.key;
    next[key] = r.value;
    touched.add(key);
  }
  if (errors.length === 0) {
    const rank = (k: string): number => (touched.has(k) ? 1 : 0);
    const sourceOf = (k: string): string => (touched.has(k) ? source : 'current config');
    errors.push(...checkRelations(next, sourceOf, rank));
  }
  if (errors.length > 0) return { ok: false, errors };

  const changes: ConfigChange[] = [];
  const warnings: string[] = [];
  for (const raw of CONFIG_SPECS) {
    const s = raw as ConfigSpec;
    if (s.aliasOf) next[s.key] = next[s.aliasOf];
    if (next[s.key] !== cur[s.key]) changes.push({ key: s.key, from: cur[s.key], to: next[s.key] });
    if (!s.aliasOf && touched.has(s.key)) {
      const why = unsafeReason(s, next[s.key], String(next.MM_MARKET_PROFILE));
      if (why) warnings.push(`${s.key}=${showRaw(next[s.key])} (from ${source}) is ${why}`);
    }
  }
  return { ok: true, values: next as unknown as KmmConfig, changes, warnings };
}

/**
 * Live-safe limits where a higher value means more risk: position caps, notional caps, order
 * sizes and counts. A live reload applies a change that lowers one at once and holds a change
 * that raises one until the operator acknowledges it (`kmm ack-config`, the dashboard). The kill
 * switch (kmm_order_group_contracts_limit) is not live-safe: a change to it is refused until
 * restart anyway. kmm_max_order_contracts is an alias of fat_finger_max_contracts (one size).
 */
export const RISK_LIMIT_KEYS: readonly string[] = [
  'MM_MAX_POS', 'MM_MAX_LONG_POS', 'MM_MAX_SHORT_POS', 'MM_MAX_POSITION_SIZE',
  'MM_MAX_ORDER_NOTIONAL_USD', 'MM_MAX_POSITION_NOTIONAL_USD', 'MM_MAX_TOTAL_NOTIONAL_USD', 'MM_MAX_EVENT_LOSS_USD', 'MM_MAX_TOTAL_LOSS_USD', 'MM_ORDER_SIZE_MULTIPLIER', 'MM_NUM_PRICE_LEVELS',
  'max_inventory', 'max_position_size', 'quote_size', 'fat_finger_max_contracts', 'max_markets',
];
const RISK_LIMITS = new Set(RISK_LIMIT_KEYS);
const SIDE_CAP_KEYS = new Set(['MM_MAX_LONG_POS', 'MM_MAX_SHORT_POS']);
/** caps whose 0 means off (the loosest value) */
const ZERO_IS_OFF_KEYS = new Set(['MM_MAX_TOTAL_NOTIONAL_USD', 'MM_MAX_EVENT_LOSS_USD', 'MM_MAX_TOTAL_LOSS_USD']);

/** True when `c` raises a risk limit (see RISK_LIMIT_KEYS): it needs the operator's acknowledgement. */
export function raisesRisk(c: ConfigChange): boolean {
  if (!RISK_LIMITS.has(c.key) || typeof c.from !== 'number' || typeof c.to !== 'number') return false;
  // an unset side cap (SIDE_CAP_UNSET) does not tighten its side, nor does a total cap of 0 (off):
  // each is the loosest value
  const loose = (x: number): number =>
    (SIDE_CAP_KEYS.has(c.key) && x === SIDE_CAP_UNSET) || (ZERO_IS_OFF_KEYS.has(c.key) && x === 0) ? Infinity : x;
  return loose(c.to) > loose(c.from);
}
