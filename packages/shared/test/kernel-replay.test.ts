/**
 * LocalKernel's replay mode (recorded drains, no timers, recorded peers): the pieces
 * replay-parity (tests/replay-parity.test.ts) relies on, on a toy descriptor.
 */
import { describe, expect, it } from 'vitest';
import { kmm, LocalKernel, resolveConfig, SimClock, timeAt, type ActorDescriptor, type EnvelopeBody } from '../src/index.js';

interface Toy {
  seen: string[];
}

// sends, per drain, one summary of what it saw with the times the handlers were given
const toy: ActorDescriptor<Toy, null> = {
  kind: kmm.v1.ActorKind.BOOK,
  start: () => ({ seen: [] }),
  handlers: {
    control: (s, c, t) => void s.seen.push(`${c.reason}@${t.monoNs}/${t.wallMs}`),
  },
  endOfDrain(s, t, io) {
    const body = { control: { kind: kmm.v1.ControlKind.RECONCILE, markets: [], reason: `${s.seen.join(',')}|end@${t.monoNs}/${t.wallMs}` } };
    if (io.hasPeer('strategy')) io.send('strategy', body);
    io.after('once', 1);
    s.seen = [];
  },
  timers: [{ name: 'tick', periodMs: 10, fire: (s, t) => void s.seen.push(`tick@${t.monoNs}`) }],
};

const ctl = (reason: string) => kmm.v1.Envelope.decode(kmm.v1.Envelope.encode({ control: { kind: kmm.v1.ControlKind.RECONCILE, reason } }).finish());

describe('LocalKernel replay mode', () => {
  it('handles a recorded drain with its recorded times, arms no timers, and sends to recorded peers outside the kernel', async () => {
    const clock = new SimClock(1_000, 5e6);
    const sent: { to: string; body: EnvelopeBody }[] = [];
    const k = new LocalKernel({ clock, config: resolveConfig({}), replay: true, hooks: { send: (_a, to, body) => sent.push({ to, body }) } });
    const a = k.add({ name: 'book.0', descriptor: toy, makeEnv: () => null, peers: ['strategy'] });
    await k.runUntil(6e6);
    a.replayDrain(
      [
        { env: ctl('a'), from: 'ingest', time: timeAt(5_500_000, 1_000) },
        { env: ctl('b'), from: 'ingest', time: timeAt(5_400_000, 999) },
      ],
      timeAt(6e6, 1_001),
    );
    a.replayDrain([{ env: ctl('c'), from: 'ingest', time: timeAt(6e6, 1_001) }]);
    await k.runUntil(100e6);
    expect(sent.map((s) => [s.to, s.body.control?.reason])).toEqual([['strategy', 'a@5500000/1000,b@5400000/999|end@6000000/1001']]);
    // neither the periodic 'tick' nor the one-shot 'once' was armed
    expect(k.pending).toBe(0);
    expect(a.hasPeer('strategy')).toBe(true);
    expect(a.hasPeer('book.0')).toBe(false);
  });

  it('outside replay mode a send to an absent actor is still an error', async () => {
    const k = new LocalKernel({ clock: new SimClock(), config: resolveConfig({}) });
    const a = k.add({ name: 'book.0', descriptor: toy, makeEnv: () => null, peers: ['strategy'] });
    k.inject('book.0', { control: { kind: kmm.v1.ControlKind.RECONCILE, reason: 'x' } });
    await expect(k.runUntil(1e6)).rejects.toThrow(/no actor 'strategy'/);
    expect(a.counters.crashes).toBe(1);
  });
});
