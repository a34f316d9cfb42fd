/**
 * LocalKernel: the single-thread driver runs descriptors with the worker driver's semantics —
 * one dispatch table, endOfDrain once per drain, declared timers at their period on the
 * simulated clock, async start-up with messages waiting in order, crash-only restarts — and in
 * a deterministic order.
 */
import { describe, expect, it } from 'vitest';
import { kmm, LocalKernel, resolveConfig, SimClock, type ActorDescriptor } from '../src/index.js';

interface Rec {
  log: string[];
}

/** An echo actor: logs what it handles (with the virtual ms), forwards bookFeatures to `next`. */
function echo(next: string | null, log: string[]): ActorDescriptor<Rec, null> {
  return {
    kind: kmm.v1.ActorKind.BOOK,
    start: (init) => {
      log.push(`${init.name} start r${init.restartCount} t${init.startTime.monoMs}`);
      return { log };
    },
    handlers: {
      bookFeatures(s, f, t, io) {
        s.log.push(`${io.name} f${f.bookVersion} t${t.monoMs}`);
        if (next) io.send(next, { bookFeatures: { market: f.market, bookVersion: Number(f.bookVersion) + 100 } });
      },
      control(_s, c, _t, io) {
        if (c.reason === 'crash') throw new Error(`${io.name}: crash requested`);
      },
    },
    endOfDrain(s, t, io) {
      s.log.push(`${io.name} drained t${t.monoMs}`);
    },
    timers: [
      { name: 'tick', periodMs: 100, fire: (s, t, io) => s.log.push(`${io.name} tick t${t.monoMs}`) },
      { name: 'once', periodMs: 0, fire: (s, t, io) => s.log.push(`${io.name} once t${t.monoMs}`) },
    ],
  };
}

function kernel(onCrash: 'throw' | 'restart' = 'throw'): LocalKernel {
  return new LocalKernel({ clock: new SimClock(1_767_225_600_000, 0), config: resolveConfig({}), onCrash });
}

describe('LocalKernel', () => {
  it('conflates state per market in the mailbox, as the worker does', async () => {
    const log: string[] = [];
    const k = kernel();
    k.add({ name: 'a', descriptor: echo(null, log), makeEnv: () => null });
    k.at(1e6, () => {
      for (let i = 1; i <= 3; i++) k.inject('a', { bookFeatures: { market: 'M', bookVersion: i } });
    });
    await k.runUntil(1e6);
    expect(log).toEqual(['a start r0 t0', 'a f3 t1', 'a drained t1']);
  });

  it('delivers in a deterministic order, one endOfDrain per drain, through the wire format', async () => {
    const run = async (): Promise<string[]> => {
      const log: string[] = [];
      const k = kernel();
      k.add({ name: 'a', descriptor: echo('b', log), makeEnv: () => null });
      k.add({ name: 'b', descriptor: echo(null, log), makeEnv: () => null });
      k.at(5e6, () => {
        // three messages in one step: one drain of a, whose three sends make one drain of b
        // (distinct markets: the mailbox conflates features per market, as live)
        for (let i = 1; i <= 3; i++) k.inject('a', { bookFeatures: { market: `M${i}`, bookVersion: i } });
      });
      await k.runUntil(5e6);
      return log;
    };
    const log = await run();
    expect(log).toEqual([
      'a start r0 t0',
      'b start r0 t0',
      'a f1 t5',
      'a f2 t5',
      'a f3 t5',
      'a drained t5',
      'b f101 t5',
      'b f102 t5',
      'b f103 t5',
      'b drained t5',
    ]);
    expect(await run()).toEqual(log);
  });

  it('fires declared timers at their period and one-shot timers when armed, on the simulated clock', async () => {
    const log: string[] = [];
    const k = kernel();
    const a = k.add({ name: 'a', descriptor: echo(null, log), makeEnv: () => null });
    k.at(150e6, () => a.after('once', 30));
    await k.runUntil(300e6);
    expect(log.filter((l) => !l.includes('drained'))).toEqual(['a start r0 t0', 'a tick t100', 'a once t180', 'a tick t200', 'a tick t300']);
    expect(k.clock.monoNs()).toBe(300e6);
  });

  it('keeps messages that arrive during an async start-up, in order, and arms timers once ready', async () => {
    const log: string[] = [];
    const k = kernel();
    let release: () => void = () => {};
    const slow: ActorDescriptor<Rec, null> = {
      ...echo(null, log),
      start: (init) =>
        new Promise<Rec>((resolve) => {
          release = () => {
            log.push(`${init.name} ready`);
            resolve({ log });
          };
        }),
    };
    const a = k.add({ name: 'a', descriptor: slow, makeEnv: () => null });
    k.inject('a', { bookFeatures: { market: 'M', bookVersion: 1 } });
    k.inject('a', { bookFeatures: { market: 'N', bookVersion: 2 } });
    k.at(50e6, () => {
      release();
      k.markAsync();
    });
    await k.runWhile(a.ready, 1e9, 'start-up');
    await k.runUntil(160e6);
    // armed once ready (t50), on the wall-clock grid: the next multiple of 100 ms is t100
    expect(log).toEqual(['a ready', 'a f1 t50', 'a f2 t50', 'a drained t50', 'a tick t100', 'a drained t100']);
  });

  it('a crash fails the run with the actor named (onCrash throw)', async () => {
    const k = kernel('throw');
    k.add({ name: 'a', descriptor: echo(null, []), makeEnv: () => null });
    k.at(1e6, () => k.inject('a', { control: { kind: kmm.v1.ControlKind.PAUSE_QUOTING, reason: 'crash' } }));
    await expect(k.runUntil(2e6)).rejects.toThrow(/a crashed: a: crash requested/);
  });

  it('a crash restarts the actor through its cold start with a fresh env, losing its mailbox (onCrash restart)', async () => {
    const log: string[] = [];
    const envs: number[] = [];
    const crashes: string[] = [];
    const k = new LocalKernel({ clock: new SimClock(), config: resolveConfig({}), onCrash: 'restart', hooks: { crash: (actor, err) => crashes.push(`${actor}: ${err.message}`) } });
    const a = k.add({
      name: 'a',
      descriptor: echo(null, log),
      makeEnv: (restart) => {
        envs.push(restart);
        return null;
      },
    });
    k.at(10e6, () => {
      k.inject('a', { control: { kind: kmm.v1.ControlKind.PAUSE_QUOTING, reason: 'crash' } });
      k.inject('a', { bookFeatures: { market: 'M', bookVersion: 7 } }); // behind the crash: lost
    });
    k.at(20e6, () => k.inject('a', { bookFeatures: { market: 'M', bookVersion: 8 } }));
    await k.runUntil(50e6);
    expect(crashes).toEqual(['a: a: crash requested']);
    expect(envs).toEqual([0, 1]);
    expect(a.restartCount).toBe(1);
    expect(a.counters.lostOnCrash).toBe(1);
    expect(log).toEqual(['a start r0 t0', 'a start r1 t10', 'a f8 t20', 'a drained t20']);
  });

  it('runWhile fails with a clear message when the operation cannot finish in time', async () => {
    const k = kernel();
    k.add({ name: 'a', descriptor: echo(null, []), makeEnv: () => null });
    await expect(k.runWhile(new Promise(() => {}), 1e9, 'a stop')).rejects.toThrow(/a stop did not finish by t=1.000 s/);
  });
});

describe('periodic timers on the wall-clock grid', () => {
  it('msToNextGridPoint: the next whole multiple of the period, a full period when on one', async () => {
    const { msToNextGridPoint } = await import('../src/runtime/timer-grid.js');
    expect(msToNextGridPoint(1_000_000_173, 250)).toBe(77);
    expect(msToNextGridPoint(1_000_000_250, 250)).toBe(250);
    expect(msToNextGridPoint(1_000_000_000, 1000)).toBe(1000);
  });

  it('an actor started between grid points fires at the wall-clock multiples of its period, not start + period', async () => {
    const log: string[] = [];
    // wall clock 1_767_225_600_030 at mono 0: 30 ms past a multiple of 100 ms
    const k = new LocalKernel({ clock: new SimClock(1_767_225_600_030, 0), config: resolveConfig({}), onCrash: 'throw' });
    k.add({ name: 'a', descriptor: echo(null, log), makeEnv: () => null });
    await k.runUntil(300e6);
    expect(log.filter((l) => l.includes('tick'))).toEqual(['a tick t70', 'a tick t170', 'a tick t270']);
  });
});
