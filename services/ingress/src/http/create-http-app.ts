import cors from '@fastify/cors';
import websocket from '@fastify/websocket';
import { ParleyError } from '@parley/errors';
import type { Logger } from '@parley/logger';
import { contextOfHeaders, type OpenSpan, openSpan } from '@parley/ops';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { ipRateLimitKey } from '../adapters/rate-limiter.js';
import type { RateLimiter } from '../domain/ports.js';
import { createSessionQuota } from '../domain/session-quota.js';
import { type AgentRouteDeps, registerAgentRoutes } from './agent-routes.js';
import { registerApiKeyRoutes } from './api-key-routes.js';
import { asyncApiDocument } from './asyncapi.js';
import { type BotEventsRouteDeps, registerBotEventsRoute } from './bot-events-route.js';
import { type BotRouteDeps, registerBotRoutes } from './bot-routes.js';
import { type ChannelRouteDeps, registerChannelRoutes } from './channel-routes.js';
import { type CustomerRouteDeps, registerCustomerRoutes } from './customer-routes.js';
import { clientErrorHandler, errorHandler, sendError, webSocketHandshakeError } from './errors.js';
import { openApiDocument } from './openapi.js';
import {
  closeStreamsOnShutdown,
  registerStreamRoute,
  type StreamRouteDeps,
  selectStreamProtocol,
} from './stream-route.js';
import { registerWebhookRoutes, type WebhookRouteDeps } from './webhook-routes.js';

// The routes share one session quota, made here from the session limiter.
type WithoutQuota<T> = Omit<T, 'sessionQuota'>;

/** One answered request, for the request metrics (docs/operations.md, "Ingress metrics"). */
export interface AnsweredRequest {
  readonly method: string;
  /** The route's pattern (`/v1/threads/:threadId/messages`), or `unmatched` when no route matched. */
  readonly route: string;
  readonly statusCode: number;
  readonly seconds: number;
}

export interface HttpAppDeps
  extends WithoutQuota<CustomerRouteDeps>,
    WithoutQuota<StreamRouteDeps>,
    BotRouteDeps,
    AgentRouteDeps,
    ChannelRouteDeps,
    WebhookRouteDeps,
    BotEventsRouteDeps {
  readonly logger: Logger;
  readonly ipLimiter: RateLimiter;
  /** The per-IP limit keys an IPv6 client by this many leading bits (64: a subscriber's /64). */
  readonly ipv6RateLimitPrefix?: number;
  /** The per-session limit (RATE_LIMIT_PER_SESSION_PER_MINUTE), keyed on the verified session id. */
  readonly sessionLimiter: RateLimiter;
  readonly bodyLimitBytes: number;
  /** Proxies whose X-Forwarded-For entries are trusted for the client address (0: none). */
  readonly trustedProxyHops: number;
  /** Browser origins allowed to call the API (CORS); none by default. */
  readonly corsOrigins?: readonly string[];
  /** Told of every answered request; streams taken over by their route (WebSocket, bot events) are not. */
  readonly onAnswered?: (request: AnsweredRequest) => void;
}

/**
 * The HTTP edge as a Fastify app; tests call `app.inject()` or listen on port 0.
 *
 * @example
 * const app = createHttpApp({ auth, producer, apiKeys, logger, ipLimiter, sessionLimiter, bodyLimitBytes: 16384, trustProxy: false });
 * await app.listen({ port: 8080 });
 */
export function createHttpApp(deps: HttpAppDeps): FastifyInstance {
  const app = Fastify({
    // pino's Logger is Fastify's logger; only the generic parameters differ.
    loggerInstance: deps.logger as unknown as FastifyBaseLogger,
    bodyLimit: deps.bodyLimitBytes,
    // Trust exactly that many hops (proxy-addr counts from the socket address).
    trustProxy:
      deps.trustedProxyHops > 0 ? (_address: string, hop: number) => hop < deps.trustedProxyHops : false,
    requestIdHeader: 'x-request-id',
    // Errors raised before any route runs answer in Parley's shape too (docs: docs/api.md, "Errors").
    clientErrorHandler,
    frameworkErrors: errorHandler,
  });
  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler((request, reply) =>
    sendError(reply, new ParleyError('not_found', `no route ${request.method} ${request.url.split('?')[0]}`)),
  );
  // Each request is a server span of its caller's trace (the `traceparent` header) or of a new one:
  // the events it produces and the gRPC calls it makes carry it (docs/operations.md, "Tracing").
  const spans = new WeakMap<object, OpenSpan>();
  app.addHook('onRequest', (request, _reply, done) => {
    const route = request.routeOptions.url;
    const { traceparent, tracestate } = request.headers;
    const span = openSpan(route ? `${request.method} ${route}` : request.method, {
      kind: 'server',
      parent: contextOfHeaders({
        traceparent: typeof traceparent === 'string' ? traceparent : undefined,
        tracestate: typeof tracestate === 'string' ? tracestate : undefined,
      }),
      // The route's pattern, never the URL: a query string may carry what no trace should keep.
      attributes: {
        'http.request.method': request.method,
        'url.scheme': request.protocol,
        ...(route ? { 'http.route': route } : {}),
      },
    });
    spans.set(request, span);
    // A WebSocket's upgrade request is answered by its route, not by Fastify: its span is the stream's.
    if (request.headers.upgrade?.toLowerCase() === 'websocket')
      request.raw.socket.once('close', () => span.end());
    span.run(done);
  });
  app.addHook('onResponse', (request, reply, done) => {
    const span = spans.get(request);
    span?.span.setAttribute('http.response.status_code', reply.statusCode);
    span?.end(reply.statusCode >= 500 ? { code: String(reply.statusCode) } : undefined);
    done();
  });
  app.addHook('onRequestAbort', (request, done) => {
    spans.get(request)?.end({ code: 'aborted' });
    done();
  });
  const { onAnswered } = deps;
  if (onAnswered) {
    app.addHook('onResponse', (request, reply, done) => {
      onAnswered({
        method: request.method,
        route: request.routeOptions.url ?? 'unmatched',
        statusCode: reply.statusCode,
        seconds: reply.elapsedTime / 1000,
      });
      done();
    });
  }
  app.addHook('onRequest', async (request) => {
    const quota = deps.ipLimiter.take(ipRateLimitKey(request.ip, deps.ipv6RateLimitPrefix ?? 64));
    if (!quota.allowed) {
      throw new ParleyError('rate_limited', 'too many requests from this address', {
        context: { retryAfterSeconds: quota.retryAfterSeconds },
      });
    }
  });
  // Chat pages on the brand's own site call Parley cross-origin. Credentials travel in the
  // Authorization header (never cookies), so only the allowed origins, methods and headers are named.
  app.register(cors, {
    origin: deps.corsOrigins && deps.corsOrigins.length > 0 ? [...deps.corsOrigins] : false,
    methods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'],
    allowedHeaders: ['authorization', 'content-type', 'parley-tenant', 'x-request-id'],
    exposedHeaders: ['retry-after', 'x-request-id'],
    maxAge: 600,
  });
  app.register(websocket, {
    preClose: closeStreamsOnShutdown(),
    options: {
      maxPayload: deps.bodyLimitBytes,
      handleProtocols: (protocols) => selectStreamProtocol(protocols),
    },
  });
  app.after(() => app.websocketServer.on('wsClientError', webSocketHandshakeError));
  const routeDeps = { ...deps, sessionQuota: createSessionQuota({ limiter: deps.sessionLimiter }) };
  // Every route is registered in this plugin, so an `onRoute` hook added before `ready()` sees them all.
  app.register(async (scoped) => {
    scoped.get('/openapi.json', async () => openApiDocument);
    scoped.get('/asyncapi.json', async () => asyncApiDocument);
    registerCustomerRoutes(scoped, routeDeps);
    registerStreamRoute(scoped, routeDeps);
    registerBotRoutes(scoped, deps);
    registerAgentRoutes(scoped, deps);
    registerChannelRoutes(scoped, deps);
    registerApiKeyRoutes(scoped, deps);
    registerWebhookRoutes(scoped, deps);
    registerBotEventsRoute(scoped, deps);
  });
  return app;
}
