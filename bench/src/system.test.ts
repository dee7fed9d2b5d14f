import { describe, expect, it } from 'vitest';
import * as infra from '../../scripts/infra/index.mjs';
import * as system from '../../scripts/system.mjs';
import { type InfraModule, loadSystemModule, type SystemModule } from './system.js';

// Compile-time: the scripts satisfy the types the benchmark loads them with (root tsc checks this).
const systemModule: SystemModule = system;
const infraModule: InfraModule = infra;

describe('the shared scripts the benchmark starts the system with', () => {
  it('load at run time with what the benchmark uses', async () => {
    const loaded = await loadSystemModule();
    expect(loaded.servicePorts).toEqual(systemModule.servicePorts);
    expect(loaded.servicePorts).toEqual(expect.arrayContaining([8080, 9400, 9401, 9402, 9403, 50051, 50052]));
    expect(typeof infraModule.ensureInfrastructure).toBe('function');
  });

  it('make fresh service keys in the form the services read', () => {
    const secrets = system.newServiceSecrets('bench');
    expect(secrets.SECRET_ACTIVE_KID).toBe('bench');
    expect(secrets.SECRET_KEYS).toMatch(/^bench:[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(secrets.SESSION_SIGNING_KEY, 'base64url')).toHaveLength(32);
  });

  it('give each service its ports, the addresses it calls and its own extra environment', () => {
    const env = system.serviceEnv(
      { name: 'ingress', ops: 9400, http: 8080 },
      {
        host: '127.0.0.1',
        offset: 100,
        env: { LOG_LEVEL: 'warn', OPS_PORT: '1' },
        secrets: system.newServiceSecrets(),
        extraEnv: { ingress: { MONGO_DATABASE: 'x' } },
      },
    );
    expect(env).toMatchObject({
      LOG_LEVEL: 'warn',
      OPS_PORT: '9500',
      HTTP_PORT: '8180',
      AUTH_GRPC_ADDRESS: '127.0.0.1:50151',
      HISTORY_GRPC_ADDRESS: '127.0.0.1:50152',
      BRAND_HOST_ALLOW_LIST: '127.0.0.1',
      MONGO_DATABASE: 'x',
    });
  });
});
