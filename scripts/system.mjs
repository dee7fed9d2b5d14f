// @ts-check
// The Parley services as child processes on this machine, shared by `npm run up` (the demo
// system) and `npm run bench` (the benchmark): their ports, their environment, starting them with
// prefixed output, waiting until they are ready, tenant API keys, the topics, and stopping them all.
// Both callers build first (turbo), so this module runs the services' `dist/main.js`.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { kafkaServices, serviceKafkaCredentials } from './infra/kafka-security.mjs';
import { serviceDatabaseUrl } from './infra/postgres.mjs';

/** The repository's root directory (where `services/` and `node_modules/` are). */
export const repositoryRoot = fileURLToPath(new URL('../', import.meta.url));

/** An error of starting the system whose message is enough for a person (no stack). */
export class SystemError extends Error {}

/**
 * @typedef {'auth' | 'history' | 'integrations' | 'enrichment' | 'ingress'} ServiceName
 * @typedef {{ name: ServiceName, ops: number, grpc?: number, http?: number, needsAuth?: boolean, store?: 'auth' | 'history' | 'ingress' | 'integrations' }} ServiceDefinition
 * @typedef {{ SECRET_KEYS: string, SECRET_ACTIVE_KID: string, SESSION_SIGNING_KEY: string }} ServiceSecrets
 * @typedef {import('node:child_process').ChildProcess} ChildProcess
 */

/**
 * The services in start order (auth, history and integrations serve gRPC to the others), with their ports
 * before an offset is added.
 * @type {readonly ServiceDefinition[]}
 */
export const services = [
  { name: 'auth', ops: 9401, grpc: 50051, store: 'auth' },
  { name: 'history', ops: 9403, grpc: 50052, store: 'history' },
  { name: 'integrations', ops: 9404, grpc: 50053, store: 'integrations' },
  { name: 'enrichment', ops: 9402, needsAuth: true },
  { name: 'ingress', ops: 9400, http: 8080, store: 'ingress' },
];

/** Every port the services listen on before an offset: a free offset leaves all of these free. */
export const servicePorts = services.flatMap((service) =>
  [service.ops, service.grpc, service.http].filter((port) => port !== undefined),
);

/**
 * The HTTP and ops ports of each of `pods` ingress processes before an offset: the first pod has
 * ingress's own (8080, 9400), pod i (from 1) those + 100 × i, clear of the other services' ports.
 * A caller starting more than one pod checks these too when it looks for a free offset.
 * @param {number} pods @returns {{ http: number, ops: number }[]}
 */
export function ingressPodPorts(pods) {
  return Array.from({ length: pods }, (_, index) => ({ http: 8080 + 100 * index, ops: 9400 + 100 * index }));
}

/** Ports of the demo `npm run up` starts beside the services (brand and chat page), before an offset. */
export const demoPorts = { brand: 4000, web: 8088 };

/** @param {number} port @param {string} host @returns {Promise<boolean>} */
function isFree(port, host) {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, host, () => server.close(() => resolve(true)));
  });
}

/**
 * An offset that leaves every one of `ports` (+ offset) free on `host` right now, so that a system
 * can run beside `npm run up`, tests and benchmarks.
 * @param {readonly number[]} ports @param {string} [host] @returns {Promise<number>}
 */
export async function freePortOffset(ports, host = '127.0.0.1') {
  for (let attempt = 0; attempt < 50; attempt += 1) {
    const offset = 2000 + Math.floor(Math.random() * 13000);
    if ((await Promise.all(ports.map((port) => isFree(port + offset, host)))).every(Boolean)) return offset;
  }
  throw new SystemError('no free set of ports for the system after 50 tries');
}

/**
 * New keys for the services (token encryption, session signing), e.g. for a throwaway system.
 * @param {string} [kid] @returns {ServiceSecrets}
 */
export function newServiceSecrets(kid = 'dev1') {
  return {
    SECRET_KEYS: `${kid}:${randomBytes(32).toString('base64url')}`,
    SECRET_ACTIVE_KID: kid,
    SESSION_SIGNING_KEY: randomBytes(32).toString('base64url'),
  };
}

/**
 * @typedef {{
 *   start(name: string, script: string, env: NodeJS.ProcessEnv, options?: { nodeArgs?: readonly string[] }): ChildProcess,
 *   stop(options?: { timeoutMs?: number }): Promise<void>,
 *   readonly stopping: boolean,
 *   readonly children: ReadonlyMap<string, ChildProcess>,
 * }} ProcessGroup
 */

/**
 * Programs of this repository started as children of this process, stopped together. A child that
 * exits before `stop()` is reported to `onUnexpectedExit` (the caller usually stops everything).
 *
 * @example
 * const group = createProcessGroup({ onUnexpectedExit: (name) => void shutdown(1) });
 * group.start('auth', 'services/auth/dist/main.js', env);
 * await group.stop(); // SIGTERM, then SIGKILL after 30 s
 *
 * @param {{
 *   onLine?: (name: string, line: string) => void,
 *   onUnexpectedExit?: (name: string, description: string) => void,
 * }} [options]
 * @returns {ProcessGroup}
 */
export function createProcessGroup(options = {}) {
  const { onLine = (name, line) => console.log(`[${name}] ${line}`), onUnexpectedExit = () => {} } = options;
  /** @type {Map<string, ChildProcess>} */
  const children = new Map();
  let stopping = false;
  /** @param {ChildProcess} child */
  const running = (child) => child.exitCode === null && child.signalCode === null;

  return {
    get stopping() {
      return stopping;
    },
    children,
    start(name, script, env, { nodeArgs = [] } = {}) {
      const child = spawn(process.execPath, [...nodeArgs, join(repositoryRoot, script)], {
        cwd: repositoryRoot,
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      children.set(name, child);
      for (const stream of [child.stdout, child.stderr]) {
        createInterface({ input: stream }).on('line', (line) => onLine(name, line));
      }
      child.once('exit', (code, signal) => {
        if (!stopping) onUnexpectedExit(name, signal ?? `code ${code}`);
      });
      return child;
    },
    async stop({ timeoutMs = 30_000 } = {}) {
      stopping = true;
      for (const child of children.values()) child.kill('SIGTERM');
      const deadline = Date.now() + timeoutMs;
      while ([...children.values()].some(running) && Date.now() < deadline) await sleep(100);
      for (const child of children.values()) if (running(child)) child.kill('SIGKILL');
    },
  };
}

/**
 * Polls `url` until it answers 2xx. While `group` stops it never resolves (the stopper exits).
 * @param {string} name @param {string} url
 * @param {{ group?: ProcessGroup, timeoutMs?: number }} [options]
 */
export async function waitUntilReady(name, url, { group, timeoutMs = 60_000 } = {}) {
  const deadline = Date.now() + timeoutMs;
  while (
    !(await fetch(url)
      .then((response) => response.ok)
      .catch(() => false))
  ) {
    if (group?.stopping) await new Promise(() => {});
    if (Date.now() > deadline)
      throw new SystemError(`${name} was not ready after ${Math.round(timeoutMs / 1000)}s (${url})`);
    await sleep(200);
  }
}

/**
 * @typedef {{
 *   host: string,
 *   offset: number,
 *   env: NodeJS.ProcessEnv,
 *   secrets: ServiceSecrets,
 *   database: { adminUrl: string, schemaPrefix?: string },
 *   grpcTls: import('./infra/certs.mjs').DevCertificates,
 *   extraEnv?: Partial<Record<ServiceName, NodeJS.ProcessEnv>>,
 *   nodeArgs?: (service: ServiceName, processName: string) => readonly string[],
 *   ingressPods?: number,
 * }} ServicesOptions
 * `ingressPods` (1 unless given): ingress processes, `ingress`, `ingress-2`, …, each with its own
 * ports (ingressPodPorts) and INSTANCE_ID (`<INSTANCE_ID or host name>-<n>` from the second on),
 * as separate pods behind a load balancer would be.
 */

/**
 * Where the services listen for a port offset.
 * @param {string} host @param {number} offset
 */
export function serviceAddresses(host, offset) {
  return {
    ingressUrl: `http://${host}:${8080 + offset}`,
    authGrpc: `${host}:${50051 + offset}`,
    historyGrpc: `${host}:${50052 + offset}`,
    integrationsGrpc: `${host}:${50053 + offset}`,
    ops: /** @type {Record<ServiceName, string>} */ (
      Object.fromEntries(services.map((service) => [service.name, `http://${host}:${service.ops + offset}`]))
    ),
  };
}

/**
 * A comma-separated allow-list with `host` added to the entries the user gave (blank ones dropped).
 * @param {string | undefined} list @param {string} host
 */
function withHost(list, host) {
  const entries = (list ?? '')
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
  return [...entries, host].join(',');
}

/**
 * The environment of one service: the keys, then `env` (Kafka, log level...), then its own store
 * role and schema, its own Kafka principal when `env` has KAFKA_SASL_MECHANISM, then its ports
 * and the addresses of the services it calls, then its `extraEnv`. Brands on `host` are allowed
 * over http (local brands only), besides the hosts of the user's own BRAND_HOST_ALLOW_LIST.
 * @param {ServiceDefinition} service @param {ServicesOptions} options @returns {NodeJS.ProcessEnv}
 */
export function serviceEnv(service, { host, offset, env, secrets, database, grpcTls, extraEnv = {} }) {
  const { authGrpc, historyGrpc, integrationsGrpc } = serviceAddresses(host, offset);
  return {
    SECRET_KEYS: secrets.SECRET_KEYS,
    SECRET_ACTIVE_KID: secrets.SECRET_ACTIVE_KID,
    SESSION_SIGNING_KEY: secrets.SESSION_SIGNING_KEY,
    ...env,
    // After `env`: a DATABASE_URL in the caller's environment names the server (a superuser), never
    // the role a service connects with. Services without a store get none.
    DATABASE_URL: undefined,
    DATABASE_SCHEMA: undefined,
    ...(service.store ? serviceStoreEnv(database, service.store) : {}),
    ...serviceKafkaEnv(service.name, env),
    OPS_PORT: String(service.ops + offset),
    // Added to what the user allows (a brand of their own on localhost, say), never instead of it.
    BRAND_HOST_ALLOW_LIST: withHost(env.BRAND_HOST_ALLOW_LIST, host),
    // Webhook receivers on `host` too (the demo's bot), over http.
    ...(service.name === 'integrations'
      ? { WEBHOOK_HOST_ALLOW_LIST: withHost(env.WEBHOOK_HOST_ALLOW_LIST, host) }
      : {}),
    // Its own certificate of the dev PKI (scripts/infra/certs.mjs): gRPC is mutual TLS only.
    GRPC_TLS_CA_FILE: grpcTls.ca,
    GRPC_TLS_CERT_FILE: grpcTls.services[service.name].cert,
    GRPC_TLS_KEY_FILE: grpcTls.services[service.name].key,
    ...(service.grpc ? { GRPC_PORT: String(service.grpc + offset) } : {}),
    ...(service.needsAuth ? { AUTH_GRPC_ADDRESS: authGrpc } : {}),
    ...(service.http
      ? {
          HTTP_PORT: String(service.http + offset),
          AUTH_GRPC_ADDRESS: authGrpc,
          HISTORY_GRPC_ADDRESS: historyGrpc,
          INTEGRATIONS_GRPC_ADDRESS: integrationsGrpc,
        }
      : {}),
    ...extraEnv[service.name],
  };
}

/**
 * Starts the services (built) in `group` and waits until each answers /readyz.
 * @param {ProcessGroup} group @param {ServicesOptions} options
 */
export async function startServices(group, options) {
  const { host, offset, ingressPods = 1 } = options;
  /** @type {{ name: string, service: ServiceName, ops: string, url?: string }[]} */
  const started = [];
  for (const service of services) {
    const pods = service.name === 'ingress' ? ingressPodPorts(ingressPods) : [undefined];
    for (const [index, ports] of pods.entries()) {
      const name = index === 0 ? service.name : `${service.name}-${index + 1}`;
      const definition = ports ? { ...service, ...ports } : service;
      const env = serviceEnv(definition, options);
      if (index > 0) env.INSTANCE_ID = `${env.INSTANCE_ID ?? hostname()}-${index + 1}`;
      group.start(name, `services/${service.name}/dist/main.js`, env, {
        nodeArgs: options.nodeArgs?.(service.name, name) ?? [],
      });
      started.push({
        name,
        service: service.name,
        ops: `http://${host}:${definition.ops + offset}`,
        ...(definition.http ? { url: `http://${host}:${definition.http + offset}` } : {}),
      });
    }
  }
  for (const entry of started) await waitUntilReady(entry.name, `${entry.ops}/readyz`, { group });
  return {
    ...serviceAddresses(host, offset),
    /** Every ingress process (the first is `ingressUrl` and `ops.ingress`). */
    ingressPods: started.flatMap((entry) =>
      entry.service === 'ingress' ? [{ name: entry.name, url: entry.url ?? '', ops: entry.ops }] : [],
    ),
  };
}

/**
 * How a service reaches its own schema: its own role (scripts/infra/postgres.mjs `serviceRoles`) and,
 * with a prefix, a schema of its own beside other systems in the same database.
 * @param {{ adminUrl: string, schemaPrefix?: string }} database @param {'auth' | 'history' | 'ingress' | 'integrations'} store
 */
export function serviceStoreEnv(database, store) {
  return {
    DATABASE_URL: serviceDatabaseUrl(database.adminUrl, store),
    ...(database.schemaPrefix ? { DATABASE_SCHEMA: `${database.schemaPrefix}${store}` } : {}),
  };
}

/**
 * A tenant API key, made with ingress's own command (printed once, stored hashed in ingress's
 * schema; `env` carries its DATABASE_URL and DATABASE_SCHEMA, see serviceStoreEnv).
 * @param {NodeJS.ProcessEnv} env @param {{ tenant: string, name: string, scope: 'admin' | 'bot' | 'agent' }} key
 */
export function createApiKey(env, { tenant, name, scope }) {
  const result = spawnSync(
    process.execPath,
    [
      join(repositoryRoot, 'services/ingress/dist/create-api-key.js'),
      '--tenant',
      tenant,
      '--name',
      name,
      '--scope',
      scope,
    ],
    { cwd: repositoryRoot, env, encoding: 'utf8' },
  );
  if (result.status !== 0)
    throw new SystemError(`could not create the ${name} API key: ${result.stderr.trim()}`);
  return result.stdout.trim();
}

/**
 * A service's own Kafka principal (dev credentials of the local broker, scripts/infra/kafka.mjs) when
 * `env` asks for SASL; nothing for a service without a principal (auth) or without SASL.
 * @param {ServiceName} name @param {NodeJS.ProcessEnv} env @returns {NodeJS.ProcessEnv}
 */
function serviceKafkaEnv(name, env) {
  if (env.KAFKA_SASL_MECHANISM !== 'scram-sha-512' || !kafkaServices().includes(name)) {
    return { KAFKA_SASL_USERNAME: undefined, KAFKA_SASL_PASSWORD: undefined };
  }
  const { username, password } = serviceKafkaCredentials(name);
  return { KAFKA_SASL_USERNAME: username, KAFKA_SASL_PASSWORD: password };
}

/**
 * The Kafka variables every service gets from `ensureInfrastructure()`'s broker (each service's own
 * principal is added by serviceEnv).
 * @param {{ brokers: string, sasl?: { mechanism: 'scram-sha-512' } }} kafka
 */
export function systemKafkaEnv(kafka) {
  return { KAFKA_BROKERS: kafka.brokers, KAFKA_SASL_MECHANISM: kafka.sasl ? kafka.sasl.mechanism : 'none' };
}

/**
 * Creates the services' topics under `prefix` (and their DLQs) if missing, and on a broker with SASL
 * their ACLs (libs/contracts/kafka-access.json), as `sasl`'s admin; returns the topics' names.
 * @param {{
 *   brokers: string, prefix: string, clientId: string,
 *   sasl?: { mechanism: 'scram-sha-512', username: string, password: string },
 * }} options
 */
export async function ensureServiceTopics({ brokers, prefix, clientId, sasl }) {
  const { createKafkaClient, ensureAcls, ensureTopics } = await import('@parley/bus');
  const { topicNames } = await import('@parley/contracts');
  const { createLogger } = await import('@parley/logger');
  const kafka = createKafkaClient({
    brokers: brokers.split(','),
    clientId,
    logger: createLogger({ service: clientId, version: '0', level: 'warn' }),
    ...(sasl ? { sasl } : {}),
  });
  const topics = topicNames.map((topic) => `${prefix}${topic}`);
  await ensureTopics({ kafka, topics });
  if (sasl) await ensureAcls({ kafka, topicPrefix: prefix });
  return topics;
}
