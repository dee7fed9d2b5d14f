import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { randomName, testInfra, waitFor } from '../support/harness.js';

const root = fileURLToPath(new URL('../../', import.meta.url));

/** An offset for `PARLEY_UP_PORT_OFFSET` whose service ports are all free right now. */
async function freePortOffset(): Promise<number> {
  const free = (port: number) =>
    new Promise<boolean>((resolve) => {
      const server = createServer();
      server.once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
    });
  for (let attempt = 0; attempt < 50; attempt += 1) {
    const offset = 2000 + Math.floor(Math.random() * 13000);
    const ports = [8080, 9400, 9401, 9402, 9403, 50051, 50052].map((port) => port + offset);
    if ((await Promise.all(ports.map(free))).every(Boolean)) return offset;
  }
  throw new Error('no free set of ports for the services');
}

describe('npm run up', () => {
  let up: ChildProcess | undefined;
  afterAll(() => {
    if (up && up.exitCode === null) up.kill('SIGKILL');
  });

  it('builds, starts the four services on the given Kafka and store, and stops them all on Ctrl-C', {
    timeout: 240_000,
  }, async () => {
    const offset = await freePortOffset();
    let output = '';
    up = spawn(process.execPath, ['scripts/up.mjs'], {
      cwd: root,
      env: {
        ...process.env,
        KAFKA_BROKERS: testInfra().kafkaBrokers.join(','),
        MONGO_URL: testInfra().mongoUrl,
        KAFKA_TOPIC_PREFIX: `${randomName('up')}.`,
        PARLEY_UP_PORT_OFFSET: String(offset),
        LOG_PRETTY: 'false',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    up.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    up.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    const exited = new Promise<number | null>((resolve) => up?.once('exit', (code) => resolve(code)));

    await waitFor('"Parley is up"', () => output.includes('Parley is up:') || up?.exitCode !== null, {
      timeoutMs: 200_000,
    });
    expect(output, output).toContain('Parley is up:');
    const opsPorts = [9400, 9401, 9402, 9403].map((port) => port + offset);
    for (const port of opsPorts) {
      expect(output).toContain(`http://127.0.0.1:${port}/{healthz,readyz,metrics}`);
      expect((await fetch(`http://127.0.0.1:${port}/readyz`)).status).toBe(200);
    }
    expect(output).toContain(`gRPC 127.0.0.1:${50051 + offset}`);
    expect((await fetch(`http://127.0.0.1:${8080 + offset}/openapi.json`)).status).toBe(200);

    up.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(output).toContain('[up] stopped');
    for (const port of opsPorts) await expect(fetch(`http://127.0.0.1:${port}/healthz`)).rejects.toThrow();
  });
});
