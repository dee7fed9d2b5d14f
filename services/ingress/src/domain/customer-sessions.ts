import { randomUUID } from 'node:crypto';
import type { LogoutResponse, SignInRequest, SignInResponse } from '@parley/contracts';
import { ParleyError } from '@parley/errors';
import type { AuthorizedSession, AuthPort, ConnectionRegistry } from './ports.js';
import type { SessionEndedAnnouncer } from './session-ended-announcer.js';
import type { SessionQuota } from './session-quota.js';

export interface SessionCheckDeps {
  readonly auth: AuthPort;
  readonly sessionQuota: SessionQuota;
}

/**
 * The session of a customer request, checked with the brand (through auth) every time. Every such
 * check counts against the session's limit (`what` names it in the refusal), taken before auth is
 * asked. The one check of syncs, customer-data reads, stream connects and stream re-checks.
 */
export async function authorizeCustomerSession(
  deps: SessionCheckDeps,
  sessionToken: string,
  what: string,
): Promise<AuthorizedSession> {
  deps.sessionQuota.take(sessionToken, what);
  const session = await deps.auth.authorizeSession(sessionToken);
  deps.sessionQuota.learn(sessionToken, session.sessionId);
  return session;
}

/** Signs a customer in with the brand's code: a session token, the customer and their thread. */
export async function signIn(
  deps: { readonly auth: AuthPort },
  where: { readonly tenantId: string; readonly channelId: string },
  request: SignInRequest,
): Promise<SignInResponse> {
  const session = await deps.auth.exchangeCode({ ...where, ...request });
  const customer = session.customer;
  // Auth answers every session with its customer; without one there is nothing to sign in as.
  if (!customer) throw new ParleyError('server_error', 'auth answered a session without its customer');
  return {
    sessionToken: session.sessionToken,
    expiresAt: session.expiresAt,
    customer: {
      key: customer.customerKey,
      id: customer.id,
      name: customer.name || null,
      customFields: { ...customer.customFields },
    },
    thread: { id: session.threadId },
  };
}

export interface LogoutDeps {
  readonly auth: AuthPort;
  readonly connections: ConnectionRegistry;
  readonly sessionEnded: SessionEndedAnnouncer;
}

/** Ends a session (or every session of the device's customer) at auth and the brand. */
export async function logOut(
  deps: LogoutDeps,
  sessionToken: string,
  allDevices: boolean,
): Promise<LogoutResponse> {
  const ended = await deps.auth.revokeSession({ sessionToken, allDevices });
  const whose = {
    tenantId: ended.tenantId,
    customerKey: ended.customerKey,
    deviceId: ended.deviceId,
    allDevices,
    ...(ended.sessionId ? { sessionId: ended.sessionId } : {}),
  };
  // This pod's streams of the ended sessions close at once; other pods' on the event (docs/api.md).
  deps.connections.endSessions(whose);
  // The logout has happened whatever Kafka does; its event follows at least once (announcer).
  await deps.sessionEnded.announce({
    sessionEventId: randomUUID(),
    threadId: ended.threadId,
    ...whose,
    sessionsEnded: ended.sessionsEnded,
    reason: 'customer_logout',
    endedAt: new Date().toISOString(),
  });
  return { sessionsEnded: ended.sessionsEnded, revokedAtBrand: ended.revokedAtBrand };
}
