import { createServer } from 'node:net';

function isFree(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, host, () => server.close(() => resolve(true)));
  });
}

/**
 * An offset that leaves every one of `ports` (+ offset) free on `host` right now, so the services
 * can run beside `npm run up`, tests and other benchmarks.
 */
export async function freePortOffset(ports: readonly number[], host = '127.0.0.1'): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt += 1) {
    const offset = 2000 + Math.floor(Math.random() * 13000);
    if ((await Promise.all(ports.map((port) => isFree(port + offset, host)))).every(Boolean)) return offset;
  }
  throw new Error('no free set of ports for the services after 50 tries');
}
