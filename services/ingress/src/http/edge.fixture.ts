import { createLogger } from '@parley/logger';
import { createInMemoryApiKeyRepository } from '../adapters/in-memory-api-key-repository.js';
import { createHttpApp, type HttpAppDeps } from './create-http-app.js';

/** A limiter that never refuses, for edge tests about something else. */
export const unlimited = { take: () => ({ allowed: true as const }) };

/**
 * The HTTP edge for unit tests: in-memory API keys, a silent logger, no limits, and no auth,
 * history, Kafka or integrations unless the test passes its own fakes (a port a test did not pass
 * throws when used). Excluded from the build (tsconfig.build.json).
 */
export function createTestEdge(overrides: Partial<HttpAppDeps> = {}) {
  const deps: HttpAppDeps = {
    auth: {} as never,
    history: {} as never,
    producer: {} as never,
    sendMessage: {} as never,
    connections: {} as never,
    sessionEnded: {} as never,
    integrations: {} as never,
    botStreams: {} as never,
    apiKeys: createInMemoryApiKeyRepository(),
    logger: createLogger({ service: 'ingress-test', version: 'test', level: 'silent' }),
    ipLimiter: unlimited,
    sessionLimiter: unlimited,
    apiKeyLimiter: unlimited,
    bodyLimitBytes: 16_384,
    trustedProxyHops: 0,
    ...overrides,
  };
  return { app: createHttpApp(deps), deps };
}
