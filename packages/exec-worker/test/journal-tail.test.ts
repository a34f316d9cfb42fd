/**
 * Issue 14 item 9: a journal whose last line was torn by a crash is cut back to its last
 * complete line (and the repair reported) before the next run appends, so the next run's
 * `start` record is not glued to the fragment and lost; complete records are never dropped.
 */
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Journal, readJournal, repairJournalTail } from '../src/shell/journal.js';
import { encodeJournalLine } from '../src/core/journal-record.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'kmm-journal-tail-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const startLine = (runId: string, seq: number): string => encodeJournalLine({ k: 'start', runId, paper: false }, 1_000 + seq, seq);

async function writeRun(path: string, runId: string, repairs: string[]): Promise<Journal> {
  const j = new Journal(path, { flushEveryMs: 0, fsyncEveryMs: 0, onRepair: (m) => repairs.push(m) });
  j.append({ k: 'start', runId, paper: false });
  await j.close();
  return j;
}

describe('journal torn tail', () => {
  it("cuts the partial last line, reports it, and keeps the next run's start record", async () => {
    const path = join(dir, 'torn.jsonl');
    const first = startLine('run-1', 1);
    const second = encodeJournalLine({ k: 'start', runId: 'run-1b', paper: false }, 1_002, 2);
    writeFileSync(path, `${first}\n${second}\n${second.slice(0, 17)}`); // crash in the middle of a third line
    const repairs: string[] = [];
    const j = await writeRun(path, 'run-2', repairs);
    expect(j.repaired?.truncatedBytes).toBe(17);
    expect(repairs).toHaveLength(1);
    expect(repairs[0]).toContain('cut a torn last line of 17 bytes');
    const read = readJournal(path);
    expect(read.badLines).toBe(0);
    expect(read.tornTail).toBe(false);
    expect(read.records.map((r) => (r.k === 'start' ? r.runId : r.k))).toEqual(['run-1', 'run-1b', 'run-2']);
    expect(readFileSync(path, 'utf8').endsWith('\n')).toBe(true);
  });

  it('a complete last record without its newline is kept (a newline is added, nothing cut)', async () => {
    const path = join(dir, 'no-newline.jsonl');
    writeFileSync(path, startLine('run-1', 1));
    const repairs: string[] = [];
    const j = await writeRun(path, 'run-2', repairs);
    expect(j.repaired).toMatchObject({ truncatedBytes: 0, newlineAdded: true });
    expect(readJournal(path).records.map((r) => (r.k === 'start' ? r.runId : r.k))).toEqual(['run-1', 'run-2']);
  });

  it('a torn first (and only) line is cut to an empty file', () => {
    const path = join(dir, 'only-torn.jsonl');
    writeFileSync(path, '{"t":1,"seq":1,"k":"sta');
    expect(repairJournalTail(path)?.truncatedBytes).toBe(23);
    expect(readFileSync(path, 'utf8')).toBe('');
  });

  it('leaves a clean journal, an empty one and a missing one alone', () => {
    const path = join(dir, 'clean.jsonl');
    writeFileSync(path, `${startLine('a', 1)}\n`);
    appendFileSync(path, `${startLine('b', 2)}\n`);
    const before = readFileSync(path, 'utf8');
    expect(repairJournalTail(path)).toBeNull();
    expect(readFileSync(path, 'utf8')).toBe(before);
    writeFileSync(join(dir, 'empty.jsonl'), '');
    expect(repairJournalTail(join(dir, 'empty.jsonl'))).toBeNull();
    expect(repairJournalTail(join(dir, 'missing.jsonl'))).toBeNull();
  });
});
