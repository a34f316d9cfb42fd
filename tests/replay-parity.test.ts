/**
 * Issue 12, "one kernel for every driver": a live run's actor inputs, recorded under
 * --record-inputs (each message with the time its handler saw, and where each drain ended),
 * replayed through LocalKernel give the same outputs as live, message for message.
 *
 * The live part is a short demo against the simulator (worker threads, real sockets): whatever
 * happened live, the assertion is the equality of recorded and replayed outputs, so the test
 * does not depend on timing. A negative control tampers one recorded input and sees the replay
 * differ. Exec and ingest are not replayed: their inputs include websocket frames, REST replies
 * and journal reads that reach them through asynchronous environment callbacks, not messages.
 */
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runDemo } from '@kmm/app';
import { replayRecording, replayRecordingLines, type ActorReplayResult } from '@kmm/backtest';
import { kmm, parseRecording, type RecordedInput } from '@kmm/shared';

function report(r: ActorReplayResult): string {
  return `${r.actor}: ${r.inputs} inputs in ${r.drains} drains, ${r.outputsLive.length} live / ${r.outputsReplay.length} replayed outputs` + (r.firstMismatch ? `; first mismatch at ${r.firstMismatch.index}: ${JSON.stringify(r.firstMismatch).slice(0, 800)}` : '');
}

describe('replay parity: live actor recordings replayed through LocalKernel', () => {
  let inputsDir = '';
  let tmp = '';

  beforeAll(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'kmm-parity-'));
    const result = await runDemo({ markets: 12, durationS: 5, seed: 5, speed: 5, out: join(tmp, 'run'), dashboard: false, quiet: true, shards: 2, recordInputs: true });
    inputsDir = join(result.runDir, 'inputs');
  }, 90_000);

  it('records every actor', () => {
    const files = readdirSync(inputsDir).sort();
    expect(files).toEqual(['book.0.jsonl', 'book.1.jsonl', 'exec.jsonl', 'ingest.jsonl', 'strategy.jsonl']);
  });

  for (const actor of ['book.0', 'book.1', 'strategy']) {
    it(`${actor}: replayed outputs equal the live ones, message for message`, async () => {
      const r = await replayRecording(join(inputsDir, `${actor}.jsonl`));
      console.log(report(r));
      expect(r.firstMismatch, report(r)).toBeUndefined();
      expect(r.outputsReplay).toEqual(r.outputsLive);
      expect(r.segments).toBe(1);
      expect(r.inputs).toBeGreaterThan(100);
      expect(r.outputsLive.length).toBeGreaterThan(100);
    });
  }

  it('negative control: one tampered BookDelta makes the replay differ', async () => {
    const file = join(inputsDir, 'book.0.jsonl');
    const lines = readFileSync(file, 'utf8').split('\n');
    const records = parseRecording(readFileSync(file, 'utf8'), file);
    // the first delta that adds size, after at least one output: its price moves one tick
    let tamperedAt = -1;
    let outputsBefore = 0;
    for (let n = 0; n < records.length; n++) {
      const l = records[n];
      if ('o' in l) outputsBefore++;
      if (!('i' in l) || outputsBefore === 0) continue;
      const env = kmm.v1.Envelope.decode(Buffer.from((l as RecordedInput).env, 'base64'));
      const d = env.bookDelta;
      if (!d || Number(d.deltaCenti) <= 0) continue;
      d.price = d.price > 50 ? d.price - 1 : d.price + 1;
      const tampered: RecordedInput = { ...(l as RecordedInput), env: Buffer.from(kmm.v1.Envelope.encode(env).finish()).toString('base64') };
      lines[n] = JSON.stringify(tampered);
      tamperedAt = n;
      break;
    }
    expect(tamperedAt).toBeGreaterThan(0);
    const copy = join(tmp, 'book.0.tampered.jsonl');
    writeFileSync(copy, lines.join('\n'));
    const r = await replayRecording(copy);
    console.log('tampered ' + report(r));
    expect(r.firstMismatch).toBeDefined();
    // nothing before the tampered input can differ
    expect(r.firstMismatch!.index).toBeGreaterThanOrEqual(outputsBefore);
    expect(r.firstMismatch!.live).not.toEqual(r.firstMismatch!.replay);
  });

  it('negative control: the same inputs cut into other drains give other outputs (drain ends are recorded for a reason)', async () => {
    const file = join(inputsDir, 'book.0.jsonl');
    const records = parseRecording(readFileSync(file, 'utf8'), file);
    // every other drain end dropped: pairs of live drains replay as one (one endOfDrain flush)
    let drainEnds = 0;
    const merged = records.filter((l) => !('d' in l) || ++drainEnds % 2 === 0);
    const r = await replayRecordingLines(merged, 'merged drains');
    console.log('merged drains ' + report(r));
    expect(r.inputs).toBeGreaterThan(100);
    expect(r.firstMismatch).toBeDefined();
  });

  it('replay refuses the actors whose inputs are not all messages, with a clear error', async () => {
    await expect(replayRecording(join(inputsDir, 'exec.jsonl'))).rejects.toThrow(/exec.*EXEC actor is not supported/);
  });
});
