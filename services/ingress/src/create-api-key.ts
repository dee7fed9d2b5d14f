import { parseArgs } from 'node:util';
import { identifiers } from '@parley/contracts';
import { createLogger } from '@parley/logger';
import { packageVersion } from '@parley/ops';
import { serviceStore } from '@parley/postgres';
import { createApiKeyRepository } from './adapters/api-key-repository.js';
import { ingressSchema } from './adapters/ingress-schema.js';
import { loadApiKeyCommandConfig } from './config.js';
import { type ApiKeyScope, apiKeyExpiry, newApiKey } from './domain/api-keys.js';

// `DATABASE_URL=… node services/ingress/dist/create-api-key.js --tenant acme --name crm-bot --scope bot [--scope admin] [--expires-at 2027-06-30T00:00:00Z]`
// Creates a tenant API key and prints it once; only its hash is stored. It expires at --expires-at,
// at most API_KEY_MAX_LIFETIME_DAYS (365) away, which is also its expiry without one (docs/api.md, "API keys").
const scopes = new Set<ApiKeyScope>(['admin', 'bot', 'agent']);
const { values } = parseArgs({
  options: {
    tenant: { type: 'string' },
    name: { type: 'string' },
    scope: { type: 'string', multiple: true },
    'expires-at': { type: 'string' },
  },
});
const requested = (values.scope ?? []) as ApiKeyScope[];
if (
  !values.tenant ||
  !identifiers.tenantId.safeParse(values.tenant).success ||
  !values.name ||
  requested.length === 0 ||
  requested.some((scope) => !scopes.has(scope))
) {
  console.error(
    'create-api-key: --tenant <id> --name <label> --scope admin|bot|agent (repeatable) are required; --expires-at <ISO 8601 time> is optional',
  );
  process.exit(2);
}
let config: ReturnType<typeof loadApiKeyCommandConfig>;
try {
  config = loadApiKeyCommandConfig();
} catch (error) {
  console.error(`create-api-key: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(2);
}
const now = new Date();
let expiresAt: Date;
try {
  const requestedExpiry = values['expires-at'] === undefined ? undefined : new Date(values['expires-at']);
  expiresAt = apiKeyExpiry(now, requestedExpiry, config.API_KEY_MAX_LIFETIME_DAYS);
} catch (error) {
  console.error(`create-api-key: --expires-at: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(2);
}
// Logs go to stderr: stdout carries only the key.
const logger = createLogger({
  service: 'ingress-create-api-key',
  version: packageVersion(import.meta.url),
  level: config.LOG_LEVEL,
  destination: process.stderr,
});
const store = serviceStore({ ...config, DATABASE_POOL_MAX: 1 }, ingressSchema, logger);
try {
  await store.start();
  const { key, token } = newApiKey(values.tenant, values.name, requested, now, { expiresAt });
  await createApiKeyRepository(() => store.database()).create(key);
  process.stdout.write(`${token}\n`);
} catch (error) {
  console.error(`create-api-key: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
} finally {
  await store.stop();
}
