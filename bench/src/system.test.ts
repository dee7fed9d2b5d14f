import { describe, expect, it } from 'vitest';
import { devCertificatePaths } from '../../scripts/infra/certs.mjs';
import * as infra from '../../scripts/infra/index.mjs';
import * as postgres from '../../scripts/infra/postgres.mjs';
import * as system from '../../scripts/system.mjs';
import { type InfraModule, loadSystemModule, type PostgresModule, type SystemModule } from './system.js';

// Compile-time: the scripts satisfy the types the benchmark loads them with (root tsc checks this).
const systemModule: SystemModule = system;
const infraModule: InfraModule = infra;
const postgresModule: PostgresModule = postgres;

describe('the shared scripts the benchmark starts the system with', () => {
  it('load at run time with what the benchmark uses', async () => {
    const loaded = await loadSystemModule();
    expect(loaded.servicePorts).toEqual(systemModule.servicePorts);
    expect(loaded.servicePorts).toEqual(expect.arrayContaining([8080, 9400, 9401, 9402, 9403, 50051, 50052]));
    expect(typeof infraModule.ensureInfrastructure).toBe('function');
    expect(Object.keys(postgresModule.serviceRoles).sort()).toEqual([
      'auth',
      'history',
      'ingress',
      'integrations',
    ]);
  });

  it('give each ingress pod ports of its own, clear of every service port', () => {
    const pods = system.ingressPodPorts(8);
    expect(pods[0]).toEqual({ http: 8080, ops: 9400 });
    const extra = pods.slice(1).flatMap((ports) => [ports.http, ports.ops]);
    expect(new Set([...system.servicePorts, ...extra]).size).toBe(system.servicePorts.length + extra.length);
  });

  it('make fresh service keys in the form the services read', () => {
    const secrets = system.newServiceSecrets('bench');
    expect(secrets.SECRET_ACTIVE_KID).toBe('bench');
    expect(secrets.SECRET_KEYS).toMatch(/^bench:[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(secrets.SESSION_SIGNING_KEY, 'base64url')).toHaveLength(32);
  });

  it('give each service its ports, the addresses it calls, its own schema and its own extra environment', () => {
    const env = system.serviceEnv(
      { name: 'ingress', ops: 9400, http: 8080, store: 'ingress' },
      {
        host: '127.0.0.1',
        offset: 100,
        env: { LOG_LEVEL: 'warn', OPS_PORT: '1' },
        secrets: system.newServiceSecrets(),
        database: { adminUrl: 'postgres://admin@127.0.0.1:25432/postgres', schemaPrefix: 'bench_ab12_' },
        grpcTls: devCertificatePaths('/certs'),
        extraEnv: { ingress: { INSTANCE_ID: 'x' } },
      },
    );
    expect(env).toMatchObject({
      LOG_LEVEL: 'warn',
      OPS_PORT: '9500',
      HTTP_PORT: '8180',
      AUTH_GRPC_ADDRESS: '127.0.0.1:50151',
      HISTORY_GRPC_ADDRESS: '127.0.0.1:50152',
      BRAND_HOST_ALLOW_LIST: '127.0.0.1',
      DATABASE_SCHEMA: 'bench_ab12_ingress',
      INSTANCE_ID: 'x',
      GRPC_TLS_CA_FILE: '/certs/ca.crt',
      GRPC_TLS_CERT_FILE: '/certs/ingress.crt',
      GRPC_TLS_KEY_FILE: '/certs/ingress.key',
    });
    expect(new URL(env.DATABASE_URL ?? '')).toMatchObject({
      username: postgres.serviceRoles.ingress,
      pathname: `/${postgres.parleyDatabase}`,
    });
  });
});
