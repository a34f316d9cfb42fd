/**
 * Names of everything the cluster puts on NATS: subjects, KV buckets and keys (pure).
 *
 *   kmm.<cluster>.actor.<actor>     an actor's inbox: batches of length-delimited kmm.v1.Envelope
 *                                   (header Kmm-From = sending actor); commands (OrderCommand,
 *                                   TakerIntent) travel as request/reply on the same subject
 *   kmm.<cluster>.md.<market>       market data (BookFeatures, BookSnapshot), conflated per market
 *                                   by the consumer
 *   kmm.<cluster>.kill              the kill-switch broadcast (JSON KillState)
 *
 *   KV kmm_<cluster>_leases  (max age = lease ms)  gateway.<shard>, risk, assigner
 *   KV kmm_<cluster>_nodes   (max age = node ms)   node.<nodeId>  (heartbeat: NodeInfo JSON)
 *   KV kmm_<cluster>_assign                        events         (Assignment JSON, CAS-written)
 *   KV kmm_<cluster>_control                       kill           (KillState JSON)
 *
 * A name becomes one subject token: actor names ('book.2') and tickers ('X-25JUL01-B85.5')
 * contain dots, which NATS would read as token separators, so every character outside
 * [A-Za-z0-9_-] is escaped as '~' + two hex digits (reversible, never empty).
 */

const TOKEN_SAFE = /^[A-Za-z0-9_-]$/;

/** One NATS subject token (and KV key token) for an arbitrary non-empty name. */
export function subjectToken(name: string): string {
  if (name.length === 0) throw new Error('a subject token needs a non-empty name');
  let out = '';
  for (const ch of name) {
    if (TOKEN_SAFE.test(ch)) {
      out += ch;
      continue;
    }
    const code = ch.codePointAt(0)!;
    if (code > 0xff) throw new Error(`name '${name}' has a character outside Latin-1 (${JSON.stringify(ch)}); actor names and tickers are ASCII`);
    out += '~' + code.toString(16).padStart(2, '0');
  }
  return out;
}

/** Inverse of subjectToken. */
export function fromSubjectToken(token: string): string {
  return token.replace(/~([0-9a-f]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

const CLUSTER_NAME = /^[a-z0-9][a-z0-9_-]{0,31}$/;

/** A cluster name: lower-case letters, digits, '_' and '-', at most 32 (it is part of bucket names). */
export function checkClusterName(cluster: string): string {
  if (!CLUSTER_NAME.test(cluster)) throw new Error(`cluster name '${cluster}' must match ${CLUSTER_NAME} (it names NATS subjects and KV buckets)`);
  return cluster;
}

export function actorSubject(cluster: string, actor: string): string {
  return `kmm.${cluster}.actor.${subjectToken(actor)}`;
}
export function marketSubject(cluster: string, market: string): string {
  return `kmm.${cluster}.md.${subjectToken(market)}`;
}
/** Every market of a cluster (a consumer of all market data). */
export function allMarketsSubject(cluster: string): string {
  return `kmm.${cluster}.md.*`;
}
export function killSubject(cluster: string): string {
  return `kmm.${cluster}.kill`;
}

export interface BucketNames {
  leases: string;
  nodes: string;
  assign: string;
  control: string;
}
export function bucketNames(cluster: string): BucketNames {
  const c = checkClusterName(cluster).replace(/-/g, '_');
  return { leases: `kmm_${c}_leases`, nodes: `kmm_${c}_nodes`, assign: `kmm_${c}_assign`, control: `kmm_${c}_control` };
}

/** Lease keys: one per Kalshi exchange shard's order gateway, one risk aggregator, one assigner. */
export function gatewayLeaseKey(shard: number): string {
  if (!Number.isInteger(shard) || shard < 0) throw new Error(`exchange shard must be an integer >= 0, got ${shard}`);
  return `gateway.${shard}`;
}
export const RISK_LEASE_KEY = 'risk';
export const ASSIGNER_LEASE_KEY = 'assigner';
const NODE_ID = /^[A-Za-z0-9_-]{1,64}$/;
/** A node id: letters, digits, '_' and '-' (it is a KV key token, where '~' escapes are not allowed). */
export function checkNodeId(nodeId: string): string {
  if (!NODE_ID.test(nodeId)) throw new Error(`node id '${nodeId}' must match ${NODE_ID}`);
  return nodeId;
}
export function nodeKey(nodeId: string): string {
  return `node.${checkNodeId(nodeId)}`;
}
export const ASSIGNMENT_KEY = 'events';
export const KILL_KEY = 'kill';

/** Header naming the sending actor of a batch on an actor subject. */
export const FROM_HEADER = 'Kmm-From';
