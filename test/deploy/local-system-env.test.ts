import { describe, expect, it } from 'vitest';
import { serviceEnv, services } from '../../scripts/system.mjs';

// `npm run up` (scripts/up.mjs) starts the services with scripts/system.mjs's serviceEnv: the
// demo brand's loopback host is allowed on top of what the user set, never instead of it.
const options = (env: NodeJS.ProcessEnv) => ({
  host: '127.0.0.1',
  offset: 0,
  env,
  secrets: { SECRET_KEYS: 'k', SECRET_ACTIVE_KID: 'dev1', SESSION_SIGNING_KEY: 's' },
  database: { adminUrl: 'postgres://parley@127.0.0.1:5432/postgres' },
  grpcTls: {
    ca: 'ca.pem',
    services: Object.fromEntries(
      services.map((s) => [s.name, { cert: `${s.name}.pem`, key: `${s.name}.key` }]),
    ),
  },
});
const auth = services.find((service) => service.name === 'auth');
const integrations = services.find((service) => service.name === 'integrations');

describe('the local system keeps the allow-lists the user set', () => {
  it("adds the demo brand's host to the user's BRAND_HOST_ALLOW_LIST", () => {
    const env = serviceEnv(
      auth as never,
      options({ BRAND_HOST_ALLOW_LIST: 'localhost:8180, id.dev.example' }) as never,
    );
    expect(env.BRAND_HOST_ALLOW_LIST).toBe('localhost:8180,id.dev.example,127.0.0.1');
  });

  it('allows only the demo host when the user set none', () => {
    expect(serviceEnv(auth as never, options({}) as never).BRAND_HOST_ALLOW_LIST).toBe('127.0.0.1');
    expect(
      serviceEnv(auth as never, options({ BRAND_HOST_ALLOW_LIST: ' ' }) as never).BRAND_HOST_ALLOW_LIST,
    ).toBe('127.0.0.1');
  });

  it("adds the demo bot's host to the user's WEBHOOK_HOST_ALLOW_LIST too", () => {
    const env = serviceEnv(
      integrations as never,
      options({ WEBHOOK_HOST_ALLOW_LIST: 'localhost:9999' }) as never,
    );
    expect(env.WEBHOOK_HOST_ALLOW_LIST).toBe('localhost:9999,127.0.0.1');
  });
});
