import type { Causation, EnvelopeBody } from '@kmm/shared';
import type { IngestSink, LogLevel, WsCommand } from '../src/core/ingest.js';

export interface Sent {
  peer: string;
  body: EnvelopeBody;
  cause?: Causation;
}

/** Records everything the core emits. */
export class RecordingSink implements IngestSink {
  sent: Sent[] = [];
  ws: WsCommand[] = [];
  drops: string[] = [];
  logs: { level: LogLevel; event: string; fields: Record<string, unknown> }[] = [];
  stats = new Map<string, number>();
  send(peer: string, body: EnvelopeBody, cause?: Causation): void {
    this.sent.push({ peer, body, cause });
  }
  wsSend(command: WsCommand): void {
    this.ws.push(command);
  }
  dropConnection(reason: string): void {
    this.drops.push(reason);
  }
  log(level: LogLevel, event: string, fields: Record<string, unknown>): void {
    this.logs.push({ level, event, fields });
  }
  stat(name: string, delta = 1): void {
    this.stats.set(name, (this.stats.get(name) ?? 0) + delta);
  }
  clear(): void {
    this.sent = [];
    this.ws = [];
    this.drops = [];
    this.logs = [];
  }
}
