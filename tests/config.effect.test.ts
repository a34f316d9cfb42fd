/**
 * Every registry key has an observable effect (issue 15: "so a dead key cannot come back").
 *
 * For each key in CONFIG_SPECS, one of:
 *  - changing it from its default to another valid value (accepted by resolveConfig) changes the
 *    parameters an actor core runs on: strategyParamsOf, execParamsOf, bookParamsOf,
 *    ingestParamsOf (the embedded whole config, `source` / `config`, is left out of the
 *    comparison). Where the only strategy field that changes is the key's own copy, the
 *    strategy worker must read that field somewhere outside params.ts (a copied but unread key
 *    is dead);
 *  - it is read only by the app or an actor's shell: APP_READ_KEYS names the file, which must
 *    read it as a property (`.key`);
 *  - it is informational: its registry spec says `effect: 'informational: <reason>'` (the one
 *    list of such keys is the registry itself);
 *  - it is PENDING_DEAD_KEYS: dead today, being wired in another branch (issue 15).
 */
import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CONFIG_SPECS, resolveConfig, type ConfigSpec, type ConfigValue, type KmmConfig } from '@kmm/shared';
import { strategyParamsOf } from '@kmm/strategy-worker';
import { execParamsOf } from '@kmm/exec-worker';
import { ingestParamsOf } from '@kmm/ingest-worker';
import { bookParamsOf } from '@kmm/book-worker';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/**
 * Keys registered but read by nothing today (issue 15's dead keys). Another branch wires them
 * (paper mode, capture, dashboard, run dir, the latency warning, the naive backtest, the sigma
 * window). After merging it, the lead empties this list: each key then passes one of the checks
 * above (most through APP_READ_KEYS), or gets removed from the registry.
 */
const PENDING_DEAD_KEYS: readonly string[] = [];

/** Keys only the app (supervisor, commands) or an actor's shell reads: key -> the file that reads it. */
const APP_READ_KEYS: Readonly<Record<string, string>> = {
  kmm_rest_base_url: 'packages/app/src/commands/run.ts',
  kmm_ws_url: 'packages/app/src/commands/run.ts',
  kmm_api_key_id: 'packages/app/src/commands/run.ts',
  kmm_private_key_path: 'packages/app/src/commands/run.ts',
  kmm_mailbox_capacity: 'packages/app/src/system/system.ts',
  kmm_log_level: 'packages/app/src/system/system.ts',
  kmm_shutdown_timeout_s: 'packages/exec-worker/src/actor/index.ts',
  paper_mode: 'packages/app/src/commands/run.ts',
  kmm_run_dir: 'packages/app/src/commands/demo.ts',
  kmm_capture_enabled: 'packages/ingest-worker/src/shell/main.ts',
  kmm_dashboard: 'packages/app/src/commands/demo.ts',
  kmm_dashboard_port: 'packages/app/src/commands/demo.ts',
  kmm_journal_fsync_ms: 'packages/exec-worker/src/shell/env.ts',
};

/** The parameter objects the cores run on, without the embedded whole configuration. */
const DERIVED: Record<string, (cfg: KmmConfig) => unknown> = {
  strategy: (cfg) => { const { source: _s, ...p } = strategyParamsOf(cfg); return p; },
  exec: (cfg) => { const { config: _c, ...p } = execParamsOf(cfg); return p; },
  ingest: ingestParamsOf,
  book: (cfg) => { const { config: _c, ...p } = bookParamsOf(cfg); return p; },
};

/** Values other than the default to try, in order (the first valid ones are used). */
function alternatives(s: ConfigSpec): ConfigValue[] {
  switch (s.type) {
    case 'bool': return [!s.default];
    case 'enum': return s.values.filter((v) => v !== s.default);
    case 'string': return ['x1', 'http://127.0.0.1:1', 'ws://127.0.0.1:1'].filter((v) => v !== s.default);
    default: {
      const d = s.default;
      // near the default, the bounds, and a few small values (a contract cap only shows below the tighter ones)
      const raw = [d * 2, d / 2, d + 1, d - 1, s.min, s.max, (s.min + s.max) / 2, ...[1, 2, 3, 4, 5].map((i) => s.min + i)];
      const vals = raw.map((x) => (s.type === 'int' ? Math.round(x) : x)).filter((x) => x !== d && x >= s.min && x <= s.max);
      return [...new Set(vals)];
    }
  }
}

/** The valid configurations with the key changed (resolveConfig refuses contradicting ones). */
function variants(s: ConfigSpec): Array<{ value: ConfigValue; cfg: KmmConfig }> {
  const out: Array<{ value: ConfigValue; cfg: KmmConfig }> = [];
  for (const value of alternatives(s)) {
    try {
      out.push({ value, cfg: resolveConfig({ [s.key]: value }) });
    } catch {
      // a contradiction with another default: try the next value
    }
  }
  return out;
}

/** The changed top-level fields per actor between two configurations. */
function changedFields(a: KmmConfig, b: KmmConfig): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [actor, derive] of Object.entries(DERIVED)) {
    const pa = derive(a) as Record<string, unknown>;
    const pb = derive(b) as Record<string, unknown>;
    const fields = Object.keys(pa).filter((k) => JSON.stringify(pa[k]) !== JSON.stringify(pb[k]));
    if (fields.length > 0) out[actor] = fields;
  }
  return out;
}

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    if (statSync(p).isDirectory()) return tsFiles(p);
    return p.endsWith('.ts') ? [p] : [];
  });
}
/** The strategy worker's source outside its params derivation (where a copied key must be read). */
const STRATEGY_SRC = tsFiles(join(ROOT, 'packages/strategy-worker/src'))
  .filter((f) => !f.endsWith(join('core', 'params.ts')))
  .map((f) => readFileSync(f, 'utf8')).join('\n');

const readsProperty = (text: string, key: string): boolean => new RegExp(`\\.${key}\\b`).test(text);

const DEFAULTS = resolveConfig({});
const SPECS = CONFIG_SPECS as readonly ConfigSpec[];

describe('every registry key has an observable effect', () => {
  it('the lists name registry keys, each in one list only', () => {
    const keys = new Set(SPECS.map((s) => s.key));
    const informational = SPECS.filter((s) => s.effect !== undefined).map((s) => s.key);
    const listed = [...PENDING_DEAD_KEYS, ...Object.keys(APP_READ_KEYS), ...informational];
    for (const k of listed) expect(keys.has(k), k).toBe(true);
    expect(new Set(listed).size).toBe(listed.length);
    for (const s of SPECS) if (s.effect !== undefined) expect(s.effect, s.key).toMatch(/^informational: \S.{10,}/);
  });

  for (const spec of SPECS) {
    const s = spec;
    if (PENDING_DEAD_KEYS.includes(s.key)) {
      it.todo(`${s.key}: pending (dead until the dead-key wiring branch is merged)`);
      continue;
    }
    if (s.effect !== undefined) continue; // informational: the reason is checked above
    const appFile = APP_READ_KEYS[s.key];
    if (appFile !== undefined) {
      it(`${s.key}: read by ${appFile} (no core params use it)`, () => {
        expect(readsProperty(readFileSync(join(ROOT, appFile), 'utf8'), s.key)).toBe(true);
        for (const { cfg } of variants(s)) expect(changedFields(DEFAULTS, cfg), 'a core uses it: take it off APP_READ_KEYS').toEqual({});
      });
      continue;
    }
    it(`${s.key}: a valid non-default value changes the params a core runs on`, () => {
      const vs = variants(s);
      expect(vs.length, 'no valid non-default value').toBeGreaterThan(0);
      const effects = vs.map(({ value, cfg }) => ({ value, changed: changedFields(DEFAULTS, cfg) }));
      // a change of a derived field (or of another actor's params) beats a change of strategy's copy of the key
      const isCopyOnly = (c: Record<string, string[]>): boolean => Object.keys(c).length === 1 && c.strategy !== undefined && c.strategy.every((f) => f in DEFAULTS);
      const derived = effects.find((e) => Object.keys(e.changed).length > 0 && !isCopyOnly(e.changed));
      const copied = effects.find((e) => Object.keys(e.changed).length > 0);
      expect(copied, `no derived params change for ${JSON.stringify(vs.map((v) => v.value))}`).toBeDefined();
      if (derived === undefined) {
        // only the strategy's copy of the key changed: the strategy must read that field
        for (const f of copied!.changed.strategy) expect(readsProperty(STRATEGY_SRC, f), `strategy copies ${f} but never reads it`).toBe(true);
      }
    });
  }
});
