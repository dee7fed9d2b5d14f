import { ParleyError } from '@parley/errors';
import { failClosed } from './customer-sessions.js';
import type { AuthDomainDeps } from './deps.js';

export interface AccessTokenRequest {
  readonly tenantId: string;
  readonly customerKey: string;
  readonly caller: { readonly kind: string; readonly id: string; readonly reason: string };
}

/**
 * GetAccessToken: a current brand access token for enrichment or an authorized bot. Only the
 * given tenant's customers are visible, and every token handed out is audited.
 */
export function createAccessTokenIssuer(deps: AuthDomainDeps) {
  const { channels, credentials, refresher, audit, clock } = deps;
  return async function getAccessToken(request: AccessTokenRequest) {
    const { tenantId, customerKey, caller } = request;
    if (caller.kind !== 'service' && caller.kind !== 'bot')
      throw new ParleyError('invalid_argument', 'caller.kind must be service or bot');
    if (!caller.id || caller.id.length > 128)
      throw new ParleyError('invalid_argument', 'caller.id is required (at most 128 characters)');
    if (!caller.reason || caller.reason.length > 256)
      throw new ParleyError('invalid_argument', 'caller.reason is required (at most 256 characters)');
    const stored = await credentials.find(tenantId, customerKey);
    if (!stored) throw new ParleyError('not_found', 'no signed-in customer with that key in this tenant');
    const channel = await channels.find(tenantId, stored.channelId);
    if (!channel) throw new ParleyError('not_found', 'the customer’s channel is no longer configured');
    let current = stored;
    try {
      current = await refresher.fresh(channel, stored);
    } catch (error) {
      failClosed(error);
    }
    await audit.record({
      tenantId,
      customerKey,
      caller: { kind: caller.kind, id: caller.id },
      reason: caller.reason,
      action: 'access_token_issued',
      at: clock.now(),
    });
    return { accessToken: current.accessToken, tokenType: 'Bearer', expiresAt: current.accessTokenExpiresAt };
  };
}

/**
 * RevokeSession (logout): ends this device's session, or all of the customer's. When no session is
 * left, the refresh token is revoked at the brand (RFC 7009) and the credentials are deleted.
 */
export function createLogout(deps: AuthDomainDeps) {
  const { channels, credentials, sessions, brand, sessionTokens } = deps;
  return async function revokeSession(sessionToken: string, allDevices: boolean) {
    const claims = await sessionTokens.verify(sessionToken);
    const { tenantId, customerKey } = claims;
    let sessionsEnded: number;
    if (allDevices) {
      sessionsEnded = await sessions.deleteAllOfCustomer(tenantId, customerKey);
    } else {
      const session = await sessions.find(tenantId, claims.sessionId);
      if (!session) throw new ParleyError('unauthenticated', 'the session has ended');
      await sessions.delete(tenantId, claims.sessionId);
      sessionsEnded = 1;
    }
    if ((await sessions.countOfCustomer(tenantId, customerKey)) > 0)
      return { sessionsEnded, revokedAtBrand: false };
    const stored = await credentials.find(tenantId, customerKey);
    let revokedAtBrand = false;
    if (stored) {
      const channel = await channels.find(tenantId, stored.channelId);
      const token = stored.refreshToken ?? stored.accessToken;
      // Logging out must work while the brand is down: the local credentials go regardless.
      if (channel)
        revokedAtBrand = await brand
          .revoke(channel, token, stored.refreshToken ? 'refresh_token' : 'access_token')
          .catch(() => false);
      await credentials.delete(tenantId, customerKey);
    }
    return { sessionsEnded, revokedAtBrand };
  };
}
