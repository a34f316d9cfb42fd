/**
 * Test helper: a real nats-server per test file (loopback, a free port, JetStream in a temp
 * folder), or a skipped suite that says why when nats-server is not installed (scripts/test.sh
 * installs Debian's nats-server when it runs as root, as it does for chromium).
 */
import { afterAll, beforeAll, describe } from 'vitest';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { kmm } from '@kmm/shared';
import { findNatsServer, NATS_INSTALL_HINT, startNatsServer, type NatsServerHandle } from '../src/shell/nats-server.js';
import type { NatsTransport } from '../src/shell/transport.js';

const installed = findNatsServer() !== null;
if (!installed) console.warn(`[@kmm/cluster] SKIPPED: the NATS tests need nats-server, which is not installed: ${NATS_INSTALL_HINT}`);

/** describe() when nats-server is installed, else describe.skip (with the message above). */
export const describeNats = installed ? describe : describe.skip;

export interface NatsFixture {
  server: NatsServerHandle;
  /** a new client connection (one per simulated process); closed after the file */
  connect(): Promise<NatsConnection>;
}

/** Starts a server before the file's tests and stops it (and every connection) after. */
export function useNatsServer(): NatsFixture {
  const conns: NatsConnection[] = [];
  const fx = {
    server: undefined as unknown as NatsServerHandle,
    async connect(): Promise<NatsConnection> {
      const nc = await connect({ servers: fx.server.url, reconnect: false });
      conns.push(nc);
      return nc;
    },
  };
  beforeAll(async () => {
    fx.server = await startNatsServer({ name: 'kmm-test' });
  });
  afterAll(async () => {
    await Promise.all(conns.map((c) => c.close().catch(() => undefined)));
    await fx.server?.stop();
  });
  return fx;
}

/** Resolves with the arguments of the next `event` an emitter fires. */
export function next<T extends unknown[]>(emitter: { once(e: string, f: (...a: any[]) => void): unknown }, event: string): Promise<T> {
  return new Promise((resolve) => emitter.once(event, (...args: unknown[]) => resolve(args as T)));
}

/**
 * Serves `address` on a transport and keeps every envelope that arrives (a remote strategy node's
 * inbox in the gateway tests); `arrives(pred)` resolves once one matches, already or later.
 */
export function serveInbox(t: NatsTransport, address: string): { got: kmm.v1.Envelope[]; arrives(pred: (e: kmm.v1.Envelope) => boolean): Promise<void> } {
  const got: kmm.v1.Envelope[] = [];
  const waiters: Array<[(e: kmm.v1.Envelope) => boolean, () => void]> = [];
  t.serve(address, (env) => {
    got.push(env);
    for (const w of waiters.splice(0)) if (w[0](env)) w[1]();
    else waiters.push(w);
  });
  return { got, arrives: (pred) => (got.some(pred) ? Promise.resolve() : new Promise((r) => waiters.push([pred, r]))) };
}
