/**
 * `kmm node` and `kmm cluster up|status|kill`: the cluster's control plane on NATS
 * (commands/cluster.ts, @kmm/cluster). A node runs until SIGINT/SIGTERM and then gives its
 * leases up, so a standby takes over at once.
 */
import { Command, InvalidArgumentError } from 'commander';
import { DEFAULT_TIMING, checkClusterName, checkNodeId, type NodeRole } from '@kmm/cluster';
import { NODE_ROLES, clusterStatus, clusterUp, defaultNodeId, formatStatus, killCommand, runNode } from '../commands/cluster.js';
import { join, resolve } from 'node:path';
import { cliFromAssignments, loadConfig } from '@kmm/shared';
import { discoverClusterMarkets, readClusterMarkets } from '../commands/cluster-trade.js';
import { assignment, decimal, wholeNumber, type CliContext } from './options.js';
import { runClusterChaos } from '../proof/cluster-chaos.js';

function roles(value: string): NodeRole[] {
  const out = value.split(',').map((s) => s.trim());
  for (const r of out) if (!(NODE_ROLES as readonly string[]).includes(r)) throw new InvalidArgumentError(`--role must be a comma-separated list of ${NODE_ROLES.join(', ')}, got '${r}'`);
  return out as NodeRole[];
}
function shards(value: string): number[] {
  const parts = value.split(',').map((s) => s.trim());
  return parts.map((p) => {
    if (!/^\d+$/.test(p) || Number(p) > 63) throw new InvalidArgumentError(`--shard must be exchange shard numbers 0..63 (comma-separated; 0 = the catch-all shard), got '${p}'`);
    return Number(p);
  });
}
function clusterName(value: string): string {
  try {
    return checkClusterName(value);
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
}
function nodeId(value: string): string {
  try {
    return checkNodeId(value);
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
}

const leaseMsOption = ['--lease-ms <n>', 'lease length: the max age of the leases bucket (a dead gateway is replaced within about this long)', wholeNumber('--lease-ms', 100, 600_000), DEFAULT_TIMING.leaseMs] as const;

export function nodeCommand(cli: CliContext): Command {
  return new Command('node')
    .description('run one cluster node (control plane: heartbeat, leases, event assignment, kill switch) until SIGINT/SIGTERM')
    .requiredOption('--nats <url>', 'NATS server URL, e.g. nats://10.0.0.5:4222')
    .option('--role <roles>', `comma-separated roles: ${NODE_ROLES.join(', ')}`, roles, ['strategy'] as NodeRole[])
    .option('--shard <list>', 'exchange shards a gateway serves (comma-separated, 1-based)', shards, [1])
    .option('--cluster <name>', 'cluster name (prefix of its subjects and KV buckets)', clusterName, 'kmm')
    .option('--id <id>', 'node id (default: host-pid)', nodeId)
    .option('--markets <n>', 'markets of the seeded sim catalogue the assigner distributes (risk role)', wholeNumber('--markets', 1, 100_000), 40)
    .option('--seed <n>', 'seed of the sim catalogue', wholeNumber('--seed', 0, 2 ** 32 - 1), 1)
    .option(...leaseMsOption)
    .option('--rest <url>', 'trade: the exchange REST base URL (with --ws, --key-id, --private-key)')
    .option('--ws <url>', 'trade: the exchange websocket URL')
    .option('--key-id <id>', 'trade: API key id')
    .option('--private-key <file>', 'trade: API private key (PEM)')
    .option('--markets-file <file>', "trade: the cluster's market list (JSON {markets, shardOf}; `kmm cluster up` writes one); default: discover --markets open markets")
    .option('--out <dir>', 'trade: run folder of this node (gateway and strategy logs, tapes)')
    .option('--set <key=value>', 'config override, repeatable', assignment)
    .action(async (o) => {
      const tradeFlags = [o.rest, o.ws, o.keyId, o.privateKey].filter((x) => x !== undefined).length;
      if (tradeFlags !== 0 && tradeFlags !== 4) throw new InvalidArgumentError('to trade, a node needs all of --rest, --ws, --key-id and --private-key');
      const loaded = tradeFlags === 4 ? loadConfig({ env: process.env, cli: cliFromAssignments(o.set ?? []) }) : null;
      const trade = loaded
        ? {
            exchange: { restBaseUrl: o.rest, wsUrl: o.ws, keyId: o.keyId, privateKeyPath: o.privateKey },
            markets: o.marketsFile ? readClusterMarkets(o.marketsFile) : await discoverClusterMarkets(o.rest, o.markets),
            config: loaded.values as unknown as Record<string, unknown>,
            // keys the operator set: the gateway's per-shard splits (loss cap, read bucket) keep them
            explicit: new Set(Object.keys(loaded.sources).filter((k) => loaded.sources[k] !== 'default')),
            runDir: resolve(o.out ?? join('runs', `node-${o.id ?? defaultNodeId()}`)),
          }
        : undefined;
      const node = await runNode({
        natsUrl: o.nats,
        cluster: o.cluster,
        id: o.id ?? defaultNodeId(),
        roles: o.role,
        shards: o.shard,
        timing: { leaseMs: o.leaseMs, nodeMs: o.leaseMs },
        markets: o.markets,
        seed: o.seed,
        log: cli.out,
        trade,
      });
      const stop = (): void => void node.stop();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      await node.done;
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
    });
}

export function clusterCommand(cli: CliContext): Command {
  const cmd = new Command('cluster').description('a KMM cluster on NATS: start one locally, show its state, trip its kill switch');
  cmd.addCommand(
    new Command('up')
      .description('a local cluster trading against the simulator: the sim, a loopback nats-server (unless --nats) and N nodes with every role, until SIGINT/SIGTERM or --duration')
      .option('--nodes <n>', 'node processes', wholeNumber('--nodes', 1, 16), 3)
      .option('--nats <url>', 'use this NATS server instead of starting one')
      .option('--cluster <name>', 'cluster name', clusterName, 'kmm')
      .option('--markets <n>', 'markets of the simulator the cluster trades', wholeNumber('--markets', 1, 100_000), 40)
      .option('--seed <n>', 'simulator seed', wholeNumber('--seed', 0, 2 ** 32 - 1), 1)
      .option('--speed <x>', 'simulator flow intensity', decimal('--speed', 0.1, 100), 3)
      .option('--duration <s>', 'stop after this many seconds (0: run until stopped)', wholeNumber('--duration', 0, 86_400), 0)
      .option('--out <dir>', 'run folder (node logs, tapes, the market list, the NATS store)')
      .option('--set <key=value>', 'config override for every node, repeatable', assignment)
      .option('--verbose', 'print every node line', false)
      .option('--dashboard-port <p>', 'web dashboard (the cluster panel) on 127.0.0.1, this port; 0 = any free port', wholeNumber('--dashboard-port', 0, 65535), 0)
      .option('--no-dashboard', 'do not serve the web dashboard')
      .option(...leaseMsOption)
      .action(async (o) => {
        await clusterUp({
          dashboard: o.dashboard,
          dashboardPort: o.dashboardPort,
          nodes: o.nodes,
          natsUrl: o.nats,
          cluster: o.cluster,
          markets: o.markets,
          seed: o.seed,
          speed: o.speed,
          leaseMs: o.leaseMs,
          out: o.out,
          set: cliFromAssignments(o.set ?? []) as Record<string, string>,
          durationS: o.duration,
          verbose: o.verbose,
          log: cli.out,
        });
      }),
  );
  cmd.addCommand(
    new Command('chaos')
      .description('the cluster against the simulator with the active gateway, a strategy node and the NATS server killed at seeded times; then the chaos invariants against the exchange and failover_s per kill')
      .option('--nodes <n>', 'node processes', wholeNumber('--nodes', 2, 16), 3)
      .option('--duration <s>', 'seconds of the kill phase (after the warm-up)', wholeNumber('--duration', 6, 86_400), 90)
      .option('--seed <n>', 'seed of the simulator and of the kill schedule', wholeNumber('--seed', 0, 2 ** 31 - 1), 1)
      .option('--markets <n>', 'markets of the simulator', wholeNumber('--markets', 1, 2000), 24)
      .option('--speed <x>', 'simulator flow intensity', decimal('--speed', 0.1, 100), 3)
      .option('--lease-ms <n>', 'lease length (failover takes about this long plus the reconcile)', wholeNumber('--lease-ms', 500, 60_000), 2000)
      .option('--out <dir>', 'run folder')
      .option('--set <key=value>', 'config override for every node, repeatable', assignment)
      .option('--json', 'print the result as one JSON object', false)
      .action(async (o) => {
        const r = await runClusterChaos({ nodes: o.nodes, durationS: o.duration, seed: o.seed, markets: o.markets, speed: o.speed, leaseMs: o.leaseMs, out: o.out, set: cliFromAssignments(o.set ?? []) as Record<string, string>, progress: cli.err });
        if (o.json) cli.out(JSON.stringify(r));
        else {
          for (const k of r.kills) cli.out(`kill ${k.kind.padEnd(8)} at ${k.at_s} s: failover ${k.failover_s ?? 'none'} s  (${k.detail})`);
          cli.out(`orders ${r.orders_exchange}, fills ${r.fills_exchange} (journal ${r.fills_journal}), cap breaches ${r.cap_breaches}, event/account ${r.event_cap_breaches}/${r.account_cap_breaches}, resting after stop ${r.orders_resting_after_shutdown}, reused ids ${r.duplicate_client_order_ids}, past expiry ${r.orders_resting_past_expiry}`);
          for (const p of r.problems) cli.out(`problem: ${p}`);
          cli.out(r.ok ? 'ok' : 'NOT ok');
        }
        cli.exitCode = r.ok ? 0 : 1;
      }),
  );
  cmd.addCommand(
    new Command('status')
      .description('the cluster panel: every node (roles, leases held, load, last heartbeat), lease holders, the event assignment, the kill switch and the risk aggregator (P&L, drawdown, allowances)')
      .requiredOption('--nats <url>', 'NATS server URL')
      .option('--cluster <name>', 'cluster name', clusterName, 'kmm')
      .option('--json', 'print one JSON object', false)
      .option(...leaseMsOption)
      .action(async (o) => {
        const s = await clusterStatus(o.nats, o.cluster, { leaseMs: o.leaseMs, nodeMs: o.leaseMs });
        if (o.json) cli.out(JSON.stringify(s));
        else for (const l of formatStatus(s)) cli.out(l);
      }),
  );
  cmd.addCommand(
    new Command('kill')
      .description('trip the kill switch (every gateway cancels everything on its shard), or --clear it')
      .requiredOption('--nats <url>', 'NATS server URL')
      .requiredOption('--reason <text>', 'why (recorded in the switch)')
      .option('--cluster <name>', 'cluster name', clusterName, 'kmm')
      .option('--clear', 'clear the switch instead', false)
      .option(...leaseMsOption)
      .action(async (o) => {
        await killCommand(o.nats, o.cluster, { leaseMs: o.leaseMs, nodeMs: o.leaseMs }, o.reason, o.clear);
        cli.out(o.clear ? 'kill switch cleared' : `kill switch tripped: ${o.reason}`);
      }),
  );
  return cmd;
}
