import type { EventProducer } from '@parley/bus';
import { ParleyError } from '@parley/errors';
import {
  type AuthServiceDefinition,
  fromStruct,
  type HistoryServiceDefinition,
  type ServiceClient,
  toStruct,
} from '@parley/grpc';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { deriveMessageId } from '../domain/message-ids.js';
import type { SessionQuota } from '../domain/session-quota.js';
import { type ApiKeyAccess, requireApiKey } from './admin-routes.js';
import { outgoingMessage } from './message-sender.js';
import { bearer, parse } from './request-parsing.js';

export interface ThreadRouteDeps extends ApiKeyAccess {
  readonly auth: ServiceClient<AuthServiceDefinition>;
  readonly history: ServiceClient<HistoryServiceDefinition>;
  readonly producer: EventProducer;
  readonly sessionQuota: SessionQuota;
}

const identifier = z
  .string()
  .regex(/^[A-Za-z0-9._-]{1,128}$/, 'letters, digits, dot, dash, underscore; at most 128');
const syncQuery = z
  .object({
    after: z.coerce.number().int().min(0).default(0),
    limit: z.coerce.number().int().min(1).max(200).default(50),
  })
  .strict();

type SyncPage = Awaited<ReturnType<ServiceClient<HistoryServiceDefinition>['call']['Sync']>>;

/** A page of history as clients see it. */
export function syncPage(page: SyncPage) {
  return {
    threadId: page.threadId,
    messages: page.messages.map((message) => ({
      messageId: message.messageId,
      seq: message.seq,
      author: {
        kind: message.author?.kind,
        id: message.author?.id,
        ...(message.author?.name ? { name: message.author.name } : {}),
      },
      ...(message.deviceId ? { deviceId: message.deviceId } : {}),
      text: message.text,
      sentAt: message.sentAt,
      storedAt: message.storedAt,
      ...(message.customerData?.status
        ? {
            customerData: {
              status: message.customerData.status,
              ...(message.customerData.reason ? { reason: message.customerData.reason } : {}),
            },
          }
        : {}),
    })),
    lastSeq: page.lastSeq,
    hasMore: page.hasMore,
  };
}

/** Sync for devices, and the bot and agent APIs that address threads and customers. */
export function registerThreadRoutes(app: FastifyInstance, deps: ThreadRouteDeps): void {
  const { auth, history, producer, sessionQuota } = deps;

  /** The session of a customer request, checked with the brand (through auth) every time. */
  async function authorizedSession(request: FastifyRequest) {
    const sessionToken = bearer(request);
    // Every such request reaches the brand: it counts against the session's limit like a message.
    sessionQuota.take(sessionToken, 'requests');
    const session = await auth.call.AuthorizeMessage({ sessionToken });
    sessionQuota.learn(sessionToken, session.sessionId);
    return session;
  }

  // Every sync asks the brand again (through auth) and reads the store: nothing is cached.
  app.get('/v1/thread/messages', async (request) => {
    const query = parse(syncQuery, request.query, 'query');
    const session = await authorizedSession(request);
    const page = await history.call.Sync({
      tenantId: session.tenantId,
      customerKey: session.customerKey,
      threadId: session.threadId,
      afterSeq: query.after,
      limit: query.limit,
    });
    return syncPage(page);
  });

  // The customer's own data as the brand gave it with their latest message (OAuth-managed fields
  // only: what agents note about a customer is not shown to the customer).
  app.get('/v1/thread/customer', async (request) => {
    const session = await authorizedSession(request);
    const profile = await history.call.GetCustomer({
      tenantId: session.tenantId,
      customerKey: session.customerKey,
    });
    const view = customerView(profile);
    const fromBrand = Object.entries(view.customFields).filter(([, field]) => field.source === 'oauth');
    return {
      id: view.id,
      name: view.name,
      customFields: Object.fromEntries(fromBrand.map(([name, field]) => [name, field.value])),
      fetchedAt: fromBrand[0]?.[1].fetchedAt ?? null,
    };
  });

  app.post<{ Params: { threadId: string } }>('/v1/bot/token', async (request) => {
    const key = await requireApiKey(request, deps, 'bot');
    const body = parse(
      z
        .object({
          threadId: identifier,
          channelId: identifier.optional(),
          reason: z.string().min(1).max(256),
        })
        .strict(),
      request.body,
    );
    const thread = await history.call.GetThread({ tenantId: key.tenantId, threadId: body.threadId });
    // Audited by auth: which bot, for which customer, why. The token is of the thread's channel.
    const token = await auth.call.GetAccessToken({
      tenantId: key.tenantId,
      customerKey: thread.customerKey,
      threadId: body.threadId,
      ...(body.channelId ? { channelId: body.channelId } : {}),
      caller: { kind: 'bot', id: `${key.name} (${key.keyId})`, reason: body.reason },
    });
    return { accessToken: token.accessToken, tokenType: token.tokenType, expiresAt: token.expiresAt };
  });

  app.post<{ Params: { threadId: string } }>('/v1/threads/:threadId/messages', async (request, reply) => {
    const key = await requireApiKey(request, deps, 'bot');
    const threadId = parse(identifier, request.params.threadId, 'threadId');
    const body = parse(outgoingMessage, request.body);
    const thread = await history.call.GetThread({ tenantId: key.tenantId, threadId });
    const messageId = deriveMessageId({
      tenantId: key.tenantId,
      threadId,
      author: { kind: 'bot', keyId: key.keyId },
      clientMessageId: body.clientMessageId,
    });
    await producer.publish(
      'chat.messages.outbound.v1',
      {
        messageId,
        tenantId: key.tenantId,
        threadId,
        customerKey: thread.customerKey,
        author: { kind: 'bot', id: key.keyId, name: key.name },
        text: body.text,
        sentAt: new Date().toISOString(),
      },
      { id: messageId },
    );
    return reply.status(202).send({ messageId, threadId });
  });

  app.get<{ Params: { customerKey: string } }>('/v1/customers/:customerKey', async (request) => {
    const key = await requireApiKey(request, deps, 'agent');
    return customerView(
      await history.call.GetCustomer({
        tenantId: key.tenantId,
        customerKey: parse(identifier, request.params.customerKey, 'customerKey'),
      }),
    );
  });

  app.patch<{ Params: { customerKey: string } }>('/v1/customers/:customerKey/fields', async (request) => {
    const key = await requireApiKey(request, deps, 'agent');
    const customerKey = parse(identifier, request.params.customerKey, 'customerKey');
    const fields = parse(
      z.record(z.string().max(64), z.union([z.string().max(2000), z.number(), z.boolean(), z.null()])),
      request.body,
    );
    if (Object.keys(fields).length === 0)
      throw new ParleyError('invalid_argument', 'send at least one field');
    const profile = await history.call.UpdateCustomerFields({
      tenantId: key.tenantId,
      customerKey,
      fields: toStruct(fields),
      agentId: key.keyId,
    });
    return customerView(profile);
  });
}

type Profile = Awaited<ReturnType<ServiceClient<HistoryServiceDefinition>['call']['GetCustomer']>>;

function customerView(profile: Profile) {
  return {
    customerKey: profile.customerKey,
    id: profile.id || null,
    name: profile.name || null,
    customFields: Object.fromEntries(
      profile.customFields.map((field) => [
        field.name,
        {
          value: fromStruct({ fields: field.value ? { value: field.value } : {} }).value ?? null,
          source: field.source,
          // OAuth-managed fields are read-only here: change them at the origin.
          readOnly: field.source === 'oauth',
          ...(field.fetchedAt ? { fetchedAt: field.fetchedAt } : {}),
          updatedAt: field.updatedAt,
        },
      ]),
    ),
  };
}
