/**
 * Recordings -> market events (core/market-stats.ts) for `kmm market-stats` and `kmm calibrate`.
 *
 * Reads, by content:
 *   - a websocket capture: our run folder's capture.jsonl ({recv_ns, recv_ms, frame} lines) or
 *     Kalshi's raw websocket frames one per line (session.jsonl); frames parsed by ingest's
 *     parser (through @kmm/backtest's readCapture). Event time: our receive time when the line
 *     has one, else the frame's ts_ms, else the last known time (raw snapshots carry none);
 *   - a trade-print CSV with columns ticker_name, create_ts, contracts_traded, price (cents),
 *     as Kalshi's public trades export (e.g. NCAA_trade25.csv);
 *   - a REST book-snapshot CSV with columns market_ticker, snapshot_time, yes_prices, yes_sizes,
 *     no_prices, no_sizes (lists of cents and contracts; bids of each leg).
 * Errors name the file and what is wrong with it.
 */
import { closeSync, existsSync, readFileSync, readSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { BoundedFileError, kmm, ONE_CENT, ONE_CONTRACT, openRegularFile } from '@kmm/shared';
import { readCapture, runTimeScale } from '@kmm/backtest';
import type { MarketEvent, StatsOptions } from '../core/market-stats.js';

export interface Recording {
  path: string;
  kind: 'capture' | 'trades-csv' | 'book-csv';
  events: MarketEvent[];
  opts: StatsOptions;
  /** market seconds per recorded second (a simulator run at a time scale); 1 for real recordings */
  timeScale: number;
}

/**
 * The time scale a simulator run folder declares in its market.json (`kmm demo` writes it next
 * to capture.jsonl), else 1.
 */
export function declaredTimeScale(capturePath: string): number {
  try {
    return runTimeScale(dirname(capturePath));
  } catch (err) {
    throw new Error(`${(err as Error).message}; pass --time-scale`);
  }
}

/**
 * Reads one recording of any supported kind. `timeScale` (default: the run folder's market.json,
 * else 1) stretches its times so rates come out per second of market time.
 */
export function readRecording(path: string, timeScale?: number): Recording {
  const rec = readUnscaled(path);
  const scale = timeScale ?? declaredTimeScale(path);
  if (scale !== 1 && rec.events.length > 0) {
    const t0 = rec.events[0].tMs;
    for (const e of rec.events) e.tMs = t0 + (e.tMs - t0) * scale;
  }
  return { ...rec, timeScale: scale };
}

/** Bytes of a recording's start read to tell its format by its first line. */
const HEAD_BYTES = 4096;

function readUnscaled(path: string): Omit<Recording, 'timeScale'> {
  // a regular file only, and only its head here: the whole file was read to keep 4 KiB of it, so
  // /dev/urandom was read without end and a FIFO blocked
  let opened: { fd: number };
  try {
    opened = openRegularFile(path, 'recording');
  } catch (err) {
    const e = err as BoundedFileError;
    throw new Error(e.reason === 'not_regular' ? e.message : `cannot read ${path}: ${e.message}`);
  }
  let head: string;
  try {
    const buf = Buffer.alloc(HEAD_BYTES);
    head = buf.subarray(0, readSync(opened.fd, buf, 0, HEAD_BYTES, 0)).toString('utf8');
  } catch (err) {
    throw new Error(`cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  } finally {
    closeSync(opened.fd);
  }
  const firstLine = head.split('\n', 1)[0];
  if (/contracts_traded/.test(firstLine) && /create_ts/.test(firstLine)) return readTradesCsv(path);
  if (/yes_prices/.test(firstLine) && /no_sizes/.test(firstLine)) return readBookCsv(path);
  return readWsCapture(path);
}

function readWsCapture(path: string): Omit<Recording, 'timeScale'> {
  let lines;
  try {
    lines = readCapture(path).lines;
  } catch (err) {
    throw new Error(`${path} is not a websocket capture, a trade-print CSV or a book-snapshot CSV (${(err as Error).message})`);
  }
  const events: MarketEvent[] = [];
  let tradesRecorded = false;
  let deltasRecorded = false;
  let lastMs = -1;
  /** events read before any time was known get the first known time */
  const untimed: MarketEvent[] = [];
  const BID = kmm.v1.BookSide.BID;
  for (const l of lines) {
    const f = l.frame;
    const frameMs = 'tsMs' in f && typeof f.tsMs === 'number' && f.tsMs > 0 ? f.tsMs : 0;
    const t = l.recvMs > 0 ? l.recvMs : frameMs > 0 ? frameMs : lastMs;
    if (t >= 0) {
      if (lastMs < 0) for (const e of untimed) e.tMs = t;
      lastMs = Math.max(lastMs, t);
    }
    let e: MarketEvent | null = null;
    switch (f.kind) {
      case 'subscribed':
        if (f.channel === 'trade') tradesRecorded = true;
        if (f.channel === 'orderbook_delta') deltasRecorded = true;
        break;
      case 'snapshot':
        deltasRecorded = true;
        e = {
          kind: 'snapshot',
          market: f.market,
          tMs: t,
          yesBids: (f.body.yesBids ?? []).map((x) => [x.price ?? 0, Number(x.countCenti ?? 0)]),
          noBids: (f.body.noBids ?? []).map((x) => [x.price ?? 0, Number(x.countCenti ?? 0)]),
        };
        break;
      case 'delta':
        deltasRecorded = true;
        e = { kind: 'delta', market: f.market, tMs: t, leg: f.body.leg === kmm.v1.LegSide.NO ? 'no' : 'yes', price: f.body.price ?? 0, deltaCenti: Number(f.body.deltaCenti ?? 0) };
        break;
      case 'trade':
        tradesRecorded = true;
        e = { kind: 'trade', market: f.market, tMs: t, yesPrice: f.body.yesPrice ?? 0, countCenti: Number(f.body.countCenti ?? 0) };
        break;
      case 'fill':
        e = { kind: 'fill', market: f.market, tMs: t, buy: f.body.side === BID, yesPrice: f.body.yesPrice ?? 0, countCenti: Number(f.body.countCenti ?? 0), isTaker: f.body.isTaker === true };
        break;
    }
    if (!e) continue;
    if (t < 0) untimed.push(e);
    events.push(e);
  }
  if (lastMs < 0) throw new Error(`${path}: no frame carries a time (ts_ms or a receive time)`);
  events.sort((a, b) => a.tMs - b.tMs);
  return { path, kind: 'capture', events, opts: { tradesRecorded, bookDeltasRecorded: deltasRecorded } };
}

/** Splits one CSV line (double quotes, "" escapes; commas inside quotes kept). */
export function splitCsvLine(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') ((cur += '"'), i++);
      else if (c === '"') quoted = false;
      else cur += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') (out.push(cur), (cur = ''));
    else cur += c;
  }
  out.push(cur);
  return out;
}

function csvRows(path: string, required: string[]): { col: (row: string[], name: string) => string; rows: string[][] } {
  const text = readFileSync(path, 'utf8');
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  const header = splitCsvLine(lines[0] ?? '');
  const idx = new Map(header.map((h, i) => [h.trim(), i]));
  for (const r of required) if (!idx.has(r)) throw new Error(`${path}: CSV has no column '${r}' (columns: ${header.join(', ')})`);
  return { col: (row, name) => row[idx.get(name)!] ?? '', rows: lines.slice(1).map(splitCsvLine) };
}

function readTradesCsv(path: string): Omit<Recording, 'timeScale'> {
  const { col, rows } = csvRows(path, ['ticker_name', 'create_ts', 'contracts_traded', 'price']);
  const events: MarketEvent[] = [];
  rows.forEach((row, i) => {
    const where = `${path} row ${i + 2}`;
    const tMs = Date.parse(col(row, 'create_ts'));
    const contracts = Number(col(row, 'contracts_traded'));
    const cents = Number(col(row, 'price'));
    if (!Number.isFinite(tMs)) throw new Error(`${where}: create_ts '${col(row, 'create_ts')}' is not a time`);
    if (!(contracts > 0)) throw new Error(`${where}: contracts_traded '${col(row, 'contracts_traded')}' is not a positive number`);
    if (!(cents > 0 && cents < 100)) throw new Error(`${where}: price '${col(row, 'price')}' is not a price in cents (1..99)`);
    events.push({ kind: 'trade', market: col(row, 'ticker_name'), tMs, yesPrice: Math.round(cents * ONE_CENT), countCenti: Math.round(contracts * ONE_CONTRACT) });
  });
  // the export lists each day newest first
  events.sort((a, b) => a.tMs - b.tMs);
  return { path, kind: 'trades-csv', events, opts: { tradesRecorded: true, bookDeltasRecorded: false, perMarketEnd: true } };
}

function numberList(where: string, s: string): number[] {
  const t = s.trim();
  if (t === '' || t === '[]') return [];
  if (!/^\[[\d.,\s]*\]$/.test(t)) throw new Error(`${where}: '${s.slice(0, 40)}' is not a list of numbers`);
  return t.slice(1, -1).split(',').map((x) => Number(x.trim()));
}

function readBookCsv(path: string): Omit<Recording, 'timeScale'> {
  const { col, rows } = csvRows(path, ['market_ticker', 'snapshot_time', 'yes_prices', 'yes_sizes', 'no_prices', 'no_sizes']);
  const events: MarketEvent[] = [];
  rows.forEach((row, i) => {
    const where = `${path} row ${i + 2}`;
    const tMs = Date.parse(col(row, 'snapshot_time'));
    if (!Number.isFinite(tMs)) throw new Error(`${where}: snapshot_time '${col(row, 'snapshot_time')}' is not a time`);
    const side = (p: string, s: string): Array<[number, number]> => {
      const prices = numberList(`${where} ${p}`, col(row, p));
      const sizes = numberList(`${where} ${s}`, col(row, s));
      if (prices.length !== sizes.length) throw new Error(`${where}: ${p} has ${prices.length} entries but ${s} has ${sizes.length}`);
      return prices.map((c, k) => [Math.round(c * ONE_CENT), Math.round(sizes[k] * ONE_CONTRACT)]);
    };
    events.push({ kind: 'snapshot', market: col(row, 'market_ticker'), tMs, yesBids: side('yes_prices', 'yes_sizes'), noBids: side('no_prices', 'no_sizes') });
  });
  events.sort((a, b) => a.tMs - b.tMs);
  return { path, kind: 'book-csv', events, opts: { tradesRecorded: false, bookDeltasRecorded: false, perMarketEnd: true } };
}
