/**
 * Replay parity: a live actor's recording (`--record-inputs`, shared/runtime/recorder.ts)
 * replayed through LocalKernel gives the same outputs as live, message for message.
 *
 * In:  `<run>/inputs/<actor>.jsonl` of a book shard or strategy: start-up (time, config,
 *      markets, shard, peers), every input with the time its handler saw, drain ends, outputs,
 *      the graceful stop.
 * Out: the live outputs, the replayed outputs (each `{to, env}`, env = base64 of the envelope
 *      without its header) and the first mismatch, decoded.
 * How: a kernel in replay mode holding ONLY that actor (its live descriptor, the environment a
 *      replay needs: book none, strategy no alpha feed), on a clock that starts at the recorded
 *      start-up. Each recorded drain is handed to `KernelActor.replayDrain`: the same messages,
 *      each at its recorded time, then endOfDrain at the recorded drain end (the book flushes
 *      conflated features there, so the drains must be cut where live cut them). Timers are not
 *      armed: live timers are recorded inputs with their firing time. A restart (a new start
 *      line) replays as a fresh actor.
 * Not replayable: ingest and exec. Their inputs are not all messages (websocket frames, REST
 *      replies and journal reads arrive through asynchronous environment callbacks that the
 *      recorder does not see), nor is a strategy fed by an external alpha source.
 */
import { readFileSync } from 'node:fs';
import { encodeBodyB64, kmm, LocalKernel, parseRecording, SimClock, timeAt, type ActorDescriptor, type KmmConfig, type RecordedLine, type RecordedStart } from '@kmm/shared';
import { bookActor } from '@kmm/book-worker/actor';
import { strategyActor } from '@kmm/strategy-worker/actor';

/** One output message: the peer and the envelope without its header (base64 protobuf). */
export interface RecordedMessage {
  to: string;
  env: string;
}

export interface ReplayMismatch {
  /** 0-based position in the output sequence */
  index: number;
  /** the decoded messages (null: that side has no message at `index`) */
  live: { to: string; message: Record<string, unknown> } | null;
  replay: { to: string; message: Record<string, unknown> } | null;
}

export interface ActorReplayResult {
  actor: string;
  /** start lines (1 + restarts) */
  segments: number;
  inputs: number;
  drains: number;
  outputsLive: RecordedMessage[];
  outputsReplay: RecordedMessage[];
  firstMismatch?: ReplayMismatch;
}

/** Live wall and monotonic clocks are not a fixed offset apart (Date.now is whole ms, and may be stepped): pin both. */
class RecordedClock extends SimClock {
  private pinnedMonoNs = -1;
  private pinnedWallMs = 0;
  constructor(monoNs: number, wallMs: number) {
    super(wallMs, monoNs);
    this.pin(monoNs, wallMs);
  }
  /** Moves to monoNs (never back) and reads exactly wallMs there, as live read it. */
  pin(monoNs: number, wallMs: number): void {
    const d = monoNs - this.monoNs();
    if (d > 0) this.advanceNs(d);
    this.pinnedMonoNs = this.monoNs();
    this.pinnedWallMs = wallMs;
  }
  override wallMs(): number {
    return this.monoNs() === this.pinnedMonoNs ? this.pinnedWallMs : super.wallMs();
  }
}

/** The replayable descriptors with the environment a replay gives them. */
function descriptorFor(start: RecordedStart['start']): { descriptor: ActorDescriptor<any, any>; env: unknown } {
  if (start.kind === kmm.v1.ActorKind.BOOK) return { descriptor: bookActor, env: null };
  if (start.kind === kmm.v1.ActorKind.STRATEGY) {
    if (start.config.kmm_external_fair_values) {
      throw new Error(`${start.actor}: a strategy with an external alpha feed cannot be replayed (its values arrive outside messages)`);
    }
    return { descriptor: strategyActor, env: { feed: null } };
  }
  const kind = kmm.v1.ActorKind[start.kind] ?? String(start.kind);
  throw new Error(`${start.actor}: replay of a ${kind} actor is not supported (only book and strategy: its inputs are not all messages)`);
}

function decodeEnv(b64: string): kmm.v1.Envelope {
  return kmm.v1.Envelope.decode(Buffer.from(b64, 'base64'));
}

function describe(m: RecordedMessage | undefined): ReplayMismatch['live'] {
  if (!m) return null;
  return { to: m.to, message: kmm.v1.Envelope.toObject(decodeEnv(m.env), { longs: Number, enums: String }) };
}

/** Replays one recording file (see the module header). */
export async function replayRecording(file: string): Promise<ActorReplayResult> {
  return replayRecordingLines(parseRecording(readFileSync(file, 'utf8'), file), file);
}

/** Replays parsed recording lines (`label` names the recording in errors). */
export async function replayRecordingLines(lines: readonly RecordedLine[], label = 'recording'): Promise<ActorReplayResult> {
  if (lines.length === 0 || !('start' in lines[0])) throw new Error(`${label}: does not begin with a start line`);
  const result: ActorReplayResult = { actor: (lines[0] as RecordedStart).start.actor, segments: 0, inputs: 0, drains: 0, outputsLive: [], outputsReplay: [] };
  let from = 0;
  while (from < lines.length) {
    let to = from + 1;
    while (to < lines.length && !('start' in lines[to])) to++;
    await replaySegment(lines.slice(from, to), result, label);
    from = to;
  }
  const n = Math.max(result.outputsLive.length, result.outputsReplay.length);
  for (let i = 0; i < n; i++) {
    const a = result.outputsLive[i];
    const b = result.outputsReplay[i];
    if (a?.to !== b?.to || a?.env !== b?.env) {
      result.firstMismatch = { index: i, live: describe(a), replay: describe(b) };
      break;
    }
  }
  return result;
}

/** One start-up of the actor and everything recorded until the next one. */
async function replaySegment(lines: readonly RecordedLine[], result: ActorReplayResult, label: string): Promise<void> {
  const start = (lines[0] as RecordedStart).start;
  const { descriptor, env } = descriptorFor(start);
  result.segments++;
  const clock = new RecordedClock(start.mono_ns, start.wall_ms);
  const config = start.config as unknown as KmmConfig;
  const kernel = new LocalKernel({
    clock,
    config,
    replay: true,
    hooks: { send: (_actor, to, body) => result.outputsReplay.push({ to, env: encodeBodyB64(body) }) },
  });
  const extra = start.extra as Record<string, unknown>;
  const actor = kernel.add({
    name: start.actor,
    descriptor,
    makeEnv: () => env,
    shard: start.shard,
    shardCount: start.shard_count,
    restartCount: start.restart_count,
    markets: Array.isArray(extra.markets) ? (extra.markets as kmm.v1.IMarketInfo[]) : [],
    extra,
    peers: start.peers ?? [],
  });
  await kernel.runUntil(clock.monoNs());

  let batch: { env: kmm.v1.Envelope; from: string; time: ReturnType<typeof timeAt> }[] = [];
  for (let n = 1; n < lines.length; n++) {
    const l = lines[n];
    if ('i' in l) {
      batch.push({ env: decodeEnv(l.env), from: l.from, time: timeAt(l.mono_ns, l.wall_ms) });
      result.inputs++;
    } else if ('o' in l) {
      result.outputsLive.push({ to: l.to, env: l.env });
    } else if ('d' in l) {
      clock.pin(l.mono_ns, l.wall_ms);
      actor.replayDrain(batch, timeAt(l.mono_ns, l.wall_ms));
      result.drains++;
      batch = [];
      await kernel.runUntil(clock.monoNs());
    } else if ('stop' in l) {
      // the drain the stop interrupted ran no endOfDrain live
      if (batch.length > 0) actor.replayDrain(batch);
      batch = [];
      clock.pin(l.stop.mono_ns, l.stop.wall_ms);
      await kernel.stopAll([start.actor], clock.monoNs() + 60e9);
    } else {
      throw new Error(`${label}: unexpected line ${JSON.stringify(l).slice(0, 120)}`);
    }
  }
  // a recording cut short (a crash, a kill): the last drain never reached its end
  if (batch.length > 0 && !actor.stopped) {
    actor.replayDrain(batch);
    await kernel.runUntil(clock.monoNs());
  }
}
