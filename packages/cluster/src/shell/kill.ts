/**
 * The kill switch: one decision, two paths, so every gateway hears it even if one path fails.
 *
 *   trip(reason)  -> KV control/kill = {active: true, id, reason, byNode, wallMs}   (durable: a
 *                    gateway that starts or reconnects later reads it and stays flat)
 *                 -> publish kmm.<c>.kill with the same JSON                          (fast path)
 *   clear()       -> KV control/kill = {active: false, ...}
 *
 * KillWatch (every gateway runs one; its owner must handle 'error': a malformed message) reports
 * each trip exactly once, by its id, from whichever
 * path delivers it first ('kill' event), and a clear ('clear'); the gateway cancels every order
 * on its shard and refuses new ones while the switch is active.
 */
import { EventEmitter } from 'node:events';
import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import type { KV } from '@nats-io/kv';
import { KILL_KEY, killSubject } from '../core/subjects.js';

export interface KillState {
  active: boolean;
  /** unique per trip (node id + wall ms + counter): the de-duplication key of the two paths */
  id: string;
  reason: string;
  byNode: string;
  wallMs: number;
}

let tripSeq = 0;

/** Trips the switch on both paths. Resolves once the KV write is stored. */
export async function tripKillSwitch(nc: NatsConnection, control: KV, cluster: string, byNode: string, reason: string): Promise<KillState> {
  if (!reason) throw new Error('a kill switch trip needs a reason');
  const state: KillState = { active: true, id: `${byNode}-${Date.now()}-${++tripSeq}`, reason, byNode, wallMs: Date.now() };
  const json = JSON.stringify(state);
  // broadcast first: it is the fast path; the KV write makes it durable for late joiners
  nc.publish(killSubject(cluster), json);
  await control.put(KILL_KEY, json);
  return state;
}

/** Clears the switch (KV only: a clear is never urgent). */
export async function clearKillSwitch(control: KV, byNode: string, reason: string): Promise<void> {
  const state: KillState = { active: false, id: `${byNode}-${Date.now()}-${++tripSeq}`, reason, byNode, wallMs: Date.now() };
  await control.put(KILL_KEY, JSON.stringify(state));
}

/** Reads the switch (null = never set). */
export async function readKillSwitch(control: KV): Promise<KillState | null> {
  const e = await control.get(KILL_KEY);
  if (!e || e.operation !== 'PUT') return null;
  return e.json<KillState>();
}

export class KillWatch extends EventEmitter {
  private readonly seen = new Set<string>();
  private sub: Subscription | null = null;
  private stopWatch: (() => void) | null = null;
  /** the latest state heard on either path */
  state: KillState | null = null;

  constructor(
    private readonly nc: NatsConnection,
    private readonly control: KV,
    private readonly cluster: string,
  ) {
    super();
  }

  get active(): boolean {
    return this.state?.active === true;
  }

  /** Subscribes both paths; resolves once both are listening (the KV watch replays the current value). */
  async start(): Promise<void> {
    this.sub = this.nc.subscribe(killSubject(this.cluster), {
      callback: (err, msg) => {
        if (err) return;
        try {
          this.hear(msg.json<KillState>());
        } catch {
          this.emit('error', new Error(`malformed kill broadcast: ${msg.string().slice(0, 200)}`));
        }
      },
    });
    await this.nc.flush();
    const w = await this.control.watch({ key: KILL_KEY });
    this.stopWatch = () => w.stop();
    void (async () => {
      for await (const e of w) {
        if (e.operation !== 'PUT') continue;
        try {
          this.hear(e.json<KillState>());
        } catch {
          this.emit('error', new Error(`malformed kill key: ${e.string().slice(0, 200)}`));
        }
      }
    })();
  }

  private hear(s: KillState): void {
    if (this.seen.has(s.id)) return;
    this.seen.add(s.id);
    // a clear older than the trip we acted on does not undo it
    if (this.state && s.wallMs < this.state.wallMs) return;
    this.state = s;
    this.emit(s.active ? 'kill' : 'clear', s);
  }

  stop(): void {
    this.sub?.unsubscribe();
    this.stopWatch?.();
  }
}
