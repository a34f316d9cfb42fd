/**
 * @kmm/strategy-worker: the strategy actor. The pure core (pricing, KMM-v2 takers and queue
 * logic, risk gates) is exported for tests, backtests and benchmarks; the worker entry is
 * `@kmm/strategy-worker/shell` (src/shell/main.ts).
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
} from './core/strategy.js';
export { strategyParamsOf, type StrategyParams } from './core/params.js';
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
  queueOptimise,
  QuoteResult,
  PRICE_ONE,
  type QuoteInputs,
  type PricingParams,
  type Regime,
  type Trace,
  type QueueAction,
  type QueueParams,
  type QueueOutcome,
} from './core/pricing.js';
export { gateSide, startupBreaches, notionalCapCenti, type SideGateInput, type SideGateResult, type BreachedMarket } from './core/risk.js';
export {
  breachSize,
  bailout,
  reduceSize,
  takerLimit,
  arbitrageDirection,
  toxicitySpike,
  takerFeePerContract,
  conservativeReducePosition,
  chooseTaker,
  type TakerMarket,
  type TakerContext,
  type TakerChoice,
  type BailoutInput,
  type BailoutResult,
} from './core/taker.js';
export { selectMarkets, liquidityMoney, volume24hCenti, isTradable, type SelectionMarket, type SelectionParams, type Selection, type SelectionCounts } from './core/selection.js';
export {
  emitAction,
  buildTarget,
  recordEmitted,
  reasonText,
  queueText,
  decisionRecord,
  TargetReason,
  LastTarget,
  type QuoteLevels,
  type EmissionParams,
  type EmitAction,
  type DecisionContext,
} from './core/emission.js';
export { parseExternalFairValues, type FeedParseResult } from './core/feed.js';
