import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { dropSchema, rowsAtRest } from '../support/database.js';
import { startUp, type UpProcess } from '../support/up-process.js';

describe('npm run up', () => {
  let up: UpProcess | undefined;
  const schemaPrefix = `up_${randomBytes(4).toString('hex')}_`;
  const services = ['auth', 'history', 'ingress'];
  afterAll(async () => {
    if (up?.isRunning()) up.kill();
    await up?.exited;
    await Promise.all(services.map((service) => dropSchema(`${schemaPrefix}${service}`)));
  });

  it('builds, starts the four services and the demo on the given Kafka and store, and stops them all on Ctrl-C', {
    timeout: 300_000,
  }, async () => {
    up = await startUp('up', { PARLEY_SCHEMA_PREFIX: schemaPrefix });
    const { offset } = up;
    const output = up.output();
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
    // Each store owner migrated its own schema.
    for (const service of services) {
      const applied = await rowsAtRest<{ name: string }>(
        `select name from ${schemaPrefix}${service}.pgmigrations`,
      );
      expect(applied.map((row) => row.name)).toContain('0001_initial');
    }

    expect(await up.interrupt()).toBe(0);
    expect(up.output()).toContain('[up] stopped');
    for (const port of opsPorts) await expect(fetch(`http://127.0.0.1:${port}/healthz`)).rejects.toThrow();
  });
});
