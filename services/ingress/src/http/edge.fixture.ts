import type { EventProducer } from '@parley/bus';
import { ParleyError } from '@parley/errors';
import { createLogger } from '@parley/logger';
import { createConnectionRegistry } from '../adapters/connection-registry.js';
import { createInMemoryApiKeyRepository } from '../adapters/in-memory-api-key-repository.js';
import { createApp, type IngressPorts, type IngressStores } from '../app.js';
import { type IngressConfig, schema } from '../config.js';
import { newApiKey } from '../domain/api-keys.js';
import type { AuthorizedSession, AuthPort, HistoryPort, IntegrationsPort } from '../domain/ports.js';
import type { SessionEndedAnnouncer } from '../domain/session-ended-announcer.js';
import { createHttpApp, type HttpAppDeps } from './create-http-app.js';

/** A limiter that never refuses, for edge tests about something else. */
export const unlimited = { take: () => ({ allowed: true as const }) };

export const testLogger = createLogger({ service: 'ingress-test', version: 'test', level: 'silent' });

/** A session of tenant `acme` on channel `web`, for a fake auth's token table. */
export function testSession(
  sessionId = 's-1',
  customerKey = 'k-1',
  deviceId = `device-${sessionId}`,
): AuthorizedSession {
  return {
    tenantId: 'acme',
    channelId: 'web',
    customerKey,
    deviceId,
    threadId: `t-${customerKey}`,
    sessionId,
  };
}

const notInFake = (what: string) => () => Promise.reject(new Error(`the in-memory auth does not ${what}`));

/** The data the in-memory auth gives with a message: the brand's view of a fixed customer. */
export function customerDataFor(session: AuthorizedSession) {
  return {
    customer: { id: `brand-id-of-${session.customerKey}`, name: 'Ada', customFields: { tier: 'gold' } },
    enrichment: { status: 'ok' as const, fetchedAt: '2025-05-06T07:00:00.000Z', latencyMs: 3 },
  };
}

/**
 * An in-memory auth: `sessions` maps each token to its session (any other token is
 * `unauthenticated`); `state.down` makes every check fail as unreachable; `state.authorizeCalls`
 * counts the checks. Pass `overrides` for the other calls a test needs.
 */
export function createInMemoryAuth(
  sessions: Record<string, AuthorizedSession> = {},
  overrides: Partial<AuthPort> = {},
) {
  const state = { down: false, authorizeCalls: 0 };
  const auth: AuthPort = {
    async authorizeSession(sessionToken) {
      state.authorizeCalls += 1;
      if (state.down) throw new ParleyError('auth_unavailable', 'auth did not answer');
      const session = sessions[sessionToken];
      if (!session) throw new ParleyError('unauthenticated', 'session token is invalid or expired');
      return session;
    },
    async authorizeMessage(sessionToken) {
      const session = await auth.authorizeSession(sessionToken);
      return { ...session, customerData: customerDataFor(session) };
    },
    async revokeSession({ sessionToken }) {
      const session = sessions[sessionToken ?? ''];
      if (!session) throw new ParleyError('unauthenticated', 'session token is invalid or expired');
      return { sessionsEnded: 1, revokedAtBrand: true, ...session };
    },
    exchangeCode: notInFake('exchange codes'),
    issueAccessToken: notInFake('issue tokens'),
    putChannel: notInFake('store channels'),
    getChannel: notInFake('read channels'),
    testChannel: notInFake('test channels'),
    ...overrides,
  };
  return { auth, state };
}

/** An in-memory history: `threads` maps each thread id to its customer; no stored messages. */
export function createInMemoryHistory(
  threads: Record<string, string> = {},
  overrides: Partial<HistoryPort> = {},
) {
  const history: HistoryPort = {
    sync: async ({ threadId }) => ({ threadId: threadId ?? '', messages: [], lastSeq: 0, hasMore: false }),
    async getThread({ threadId }) {
      const customerKey = threads[threadId ?? ''];
      if (!customerKey) throw new ParleyError('not_found', 'no such thread');
      return { threadId, customerKey } as Awaited<ReturnType<HistoryPort['getThread']>>;
    },
    getCustomer: () => Promise.reject(new ParleyError('not_found', 'no such customer')),
    updateCustomerFields: () => Promise.reject(new ParleyError('not_found', 'no such customer')),
    ...overrides,
  };
  return history;
}

type ReadRequest = Parameters<IntegrationsPort['readEvents']>[0];

/**
 * An in-memory integrations: a tenant event log that `append` writes to, read with long polls (the
 * types filter, and `state.expiredBelow` as the retention window: an older cursor has expired);
 * `reads` keeps every read. Webhook calls reject unless `overrides` gives them.
 */
export function createInMemoryIntegrations(overrides: Partial<IntegrationsPort> = {}) {
  const log: { tenantId: string; cursor: string; type: string; body: string }[] = [];
  const reads: ReadRequest[] = [];
  const waiters = new Set<() => void>();
  const state = { expiredBelow: 0, seq: 0 };
  const page = (request: ReadRequest) =>
    log
      .filter(
        (event) => event.tenantId === request.tenantId && Number(event.cursor) > Number(request.after || 0),
      )
      .filter((event) => request.eventTypes.length === 0 || request.eventTypes.includes(event.type))
      .slice(0, request.limit);
  const notInFake = (what: string) => () =>
    Promise.reject(new Error(`the in-memory integrations does not ${what}`));
  const integrations: IntegrationsPort = {
    async readEvents(request, { signal }) {
      reads.push(request);
      if (request.after && Number(request.after) < state.expiredBelow)
        return { events: [], cursor: request.after, cursorExpired: true };
      let events = page(request);
      if (events.length === 0 && request.waitMs > 0 && !signal.aborted) {
        await new Promise<void>((resolve) => {
          const wake = () => {
            waiters.delete(wake);
            clearTimeout(timer);
            resolve();
          };
          waiters.add(wake);
          const timer = setTimeout(wake, request.waitMs);
          signal.addEventListener('abort', wake, { once: true });
        });
        events = page(request);
      }
      return {
        events: events.map(({ tenantId: _tenant, ...event }) => event),
        cursor: events.at(-1)?.cursor ?? request.after,
        cursorExpired: false,
      };
    },
    createSubscription: notInFake('create subscriptions'),
    listSubscriptions: notInFake('list subscriptions'),
    getSubscription: notInFake('read subscriptions'),
    updateSubscription: notInFake('update subscriptions'),
    deleteSubscription: notInFake('delete subscriptions'),
    rotateSecret: notInFake('rotate secrets'),
    listDeliveries: notInFake('list deliveries'),
    redeliver: notInFake('redeliver'),
    ...overrides,
  };
  return {
    integrations,
    log,
    reads,
    state,
    append(tenantId: string, type: string, data: unknown) {
      state.seq += 1;
      const cursor = String(state.seq);
      log.push({ tenantId, cursor, type, body: JSON.stringify({ id: `e-${cursor}`, type, data }) });
      for (const wake of waiters) wake();
      return cursor;
    },
  };
}

/** A producer that keeps what is published, in order. */
export function createRecordingProducer() {
  const published: { topic: string; event: Record<string, unknown>; options?: unknown }[] = [];
  const producer = {
    publish: async (topic: string, event: Record<string, unknown>, options?: unknown) =>
      void published.push({ topic, event, options }),
  } as unknown as EventProducer;
  return { producer, published };
}

/** An announcer that keeps the session.ended events it was given. */
export function createRecordingAnnouncer() {
  const announced: unknown[] = [];
  const sessionEnded: SessionEndedAnnouncer = {
    announce: async (event) => void announced.push(event),
    pending: () => 0,
    stop: async () => {},
  };
  return { sessionEnded, announced };
}

/**
 * The HTTP edge for unit tests, on in-memory ports: API keys, auth (no session unless the test
 * passes its own), history (no threads), a recording producer and announcer, a connection
 * registry, integrations (an empty event log), a silent logger and no limits. Bot streams are not
 * there unless the test passes them (a port a test did not pass throws when used). Excluded from the build
 * (tsconfig.build.json).
 */
export function createTestEdge(overrides: Partial<HttpAppDeps> = {}) {
  const deps: HttpAppDeps = {
    auth: createInMemoryAuth().auth,
    history: createInMemoryHistory(),
    producer: createRecordingProducer().producer,
    connections: createConnectionRegistry({ perSession: 5, perCustomer: 20 }),
    sessionEnded: createRecordingAnnouncer().sessionEnded,
    integrations: createInMemoryIntegrations().integrations,
    botStreams: {} as never,
    apiKeys: createInMemoryApiKeyRepository(),
    logger: testLogger,
    ipLimiter: unlimited,
    sessionLimiter: unlimited,
    apiKeyLimiter: unlimited,
    bodyLimitBytes: 16_384,
    trustedProxyHops: 0,
    ...overrides,
  };
  return { app: createHttpApp(deps), deps };
}

/**
 * The whole ingress (`createApp`) on in-memory ports and store, not started: requests go in
 * through `inject()`, so the edge as deployed answers without Kafka, PostgreSQL or gRPC servers.
 * The certificates are not read (no gRPC client is made); `env` sets other variables.
 */
export function createTestIngress(
  options: { ports?: Partial<IngressPorts>; stores?: IngressStores; env?: Record<string, string> } = {},
) {
  const parsed = schema
    .omit({ GRPC_TLS_CA_FILE: true, GRPC_TLS_CERT_FILE: true, GRPC_TLS_KEY_FILE: true })
    .parse({
      KAFKA_BROKERS: '127.0.0.1:9',
      DATABASE_URL: 'postgres://unused@127.0.0.1:9/unused',
      AUTH_GRPC_ADDRESS: '127.0.0.1:9',
      HISTORY_GRPC_ADDRESS: '127.0.0.1:9',
      INTEGRATIONS_GRPC_ADDRESS: '127.0.0.1:9',
      ...options.env,
    });
  const config: IngressConfig = {
    ...parsed,
    GRPC_TLS_CA_FILE: 'unread',
    GRPC_TLS_CERT_FILE: 'unread',
    GRPC_TLS_KEY_FILE: 'unread',
  };
  const { producer, published } = createRecordingProducer();
  const ports: IngressPorts = {
    auth: createInMemoryAuth().auth,
    history: createInMemoryHistory(),
    producer,
    integrations: createInMemoryIntegrations().integrations,
    ...options.ports,
  };
  const stores = options.stores ?? { apiKeys: createInMemoryApiKeyRepository() };
  const app = createApp({ config, logger: testLogger, version: 'test', ports, stores });
  return { app, published, stores };
}

/**
 * The edge with one customer signed in (token `session-token`, thread `t-1` of customer `k-1`) and
 * one bot key of the same tenant, publishing into a recording producer: for tests of what customer
 * messages and bot replies publish. Call `ready()` before the first request.
 */
export function createMessageEdge() {
  const session: AuthorizedSession = { ...testSession('s-1', 'k-1', 'laptop'), threadId: 't-1' };
  const { auth } = createInMemoryAuth({ 'session-token': session });
  const history = createInMemoryHistory({ 't-1': 'k-1' });
  const apiKeys = createInMemoryApiKeyRepository();
  const bot = newApiKey('acme', 'crm-bot', ['bot'], new Date());
  const { producer, published } = createRecordingProducer();
  const { app } = createTestEdge({ auth, history, producer, apiKeys });
  return { app, published, bot, ready: () => apiKeys.create(bot.key) };
}
