/**
 * tape.csv (003 "Data Tape"): exactly the columns ts, ticker, mid, my_bid, my_ask, inventory,
 * unrealized_pnl, realized_pnl, latency_ms. Prices in dollars (4 dp), inventory in contracts
 * (2 dp, signed), P&L in dollars (4 dp), ts ISO-8601 UTC. latency_ms is 003's "processing latency":
 * the last tick-to-wire time (venue frame received -> order request written; 3 dp; empty when no
 * command has gone out yet), not the REST round trip.
 * Buffered append stream, fire-and-forget (the hot path never waits on it); no fsync: the tape is
 * for analysis, the journal is the durable record.
 */
import { createWriteStream, existsSync, mkdirSync, statSync, type WriteStream } from 'node:fs';
import { dirname } from 'node:path';
import { formatCount, formatMoney, formatPrice } from '@kmm/shared';
import type { TapeRow } from '../core/types.js';

export const TAPE_COLUMNS = ['ts', 'ticker', 'mid', 'my_bid', 'my_ask', 'inventory', 'unrealized_pnl', 'realized_pnl', 'latency_ms'] as const;
/** Rows buffered in the stream beyond which new rows are dropped (counted) until it drains. */
export const TAPE_BACKLOG_BYTES_MAX = 8 * 1024 * 1024;

export function tapeLine(wallMs: number, r: TapeRow): string {
  const price = (p: number): string => (p > 0 ? formatPrice(p) : '');
  return [
    new Date(wallMs).toISOString(),
    r.ticker,
    price(r.midPrice),
    price(r.myBid),
    price(r.myAsk),
    formatCount(r.inventoryCenti),
    formatMoney(r.unrealizedPnlMoney),
    formatMoney(r.realizedPnlMoney),
    r.processingLatencyUs >= 0 ? (r.processingLatencyUs / 1000).toFixed(3) : '',
  ].join(',');
}

export class Tape {
  private readonly out: WriteStream;
  dropped = 0;
  rows = 0;
  constructor(
    readonly path: string,
    private readonly wallMs: () => number = Date.now,
  ) {
    mkdirSync(dirname(path), { recursive: true });
    const fresh = !existsSync(path) || statSync(path).size === 0;
    this.out = createWriteStream(path, { flags: 'a' });
    if (fresh) this.out.write(TAPE_COLUMNS.join(',') + '\n');
  }
  write(rows: readonly TapeRow[]): void {
    if (rows.length === 0) return;
    if (this.out.writableLength > TAPE_BACKLOG_BYTES_MAX) {
      this.dropped += rows.length;
      return;
    }
    const now = this.wallMs();
    let text = '';
    for (const r of rows) text += tapeLine(now, r) + '\n';
    this.rows += rows.length;
    this.out.write(text);
  }
  close(): Promise<void> {
    return new Promise((resolve) => this.out.end(resolve));
  }
}
