import { randomUUID } from 'node:crypto';
import { ParleyError } from '@parley/errors';
import { type AuthServiceDefinition, fromStruct, type ServiceClient } from '@parley/grpc';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { ConnectionRegistry } from '../domain/connection-registry.js';
import type { SessionEndedAnnouncer } from '../domain/session-ended-announcer.js';
import type { SessionQuota } from '../domain/session-quota.js';
import { type MessageSender, outgoingMessage } from './message-sender.js';
import { bearer, parse } from './request-parsing.js';

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
  readonly sessionQuota: SessionQuota;
  readonly sessionEnded: SessionEndedAnnouncer;
  readonly connections: ConnectionRegistry;
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
  const { auth, sendMessage, sessionQuota, sessionEnded, connections } = deps;

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
    sessionQuota.take(sessionToken, 'messages');
    const body = parse(outgoingMessage, request.body);
    const traceparent =
      typeof request.headers.traceparent === 'string' ? request.headers.traceparent : undefined;
    const { messageId, threadId, session } = await sendMessage(sessionToken, body, traceparent);
    sessionQuota.learn(sessionToken, session.sessionId);
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
    const whose = {
      tenantId: ended.tenantId,
      customerKey: ended.customerKey,
      deviceId: ended.deviceId,
      allDevices: allDevices === 'true',
      ...(ended.sessionId ? { sessionId: ended.sessionId } : {}),
    };
    // This pod's streams of the ended sessions close at once; other pods' on the event (README).
    connections.endSessions(whose);
    // The logout has happened whatever Kafka does; its event follows at least once (announcer).
    await sessionEnded.announce({
      sessionEventId: randomUUID(),
      threadId: ended.threadId,
      ...whose,
      sessionsEnded: ended.sessionsEnded,
      reason: 'customer_logout',
      endedAt: new Date().toISOString(),
    });
    return { sessionsEnded: ended.sessionsEnded, revokedAtBrand: ended.revokedAtBrand };
  });
}
