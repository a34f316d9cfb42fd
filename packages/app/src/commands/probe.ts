/**
 * `./kmm probe [--env sim|demo|prod]`: the connectivity sequence of 003 ("Production Probe"):
 *   1. connect (exchange status, then an authenticated read)
 *   2. place 1 contract, buy YES @ 1 cent (post-only, GTC)
 *   3. confirm the order id was received (and the order rests)
 *   4. cancel the order
 *   5. confirm the cancellation (the order reads back canceled / no longer resting)
 * Each step is printed; the first failure stops the probe with a non-zero exit code.
 * With --env sim (and no --base-url) the simulator is started in-process on 127.0.0.1 (this is
 * why the probe lives in the app: the exec worker does not depend on the simulator).
 */
import { Signer, loadPrivateKeyPem, kmm } from '@kmm/shared';
import { RestClient } from '@kmm/exec-worker';

export type ProbeEnv = 'sim' | 'demo' | 'prod';

export const PROBE_BASE_URLS: Record<Exclude<ProbeEnv, 'sim'>, string> = {
  demo: 'https://external-api.demo.kalshi.co/trade-api/v2',
  prod: 'https://external-api.kalshi.com/trade-api/v2',
};
/** Read-back attempts while the venue's REST view catches up with a write (reads lag, section 2.6). */
export const CONFIRM_ATTEMPTS = 10;
export const CONFIRM_DELAY_MS = 200;

export interface ProbeOptions {
  env: ProbeEnv;
  baseUrl?: string;
  keyId?: string;
  privateKeyPath?: string;
  /** market to use; default: the first open market whose grid has 1 cent */
  market?: string;
  timeoutMs?: number;
  seed?: number;
  log?: (line: string) => void;
}

export interface ProbeStep {
  step: string;
  ok: boolean;
  ms: number;
  detail: string;
}

export interface ProbeResult {
  ok: boolean;
  steps: ProbeStep[];
}

const ONE_CENT_PRICE = 100;

export async function runProbe(opts: ProbeOptions): Promise<ProbeResult> {
  const log = opts.log ?? ((l: string) => process.stdout.write(l + '\n'));
  const steps: ProbeStep[] = [];
  let sim: { close(): Promise<void> } | null = null;
  let rest: RestClient | null = null;
  const step = async (name: string, f: () => Promise<string>): Promise<boolean> => {
    const t0 = process.hrtime.bigint();
    let ok = true;
    let detail: string;
    try {
      detail = await f();
    } catch (e) {
      ok = false;
      detail = (e as Error).message;
    }
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    steps.push({ step: name, ok, ms, detail });
    log(`${ok ? 'OK  ' : 'FAIL'} ${name.padEnd(22)} ${ms.toFixed(1).padStart(8)} ms  ${detail}`);
    return ok;
  };
  try {
    let baseUrl = opts.baseUrl ?? '';
    let keyId = opts.keyId ?? process.env.KALSHI_API_KEY_ID ?? '';
    let pem = '';
    if (opts.env === 'sim' && !baseUrl) {
      const ok = await step('start simulator', async () => {
        const { startSim } = await import('@kmm/sim');
        const h = await startSim({ port: 0, seed: opts.seed ?? 1, markets: 5 });
        sim = h;
        baseUrl = h.restBaseUrl;
        keyId = h.keyId;
        pem = h.privateKeyPem || loadPrivateKeyPem(h.privateKeyPath);
        return baseUrl;
      });
      if (!ok) return { ok: false, steps };
    } else {
      if (!baseUrl) baseUrl = opts.env === 'sim' ? '' : PROBE_BASE_URLS[opts.env];
      const path = opts.privateKeyPath ?? process.env.KALSHI_PRIVATE_KEY_PATH ?? '';
      const ok = await step('load key', async () => {
        if (!keyId) throw new Error('no API key id (--key-id or KALSHI_API_KEY_ID)');
        if (!path) throw new Error('no private key file (--key-file or KALSHI_PRIVATE_KEY_PATH)');
        pem = loadPrivateKeyPem(path, (m) => log(`WARN ${m}`));
        return `key id ${keyId}`;
      });
      if (!ok) return { ok: false, steps };
    }
    rest = new RestClient({ baseUrl, signer: new Signer(keyId, pem), timeoutMs: opts.timeoutMs ?? 5000, readTimeoutMs: opts.timeoutMs ?? 5000 });
    const r = rest;
    if (
      !(await step('connect', async () => {
        const s = await r.getExchangeStatus();
        if (!s.ok) throw new Error(`exchange status: ${s.error.message} (http ${s.error.http})`);
        const b = await r.call('GET', '/portfolio/balance', '', undefined, 'read');
        if (!b.ok) throw new Error(`authenticated read failed: ${b.error.message} (http ${b.error.http})`);
        return `${baseUrl} exchange_active=${s.value.exchangeActive} trading_active=${s.value.tradingActive}`;
      }))
    )
      return { ok: false, steps };
    let market = opts.market ?? '';
    if (
      !market &&
      !(await step('pick market', async () => {
        const m = await r.getMarkets('open');
        if (!m.ok) throw new Error(m.error.message);
        const pick = m.value.find((x) => x.status === kmm.v1.MarketStatus.MARKET_ACTIVE && (x.priceRanges ?? []).some((b) => (b.startPrice ?? 0) <= ONE_CENT_PRICE && ONE_CENT_PRICE <= (b.endPrice ?? 0) && (ONE_CENT_PRICE - (b.startPrice ?? 0)) % (b.stepPrice || 1) === 0));
        if (!pick) throw new Error(`no open market with a 1 cent price among ${m.value.length}`);
        market = pick.market ?? '';
        return market;
      }))
    )
      return { ok: false, steps };
    const coid = `probe-${Date.now().toString(36)}`;
    let orderId = '';
    if (
      !(await step('place 1 @ 1c', async () => {
        const c = await r.createOrder({ market, side: kmm.v1.BookSide.BID, price: ONE_CENT_PRICE, countCenti: 100, tif: kmm.v1.TimeInForce.GOOD_TILL_CANCELED, postOnly: true, clientOrderId: coid });
        if (!c.ok) throw new Error(`${c.error.venueCode || c.error.code}: ${c.error.message} (http ${c.error.http})`);
        orderId = c.value.orderId;
        return `client_order_id ${coid}, ${c.latencyUs} us`;
      }))
    )
      return { ok: false, steps };
    if (
      !(await step('confirm order id', async () => {
        if (!orderId) throw new Error('no order_id in the response');
        const st = await readStatus(r, orderId, (s) => s === 'resting' || s === 'executed');
        return `order_id ${orderId} status ${st}`;
      }))
    )
      return { ok: false, steps };
    if (
      !(await step('cancel', async () => {
        const c = await r.cancel(orderId);
        if (!c.ok) throw new Error(`${c.error.venueCode || c.error.code}: ${c.error.message} (http ${c.error.http})`);
        return c.value.reducedCenti < 0 ? 'reduced_by not reported' : `reduced_by ${c.value.reducedCenti / 100}`;
      }))
    )
      return { ok: false, steps };
    if (
      !(await step('confirm cancellation', async () => {
        const st = await readStatus(r, orderId, (s) => s === 'canceled');
        return `order_id ${orderId} status ${st}`;
      }))
    )
      return { ok: false, steps };
    return { ok: true, steps };
  } finally {
    rest?.close();
    if (sim) await (sim as { close(): Promise<void> }).close();
  }
}

async function readStatus(r: RestClient, orderId: string, want: (s: string) => boolean): Promise<string> {
  let last = '';
  for (let i = 0; i < CONFIRM_ATTEMPTS; i++) {
    const g = await r.call('GET', `/portfolio/orders/${encodeURIComponent(orderId)}`, '', undefined, 'read');
    if (g.ok) {
      const o = (g.value as { order?: { status?: unknown } }).order;
      last = typeof o?.status === 'string' ? o.status : '(none)';
      if (want(last)) return last;
    } else last = `error ${g.error.message}`;
    await new Promise((res) => setTimeout(res, CONFIRM_DELAY_MS));
  }
  throw new Error(`order ${orderId} reads back as ${last}`);
}
