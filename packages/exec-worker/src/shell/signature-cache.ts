/**
 * Cached request signatures ("RSA key-signing authentication with cached signature generator",
 * 003). A Kalshi signature covers only `timestamp + METHOD + path`, so for the constant order
 * paths (create, batch create, batch cancel) a signature made off the hot path stays valid for
 * the venue's timestamp window. A timer re-signs them every `refreshMs`; `headers()` hands out
 * the cached headers while they are younger than `maxAgeMs` (well inside the venue's window: at
 * least +-5 s observed, kalshi-api.md section 1) and signs inline otherwise (counted as a miss).
 * Per-id paths (amend/decrease) are signed on demand and kept in a small LRU (PER_ID_MAX) so
 * a second call on the same order inside the window needs no signing either.
 */
import type { Signer, AuthHeaders } from '@kmm/shared';

export const PER_ID_MAX = 256;

interface Entry {
  headers: AuthHeaders;
  signedAtMs: number;
}

export class SignatureCache {
  private readonly constant = new Map<string, Entry>();
  private readonly perId = new Map<string, Entry>();
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

  /** Signs every constant path now and keeps them fresh on a timer (unref'd). */
  start(): void {
    this.refresh();
    if (!this.timer && this.refreshMs > 0) {
      this.timer = setInterval(() => this.refresh(), this.refreshMs);
      this.timer.unref();
    }
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

  /** Signs fresh, never cached (bench baseline, auth-failure retry). */
  signNow(method: string, path: string): AuthHeaders {
    return this.sign(this.wallMs(), method, path);
  }
}
