import { createHash } from 'node:crypto';
import type { EventProducer } from '@parley/bus';
import { limits } from '@parley/contracts';
import { ParleyError } from '@parley/errors';
import { type AuthServiceDefinition, fromStruct, type ServiceClient } from '@parley/grpc';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { deriveMessageId } from '../domain/message-ids.js';
import type { RateLimiter } from '../domain/rate-limiter.js';
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

const messageBody = z
  .object({
    clientMessageId: z
      .string()
      .regex(/^[A-Za-z0-9._:-]{1,128}$/, 'letters, digits, dot, dash, colon, underscore; at most 128'),
    text: z
      .string()
      .min(1, 'text must not be empty')
      .max(limits.textMaxLength, `text must be at most ${limits.textMaxLength} characters`),
  })
  .strict();

export interface CustomerRouteDeps {
  readonly auth: ServiceClient<AuthServiceDefinition>;
  readonly producer: EventProducer;
  readonly sessionLimiter: RateLimiter;
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
  const { auth, producer, sessionLimiter } = deps;

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
    // Limited per session before auth is asked, so a flood never reaches the brand.
    const quota = sessionLimiter.take(createHash('sha256').update(sessionToken).digest('base64url'));
    if (!quota.allowed)
      throw new ParleyError('rate_limited', 'too many messages from this session', {
        context: { retryAfterSeconds: quota.retryAfterSeconds },
      });
    const body = parse(messageBody, request.body);
    const session = await auth.call.AuthorizeMessage({ sessionToken });
    const messageId = deriveMessageId({
      tenantId: session.tenantId,
      threadId: session.threadId,
      clientMessageId: body.clientMessageId,
    });
    await producer.publish(
      'chat.messages.received.v1',
      {
        messageId,
        clientMessageId: body.clientMessageId,
        tenantId: session.tenantId,
        channelId: session.channelId,
        threadId: session.threadId,
        customerKey: session.customerKey,
        deviceId: session.deviceId,
        text: body.text,
        sentAt: new Date().toISOString(),
      },
      // The same message twice is one event id too, so consumers can tell.
      {
        id: messageId,
        ...(typeof request.headers.traceparent === 'string'
          ? { traceparent: request.headers.traceparent }
          : {}),
      },
    );
    return reply.status(202).send({ messageId, threadId: session.threadId });
  });

  app.delete<{ Querystring: { allDevices?: string } }>('/v1/session', async (request) => {
    const sessionToken = bearer(request);
    const { allDevices } = parse(
      z.object({ allDevices: z.enum(['true', 'false']).default('false') }),
      request.query,
      'query',
    );
    return auth.call.RevokeSession({ sessionToken, allDevices: allDevices === 'true' });
  });
}
