/**
 * The lease state machine (pure): one holder of a named role (the order gateway of exchange
 * shard S, the risk aggregator) among any number of candidates, over a NATS KV key whose bucket
 * has a max age (the lease length). The shell (shell/lease.ts) feeds it what NATS said and
 * performs the actions it returns; time comes in as `nowMs` (monotonic).
 *
 *   standby --create ok--> leader   (create-if-absent: the key is gone, deleted or expired)
 *   leader  --renew(rev) ok every leaseMs/3--> leader   (update by revision: compare-and-swap)
 *   leader  --renew conflict | no renew ack by sentMs+leaseMs-guardMs | release--> standby ('lost')
 *   standby: the key seen written at t -> it expires by t + leaseMs -> try create then; a failed
 *            create (not yet expired on the server) retries every retryMs until it succeeds or
 *            a newer write is seen
 *
 * Invariants: a leader never believes it holds the lease past the instant the server could
 * have expired it (the lease counts from when the renew was *sent*, before the server's stamp);
 * `epoch` (the revision that created the lease) grows with every new holder, so a command
 * stamped with an older epoch is from a deposed leader.
 */

export interface LeaseOptions {
  /** lease length = the bucket's max age (ms, >= 100: NATS' smallest max age) */
  leaseMs: number;
  /** a leader renews this often (default leaseMs / 3) */
  renewEveryMs?: number;
  /** a leader gives up this long before the server could expire its key (default leaseMs / 5) */
  guardMs?: number;
  /** a standby retries a refused create this often while it sees no newer write (default leaseMs / 10, >= 10) */
  retryMs?: number;
}

export type LeaseInput =
  | { kind: 'start'; nowMs: number }
  /** the watch saw the key written (holder) or removed (null) */
  | { kind: 'observed'; nowMs: number; revision: number; holder: string | null }
  | { kind: 'created'; nowMs: number; sentMs: number; revision: number }
  | { kind: 'createRefused'; nowMs: number }
  | { kind: 'renewed'; nowMs: number; sentMs: number; revision: number }
  /** conflict: the revision moved (someone else holds it); otherwise NATS did not answer */
  | { kind: 'renewFailed'; nowMs: number; conflict: boolean }
  | { kind: 'tick'; nowMs: number }
  | { kind: 'release'; nowMs: number };

export type LeaseAction =
  | { kind: 'create' }
  | { kind: 'renew'; revision: number }
  | { kind: 'delete'; revision: number }
  | { kind: 'acquired'; epoch: number }
  | { kind: 'lost'; reason: string }
  /** call back with a tick at (or after) this instant; replaces any earlier wake-up */
  | { kind: 'wakeAt'; atMs: number };

export type LeaseRole = 'standby' | 'leader' | 'stopped';

export class LeaseMachine {
  role: LeaseRole = 'standby';
  /** revision of the lease's creation while leader (fencing token) */
  epoch = 0;
  /** last revision of the key we know of (0 = absent) */
  revision = 0;
  /** who holds it as far as we know ('' = nobody / unknown) */
  holder = '';
  private readonly renewEveryMs: number;
  private readonly guardMs: number;
  private readonly retryMs: number;
  /** leader: the lease surely lasts until here (renew sent + leaseMs - guard) */
  private validUntilMs = 0;
  private nextRenewMs = 0;
  private renewing = false;
  private creating = false;
  /** standby: the current holder's write expires by then on the server */
  private expiryMs = 0;
  private nextCreateMs = 0;

  constructor(
    readonly self: string,
    private readonly o: LeaseOptions,
  ) {
    if (!(o.leaseMs >= 100)) throw new Error(`leaseMs must be >= 100 (NATS' smallest bucket max age), got ${o.leaseMs}`);
    this.renewEveryMs = o.renewEveryMs ?? Math.floor(o.leaseMs / 3);
    this.guardMs = o.guardMs ?? Math.floor(o.leaseMs / 5);
    this.retryMs = o.retryMs ?? Math.max(10, Math.floor(o.leaseMs / 10));
    if (this.renewEveryMs + this.guardMs >= o.leaseMs) throw new Error(`renewEveryMs (${this.renewEveryMs}) + guardMs (${this.guardMs}) must be below leaseMs (${o.leaseMs})`);
  }

  step(input: LeaseInput): LeaseAction[] {
    const out: LeaseAction[] = [];
    if (this.role === 'stopped') return out;
    switch (input.kind) {
      case 'start':
        this.creating = true;
        out.push({ kind: 'create' });
        break;
      case 'observed':
        this.onObserved(input.nowMs, input.revision, input.holder, out);
        break;
      case 'created':
        this.creating = false;
        this.role = 'leader';
        this.epoch = input.revision;
        this.revision = Math.max(this.revision, input.revision);
        this.holder = this.self;
        this.validUntilMs = input.sentMs + this.o.leaseMs - this.guardMs;
        this.nextRenewMs = input.sentMs + this.renewEveryMs;
        out.push({ kind: 'acquired', epoch: this.epoch });
        break;
      case 'createRefused':
        this.creating = false;
        if (this.role === 'standby') this.nextCreateMs = Math.max(this.expiryMs, input.nowMs + this.retryMs);
        break;
      case 'renewed':
        this.renewing = false;
        if (this.role !== 'leader') break;
        this.revision = Math.max(this.revision, input.revision);
        this.validUntilMs = input.sentMs + this.o.leaseMs - this.guardMs;
        this.nextRenewMs = input.sentMs + this.renewEveryMs;
        break;
      case 'renewFailed':
        this.renewing = false;
        if (this.role !== 'leader') break;
        if (input.conflict) this.demote('renew refused: the lease was taken over', input.nowMs, out);
        else this.nextRenewMs = input.nowMs + this.retryMs; // NATS did not answer: retry until validUntil
        break;
      case 'tick':
        break;
      case 'release':
        if (this.role === 'leader') {
          out.push({ kind: 'delete', revision: this.revision });
          out.push({ kind: 'lost', reason: 'released' });
        }
        this.role = 'stopped';
        return out;
    }
    this.onTime(input.nowMs, out);
    return out;
  }

  private onObserved(nowMs: number, revision: number, holder: string | null, out: LeaseAction[]): void {
    if (revision < this.revision) return; // an older write delivered late
    this.revision = revision;
    this.holder = holder ?? '';
    if (this.role === 'leader') {
      // our own renewals come back through the watch; anyone else's write means we were deposed
      if (holder !== this.self) this.demote(holder === null ? 'lease key removed' : `lease now held by ${holder}`, nowMs, out);
      return;
    }
    if (holder === null) {
      this.expiryMs = 0;
      this.nextCreateMs = nowMs;
    } else {
      this.expiryMs = nowMs + this.o.leaseMs;
      this.nextCreateMs = this.expiryMs;
    }
  }

  private demote(reason: string, nowMs: number, out: LeaseAction[]): void {
    this.role = 'standby';
    this.epoch = 0;
    out.push({ kind: 'lost', reason });
    // whoever wrote last holds it for a full lease from now at most
    this.expiryMs = nowMs + this.o.leaseMs;
    this.nextCreateMs = this.expiryMs;
  }

  private onTime(nowMs: number, out: LeaseAction[]): void {
    if (this.role === 'leader') {
      if (nowMs >= this.validUntilMs) {
        this.demote(`no renewal acknowledged within ${this.o.leaseMs - this.guardMs} ms`, nowMs, out);
      } else if (!this.renewing && nowMs >= this.nextRenewMs) {
        this.renewing = true;
        out.push({ kind: 'renew', revision: this.revision });
      }
    }
    if (this.role === 'standby' && !this.creating && this.nextCreateMs > 0 && nowMs >= this.nextCreateMs) {
      this.creating = true;
      this.nextCreateMs = 0;
      out.push({ kind: 'create' });
    }
    const wake = this.role === 'leader' ? Math.min(this.validUntilMs, this.renewing ? this.validUntilMs : this.nextRenewMs) : this.nextCreateMs;
    if (wake > 0) out.push({ kind: 'wakeAt', atMs: wake });
  }
}
