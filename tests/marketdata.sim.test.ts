/**
 * Market data path against the simulator: a real websocket client (signed upgrade) feeding the
 * real IngestCore and BookShardCores in-process, while the sim injects seq gaps, duplicates,
 * malformed frames, connection drops and per-market silence.
 *
 * Checks:
 *  - every fault was seen and handled (counters), and the silent market went STALE/UNTRUSTED;
 *  - the real strategy core, fed the shards' BookFeatures and ingest's trust messages, never emits
 *    a quote while ingest holds the market untrusted or stale, nor on an invalid book;
 *  - once the faults stop, every book converges to the exchange's own book, level by level.
 * Time is real here (sockets), but no assertion depends on timing: we wait for conditions with a
 * generous deadline, driven by socket events and a 50 ms tick that plays the shell's timer.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { formatCount, formatPrice, kmm, LiveClock, resolveConfig, SeededRng, shardOf, Signer, type Causation, type EnvelopeBody } from '@kmm/shared';
import { IngestCore, ingestParamsOf, type IngestSink, type LogLevel, type WsCommand } from '@kmm/ingest-worker';
import { BookShardCore, bookParamsOf, type BookSink } from '@kmm/book-worker';
import { startSim, type SimHandle } from '@kmm/sim';
import { StrategyCore, strategyParamsOf, type Effects } from '@kmm/strategy-worker';

const T = kmm.v1.TrustState;
const SHARDS = 2;
const clock = new LiveClock();

interface Quote {
  market: string;
  ingestTrust: kmm.v1.TrustState;
  bookValid: boolean;
}

class Harness implements IngestSink {
  ingest: IngestCore;
  shards: BookShardCore[] = [];
  socket: WebSocket | undefined;
  closed = false;
  quotes: Quote[] = [];
  trustToExec: kmm.v1.IMarketTrust[] = [];
  connEvents: string[] = [];
  logs: string[] = [];
  tick: NodeJS.Timeout;
  signer: Signer;
  readonly strategy: StrategyCore;
  /** why the strategy's targets were what they were (printed when the check fails) */
  readonly reasons = new Map<string, number>();
  frames = 0;

  constructor(
    readonly sim: SimHandle,
    markets: kmm.v1.IMarketInfo[],
  ) {
    this.signer = new Signer(sim.keyId, sim.privateKeyPem);
    const bookSink = (k: number): BookSink => ({
      send: (peer, body) => this.fromBook(k, peer, body),
      log: () => {},
      stat: () => {},
      setStat: () => {},
    });
    for (let k = 0; k < SHARDS; k++) this.shards.push(new BookShardCore(bookParamsOf(resolveConfig({})), bookSink(k), markets.filter((m) => shardOf(m.market!, SHARDS) === k)));
    // The real strategy, tuned as the demo runs it (Kalshi tuning, every sim market selectable),
    // flat at start as exec reports it.
    this.strategy = new StrategyCore(
      strategyParamsOf(resolveConfig({ MM_MICRO_VOL_MAX_BPS: 2000, MM_MICRO_DRIFT_MAX_BPS: 1500, MM_MIN_OFFSET_BPS: 0, MM_SPREAD_MULTIPLIER: 0.2, horizon_s: 60, risk_aversion: 0.01, min_liquidity: 0, max_time_to_resolution_hours: 8760, kmm_startup_settle_ms: 0 })),
      markets,
      { startMs: clock.wallMs() },
    );
    for (const m of markets) this.recordQuotes(this.strategy.onPosition({ market: m.market, positionCenti: 0, fromExchange: true }, clock.wallMs()));
    this.ingest = new IngestCore(
      ingestParamsOf(resolveConfig({ kmm_stale_window_s: 1, kmm_resync_timeout_ms: 500, kmm_reconnect_base_ms: 20, kmm_reconnect_max_ms: 200 })),
      SHARDS,
      new SeededRng(5),
      this,
      markets,
    );
    this.tick = setInterval(() => {
      this.ingest.onTick(clock.monoNs());
      this.flushShards();
      this.recordQuotes(this.strategy.onTimer(clock.wallMs()));
    }, 50);
    this.connect();
  }

  connect(): void {
    if (this.closed) return;
    const headers = { ...this.signer.headers(clock.wallMs(), 'GET', '/trade-api/ws/v2') };
    const s = new WebSocket(this.sim.wsUrl, { headers, perMessageDeflate: false });
    this.socket = s;
    s.on('open', () => this.ingest.onConnected(clock.monoNs()));
    s.on('message', (data) => {
      this.frames++;
      this.ingest.onFrame(data.toString(), clock.monoNs(), clock.wallMs());
      this.flushShards();
    });
    s.on('ping', () => this.ingest.onHeartbeat(clock.monoNs()));
    s.on('error', () => {});
    s.on('close', () => {
      if (this.socket !== s || this.closed) return;
      this.socket = undefined;
      const d = this.ingest.onDisconnected(clock.monoNs(), 'closed');
      if (d !== null) setTimeout(() => this.connect(), d);
    });
  }

  // IngestSink
  send(peer: string, body: EnvelopeBody, cause?: Causation): void {
    if (peer.startsWith('book.')) {
      const k = Number(peer.slice(5));
      this.shards[k].handle({ ...body, header: { recvMonoNs: cause?.recvMonoNs ?? 0 } }, clock.monoNs());
    } else if (peer === 'exec') {
      if (body.marketTrust) this.trustToExec.push(body.marketTrust);
      if (body.connection) this.connEvents.push(`exec:${body.connection.kind}`);
    } else if (peer === 'strategy') {
      if (body.connection) {
        this.connEvents.push(`strategy:${body.connection.kind}`);
        this.recordQuotes(this.strategy.onConnection(body.connection, clock.wallMs()));
      }
      if (body.marketTrust) this.recordQuotes(this.strategy.onMarketTrust(body.marketTrust, clock.wallMs()));
    }
  }

  /** Every target with at least one level is a quote: record the trust and book state it was made on. */
  private recordQuotes(fx: Effects): void {
    for (const o of fx.opsEvents) if (o.event.startsWith('market_selection')) this.reasons.set(o.event + JSON.stringify(o.fields), 1);
    for (const t of fx.targets) {
      this.reasons.set(t.reason ?? '', (this.reasons.get(t.reason ?? '') ?? 0) + 1);
      if (!t.levels || t.levels.length === 0) continue;
      const k = shardOf(t.market!, SHARDS);
      this.quotes.push({ market: t.market!, ingestTrust: this.ingest.trustOf(t.market!), bookValid: this.shards[k].entry(t.market!)?.book.valid ?? false });
    }
  }
  wsSend(command: WsCommand): void {
    if (this.socket?.readyState === WebSocket.OPEN) this.socket.send(JSON.stringify(command));
  }
  dropConnection(): void {
    this.socket?.terminate();
  }
  log(_level: LogLevel, event: string): void {
    this.logs.push(event);
  }
  stat(): void {}

  private fromBook(k: number, peer: string, body: EnvelopeBody): void {
    if (peer === 'ingest' && body.marketTrust) this.ingest.requestResync(body.marketTrust.market!, body.marketTrust.reason!, clock.monoNs());
    if (peer === 'strategy' && body.bookFeatures) this.recordQuotes(this.strategy.onBookFeatures(body.bookFeatures, clock.wallMs()));
    if (peer === 'strategy' && body.marketTrust) this.recordQuotes(this.strategy.onMarketTrust(body.marketTrust, clock.wallMs()));
  }

  flushShards(): void {
    for (const s of this.shards) s.flush();
  }

  /** Our book in the sim's orderbook_fp format. */
  bookOf(market: string): { yes_dollars: string[][]; no_dollars: string[][] } {
    const e = this.shards[shardOf(market, SHARDS)].entry(market);
    if (e === undefined) return { yes_dollars: [], no_dollars: [] };
    const fmt = (l: Array<[number, number]>) => l.map(([p, c]) => [formatPrice(p), formatCount(c)]);
    return { yes_dollars: fmt(e.book.legLevels(kmm.v1.LegSide.YES)), no_dollars: fmt(e.book.legLevels(kmm.v1.LegSide.NO)) };
  }

  close(): void {
    this.closed = true;
    clearInterval(this.tick);
    this.socket?.terminate();
  }
}

function waitFor(what: string, cond: () => boolean, timeoutMs = 30_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const t0 = Date.now();
    const iv = setInterval(() => {
      if (cond()) {
        clearInterval(iv);
        resolve();
      } else if (Date.now() - t0 > timeoutMs) {
        clearInterval(iv);
        reject(new Error(`timed out waiting for: ${what}`));
      }
    }, 20);
  });
}

describe('market data path against the sim', () => {
  let sim: SimHandle;
  let h: Harness;
  let tickers: string[];

  beforeAll(async () => {
    sim = await startSim({ port: 0, seed: 11, markets: 8, speed: 3 });
    const states = sim.markets().filter((m) => m.status === 'active').slice(0, 6);
    tickers = states.map((m) => m.spec.ticker);
    const infos: kmm.v1.IMarketInfo[] = states.map((m) => ({ market: m.spec.ticker, priceRanges: m.spec.bands, status: kmm.v1.MarketStatus.MARKET_ACTIVE, closeTimeMs: m.spec.closeTimeMs }));
    h = new Harness(sim, infos);
  });
  afterAll(async () => {
    h?.close();
    await sim?.close();
  });

  it('starts with every book trusted and equal to the exchange', async () => {
    expect(tickers.length).toBeGreaterThanOrEqual(4);
    await waitFor('all trusted', () => tickers.every((t) => h.ingest.trustOf(t) === T.TRUSTED));
    expect(h.connEvents.slice(0, 2)).toEqual([`exec:${kmm.v1.ConnectionEvent.Kind.CONNECTED}`, `strategy:${kmm.v1.ConnectionEvent.Kind.CONNECTED}`]);
    await waitFor('books equal', () => tickers.every((t) => JSON.stringify(h.bookOf(t)) === JSON.stringify(sim.book(t))));
  });

  it('survives gaps, duplicates, malformed frames, drops and silence, then converges to the exchange books', async () => {
    const silent = tickers[0];
    sim.faults.set({ seqSkipProb: 0.01, seqDupProb: 0.01, malformedFrameProb: 0.005, wsDropProb: 0.002, silenceMarkets: [silent] });
    await waitFor('faults observed', () => {
      const c = h.ingest.counters;
      return c.gaps > 0 && c.duplicates > 0 && c.invalid > 0 && h.logs.includes('ws_disconnected') && h.ingest.reconnectAttempt() >= 0 && h.frames > 2000;
    }, 60_000);
    await waitFor('silent market not trusted', () => h.ingest.trustOf(silent) !== T.TRUSTED);
    sim.faults.clear();
    sim.flow?.setSpeed(0); // let the books come to rest so they can be compared exactly
    // With the flow stopped a market goes STALE after the stale window (no data is the
    // definition of stale); what must hold is: resynced (never left UNTRUSTED) and exactly equal.
    const synced = (t: string) => h.ingest.trustOf(t) !== T.UNTRUSTED;
    await waitFor(
      'all resynced and equal to the exchange',
      () => tickers.every((t) => synced(t) && JSON.stringify(h.bookOf(t)) === JSON.stringify(sim.book(t))),
      30_000,
    ).catch((err) => {
      const bad = tickers
        .filter((t) => !synced(t) || JSON.stringify(h.bookOf(t)) !== JSON.stringify(sim.book(t)))
        .map((t) => `${t}: trust=${T[h.ingest.trustOf(t)]} ours=${JSON.stringify(h.bookOf(t)).slice(0, 200)} exchange=${JSON.stringify(sim.book(t)).slice(0, 200)}`);
      throw new Error(`${(err as Error).message}; not converged: ${bad.join(' | ')}`);
    });
    for (const t of tickers) {
      expect(h.bookOf(t)).toEqual(sim.book(t));
      expect(h.shards[shardOf(t, SHARDS)].entry(t)!.book.valid).toBe(true);
    }
    // the silent market was reported STALE or UNTRUSTED to exec
    expect(h.trustToExec.some((m) => m.market === silent && (m.state === T.STALE || m.state === T.UNTRUSTED))).toBe(true);
    // disconnects reached exec first
    const firstDisc = h.connEvents.findIndex((e) => e.endsWith(`:${kmm.v1.ConnectionEvent.Kind.DISCONNECTED}`));
    expect(h.connEvents[firstDisc]).toBe(`exec:${kmm.v1.ConnectionEvent.Kind.DISCONNECTED}`);
  });

  it('never quoted on an untrusted, stale or invalid book', () => {
    expect(h.quotes.length, JSON.stringify([...h.reasons])).toBeGreaterThan(20);
    const bad = h.quotes.filter((q) => q.ingestTrust !== T.TRUSTED || !q.bookValid);
    expect(bad).toEqual([]);
  });
});
