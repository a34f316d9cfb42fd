/**
 * A time-compressed demo's scale (market.json) reaches the scorecard: its markout horizons are
 * market time. runTimeScale reads it; a folder without market.json is real time; a bad value
 * is an error naming the file.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MARKET_FILE, runTimeScale, runTokenRefillScale } from '../src/index.js';

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

  it("runTokenRefillScale: market.json tokenRefillScale; 1 without it (a live run, or a demo from before the venue's refill followed its speed)", () => {
    const dir = mkdtempSync(join(tmpdir(), 'kmm-refill-'));
    expect(runTokenRefillScale(dir)).toBe(1);
    writeFileSync(join(dir, MARKET_FILE), JSON.stringify({ profile: 'active', timeScale: 30 }));
    expect(runTokenRefillScale(dir)).toBe(1);
    writeFileSync(join(dir, MARKET_FILE), JSON.stringify({ profile: 'active', timeScale: 30, tokenRefillScale: 30 }));
    expect(runTokenRefillScale(dir)).toBe(30);
    writeFileSync(join(dir, MARKET_FILE), JSON.stringify({ tokenRefillScale: 'fast' }));
    expect(() => runTokenRefillScale(dir)).toThrow(/market\.json: tokenRefillScale must be a number > 0, got "fast"/);
    writeFileSync(join(dir, MARKET_FILE), '{not json');
    expect(() => runTokenRefillScale(dir)).toThrow(/market\.json is not the run's market description/);
  });
});
