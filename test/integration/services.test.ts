import { randomBytes } from 'node:crypto';
import { credentials, loadPackageDefinition } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { describe, expect, it } from 'vitest';
import { createApp as createAuth } from '../../services/auth/src/app.js';
import { loadConfig as authConfig } from '../../services/auth/src/config.js';
import { createApp as createEnrichment } from '../../services/enrichment/src/app.js';
import { loadConfig as enrichmentConfig } from '../../services/enrichment/src/config.js';
import { createApp as createHistory } from '../../services/history/src/app.js';
import { loadConfig as historyConfig } from '../../services/history/src/config.js';
import { createApp as createIngress } from '../../services/ingress/src/app.js';
import { loadConfig as ingressConfig } from '../../services/ingress/src/config.js';
import { freshTopics, randomName, testInfra, testKafka, testLogger, waitFor } from '../support/harness.js';

function env(extra: Record<string, string> = {}) {
  return {
    KAFKA_BROKERS: testInfra().kafkaBrokers.join(','),
    MONGO_URL: testInfra().mongoUrl,
    MONGO_DATABASE: randomName('svc').replace('-', '_'),
    BIND_HOST: '127.0.0.1',
    OPS_PORT: '0',
    GRPC_PORT: '0',
    SECRET_KEYS: `k1:${randomBytes(32).toString('base64url')}`,
    SECRET_ACTIVE_KID: 'k1',
    SESSION_SIGNING_KEY: randomBytes(32).toString('base64url'),
    ...extra,
  };
}

async function grpcHealth(address: string, service: string): Promise<string> {
  const path = new URL(import.meta.resolve('grpc-health-check/proto/health/v1/health.proto')).pathname;
  const loaded = loadPackageDefinition(loadSync(path, { enums: String })) as unknown as {
    grpc: {
      health: {
        v1: {
          Health: new (address: string, creds: ReturnType<typeof credentials.createInsecure>) => HealthClient;
        };
      };
    };
  };
  type HealthClient = {
    check(
      request: { service: string },
      options: { deadline: number },
      callback: (error: Error | null, response: { status: string }) => void,
    ): void;
    close(): void;
  };
  const client = new loaded.grpc.health.v1.Health(address, credentials.createInsecure());
  try {
    return await new Promise((resolve, reject) =>
      client.check({ service }, { deadline: Date.now() + 3000 }, (error, response) =>
        error ? reject(error) : resolve(response.status),
      ),
    );
  } finally {
    client.close();
  }
}

async function expectOpsEndpoints(opsUrl: string, service: string, checks: string[]) {
  expect((await fetch(`${opsUrl}/healthz`)).status).toBe(200);
  const ready = await waitFor(`${service} /readyz`, async () => {
    const response = await fetch(`${opsUrl}/readyz`);
    return response.status === 200
      ? ((await response.json()) as { checks: Record<string, string> })
      : undefined;
  });
  expect(Object.keys(ready.checks).sort()).toEqual([...checks].sort());
  const metrics = await (await fetch(`${opsUrl}/metrics`)).text();
  expect(metrics).toContain(`nodejs_heap_size_used_bytes{service="${service}",version="test"}`);
}

describe('the four services start on the real broker and store', () => {
  const logger = testLogger('services-test');

  it('auth: store with its indexes, gRPC health, ops endpoints; stops cleanly', async () => {
    const config = authConfig(env());
    const app = createAuth({ config, logger, version: 'test' });
    await app.start();
    try {
      await expectOpsEndpoints(app.opsUrl(), 'auth', ['mongo', 'grpc']);
      expect(await grpcHealth(app.grpcAddress(), '')).toBe('SERVING');
      const indexes = (await app.db().collection('channels').listIndexes().toArray()).map(
        (index) => index.name,
      );
      expect(indexes).toContain('tenant_channel');
      const sessions = (await app.db().collection('sessions').listIndexes().toArray()).map(
        (index) => index.name,
      );
      expect(sessions).toEqual(expect.arrayContaining(['session', 'sessions_ttl']));
    } finally {
      const opsUrl = app.opsUrl();
      await app.db().dropDatabase();
      await app.stop();
      await expect(fetch(`${opsUrl}/healthz`)).rejects.toThrow();
    }
  });

  it('history: store, producer and gRPC health', async () => {
    const prefix = await freshTopics(testKafka(), [
      'chat.messages.enriched.v1',
      'chat.messages.outbound.v1',
      'chat.customers.updated.v1',
      'chat.deliveries.v1',
    ]);
    const config = historyConfig(env({ KAFKA_TOPIC_PREFIX: prefix }));
    const app = createHistory({ config, logger, version: 'test' });
    await app.start();
    try {
      await expectOpsEndpoints(app.opsUrl(), 'history', ['mongo', 'kafka-producer', 'grpc', 'consumer']);
      expect(await grpcHealth(app.grpcAddress(), '')).toBe('SERVING');
      const indexes = (await app.db().collection('messages').listIndexes().toArray()).map(
        (index) => index.name,
      );
      expect(indexes).toEqual(expect.arrayContaining(['tenant_thread_message', 'tenant_thread_seq']));
    } finally {
      await app.db().dropDatabase();
      await app.stop();
    }
  });

  it('enrichment: producer, auth connection and consumer, ops endpoints', async () => {
    const prefix = await freshTopics(testKafka(), [
      'chat.messages.received.v1',
      'chat.messages.enriched.v1',
      'chat.customers.updated.v1',
    ]);
    const auth = createAuth({ config: authConfig(env()), logger, version: 'test' });
    await auth.start();
    const app = createEnrichment({
      config: enrichmentConfig(env({ AUTH_GRPC_ADDRESS: auth.grpcAddress(), KAFKA_TOPIC_PREFIX: prefix })),
      logger,
      version: 'test',
    });
    await app.start();
    try {
      await expectOpsEndpoints(app.opsUrl(), 'enrichment', ['kafka-producer', 'auth', 'consumer']);
    } finally {
      await app.stop();
      await auth.db().dropDatabase();
      await auth.stop();
    }
  });

  it('ingress: store, producer, auth connection and HTTP server, ops endpoints', async () => {
    const auth = createAuth({ config: authConfig(env()), logger, version: 'test' });
    await auth.start();
    const prefix = await freshTopics(testKafka(), [
      'chat.messages.received.v1',
      'chat.messages.enriched.v1',
      'chat.messages.outbound.v1',
      'chat.customers.updated.v1',
      'chat.deliveries.v1',
    ]);
    const history = createHistory({
      config: historyConfig(env({ KAFKA_TOPIC_PREFIX: prefix })),
      logger,
      version: 'test',
    });
    await history.start();
    const app = createIngress({
      config: ingressConfig(
        env({
          HTTP_PORT: '0',
          AUTH_GRPC_ADDRESS: auth.grpcAddress(),
          HISTORY_GRPC_ADDRESS: history.grpcAddress(),
          KAFKA_TOPIC_PREFIX: prefix,
        }),
      ),
      logger,
      version: 'test',
    });
    await app.start();
    try {
      await expectOpsEndpoints(app.opsUrl(), 'ingress', [
        'mongo',
        'kafka-producer',
        'auth',
        'history',
        'deliveries',
        'http',
      ]);
      expect((await fetch(`${app.httpUrl()}/openapi.json`)).status).toBe(200);
    } finally {
      await app.db().dropDatabase();
      await app.stop();
      await auth.db().dropDatabase();
      await auth.stop();
      await history.db().dropDatabase();
      await history.stop();
    }
  });

  it('fails to start, with dependency_unavailable, when the store is unreachable', async () => {
    const config = authConfig(env({ MONGO_URL: 'mongodb://127.0.0.1:1/' }));
    const app = createAuth({ config, logger, version: 'test' });
    await expect(app.start()).rejects.toMatchObject({ code: 'dependency_unavailable' });
    await app.stop();
  });

  it('refuses a bad configuration naming every bad variable', () => {
    expect(() => historyConfig({ KAFKA_BROKERS: 'nope', OPS_PORT: '-1' })).toThrow(
      expect.objectContaining({
        code: 'invalid_config',
        message: expect.stringMatching(
          /KAFKA_BROKERS.*MONGO_URL.*OPS_PORT|OPS_PORT.*KAFKA_BROKERS.*MONGO_URL/,
        ),
      }),
    );
  });
});
