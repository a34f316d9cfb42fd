/**
 * LeaseKeeper: holds (or waits for) one lease in the leases bucket, driving the pure
 * LeaseMachine (core/lease.ts) with NATS KV and real timers.
 *
 *   watch(key) --observed--> machine;  machine --create/renew/delete--> kv.create / kv.update(rev) / kv.delete(rev)
 *   machine --acquired/lost--> 'acquired' {epoch} / 'lost' {reason} events
 *
 * Events: 'acquired' (epoch), 'lost' (reason), 'refused' (a create found the lease held: this
 * node is a standby for now), 'error' (a NATS call failed unexpectedly).
 * A holder that loses its lease must stop acting at once (the gateway cancels its orders).
 * `release()` gives the lease up at once (deletes it at its revision) so a standby takes over
 * on the delete it watches, without waiting for the max age.
 */
import { EventEmitter } from 'node:events';
import type { KV } from '@nats-io/kv';
import { LeaseMachine, type LeaseAction, type LeaseInput, type LeaseOptions } from '../core/lease.js';
import { isRevisionConflict } from './buckets.js';

export interface LeaseValue {
  holder: string;
  /** wall ms of this write (diagnostics: `kmm cluster status`) */
  wallMs: number;
  /** free-form description of the holder (host, pid, role) */
  info?: Record<string, unknown>;
}

const monoMs = (): number => Number(process.hrtime.bigint()) / 1e6;

export class LeaseKeeper extends EventEmitter {
  readonly machine: LeaseMachine;
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  private watchStop: (() => void) | null = null;

  constructor(
    private readonly kv: KV,
    readonly key: string,
    readonly holder: string,
    options: LeaseOptions,
    private readonly info: Record<string, unknown> = {},
  ) {
    super();
    this.machine = new LeaseMachine(holder, options);
  }

  get isLeader(): boolean {
    return this.machine.role === 'leader';
  }
  get epoch(): number {
    return this.machine.epoch;
  }

  /** Starts watching the key and competing for it. Resolves once the watch is running. */
  async start(): Promise<void> {
    const w = await this.kv.watch({ key: this.key });
    this.watchStop = () => w.stop();
    void (async () => {
      for await (const e of w) {
        if (this.stopped) break;
        let holder: string | null = null;
        if (e.operation === 'PUT') {
          try {
            holder = (e.json() as LeaseValue).holder ?? '?';
          } catch {
            holder = '?';
          }
        }
        this.feed({ kind: 'observed', nowMs: monoMs(), revision: e.revision, holder });
      }
    })();
    this.feed({ kind: 'start', nowMs: monoMs() });
  }

  /** Gives the lease up (deleting it if held) and stops competing. */
  async release(): Promise<void> {
    const actions = this.machine.step({ kind: 'release', nowMs: monoMs() });
    this.stopped = true;
    this.clearTimer();
    this.watchStop?.();
    for (const a of actions) {
      if (a.kind === 'delete') {
        try {
          await this.kv.delete(this.key, { previousSeq: a.revision });
        } catch (err) {
          // someone else already wrote it: nothing of ours to delete
          if (!isRevisionConflict(err)) this.emit('error', err);
        }
      } else if (a.kind === 'lost') this.emit('lost', a.reason);
    }
  }

  /** Stops without deleting (a crash as far as the others can tell: they wait for the max age). */
  abandon(): void {
    this.stopped = true;
    this.clearTimer();
    this.watchStop?.();
  }

  private feed(input: LeaseInput): void {
    if (this.stopped) return;
    for (const a of this.machine.step(input)) this.perform(a);
  }

  private perform(a: LeaseAction): void {
    switch (a.kind) {
      case 'create': {
        const sentMs = monoMs();
        this.kv.create(this.key, this.value()).then(
          (revision) => this.feed({ kind: 'created', nowMs: monoMs(), sentMs, revision }),
          (err) => {
            if (!isRevisionConflict(err)) this.emit('error', err);
            else this.emit('refused');
            this.feed({ kind: 'createRefused', nowMs: monoMs() });
          },
        );
        break;
      }
      case 'renew': {
        const sentMs = monoMs();
        this.kv.update(this.key, this.value(), a.revision).then(
          (revision) => this.feed({ kind: 'renewed', nowMs: monoMs(), sentMs, revision }),
          (err) => this.feed({ kind: 'renewFailed', nowMs: monoMs(), conflict: isRevisionConflict(err) }),
        );
        break;
      }
      case 'acquired':
        this.emit('acquired', a.epoch);
        break;
      case 'lost':
        this.emit('lost', a.reason);
        break;
      case 'wakeAt':
        this.clearTimer();
        this.timer = setTimeout(() => this.feed({ kind: 'tick', nowMs: monoMs() }), Math.max(0, a.atMs - monoMs()));
        break;
      case 'delete':
        break; // only on release (handled there)
    }
  }

  private value(): string {
    return JSON.stringify({ holder: this.holder, wallMs: Date.now(), info: this.info } satisfies LeaseValue);
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}
