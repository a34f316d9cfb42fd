/**
 * Fills and position updates in every order (issue 13): one deterministic simulation of the
 * whole system (runDst) with the 'reorder_user_data' fault on for most of the run. The exchange
 * holds every `fill` and every `market_position` frame back by its own seeded delay (each channel
 * still in order), so exec meets fills whose position update (market_position, ordered by its
 * volume_fp) arrives before the fill, after it, and after a later fill of the same market.
 *
 * What the test reads: the exchange's own fills (engine order, so fill k's volume is the sum of
 * the market's fill counts up to k: the volume_fp of its position update) and, through the
 * kernel's deliver hook, the order in which exec received the fills and positions from ingest.
 * It asserts that each of the three orders happened, that every runDst invariant held (cap,
 * fills journaled once, positions after quiesce, recovery, shutdown...), and that whenever every
 * fill and position update of a market had reached exec, exec's position and strategy's were
 * the exchange's (checked every 50 ms of virtual time).
 */
import { describe, expect, it } from 'vitest';
import { runDst, type DstView } from '@kmm/app';
import type { StrategyActorState } from '@kmm/strategy-worker/actor';

const SIM_MINUTES = 3;
/** the fault from just after start-up to 20 s before the stop (its recovery is observed) */
const REORDER_FROM_S = 5;
const REORDER_S = SIM_MINUTES * 60 - REORDER_FROM_S - 20;
/** after the last user-data message to exec, strategy has had exec's forwards by then */
const SETTLE_S = 0.2;

interface Arrivals {
  /** per market: receive index of each fill (trade id) and of the first position update of each volume */
  fillAt: Map<string, number>;
  posAt: Map<number, number>;
  n: number;
  /** volume of the last fill and the highest position volume received */
  fillVolCenti: number;
  posVolCenti: number;
}

describe('fills and position updates in every order (deterministic simulation)', () => {
  it('fills arrive before, after and between their position updates: every invariant holds, exec and strategy keep the exchange position', async () => {
    const arrivals = new Map<string, Arrivals>();
    const arr = (m: string): Arrivals => {
      let a = arrivals.get(m);
      if (!a) arrivals.set(m, (a = { fillAt: new Map(), posAt: new Map(), n: 0, fillVolCenti: 0, posVolCenti: 0 }));
      return a;
    };
    /** exchange fills in engine order: trade id -> market and the user's volume in that market after it */
    const fillVol = new Map<string, { market: string; volCenti: number }>();
    const volSoFar = new Map<string, number>();
    let fillsRead = 0;
    let exchange: DstView['exchange'] | null = null;
    const readExchangeFills = (): void => {
      const fills = exchange!.engine.accounts.get(exchange!.userId)?.fills ?? [];
      for (; fillsRead < fills.length; fillsRead++) {
        const f = fills[fillsRead];
        const v = (volSoFar.get(f.ticker) ?? 0) + f.countCenti;
        volSoFar.set(f.ticker, v);
        fillVol.set(f.tradeId, { market: f.ticker, volCenti: v });
      }
    };
    let lastUserDataS = 0;
    let nowS = 0;
    const mismatches: string[] = [];
    let quietChecks = 0;
    let quietChecksHolding = 0;

    const r = await runDst({
      seed: 7,
      simMinutes: SIM_MINUTES,
      markets: 6,
      speed: 1,
      schedule: [{ atS: REORDER_FROM_S, kind: 'reorder_user_data', durS: REORDER_S }],
      before: (ex) => {
        exchange = ex;
      },
      hooks: {
        deliver: (actor, env, from, t) => {
          if (actor !== 'exec' || from !== 'ingest') return;
          if (env.fill?.market) {
            readExchangeFills();
            const a = arr(env.fill.market);
            const id = env.fill.tradeId ?? '';
            if (!a.fillAt.has(id)) a.fillAt.set(id, a.n++);
            a.fillVolCenti = Math.max(a.fillVolCenti, fillVol.get(id)?.volCenti ?? 0);
            lastUserDataS = t.monoNs / 1e9;
          } else if (env.position?.market && env.position.hasVolume) {
            const a = arr(env.position.market);
            const v = Number(env.position.volumeCenti ?? 0);
            if (!a.posAt.has(v)) a.posAt.set(v, a.n++);
            a.posVolCenti = Math.max(a.posVolCenti, v);
            lastUserDataS = t.monoNs / 1e9;
          }
        },
      },
      observeEveryMs: 50,
      observe: (v) => {
        nowS = v.nowS;
        const s = v.exec;
        const strat = v.kernel.get('strategy');
        if (!s || !s.core.ready || !strat?.started || nowS - lastUserDataS < SETTLE_S) return;
        const core = (strat.state as StrategyActorState).core;
        const acct = v.exchange.engine.accounts.get(v.exchange.userId);
        for (const [m, p] of acct?.positions ?? []) {
          const a = arrivals.get(m);
          // only where every fill and position update of the market has reached exec
          if (!a || a.fillVolCenti !== p.volumeCenti || a.posVolCenti !== p.volumeCenti) continue;
          quietChecks++;
          const mine = s.core.bk.position(m).positionCenti;
          const st = core.position(m);
          if (mine !== p.positionCenti || !st || st.exchangeCenti !== p.positionCenti || st.localCenti !== p.positionCenti) {
            if (mismatches.length < 20) mismatches.push(`${nowS.toFixed(2)} s ${m}: exchange ${p.positionCenti / 100}, exec ${mine / 100}, strategy ${st ? `${st.exchangeCenti / 100} (local ${st.localCenti / 100})` : 'none'}`);
          } else if (p.positionCenti !== 0) quietChecksHolding++;
        }
      },
    });

    // the three orders, per exchange fill of ours that exec received with its position update
    readExchangeFills();
    const counts = { before: 0, after: 0, between: 0, unpaired: 0 };
    const byMarket = new Map<string, string[]>();
    for (const [id, f] of fillVol) {
      const list = byMarket.get(f.market) ?? [];
      list.push(id);
      byMarket.set(f.market, list);
    }
    for (const [m, ids] of byMarket) {
      const a = arrivals.get(m);
      ids.forEach((id, k) => {
        const atFill = a?.fillAt.get(id);
        const atPos = a?.posAt.get(fillVol.get(id)!.volCenti);
        if (atFill === undefined || atPos === undefined) {
          // its position update was replaced in exec's mailbox by a later one of the market that
          // arrived with it (positions conflate, latest wins), or it came in the shutdown window
          counts.unpaired++;
          return;
        }
        const nextFill = k + 1 < ids.length ? a!.fillAt.get(ids[k + 1]) : undefined;
        if (atPos < atFill) counts.before++;
        else if (nextFill !== undefined && nextFill < atPos) counts.between++;
        else counts.after++;
      });
    }
    console.log(
      `[position-order.dst] seed ${r.seed}: ${fillVol.size} fills of ours (${counts.before} position before, ${counts.after} after, ${counts.between} after a later fill, ${counts.unpaired} unpaired); ${quietChecks} quiet checks (${quietChecksHolding} with a position); ${r.events} events`,
    );
    expect(r.problems, r.problems.join('; ')).toEqual([]);
    expect(r.ok).toBe(true);
    expect(r.faults.map((f) => f.kind)).toEqual(['reorder_user_data']);
    expect(counts.before).toBeGreaterThan(0);
    expect(counts.after).toBeGreaterThan(0);
    expect(counts.between).toBeGreaterThan(0);
    expect(mismatches, mismatches.join('\n')).toEqual([]);
    expect(quietChecksHolding).toBeGreaterThan(0);
  });
});
