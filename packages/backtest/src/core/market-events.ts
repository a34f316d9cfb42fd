/**
 * The market without us, for the scorecard (@kmm/exec-worker/core scorecardOf): a capture's frames
 * through OthersBook (the recorded run's own orders taken out, as the backtest's market sees
 * them) turned into MarketEvents: absolute level sizes by book side and YES price, book resets
 * (snapshots) and public trades. Used the same way for a live or paper run folder (its capture)
 * and for a backtest (the capture it replayed), so both score against the same market.
 *
 * In:  the capture's parsed frames in order and each frame's wall time (ms).
 * Out: MarketEvent[] in time order. Pure and deterministic.
 */
import { kmm, ONE_DOLLAR } from '@kmm/shared';
import type { Frame } from '@kmm/ingest-worker/core';
import type { MarketEvent } from '@kmm/exec-worker/core';
import { attributeOwnFills, OthersBook } from './others-book.js';

const BID = kmm.v1.BookSide.BID;
const ASK = kmm.v1.BookSide.ASK;
const YES = kmm.v1.LegSide.YES;

/** A leg level as (book side, YES price): a YES bid is a bid; a NO bid at p is an ask at $1 - p. */
function sideOf(leg: number, legPrice: number): [number, number] {
  return leg === YES ? [BID, legPrice] : [ASK, ONE_DOLLAR - legPrice];
}

export function marketEventsOf(frames: ReadonlyArray<{ frame: Frame; recvMs: number }>, wallMs: ArrayLike<number>): MarketEvent[] {
  const others = new OthersBook(attributeOwnFills(frames));
  const sizes = new Map<string, Map<number, number>>();
  const out: MarketEvent[] = [];
  for (let i = 0; i < frames.length; i++) {
    const tMs = wallMs[i];
    for (const f of others.process(frames[i].frame)) {
      if (f.kind === 'snapshot') {
        const market = f.market;
        const levels = new Map<number, number>();
        sizes.set(market, levels);
        out.push({ k: 'reset', tMs, market });
        const add = (leg: number, list: kmm.v1.IPriceLevel[] | null | undefined): void => {
          for (const l of list ?? []) {
            const c = Number(l.countCenti ?? 0);
            if (c <= 0) continue;
            const [side, price] = sideOf(leg, l.price ?? 0);
            levels.set(side * 100_000 + price, c);
            out.push({ k: 'level', tMs, market, side, price, sizeCenti: c });
          }
        };
        add(YES, f.body.yesBids);
        add(kmm.v1.LegSide.NO, f.body.noBids);
      } else if (f.kind === 'delta') {
        const market = f.market;
        let levels = sizes.get(market);
        if (!levels) sizes.set(market, (levels = new Map()));
        const [side, price] = sideOf(f.body.leg ?? YES, f.body.price ?? 0);
        const key = side * 100_000 + price;
        const c = Math.max(0, (levels.get(key) ?? 0) + Number(f.body.deltaCenti ?? 0));
        if (c > 0) levels.set(key, c);
        else levels.delete(key);
        out.push({ k: 'level', tMs, market, side, price, sizeCenti: c });
      } else if (f.kind === 'trade') {
        const taker = f.body.takerBookSide ?? 0;
        // a taker who bought YES executed against the asks, one who sold YES against the bids
        const hitSide = taker === BID ? ASK : taker === ASK ? BID : 0;
        out.push({ k: 'trade', tMs, market: f.market, price: f.body.yesPrice ?? 0, countCenti: Number(f.body.countCenti ?? 0), hitSide });
      }
    }
  }
  return out;
}
