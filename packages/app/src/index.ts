/** @kmm/app: the command-line app's building blocks (system, report, dashboard, metrics). */
export * from './report/index.js';
export * from './dashboard/index.js';
export * from './metrics/index.js';
export { startSystem, defaultShards, type RunningSystem, type SystemOptions, type ExchangeEndpoints } from './system/system.js';
export { Monitor, type RunSummary } from './system/monitor.js';
export { buildTopology, shellScript } from './system/topology.js';
export { fetchMarkets, marketInfoFromVenue } from './system/markets.js';
export { runDemo, loadDemoConfig, type DemoOptions, type DemoResult } from './commands/demo.js';
export { runChaos, checkChaosInvariants, RECOVERY_BOUND_S, type ChaosResult, type ChaosOptions, type InvariantInput } from './proof/chaos.js';
export { runLatencyBench, runScaleBench, measureFloor, type LatencyResult } from './proof/bench.js';
export { runDst, dstConfig, DST_CHECKS, DST_FAULT_KINDS, DST_START_WALL_MS, DST_DEFAULT_SPEED, SHUTDOWN_FAULT_KINDS, type DstOptions, type DstResult, type DstView, type DstCheck, type DstBug, type DstFaultKind, type ShutdownFault, type ShutdownFaultKind } from './dst/world.js';
export { ShutdownController, SignalPolicy, describeShutdown, FORCE_AFTER, FORCE_WINDOW_MS, FORCED_EXIT_CODE } from './system/shutdown.js';
export { runDstSeeds, reproduceCommand, type DstSummary, type DstRunOptions } from './cli/dst.js';
export { runClusterChaos, FAILOVER_BOUND_S, type ClusterChaosResult, type KillRecord } from './proof/cluster-chaos.js';
export { eventLossBreaches } from './proof/chaos.js';
export { findNatsServer, NATS_INSTALL_HINT } from '@kmm/cluster';
