#!/usr/bin/env node
// @ts-check
// npm run up — the whole system on this machine (after scripts/ensure-deps.mjs): starts Kafka and the
// store (or uses KAFKA_BROKERS / MONGO_URL), builds, creates the topics, starts the demo brand, the
// four services, the demo bot and the demo chat page, seeds the demo channel, prints where they
// listen, and stops everything it started on Ctrl-C.
//
// Environment: PARLEY_UP_PORT_OFFSET shifts every service port (to run two systems side by side);
// LOG_LEVEL and LOG_PRETTY pass through to the services; the infrastructure variables are those of
// scripts/infra (README).
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { ensureInfrastructure, InfraError } from './infra/index.mjs';

const root = fileURLToPath(new URL('../', import.meta.url));
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
 * @returns {Record<string, string>}
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
  const secrets = {
    SECRET_KEYS: `dev1:${randomBytes(32).toString('base64url')}`,
    SECRET_ACTIVE_KID: 'dev1',
    SESSION_SIGNING_KEY: randomBytes(32).toString('base64url'),
    DEMO_CLIENT_SECRET: randomBytes(24).toString('base64url'),
  };
  mkdirSync(join(root, '.cache'), { recursive: true });
  writeFileSync(file, `${JSON.stringify(secrets, null, 2)}\n`, { mode: 0o600 });
  return secrets;
}

/** @type {{ name: string, ops: number, grpc?: number, http?: number, needsAuth?: boolean }[]} */
const services = [
  { name: 'auth', ops: 9401, grpc: 50051 },
  { name: 'history', ops: 9403, grpc: 50052 },
  { name: 'enrichment', ops: 9402, needsAuth: true },
  { name: 'ingress', ops: 9400, http: 8080 },
];

/** @type {ReturnType<typeof ensureInfrastructure> | undefined} */
let starting;
/** @type {Awaited<ReturnType<typeof ensureInfrastructure>> | undefined} */
let infra;
/** @type {Map<string, import('node:child_process').ChildProcess>} */
const children = new Map();
let stopping = false;

async function shutdown(code = 0) {
  if (stopping) return;
  stopping = true;
  console.log('\n[up] stopping services');
  for (const child of children.values()) child.kill('SIGTERM');
  const deadline = Date.now() + 30_000;
  while (
    [...children.values()].some((child) => child.exitCode === null && child.signalCode === null) &&
    Date.now() < deadline
  )
    await sleep(100);
  for (const child of children.values())
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  // Ctrl-C while the infrastructure is still starting: let it finish, then stop what it started.
  infra ??= await starting?.catch(() => undefined);
  if (infra && (infra.kafka.started || infra.mongo.started)) {
    console.log('[up] stopping infrastructure started by this run');
    await infra.stop();
  }
  console.log('[up] stopped');
  process.exit(code);
}
process.on('SIGINT', () => void shutdown(0));
process.on('SIGTERM', () => void shutdown(0));

/**
 * Starts a built program of this repository with its output prefixed by its name; if it dies
 * while the system is up, everything stops.
 * @param {string} name @param {string} script @param {NodeJS.ProcessEnv} env
 */
function startChild(name, script, env) {
  const child = spawn(process.execPath, [join(root, script)], {
    cwd: root,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.set(name, child);
  for (const stream of [child.stdout, child.stderr]) {
    createInterface({ input: stream }).on('line', (line) => console.log(`[${name}] ${line}`));
  }
  child.once('exit', (code, signal) => {
    if (!stopping) {
      console.error(`up: ${name} exited (${signal ?? `code ${code}`}); stopping everything`);
      void shutdown(1);
    }
  });
}

/** @param {string} name @param {string} url */
async function waitUntilReady(name, url) {
  const deadline = Date.now() + 60_000;
  while (
    !(await fetch(url)
      .then((response) => response.ok)
      .catch(() => false))
  ) {
    if (stopping) await new Promise(() => {});
    if (Date.now() > deadline) throw new UpError(`${name} was not ready after 60s (${url})`);
    await sleep(200);
  }
}

/**
 * A tenant API key of the demo tenant, made with ingress's own command (printed once, stored hashed).
 * @param {NodeJS.ProcessEnv} env @param {string} name @param {string} scope
 */
function createApiKey(env, name, scope) {
  const result = spawnSync(
    process.execPath,
    [
      join(root, 'services/ingress/dist/create-api-key.js'),
      '--tenant',
      'demo',
      '--name',
      name,
      '--scope',
      scope,
    ],
    { cwd: root, env, encoding: 'utf8' },
  );
  if (result.status !== 0) throw new UpError(`could not create the ${name} API key: ${result.stderr.trim()}`);
  return result.stdout.trim();
}

try {
  starting = ensureInfrastructure();
  infra = await starting;
  if (stopping) await new Promise(() => {}); // shutdown() is under way and exits
  console.log(infra.describe());
  run('building (turbo run build)', 'npx', ['turbo', 'run', 'build', '--output-logs=errors-only']);

  const { createKafkaClient, ensureTopics } = await import('@parley/bus');
  const { topicNames } = await import('@parley/contracts');
  const { createLogger } = await import('@parley/logger');
  const prefix = process.env.KAFKA_TOPIC_PREFIX ?? '';
  const kafka = createKafkaClient({
    brokers: infra.kafka.brokers.split(','),
    clientId: 'parley-up',
    logger: createLogger({ service: 'up', version: '0', level: 'warn' }),
  });
  await ensureTopics({ kafka, topics: topicNames.map((topic) => `${prefix}${topic}`) });
  console.log(
    `[up] topics ready: ${topicNames.map((topic) => `${prefix}${topic}`).join(', ')} (+ .dlq each)`,
  );

  const secrets = devSecrets();
  const host = '127.0.0.1';
  const ports = {
    ingress: 8080 + offset,
    brand: 4000 + offset,
    web: 8088 + offset,
  };
  const webOrigin = `http://${host}:${ports.web}`;
  const brandIssuer = `http://${host}:${ports.brand}`;
  const common = {
    ...process.env,
    KAFKA_BROKERS: infra.kafka.brokers,
    MONGO_URL: infra.mongo.url,
    KAFKA_TOPIC_PREFIX: prefix,
    BIND_HOST: host,
    LOG_PRETTY: process.env.LOG_PRETTY ?? String(Boolean(process.stdout.isTTY)),
  };

  // The demo brand first: the services call it, and the demo channel points at it.
  startChild('brand', 'demo/brand/dist/main.js', {
    ...common,
    DEMO_BRAND_PORT: String(ports.brand),
    DEMO_BRAND_HOST: host,
    DEMO_CLIENT_ID: 'parley-demo',
    DEMO_CLIENT_SECRET: secrets.DEMO_CLIENT_SECRET,
    DEMO_REDIRECT_URIS: `${webOrigin}/callback`,
  });
  await waitUntilReady('demo brand', `${brandIssuer}/.well-known/openid-configuration`);

  for (const service of services) {
    startChild(service.name, `services/${service.name}/dist/main.js`, {
      SECRET_KEYS: secrets.SECRET_KEYS,
      SECRET_ACTIVE_KID: secrets.SECRET_ACTIVE_KID,
      SESSION_SIGNING_KEY: secrets.SESSION_SIGNING_KEY,
      ...common,
      OPS_PORT: String(service.ops + offset),
      // The demo brand runs on loopback over http: allowed for it only.
      BRAND_HOST_ALLOW_LIST: host,
      ...(service.grpc ? { GRPC_PORT: String(service.grpc + offset) } : {}),
      ...(service.needsAuth ? { AUTH_GRPC_ADDRESS: `${host}:${50051 + offset}` } : {}),
      ...(service.http
        ? {
            HTTP_PORT: String(service.http + offset),
            AUTH_GRPC_ADDRESS: `${host}:${50051 + offset}`,
            HISTORY_GRPC_ADDRESS: `${host}:${50052 + offset}`,
            CORS_ALLOWED_ORIGINS: webOrigin,
          }
        : {}),
    });
  }
  for (const service of services) {
    await waitUntilReady(service.name, `http://${host}:${service.ops + offset}/readyz`);
  }

  // The demo tenant: an admin key stores the channel (as a brand admin would), a bot key for the bot.
  const ingressUrl = `http://${host}:${ports.ingress}`;
  const adminKey = createApiKey(common, 'demo-admin', 'admin');
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

  startChild('bot', 'demo/bot/dist/main.js', {
    ...common,
    PARLEY_INGRESS_URL: ingressUrl,
    DEMO_BOT_API_KEY: createApiKey(common, 'demo-bot', 'bot'),
    DEMO_CUSTOMER_DATA_URL: `${brandIssuer}/me`,
  });
  startChild('web', 'demo/web/dist/main.js', {
    ...common,
    DEMO_WEB_PORT: String(ports.web),
    PARLEY_INGRESS_URL: ingressUrl,
    DEMO_TENANT: 'demo',
    DEMO_CHANNEL: 'web',
    DEMO_BRAND_ISSUER: brandIssuer,
    DEMO_BRAND_CRM_URL: `${brandIssuer}/crm`,
    DEMO_CLIENT_ID: 'parley-demo',
  });
  await waitUntilReady('demo page', `${webOrigin}/healthz`);

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
      `  store       ${infra.mongo.url}`,
      '',
      'Demo:',
      `  chat page   ${webOrigin}   <- open this (sign in as ada, grace or alan; password "demo")`,
      `  brand CRM   ${brandIssuer}/crm   (change a tier, revoke a customer's access)`,
      `  demo bot    replies to every message using the customer's tier and open case`,
      '',
      'Press Ctrl-C to stop everything.',
      '',
    ].join('\n'),
  );
} catch (error) {
  console.error(error instanceof InfraError || error instanceof UpError ? `up: ${error.message}` : error);
  await shutdown(1);
}
