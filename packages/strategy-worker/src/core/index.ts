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
export { strategyParamsOf, type StrategyParams } from './params.js';
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
  chooseTaker,
  bailoutFor,
  makerBailoutCapCenti,
  latchMakerCap,
  type TakerMarket,
  type TakerContext,
  type TakerChoice,
  type BailoutInput,
  type BailoutResult,
} from './taker.js';
export { selectMarkets, liquidityMoney, volume24hCenti, isTradable, type SelectionMarket, type SelectionParams, type Selection, type SelectionCounts } from './selection.js';
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
} from './emission.js';
export { detectSweep, closePhase, widenSide, type JumpParams, type Sweep, type ClosePhase } from './jump.js';
export { parseExternalFairValues, type FeedParseResult } from './feed.js';
export { NaiveQuoter, naivePrice, quotingCoreOf, NAIVE_OFFSET, type QuotingCore } from './naive.js';
