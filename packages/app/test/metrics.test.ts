import { describe, expect, it } from 'vitest';
import { request } from 'node:http';
import { createMetrics, startMetricsServer } from '../src/metrics/index.js';
import type { MetricsInput } from '../src/metrics/index.js';
import { fakeSource } from './fake-source.js';

function value(text: string, series: string): number | undefined {
  for (const line of text.split('\n')) {
    if (line.startsWith(series + ' ')) return Number(line.slice(series.length + 1));
  }
  return undefined;
}

function get(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    request(url, { headers }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    })
      .on('error', reject)
      .end();
  });
}

describe('metrics', () => {
  it('exports per-actor and per-market series from a snapshot', async () => {
    const src = fakeSource();
    const m = createMetrics();
    const s = src.snapshot(); // step 1
    m.update({ ...s, counters: src.counters!() });
    const text = await m.text();
    expect(value(text, 'kmm_actor_elu_ratio{actor="book.0"}')).toBeCloseTo(2 / 40);
    expect(value(text, 'kmm_actor_mailbox_depth{actor="book.0"}')).toBe(2);
    expect(value(text, 'kmm_actor_messages_in_total{actor="ingest"}')).toBe(100);
    expect(value(text, 'kmm_actor_handler_latency_seconds{actor="exec",quantile="0.99"}')).toBeCloseTo(49e-6);
    expect(value(text, 'kmm_market_inventory_contracts{market="KXFAKE-A"}')).toBe(-3);
    expect(value(text, 'kmm_market_realized_pnl_dollars{market="KXFAKE-B"}')).toBeCloseTo(0.0017);
    expect(value(text, 'kmm_market_unrealized_pnl_dollars{market="KXFAKE-B"}')).toBeCloseTo(-0.0025);
    expect(value(text, 'kmm_market_orders_sent_total{market="KXFAKE-A"}')).toBe(2);
    expect(value(text, 'kmm_market_trusted{market="KXFAKE-A"}')).toBe(1);
    expect(value(text, 'kmm_market_quotes{market="KXFAKE-A"}')).toBe(2);
    expect(value(text, 'kmm_rejects_total{code="POST_ONLY_CROSS"}')).toBe(0);
    expect(value(text, 'kmm_tick_to_order_seconds_count')).toBe(3);
    expect(value(text, 'kmm_tick_to_order_seconds_bucket{le="0.00025"}')).toBe(2);
    expect(value(text, 'kmm_trading_enabled')).toBe(1);
    expect(text).toContain('# TYPE kmm_actor_messages_in_total counter');
    expect(text).toContain('# TYPE kmm_tick_to_order_seconds histogram');
  });

  it('counters add differences of cumulative totals and survive a restart without going down', async () => {
    const src = fakeSource(['KX-A']);
    const m = createMetrics();
    const base = src.snapshot();
    const at = (msgsIn: number): MetricsInput => ({ ...base, actors: [{ ...base.actors[0], msgsIn }] });
    m.update(at(100));
    m.update(at(250));
    expect(value(await m.text(), 'kmm_actor_messages_in_total{actor="ingest"}')).toBe(250);
    m.update(at(30)); // actor restarted: counts from zero again
    expect(value(await m.text(), 'kmm_actor_messages_in_total{actor="ingest"}')).toBe(280);
    m.update(at(40));
    expect(value(await m.text(), 'kmm_actor_messages_in_total{actor="ingest"}')).toBe(290);
  });

  it('drops gauges of markets that left the snapshot and counts unparseable values', async () => {
    const src = fakeSource(['KX-A', 'KX-B']);
    const m = createMetrics();
    const s = src.snapshot();
    m.update(s);
    expect(await m.text()).toContain('kmm_market_inventory_contracts{market="KX-B"}');
    m.update({ ...s, markets: [{ ...s.markets[0], inventory: '3.5.0' }] });
    const text = await m.text();
    expect(text).not.toContain('kmm_market_inventory_contracts{market="KX-B"}');
    expect(value(text, 'kmm_metrics_input_errors_total{field="inventory"}')).toBe(1);
  });

  it('standalone server: bearer token required when set', async () => {
    const src = fakeSource();
    const m = createMetrics();
    const srv = await startMetricsServer({ metrics: m, token: 't'.repeat(32), refresh: () => src.snapshot() });
    try {
      expect(srv.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
      expect((await get(srv.url)).status).toBe(401);
      expect((await get(srv.url, { authorization: 'Bearer wrong' })).status).toBe(403);
      const ok = await get(srv.url, { authorization: `Bearer ${'t'.repeat(32)}` });
      expect(ok.status).toBe(200);
      expect(ok.body).toContain('kmm_market_fills_total{market="KXFAKE-A"}');
    } finally {
      await srv.close();
    }
  });
});
