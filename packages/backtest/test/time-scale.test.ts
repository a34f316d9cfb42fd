/**
 * A time-compressed demo's scale (market.json) reaches the scorecard: its markout horizons are
 * market time. runTimeScale reads it; a folder without market.json is real time; a bad value
 * is an error naming the file.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MARKET_FILE, runTimeScale } from '../src/index.js';

describe('runTimeScale', () => {
  it('market.json timeScale, 1 without the file, an error naming a bad value', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kmm-scale-'));
    expect(runTimeScale(dir)).toBe(1);
    writeFileSync(join(dir, MARKET_FILE), JSON.stringify({ profile: 'active', timeScale: 30 }));
    expect(runTimeScale(dir)).toBe(30);
    writeFileSync(join(dir, MARKET_FILE), JSON.stringify({ profile: 'active' }));
    expect(runTimeScale(dir)).toBe(1);
    writeFileSync(join(dir, MARKET_FILE), JSON.stringify({ timeScale: -2 }));
    expect(() => runTimeScale(dir)).toThrow(/market\.json: timeScale must be a number > 0, got -2/);
  });
});
