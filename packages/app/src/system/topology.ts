/**
 * The actor topology (design.md): ingest -> book[0..K) -> strategy -> exec, plus the back
 * edges (exec -> strategy/book for acks, fills, positions; strategy -> ingest for market
 * selection; book -> ingest for resync requests). One MessageChannel per edge.
 */
import { createRequire } from 'node:module';
import { kmm, type ActorDef } from '@kmm/shared';

const requireFromHere = createRequire(import.meta.url);

/** Absolute path of a worker package's compiled entry (its `./shell` export). */
export function shellScript(pkg: string): string {
  return requireFromHere.resolve(`${pkg}/shell`);
}

export interface Topology {
  actors: ActorDef[];
  edges: Array<[string, string]>;
  /** graceful shutdown order: stop the data first, exec last (it cancels everything) */
  shutdownOrder: string[];
}

/** The exec worker entry: the live one, or the paper one (simulated venue as gateway). */
export function execScript(paper: boolean): string {
  return paper ? requireFromHere.resolve('@kmm/backtest/paper-exec') : shellScript('@kmm/exec-worker');
}

/** Start-up settings that only the actors that sign requests (ingest, exec) may receive. */
export const SECRET_EXTRA_KEYS = ['keyId', 'privateKeyPath'] as const;

/** `extra` without the API key settings: book shards and strategy never sign anything. */
export function withoutSecrets(extra: Record<string, unknown>): Record<string, unknown> {
  const out = { ...extra };
  for (const k of SECRET_EXTRA_KEYS) delete out[k];
  return out;
}

export function buildTopology(shardCount: number, extra: Record<string, unknown>, o: { paper?: boolean } = {}): Topology {
  const books = Array.from({ length: shardCount }, (_, i) => `book.${i}`);
  const plain = withoutSecrets(extra);
  const actors: ActorDef[] = [
    { name: 'ingest', kind: kmm.v1.ActorKind.INGEST, script: shellScript('@kmm/ingest-worker'), shardCount, extra },
    ...books.map((name, i) => ({ name, kind: kmm.v1.ActorKind.BOOK, script: shellScript('@kmm/book-worker'), shard: i, shardCount, extra: plain })),
    { name: 'strategy', kind: kmm.v1.ActorKind.STRATEGY, script: shellScript('@kmm/strategy-worker'), shardCount, extra: plain },
    { name: 'exec', kind: kmm.v1.ActorKind.EXEC, script: execScript(!!o.paper), shardCount, extra },
  ];
  const edges: Array<[string, string]> = [
    ['ingest', 'strategy'],
    ['ingest', 'exec'],
    ['strategy', 'exec'],
    ...books.flatMap((b): Array<[string, string]> => [
      ['ingest', b],
      [b, 'strategy'],
      [b, 'exec'],
    ]),
  ];
  return { actors, edges, shutdownOrder: ['ingest', ...books, 'strategy', 'exec'] };
}
