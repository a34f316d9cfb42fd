/**
 * Position caps: the one derivation of the per-market, per-side contract caps.
 *
 * Role: strategy (quote sizing, skew, start-up check, takers), exec (pre-flight, reconcile),
 * the limit rules (limits.ts), the kill-switch sizing and `kmm config explain` all read the caps
 * through `positionCapsOf`, so a cap means the same thing everywhere.
 *
 * Meaning (issue 15): `MM_MAX_POS` is the hard cap in both directions. `MM_MAX_LONG_POS` /
 * `MM_MAX_SHORT_POS` default to `SIDE_CAP_UNSET` (-1): unset, the side follows MM_MAX_POS; set
 * (0 or more), the side cap tightens that side (0 = that side only ever reduces). A side cap above
 * MM_MAX_POS cannot loosen it. The side's cap is then the tightest of those and of
 * MM_MAX_POSITION_SIZE, max_position_size and max_inventory (the user-set side cap is named
 * first, so it wins a tie).
 *
 * Inputs: effective values (registry key -> value). Outputs: caps in contracts and centi-contracts
 * (the wire's count unit), each naming the key that binds it. Pure; no I/O.
 */
import type { ConfigValue } from './specs.js';

type Values = Readonly<Record<string, ConfigValue>>;

/** The side-cap value that means "not set: follow MM_MAX_POS" (the registry default). */
export const SIDE_CAP_UNSET = -1;

const CENTI_PER_CONTRACT = 100;

/** A contract cap and the key that sets it (the tightest one; the first listed wins ties). */
export interface BindingLimit {
  contracts: number;
  /** how to name it in a message, e.g. `MM_MAX_POS 5` */
  text: string;
  /** the registry key that binds */
  key: string;
}

/** Both sides' caps: contracts with the binding key, and the same in centi-contracts. */
export interface PositionCaps {
  long: BindingLimit;
  short: BindingLimit;
  longCenti: number;
  shortCenti: number;
}

/** Caps every side shares besides MM_MAX_POS (the 004 and 002 contract limits). */
const COMMON_CAP_KEYS = ['MM_MAX_POSITION_SIZE', 'max_position_size', 'max_inventory'] as const;

/** Every key positionCapsOf reads (the limit rules blame among them). */
export const POSITION_CAP_KEYS = ['MM_MAX_POS', 'MM_MAX_LONG_POS', 'MM_MAX_SHORT_POS', ...COMMON_CAP_KEYS] as const;

function tightest(v: Values, keys: readonly string[]): BindingLimit {
  let best: BindingLimit = { contracts: Infinity, text: '', key: '' };
  for (const k of keys) {
    const c = Number(v[k]);
    if (c < best.contracts) best = { contracts: c, text: `${k} ${c}`, key: k };
  }
  return best;
}

/** True when a side cap key holds a user (or preset) value rather than "follow MM_MAX_POS". */
export function sideCapIsSet(v: Values, key: 'MM_MAX_LONG_POS' | 'MM_MAX_SHORT_POS'): boolean {
  return Number(v[key]) !== SIDE_CAP_UNSET;
}

function sideCap(v: Values, key: 'MM_MAX_LONG_POS' | 'MM_MAX_SHORT_POS'): BindingLimit {
  return tightest(v, [...(sideCapIsSet(v, key) ? [key] : []), 'MM_MAX_POS', ...COMMON_CAP_KEYS]);
}

/** The per-side position caps of one market (see the module header for their meaning). */
export function positionCapsOf(v: Values): PositionCaps {
  const long = sideCap(v, 'MM_MAX_LONG_POS');
  const short = sideCap(v, 'MM_MAX_SHORT_POS');
  return {
    long, short,
    longCenti: Math.round(long.contracts * CENTI_PER_CONTRACT),
    shortCenti: Math.round(short.contracts * CENTI_PER_CONTRACT),
  };
}
