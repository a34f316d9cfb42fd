/**
 * Live config reload from the config file: survives editors, says what it did, and holds risk
 * increases until the operator acknowledges them.
 *
 * Watching: the file's DIRECTORY is watched, not the file. An editor's atomic save writes a
 * temporary file and renames it over ours; a watch on the file follows the old inode and goes
 * deaf after the first save (issue 14 item 8). Events for other names in the directory are
 * ignored; after the last event of a burst (`settleMs`) the whole configuration is re-read with
 * the same layers as at start.
 *
 * Every reload ends in one report (ops event + terminal line, by the caller's `report`):
 *   - the file does not load, or its change is not allowed live: refused, the running config stays;
 *   - changes that lower a risk limit, and every other live-safe change: applied at once;
 *   - changes that raise a risk limit (RISK_LIMIT_KEYS: MM_MAX_POS, notional caps, sizes ...):
 *     pending until `ack()` (`kmm ack-config`, the dashboard's "ack config"); the pending set is
 *     always what the latest read of the file asks for (a file edited back withdraws it);
 *   - nothing differs: "no change".
 * In: watcher events (or `reload()` called directly), `ack()`. Out: `apply` calls (the system
 * validates again and sends CONFIG_UPDATE to every actor), reports.
 */
import { watch as fsWatch } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { raisesRisk, SPEC_BY_KEY, validateLiveUpdate, type ConfigChange, type LoadedConfig } from '@kmm/shared';

export interface ReloadReport {
  /** false: the file or a change was refused (the running config stays) */
  ok: boolean;
  applied: ConfigChange[];
  /** raises of risk limits waiting for `ack()` */
  pending: ConfigChange[];
  message: string;
}

/** A directory watcher: calls `onEvent` per change in `dir` (filename null when the platform cannot tell). */
export type DirWatcher = (dir: string, onEvent: (eventType: string, filename: string | null) => void) => { close(): void };

export interface ConfigReloadOptions {
  file: string;
  /** re-reads the whole configuration (file, env, CLI, tuning: the layers used at start); may throw */
  read: () => LoadedConfig;
  /** the running configuration */
  current: () => LoadedConfig;
  /** applies validated live changes (keys -> values) to the running system */
  apply: (changed: Record<string, unknown>, source: string) => { ok: boolean; message: string };
  /** one call per reload and per acknowledgement: the ops event and the terminal line */
  report: (r: ReloadReport) => void;
  /** default: node:fs watch on the directory */
  watch?: DirWatcher;
  /** quiet time after the last event before the re-read (default 150 ms) */
  settleMs?: number;
}

const realWatch: DirWatcher = (dir, onEvent) => {
  const w = fsWatch(dir, (eventType, filename) => onEvent(eventType, filename === null ? null : String(filename)));
  return { close: () => w.close() };
};

const show = (cs: readonly ConfigChange[]): string => cs.map((c) => `${c.key} ${String(c.from)} -> ${String(c.to)}`).join(', ');
const asMap = (cs: readonly ConfigChange[]): Record<string, unknown> => Object.fromEntries(cs.map((c) => [c.key, c.to]));

export class ConfigReloader {
  private readonly file: string;
  private watcher: { close(): void } | null = null;
  private timer: NodeJS.Timeout | null = null;
  private pendingChanges: ConfigChange[] = [];

  constructor(private readonly o: ConfigReloadOptions) {
    this.file = resolve(o.file);
  }

  /** Starts watching the file's directory. */
  start(): void {
    const name = basename(this.file);
    this.watcher = (this.o.watch ?? realWatch)(dirname(this.file), (_type, filename) => {
      if (filename !== null && filename !== name) return;
      if (this.timer) clearTimeout(this.timer);
      this.timer = setTimeout(() => {
        this.timer = null;
        this.reload();
      }, this.o.settleMs ?? 150);
    });
  }

  close(): void {
    this.watcher?.close();
    this.watcher = null;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  /** Risk increases waiting for an acknowledgement. */
  get pending(): readonly ConfigChange[] {
    return this.pendingChanges;
  }

  /** Re-reads the file and applies what it may (see the header). */
  reload(): ReloadReport {
    const source = `file ${this.file}`;
    const hadPending = this.pendingChanges.length > 0;
    let next: LoadedConfig;
    try {
      next = this.o.read();
    } catch (err) {
      this.pendingChanges = [];
      return this.done({ ok: false, applied: [], pending: [], message: `config reload: ${source} refused, keeping the running config${hadPending ? ' (pending risk increases withdrawn)' : ''}: ${(err as Error).message}` });
    }
    const cur = this.o.current();
    const changed: Record<string, unknown> = {};
    const curValues = cur.values as unknown as Record<string, unknown>;
    for (const [k, v] of Object.entries(next.values)) if (curValues[k] !== v && !SPEC_BY_KEY.get(k)?.aliasOf) changed[k] = v;
    const check = validateLiveUpdate(cur, changed, source);
    if (!check.ok) {
      this.pendingChanges = [];
      return this.done({ ok: false, applied: [], pending: [], message: `config reload: refused, keeping the running config: ${check.errors.map((e) => e.message).join('; ')}` });
    }
    const changes = check.changes.filter((c) => !SPEC_BY_KEY.get(c.key)?.aliasOf);
    const raising = changes.filter(raisesRisk);
    let now = changes.filter((c) => !raisesRisk(c));
    let held = raising;
    if (now.length > 0) {
      const r = this.o.apply(asMap(now), source);
      // the changes that may apply at once do not stand alone (a relation with a held raise):
      // everything waits for the acknowledgement together
      if (!r.ok) {
        held = changes;
        now = [];
      }
    }
    this.pendingChanges = held;
    if (now.length === 0 && held.length === 0) {
      return this.done({ ok: true, applied: [], pending: [], message: `config reload: no change${hadPending ? ' (pending risk increases withdrawn)' : ''}` });
    }
    const parts: string[] = [];
    if (now.length > 0) parts.push(`applied ${show(now)}`);
    if (held.length > 0) parts.push(`NOT applied, raises a risk limit: ${show(held)}; run \`kmm ack-config\` (or "ack config" on the dashboard) to apply`);
    return this.done({ ok: true, applied: now, pending: held, message: `config reload: ${parts.join('; ')}` });
  }

  /** The operator's acknowledgement: applies the pending risk increases. */
  ack(): ReloadReport {
    if (this.pendingChanges.length === 0) return this.done({ ok: false, applied: [], pending: [], message: 'ack-config: no config change is waiting for acknowledgement' });
    const held = this.pendingChanges;
    this.pendingChanges = [];
    // validated again against the running config: something may have moved since the reload
    const r = this.o.apply(asMap(held), 'ack-config');
    if (!r.ok) return this.done({ ok: false, applied: [], pending: [], message: `ack-config: refused: ${r.message}` });
    return this.done({ ok: true, applied: held, pending: [], message: `ack-config: applied ${show(held)}` });
  }

  private done(r: ReloadReport): ReloadReport {
    this.o.report(r);
    return r;
  }
}
