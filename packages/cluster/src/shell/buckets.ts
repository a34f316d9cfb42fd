/**
 * Opens (creating when absent) the cluster's KV buckets on a NATS connection. Names and keys:
 * core/subjects.ts. Every bucket keeps one value per key (history 1): a lease, a heartbeat, the
 * assignment and the kill switch are states, not logs. The leases and nodes buckets expire their
 * keys by max age: that is how a dead holder's lease and a dead node's heartbeat go away by
 * themselves (NATS 2.9 writes no marker when it expires a key, so watchers time it themselves).
 */
import type { NatsConnection } from '@nats-io/transport-node';
import { Kvm, type KV } from '@nats-io/kv';
import { bucketNames } from '../core/subjects.js';

export interface ClusterTiming {
  /** lease length = max age of the leases bucket (ms, >= 100) */
  leaseMs: number;
  /** a node's heartbeat lives this long (ms, >= 100); nodes beat every nodeMs / 3 */
  nodeMs: number;
}

export const DEFAULT_TIMING: ClusterTiming = { leaseMs: 3000, nodeMs: 3000 };

export interface ClusterBuckets {
  leases: KV;
  nodes: KV;
  assign: KV;
  control: KV;
  timing: ClusterTiming;
}

/**
 * Opens the buckets. A bucket that exists with another max age is refused with a clear error
 * (two clusters of the same name with different lease lengths would break the lease maths).
 */
export async function openBuckets(nc: NatsConnection, cluster: string, timing: ClusterTiming = DEFAULT_TIMING): Promise<ClusterBuckets> {
  for (const [name, ms] of [['leaseMs', timing.leaseMs], ['nodeMs', timing.nodeMs]] as const) {
    if (!(Number.isInteger(ms) && ms >= 100)) throw new Error(`${name} must be an integer >= 100 (NATS' smallest max age), got ${ms}`);
  }
  const names = bucketNames(cluster);
  const kvm = new Kvm(nc);
  const open = async (name: string, ttl: number): Promise<KV> => {
    const kv = await kvm.create(name, { history: 1, ttl });
    const st = await kv.status();
    if (st.ttl !== ttl) throw new Error(`KV bucket ${name} exists with max age ${st.ttl} ms, this node wants ${ttl} ms (same cluster name, different timing?)`);
    return kv;
  };
  const [leases, nodes, assign, control] = await Promise.all([open(names.leases, timing.leaseMs), open(names.nodes, timing.nodeMs), open(names.assign, 0), open(names.control, 0)]);
  return { leases, nodes, assign, control, timing };
}

/** True for JetStream's "wrong last sequence" (a create of an existing key, an update at a stale revision). */
export function isRevisionConflict(err: unknown): boolean {
  const e = err as { code?: number; api_error?: { err_code?: number }; message?: string };
  return e?.code === 10071 || e?.api_error?.err_code === 10071 || /wrong last sequence/.test(String(e?.message ?? ''));
}
