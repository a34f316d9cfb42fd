/**
 * Browser end-to-end check of a running dashboard, in a real headless Chromium driven by
 * playwright-core (Debian's /usr/bin/chromium; install with `apt-get install -y chromium`).
 * Point it at any dashboard (a test's fake source or a live demo):
 *
 *   1. a plain GET of the page without the token must be refused (401/403, no state in it);
 *   2. open `url?token=...`, wait for the first rendered state;
 *   3. wait until a market's book levels change and until our quotes change
 *      (data-book-sig / data-quote-sig on the ladder tables);
 *   4. click the global "pause quoting" button and read the control answer shown in the page.
 *
 * Waiting here is event-driven (playwright polls the DOM until the condition holds or
 * `timeoutMs` passes); a timeout returns `false` for that observation instead of throwing,
 * so the caller's assertions say which part failed. playwright-core is loaded lazily so
 * that importing this module costs nothing in production.
 */
import { request } from 'node:http';

export const CHROMIUM_PATH = '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface DashboardE2EOptions {
  executablePath?: string;
  /** Per observation (first state, book change, quote change, control answer). Default 15 s. */
  timeoutMs?: number;
  /** Save a screenshot of the page here (taken before the control is clicked). */
  screenshotPath?: string;
}

export interface DashboardE2EResult {
  sawBookUpdate: boolean;
  sawQuoteUpdate: boolean;
  /** Text the page showed after clicking "pause quoting" (e.g. "pause: quoting paused"), or "" if none. */
  controlResult: string;
  /** HTTP status of GET / without a token. */
  unauthenticatedStatus: number;
  /** Whether that refused response's body contained any market ticker seen in the page. */
  unauthenticatedLeaked: boolean;
  /** Markets rendered. */
  markets: string[];
  /** State messages rendered by the page during the run. */
  updates: number;
  /** Console errors and page errors seen. */
  consoleErrors: string[];
}

function plainGet(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'GET' }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end();
  });
}

export async function dashboardE2E(url: string, token: string, opts: DashboardE2EOptions = {}): Promise<DashboardE2EResult> {
  const timeout = opts.timeoutMs ?? 15_000;
  const base = new URL(url);
  base.search = '';
  const refused = await plainGet(base.toString());

  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({ executablePath: opts.executablePath ?? CHROMIUM_PATH, args: CHROMIUM_ARGS });
  const consoleErrors: string[] = [];
  try {
    const page = await browser.newPage();
    page.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(m.text());
    });
    page.on('pageerror', (e) => consoleErrors.push(e.message));
    const login = new URL(base.toString());
    login.searchParams.set('token', token);
    await page.goto(login.toString());

    // Predicates are functions, not strings: the page's CSP forbids eval, and playwright
    // evaluates a string predicate with eval while polling. Each one is self-contained (it
    // is serialised into the page, where `document` exists; Node's lib has no DOM types,
    // hence the casts through globalThis).
    const until = async <A>(fn: (arg: A) => boolean, arg: A): Promise<boolean> => {
      try {
        await page.waitForFunction(fn as (a: unknown) => boolean, arg as unknown, { timeout, polling: 50 });
        return true;
      } catch {
        return false;
      }
    };
    type Doc = { querySelectorAll(s: string): ArrayLike<{ dataset: Record<string, string | undefined> }> };
    const sigs = (key: 'bookSig' | 'quoteSig'): Promise<string[]> =>
      page.evaluate(
        (k) =>
          Array.from((globalThis as unknown as { document: Doc }).document.querySelectorAll('[data-testid=ladder]')).map(
            (e) => e.dataset[k] ?? '',
          ),
        key,
      );
    const changed = (a: { key: 'bookSig' | 'quoteSig'; before: string[] }): boolean => {
      const now = Array.from((globalThis as unknown as { document: Doc }).document.querySelectorAll('[data-testid=ladder]')).map(
        (e) => e.dataset[a.key] ?? '',
      );
      return now.some((sig, i) => i < a.before.length && sig !== a.before[i]);
    };

    const first = await until(
      () =>
        Array.from((globalThis as unknown as { document: Doc }).document.querySelectorAll('[data-testid=ladder]')).some(
          (e) => e.dataset.bookSig !== undefined,
        ),
      null,
    );
    const markets = first
      ? await page.evaluate(() =>
          Array.from((globalThis as unknown as { document: Doc }).document.querySelectorAll('[data-testid=market]')).map(
            (e) => e.dataset.market ?? '',
          ),
        )
      : [];
    const sawBookUpdate = first && (await until(changed, { key: 'bookSig' as const, before: await sigs('bookSig') }));
    const sawQuoteUpdate = first && (await until(changed, { key: 'quoteSig' as const, before: await sigs('quoteSig') }));

    // The screenshot is taken before the control, while our quotes are on the ladders.
    if (opts.screenshotPath !== undefined) await page.screenshot({ path: opts.screenshotPath, fullPage: true });
    let controlResult = '';
    if (first) {
      await page.click('#global-controls button[data-control=pause]');
      const answered = await until(() => {
        const e = Array.from((globalThis as unknown as { document: Doc }).document.querySelectorAll('[data-testid=control-result]'))[0];
        return e !== undefined && e.dataset.kind === 'pause' && e.dataset.pending === '';
      }, null);
      if (answered) controlResult = (await page.textContent('[data-testid=control-result]')) ?? '';
    }
    const updates = Number(await page.getAttribute('body', 'data-updates'));
    return {
      sawBookUpdate,
      sawQuoteUpdate,
      controlResult,
      unauthenticatedStatus: refused.status,
      unauthenticatedLeaked: markets.some((m) => m !== '' && refused.body.includes(m)),
      markets,
      updates,
      consoleErrors,
    };
  } finally {
    await browser.close();
  }
}
