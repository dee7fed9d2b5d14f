import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { freeUpPortOffset, randomName, testInfra, waitFor } from '../support/harness.js';

const root = fileURLToPath(new URL('../../', import.meta.url));

describe('npm run up', () => {
  let up: ChildProcess | undefined;
  afterAll(() => {
    if (up && up.exitCode === null) up.kill('SIGKILL');
  });

  it('builds, starts the four services and the demo on the given Kafka and store, and stops them all on Ctrl-C', {
    timeout: 240_000,
  }, async () => {
    const offset = await freeUpPortOffset();
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
    // The demo: its page, the brand it signs in with, and the seeded channel.
    expect(output).toContain(`chat page   http://127.0.0.1:${8088 + offset}`);
    const config = (await (await fetch(`http://127.0.0.1:${8088 + offset}/config.json`)).json()) as {
      authorizationEndpoint: string;
    };
    expect(config).toMatchObject({ tenantId: 'demo', channelId: 'web' });
    expect(config.authorizationEndpoint).toContain(`http://127.0.0.1:${4000 + offset}/`);
    expect(output).toContain('demo channel "web" of tenant "demo"');

    up.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(output).toContain('[up] stopped');
    for (const port of opsPorts) await expect(fetch(`http://127.0.0.1:${port}/healthz`)).rejects.toThrow();
  });
});
