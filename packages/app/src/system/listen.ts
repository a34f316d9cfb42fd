/** Binds an HTTP server to 127.0.0.1 (never another interface) and returns the port it got. */
import type { Server } from 'node:http';

export async function listenLoopback(server: Server, port: number, label: string): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const addr = server.address();
  if (addr === null || typeof addr === 'string') throw new Error(`${label}: server has no TCP address`);
  return addr.port;
}
