import { parseArgs } from 'node:util';
import { connectMongo } from '@parley/mongo';
import { createApiKeyRepository } from './adapters/api-key-repository.js';
import { loadStoreConfig } from './config.js';
import { type ApiKeyScope, newApiKey } from './domain/api-keys.js';

// `MONGO_URL=… node services/ingress/dist/create-api-key.js --tenant acme --name crm-bot --scope bot [--scope admin]`
// Creates a tenant API key and prints it once; only its hash is stored.
const scopes = new Set<ApiKeyScope>(['admin', 'bot', 'agent']);
const { values } = parseArgs({
  options: {
    tenant: { type: 'string' },
    name: { type: 'string' },
    scope: { type: 'string', multiple: true },
  },
});
const requested = (values.scope ?? []) as ApiKeyScope[];
if (
  !values.tenant ||
  !/^[A-Za-z0-9._-]{1,64}$/.test(values.tenant) ||
  !values.name ||
  requested.length === 0 ||
  requested.some((scope) => !scopes.has(scope))
) {
  console.error(
    'create-api-key: --tenant <id> --name <label> --scope admin|bot|agent (repeatable) are required',
  );
  process.exit(2);
}
const config = loadStoreConfig();
const client = await connectMongo({ url: config.MONGO_URL, appName: 'parley-ingress-cli' });
try {
  const { key, token } = newApiKey(values.tenant, values.name, requested, new Date());
  await createApiKeyRepository(() => client.db(config.MONGO_DATABASE)).create(key);
  process.stdout.write(`${token}\n`);
} finally {
  await client.close();
}
