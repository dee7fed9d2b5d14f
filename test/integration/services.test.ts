import { randomBytes } from 'node:crypto';
import { credentials, loadPackageDefinition } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import type { ServiceIdentity } from '@parley/grpc';
import { describe, expect, it } from 'vitest';
import { createApp as createAuth } from '../../services/auth/src/app.js';
import { loadConfig as authConfig } from '../../services/auth/src/config.js';
import { createApp as createEnrichment } from '../../services/enrichment/src/app.js';
import { loadConfig as enrichmentConfig } from '../../services/enrichment/src/config.js';
import { createApp as createHistory } from '../../services/history/src/app.js';
import { loadConfig as historyConfig } from '../../services/history/src/config.js';
import { createApp as createIngress } from '../../services/ingress/src/app.js';
import { loadConfig as ingressConfig } from '../../services/ingress/src/config.js';
import { dropSchema, rowsAtRest, type StoreService, serviceStore } from '../support/database.js';
import { grpcTlsEnv, grpcTlsOf } from '../support/grpc.js';
import {
  freshTopics,
  kafkaServiceEnv,
  testInfra,
  testKafka,
  testLogger,
  waitFor,
} from '../support/harness.js';

/** A service's environment: its own role on the real PostgreSQL, in a fresh schema. */
function env(
  service: StoreService | undefined,
  extra: Record<string, string> = {},
  identity: ServiceIdentity | undefined = service,
) {
  return {
    ...(identity && identity !== 'auth'
      ? kafkaServiceEnv(identity)
      : { KAFKA_BROKERS: testInfra().kafkaBrokers.join(',') }),
    ...(service ? serviceStore(service) : {}),
    ...(identity ? grpcTlsEnv(identity) : {}),
    BIND_HOST: '127.0.0.1',
    OPS_PORT: '0',
    GRPC_PORT: '0',
    SECRET_KEYS: `k1:${randomBytes(32).toString('base64url')}`,
    SECRET_ACTIVE_KID: 'k1',
    SESSION_SIGNING_KEY: randomBytes(32).toString('base64url'),
    ...extra,
  };
}

/** The gRPC health of `server` at `address`, asked as ingress (health answers every Parley service). */
async function grpcHealth(address: string, server: ServiceIdentity, service: string): Promise<string> {
  const path = new URL(import.meta.resolve('grpc-health-check/proto/health/v1/health.proto')).pathname;
  const loaded = loadPackageDefinition(loadSync(path, { enums: String })) as unknown as {
    grpc: {
      health: {
        v1: {
          Health: new (
            address: string,
            creds: ReturnType<typeof credentials.createSsl>,
            options: Record<string, string>,
          ) => HealthClient;
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
  const { ca, key, cert } = grpcTlsOf('ingress');
  const client = new loaded.grpc.health.v1.Health(address, credentials.createSsl(ca, key, cert), {
    'grpc.ssl_target_name_override': server,
  });
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
  // /readyz as series (docs/operations.md, "Readiness metrics"), and the store's statement times.
  expect(metrics).toContain(`parley_ready{service="${service}",version="test"} 1`);
  for (const check of checks) {
    expect(metrics).toContain(
      `parley_readiness_check{check="${check}",service="${service}",version="test"} 1`,
    );
  }
  expect(metrics.includes('# TYPE parley_store_statement_duration_seconds histogram')).toBe(
    checks.includes('postgres'),
  );
}

/**
 * The schema a service migrated at start: its migrations table lists 0001_initial, and every table
 * of it is under forced row-level security (tenant isolation in the store itself).
 */
async function expectMigrated(schema: string, tables: string[], migrations = ['0001_initial']) {
  const applied = await rowsAtRest<{ name: string }>(`select name from ${schema}.pgmigrations order by id`);
  expect(applied.map((row) => row.name)).toEqual(migrations);
  const found = await rowsAtRest<{ relname: string; relrowsecurity: boolean; relforcerowsecurity: boolean }>(
    `select c.relname, c.relrowsecurity, c.relforcerowsecurity from pg_class c
       join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = $1 and c.relkind = 'r' and c.relname <> 'pgmigrations' order by c.relname`,
    [schema],
  );
  expect(found).toEqual(
    [...tables].sort().map((relname) => ({ relname, relrowsecurity: true, relforcerowsecurity: true })),
  );
}

/** What the migrations table holds, to show that a second start of the same schema applied nothing. */
const migrationRuns = (schema: string) =>
  rowsAtRest<{ name: string; run_on: Date }>(`select name, run_on from ${schema}.pgmigrations order by id`);

describe('the four services start on the real broker and store', () => {
  const logger = testLogger('services-test');

  it('auth: migrated store, gRPC health, ops endpoints; a second start migrates nothing; stops cleanly', async () => {
    const config = authConfig(env('auth'));
    const app = createAuth({ config, logger, version: 'test' });
    await app.start();
    try {
      await expectOpsEndpoints(app.opsUrl(), 'auth', ['postgres', 'grpc', 'refusal-audit']);
      expect(await grpcHealth(app.grpcAddress(), 'auth', '')).toBe('SERVING');
      await expectMigrated(
        config.DATABASE_SCHEMA,
        ['audit', 'channels', 'credentials', 'refresh_locks', 'refused_calls', 'sessions'],
        ['0001_initial', '0002_service-identity', '0003_session-idle-timeout'],
      );
      const runs = await migrationRuns(config.DATABASE_SCHEMA);
      const again = createAuth({ config, logger, version: 'test' });
      await again.start();
      await again.stop();
      expect(await migrationRuns(config.DATABASE_SCHEMA)).toEqual(runs);
    } finally {
      const opsUrl = app.opsUrl();
      await app.stop();
      await dropSchema(config.DATABASE_SCHEMA);
      await expect(fetch(`${opsUrl}/healthz`)).rejects.toThrow();
    }
  });

  it('history: migrated store, producer and gRPC health', async () => {
    const prefix = await freshTopics(testKafka(), [
      'chat.messages.enriched.v1',
      'chat.messages.outbound.v1',
      'chat.customers.updated.v1',
      'chat.deliveries.v1',
    ]);
    const config = historyConfig(env('history', { KAFKA_TOPIC_PREFIX: prefix }));
    const app = createHistory({ config, logger, version: 'test' });
    await app.start();
    try {
      await expectOpsEndpoints(app.opsUrl(), 'history', ['postgres', 'kafka-producer', 'grpc', 'consumer']);
      expect(await grpcHealth(app.grpcAddress(), 'history', '')).toBe('SERVING');
      await expectMigrated(config.DATABASE_SCHEMA, [
        'customer_agent_fields',
        'customers',
        'messages',
        'threads',
      ]);
    } finally {
      await app.stop();
      await dropSchema(config.DATABASE_SCHEMA);
    }
  });

  it('enrichment: producer, auth connection and both consumers, ops endpoints', async () => {
    const prefix = await freshTopics(testKafka(), [
      'chat.messages.received.v1',
      'chat.messages.enriched.v1',
      'chat.customers.updated.v1',
    ]);
    const authSettings = authConfig(env('auth'));
    const auth = createAuth({ config: authSettings, logger, version: 'test' });
    await auth.start();
    const app = createEnrichment({
      config: enrichmentConfig(
        env(undefined, { AUTH_GRPC_ADDRESS: auth.grpcAddress(), KAFKA_TOPIC_PREFIX: prefix }, 'enrichment'),
      ),
      logger,
      version: 'test',
    });
    await app.start();
    try {
      await expectOpsEndpoints(app.opsUrl(), 'enrichment', [
        'kafka-producer',
        'auth',
        'consumer',
        'changes-consumer',
      ]);
    } finally {
      await app.stop();
      await auth.stop();
      await dropSchema(authSettings.DATABASE_SCHEMA);
    }
  });

  it('ingress: migrated store, producer, auth connection and HTTP server, ops endpoints', async () => {
    const authSettings = authConfig(env('auth'));
    const auth = createAuth({ config: authSettings, logger, version: 'test' });
    await auth.start();
    const prefix = await freshTopics(testKafka(), [
      'chat.messages.received.v1',
      'chat.messages.enriched.v1',
      'chat.messages.outbound.v1',
      'chat.customers.updated.v1',
      'chat.deliveries.v1',
      'chat.sessions.ended.v1',
    ]);
    const historySettings = historyConfig(env('history', { KAFKA_TOPIC_PREFIX: prefix }));
    const history = createHistory({ config: historySettings, logger, version: 'test' });
    await history.start();
    const config = ingressConfig(
      env('ingress', {
        HTTP_PORT: '0',
        AUTH_GRPC_ADDRESS: auth.grpcAddress(),
        HISTORY_GRPC_ADDRESS: history.grpcAddress(),
        INTEGRATIONS_GRPC_ADDRESS: '127.0.0.1:9',
        KAFKA_TOPIC_PREFIX: prefix,
      }),
    );
    const app = createIngress({ config, logger, version: 'test' });
    await app.start();
    try {
      await expectOpsEndpoints(app.opsUrl(), 'ingress', [
        'postgres',
        'kafka-producer',
        'auth',
        'history',
        'integrations',
        'consumer',
        'session-ended-events',
        'http',
      ]);
      expect((await fetch(`${app.httpUrl()}/openapi.json`)).status).toBe(200);
      await expectMigrated(
        config.DATABASE_SCHEMA,
        ['api_keys'],
        ['0001_initial', '0002_api-key-expiry-and-revocation'],
      );
    } finally {
      await app.stop();
      await auth.stop();
      await history.stop();
      await Promise.all(
        [config, authSettings, historySettings].map((settings) => dropSchema(settings.DATABASE_SCHEMA)),
      );
    }
  });

  it('refuses to start on a schema older than it needs when it only verifies, naming the migration step', async () => {
    const config = ingressConfig(
      env('ingress', {
        HTTP_PORT: '0',
        AUTH_GRPC_ADDRESS: '127.0.0.1:1',
        HISTORY_GRPC_ADDRESS: '127.0.0.1:1',
        INTEGRATIONS_GRPC_ADDRESS: '127.0.0.1:9',
        DATABASE_MIGRATIONS: 'verify',
      }),
    );
    const app = createIngress({ config, logger, version: 'test' });
    try {
      await expect(app.start()).rejects.toMatchObject({
        code: 'invalid_config',
        message: expect.stringMatching(
          /lacks migration\(s\) 0001_initial.*`node services\/ingress\/dist\/migrate\.js`/,
        ),
      });
    } finally {
      await app.stop();
      await dropSchema(config.DATABASE_SCHEMA);
    }
  });

  it('fails to start, with dependency_unavailable, when the store is unreachable', async () => {
    const config = authConfig(env('auth', { DATABASE_URL: 'postgres://parley_auth@127.0.0.1:1/parley' }));
    const app = createAuth({ config, logger, version: 'test' });
    await expect(app.start()).rejects.toMatchObject({ code: 'dependency_unavailable' });
    await app.stop();
  });

  it('refuses a bad configuration naming every bad variable', () => {
    expect(() => historyConfig({ KAFKA_BROKERS: 'nope', OPS_PORT: '-1' })).toThrow(
      expect.objectContaining({
        code: 'invalid_config',
        message: expect.stringMatching(
          /KAFKA_BROKERS.*DATABASE_URL.*OPS_PORT|OPS_PORT.*KAFKA_BROKERS.*DATABASE_URL/,
        ),
      }),
    );
  });
});
