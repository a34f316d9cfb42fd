/**
 * Cached request signatures ("RSA key-signing authentication with cached signature generator",
 * 003). A Kalshi signature covers only `timestamp + METHOD + path`, so for the constant order
 * paths (create, batch create, batch cancel) a signature made off the hot path stays valid for
 * the venue's timestamp window. A timer re-signs them every `refreshMs`; `headers()` hands out
 * the cached headers while they are younger than `maxAgeMs` (well inside the venue's window: at
 * least +-5 s observed, kalshi-api.md section 1) and signs inline otherwise (counted as a miss).
 * Per-id paths: the amend path of each resting order can be kept warm (`keepWarm`, at most
 * WARM_MAX paths, oldest evicted): the timer re-signs them in small slices (WARM_SIGNS_PER_SLICE
 * per tick, so a refresh never blocks the event loop for more than a few signatures). Other
 * per-id paths are signed on demand and kept in a small LRU (PER_ID_MAX) so a second call on the
 * same order inside the window needs no signing either.
 */
import type { Signer, AuthHeaders } from '@kmm/shared';

export const PER_ID_MAX = 256;
/**
 * Warm paths kept signed: the amend paths of the most recently rested orders (a burst amends
 * most of them at once: an amend the cache lacks pays a ~250 us RSA signature before its request
 * can go out). Each costs one signature per refreshMs on the thread pool: 256 paths = ~64 ms of
 * CPU per second with a 2048-bit key, on a 2-core machine the ceiling we accept (1,000 markets
 * would rest ~2,000 orders: keeping all warm would take a quarter of a core).
 */
export const WARM_MAX = 256;
/** Warm signatures per slice, sync (slice: tests, the isolated bench) */
export const WARM_SIGNS_PER_SLICE = 4;
/**
 * Warm signatures started per slice in the background (sliceAsync, on the thread pool): enough
 * to keep WARM_MAX paths fresh (256 per refreshMs of 1 s = ~26 per 100 ms slice), off exec's thread.
 */
export const WARM_ASYNC_PER_SLICE = 32;
/** Timer tick of the background signer. */
export const SLICE_MS = 100;

interface Entry {
  headers: AuthHeaders;
  signedAtMs: number;
}

export class SignatureCache {
  private readonly constant = new Map<string, Entry>();
  private readonly perId = new Map<string, Entry>();
  private readonly warm = new Map<string, Entry & { method: string; path: string }>();
  private timer: NodeJS.Timeout | null = null;
  hits = 0;
  misses = 0;
  signNsTotal = 0;
  signs = 0;

  constructor(
    private readonly signer: Signer,
    private readonly constantPaths: ReadonlyArray<readonly [method: string, path: string]>,
    private readonly maxAgeMs = 2000,
    private readonly refreshMs = 1000,
    private readonly wallMs: () => number = Date.now,
  ) {}

  /** Signs every constant path now and keeps them (and the warm paths) fresh on a timer (unref'd). */
  start(): void {
    this.refresh();
    if (!this.timer && this.refreshMs > 0) {
      this.timer = setInterval(() => this.sliceAsync(), Math.min(SLICE_MS, this.refreshMs));
      this.timer.unref();
    }
  }

  /** One timer tick: constant paths due for refresh, then at most WARM_SIGNS_PER_SLICE warm paths. */
  slice(): void {
    const now = this.wallMs();
    for (const [method, path] of this.constantPaths) {
      const key = method + ' ' + path;
      const c = this.constant.get(key);
      if (!c || now - c.signedAtMs >= this.refreshMs) this.constant.set(key, { headers: this.sign(now, method, path), signedAtMs: now });
    }
    let budget = WARM_SIGNS_PER_SLICE;
    for (const w of this.warm.values()) {
      if (budget === 0) break;
      if (now - w.signedAtMs < this.refreshMs) continue;
      w.headers = this.sign(now, w.method, w.path);
      w.signedAtMs = now;
      budget--;
    }
  }

  /** keys being signed in the background (sliceAsync) */
  private readonly signing = new Set<string>();

  /**
   * The timer's tick (live): what slice() does, but every signature is made on libuv's thread
   * pool (Signer.headersAsync), so the exec thread never blocks on RSA in the background (4
   * warm signatures in a 100 ms tick held it ~1 ms, and a target arriving then waited).
   */
  sliceAsync(): void {
    const now = this.wallMs();
    for (const [method, path] of this.constantPaths) {
      const key = method + ' ' + path;
      const c = this.constant.get(key);
      if ((!c || now - c.signedAtMs >= this.refreshMs) && !this.signing.has(key)) this.signInBackground(key, method, path, now, true);
    }
    let budget = WARM_ASYNC_PER_SLICE;
    for (const [key, w] of this.warm) {
      if (budget === 0) break;
      if (now - w.signedAtMs < this.refreshMs || this.signing.has(key)) continue;
      this.signInBackground(key, w.method, w.path, now, false);
      budget--;
    }
  }

  private signInBackground(key: string, method: string, path: string, now: number, constant: boolean): void {
    this.signing.add(key);
    const t0 = process.hrtime.bigint();
    this.signer.headersAsync(now, method, path).then(
      (headers) => {
        this.signing.delete(key);
        this.signNsTotal += Number(process.hrtime.bigint() - t0);
        this.signs++;
        if (constant) this.constant.set(key, { headers, signedAtMs: now });
        else {
          const w = this.warm.get(key);
          if (w) {
            w.headers = headers;
            w.signedAtMs = now;
          }
        }
      },
      () => this.signing.delete(key),
    );
  }

  /** Keeps a per-id path signed in the background (e.g. the amend path of a resting order). */
  keepWarm(method: string, path: string): void {
    const key = method + ' ' + path;
    if (this.warm.has(key)) return;
    this.warm.set(key, { method, path, headers: null as unknown as AuthHeaders, signedAtMs: -1e15 });
    if (this.warm.size > WARM_MAX) {
      const oldest = this.warm.keys().next().value;
      if (oldest !== undefined) this.warm.delete(oldest);
    }
  }
  dropWarm(method: string, path: string): void {
    this.warm.delete(method + ' ' + path);
  }
  get warmCount(): number {
    return this.warm.size;
  }
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  refresh(): void {
    const now = this.wallMs();
    for (const [method, path] of this.constantPaths) this.constant.set(method + ' ' + path, { headers: this.sign(now, method, path), signedAtMs: now });
  }

  private sign(tsMs: number, method: string, path: string): AuthHeaders {
    const t0 = process.hrtime.bigint();
    const h = this.signer.headers(tsMs, method, path);
    this.signNsTotal += Number(process.hrtime.bigint() - t0);
    this.signs++;
    return h;
  }

  /** Auth headers for a request; cached when fresh, signed now otherwise. `path` excludes the query. */
  headers(method: string, path: string): AuthHeaders {
    const now = this.wallMs();
    const key = method + ' ' + path;
    const c = this.constant.get(key);
    if (c) {
      if (now - c.signedAtMs < this.maxAgeMs && now >= c.signedAtMs) {
        this.hits++;
        return c.headers;
      }
      this.misses++;
      const e = { headers: this.sign(now, method, path), signedAtMs: now };
      this.constant.set(key, e);
      return e.headers;
    }
    const w = this.warm.get(key);
    if (w && w.headers && now - w.signedAtMs < this.maxAgeMs && now >= w.signedAtMs) {
      this.hits++;
      return w.headers;
    }
    const p = this.perId.get(key);
    if (p && now - p.signedAtMs < this.maxAgeMs && now >= p.signedAtMs) {
      this.hits++;
      return p.headers;
    }
    this.misses++;
    const e = { headers: this.sign(now, method, path), signedAtMs: now };
    this.perId.delete(key);
    this.perId.set(key, e);
    if (this.perId.size > PER_ID_MAX) {
      const oldest = this.perId.keys().next().value;
      if (oldest !== undefined) this.perId.delete(oldest);
    }
    return e.headers;
  }

  /**
   * As headers(), but a miss is signed on the thread pool (Signer.headersAsync) and returned as
   * a promise: the exec thread goes on with the other requests of its pump meanwhile (live
   * REST; virtual time keeps headers(), whose signing time is deterministic).
   */
  headersOrSign(method: string, path: string): AuthHeaders | Promise<AuthHeaders> {
    const now = this.wallMs();
    const key = method + ' ' + path;
    const constant = this.constant.get(key);
    let hit: Entry | undefined;
    if (constant) hit = this.fresh(constant, now) ? constant : undefined;
    else {
      const w = this.warm.get(key);
      if (this.fresh(w, now)) hit = w;
      else {
        const p = this.perId.get(key);
        if (this.fresh(p, now)) hit = p;
      }
    }
    if (hit) {
      this.hits++;
      return hit.headers;
    }
    this.misses++;
    const t0 = process.hrtime.bigint();
    return this.signer.headersAsync(now, method, path).then((headers) => {
      this.signNsTotal += Number(process.hrtime.bigint() - t0);
      this.signs++;
      const e = { headers, signedAtMs: now };
      if (constant) this.constant.set(key, e);
      else {
        this.perId.delete(key);
        this.perId.set(key, e);
        if (this.perId.size > PER_ID_MAX) {
          const oldest = this.perId.keys().next().value;
          if (oldest !== undefined) this.perId.delete(oldest);
        }
      }
      return headers;
    });
  }

  private fresh(e: Entry | undefined, now: number): e is Entry {
    return !!e && !!e.headers && now - e.signedAtMs < this.maxAgeMs && now >= e.signedAtMs;
  }

  /** Signs fresh, never cached (bench baseline, auth-failure retry). */
  signNow(method: string, path: string): AuthHeaders {
    return this.sign(this.wallMs(), method, path);
  }
}
