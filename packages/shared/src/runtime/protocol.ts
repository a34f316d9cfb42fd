/**
 * Plain (non-protobuf) messages between the supervisor and a worker's runtime. Only these
 * carry MessagePorts, which protobuf cannot; everything else is an encoded batch
 * (ArrayBuffer of length-delimited Envelopes).
 */
import type { MessagePort } from 'node:worker_threads';

export interface InitMessage {
  type: 'init';
  /** encoded kmm.v1.Startup */
  startup: Uint8Array;
  ports: Record<string, MessagePort>;
}
/** Replace the channel to one peer (the peer was restarted). */
export interface RewireMessage {
  type: 'rewire';
  peer: string;
  port: MessagePort;
}
/** Worker -> supervisor after a rewire: how many messages it had sent the dead peer. */
export interface RewiredMessage {
  type: 'rewired';
  peer: string;
  sentToPeer: number;
}
export interface StoppedMessage {
  type: 'stopped';
  error?: string;
}
export interface CrashMessage {
  type: 'crash';
  error: string;
}
export type SupervisorToWorker = InitMessage | RewireMessage;
export type WorkerToSupervisor = RewiredMessage | StoppedMessage | CrashMessage;
