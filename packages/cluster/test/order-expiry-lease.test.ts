/**
 * A cluster gateway's order expiry follows its lease (a dead cluster's quotes die within seconds
 * on the exchange), never below exec's minimum, which the registry enforces (10 s: below it,
 * renewals - a cancel + place per order at 80% of the expiry - would eat the write bucket).
 */
import { expect, it } from 'vitest';
import { loadConfig } from '@kmm/shared';
import { ORDER_EXPIRY_MIN_S, orderExpiryForLease } from '../src/shell/gateway.js';

it('order expiry = three leases, at least the registry minimum', () => {
  expect(orderExpiryForLease(2000)).toBe(ORDER_EXPIRY_MIN_S);
  expect(orderExpiryForLease(3000)).toBe(10);
  expect(orderExpiryForLease(5000)).toBe(15);
  expect(orderExpiryForLease(100)).toBe(ORDER_EXPIRY_MIN_S);
});

it("the registry accepts exec's minimum and refuses below it", () => {
  expect(loadConfig({ env: {}, cli: { kmm_order_expiry_s: ORDER_EXPIRY_MIN_S } }).values.kmm_order_expiry_s).toBe(ORDER_EXPIRY_MIN_S);
  expect(() => loadConfig({ env: {}, cli: { kmm_order_expiry_s: ORDER_EXPIRY_MIN_S - 1 } })).toThrow(/kmm_order_expiry_s/);
});
