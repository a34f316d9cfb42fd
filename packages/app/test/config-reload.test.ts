/**
 * Live config reload (system/config-reload.ts, issue 14 item 8): an editor's atomic save (write
 * a temporary file, rename it over the config) is picked up every time, not just once; every
 * reload reports what it applied or refused; a raised risk limit waits for `ack()` while a
 * lowered one applies at once. No sleeps: the injected watcher is triggered by hand and the tests
 * wait for the reload's report; one test uses the real fs.watch and waits for its reports.
 */
import { mkdtempSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig, validateLiveUpdate, type LoadedConfig } from '@kmm/shared';
import { ConfigReloader, type DirWatcher, type ReloadReport } from '../src/system/config-reload.js';

interface Harness {
  file: string;
  reloader: ConfigReloader;
  running(): Record<string, unknown>;
  /** atomic save: a temporary file in the same directory, renamed over the config */
  save(values: Record<string, unknown>): void;
  /** resolves with the first report (from now on) that satisfies `pred` */
  report(pred?: (r: ReloadReport) => boolean): Promise<ReloadReport>;
  /** the injected watcher's callback (undefined with the real watcher) */
  fire?: (eventType: string, filename: string | null) => void;
  /** how many CONFIG_UPDATEs the system would have sent */
  applied: number;
}

function harness(initial: Record<string, unknown>, realWatcher = false): Harness {
  const dir = mkdtempSync(join(tmpdir(), 'kmm-reload-'));
  const file = join(dir, 'kmm.json');
  let saves = 0;
  const save = (values: Record<string, unknown>): void => {
    const tmp = join(dir, `.kmm.json.${++saves}.tmp`);
    writeFileSync(tmp, JSON.stringify(values));
    renameSync(tmp, file);
  };
  save(initial);
  const read = (): LoadedConfig => loadConfig({ file, env: {} });
  let running = read();
  const waiters: { pred: (r: ReloadReport) => boolean; resolve: (r: ReloadReport) => void }[] = [];
  const h: Harness = {
    file,
    applied: 0,
    reloader: null as unknown as ConfigReloader,
    running: () => running.values as unknown as Record<string, unknown>,
    save,
    report: (pred = () => true) => new Promise((resolve) => waiters.push({ pred, resolve })),
  };
  const watch: DirWatcher | undefined = realWatcher
    ? undefined
    : (_dir, onEvent) => {
        h.fire = onEvent;
        return { close: () => {} };
      };
  h.reloader = new ConfigReloader({
    file,
    read,
    current: () => running,
    // as system.ts applyConfigChange: validate against the running config, then take it
    apply: (changed, source) => {
      const r = validateLiveUpdate(running, changed, source);
      if (!r.ok) return { ok: false, message: r.errors.map((e) => e.message).join('; ') };
      running = { ...running, values: r.values };
      h.applied++;
      return { ok: true, message: 'applied' };
    },
    report: (r) => {
      for (let i = waiters.length - 1; i >= 0; i--) {
        if (waiters[i].pred(r)) waiters.splice(i, 1)[0].resolve(r);
      }
    },
    watch,
    settleMs: realWatcher ? 50 : 0,
  });
  h.reloader.start();
  return h;
}

/** Saves atomically and fires the watcher as Linux does for a rename over the file. */
async function saveAndReload(h: Harness, values: Record<string, unknown>): Promise<ReloadReport> {
  const next = h.report();
  h.save(values);
  h.fire!('rename', `.kmm.json.tmp`); // the temporary file: not ours, ignored
  h.fire!('rename', 'kmm.json');
  return next;
}

describe('live config reload', () => {
  it('an atomic save (temp file + rename) reloads, twice in a row, and says what it applied', async () => {
    const h = harness({ MM_SKEW_MAX_BPS: 20 });
    const r1 = await saveAndReload(h, { MM_SKEW_MAX_BPS: 25 });
    expect(r1).toMatchObject({ ok: true, pending: [] });
    expect(r1.message).toBe('config reload: applied MM_SKEW_MAX_BPS 20 -> 25');
    expect(h.running().MM_SKEW_MAX_BPS).toBe(25);
    const r2 = await saveAndReload(h, { MM_SKEW_MAX_BPS: 30 });
    expect(r2.message).toBe('config reload: applied MM_SKEW_MAX_BPS 25 -> 30');
    expect(h.running().MM_SKEW_MAX_BPS).toBe(30);
    const r3 = await saveAndReload(h, { MM_SKEW_MAX_BPS: 30 });
    expect(r3.message).toBe('config reload: no change');
    h.reloader.close();
  });

  it('raising MM_MAX_POS is pending until acknowledged; other changes in the same save apply at once', async () => {
    const h = harness({ MM_MAX_POS: 5, MM_SKEW_MAX_BPS: 20 });
    const r = await saveAndReload(h, { MM_MAX_POS: 8, MM_SKEW_MAX_BPS: 22 });
    expect(r.ok).toBe(true);
    expect(r.applied.map((c) => c.key)).toEqual(['MM_SKEW_MAX_BPS']);
    expect(r.pending).toEqual([{ key: 'MM_MAX_POS', from: 5, to: 8 }]);
    expect(r.message).toContain('NOT applied, raises a risk limit: MM_MAX_POS 5 -> 8');
    expect(r.message).toContain('kmm ack-config');
    expect(h.running().MM_MAX_POS).toBe(5);
    expect(h.running().MM_SKEW_MAX_BPS).toBe(22);
    const ack = h.reloader.ack();
    expect(ack).toMatchObject({ ok: true, applied: [{ key: 'MM_MAX_POS', from: 5, to: 8 }], message: 'ack-config: applied MM_MAX_POS 5 -> 8' });
    expect(h.running().MM_MAX_POS).toBe(8);
    expect(h.reloader.ack()).toMatchObject({ ok: false, message: 'ack-config: no config change is waiting for acknowledgement' });
  });

  it('lowering MM_MAX_POS applies at once; a raise edited back before the ack is withdrawn', async () => {
    const h = harness({ MM_MAX_POS: 5 });
    const low = await saveAndReload(h, { MM_MAX_POS: 4 });
    expect(low).toMatchObject({ ok: true, pending: [], applied: [{ key: 'MM_MAX_POS', from: 5, to: 4 }] });
    expect(h.running().MM_MAX_POS).toBe(4);
    // (a side cap set from unset only tightens its side, so it would apply at once: see config.caps.test)
    const up = await saveAndReload(h, { MM_MAX_POS: 9, MM_MAX_POSITION_SIZE: 120 });
    expect(up.pending.map((c) => c.key).sort()).toEqual(['MM_MAX_POS', 'MM_MAX_POSITION_SIZE']);
    const back = await saveAndReload(h, { MM_MAX_POS: 4 });
    expect(back.message).toBe('config reload: no change (pending risk increases withdrawn)');
    expect(h.reloader.pending).toEqual([]);
    expect(h.reloader.ack().ok).toBe(false);
    expect(h.running().MM_MAX_POS).toBe(4);
  });

  it('refuses a file that does not load or a key that cannot change live, naming why, and keeps the running config', async () => {
    const h = harness({ MM_SKEW_MAX_BPS: 20 });
    const bad = await saveAndReload(h, { MM_SKEW_MAX_BPS: 'lots' });
    expect(bad.ok).toBe(false);
    expect(bad.message).toMatch(/^config reload: .*refused, keeping the running config: .*MM_SKEW_MAX_BPS/);
    const restart = await saveAndReload(h, { MM_SKEW_MAX_BPS: 20, kmm_shards: 3 });
    expect(restart.ok).toBe(false);
    expect(restart.message).toContain('kmm_shards takes effect only at restart');
    expect(h.applied).toBe(0);
    expect(h.running().MM_SKEW_MAX_BPS).toBe(20);
  });

  it('with the real watcher (fs.watch on the directory), two atomic saves in a row are both applied', async () => {
    const h = harness({ MM_SKEW_MAX_BPS: 20 }, true);
    try {
      const first = h.report((r) => r.applied.some((c) => c.key === 'MM_SKEW_MAX_BPS' && c.to === 25));
      h.save({ MM_SKEW_MAX_BPS: 25 });
      await first;
      expect(h.running().MM_SKEW_MAX_BPS).toBe(25);
      const second = h.report((r) => r.applied.some((c) => c.key === 'MM_SKEW_MAX_BPS' && c.to === 30));
      h.save({ MM_SKEW_MAX_BPS: 30 });
      await second;
      expect(h.running().MM_SKEW_MAX_BPS).toBe(30);
    } finally {
      h.reloader.close();
    }
  }, 20_000);
});
