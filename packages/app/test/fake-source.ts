/**
 * A scripted dashboard source for tests: every snapshot() advances one step, and the
 * book levels, our quotes, inventory and the actor figures are pure functions of the
 * step, so the state changes between snapshots deterministically (no clock, no random).
 */
import { formatCount, formatMoney, formatPrice } from '@kmm/shared';
import type { ControlCommand, DashboardSource, DashboardState } from '../src/dashboard/types.js';

export interface FakeSource extends DashboardSource {
  steps(): number;
  controls: ControlCommand[];
  paused: boolean;
}

export function fakeSource(markets = ['KXFAKE-A', 'KXFAKE-B'], breached: string[] = []): FakeSource {
  let step = 0;
  const src: FakeSource = {
    controls: [],
    paused: false,
    steps: () => step,
    snapshot(): DashboardState {
      step++;
      return {
        ts: 1_750_000_000_000 + step * 250,
        mode: 'sim',
        markets: markets.map((ticker, i) => {
          const bestBid = 4000 + i * 1000 + (step % 5) * 100; // walks 0.40..0.44 (+0.10 per market)
          const bestAsk = bestBid + 200;
          const bids = Array.from({ length: 6 }, (_, k) => [formatPrice(bestBid - k * 100), formatCount((10 + ((step + k) % 7)) * 100)] as [string, string]);
          const asks = Array.from({ length: 6 }, (_, k) => [formatPrice(bestAsk + k * 100), formatCount((12 + ((step * 3 + k) % 5)) * 100)] as [string, string]);
          const inv = ((step % 9) - 4) * 100;
          return {
            ticker,
            bids,
            asks,
            ourQuotes: src.paused
              ? []
              : [
                  { side: 'bid' as const, price: formatPrice(bestBid - (step % 2) * 100), size: '3.00', queueAhead: formatCount(((step * 7) % 20) * 100) },
                  { side: 'ask' as const, price: formatPrice(bestAsk), size: '3.00', queueAhead: formatCount(((step * 3) % 15) * 100) },
                ],
            inventory: formatCount(inv),
            realizedPnl: formatMoney(step * 17),
            unrealizedPnl: formatMoney(-(step % 11) * 25),
            fills: Math.floor(step / 3),
            riskState: breached.includes(ticker) ? 'startup_breach' : 'ok',
            blocks: breached.includes(ticker) ? ['startup_position_cap_breach'] : [],
            trust: 'TRUSTED',
          };
        }),
        actors: ['ingest', 'book.0', 'strategy', 'exec'].map((name, i) => ({
          name,
          elu: ((step + i) % 10) / 40,
          mailboxDepth: (step + i) % 3,
          msgsIn: step * 100 + i,
          msgsOut: step * 90 + i,
          dropped: 0,
          conflated: step * (i === 1 ? 2 : 0),
          handlerP50Us: 4 + i,
          handlerP99Us: 40 + i * 3,
        })),
        risk: { tradingEnabled: true, quotingPaused: src.paused, breachedMarkets: breached },
        events: [{ t: 1_750_000_000_000, event: 'startup_complete', level: 'info' }],
      };
    },
    counters: () => ({
      ordersSent: Object.fromEntries(markets.map((m) => [m, step * 2])),
      rejectsByCode: { POST_ONLY_CROSS: Math.floor(step / 4) },
      tickToOrderUsSamples: [180, 250, 900],
    }),
  };
  return src;
}
