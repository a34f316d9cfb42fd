/**
 * Limits that must agree with each other, and the exchange kill switch sized from them.
 *
 * Role: the one place where the position caps, the quote size, the takers' thresholds, the order
 * size caps and the order group's contracts limit are related. `CONFIG_LIMIT_RULES` is run by
 * `checkRelations` (so `loadConfig`, `resolveConfig` and live updates all refuse the same
 * contradictions: demo, run, paper, backtest and DST get one rule); `orderGroupContractsLimitFor`
 * is the one sizing of the kill switch (exec's parameters use it when the limit is left at 0).
 *
 * Inputs: a full set of effective values (registry key -> value). Outputs: messages naming every
 * key and value involved, e.g. `quote_size 10 > MM_MAX_POS 5 / 2`. Pure; no I/O.
 *
 * Not checkable here: the bailout's q* (taker.ts) depends on live volatility and fees, so it is a
 * run-time quantity; only the static thresholds (Q_critical, rebalance_threshold) are checked.
 */
import type { ConfigValue } from './specs.js';
import { POSITION_CAP_KEYS, positionCapsOf, type BindingLimit } from './caps.js';

export type { BindingLimit } from './caps.js';

type Values = Readonly<Record<string, ConfigValue>>;

/** Kalshi's order group window: filled contracts over a rolling 15 s (kalshi-api.md, order groups). */
export const ORDER_GROUP_WINDOW_MS = 15_000;
/** Cap-to-cap swings per market per window the kill switch allows (see orderGroupContractsLimitFor). */
export const ORDER_GROUP_SWINGS_PER_WINDOW = 2;
/** exec warns (`order_group_near_limit`) when the window's matched contracts reach this share of the limit */
export const ORDER_GROUP_ALERT_FRACTION = 0.8;
/** Kalshi's bounds on contracts_limit */
const ORDER_GROUP_LIMIT_MAX = 1_000_000;

/**
 * The per-side contract caps (caps.ts positionCapsOf: MM_MAX_POS unless a side cap is set, then
 * the tightest with MM_MAX_POSITION_SIZE, max_position_size and max_inventory).
 */
export function sideCaps(v: Values): { long: BindingLimit; short: BindingLimit } {
  const { long, short } = positionCapsOf(v);
  return { long, short };
}

/** The level-0 quote size in whole contracts as the strategy computes it (params.ts quoteSizeCenti). */
export function quoteSize(v: Values): BindingLimit {
  const mult = Number(v.MM_ORDER_SIZE_MULTIPLIER);
  const q = Number(v.quote_size);
  const sized = Math.floor(mult * q);
  const ff = Math.floor(Number(v.fat_finger_max_contracts));
  if (ff < sized) return { contracts: ff, text: `fat_finger_max_contracts ${ff}`, key: 'fat_finger_max_contracts' };
  return { contracts: sized, text: mult === 1 ? `quote_size ${q}` : `MM_ORDER_SIZE_MULTIPLIER ${mult} x quote_size ${q}`, key: mult === 1 ? 'quote_size' : 'MM_ORDER_SIZE_MULTIPLIER' };
}

/**
 * The exchange kill switch sized to risk, in contracts per rolling 15 s.
 *
 * What it counts: Kalshi's order group `contracts_limit` is the number of contracts *filled*
 * across all orders of the group (makers and takers, every market) over a rolling 15 s; when it
 * is exceeded the exchange cancels every order of the group and refuses new ones until a reset.
 *
 * What a run at its caps can legitimately trade: each market's position stays inside
 * [-short cap, +long cap], so every contract traded moves it inside that range. Going from one cap
 * to the other is (long + short) contracts; a price that runs through our quotes and back carries
 * a market across its whole range twice in a window. More than that is not market making: it is a
 * runaway (orders re-placed after fills, a double-counted position) or flow so fast that quoting is
 * adverse, and both are reasons to stop. Hence markets x 2 x (long cap + short cap). Sizing it
 * from turnover instead (the old demo value) let a normal run use 94 % of it.
 */
export function orderGroupContractsLimitFor(v: Values, markets = Number(v.kmm_markets)): number {
  const { long, short } = sideCaps(v);
  const perMarket = ORDER_GROUP_SWINGS_PER_WINDOW * (long.contracts + short.contracts);
  return Math.max(1, Math.min(ORDER_GROUP_LIMIT_MAX, Math.round(markets * perMarket)));
}

/** The order group limit a run uses: the configured one, or the risk sizing when it is 0 (auto). */
export function effectiveOrderGroupLimit(v: Values): number {
  const set = Number(v.kmm_order_group_contracts_limit);
  return set > 0 ? set : orderGroupContractsLimitFor(v);
}

/** One cross-field rule: the keys it reads (for blame) and the contradiction it finds, if any. */
export interface LimitRule {
  readonly id: string;
  readonly keys: readonly string[];
  /** null when coherent, else the message (names every key and value) */
  check(v: Values): string | null;
}

const CAP_KEYS = POSITION_CAP_KEYS;
const QUOTE_KEYS = ['quote_size', 'MM_ORDER_SIZE_MULTIPLIER', 'fat_finger_max_contracts'] as const;

/** The larger of the two side caps (the most position the maker may build on either side). */
function widerCap(v: Values): BindingLimit {
  const { long, short } = sideCaps(v);
  return long.contracts >= short.contracts ? long : short;
}

export const CONFIG_LIMIT_RULES: readonly LimitRule[] = [
  {
    // A full quote filled from flat must leave room for a second one, and a full quote filled at
    // the cap must not flip the position past zero (48 of 117 fills did, with 10 against a cap of 5).
    // A side whose cap is 0 only ever reduces, so it sets no bound.
    id: 'quote_size_vs_cap',
    keys: [...QUOTE_KEYS, ...CAP_KEYS],
    check(v) {
      const q = quoteSize(v);
      const { long, short } = sideCaps(v);
      for (const cap of [long, short]) {
        if (cap.contracts > 0 && q.contracts > cap.contracts / 2) {
          return `${q.text} > ${cap.text} / 2: a full quote filled at the cap would flip the position past zero; lower the quote size or raise the cap`;
        }
      }
      return null;
    },
  },
  {
    // |q| > Q_critical fires the impulse taker down to Q_target. Below the maker's cap, the maker
    // rebuilds what the taker just sold: the position churns between the two, paying taker fees.
    id: 'q_critical_vs_cap',
    keys: ['Q_critical', 'IMPULSE_CONTROL_ENABLED', ...CAP_KEYS],
    check(v) {
      if (v.IMPULSE_CONTROL_ENABLED !== true) return null;
      const cap = widerCap(v);
      const qc = Number(v.Q_critical);
      if (qc >= cap.contracts) return null;
      return `Q_critical ${qc} < ${cap.text}: the taker would sell positions the maker is allowed to build (churn); raise Q_critical or lower the cap`;
    },
  },
  {
    // 002's rebalance exit closes the whole position by a taker when |q| > rebalance_threshold
    // (0 = off); a taker needs IMPULSE_CONTROL_ENABLED (001), so without it nothing churns.
    id: 'rebalance_threshold_vs_cap',
    keys: ['rebalance_threshold', 'IMPULSE_CONTROL_ENABLED', ...CAP_KEYS],
    check(v) {
      if (v.IMPULSE_CONTROL_ENABLED !== true) return null;
      const rt = Number(v.rebalance_threshold);
      const cap = widerCap(v);
      if (rt <= 0 || rt >= cap.contracts) return null;
      return `rebalance_threshold ${rt} < ${cap.text}: the taker would exit positions the maker is allowed to build (churn); raise rebalance_threshold, set it to 0, or lower the cap`;
    },
  },
  {
    // An explicit kill switch below one market's cap-to-cap swing trips on ordinary trading.
    id: 'order_group_limit_vs_caps',
    keys: ['kmm_order_group_contracts_limit', 'kmm_order_group_enabled', ...CAP_KEYS],
    check(v) {
      const lim = Number(v.kmm_order_group_contracts_limit);
      if (v.kmm_order_group_enabled !== true || lim <= 0) return null;
      const { long, short } = sideCaps(v);
      if (lim >= long.contracts + short.contracts) return null;
      return `kmm_order_group_contracts_limit ${lim} < ${long.text} + ${short.text}: one market going from one cap to the other would trip the exchange kill switch; raise it or set 0 (sized to risk)`;
    },
  },
  {
    // Kalshi runs in real time: a mirror that refilled faster than the exchange would meet 429s
    id: 'time_scale_needs_sim',
    keys: ['kmm_time_scale', 'kmm_env'],
    check(v) {
      const scale = Number(v.kmm_time_scale ?? 1);
      return scale !== 1 && v.kmm_env !== 'sim' ? `kmm_time_scale ${scale} with kmm_env ${String(v.kmm_env)}: only the simulator compresses time; Kalshi runs at 1` : null;
    },
  },
];

/** Every contradiction among the limits, as [rule, message]. */
export function limitViolations(v: Values): Array<{ rule: LimitRule; message: string }> {
  const out: Array<{ rule: LimitRule; message: string }> = [];
  for (const rule of CONFIG_LIMIT_RULES) {
    const message = rule.check(v);
    if (message !== null) out.push({ rule, message });
  }
  return out;
}
