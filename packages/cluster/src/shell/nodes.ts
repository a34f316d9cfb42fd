/**
 * Cluster membership and the event assignment, in NATS KV.
 *
 *   NodeHeartbeat   puts nodes/node.<id> = NodeInfo every nodeMs/3; stop() deletes it (a
 *                   graceful leave is seen at once); a crash stops the puts and the bucket's max
 *                   age removes the key.
 *   LiveNodes       watches nodes/node.*; a node is live from its first put until a delete or
 *                   nodeMs after its last put (NATS 2.9 announces no expiry, so the watcher arms
 *                   a timer at the earliest deadline); emits 'change' with the live NodeInfos.
 *   Assigner        competes for the 'assigner' lease; while it holds it, recomputes the
 *                   assignment (core/assign.ts) on every membership change and writes
 *                   assign/events by compare-and-swap on the revision it read.
 *   AssignmentWatch every strategy node watches assign/events: 'assignment' with the whole
 *                   Assignment and this node's events.
 */
import { EventEmitter } from 'node:events';
import type { KV } from '@nats-io/kv';
import { EMPTY_ASSIGNMENT, eventsOf, rebalance, type Assignment, type EventLoad } from '../core/assign.js';
import { ASSIGNER_LEASE_KEY, ASSIGNMENT_KEY, checkNodeId, nodeKey } from '../core/subjects.js';
import { isRevisionConflict, type ClusterBuckets } from './buckets.js';
import { LeaseKeeper } from './lease.js';

export type NodeRole = 'gateway' | 'strategy' | 'risk';

export interface NodeInfo {
  id: string;
  /** the role the assigner reads: 'strategy' nodes own events */
  role: NodeRole;
  /** every role the node runs (a node may be a strategy node and a gateway/risk candidate) */
  roles?: NodeRole[];
  /** gateway: the exchange shard it serves (or stands by for) */
  shard?: number;
  host: string;
  pid: number;
  startedWallMs: number;
  wallMs: number;
  /** load figures for the dashboard / status (markets owned, orders resting, ...) */
  load?: Record<string, number>;
}

const monoMs = (): number => Number(process.hrtime.bigint()) / 1e6;

export class NodeHeartbeat {
  private timer: NodeJS.Timeout | null = null;
  private info: NodeInfo;

  constructor(
    private readonly nodes: KV,
    info: Omit<NodeInfo, 'wallMs'>,
    private readonly nodeMs: number,
  ) {
    checkNodeId(info.id);
    this.info = { ...info, wallMs: Date.now() };
  }

  async start(): Promise<void> {
    await this.beat();
    this.timer = setInterval(() => void this.beat().catch(() => undefined), Math.max(10, Math.floor(this.nodeMs / 3)));
  }

  setLoad(load: Record<string, number>): void {
    this.info = { ...this.info, load };
  }

  private async beat(): Promise<void> {
    this.info = { ...this.info, wallMs: Date.now() };
    await this.nodes.put(nodeKey(this.info.id), JSON.stringify(this.info));
  }

  /** Graceful leave: stop beating and delete the key so watchers see the node go at once. */
  async stop(): Promise<void> {
    this.abandon();
    await this.nodes.delete(nodeKey(this.info.id));
  }

  /** Stop beating without a word (a crash, as the others see it). */
  abandon(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}

export class LiveNodes extends EventEmitter {
  private readonly lastSeenMs = new Map<string, number>();
  private readonly infos = new Map<string, NodeInfo>();
  private timer: NodeJS.Timeout | null = null;
  private stopWatch: (() => void) | null = null;
  private stopped = false;

  constructor(
    private readonly nodes: KV,
    private readonly nodeMs: number,
  ) {
    super();
  }

  /** Live nodes, sorted by id. */
  list(): NodeInfo[] {
    return [...this.infos.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  /**
   * Resolves once the watch replayed the current members (so list() is complete): on the last
   * replayed entry (delta 0), on the first live update, at once for an empty bucket, and at the
   * latest after nodeMs (by then every live node has beaten again).
   */
  async start(): Promise<void> {
    const empty = (await this.nodes.status()).values === 0;
    const w = await this.nodes.watch({ key: 'node.*' });
    this.stopWatch = () => w.stop();
    let initial = !empty;
    let resolveReplay: () => void = () => undefined;
    const replayed = new Promise<void>((resolve) => {
      resolveReplay = resolve;
    });
    const fallback = setTimeout(() => resolveReplay(), this.nodeMs);
    if (!initial) resolveReplay();
    void (async () => {
      for await (const e of w) {
        if (initial && e.isUpdate) initial = false;
        const id = e.key.slice('node.'.length);
        const before = this.infos.has(id);
        if (e.operation === 'PUT') {
          this.lastSeenMs.set(id, monoMs());
          this.infos.set(id, e.json<NodeInfo>());
          if (!before && !initial) this.emit('change', this.list(), `joined ${id}`);
        } else {
          this.lastSeenMs.delete(id);
          if (this.infos.delete(id) && !initial) this.emit('change', this.list(), `left ${id}`);
        }
        if (initial && e.delta === 0) initial = false;
        if (!initial) resolveReplay();
        this.arm();
      }
    })();
    await replayed;
    clearTimeout(fallback);
    if (initial) {
      initial = false;
      this.emit('change', this.list(), 'replayed');
    }
    this.arm();
  }

  /** A timer at the earliest deadline of any live node (nodeMs after its last put). */
  private arm(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.stopped || this.lastSeenMs.size === 0) return;
    const earliest = Math.min(...this.lastSeenMs.values()) + this.nodeMs;
    this.timer = setTimeout(() => this.expire(), Math.max(0, earliest - monoMs()));
  }

  private expire(): void {
    const now = monoMs();
    const gone: string[] = [];
    for (const [id, seen] of this.lastSeenMs) {
      if (now >= seen + this.nodeMs) {
        this.lastSeenMs.delete(id);
        this.infos.delete(id);
        gone.push(id);
      }
    }
    if (gone.length > 0) this.emit('change', this.list(), `expired ${gone.join(',')}`);
    this.arm();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.stopWatch?.();
  }
}

/** Reads the stored assignment and its revision (0 = none yet). */
export async function readAssignment(assign: KV): Promise<{ assignment: Assignment; revision: number }> {
  const e = await assign.get(ASSIGNMENT_KEY);
  if (!e || e.operation !== 'PUT') return { assignment: EMPTY_ASSIGNMENT, revision: e?.revision ?? 0 };
  return { assignment: e.json<Assignment>(), revision: e.revision };
}

export class Assigner extends EventEmitter {
  readonly lease: LeaseKeeper;
  private readonly live: LiveNodes;
  private events: EventLoad[];
  private running: Promise<void> = Promise.resolve();

  constructor(
    private readonly buckets: ClusterBuckets,
    readonly nodeId: string,
    events: readonly EventLoad[],
  ) {
    super();
    this.events = [...events];
    this.lease = new LeaseKeeper(buckets.leases, ASSIGNER_LEASE_KEY, nodeId, { leaseMs: buckets.timing.leaseMs }, { role: 'assigner' });
    this.live = new LiveNodes(buckets.nodes, buckets.timing.nodeMs);
    // one place to listen: the owner must handle 'error' (an unhandled one ends the process)
    this.lease.on('error', (err: Error) => this.emit('error', err));
  }

  async start(): Promise<void> {
    this.live.on('change', (_nodes: NodeInfo[], why: string) => this.schedule(why));
    this.lease.on('acquired', () => this.schedule('assigner lease acquired'));
    await this.live.start();
    await this.lease.start();
  }

  /** The events to assign changed (markets opened or closed). */
  setEvents(events: readonly EventLoad[]): void {
    this.events = [...events];
    this.schedule('events changed');
  }

  /** Rebalances now if this node holds the assigner lease (serialised: one write at a time). */
  private schedule(why: string): void {
    this.running = this.running.then(() => this.rebalanceOnce(why)).catch((err) => void this.emit('error', err));
  }

  private async rebalanceOnce(why: string): Promise<void> {
    if (!this.lease.isLeader) return;
    const strategyNodes = this.live
      .list()
      .filter((n) => n.role === 'strategy')
      .map((n) => n.id);
    for (let attempt = 0; attempt < 3; attempt++) {
      const { assignment, revision } = await readAssignment(this.buckets.assign);
      const next = rebalance(assignment, this.events, strategyNodes);
      if (next === assignment) return;
      try {
        const json = JSON.stringify(next);
        if (revision === 0) await this.buckets.assign.create(ASSIGNMENT_KEY, json);
        else await this.buckets.assign.update(ASSIGNMENT_KEY, json, revision);
        this.emit('rebalanced', next, why);
        return;
      } catch (err) {
        // another writer got in between our read and write (a deposed assigner): read again
        if (!isRevisionConflict(err)) throw err;
      }
    }
    throw new Error('assignment write lost the compare-and-swap three times in a row');
  }

  async stop(): Promise<void> {
    this.live.stop();
    await this.lease.release();
    await this.running;
  }
}

export class AssignmentWatch extends EventEmitter {
  private stopWatch: (() => void) | null = null;
  current: Assignment = EMPTY_ASSIGNMENT;

  constructor(
    private readonly assign: KV,
    readonly nodeId: string,
  ) {
    super();
  }

  async start(): Promise<void> {
    const w = await this.assign.watch({ key: ASSIGNMENT_KEY });
    this.stopWatch = () => w.stop();
    void (async () => {
      for await (const e of w) {
        if (e.operation !== 'PUT') continue;
        const a = e.json<Assignment>();
        if (a.version <= this.current.version) continue;
        this.current = a;
        this.emit('assignment', a, eventsOf(a, this.nodeId));
      }
    })();
  }

  stop(): void {
    this.stopWatch?.();
  }
}
