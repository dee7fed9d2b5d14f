import type { EventProducer } from '@parley/bus';
import {
  identifiers,
  logoutQuery,
  type MessageAccepted,
  sendMessageRequest,
  signInRequest,
  syncQuery,
} from '@parley/contracts';
import { ParleyError } from '@parley/errors';
import type { FastifyInstance } from 'fastify';
import { admitCustomerMessage, sendCustomerMessage } from '../domain/customer-messages.js';
import { logOut, signIn } from '../domain/customer-sessions.js';
import { customerOwnData } from '../domain/customers.js';
import { parse } from '../domain/input.js';
import type { AuthPort, ConnectionRegistry, HistoryPort } from '../domain/ports.js';
import type { SessionEndedAnnouncer } from '../domain/session-ended-announcer.js';
import type { SessionQuota } from '../domain/session-quota.js';
import { syncThread } from '../domain/thread-sync.js';
import { bearer } from './credentials.js';

export interface CustomerRouteDeps {
  readonly auth: AuthPort;
  readonly history: HistoryPort;
  readonly producer: EventProducer;
  readonly sessionQuota: SessionQuota;
  readonly sessionEnded: SessionEndedAnnouncer;
  readonly connections: ConnectionRegistry;
}

/** The tenant of a public chat request: chat pages and SDKs send it in `Parley-Tenant`. */
function tenantOf(headers: Record<string, unknown>): string {
  const tenant = headers['parley-tenant'];
  const parsed = identifiers.tenantId.safeParse(tenant);
  if (!parsed.success)
    throw new ParleyError('invalid_argument', 'the Parley-Tenant header is missing or malformed');
  return parsed.data;
}

/** The chat frontends' API: sign in with a code, send messages, sync, their own data, log out. */
export function registerCustomerRoutes(app: FastifyInstance, deps: CustomerRouteDeps): void {
  app.post<{ Params: { channelId: string } }>('/v1/channels/:channelId/sessions', async (request, reply) => {
    const tenantId = tenantOf(request.headers);
    const channelId = parse(identifiers.channelId, request.params.channelId, 'channelId');
    const body = parse(signInRequest, request.body);
    return reply.status(201).send(await signIn(deps, { tenantId, channelId }, body));
  });

  app.post('/v1/messages', async (request, reply) => {
    const sessionToken = bearer(request);
    admitCustomerMessage(deps, sessionToken);
    const body = parse(sendMessageRequest, request.body);
    const { messageId, threadId } = await sendCustomerMessage(deps, sessionToken, body);
    const accepted: MessageAccepted = { messageId, threadId };
    return reply.status(202).send(accepted);
  });

  // Every sync asks the brand again (through auth) and reads the store: nothing is cached.
  app.get('/v1/thread/messages', async (request) => {
    const query = parse(syncQuery, request.query, 'query');
    return syncThread(deps, bearer(request), query);
  });

  app.get('/v1/thread/customer', async (request) => customerOwnData(deps, bearer(request)));

  app.delete<{ Querystring: { allDevices?: string } }>('/v1/session', async (request) => {
    const sessionToken = bearer(request);
    const { allDevices } = parse(logoutQuery, request.query, 'query');
    return logOut(deps, sessionToken, allDevices === 'true');
  });
}
