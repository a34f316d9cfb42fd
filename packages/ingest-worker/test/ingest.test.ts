import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { kmm, resolveConfig, SeededRng, shardOf } from '@kmm/shared';
import { IngestCore, OTHER_CHANNELS } from '../src/core/ingest.js';
import { ingestParamsOf } from '../src/core/params.js';
import { ReconnectBackoff } from '../src/core/backoff.js';
import { SeqTracker } from '../src/core/seq.js';
import { RecordingSink } from './helpers.js';

const T = kmm.v1.TrustState;
const MS = 1e6;
const S = 1e9;

function snap(sid: number, seq: number, market: string): string {
  return JSON.stringify({ type: 'orderbook_snapshot', sid, seq, msg: { market_ticker: market, yes_dollars_fp: [['0.4000', '10.00']], no_dollars_fp: [['0.5500', '5.00']] } });
}
function delta(sid: number, seq: number, market: string, d = '1.00'): string {
  return JSON.stringify({ type: 'orderbook_delta', sid, seq, msg: { market_ticker: market, price_dollars: '0.4000', delta_fp: d, side: 'yes', ts_ms: 77 } });
}

/** A connected core with every channel subscribed (orderbook sid 1) and both books snapshotted. */
function setup(config: Record<string, unknown> = {}) {
  const sink = new RecordingSink();
  const core = new IngestCore(ingestParamsOf(resolveConfig(config)), 4, new SeededRng(7), sink, [{ market: 'A' }, { market: 'B' }]);
  core.onConnected(0);
  const subs = sink.ws.filter((c) => c.cmd === 'subscribe');
  let sid = 1;
  for (const c of subs) {
    const channel = (c.params.channels as string[])[0];
    core.onFrame(JSON.stringify({ type: 'subscribed', id: c.id, msg: { channel, sid: sid++ } }), 1, 0);
  }
  core.onFrame(snap(1, 1, 'A'), 2, 0);
  core.onFrame(snap(1, 2, 'B'), 3, 0);
  sink.clear();
  return { core, sink };
}

const trustMsgs = (sink: RecordingSink, peer: string) => sink.sent.filter((s) => s.peer === peer && s.body.marketTrust).map((s) => s.body.marketTrust!);

describe('IngestCore subscriptions and routing', () => {
  it('subscribes every channel on connect, market channels with the tickers, and reports RESUBSCRIBED', () => {
    const sink = new RecordingSink();
    const core = new IngestCore(ingestParamsOf(resolveConfig({})), 4, new SeededRng(1), sink, [{ market: 'A' }, { market: 'B' }]);
    core.onConnected(0);
    expect(sink.sent[0]).toMatchObject({ peer: 'exec', body: { connection: { kind: kmm.v1.ConnectionEvent.Kind.CONNECTED } } });
    const channels = sink.ws.map((c) => (c.params.channels as string[])[0]);
    expect(channels).toEqual(['orderbook_delta', 'trade', ...OTHER_CHANNELS]);
    expect(sink.ws[0].params.market_tickers).toEqual(['A', 'B']);
    sink.ws.forEach((c, i) => core.onFrame(JSON.stringify({ type: 'subscribed', id: c.id, msg: { channel: channels[i], sid: i + 1 } }), 1, 0));
    const conn = sink.sent.filter((s) => s.body.connection).map((s) => [s.peer, s.body.connection!.kind]);
    expect(conn.slice(-2)).toEqual([
      ['exec', kmm.v1.ConnectionEvent.Kind.RESUBSCRIBED],
      ['strategy', kmm.v1.ConnectionEvent.Kind.RESUBSCRIBED],
    ]);
  });

  it('routes book data to the stable shard, stamps causation, and makes a snapshot TRUSTED', () => {
    const { core, sink } = setup();
    core.onFrame(delta(1, 3, 'A'), 100, 5);
    const d = sink.sent.find((s) => s.body.bookDelta)!;
    expect(d.peer).toBe(`book.${shardOf('A', 4)}`);
    expect(d.cause).toMatchObject({ recvMonoNs: 100, exchangeTsMs: 77 });
    expect(d.cause!.causationId).toBeGreaterThan(0);
    expect(core.trustOf('A')).toBe(T.TRUSTED);
  });

  it('sends fills, user orders and positions to exec', () => {
    const { core, sink } = setup();
    core.onFrame('{"type":"fill","sid":3,"msg":{"trade_id":"t","order_id":"o","market_ticker":"A","book_side":"bid","yes_price_dollars":"0.40","count_fp":"1.00"}}', 5, 0);
    core.onFrame('{"type":"market_position","sid":5,"msg":{"market_ticker":"A","position_fp":"1.00"}}', 6, 0);
    expect(sink.sent.map((s) => [s.peer, Object.keys(s.body)[0]])).toEqual([
      ['exec', 'fill'],
      ['exec', 'position'],
    ]);
  });
});

describe('IngestCore seq checks and resync', () => {
  it('a gap distrusts every market of the sid, tells shard/strategy/exec, and asks for snapshots', () => {
    const { core, sink } = setup();
    core.onFrame(delta(1, 5, 'A'), 10, 0); // expected 3
    expect(core.trustOf('A')).toBe(T.UNTRUSTED);
    expect(core.trustOf('B')).toBe(T.UNTRUSTED);
    expect(sink.sent.some((s) => s.body.bookDelta)).toBe(false); // the gap frame's market is untrusted: dropped
    for (const peer of ['strategy', 'exec', `book.${shardOf('A', 4)}`]) {
      expect(trustMsgs(sink, peer).some((t) => t.market === 'A' && t.state === T.UNTRUSTED && t.reason === 'seq_gap')).toBe(true);
    }
    const gs = sink.ws.filter((c) => c.params.action === 'get_snapshot');
    expect(gs).toHaveLength(1);
    expect(gs[0].params).toMatchObject({ sids: [1], market_tickers: ['A', 'B'] });
    // deltas before the snapshot are dropped; the snapshot restores trust
    core.onFrame(delta(1, 6, 'A'), 11, 0);
    expect(sink.sent.some((s) => s.body.bookDelta)).toBe(false);
    core.onFrame(snap(1, 7, 'A'), 12, 0);
    expect(core.trustOf('A')).toBe(T.TRUSTED);
    expect(core.trustOf('B')).toBe(T.UNTRUSTED);
    const order = sink.sent.filter((s) => s.peer.startsWith('book.') && (s.body.bookSnapshot || s.body.marketTrust?.state === T.TRUSTED)).map((s) => Object.keys(s.body)[0]);
    expect(order).toEqual(['bookSnapshot', 'marketTrust']); // the shard has the book before it hears TRUSTED
  });

  it('a duplicate is not applied and distrusts only its market', () => {
    const { core, sink } = setup();
    core.onFrame(delta(1, 3, 'A'), 10, 0);
    core.onFrame(delta(1, 3, 'A'), 11, 0);
    expect(sink.sent.filter((s) => s.body.bookDelta)).toHaveLength(1);
    expect(core.trustOf('A')).toBe(T.UNTRUSTED);
    expect(core.trustOf('B')).toBe(T.TRUSTED);
    expect(core.counters.duplicates).toBe(1);
  });

  it('re-adds only the silent markets when some snapshots do not come, then cools them down', () => {
    const { core, sink } = setup({ kmm_resync_timeout_ms: 1000, kmm_resync_max_attempts: 2 });
    core.onFrame(delta(1, 9, 'A'), 10 * MS, 0); // gap: A and B untrusted, get_snapshot for both
    core.onFrame(snap(1, 10, 'B'), 20 * MS, 0); // B comes back, A stays silent
    core.onTick(1100 * MS);
    expect(sink.ws.some((c) => c.cmd === 'unsubscribe')).toBe(false);
    expect(sink.ws.filter((c) => c.cmd === 'update_subscription').map((c) => [c.params.action, c.params.market_tickers])).toEqual([
      ['get_snapshot', ['A', 'B']],
      ['delete_markets', ['A']],
      ['add_markets', ['A']],
    ]);
    core.onTick(2200 * MS);
    expect(sink.drops).toEqual([]);
    expect(sink.logs.some((l) => l.event === 'resync_failed')).toBe(true);
    expect(core.trustOf('A')).toBe(T.UNTRUSTED);
    expect(core.trustOf('B')).toBe(T.TRUSTED);
  });

  it('falls back to unsubscribe + subscribe when no snapshot comes, then drops the socket after the bound', () => {
    const { core, sink } = setup({ kmm_resync_timeout_ms: 1000, kmm_resync_max_attempts: 2 });
    core.onFrame(delta(1, 9, 'A'), 10 * MS, 0);
    core.onTick(500 * MS);
    expect(sink.ws.some((c) => c.cmd === 'unsubscribe')).toBe(false);
    core.onTick(1100 * MS);
    expect(sink.ws.find((c) => c.cmd === 'unsubscribe')!.params).toEqual({ sids: [1] });
    const resub = sink.ws.filter((c) => c.cmd === 'subscribe');
    expect(resub).toHaveLength(1);
    expect(resub[0].params.market_tickers).toEqual(['A', 'B']);
    // late frames of the old sid are ignored
    sink.sent = [];
    core.onFrame(snap(1, 10, 'A'), 1200 * MS, 0);
    expect(sink.sent).toHaveLength(0);
    // two rounds (get_snapshot, resubscribe) are the bound: the next missed deadline drops the socket
    core.onTick(2000 * MS);
    expect(sink.drops).toEqual([]);
    core.onTick(2200 * MS);
    expect(sink.drops).toEqual(['resync_exhausted']);
  });

  it('a get_snapshot error goes straight to the resubscribe fallback', () => {
    const { core, sink } = setup();
    core.onFrame(delta(1, 9, 'A'), 10, 0);
    const id = sink.ws.find((c) => c.params.action === 'get_snapshot')!.id;
    core.onFrame(JSON.stringify({ type: 'error', id, msg: { code: 13, msg: 'Unsupported action' } }), 11, 0);
    expect(sink.ws.some((c) => c.cmd === 'unsubscribe')).toBe(true);
  });

  it('a malformed orderbook frame keeps the seq accounting and distrusts its market only', () => {
    const { core, sink } = setup();
    core.onFrame('{"type":"orderbook_delta","sid":1,"seq":3,"msg":{"market_ticker":"A","price_dollars":"abc","delta_fp":"1","side":"yes"}}', 10, 0);
    expect(core.trustOf('A')).toBe(T.UNTRUSTED);
    expect(core.trustOf('B')).toBe(T.TRUSTED);
    core.onFrame(delta(1, 4, 'B'), 11, 0);
    expect(core.trustOf('B')).toBe(T.TRUSTED); // seq 3 was counted: no false gap
    expect(sink.logs.some((l) => l.event === 'frame_invalid' && String(l.fields.reason).includes('price_dollars'))).toBe(true);
  });

  it('ok acks on the orderbook sid consume seq numbers (as in the recorded session)', () => {
    const { core } = setup();
    core.onFrame('{"type":"ok","id":99,"sid":1,"seq":3,"msg":{"market_tickers":["A","B"]}}', 10, 0);
    core.onFrame(delta(1, 4, 'A'), 11, 0);
    expect(core.trustOf('A')).toBe(T.TRUSTED);
  });
});

describe('IngestCore liveness and reconnect', () => {
  it('marks a silent market STALE after the window and TRUSTED again on data', () => {
    const { core, sink } = setup({ kmm_stale_window_s: 5 });
    core.onFrame(delta(1, 3, 'A'), 1 * S, 0);
    core.onTick(5.5 * S);
    expect(core.trustOf('B')).toBe(T.STALE); // last data at 3 ns
    expect(core.trustOf('A')).toBe(T.TRUSTED);
    core.onTick(6.1 * S);
    expect(core.trustOf('A')).toBe(T.STALE);
    expect(trustMsgs(sink, 'exec').filter((t) => t.state === T.STALE).map((t) => t.market)).toEqual(['B', 'A']);
    core.onFrame(delta(1, 4, 'A'), 7 * S, 0);
    expect(core.trustOf('A')).toBe(T.TRUSTED);
  });

  it('drops the socket when it is silent past the heartbeat timeout; pings keep it alive', () => {
    const { core, sink } = setup({ kmm_heartbeat_timeout_s: 30, kmm_stale_window_s: 100 });
    core.onHeartbeat(20 * S);
    core.onTick(45 * S);
    expect(sink.drops).toEqual([]);
    core.onTick(51 * S);
    expect(sink.drops).toEqual(['heartbeat_timeout']);
  });

  it('on disconnect tells exec first, distrusts everything and backs off; reconnect resubscribes', () => {
    const { core, sink } = setup();
    const delayMs = core.onDisconnected(100, 'close_1006');
    expect(sink.sent[0]).toMatchObject({ peer: 'exec', body: { connection: { kind: kmm.v1.ConnectionEvent.Kind.DISCONNECTED, reason: 'close_1006' } } });
    expect(delayMs).toBeGreaterThanOrEqual(125);
    expect(delayMs).toBeLessThanOrEqual(250);
    expect(core.trustOf('A')).toBe(T.UNTRUSTED);
    sink.clear();
    core.onConnected(200);
    expect(sink.sent[0].peer).toBe('exec');
    expect(sink.ws.filter((c) => c.cmd === 'subscribe')).toHaveLength(2 + OTHER_CHANNELS.length);
  });

  it('adds and removes markets live', () => {
    const { core, sink } = setup();
    core.addMarkets([{ market: 'C', priceRanges: [{ startPrice: 100, endPrice: 9900, stepPrice: 100 }] }], 10);
    const adds = sink.ws.filter((c) => c.params.action === 'add_markets');
    expect(adds.map((c) => c.params.sids)).toEqual([[1], [2]]);
    expect(sink.sent.find((s) => s.body.marketInfo)!.peer).toBe(`book.${shardOf('C', 4)}`);
    core.onFrame(snap(1, 3, 'C'), 11, 0);
    expect(core.trustOf('C')).toBe(T.TRUSTED);
    sink.clear();
    core.removeMarkets(['A'], 12);
    expect(sink.ws.filter((c) => c.params.action === 'delete_markets').map((c) => c.params.market_tickers)).toEqual([['A'], ['A']]);
    expect(core.trackedMarkets()).toEqual(['B', 'C']);
    core.onFrame(delta(1, 4, 'A'), 13, 0);
    expect(sink.sent.some((s) => s.body.bookDelta)).toBe(false);
  });
});

describe('ReconnectBackoff and SeqTracker', () => {
  it('delays grow exponentially within [cap/2, cap], are capped, bounded in attempts, and seeded', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 31 - 1 }), (seed) => {
        const b = new ReconnectBackoff(250, 10_000, 50, new SeededRng(seed));
        const b2 = new ReconnectBackoff(250, 10_000, 50, new SeededRng(seed));
        for (let i = 0; i < 50; i++) {
          const cap = Math.min(10_000, 250 * 2 ** i);
          const d = b.nextDelayMs()!;
          expect(d).toBeGreaterThanOrEqual(cap / 2);
          expect(d).toBeLessThanOrEqual(cap);
          expect(b2.nextDelayMs()).toBe(d);
        }
        expect(b.nextDelayMs()).toBeNull();
      }),
      { numRuns: 50 },
    );
  });

  it('classifies seq numbers', () => {
    const s = new SeqTracker();
    s.open(1);
    expect([1, 2, 2, 5, 3, 6].map((q) => s.check(1, q))).toEqual(['ok', 'ok', 'duplicate', 'gap', 'out_of_order', 'ok']);
  });
});
