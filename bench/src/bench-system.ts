import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { type BrandServer, startBrandServer } from '@parley/test-brand';
import { Kafka, logLevel } from 'kafkajs';
import { BenchError } from './bench-error.js';
import type { Cleanup } from './cleanup.js';
import type { BenchOptions } from './flags.js';
import { type DeliveryCounters, deliveryCounters } from './ingress-pods.js';
import type { CustomerSession } from './load-protocol.js';
import { type BenchBrand, putChannel, signInCustomers, signInMoreDevices } from './parley-setup.js';
import { deleteTopics, dropSchemas, pipelineLag } from './pipeline-admin.js';
import type { SampledProcess } from './process-sampler.js';
import { createSpanBreakdown, type SpanBreakdown } from './span-breakdown.js';
import { startOtlpReceiver } from './span-receiver.js';
import { openStoreProbe, type StoreCounters } from './store-metrics.js';
import { type KafkaSasl, loadInfraModule, loadPostgresModule, loadSystemModule } from './system.js';

/** The system under test as the run set it up: services, brands, signed-in customers. */
export interface BenchSystem {
  readonly runId: string;
  readonly brokers: string[];
  /** parley-admin's login on a broker with SASL: the bench's probes read as the operator would. */
  readonly kafkaSasl: KafkaSasl | undefined;
  readonly topicPrefix: string;
  /** The Parley database as its superuser, and the baseline's own schema in it. */
  readonly postgres: { readonly adminUrl: string; readonly baselineSchema: string };
  readonly infraDescription: string;
  /** What the store counts per measurement (see store-metrics.ts). */
  readonly store: {
    readonly counted: 'statements' | 'transactions';
    /** Anything the reader of the store's figures must know (a fallback, CPU not measured). */
    readonly notes: readonly string[];
    /** Service names by role name (`parley_auth` → `auth`). */
    readonly labels: Readonly<Record<string, string>>;
    read(): Promise<StoreCounters | undefined>;
  };
  readonly ingressUrl: string;
  readonly brands: { readonly fast: BenchBrand; readonly slow: BenchBrand | undefined };
  readonly customers: readonly CustomerSession[];
  /** Signs `count` more devices of the fast brand's customers in (sessions of their own) for the storm (c). */
  signInMoreDevices(count: number): Promise<string[]>;
  /** Ingress's ops server (`/metrics`), and its inspector's port once activated (scenario e only). */
  readonly ingressOps: { readonly url: string; readonly inspectPort: number | undefined };
  /** Every ingress process (`--ingress-pods`; the first is `ingressUrl`), by sampler name. */
  readonly ingressPods: readonly { readonly name: string; readonly url: string; readonly ops: string }[];
  /** Each ingress pod's deliveries so far, from its `/metrics` (undefined where it did not answer). */
  readDeliveries(): Promise<{ name: string; counters: DeliveryCounters | undefined }[]>;
  /** Services, Kafka and the store (when local), by name; for the process sampler. */
  processes(): SampledProcess[];
  /** The services' spans so far, per hop (`--spans` only). */
  readonly spans: { summary(): SpanBreakdown } | undefined;
  /** Stops the services now (the CPU profiles are written as they exit). */
  stopServices(): Promise<void>;
  /**
   * Waits until the services' consumers have caught up with their topics (a backlog left by an
   * overloaded step must not spill into the next measurement); resolves with the lag left.
   */
  waitUntilDrained(timeoutMs: number): Promise<number>;
}

const host = '127.0.0.1';

/** A TCP port free on `host` just now. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject()));
    });
  });
}

/**
 * Starts (or reuses) Kafka and the store, fresh topics and schemas, the brands (a second, slow
 * one for scenario d), the four services (production build, LOG_LEVEL=warn, output into
 * `<out>/services.log`), stores each brand's channel and signs the customers in. Everything it
 * starts is registered with `cleanup`. `onServiceExit` hears of a service that dies meanwhile.
 */
export async function startBenchSystem(
  options: BenchOptions,
  context: {
    out: string;
    cleanup: Cleanup;
    say: (line: string) => void;
    onServiceExit: (error: BenchError) => void;
  },
): Promise<BenchSystem> {
  const { out, cleanup, say } = context;
  const { ensureInfrastructure, infrastructureStatus } = await loadInfraModule();
  const { parleyDatabase, serviceRoles } = await loadPostgresModule();
  const system = await loadSystemModule();

  const infra = await ensureInfrastructure().catch((error: Error) => {
    throw new BenchError('infrastructure_unavailable', error.message, { cause: error });
  });
  cleanup.defer('the infrastructure this run started', () => infra.stop());
  say(infra.describe());

  const runId = randomBytes(4).toString('hex');
  const topicPrefix = `bench-${runId}.`;
  // Each service in a schema of its own for this run (with its usual role), and the baseline beside them.
  const schemaPrefix = `bench_${runId}_`;
  const database = { adminUrl: infra.postgres.url, schemaPrefix };
  const baselineSchema = `${schemaPrefix}baseline`;
  const parleyUrl = new URL(infra.postgres.url);
  parleyUrl.pathname = `/${parleyDatabase}`;
  const adminUrl = parleyUrl.toString();
  const brokers = infra.kafka.brokers.split(',');
  const { sasl } = infra.kafka;
  const kafka = new Kafka({
    clientId: 'parley-bench',
    brokers,
    logLevel: logLevel.ERROR,
    ...(sasl ? { sasl: { ...sasl } } : {}),
  });
  await system.ensureServiceTopics({
    brokers: infra.kafka.brokers,
    sasl,
    prefix: topicPrefix,
    clientId: 'parley-bench',
  });
  cleanup.defer('the topics', () => deleteTopics(kafka, topicPrefix));
  cleanup.defer('the schemas', () =>
    dropSchemas(
      adminUrl,
      [...Object.keys(serviceRoles), 'baseline'].map((name) => `${schemaPrefix}${name}`),
    ),
  );
  const probe = await openStoreProbe({
    url: adminUrl,
    database: parleyDatabase,
    roles: Object.values(serviceRoles),
    baselineSchema,
  }).catch((error: Error) => {
    throw new BenchError('infrastructure_unavailable', `the store's statistics: ${error.message}`, {
      cause: error,
    });
  });
  cleanup.defer('the store probe', () => probe.close());

  const startBrand = async (label: 'fast' | 'slow'): Promise<BenchBrand> => {
    const server: BrandServer = await startBrandServer();
    cleanup.defer(`the ${label} brand`, () => server.stop());
    return { label, tenant: `bench-${label}`, server };
  };
  const fast = await startBrand('fast');
  const slow = options.scenarios.has('d') ? await startBrand('slow') : undefined;

  const log = createWriteStream(join(out, 'services.log'));
  cleanup.defer('the service log', () => new Promise((resolve) => log.end(resolve)));
  const tails = new Map<string, string[]>();
  const group = system.createProcessGroup({
    onLine: (name, line) => {
      log.write(`[${name}] ${line}\n`);
      const tail = tails.get(name) ?? [];
      tail.push(line);
      if (tail.length > 15) tail.shift();
      tails.set(name, tail);
    },
    onUnexpectedExit: (name, description) =>
      context.onServiceExit(
        new BenchError(
          'service_failed',
          `${name} exited (${description}); its last output:\n${(tails.get(name) ?? []).join('\n')}`,
        ),
      ),
  });
  cleanup.defer('the services', () => group.stop());

  // The ports of the ingress pods after the first are free too (scripts/system.mjs ingressPodPorts).
  const offset = await system.freePortOffset(
    [
      ...system.servicePorts,
      ...system
        .ingressPodPorts(options.ingressPods + options.idleIngressPods)
        .slice(1)
        .flatMap((ports) => [ports.http, ports.ops]),
    ],
    host,
  );
  const profiles = join(out, 'profiles');
  // Scenario e forces a GC in ingress through its inspector, activated (SIGUSR1) only then.
  const inspectPort = options.scenarios.has('e') ? await freePort() : undefined;
  // With --spans the services export their spans (OTLP/HTTP JSON) to a receiver in this process.
  const spans = options.spans ? createSpanBreakdown() : undefined;
  const spanReceiver = spans ? await startOtlpReceiver({ host, onSpan: spans.add }) : undefined;
  if (spanReceiver) cleanup.defer('the span receiver', () => spanReceiver.stop());
  const common = {
    ...(spanReceiver
      ? {
          OTEL_EXPORTER_OTLP_ENDPOINT: spanReceiver.url,
          OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
          OTEL_BSP_SCHEDULE_DELAY: '1000',
          OTEL_BSP_MAX_QUEUE_SIZE: '65536',
        }
      : {}),
    // DATABASE_URL names the server (a superuser); each service gets its own role and schema instead.
    ...Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('DATABASE_'))),
    ...system.systemKafkaEnv(infra.kafka),
    KAFKA_TOPIC_PREFIX: topicPrefix,
    BIND_HOST: host,
    LOG_LEVEL: 'warn',
    LOG_PRETTY: 'false',
    // The benchmark measures the pipeline, not the abuse limits.
    RATE_LIMIT_PER_SESSION_PER_MINUTE: '100000000',
    RATE_LIMIT_PER_IP_PER_MINUTE: '100000000',
    // The storm (c) and the idle streams (e) hold many streams per customer and session.
    STREAMS_PER_SESSION: '1000',
    STREAMS_PER_CUSTOMER: '10000',
  };
  say(`starting the services (ports +${offset}, topics ${topicPrefix}*, schemas ${schemaPrefix}*)`);
  const addresses = await system
    .startServices(group, {
      host,
      offset,
      env: common,
      secrets: system.newServiceSecrets('bench'),
      database,
      grpcTls: infra.grpcTls,
      // Its own deliveries group, not one shared with other ingress instances on this host (the
      // second pod and later add `-<n>`).
      extraEnv: { ingress: { INSTANCE_ID: `bench-${runId}` } },
      // The idle ones (--idle-ingress-pods) last: the load generator connects to the first ones only.
      ingressPods: options.ingressPods + options.idleIngressPods,
      nodeArgs: (_service, name) => [
        ...(options.cpuProf
          ? ['--cpu-prof', `--cpu-prof-dir=${profiles}`, `--cpu-prof-name=${name}.cpuprofile`]
          : []),
        // (e) measures the first pod, which holds its idle streams.
        ...(name === 'ingress' && inspectPort ? [`--inspect-port=${host}:${inspectPort}`] : []),
      ],
    })
    .catch((error: Error) => {
      throw new BenchError('service_failed', error.message, { cause: error });
    });

  const brands = slow ? [fast, slow] : [fast];
  let customers: CustomerSession[] = [];
  try {
    for (const brand of brands) {
      const adminKey = system.createApiKey(
        { ...common, ...system.serviceStoreEnv(database, 'ingress') },
        { tenant: brand.tenant, name: 'bench-admin', scope: 'admin' },
      );
      await putChannel(addresses.ingressUrl, adminKey, brand);
      const count = brand.label === 'fast' ? options.customers : Math.ceil(options.customers / 2);
      say(`signing in ${count} customers × ${options.devices} devices at the ${brand.label} brand`);
      customers = [
        ...customers,
        ...(await signInCustomers(addresses.ingressUrl, brand, count, options.devices)),
      ];
    }
  } catch (error) {
    if (error instanceof BenchError) throw error;
    throw new BenchError('setup_failed', (error as Error).message, { cause: error });
  }

  const infraPids = infrastructureStatus();
  // The server's processes, wherever it came from, when it runs on this machine.
  const postmasterPid =
    probe.postmasterPid ?? (infra.postgres.kind === 'local' ? infraPids.postgres.pid : undefined);
  return {
    runId,
    brokers,
    kafkaSasl: sasl,
    topicPrefix,
    postgres: { adminUrl, baselineSchema },
    infraDescription: infra.describe(),
    store: {
      counted: probe.source === 'pg_stat_statements' ? 'statements' : 'transactions',
      notes: [
        ...(probe.note ? [probe.note] : []),
        ...(postmasterPid === undefined
          ? ['store CPU is not measured: the PostgreSQL server is not a process of this machine']
          : []),
      ],
      labels: Object.fromEntries(Object.entries(serviceRoles).map(([service, role]) => [role, service])),
      read: () => probe.read(),
    },
    ingressUrl: addresses.ingressUrl,
    brands: { fast, slow },
    customers,
    signInMoreDevices: (count) =>
      signInMoreDevices(addresses.ingressUrl, fast, options.customers, count).catch((error: Error) => {
        if (error instanceof BenchError) throw error;
        throw new BenchError('setup_failed', error.message, { cause: error });
      }),
    ingressOps: { url: addresses.ops.ingress, inspectPort },
    ingressPods: addresses.ingressPods,
    readDeliveries: () =>
      Promise.all(
        addresses.ingressPods.map(async ({ name, ops }) => ({
          name,
          counters: await fetch(`${ops}/metrics`, { signal: AbortSignal.timeout(5000) })
            .then(async (response) => (response.ok ? deliveryCounters(await response.text()) : undefined))
            .catch(() => undefined),
        })),
      ),
    spans,
    processes: () => [
      ...[...group.children.entries()].flatMap(([name, child]) =>
        child.pid !== undefined && child.exitCode === null ? [{ name, pid: child.pid }] : [],
      ),
      ...(infra.kafka.kind === 'local' && infraPids.kafka.pid
        ? [{ name: 'kafka', pid: infraPids.kafka.pid }]
        : []),
      ...(postmasterPid ? [{ name: 'postgres', pid: postmasterPid, tree: true }] : []),
    ],
    stopServices: () => group.stop(),
    async waitUntilDrained(timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const lag = await pipelineLag(kafka, topicPrefix, `${topicPrefix}ingress-pod-bench-${runId}-`);
        if (lag === 0 || Date.now() > deadline) return lag;
        await sleep(250);
      }
    },
  };
}
