/**
 * @kmm/sim: a local Kalshi exchange (REST + websocket + auth + rate limits + matching + fees +
 * seeded synthetic flow + fault injection). Public API for the app, tests and benchmarks.
 */
export { startSim, DEMO_USER, type SimOptions, type SimHandle, type SimRecords, type SimQueueAtFill, type SimFaults } from './server/sim.js';
export {
  MemoryExchange,
  MEMORY_REST_BASE_URL,
  MEMORY_WS_PATH,
  WS_ABNORMAL_CLOSE,
  type MemoryExchangeOptions,
  type MemoryRestRequest,
  type MemoryRestResponse,
  type MemoryWsHandlers,
  type MemoryWsConn,
  type MemoryWsState,
  type MemoryExchangeStats,
} from './memory/exchange.js';
export { ManualScheduler } from './memory/scheduler.js';
export { afterOn, realAfter, type Scheduler, type After } from './server/timers.js';
export type { RestOutcome } from './server/rest.js';
export type { VenueOptions } from './server/assemble.js';
export { marketTimeScale } from './server/assemble.js';
export { startSimThread, startSimProcess, type SimThreadHandle } from './server/thread.js';
export { defaultFaults, checkFaults, type FaultConfig } from './server/faults.js';
export { TIERS, ENDPOINT_COSTS, RateLimiter } from './server/ratelimit.js';
export { KeyRegistry } from './server/auth.js';
export { Engine, LIMITS, type EngineOptions, type NewOrder, type OrderResult, type MarketState } from './engine/engine.js';
export { Book } from './engine/book.js';
export type * from './engine/types.js';
export { FlowDriver, FLOW_RATES, FLOW_USERS } from './flow/flow.js';
export * from './replay/index.js';
export { buildCatalog, SERIES, priceStructureBands, type CatalogMarket } from './flow/catalog.js';
export { DEFAULT_READ_LAG, NO_READ_LAG, ReadLag, checkReadLag, type ReadLagOptions } from './server/readlag.js';
export { shardOfSeries, SHARD_COUNT } from './engine/shards.js';
export { CLIENT_ID_LOG, readClientIdLog, openClientIdLog } from './server/clientids.js';
export { weeklyMaintenanceAt, MAINTENANCE } from './engine/schedule.js';
export { type MarketFlow } from './flow/flow.js';
export { validateProfile, ProfileError, type MarketProfile, type ProfileSpec } from './profiles/profile.js';
export { BUILTIN_PROFILES } from './profiles/builtin.js';
export { resolveProfile, PROFILE_NAMES } from './profiles/load.js';
