/**
 * Kalshi's own TypeScript SDK (kalshi-typescript, newest on npm), unmodified, pointed at the
 * simulator through its basePath. Uses the live clock (the SDK signs with Date.now()).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Configuration, MarketApi, OrderGroupsApi, OrdersApi, PortfolioApi, ExchangeApi } from 'kalshi-typescript';
import { NO_READ_LAG, startSim, type SimHandle } from '../src/index.js';

let sim: SimHandle;
let cfg: Configuration;
let T: string;

beforeAll(async () => {
  sim = await startSim({ seed: 11, markets: 5, flow: false, tier: 'unlimited', keyDir: '/tmp/kmm-sim-test', readLag: NO_READ_LAG });
  cfg = new Configuration({ apiKey: sim.keyId, privateKeyPem: sim.privateKeyPem, basePath: sim.restBaseUrl });
  T = sim.markets()[0].spec.ticker;
});
afterAll(async () => {
  await sim.close();
});

describe('kalshi-typescript SDK against the sim', () => {
  it('exchange status, balance, markets, orderbook', async () => {
    const ex = await new ExchangeApi(cfg).getExchangeStatus();
    expect(ex.data.trading_active).toBe(true);
    const bal = await new PortfolioApi(cfg).getBalance();
    expect(bal.data.balance).toBe(1_000_000);
    const mk = await new MarketApi(cfg).getMarkets(2);
    expect(mk.data.markets.length).toBe(2);
    expect(mk.data.cursor).not.toBe('');
    const page2 = await new MarketApi(cfg).getMarkets(2, mk.data.cursor);
    expect(page2.data.markets[0].ticker).not.toBe(mk.data.markets[0].ticker);
    const one = await new MarketApi(cfg).getMarket(T);
    expect(one.data.market.price_ranges[0].step).toBe('0.0100');
    const ob = await new MarketApi(cfg).getMarketOrderbook(T);
    expect(ob.data.orderbook_fp).toHaveProperty('yes_dollars');
    const obs = await new MarketApi(cfg).getMarketOrderbooks([T, sim.markets()[1].spec.ticker]);
    expect(obs.data.orderbooks.length).toBe(2);
  });

  it('V2 create, get, amend, decrease, queue position, cancel, batch create and cancel', async () => {
    const orders = new OrdersApi(cfg);
    const c = await orders.createOrderV2({
      ticker: T,
      side: 'bid',
      count: '10.00',
      price: '0.0500',
      time_in_force: 'good_till_canceled',
      self_trade_prevention_type: 'taker_at_cross',
      client_order_id: 'sdk-1',
    });
    expect(c.status).toBe(201);
    const id = c.data.order_id;
    const g = await orders.getOrder(id);
    expect(g.data.order.client_order_id).toBe('sdk-1');
    expect(g.data.order.remaining_count_fp).toBe('10.00');
    const am = await orders.amendOrderV2(id, { ticker: T, side: 'bid', price: '0.0600', count: '12.00' });
    expect(am.data.remaining_count).toBe('12.00');
    const de = await orders.decreaseOrderV2(id, { reduce_to: '4.00' });
    expect(de.data.remaining_count).toBe('4.00');
    const qp = await orders.getOrderQueuePosition(id);
    expect(qp.data.queue_position_fp).toBe('0.00');
    const qps = await orders.getOrderQueuePositions(T);
    expect(qps.data.queue_positions.map((q) => q.order_id)).toContain(id);
    const cc = await orders.cancelOrderV2(id);
    expect(cc.data.reduced_by).toBe('4.00');
    const b = await orders.batchCreateOrdersV2({
      orders: [
        { ticker: T, side: 'bid', count: '1.00', price: '0.0300', time_in_force: 'good_till_canceled', self_trade_prevention_type: 'maker' },
        { ticker: T, side: 'ask', count: '1.00', price: '0.9700', time_in_force: 'good_till_canceled', self_trade_prevention_type: 'maker' },
      ],
    });
    expect(b.data.orders.every((o) => !o.error)).toBe(true);
    const bc = await orders.batchCancelOrdersV2({ orders: b.data.orders.map((o) => ({ order_id: o.order_id! })) });
    expect(bc.data.orders.map((o) => o.reduced_by)).toEqual(['1.00', '1.00']);
    const list = await orders.getOrders(T);
    expect(list.data.orders.length).toBeGreaterThanOrEqual(3);
  });

  it('positions and fills after a trade', async () => {
    // counterparty liquidity from a second (engine-level) account
    sim.engine.createAccount('sdk-cp', 1e12);
    sim.engine.createOrder('sdk-cp', { ticker: T, side: 'ask', price: 4000, countCenti: 500, tif: 'good_till_canceled', stp: 'maker' });
    const orders = new OrdersApi(cfg);
    const c = await orders.createOrderV2({ ticker: T, side: 'bid', count: '3.00', price: '0.4000', time_in_force: 'immediate_or_cancel', self_trade_prevention_type: 'maker' });
    expect(c.data.fill_count).toBe('3.00');
    expect(c.data.average_fill_price).toBe('0.4000');
    const pf = new PortfolioApi(cfg);
    const pos = await pf.getPositions();
    const p = pos.data.market_positions.find((x) => x.ticker === T)!;
    expect(p.position_fp).toBe('3.00');
    const fills = await pf.getFills(T);
    expect(fills.data.fills[0].count_fp).toBe('3.00');
    expect(fills.data.fills[0].is_taker).toBe(true);
  });

  it('order groups: create, get, list, limit, trigger, reset, delete', async () => {
    const og = new OrderGroupsApi(cfg);
    const c = await og.createOrderGroup({ contracts_limit_fp: '50.00' });
    const id = c.data.order_group_id;
    const g = await og.getOrderGroup(id);
    expect(g.data.is_auto_cancel_enabled).toBe(false);
    expect((await og.getOrderGroups()).data.order_groups!.map((x) => x.id)).toContain(id);
    await og.updateOrderGroupLimit(id, { contracts_limit_fp: '60.00' });
    await og.triggerOrderGroup(id);
    expect((await og.getOrderGroup(id)).data.is_auto_cancel_enabled).toBe(true);
    await og.resetOrderGroup(id);
    await og.deleteOrderGroup(id);
    await expect(og.getOrderGroup(id)).rejects.toMatchObject({ response: { status: 404 } });
  });
});
