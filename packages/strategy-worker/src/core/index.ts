/**
 * @kmm/strategy-worker/core: the pure strategy core (pricing, KMM-v2 takers and queue logic,
 * risk gates, params, external fair-value parsing). No I/O is reachable from here: drivers other
 * than the worker shell (backtest, benchmarks) import this entry.
 */
export {
  StrategyCore,
  MARKETS_MAX,
  type Effects,
  type OpsEventOut,
  type OpsLevel,
  type ControlOut,
  type ExternalValue,
  type StrategyCoreOptions,
} from './strategy.js';
export {
  paramsFromConfig,
  parseParams,
  defaultConfigRecord,
  STRATEGY_KEYS,
  LIVE_SAFE_KEYS,
  PRESETS,
  ConfigError,
  type StrategyParams,
  type StrategyKey,
  type ParseResult,
} from './params.js';
export {
  computeQuotes,
  inventorySkewBps,
  stoikovShift,
  stoikovSpread,
  sigmaCentsPerSqrtS,
  horizonS,
  perTenAdjustment,
  reservationPrice,
  classifyRegime,
  gridAbove,
  gridBelow,
  QuoteResult,
  PRICE_ONE,
  type QuoteInputs,
  type PricingParams,
  type Regime,
  type Trace,
} from './pricing.js';
export { gateSide, startupBreaches, notionalCapCenti, type SideGateInput, type SideGateResult, type BreachedMarket } from './risk.js';
export {
  breachSize,
  bailout,
  reduceSize,
  takerLimit,
  arbitrageDirection,
  toxicitySpike,
  takerFeePerContract,
  conservativeReducePosition,
  type BailoutInput,
  type BailoutResult,
} from './taker.js';
export { parseExternalFairValues, type FeedParseResult } from './feed.js';
