#!/usr/bin/env node
// @ts-check
// npm run up — the whole system on this machine (after scripts/ensure-deps.mjs): starts Kafka and the
// store (or uses KAFKA_BROKERS / DATABASE_URL), builds, creates the topics, starts the demo brand, the
// four services, the demo bot and the demo chat page, seeds the demo channel, prints where they
// listen, and stops everything it started on Ctrl-C.
//
// Environment: PARLEY_UP_PORT_OFFSET shifts every service port (to run two systems side by side);
// LOG_LEVEL and LOG_PRETTY pass through to the services; the infrastructure variables are those of
// scripts/infra (README).
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensureInfrastructure, InfraError } from './infra/index.mjs';
import { parleyDatabase } from './infra/postgres.mjs';
import {
  createApiKey,
  createProcessGroup,
  demoPorts,
  ensureServiceTopics,
  newServiceSecrets,
  repositoryRoot as root,
  SystemError,
  serviceAddresses,
  serviceStoreEnv,
  services,
  startServices,
  systemKafkaEnv,
  waitUntilReady,
} from './system.mjs';

const offset = Number(process.env.PARLEY_UP_PORT_OFFSET ?? 0);
if (!Number.isInteger(offset) || offset < 0 || offset > 15000) {
  console.error(
    `up: PARLEY_UP_PORT_OFFSET must be a whole number from 0 to 15000, got "${process.env.PARLEY_UP_PORT_OFFSET}"`,
  );
  process.exit(2);
}

/** An error of this script whose message is enough for a person (no stack). */
class UpError extends Error {}

/** @param {string} what @param {string} command @param {string[]} args */
function run(what, command, args) {
  console.log(`[up] ${what}`);
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) throw new UpError(`${what} failed (${command} ${args.join(' ')})`);
}

/**
 * Keys for local runs only, made once per clone and kept in the git-ignored cache so that stored
 * secrets and sessions survive restarts. Production keys come from Kubernetes Secrets.
 * @returns {import('./system.mjs').ServiceSecrets & { DEMO_CLIENT_SECRET: string }}
 */
function devSecrets() {
  const file = join(root, '.cache', 'dev-secrets.json');
  if (existsSync(file)) {
    const stored = JSON.parse(readFileSync(file, 'utf8'));
    // Files from before the demo brand lack its client secret: add one.
    if (stored.DEMO_CLIENT_SECRET) return stored;
    const secrets = { ...stored, DEMO_CLIENT_SECRET: randomBytes(24).toString('base64url') };
    writeFileSync(file, `${JSON.stringify(secrets, null, 2)}\n`, { mode: 0o600 });
    return secrets;
  }
  const secrets = { ...newServiceSecrets('dev1'), DEMO_CLIENT_SECRET: randomBytes(24).toString('base64url') };
  mkdirSync(join(root, '.cache'), { recursive: true });
  writeFileSync(file, `${JSON.stringify(secrets, null, 2)}\n`, { mode: 0o600 });
  return secrets;
}

/** @type {ReturnType<typeof ensureInfrastructure> | undefined} */
let starting;
/** @type {Awaited<ReturnType<typeof ensureInfrastructure>> | undefined} */
let infra;
let stopping = false;
// If a program dies while the system is up, everything stops.
const group = createProcessGroup({
  onUnexpectedExit: (name, description) => {
    if (stopping) return;
    console.error(`up: ${name} exited (${description}); stopping everything`);
    void shutdown(1);
  },
});

async function shutdown(code = 0) {
  if (stopping) return;
  stopping = true;
  console.log('\n[up] stopping services');
  await group.stop();
  // Ctrl-C while the infrastructure is still starting: let it finish, then stop what it started.
  infra ??= await starting?.catch(() => undefined);
  if (infra && (infra.kafka.started || infra.postgres.started)) {
    console.log('[up] stopping infrastructure started by this run');
    await infra.stop();
  }
  console.log('[up] stopped');
  process.exit(code);
}
process.on('SIGINT', () => void shutdown(0));
process.on('SIGTERM', () => void shutdown(0));

/**
 * A tenant API key of the demo tenant, made with ingress's own command (printed once, stored hashed).
 * @param {NodeJS.ProcessEnv} env @param {string} name @param {'admin' | 'bot'} scope
 */
const demoApiKey = (env, name, scope) => createApiKey(env, { tenant: 'demo', name, scope });

try {
  starting = ensureInfrastructure();
  infra = await starting;
  if (stopping) await new Promise(() => {}); // shutdown() is under way and exits
  console.log(infra.describe());
  run('building (turbo run build)', 'npx', ['turbo', 'run', 'build', '--output-logs=errors-only']);

  const prefix = process.env.KAFKA_TOPIC_PREFIX ?? '';
  const topics = await ensureServiceTopics({
    brokers: infra.kafka.brokers,
    sasl: infra.kafka.sasl,
    prefix,
    clientId: 'parley-up',
  });
  console.log(`[up] topics ready: ${topics.join(', ')} (+ .dlq each)`);

  const secrets = devSecrets();
  // Each service in its own schema with its own role; PARLEY_SCHEMA_PREFIX runs a second system
  // beside this one in the same database (the tests do).
  const database = {
    adminUrl: infra.postgres.url,
    schemaPrefix: process.env.PARLEY_SCHEMA_PREFIX || undefined,
  };
  const host = '127.0.0.1';
  const ports = {
    brand: demoPorts.brand + offset,
    web: demoPorts.web + offset,
  };
  const webOrigin = `http://${host}:${ports.web}`;
  const brandIssuer = `http://${host}:${ports.brand}`;
  const common = {
    ...process.env,
    ...systemKafkaEnv(infra.kafka),
    KAFKA_TOPIC_PREFIX: prefix,
    BIND_HOST: host,
    LOG_PRETTY: process.env.LOG_PRETTY ?? String(Boolean(process.stdout.isTTY)),
  };

  // The demo brand first: the services call it, and the demo channel points at it.
  group.start('brand', 'demo/brand/dist/main.js', {
    ...common,
    DEMO_BRAND_PORT: String(ports.brand),
    DEMO_BRAND_HOST: host,
    DEMO_CLIENT_ID: 'parley-demo',
    DEMO_CLIENT_SECRET: secrets.DEMO_CLIENT_SECRET,
    DEMO_REDIRECT_URIS: `${webOrigin}/callback`,
  });
  await waitUntilReady('demo brand', `${brandIssuer}/.well-known/openid-configuration`, { group });

  // The demo brand runs on loopback over http: startServices adds host to the BRAND_HOST_ALLOW_LIST
  // the user set (README, "Quick start").
  await startServices(group, {
    host,
    offset,
    env: common,
    secrets,
    database,
    grpcTls: infra.grpcTls,
    extraEnv: { ingress: { CORS_ALLOWED_ORIGINS: webOrigin } },
  });

  // The demo tenant: an admin key stores the channel (as a brand admin would), a bot key for the bot.
  const { ingressUrl } = serviceAddresses(host, offset);
  const ingressStore = { ...common, ...serviceStoreEnv(database, 'ingress') };
  const adminKey = demoApiKey(ingressStore, 'demo-admin', 'admin');
  const channel = await fetch(`${ingressUrl}/v1/admin/channels/web`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      issuer: brandIssuer,
      client: { clientId: 'parley-demo', clientSecret: secrets.DEMO_CLIENT_SECRET },
      redirectUris: [`${webOrigin}/callback`],
      customerDataUrl: `${brandIssuer}/me`,
      mapping: { customFields: { tier: '$.tier', openCase: '$.open_case' } },
    }),
  });
  if (!channel.ok)
    throw new UpError(`could not store the demo channel: ${channel.status} ${await channel.text()}`);
  console.log('[up] demo channel "web" of tenant "demo" points at the demo brand');

  // The bot is a tenant's program: it gets the public API and its key, nothing of Kafka or the store.
  const outside = Object.fromEntries(
    Object.entries(common).filter(([name]) => !/^(KAFKA|DATABASE|GRPC|PARLEY_SCHEMA)_/.test(name)),
  );
  group.start('bot', 'demo/bot/dist/main.js', {
    ...outside,
    PARLEY_INGRESS_URL: ingressUrl,
    DEMO_BOT_API_KEY: demoApiKey(ingressStore, 'demo-bot', 'bot'),
    DEMO_CUSTOMER_DATA_URL: `${brandIssuer}/me`,
  });
  group.start('web', 'demo/web/dist/main.js', {
    ...common,
    DEMO_WEB_PORT: String(ports.web),
    PARLEY_INGRESS_URL: ingressUrl,
    DEMO_TENANT: 'demo',
    DEMO_CHANNEL: 'web',
    DEMO_BRAND_ISSUER: brandIssuer,
    DEMO_BRAND_CRM_URL: `${brandIssuer}/crm`,
    DEMO_CLIENT_ID: 'parley-demo',
  });
  await waitUntilReady('demo page', `${webOrigin}/healthz`, { group });

  const rows = services.map((service) => {
    const grpc = service.grpc ? `  gRPC ${host}:${service.grpc + offset}` : '';
    const api = service.http ? `  API ${ingressUrl} (OpenAPI at /openapi.json)` : '';
    return `  ${service.name.padEnd(11)} http://${host}:${service.ops + offset}/{healthz,readyz,metrics}${grpc}${api}`;
  });
  console.log(
    [
      '',
      'Parley is up:',
      ...rows,
      `  Kafka       ${infra.kafka.brokers}`,
      `  PostgreSQL  ${infra.postgres.url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@')} (database ${parleyDatabase}; schemas ${services
        .filter((service) => service.store)
        .map((service) => `${database.schemaPrefix ?? ''}${service.store}`)
        .join(', ')})`,
      '',
      'Demo:',
      `  chat page   ${webOrigin}   <- open this (sign in as ada, grace or alan; password "demo")`,
      `  brand CRM   ${brandIssuer}/crm   (change a tier, revoke a customer's access)`,
      `  demo bot    replies to every message using the customer's tier and open case (bot event stream)`,
      '',
      'Press Ctrl-C to stop everything.',
      '',
    ].join('\n'),
  );
} catch (error) {
  console.error(
    error instanceof InfraError || error instanceof UpError || error instanceof SystemError
      ? `up: ${error.message}`
      : error,
  );
  await shutdown(1);
}
