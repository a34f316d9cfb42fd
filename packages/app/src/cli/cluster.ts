/**
 * `kmm node` and `kmm cluster up|status|kill`: the cluster's control plane on NATS
 * (commands/cluster.ts, @kmm/cluster). A node runs until SIGINT/SIGTERM and then gives its
 * leases up, so a standby takes over at once.
 */
import { Command, InvalidArgumentError } from 'commander';
import { DEFAULT_TIMING, checkClusterName, checkNodeId, type NodeRole } from '@kmm/cluster';
import { NODE_ROLES, clusterStatus, clusterUp, defaultNodeId, formatStatus, killCommand, runNode } from '../commands/cluster.js';
import { wholeNumber, type CliContext } from './options.js';

function roles(value: string): NodeRole[] {
  const out = value.split(',').map((s) => s.trim());
  for (const r of out) if (!(NODE_ROLES as readonly string[]).includes(r)) throw new InvalidArgumentError(`--role must be a comma-separated list of ${NODE_ROLES.join(', ')}, got '${r}'`);
  return out as NodeRole[];
}
function shards(value: string): number[] {
  const parts = value.split(',').map((s) => s.trim());
  return parts.map((p) => {
    if (!/^\d+$/.test(p) || Number(p) < 1 || Number(p) > 64) throw new InvalidArgumentError(`--shard must be exchange shard numbers 1..64 (comma-separated), got '${p}'`);
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
    .action(async (o) => {
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
      .description('start a local cluster: a loopback nats-server (unless --nats) and N nodes with every role, until SIGINT/SIGTERM')
      .option('--nodes <n>', 'node processes', wholeNumber('--nodes', 1, 16), 3)
      .option('--nats <url>', 'use this NATS server instead of starting one')
      .option('--cluster <name>', 'cluster name', clusterName, 'kmm')
      .option('--shards <n>', 'exchange shards (one active gateway each)', wholeNumber('--shards', 1, 64), 2)
      .option('--markets <n>', 'markets of the seeded sim catalogue', wholeNumber('--markets', 1, 100_000), 40)
      .option('--seed <n>', 'seed of the sim catalogue', wholeNumber('--seed', 0, 2 ** 32 - 1), 1)
      .option('--duration <s>', 'stop after this many seconds (0: run until stopped)', wholeNumber('--duration', 0, 86_400), 0)
      .option(...leaseMsOption)
      .action(async (o) => {
        await clusterUp({
          nodes: o.nodes,
          natsUrl: o.nats,
          cluster: o.cluster,
          shards: o.shards,
          markets: o.markets,
          seed: o.seed,
          timing: { leaseMs: o.leaseMs, nodeMs: o.leaseMs },
          durationS: o.duration,
          log: cli.out,
        });
      }),
  );
  cmd.addCommand(
    new Command('status')
      .description('nodes (role, host, load, last heartbeat), lease holders, the event assignment and the kill switch')
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
