/**
 * @kmm/cluster: KMM past one machine, on NATS (core, JetStream, KV; nats-server 2.9.x).
 * The single-process system does not use this package; a cluster node does.
 *
 *   core/subjects.ts   every subject, bucket and key name
 *   core/lease.ts      the lease state machine (pure)
 *   core/assign.ts     event -> strategy node assignment (pure)
 *   core/journal-ids.ts  JetStream de-duplication ids of journal records (pure)
 *   shell/transport.ts actor envelopes over NATS (publish, request/reply, conflated market data, worker bridge)
 *   shell/buckets.ts   the KV buckets
 *   shell/lease.ts     LeaseKeeper (gateway per exchange shard, risk aggregator, assigner)
 *   shell/nodes.ts     heartbeats, live nodes, the assigner, the assignment watch
 *   shell/kill.ts      the kill switch (KV key + broadcast)
 *   core/risk.ts       gateway figures, account P&L, drawdown, worst case per event, allowances (pure)
 *   shell/risk.ts      RiskAggregator (risk lease: allowances to KV, trips the kill switch), AllowanceWatch, EventAllowanceWatch
 *   shell/gateway.ts   GatewayController: one active order gateway per exchange shard (lease, journal-first activation, kill switch, cancel-before-stop)
 *   shell/exec-host.ts ExecGatewayHost: the exec actor (worker thread, gateway-worker.ts) as a shard's gateway
 *   shell/strategy-host.ts StrategyNodeHost: ingest, book and strategy of a node's events, 'exec' bridged to each market's gateway
 *   shell/journal-stream.ts  a shard's order journal as a JetStream stream (dedup by client order id / trade id)
 *   shell/nats-server.ts  start/stop a local nats-server (tests, `kmm cluster up`)
 */
export * from './core/subjects.js';
export * from './core/lease.js';
export * from './core/assign.js';
export * from './shell/transport.js';
export * from './shell/buckets.js';
export * from './shell/lease.js';
export * from './shell/nodes.js';
export * from './shell/kill.js';
export * from './core/risk.js';
export * from './shell/risk.js';
export * from './core/journal-ids.js';
export * from './shell/journal-stream.js';
export * from './shell/gateway.js';
export * from './shell/exec-host.js';
export * from './shell/strategy-host.js';
export * from './shell/nats-server.js';
export { connect, type NatsConnection } from '@nats-io/transport-node';
