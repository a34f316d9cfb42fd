/**
 * The dashboard in a real headless Chromium: books and quotes update live over the
 * websocket, the pause button reaches onControl, and a request without the token is
 * refused. The source is the scripted fake (the live-demo run uses the same dashboardE2E).
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { existsSync } from 'node:fs';
import { dashboardE2E, startDashboard } from '../src/dashboard/index.js';
import type { ControlCommand } from '../src/dashboard/types.js';
import { fakeSource } from './fake-source.js';
import { hasChromium, NO_CHROMIUM_MESSAGE } from './chromium.js';

describe.skipIf(!hasChromium)(`dashboard in Chromium${hasChromium ? '' : ` (${NO_CHROMIUM_MESSAGE})`}`, () => {
  it('shows books and quotes updating, pauses quoting through the button, refuses no-token requests', async () => {
    const src = fakeSource(['KXFAKE-A', 'KXFAKE-B'], ['KXFAKE-B']);
    const got: ControlCommand[] = [];
    const dash = await startDashboard({
      port: 0,
      source: src,
      intervalMs: 50,
      onControl: (cmd) => {
        got.push(cmd);
        if (cmd.kind === 'pause') src.paused = true;
        return cmd.kind === 'pause' ? 'quoting paused on 2 markets' : `${cmd.kind} done`;
      },
    });
    const shot = join(mkdtempSync(join(tmpdir(), 'kmm-dashboard-e2e-')), 'dashboard.png');
    try {
      const r = await dashboardE2E(dash.url, dash.token, { screenshotPath: shot });
      console.log(`dashboard screenshot: ${shot}`);
      expect(r.markets).toEqual(['KXFAKE-A', 'KXFAKE-B']);
      expect(r.sawBookUpdate).toBe(true);
      expect(r.sawQuoteUpdate).toBe(true);
      expect(r.controlResult).toBe('pause: quoting paused on 2 markets');
      expect(got).toEqual([{ kind: 'pause' }]);
      expect(r.unauthenticatedStatus).toBe(401);
      expect(r.unauthenticatedLeaked).toBe(false);
      expect(r.updates).toBeGreaterThan(2);
      expect(r.consoleErrors).toEqual([]);
      expect(existsSync(shot)).toBe(true);
    } finally {
      await dash.close();
    }
  });

  it('a page opened with a wrong token gets 403 and no dashboard', async () => {
    const src = fakeSource();
    const dash = await startDashboard({ port: 0, source: src, onControl: () => 'ok' });
    const { chromium } = await import('playwright-core');
    const { CHROMIUM_ARGS, CHROMIUM_PATH } = await import('../src/dashboard/e2e.js');
    const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
    try {
      const page = await browser.newPage();
      const res = await page.goto(`${dash.url}?token=${'0'.repeat(48)}`);
      expect(res?.status()).toBe(403);
      expect(await page.content()).not.toContain('KXFAKE');
      expect(await page.locator('[data-testid=ladder]').count()).toBe(0);
    } finally {
      await browser.close();
      await dash.close();
    }
  });
});
