/**
 * A whole cluster on this machine against the simulator (`kmm cluster up`, `kmm cluster chaos`):
 *
 *   simulator (worker thread of this process: REST + websocket, exchange shards by series)
 *   nats-server (child process, loopback, JetStream store in the run folder so a restart keeps
 *                the leases, the assignment and the journals)
 *   N node processes: `kmm node --role gateway,strategy,risk --shard <every shard> ...` with the
 *                exchange's address, the key and the cluster's market list (one file, so every
 *                node distributes and routes the same markets); leases decide who is active
 *
 * Every node line (`node <id> <event> <json>`) is parsed and re-emitted ('line'); the cluster
 * tracks which node serves each shard's gateway ('gateway_active' / 'gateway_standby') and when
 * strategy nodes took up new markets ('strategy_markets'). Every line, parsed or not, is also kept
 * in `<runDir>/nodes.log` with its receive time (what each node said, for a failed run's diagnosis).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findNatsServer, NATS_INSTALL_HINT, startNatsServer, type NatsServerHandle } from '@kmm/cluster';
import { startSimThread, type SimThreadHandle } from '@kmm/sim';
import { discoverClusterMarkets, shardsOf, writeClusterMarkets, type ClusterMarkets } from '../commands/cluster-trade.js';
import { UsageError } from '../commands/errors.js';

/** Config of the cluster's nodes on the simulator: quote the sim's books (as the chaos soak does). */
export const CLUSTER_SIM_SET: Record<string, string | number> = {
  kmm_env: 'sim',
  MM_MARKET_PROFILE: 'kalshi',
  min_liquidity: 0,
  MM_QUOTE_REFRESH_MS: 500,
  MM_MIN_REPRICE_INTERVAL_S: 0.2,
  MM_MIN_REPRICE_TICKS: 1,
  MM_MIN_REPRICE_MOVE_TICKS: 1,
  max_time_to_resolution_hours: 8760,
  MM_CIRCUIT_BREAKER_COOLDOWN_S: 15,
  kmm_log_level: 'warn',
};

export interface LocalClusterOptions {
  nodes: number;
  cluster: string;
  seed: number;
  markets: number;
  /** simulator flow intensity */
  speed: number;
  leaseMs: number;
  runDir: string;
  set: Record<string, string | number>;
  log: (line: string) => void;
  /** node lines are logged too (not only parsed) */
  verbose?: boolean;
  /** use this NATS server instead of starting one (then it cannot be killed) */
  natsUrl?: string;
  /** the simulator's rate tier (default: the set's kmm_rate_tier, else basic) and step (ms) */
  simTier?: string;
  simStepMs?: number;
}

export interface NodeLine {
  node: string;
  event: string;
  fields: Record<string, unknown>;
  atMs: number;
}

const LINE = /^node (\S+) (\S+)(?: (.*))?$/;

export class LocalCluster extends EventEmitter {
  sim!: SimThreadHandle;
  nats: NatsServerHandle | null = null;
  natsPort = 0;
  natsUrl = '';
  markets!: ClusterMarkets;
  shards: number[] = [];
  readonly children = new Map<string, ChildProcess>();
  /** shard -> node whose gateway is active (null: none known) */
  readonly activeOf = new Map<number, string | null>();
  private marketsFile = '';
  private readonly storeDir: string;

  /** every node line (opened at the first) */
  private nodesLog: WriteStream | null = null;
  private nodesLogClosed = false;

  constructor(readonly o: LocalClusterOptions) {
    super();
    this.storeDir = join(o.runDir, 'nats-store');
  }

  async start(): Promise<void> {
    if (!this.o.natsUrl && !findNatsServer()) throw new UsageError(`no --nats URL given and nats-server is not installed: ${NATS_INSTALL_HINT}`);
    mkdirSync(this.storeDir, { recursive: true });
    const tier = this.o.simTier ?? String(this.o.set.kmm_rate_tier ?? 'basic');
    this.sim = await startSimThread({ port: 0, seed: this.o.seed, markets: this.o.markets, speed: this.o.speed, tier, keyDir: this.o.runDir, ...(this.o.simStepMs ? { stepMs: this.o.simStepMs } : {}) });
    this.o.log(`simulator: ${this.sim.restBaseUrl}  ${this.sim.wsUrl}`);
    if (this.o.natsUrl) this.natsUrl = this.o.natsUrl;
    else await this.startNats();
    this.o.log(`nats: ${this.natsUrl}${this.nats ? ` (nats-server pid ${this.nats.pid}, store ${this.storeDir})` : ''}`);
    this.markets = await discoverClusterMarkets(this.sim.restBaseUrl, this.o.markets);
    this.shards = shardsOf(this.markets);
    for (const s of this.shards) this.activeOf.set(s, null);
    this.marketsFile = join(this.o.runDir, 'cluster-markets.json');
    writeClusterMarkets(this.marketsFile, this.markets);
    const perShard = this.shards.map((s) => `${s}:${Object.values(this.markets.shardOf).filter((x) => x === s).length}`).join(' ');
    this.o.log(`markets: ${this.markets.markets.length} on exchange shards ${perShard} (market count per shard)`);
    for (let i = 1; i <= this.o.nodes; i++) this.startNode(`node-${i}`);
  }

  async startNats(): Promise<void> {
    this.nats = await startNatsServer({ port: this.natsPort || -1, storeDir: this.storeDir, name: `kmm-${this.o.cluster}` });
    this.natsPort = this.nats.port;
    this.natsUrl = this.nats.url;
  }

  /** SIGKILLs the NATS server (its store stays: a restart finds the leases, assignment, journals). */
  async killNats(): Promise<void> {
    if (!this.nats) throw new Error('this cluster did not start its NATS server: it cannot kill it');
    await this.nats?.kill();
    this.nats = null;
  }

  startNode(id: string): ChildProcess {
    const cli = fileURLToPath(new URL('../cli.js', import.meta.url));
    const args = [cli, 'node', '--role', 'gateway,strategy,risk', '--shard', this.shards.join(','), '--nats', this.natsUrl, '--cluster', this.o.cluster, '--id', id, '--lease-ms', String(this.o.leaseMs)];
    args.push('--rest', this.sim.restBaseUrl, '--ws', this.sim.wsUrl, '--key-id', this.sim.keyId, '--private-key', this.sim.privateKeyPath, '--markets-file', this.marketsFile, '--out', join(this.o.runDir, id));
    for (const [k, v] of Object.entries(this.o.set)) args.push('--set', `${k}=${v}`);
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.children.set(id, child);
    let buf = '';
    const relay = (chunk: Buffer): void => {
      buf += chunk.toString('utf8');
      let nl = buf.indexOf('\n');
      while (nl >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        nl = buf.indexOf('\n');
        if (line) this.onLine(id, line);
      }
    };
    child.stdout!.on('data', relay);
    child.stderr!.on('data', relay);
    child.once('exit', (code, signal) => {
      for (const [s, n] of this.activeOf) if (n === id) this.activeOf.set(s, null);
      this.emit('exit', id, code, signal);
    });
    return child;
  }

  private onLine(id: string, line: string): void {
    if (!this.nodesLogClosed) {
      this.nodesLog ??= createWriteStream(join(this.o.runDir, 'nodes.log'), { flags: 'a' });
      this.nodesLog.write(`${new Date().toISOString()} [${id}] ${line}\n`);
    }
    const m = LINE.exec(line);
    if (!m) {
      this.o.log(`[${id}] ${line}`);
      return;
    }
    let fields: Record<string, unknown> = {};
    try {
      fields = m[3] ? (JSON.parse(m[3]) as Record<string, unknown>) : {};
    } catch {
      fields = { raw: m[3] };
    }
    const l: NodeLine = { node: m[1], event: m[2], fields, atMs: Date.now() };
    if (l.event === 'gateway_active') this.activeOf.set(Number(fields.shard), l.node);
    if (l.event === 'gateway_standby' && this.activeOf.get(Number(fields.shard)) === l.node) this.activeOf.set(Number(fields.shard), null);
    if (this.o.verbose || /error|fatal/.test(l.event)) this.o.log(line);
    this.emit('line', l);
  }

  /** SIGKILLs a node process (no graceful stop: its leases lapse, its orders stay resting). */
  async killNode(id: string): Promise<void> {
    const c = this.children.get(id);
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const gone = new Promise<void>((r) => c.once('exit', () => r()));
    c.kill('SIGKILL');
    await gone;
    this.children.delete(id);
  }

  /** Every node stopped gracefully (SIGTERM: strategies cancel, gateways cancel and verify); true if all exited in time. */
  async stopNodes(timeoutMs: number): Promise<boolean> {
    const live = [...this.children.values()].filter((c) => c.exitCode === null && c.signalCode === null);
    const exits = live.map((c) => new Promise<void>((r) => c.once('exit', () => r())));
    for (const c of live) c.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const inTime = await Promise.race([Promise.all(exits).then(() => true), new Promise<boolean>((r) => (timer = setTimeout(() => r(false), timeoutMs)))]);
    clearTimeout(timer);
    if (!inTime) for (const c of live) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    await Promise.all(exits);
    this.children.clear();
    return inTime;
  }

  /** Resolves with the first node line matching `pred` (from now on). */
  nextLine(pred: (l: NodeLine) => boolean): Promise<NodeLine> {
    return new Promise((resolve) => {
      const on = (l: NodeLine): void => {
        if (!pred(l)) return;
        this.off('line', on);
        resolve(l);
      };
      this.on('line', on);
    });
  }

  async close(): Promise<void> {
    // lines the children print while they die are not logged: the log closes once, for good
    this.nodesLogClosed = true;
    const log = this.nodesLog;
    this.nodesLog = null;
    if (log) await new Promise<void>((r) => log.end(() => r()));
    for (const c of this.children.values()) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    this.children.clear();
    await this.nats?.stop();
    await this.sim?.close();
  }
}
