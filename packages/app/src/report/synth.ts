/**
 * Writes a realistic synthetic run folder (seeded, deterministic: same options -> same
 * bytes) for report tests and demos of the report page. It is a toy market, not the sim:
 * per market a YES book whose best bid/ask walk on a one-cent grid, our maker quotes at or
 * one tick behind the touch and skewed by inventory, fills when flow hits our level, with
 * some adverse selection (the mid tends to move through our fill price after a fill),
 * churn (amends, cancel/replace), venue rejects, per-actor health heartbeats, and the
 * summary. Money is exact: price (1/10,000 $) x count (1/100 contract) = micro-dollars.
 *
 * Tape P&L convention: realized_pnl is net of fees; realized + unrealized = cash - fees +
 * position x mid at that row.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { formatCount, formatFixed, formatMoney, formatPrice, SeededRng, tradeFee } from '@kmm/shared';

export type SyntheticFile = 'tape.csv' | 'journal.jsonl' | 'health.jsonl' | 'summary.json' | 'prices.jsonl';

export interface SyntheticRunOptions {
  seed?: number;
  markets?: string[];
  durationS?: number;
  startMs?: number;
  /** Step of the simulated market in ms (book changes, fill chances, prices.jsonl rows). */
  stepMs?: number;
  /** Write prices.jsonl (else the report uses the tape mids). */
  withPrices?: boolean;
  /** Add a few malformed lines to every line-based file (for tolerance tests). */
  malformed?: boolean;
  /** Leave these files out. */
  omit?: SyntheticFile[];
}

export interface SyntheticRunInfo {
  dir: string;
  fills: number;
  commands: number;
  rejects: number;
  tapeRows: number;
  healthLines: number;
  /** Malformed lines written per file. */
  malformedWritten: Record<string, number>;
  /** Exact final equity (cash - fees + position x final mid) summed over markets, micro-dollars. */
  finalEquityMicro: number;
}

const CENT = 100; // price units per cent
const ACTORS = ['ingest', 'book.0', 'book.1', 'strategy', 'exec'];
const HIST_BOUNDS_US = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000];
const FEES = { feeType: 'quadratic_with_maker_fees', multiplierMilli: 1000 };

interface MarketSim {
  ticker: string;
  bid: number; // best YES bid, price units
  ask: number;
  myBid: number | null;
  myAsk: number | null;
  posCenti: number;
  cashMicro: number;
  feesMicro: number;
  avgCost: number; // price units per contract (float: only used to split realized/unrealized)
  fills: number;
  orderSeq: number;
  bias: number; // adverse-selection drift, decays
}

function isoOf(ms: number): string {
  return new Date(ms).toISOString();
}

export async function writeSyntheticRun(dir: string, opts: SyntheticRunOptions = {}): Promise<SyntheticRunInfo> {
  const rng = new SeededRng(opts.seed ?? 7);
  const markets = opts.markets ?? ['KXSYN-24-A', 'KXSYN-24-B'];
  const durationS = opts.durationS ?? 600;
  const startMs = opts.startMs ?? Date.UTC(2025, 5, 2, 14, 0, 0);
  const stepMs = opts.stepMs ?? 250;
  const withPrices = opts.withPrices ?? true;
  const omit = new Set(opts.omit ?? []);
  await mkdir(dir, { recursive: true });

  const tape: string[] = ['ts,ticker,mid,my_bid,my_ask,inventory,unrealized_pnl,realized_pnl,latency_ms'];
  const journal: string[] = [];
  const health: string[] = [];
  const prices: string[] = [];
  const tickToOrderUs: number[] = [];
  let commands = 0;
  let rejects = 0;
  let fillsTotal = 0;
  let ordersSent = 0;
  let maxInv = 0;

  const sims: MarketSim[] = markets.map((ticker, i) => {
    const mid = (35 + 20 * i + rng.int(0, 10)) * CENT;
    return { ticker, bid: mid - CENT, ask: mid + CENT, myBid: null, myAsk: null, posCenti: 0, cashMicro: 0, feesMicro: 0, avgCost: 0, fills: 0, orderSeq: 0, bias: 0 };
  });
  const mr = rng.fork('market');
  const fr = rng.fork('flow');
  const cr = rng.fork('churn');
  const hr = rng.fork('health');

  const command = (t: number, m: MarketSim, kind: string, side: 'bid' | 'ask', price: number, countCenti: number): void => {
    commands++;
    const coid = `${m.ticker}-${++m.orderSeq}`;
    if (kind === 'PLACE') ordersSent++;
    journal.push(JSON.stringify({ t, type: 'command', kind, market: m.ticker, side, price: formatPrice(price), count: formatCount(countCenti), client_order_id: coid }));
    const lat = Math.round(150 + cr.exp(250));
    tickToOrderUs.push(lat);
    const roll = cr.next();
    if (kind === 'PLACE' && roll < 0.03) {
      rejects++;
      journal.push(JSON.stringify({ t: t + 3, type: 'reject', code: 'POST_ONLY_CROSS', market: m.ticker, client_order_id: coid }));
    } else if (roll < 0.04) {
      rejects++;
      journal.push(JSON.stringify({ t: t + 2, type: 'reject', code: 'RATE_LIMITED', market: m.ticker, client_order_id: coid }));
    } else if (roll < 0.045) {
      rejects++;
      journal.push(JSON.stringify({ t: t + 4, type: 'reject', code: 'INSUFFICIENT_BALANCE', market: m.ticker, client_order_id: coid }));
    } else {
      const type = kind === 'PLACE' ? 'ack' : kind === 'CANCEL' ? 'cancel' : 'amend';
      journal.push(JSON.stringify({ t: t + 5, type, market: m.ticker, client_order_id: coid, order_id: `o-${coid}`, status: type === 'cancel' ? 'CANCELED' : 'RESTING' }));
    }
  };

  const requote = (t: number, m: MarketSim): void => {
    // Inventory skew: long -> lean the bid back a tick, short -> lean the ask back.
    const inv = m.posCenti / 100;
    const nb = m.bid - (inv > 4 ? CENT : 0);
    const na = m.ask + (inv < -4 ? CENT : 0);
    if (nb !== m.myBid) {
      const kind = m.myBid === null ? 'PLACE' : cr.chance(0.3) ? 'CANCEL' : 'AMEND';
      if (kind === 'CANCEL') {
        command(t, m, 'CANCEL', 'bid', m.myBid!, 300);
        command(t + 1, m, 'PLACE', 'bid', nb, 300);
      } else command(t, m, kind, 'bid', nb, 300);
      journal.push(JSON.stringify({ t, type: 'decision', market: m.ticker, side: 'bid', from: m.myBid === null ? null : formatPrice(m.myBid), to: formatPrice(nb), why: 'requote' }));
      m.myBid = nb;
    }
    if (na !== m.myAsk) {
      const kind = m.myAsk === null ? 'PLACE' : cr.chance(0.3) ? 'CANCEL' : 'AMEND';
      if (kind === 'CANCEL') {
        command(t, m, 'CANCEL', 'ask', m.myAsk!, 300);
        command(t + 1, m, 'PLACE', 'ask', na, 300);
      } else command(t, m, kind, 'ask', na, 300);
      m.myAsk = na;
    }
  };

  const fill = (t: number, m: MarketSim, side: 'bid' | 'ask', price: number, countCenti: number, isTaker: boolean): void => {
    const s = side === 'bid' ? 1 : -1;
    const fee = tradeFee(isTaker, price, countCenti, FEES); // 1/10,000 $
    const prev = m.posCenti;
    const next = prev + s * countCenti;
    if (prev === 0 || Math.sign(prev) === s) {
      m.avgCost = (m.avgCost * Math.abs(prev) + price * countCenti) / (Math.abs(prev) + countCenti);
    } else if (Math.sign(next) !== Math.sign(prev) && next !== 0) {
      m.avgCost = price; // flipped through zero: the remainder opened at this price
    }
    m.posCenti = next;
    m.cashMicro -= s * price * countCenti;
    m.feesMicro += fee * 100;
    m.fills++;
    fillsTotal++;
    maxInv = Math.max(maxInv, Math.abs(next) / 100);
    // Adverse selection: flow that hits our bid tends to keep selling.
    m.bias += -s * 0.25;
    journal.push(
      JSON.stringify({
        t,
        type: 'fill',
        trade_id: `tr-${m.ticker}-${m.fills}`,
        order_id: `o-${m.ticker}-${m.orderSeq}`,
        client_order_id: `${m.ticker}-${m.orderSeq}`,
        market: m.ticker,
        side,
        price: formatPrice(price),
        count: formatCount(countCenti),
        is_taker: isTaker,
        fee: formatMoney(fee),
        post_position: formatCount(next),
      }),
    );
  };

  const steps = Math.floor((durationS * 1000) / stepMs);
  const stepsPerTape = Math.max(1, Math.round(1000 / stepMs));
  const msgsIn: Record<string, number> = Object.fromEntries(ACTORS.map((a) => [a, 0]));
  for (let k = 0; k <= steps; k++) {
    const t = startMs + k * stepMs;
    for (const m of sims) {
      // Book: the touch moves a tick with some probability, biased after fills.
      const up = 0.08 + Math.max(-0.06, Math.min(0.06, m.bias * 0.1));
      const down = 0.08 - Math.max(-0.06, Math.min(0.06, m.bias * 0.1));
      const r = mr.next();
      if (r < up && m.ask < 97 * CENT) {
        m.bid += CENT;
        m.ask += CENT;
      } else if (r < up + down && m.bid > 3 * CENT) {
        m.bid -= CENT;
        m.ask -= CENT;
      }
      // Spread breathes between 1 and 3 cents.
      if (mr.chance(0.05)) {
        const spread = mr.int(1, 3) * CENT;
        m.ask = Math.min(99 * CENT, m.bid + spread);
      }
      m.bias *= 0.9;
      if (k === 0 || k % 2 === 0) requote(t, m);
      // Flow: a hit on our bid / lift of our ask when we are at the touch.
      if (m.myBid !== null && m.myBid >= m.bid && fr.chance(0.03)) fill(t + fr.int(1, stepMs - 1), m, 'bid', m.myBid, fr.int(1, 5) * 100, false);
      if (m.myAsk !== null && m.myAsk <= m.ask && fr.chance(0.03)) fill(t + fr.int(1, stepMs - 1), m, 'ask', m.myAsk, fr.int(1, 5) * 100, false);
      // Rare taker exit when inventory is large.
      if (Math.abs(m.posCenti) > 1200 && fr.chance(0.02)) {
        const side = m.posCenti > 0 ? 'ask' : 'bid';
        fill(t + 1, m, side, side === 'ask' ? m.bid : m.ask, 300, true);
      }
      const midTimes2 = m.bid + m.ask; // mid x 2, exact
      if (withPrices) prices.push(JSON.stringify({ t, market: m.ticker, mid: formatPrice(midTimes2 / 2) }));
      if (k % stepsPerTape === 0) {
        const posValue = (m.posCenti * midTimes2) / 2; // micro-dollars (mid may be a half-cent: pos*mid stays integral for whole-cent mids x centi counts)
        const costOpen = Math.round(m.posCenti * m.avgCost);
        const equity = m.cashMicro - m.feesMicro + Math.round(posValue);
        const unreal = Math.round(posValue) - costOpen;
        tape.push(
          [
            isoOf(t),
            m.ticker,
            formatPrice(midTimes2 / 2),
            m.myBid === null ? '' : formatPrice(m.myBid),
            m.myAsk === null ? '' : formatPrice(m.myAsk),
            formatCount(m.posCenti),
            formatFixed(unreal, 6),
            formatFixed(equity - unreal, 6),
            (0.15 + hr.exp(0.3)).toFixed(3),
          ].join(','),
        );
      }
    }
    if (k % stepsPerTape === 0) {
      for (const a of ACTORS) {
        const load = a.startsWith('book') ? 0.05 : a === 'ingest' ? 0.12 : 0.03;
        const n = Math.round(40 + hr.exp(60));
        msgsIn[a] += n;
        const counts = new Array<number>(HIST_BOUNDS_US.length + 1).fill(0);
        for (let i = 0; i < n; i++) {
          const us = 2 + hr.exp(a === 'strategy' ? 25 : 8);
          let b = 0;
          while (b < HIST_BOUNDS_US.length && us > HIST_BOUNDS_US[b]) b++;
          counts[b]++;
        }
        const p50 = Math.round((3 + hr.exp(4)) * 1000);
        health.push(
          JSON.stringify({
            t,
            actor: a,
            elu: Math.min(1, Number((load + hr.exp(load / 2)).toFixed(4))),
            mailbox_depth: hr.chance(0.1) ? hr.int(1, 12) : 0,
            msgs_in: msgsIn[a],
            handler: { p50_ns: p50, p99_ns: p50 * (4 + hr.int(0, 8)), max_ns: p50 * (10 + hr.int(0, 40)) },
            latency_hist: { bounds_us: HIST_BOUNDS_US, counts },
          }),
        );
      }
    }
    if (k > 0 && k % Math.round(60_000 / stepMs) === 0) {
      const m = rng.pick(sims);
      journal.push(JSON.stringify({ t, type: 'ops', event: 'risk_block_bid_side', market: m.ticker, level: 'warn' }));
    }
  }

  let finalEquityMicro = 0;
  for (const m of sims) finalEquityMicro += m.cashMicro - m.feesMicro + Math.round((m.posCenti * (m.bid + m.ask)) / 2);

  const malformedWritten: Record<string, number> = {};
  if (opts.malformed === true) {
    tape.splice(5, 0, `${isoOf(startMs + 1234)},${markets[0]},0.5x00,0.5000,0.5200,0.00,0.000000,0.000000,0.3`);
    tape.splice(9, 0, `not-a-time,${markets[0]},0.5000,0.4900,0.5100,0.00,0.000000,0.000000,0.3`);
    journal.splice(3, 0, '{"t": 1, "type": "fill", "market": "X", "side": "bid", "price": "0.52"'); // truncated JSON
    journal.splice(7, 0, JSON.stringify({ t: startMs, type: 'fill', market: markets[0], side: 'up', price: '0.5200', count: '1.00' }));
    health.splice(2, 0, JSON.stringify({ t: startMs, elu: 0.1 })); // no actor
    if (withPrices) prices.splice(4, 0, JSON.stringify({ t: startMs, market: markets[0], mid: 0.5 / 0 }));
    malformedWritten['tape.csv'] = 2;
    malformedWritten['journal.jsonl'] = 2;
    malformedWritten['health.jsonl'] = 1;
    if (withPrices) malformedWritten['prices.jsonl'] = 1;
  }

  const sortedLat = [...tickToOrderUs].sort((a, b) => a - b);
  const q = (p: number): number => sortedLat[Math.min(sortedLat.length - 1, Math.floor(p * sortedLat.length))] ?? 0;
  const sumBy = (f: (m: MarketSim) => number): number => sims.reduce((a, m) => a + f(m), 0);
  const summary = {
    fills: fillsTotal,
    realized_pnl: formatFixed(sumBy((m) => m.cashMicro - m.feesMicro + Math.round(m.posCenti * m.avgCost)), 6),
    unrealized_pnl: formatFixed(sumBy((m) => Math.round((m.posCenti * (m.bid + m.ask)) / 2) - Math.round(m.posCenti * m.avgCost)), 6),
    fees: formatFixed(sumBy((m) => m.feesMicro), 6),
    max_inventory: maxInv,
    orders_sent: ordersSent,
    orders_per_fill: fillsTotal === 0 ? null : Number((ordersSent / fillsTotal).toFixed(3)),
    tick_to_order_us: { p50: q(0.5), p99: q(0.99) },
    markets: markets.length,
    duration_s: durationS,
  };

  const write = async (name: SyntheticFile, lines: string[]): Promise<void> => {
    if (!omit.has(name)) await writeFile(join(dir, name), lines.join('\n') + '\n', 'utf8');
  };
  await write('tape.csv', tape);
  await write('journal.jsonl', journal);
  await write('health.jsonl', health);
  if (withPrices) await write('prices.jsonl', prices);
  if (!omit.has('summary.json')) await writeFile(join(dir, 'summary.json'), JSON.stringify(summary, null, 2) + '\n', 'utf8');

  return {
    dir,
    fills: fillsTotal,
    commands,
    rejects,
    tapeRows: tape.length - 1 - (malformedWritten['tape.csv'] ?? 0),
    healthLines: health.length - (malformedWritten['health.jsonl'] ?? 0),
    malformedWritten,
    finalEquityMicro,
  };
}
