/**
 * Issue 14 item 12: `replay` and `backtest` of unreadable input fail at once with a clear
 * message. `kmm replay /dev/urandom` read the device without end, kept every garbage line and
 * died of heap exhaustion after ~90 s (exit 134, a V8 stack dump); a FIFO blocked forever.
 *   - a device, a FIFO or a folder is refused before any read (regular files only);
 *   - a large regular file of garbage is refused after its first CAPTURE_PROBE_BYTES, not read
 *     to the end;
 *   - one line of a megabyte and more without a frame (a file of zeros) is refused the same way;
 *   - a capture with a garbage line among its frames is still read (the line counts as invalid).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CAPTURE_PROBE_BYTES, readCapture } from '../src/shell/backtest.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'kmm-capture-input-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function failure(f: () => unknown): Error {
  try {
    f();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a failure');
}

/** deterministic bytes that look like binary garbage (a newline every ~256 bytes on average) */
function garbage(bytes: number): Buffer {
  const b = Buffer.alloc(bytes);
  let x = 0x2545f491;
  for (let i = 0; i < bytes; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    b[i] = x & 0xff;
  }
  return b;
}

describe('capture input', () => {
  it('refuses a device, a FIFO and a folder before reading', () => {
    expect(failure(() => readCapture('/dev/urandom')).message).toBe('capture /dev/urandom is a device, expected a regular file');
    expect(failure(() => readCapture('/dev/zero')).message).toBe('capture /dev/zero is a device, expected a regular file');
    const fifo = join(dir, 'capture.fifo');
    execFileSync('mkfifo', [fifo]);
    expect(failure(() => readCapture(fifo)).message).toBe(`capture ${fifo} is a FIFO (named pipe), expected a regular file`);
    expect(failure(() => readCapture(dir)).message).toBe(`capture ${dir} is a folder, expected a regular file`);
    expect(failure(() => readCapture(join(dir, 'none.jsonl'))).message).toBe(`capture not found: ${join(dir, 'none.jsonl')}`);
  });

  it('stops reading a large garbage file after its first CAPTURE_PROBE_BYTES', () => {
    const p = join(dir, 'garbage.bin');
    const size = 16 * CAPTURE_PROBE_BYTES;
    writeFileSync(p, garbage(size));
    const e = failure(() => readCapture(p));
    expect(e.message).toMatch(new RegExp(`^${p.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} is not a capture: none of its \\d+ lines is a websocket frame`));
    // the lines it looked at: about one chunk's worth (~1 line per 256 bytes), not the whole file's
    const lines = Number(/none of its (\d+) lines/.exec(e.message)![1]);
    expect(lines).toBeLessThan((2 * CAPTURE_PROBE_BYTES) / 100);
  });

  it('refuses a first line of a megabyte and more without a frame (a file of zeros)', () => {
    const p = join(dir, 'zeros.bin');
    writeFileSync(p, Buffer.alloc(3 * CAPTURE_PROBE_BYTES));
    expect(failure(() => readCapture(p)).message).toBe(`${p} is not a capture: its first line is over ${CAPTURE_PROBE_BYTES} bytes without a websocket frame`);
  });

  it('reads a capture with a garbage line among its frames', () => {
    const p = join(dir, 'mixed.jsonl');
    const snap = JSON.stringify({ type: 'orderbook_snapshot', sid: 1, seq: 1, msg: { market_ticker: 'KX-A', yes_dollars_fp: [['0.4000', '10.00']], no_dollars_fp: [['0.5000', '5.00']] } });
    writeFileSync(p, `${snap}\n${garbage(300).toString('latin1').replace(/\n/g, ' ')}\n\n`);
    const r = readCapture(p);
    expect(r.lineCount).toBe(3);
    expect(r.lines.length).toBe(2);
    expect(r.lines[0].frame.kind).toBe('snapshot');
    expect(r.lines[1].frame.kind).toBe('invalid');
  });
});
