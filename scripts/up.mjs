#!/usr/bin/env node
// @ts-check
// npm run up — the whole system on this machine (after scripts/ensure-deps.mjs): starts Kafka and the
// store (or uses KAFKA_BROKERS / MONGO_URL), builds, creates the topics, starts the four services,
// prints where they listen, and stops everything it started on Ctrl-C.
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
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8'));
  const secrets = {
    SECRET_KEYS: `dev1:${randomBytes(32).toString('base64url')}`,
    SECRET_ACTIVE_KID: 'dev1',
    SESSION_SIGNING_KEY: randomBytes(32).toString('base64url'),
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
  for (const service of services) {
    const env = {
      ...secrets,
      ...process.env,
      KAFKA_BROKERS: infra.kafka.brokers,
      MONGO_URL: infra.mongo.url,
      KAFKA_TOPIC_PREFIX: prefix,
      BIND_HOST: '127.0.0.1',
      OPS_PORT: String(service.ops + offset),
      LOG_PRETTY: process.env.LOG_PRETTY ?? String(Boolean(process.stdout.isTTY)),
      ...(service.grpc ? { GRPC_PORT: String(service.grpc + offset) } : {}),
      ...(service.needsAuth ? { AUTH_GRPC_ADDRESS: `127.0.0.1:${50051 + offset}` } : {}),
      ...(service.http
        ? {
            HTTP_PORT: String(service.http + offset),
            AUTH_GRPC_ADDRESS: `127.0.0.1:${50051 + offset}`,
            HISTORY_GRPC_ADDRESS: `127.0.0.1:${50052 + offset}`,
          }
        : {}),
    };
    const child = spawn(process.execPath, [join(root, 'services', service.name, 'dist/main.js')], {
      cwd: root,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.set(service.name, child);
    for (const stream of [child.stdout, child.stderr]) {
      createInterface({ input: stream }).on('line', (line) => console.log(`[${service.name}] ${line}`));
    }
    child.once('exit', (code, signal) => {
      if (!stopping) {
        console.error(`up: ${service.name} exited (${signal ?? `code ${code}`}); stopping everything`);
        void shutdown(1);
      }
    });
  }

  for (const service of services) {
    const url = `http://127.0.0.1:${service.ops + offset}/readyz`;
    const deadline = Date.now() + 60_000;
    while (
      !(await fetch(url)
        .then((response) => response.ok)
        .catch(() => false))
    ) {
      if (Date.now() > deadline) throw new UpError(`${service.name} was not ready after 60s (${url})`);
      await sleep(200);
    }
  }

  const rows = services.map((service) => {
    const grpc = service.grpc ? `  gRPC 127.0.0.1:${service.grpc + offset}` : '';
    const api = service.http
      ? `  API http://127.0.0.1:${service.http + offset} (OpenAPI at /openapi.json)`
      : '';
    return `  ${service.name.padEnd(11)} http://127.0.0.1:${service.ops + offset}/{healthz,readyz,metrics}${grpc}${api}`;
  });
  console.log(
    [
      '',
      'Parley is up:',
      ...rows,
      `  Kafka       ${infra.kafka.brokers}`,
      `  store       ${infra.mongo.url}`,
      '',
      'Press Ctrl-C to stop everything.',
      '',
    ].join('\n'),
  );
} catch (error) {
  console.error(error instanceof InfraError || error instanceof UpError ? `up: ${error.message}` : error);
  await shutdown(1);
}
