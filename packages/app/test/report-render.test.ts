/**
 * The report page renders in a real headless Chromium: every chart draws a canvas with
 * ink on it, the page logs no console errors, makes no network request, and the
 * screenshot is kept under the test's temp dir.
 */
import { describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { generateReport, writeSyntheticRun } from '../src/report/index.js';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../src/dashboard/e2e.js';
import { hasChromium, NO_CHROMIUM_MESSAGE } from './chromium.js';

interface ChartInfo {
  name: string;
  canvases: number;
  empty: boolean;
  inked: boolean;
}

/** Runs in the page: per chart, its canvases and whether a data series put colour on them. */
function inspectCharts(): ChartInfo[] {
  type Canvas = { width: number; height: number; getContext(k: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } } | null };
  type Div = { dataset: Record<string, string | undefined>; querySelectorAll(s: string): ArrayLike<Canvas> };
  const doc = (globalThis as unknown as { document: { querySelectorAll(s: string): ArrayLike<Div> } }).document;
  return Array.from(doc.querySelectorAll('[data-chart]')).map((el) => {
    const canvases = Array.from(el.querySelectorAll('canvas'));
    let inked = false;
    for (const c of canvases) {
      const ctx = c.getContext('2d');
      if (ctx === null || c.width === 0 || c.height === 0) continue;
      const px = ctx.getImageData(0, 0, c.width, c.height).data;
      // Count saturated pixels: axes and grid are grey, data series are coloured.
      let coloured = 0;
      for (let i = 0; i < px.length; i += 4) {
        if (px[i + 3] === 0) continue;
        const hi = Math.max(px[i], px[i + 1], px[i + 2]);
        const lo = Math.min(px[i], px[i + 1], px[i + 2]);
        if (hi - lo > 60) coloured++;
      }
      if (coloured > 100) inked = true;
    }
    return { name: el.dataset.chart ?? '', canvases: canvases.length, empty: el.dataset.empty === '1', inked };
  });
}

describe.skipIf(!hasChromium)(`report page in Chromium${hasChromium ? '' : ` (${NO_CHROMIUM_MESSAGE})`}`, () => {
  it('renders every chart of a synthetic run, with no console errors and no network', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kmm-report-render-'));
    await writeSyntheticRun(dir, { seed: 42, durationS: 600 });
    const { path, stats } = await generateReport(dir, { nowMs: Date.UTC(2025, 0, 1) });

    const { chromium } = await import('playwright-core');
    const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
    const shot = join(dir, 'report.png');
    try {
      const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
      const errors: string[] = [];
      const requests: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error' || m.type() === 'warning') errors.push(`${m.type()}: ${m.text()}`);
      });
      page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
      page.on('request', (r) => {
        if (!r.url().startsWith('file:')) requests.push(r.url());
      });
      await page.goto(pathToFileURL(path).href, { waitUntil: 'load' });
      await page.waitForFunction(
        () => (globalThis as unknown as { document: { body: { dataset: Record<string, string> } } }).document.body.dataset.chartsDrawn !== '0',
      );
      const charts = await page.evaluate(inspectCharts);
      const drawn = Number(await page.getAttribute('body', 'data-charts-drawn'));
      await page.screenshot({ path: shot, fullPage: true });
      console.log(`report screenshot: ${shot}`);

      expect(errors).toEqual([]);
      expect(requests).toEqual([]);
      const names = charts.map((c) => c.name);
      for (const want of ['equity', 'inventory', 'price-0', 'price-1', 'markouts', 'attribution', 'rejects', 'commands', 'tape-latency', 'elu']) {
        expect(names).toContain(want);
      }
      for (const a of stats.latencyActors.keys()) expect(names).toContain(`latency-${a}`);
      expect(charts.length).toBe(stats.charts);
      for (const c of charts) {
        expect(c.empty, `${c.name} has no data`).toBe(false);
        expect(c.canvases, c.name).toBe(1);
        expect(c.inked, `${c.name} canvas is blank`).toBe(true);
      }
      expect(drawn).toBe(stats.charts);
      expect(existsSync(shot) && statSync(shot).size > 50_000).toBe(true);
    } finally {
      await browser.close();
    }
  });

  it('a run folder missing health and summary still renders, says what is missing, and has no console errors', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kmm-report-partial-'));
    await writeSyntheticRun(dir, { seed: 43, durationS: 120, omit: ['health.jsonl', 'summary.json'], malformed: true });
    const { path } = await generateReport(dir);
    const { chromium } = await import('playwright-core');
    const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
    try {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error') errors.push(m.text());
      });
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(pathToFileURL(path).href);
      const notices = await page.locator('.notice').allTextContents();
      expect(notices.some((n) => n.includes('health.jsonl is missing'))).toBe(true);
      expect(notices.some((n) => n.includes('journal.jsonl: 2 malformed line(s) skipped'))).toBe(true);
      const charts = await page.evaluate(inspectCharts);
      expect(charts.find((c) => c.name === 'equity')?.inked).toBe(true);
      expect(charts.find((c) => c.name === 'elu')?.empty).toBe(true);
      expect(errors).toEqual([]);
    } finally {
      await browser.close();
    }
  });
});
