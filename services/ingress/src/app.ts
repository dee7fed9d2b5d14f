import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { consumerComponent, createServiceBus, type EventProducer, producerComponent } from '@parley/bus';
import { clientComponent, createServiceClient, loadGrpcTls, loadParleyProtos } from '@parley/grpc';
import type { Logger } from '@parley/logger';
import {
  composeService,
  createMetricsRegistry,
  type MetricsRegistry,
  stopProcessOnFatalCrash,
  storeMetrics,
} from '@parley/ops';
import { serviceStore } from '@parley/postgres';
import type { FastifyInstance } from 'fastify';
import { createApiKeyRepository } from './adapters/api-key-repository.js';
import { createConnectionRegistry } from './adapters/connection-registry.js';
import { authPort, historyPort, integrationsPort } from './adapters/grpc-ports.js';
import { createIngressMetrics } from './adapters/ingress-metrics.js';
import { ingressSchema } from './adapters/ingress-schema.js';
import { createRateLimiter } from './adapters/rate-limiter.js';
import type { IngressConfig } from './config.js';
import { createPodEventsConsumer } from './consumers/pod-events.consumer.js';
import type { ApiKeyRepository } from './domain/api-keys.js';
import { createBotStreams } from './domain/bot-streams.js';
import type { AuthPort, HistoryPort, IntegrationsPort } from './domain/ports.js';
import { createSessionEndedAnnouncer } from './domain/session-ended-announcer.js';
import { createHttpApp } from './http/create-http-app.js';

/** Ingress's store ports. */
export interface IngressStores {
  readonly apiKeys: ApiKeyRepository;
}

/** The services ingress calls and the bus it publishes to; each absent one is the real one (config). */
export interface IngressPorts {
  readonly auth: AuthPort;
  readonly history: HistoryPort;
  readonly producer: EventProducer;
  /** The integrations service (webhooks admin API, bot event stream). */
  readonly integrations: IntegrationsPort;
}

export interface IngressDeps {
  readonly config: IngressConfig;
  readonly logger: Logger;
  readonly version: string;
  /** The store; absent: PostgreSQL (DATABASE_URL), migrated or verified at start. */
  readonly stores?: IngressStores;
  /** In-memory ports for edge tests (http/edge.fixture.ts); absent: gRPC clients and Kafka. */
  readonly ports?: Partial<IngressPorts>;
}

/** The PostgreSQL store (DATABASE_URL, ingress's own schema) and the ports on it. */
function postgresStore(config: IngressConfig, logger: Logger, registry: MetricsRegistry) {
  const postgres = serviceStore(config, ingressSchema, logger, { statements: storeMetrics(registry) });
  const stores: IngressStores = { apiKeys: createApiKeyRepository(() => postgres.database()) };
  return { stores, components: [postgres] };
}

/** The ingress service: the HTTP edge for chat frontends, bots, agents and admins. */
export function createApp({ config, logger, version, stores: given, ports = {} }: IngressDeps) {
  const registry = createMetricsRegistry({ service: 'ingress', version });
  const bus = createServiceBus(config, 'ingress', logger);
  const { kafka } = bus;
  const producer = ports.producer ?? bus.producer;
  const { stores, components: storeComponents } = given
    ? { stores: given, components: [] }
    : postgresStore(config, logger, registry);
  const protos = loadParleyProtos();
  // Loaded only for a client that is made here: in-memory ports need no certificates.
  let loadedTls: ReturnType<typeof loadGrpcTls> | undefined;
  const tlsFor = () => {
    loadedTls ??= loadGrpcTls(config, 'ingress');
    return loadedTls;
  };
  const authClient = ports.auth
    ? undefined
    : createServiceClient(protos.auth.AuthService.service, config.AUTH_GRPC_ADDRESS, {
        tls: tlsFor(),
        server: 'auth',
        deadlineMs: config.AUTH_DEADLINE_MS,
      });
  const historyClient = ports.history
    ? undefined
    : createServiceClient(protos.history.HistoryService.service, config.HISTORY_GRPC_ADDRESS, {
        tls: tlsFor(),
        server: 'history',
        deadlineMs: config.HISTORY_DEADLINE_MS,
      });
  const auth = ports.auth ?? authPort(authClient as NonNullable<typeof authClient>);
  const history = ports.history ?? historyPort(historyClient as NonNullable<typeof historyClient>);
  const integrationsClient = ports.integrations
    ? undefined
    : createServiceClient(protos.integrations.IntegrationsService.service, config.INTEGRATIONS_GRPC_ADDRESS, {
        tls: tlsFor(),
        server: 'integrations',
        deadlineMs: config.INTEGRATIONS_DEADLINE_MS,
      });
  const integrations =
    ports.integrations ?? integrationsPort(integrationsClient as NonNullable<typeof integrationsClient>);
  const botStreams = createBotStreams({
    perKey: config.BOT_STREAMS_PER_KEY,
    perTenant: config.BOT_STREAMS_PER_TENANT,
  });
  const metrics = createIngressMetrics(registry, {
    openBotStreams: () => botStreams.size(),
    pendingSessionEvents: () => sessionEnded.pending(),
    openDeviceStreams: () => connections.size(),
  });
  const sessionEnded = createSessionEndedAnnouncer({
    publish: (event) => producer.publish('chat.sessions.ended.v1', event, { id: event.sessionEventId }),
    logger,
    onOutcome: metrics.sessionEnded,
  });
  const minute = 60_000;
  const connections = createConnectionRegistry({
    perSession: config.STREAMS_PER_SESSION,
    perCustomer: config.STREAMS_PER_CUSTOMER,
  });
  // A fresh group on every start: a restarted pod pushes what comes next, never a backlog (devices
  // catch up through sync); INSTANCE_ID only makes the group recognisable.
  const podEvents = createPodEventsConsumer({
    kafka,
    instanceId: `${config.INSTANCE_ID ?? hostname()}-${randomBytes(4).toString('hex')}`,
    topicPrefix: config.KAFKA_TOPIC_PREFIX,
    connections,
    dlqProducer: producer,
    logger,
    registry,
    onCrash: stopProcessOnFatalCrash,
  });
  const http: FastifyInstance = createHttpApp({
    auth,
    history,
    producer,
    sessionEnded,
    integrations,
    botStreams,
    botStreamObserver: metrics.botStreams,
    botStreamTiming: { deadlineMs: config.INTEGRATIONS_DEADLINE_MS },
    connections,
    apiKeys: stores.apiKeys,
    logger,
    sessionLimiter: createRateLimiter({ limit: config.RATE_LIMIT_PER_SESSION_PER_MINUTE, windowMs: minute }),
    ipLimiter: createRateLimiter({ limit: config.RATE_LIMIT_PER_IP_PER_MINUTE, windowMs: minute }),
    apiKeyLimiter: createRateLimiter({ limit: config.RATE_LIMIT_PER_API_KEY_PER_MINUTE, windowMs: minute }),
    ipv6RateLimitPrefix: config.RATE_LIMIT_IPV6_PREFIX,
    bodyLimitBytes: config.BODY_LIMIT_BYTES,
    reauthorizeMs: config.STREAM_REAUTHORIZE_SECONDS * 1000,
    maxPendingFrames: config.STREAM_MAX_PENDING_FRAMES,
    trustedProxyHops: config.TRUSTED_PROXY_HOPS,
    corsOrigins: config.CORS_ALLOWED_ORIGINS,
    onAnswered: metrics.answered,
  });
  const components = [
    ...storeComponents,
    ...(ports.producer ? [] : [producerComponent(producer)]),
    {
      // Stops before the producer: what is still pending gets one last try.
      name: 'session-ended-events',
      start: async () => {},
      stop: () => sessionEnded.stop(),
    },
    ...(authClient ? [clientComponent('auth', authClient, logger)] : []),
    ...(historyClient ? [clientComponent('history', historyClient, logger)] : []),
    // Not a readiness condition: chat goes on while integrations is down (its routes answer 503).
    ...(integrationsClient
      ? [{ ...clientComponent('integrations', integrationsClient, logger), isReady: undefined }]
      : []),
    // The pod's own group: deliveries to push and logouts to close streams for.
    consumerComponent(podEvents),
    {
      name: 'http',
      async start() {
        await http.listen({ port: config.HTTP_PORT, host: config.BIND_HOST });
      },
      async stop() {
        // Bots resume from their cursor on another pod; streams close with 1001 (devices reconnect
        // and sync) and idle keep-alive connections at once, while in-flight requests finish.
        botStreams.closeAll();
        await http.close();
      },
    },
  ];
  const service = composeService({
    logger,
    registry,
    opsPort: config.OPS_PORT,
    bindHost: config.BIND_HOST,
    components,
  });
  return {
    ...service,
    /** `http://host:port` of the public API; only after start. */
    httpUrl: () => {
      const address = http.server.address();
      if (!address || typeof address === 'string') throw new Error('ingress not started');
      return `http://127.0.0.1:${address.port}`;
    },
    /** Answers one request without a socket (Fastify's `inject`), e.g. an edge test on in-memory ports. */
    inject: http.inject.bind(http) as FastifyInstance['inject'],
  };
}
