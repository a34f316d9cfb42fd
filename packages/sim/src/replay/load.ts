/**
 * Venue hook of the replay market: reads the capture (a file path or its text), adds its
 * markets to the engine and returns the driver, already stepped to the start so the recorded
 * books are in place before any client connects. The only file read of the replay.
 */
import { closeSync, readFileSync } from 'node:fs';
import { openRegularFile } from '@kmm/shared';
import type { Engine } from '../engine/engine.js';
import { parseReplayCapture } from './capture.js';
import { addReplayMarkets, ReplayDriver, type QueueModelName } from './replay.js';

/** What `VenueOptions.replay` holds (plain data: it crosses into the simulator's thread). */
export interface ReplaySource {
  /** the capture file: Kalshi raw websocket frames (session.jsonl) or a run folder's capture.jsonl */
  capturePath?: string;
  /** the capture's text (instead of capturePath) */
  captureText?: string;
  /** time scale (default 1: real time; 10 = ten times faster) */
  speed?: number;
  /** what a level decrease without a recorded print is (default pessimistic) */
  queueModel?: QueueModelName;
}

export function loadReplay(engine: Engine, src: ReplaySource, nowMs: number): ReplayDriver {
  let text = src.captureText;
  if (text === undefined) {
    if (!src.capturePath) throw new Error('replay: give capturePath or captureText');
    // a regular file only: /dev/urandom would be read without end, a FIFO would block the start
    let fd: number;
    try {
      fd = openRegularFile(src.capturePath, 'capture').fd;
    } catch (e) {
      throw new Error(`replay: ${(e as Error).message}`);
    }
    try {
      text = readFileSync(fd, 'utf8');
    } catch (e) {
      throw new Error(`replay: cannot read capture ${src.capturePath}: ${(e as Error).message}`);
    } finally {
      closeSync(fd);
    }
  }
  const capture = parseReplayCapture(text);
  const where = src.capturePath ?? 'the capture';
  if (capture.markets.length === 0) throw new Error(`replay: ${where} has no orderbook_snapshot, orderbook_delta or trade frame`);
  addReplayMarkets(engine, capture, nowMs);
  const driver = new ReplayDriver(engine, capture, { startMs: nowMs, speed: src.speed, queueModel: src.queueModel });
  driver.step(nowMs);
  return driver;
}
