#!/usr/bin/env python3
"""
Share of quoting time at the touch on 1-2c books, and 10 s markouts of our maker fills, from a
run folder (issue 17's done-when figures; the scorecard in summary.json is the product's own
figure, this is the measuring stick used while building the grid model).

Usage: python3 bench/touch-share.py runs/<run> [--markout-s 10]

Touch share: decisions.jsonl holds every target strategy emitted, with the book it decided on.
A side quotes from one record of its market to the next (the last one until the run's last
record). It is "at the touch" when its first level is at or inside the others' best price on its
side (the grid model's place_bid/place_ask touch; the 002 models' full-book best bid/ask). Only
time on 1-2c books counts (others' best ask - best bid <= 2 ticks of 1c). Both sides are summed.

Markouts: each maker fill in journal.jsonl against the tape's mid markout-s later (the first
tape row of that market at or after it); loss per contract = price - mid (bid) or mid - price
(ask), cents, > 0 adverse. Fills without a tape row that late are left out (and counted).
"""
import json
import sys
from datetime import datetime


def touch_share(run):
    recs = [json.loads(l) for l in open(f'{run}/decisions.jsonl')]
    end = max(r['ts_ms'] for r in recs)
    by_market = {}
    for r in recs:
        by_market.setdefault(r['market'], []).append(r)
    quoting = at = 0.0
    per_place = {}
    for rs in by_market.values():
        rs.sort(key=lambda r: (r['ts_ms'], r['decision_id']))
        for i, r in enumerate(rs):
            dt = (rs[i + 1]['ts_ms'] if i + 1 < len(rs) else end) - r['ts_ms']
            if dt <= 0:
                continue
            steps = {s['step']: s['value'] for s in r['steps']}
            inp = steps.get('inputs')
            if not inp:
                continue
            tb = steps['place_bid']['touch'] if 'place_bid' in steps else inp['bestBid']
            ta = steps['place_ask']['touch'] if 'place_ask' in steps else inp['bestAsk']
            if not (tb > 0 and ta > 0 and ta - tb <= 200):
                continue
            lv = r['target']['levels']
            bids = [l[1] for l in lv if l[0] == 'BID']
            asks = [l[1] for l in lv if l[0] == 'ASK']
            for side, prices, touch in (('bid', bids, tb), ('ask', asks, ta)):
                if not prices:
                    continue
                p0 = max(prices) if side == 'bid' else min(prices)
                quoting += dt
                ok = p0 >= touch if side == 'bid' else p0 <= touch
                if ok:
                    at += dt
                place = steps.get(f'place_{side}', {}).get('place', 'at' if ok else 'behind')
                per_place[place] = per_place.get(place, 0) + dt
    return quoting, at, per_place


def markouts(run, horizon_s):
    tape = {}
    for i, line in enumerate(open(f'{run}/tape.csv')):
        if i == 0:
            continue
        c = line.rstrip('\n').split(',')
        ts = datetime.fromisoformat(c[0].replace('Z', '+00:00')).timestamp() * 1000
        if c[2]:
            tape.setdefault(c[1], []).append((ts, float(c[2]) * 10000))
    out = []
    missing = 0
    for line in open(f'{run}/journal.jsonl'):
        j = json.loads(line)
        if j.get('k') != 'fill' or j.get('is_taker'):
            continue
        t = j['t'] + horizon_s * 1000
        rows = [m for (ts, m) in tape.get(j['market'], []) if ts >= t]
        if not rows:
            missing += 1
            continue
        mid = rows[0]
        price = j['yes_price']
        loss = (price - mid) if j['side'] == 1 else (mid - price)
        out.append((loss / 100, j['count_centi'] / 100))
    return out, missing


def main():
    run = sys.argv[1]
    horizon = float(sys.argv[sys.argv.index('--markout-s') + 1]) if '--markout-s' in sys.argv else 10.0
    q, a, per = touch_share(run)
    print(f'quoting side-time on 1-2c books: {q / 1000:.1f} s; at the touch: {a / 1000:.1f} s = {100 * a / q if q else 0:.1f}%')
    print('  by placement: ' + ', '.join(f'{k} {100 * v / q:.1f}%' for k, v in sorted(per.items())) if q else '')
    m, missing = markouts(run, horizon)
    n = sum(c for _, c in m)
    if n:
        avg = sum(l * c for l, c in m) / n
        print(f'{horizon:g} s markout loss per contract: {avg:+.3f} c over {len(m)} maker fills ({n:g} contracts); {missing} fills too late to mark')
    else:
        print(f'no maker fills to mark at {horizon:g} s ({missing} too late)')


if __name__ == '__main__':
    main()
