/**
 * Standalone Prometheus endpoint (GET /metrics on 127.0.0.1), for running the exporter
 * without the dashboard (e.g. `--no-dashboard`). Each scrape first refreshes the metrics
 * from `refresh()` (the supervisor's snapshot plus counters) when given.
 * With `token` set, a scrape needs `Authorization: Bearer <token>` (or `?token=`):
 * Prometheus sends it with `authorization: { credentials: <token> }` in its scrape config.
 * Without `token` the endpoint is public on loopback.
 */
import { createServer } from 'node:http';
import { checkToken, hostAllowed, tokenSources } from '../dashboard/auth.js';
import type { KmmMetrics, MetricsInput } from './metrics.js';
import { listenLoopback } from '../system/listen.js';

export interface MetricsServerOptions {
  metrics: KmmMetrics;
  /** 0 or absent = ephemeral. Binds 127.0.0.1 only. */
  port?: number;
  token?: string;
  refresh?: () => MetricsInput;
  log?: (msg: string) => void;
}

export interface MetricsServerHandle {
  /** http://127.0.0.1:<port>/metrics */
  url: string;
  port: number;
  close(): Promise<void>;
}

export async function startMetricsServer(opts: MetricsServerOptions): Promise<MetricsServerHandle> {
  const log = opts.log ?? (() => {});
  let port = 0;
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', `http://127.0.0.1:${port}`);
    const plain = (status: number, text: string): void => {
      res.writeHead(status, { 'Content-Type': 'text/plain', 'Cache-Control': 'no-store' });
      res.end(text);
    };
    if (!hostAllowed(req, port)) return plain(403, 'bad host\n');
    if (url.pathname !== '/metrics' || req.method !== 'GET') return plain(404, 'not found\n');
    if (opts.token !== undefined) {
      const a = checkToken(tokenSources(req, url), opts.token, { header: true, query: true, cookie: false });
      if (!a.ok) return plain(a.status, `${a.why}\n`);
    }
    try {
      if (opts.refresh !== undefined) opts.metrics.update(opts.refresh());
    } catch (err) {
      log(`metrics: refresh failed: ${(err as Error).message}`);
    }
    opts.metrics.text().then(
      (text) => {
        res.writeHead(200, { 'Content-Type': opts.metrics.contentType, 'Cache-Control': 'no-store' });
        res.end(text);
      },
      (err: unknown) => plain(500, `metrics failed: ${(err as Error).message}\n`),
    );
  });
  port = await listenLoopback(server, opts.port ?? 0, 'metrics');
  return {
    url: `http://127.0.0.1:${port}/metrics`,
    port,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
