import { randomUUID } from 'node:crypto';
import { ParleyError } from '@parley/errors';
import { type AuthServiceDefinition, fromStruct, type ServiceClient } from '@parley/grpc';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { RateLimiter } from '../domain/rate-limiter.js';
import type { SessionEndedAnnouncer } from '../domain/session-ended-announcer.js';
import { type MessageSender, outgoingMessage } from './message-sender.js';
import { bearer, parse, takeSessionQuota } from './request-parsing.js';

const identifier = z
  .string()
  .regex(/^[A-Za-z0-9._-]{1,64}$/, 'letters, digits, dot, dash, underscore; at most 64');

const sessionBody = z
  .object({
    code: z.string().min(1).max(2048),
    redirectUri: z.string().min(1).max(2048),
    codeVerifier: z.string().max(128).optional(),
    iss: z.string().max(512).optional(),
    device: z.object({ id: z.string().min(1).max(128), platform: z.enum(['web', 'ios', 'android']) }),
  })
  .strict();

export interface CustomerRouteDeps {
  readonly auth: ServiceClient<AuthServiceDefinition>;
  readonly sendMessage: MessageSender;
  readonly sessionLimiter: RateLimiter;
  readonly sessionEnded: SessionEndedAnnouncer;
}

/** The tenant of a public chat request: chat pages and SDKs send it in `Parley-Tenant`. */
function tenantOf(headers: Record<string, unknown>): string {
  const tenant = headers['parley-tenant'];
  const parsed = identifier.safeParse(tenant);
  if (!parsed.success)
    throw new ParleyError('invalid_argument', 'the Parley-Tenant header is missing or malformed');
  return parsed.data;
}

/** The chat frontends' API: sign in with a code, send messages, log out. */
export function registerCustomerRoutes(app: FastifyInstance, deps: CustomerRouteDeps): void {
  const { auth, sendMessage, sessionLimiter, sessionEnded } = deps;

  app.post<{ Params: { channelId: string } }>('/v1/channels/:channelId/sessions', async (request, reply) => {
    const tenantId = tenantOf(request.headers);
    const channelId = parse(identifier, request.params.channelId, 'channelId');
    const body = parse(sessionBody, request.body);
    const session = await auth.call.ExchangeCode({ tenantId, channelId, ...body });
    const customer = session.customer;
    return reply.status(201).send({
      sessionToken: session.sessionToken,
      expiresAt: session.expiresAt,
      customer: {
        key: customer?.customerKey,
        id: customer?.id,
        name: customer?.name || null,
        customFields: fromStruct(customer?.customFields),
      },
      thread: { id: session.threadId },
    });
  });

  app.post('/v1/messages', async (request, reply) => {
    const sessionToken = bearer(request);
    takeSessionQuota(sessionLimiter, sessionToken, 'messages');
    const body = parse(outgoingMessage, request.body);
    const traceparent =
      typeof request.headers.traceparent === 'string' ? request.headers.traceparent : undefined;
    const { messageId, threadId } = await sendMessage(sessionToken, body, traceparent);
    return reply.status(202).send({ messageId, threadId });
  });

  app.delete<{ Querystring: { allDevices?: string } }>('/v1/session', async (request) => {
    const sessionToken = bearer(request);
    const { allDevices } = parse(
      z.object({ allDevices: z.enum(['true', 'false']).default('false') }),
      request.query,
      'query',
    );
    const ended = await auth.call.RevokeSession({ sessionToken, allDevices: allDevices === 'true' });
    // The logout has happened whatever Kafka does; its event follows at least once (announcer).
    await sessionEnded.announce({
      sessionEventId: randomUUID(),
      tenantId: ended.tenantId,
      customerKey: ended.customerKey,
      threadId: ended.threadId,
      deviceId: ended.deviceId,
      allDevices: allDevices === 'true',
      sessionsEnded: ended.sessionsEnded,
      reason: 'customer_logout',
      endedAt: new Date().toISOString(),
    });
    return { sessionsEnded: ended.sessionsEnded, revokedAtBrand: ended.revokedAtBrand };
  });
}
