import { ParleyError } from '@parley/errors';
import { currentCredentials } from './customer-data-access.js';
import type { AuthDomainDeps } from './deps.js';

export interface AccessTokenRequest {
  readonly tenantId: string;
  readonly customerKey: string;
  /** The service asking, as its client certificate proves it: what the audit names. */
  readonly service: string;
  /**
   * What the request says: `kind` service (its `id` is not trusted, `service` is), or bot with the
   * bot's `id`; and why the token is wanted.
   */
  readonly caller: { readonly kind: string; readonly id: string; readonly reason: string };
  /** The channel whose OAuth client's token is wanted. */
  readonly channelId?: string;
  /** Or the thread (a bot's): the channel of the customer's live sessions on it. */
  readonly threadId?: string;
}

/** The one service that speaks for bots: it authenticates their API keys at the edge. */
const botEdge = 'ingress';

/**
 * The channel whose credentials a GetAccessToken request wants: the one it names, the one the
 * customer's live sessions on its thread use, or the only one the customer holds credentials for.
 * Never "the newest of any channel": a token is bound to the client of its channel.
 */
async function channelOfRequest(deps: AuthDomainDeps, request: AccessTokenRequest): Promise<string | null> {
  const { tenantId, customerKey, channelId, threadId } = request;
  if (threadId) {
    const ofThread = await deps.sessions.channelsOfThread(tenantId, customerKey, threadId);
    if (channelId) return ofThread.includes(channelId) ? channelId : null;
    if (ofThread.length > 1) {
      throw new ParleyError(
        'invalid_argument',
        `the thread is open in channels ${ofThread.join(', ')}: name the channel (channelId)`,
      );
    }
    return ofThread[0] ?? null;
  }
  if (channelId) return channelId;
  const held = await deps.credentials.findAllOfCustomer(tenantId, customerKey);
  if (held.length > 1) {
    throw new ParleyError(
      'invalid_argument',
      'the customer is signed in on several channels: name the channel (channelId) or the thread (threadId)',
    );
  }
  return held[0]?.channelId ?? null;
}

/**
 * GetAccessToken: a current brand access token for an authorized bot (through ingress), for a
 * customer who is signed in (a live session) in this tenant, from the credentials of the channel
 * the request names (directly or by its thread). Every token handed out is audited with the
 * service that proved who it is, and the bot ingress asked for.
 */
export function createAccessTokenIssuer(deps: AuthDomainDeps) {
  const { audit, clock } = deps;
  /** `signal`: the caller's; once it fires the wait for a refresh stops (TokenRefresher). */
  return async function getAccessToken(request: AccessTokenRequest, signal?: AbortSignal) {
    const { tenantId, customerKey, service, caller } = request;
    if (caller.kind !== 'service' && caller.kind !== 'bot')
      throw new ParleyError('invalid_argument', 'caller.kind must be service or bot');
    // A refusal of the calling service for who it is, audited as the method table's refusals are.
    if (caller.kind === 'bot' && service !== botEdge)
      throw new ParleyError('permission_denied', `only ${botEdge} asks for a bot's access token`, {
        context: { refusedCaller: service },
      });
    if (caller.kind === 'bot' && (!caller.id || caller.id.length > 128))
      throw new ParleyError('invalid_argument', 'caller.id (the bot) is required (at most 128 characters)');
    if (!caller.reason || caller.reason.length > 256) {
      throw new ParleyError('invalid_argument', 'caller.reason is required (at most 256 characters)');
    }
    const notSignedIn = () =>
      new ParleyError('not_found', 'no signed-in customer with that key in this tenant');
    if ((request.channelId?.length ?? 0) > 64 || (request.threadId?.length ?? 0) > 128)
      throw new ParleyError(
        'invalid_argument',
        'channelId (at most 64) or threadId (at most 128) is too long',
      );
    const channelId = await channelOfRequest(deps, request);
    if (!channelId) throw notSignedIn();
    const { credentials: current } = await currentCredentials(
      deps,
      { tenantId, customerKey, channelId },
      signal,
    );
    await audit.record({
      tenantId,
      customerKey,
      caller: { kind: 'service', id: service },
      ...(caller.kind === 'bot' ? { botId: caller.id } : {}),
      reason: caller.reason,
      action: 'access_token_issued',
      at: clock.now(),
    });
    return { accessToken: current.accessToken, tokenType: 'Bearer', expiresAt: current.accessTokenExpiresAt };
  };
}

/**
 * RevokeSession (logout): ends this device's session, or all of the customer's. Credentials left
 * without a session are revoked at the brand (RFC 7009) and deleted — under the refresh lock, so a
 * refresh in flight cannot bring them back.
 */
export function createLogout(deps: AuthDomainDeps) {
  const { channels, credentials, sessions, brand, refresher, sessionTokens } = deps;
  return async function revokeSession(sessionToken: string, allDevices: boolean) {
    const claims = await sessionTokens.verify(sessionToken);
    const { tenantId, customerKey } = claims;
    // A token of a session that already ended logs nothing out, not even with allDevices.
    const session = await sessions.find(tenantId, claims.sessionId);
    if (!session || session.customerKey !== customerKey)
      throw new ParleyError('unauthenticated', 'the session has ended');
    let sessionsEnded = 1;
    if (allDevices) sessionsEnded = await sessions.deleteAllOfCustomer(tenantId, customerKey);
    else await sessions.delete(tenantId, session.sessionId);

    let revokedAtBrand = false;
    for (const stored of await credentials.findAllOfCustomer(tenantId, customerKey)) {
      if ((await sessions.countOfCustomer(tenantId, customerKey, stored.channelId)) > 0) continue;
      await refresher.withLock(stored, async () => {
        const latest = await credentials.find(tenantId, customerKey, stored.channelId);
        if (!latest) return;
        const channel = await channels.find(tenantId, latest.channelId);
        // Logging out must work while the brand is down: the local credentials go regardless.
        if (channel) {
          const refreshToken = await latest.openRefreshToken?.();
          const revoked = await brand
            .revoke(
              channel,
              refreshToken ?? latest.accessToken,
              refreshToken ? 'refresh_token' : 'access_token',
            )
            .catch(() => false);
          revokedAtBrand ||= revoked;
        }
        await credentials.delete(tenantId, customerKey, latest.channelId);
      });
    }
    // Whose session ended, for the session.ended event ingress publishes.
    const { threadId, deviceId, sessionId } = session;
    return { sessionsEnded, revokedAtBrand, tenantId, customerKey, threadId, deviceId, sessionId };
  };
}
