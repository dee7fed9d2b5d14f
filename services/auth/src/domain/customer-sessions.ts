import { randomBytes } from 'node:crypto';
import { identifiers } from '@parley/contracts';
import { type CustomerData, customerDataOf, mapCustomer } from '@parley/customer-mapping';
import { ParleyError, throwIfCallerGone } from '@parley/errors';
import type { AuthDomainDeps } from './deps.js';
import { deriveCustomerKey, threadIdFor } from './identity.js';
import type { CustomerProfile } from './model.js';
import type { TokenSet } from './ports.js';

export interface ExchangeCodeRequest {
  readonly tenantId: string;
  readonly channelId: string;
  readonly code: string;
  readonly redirectUri: string;
  readonly codeVerifier?: string;
  /** RFC 9207 `iss` from the authorization response, when the brand sent one. */
  readonly iss?: string;
  readonly device: { readonly id: string; readonly platform: string };
}

export interface AuthorizedSession {
  readonly tenantId: string;
  readonly channelId: string;
  readonly customerKey: string;
  readonly deviceId: string;
  readonly threadId: string;
  readonly sessionId: string;
  /** With `withCustomerData`: the message's customer data, fetched beside the introspection. */
  readonly customerData?: CustomerData;
}

export interface AuthorizeOptions {
  /** The caller's: once it fires, brand requests and the wait for a refresh stop. */
  readonly signal?: AbortSignal;
  /** For a message: fetch the customer data too (docs/architecture.md, "Customer data beside the introspection"). */
  readonly withCustomerData?: boolean;
}

const platforms = new Set(['web', 'ios', 'android']);
const brandTrouble = new Set([
  'brand_unavailable',
  'brand_error',
  'url_not_allowed',
  'deadline_exceeded',
  'dependency_unavailable',
]);

/**
 * While authorizing a message, any trouble reaching or understanding the brand refuses the message
 * with `auth_unavailable` (fail closed), never lets it through.
 */
export function failClosed(error: unknown): never {
  if (error instanceof ParleyError && brandTrouble.has(error.code)) {
    throw new ParleyError('auth_unavailable', 'the brand’s OAuth server could not confirm the customer', {
      cause: error,
      context: error.context,
    });
  }
  throw error;
}

function checkExchangeRequest(request: ExchangeCodeRequest): void {
  const problems: string[] = [];
  if (!request.code || request.code.length > 2048) problems.push('code: required, at most 2048 characters');
  if (request.codeVerifier && !/^[A-Za-z0-9._~-]{43,128}$/.test(request.codeVerifier)) {
    problems.push('codeVerifier: 43 to 128 characters of [A-Za-z0-9._~-] (RFC 7636)');
  }
  if (!identifiers.deviceId.safeParse(request.device.id).success)
    problems.push('device.id: letters, digits, dot, dash, underscore; at most 128');
  if (!platforms.has(request.device.platform)) problems.push('device.platform: web, ios or android');
  if (problems.length > 0)
    throw new ParleyError('invalid_argument', `invalid code exchange: ${problems.join('; ')}`);
}

/**
 * ExchangeCode: the authorization code becomes brand tokens (stored encrypted) and a Parley
 * session on this device, with the customer's data fetched once. Once `signal` (the caller's)
 * fires, no brand request starts and the one in flight is abandoned; tokens the brand granted are
 * then revoked, and once they are checked the sign-in completes.
 */
export function createCodeExchange(deps: AuthDomainDeps) {
  const { channels, credentials, sessions, brand, refresher, sessionTokens, clock, sessionTtlSeconds } = deps;
  const { sessionIdleTimeoutSeconds } = deps;
  return async function exchangeCode(request: ExchangeCodeRequest, signal?: AbortSignal) {
    checkExchangeRequest(request);
    const channel = await channels.find(request.tenantId, request.channelId);
    if (!channel) throw new ParleyError('not_found', `channel ${request.channelId} is not configured`);
    // Exact match only (RFC 9700 §2.1): no prefixes, no wildcards.
    if (!channel.redirectUris.includes(request.redirectUri)) {
      throw new ParleyError('invalid_argument', 'redirectUri is not one of the channel’s redirect URIs');
    }
    if (!request.codeVerifier && !channel.allowWithoutPkce) {
      throw new ParleyError(
        'invalid_argument',
        'codeVerifier is required: the channel requires PKCE (RFC 7636)',
      );
    }
    // Mix-up defence (RFC 9207): a code from another authorization server is refused, and so is a
    // response without `iss` from a brand whose metadata says it always sends one.
    if (request.iss !== undefined && request.iss !== channel.issuer) {
      throw new ParleyError('unauthenticated', 'the authorization response came from another issuer');
    }
    if (request.iss === undefined) {
      let required: boolean;
      try {
        required = await brand.sendsAuthorizationResponseIss(channel.tenantId, channel.issuer, signal);
      } catch (error) {
        failClosed(error);
      }
      if (required) {
        throw new ParleyError(
          'unauthenticated',
          'iss is required: the brand sends it with every authorization response (RFC 9207)',
        );
      }
    }

    let tokens: TokenSet;
    let subject: string;
    let customer: CustomerProfile;
    try {
      throwIfCallerGone(signal);
      tokens = await brand.exchangeCode(channel, request);
    } catch (error) {
      // A refused code is the customer's to retry; only an unreachable brand is a 503.
      if (error instanceof ParleyError && error.code === 'brand_unavailable') failClosed(error);
      throw error;
    }
    try {
      const verdict = await brand.validate(channel, tokens.accessToken, signal);
      if (!verdict.active)
        throw new ParleyError('unauthenticated', 'the brand issued a token it does not accept');
      subject = verdict.subject;
      customer = mapCustomer(
        await brand.fetchCustomerData(channel, tokens.accessToken, signal),
        channel.mapping,
      );
    } catch (error) {
      // The grant is useless to Parley now: do not leave it alive at the brand.
      await brand
        .revoke(
          channel,
          tokens.refreshToken ?? tokens.accessToken,
          tokens.refreshToken ? 'refresh_token' : 'access_token',
        )
        .catch(() => false);
      if (error instanceof ParleyError && error.code === 'brand_unavailable') failClosed(error);
      throw error;
    }

    const now = clock.now();
    const customerKey = deriveCustomerKey(channel.tenantId, channel.issuer, subject);
    const key = { tenantId: channel.tenantId, customerKey, channelId: channel.channelId };
    const replaced = await refresher.withLock(key, async () => {
      const previous = await credentials.find(key.tenantId, key.customerKey, key.channelId);
      await credentials.save({
        ...key,
        subject,
        accessToken: tokens.accessToken,
        accessTokenExpiresAt: new Date(now.getTime() + tokens.expiresInSeconds * 1000),
        ...(tokens.refreshToken ? { refreshToken: tokens.refreshToken } : {}),
        ...(tokens.scope ? { scope: tokens.scope } : {}),
        version: (previous?.version ?? 0) + 1,
        updatedAt: now,
      });
      return previous;
    });
    // The customer's other devices move to the new grant; the one it replaces is revoked.
    const replacedRefreshToken = await replaced?.openRefreshToken?.();
    if (replacedRefreshToken && replacedRefreshToken !== tokens.refreshToken) {
      await brand.revoke(channel, replacedRefreshToken, 'refresh_token').catch(() => false);
    }

    const sessionId = randomBytes(18).toString('base64url');
    const expiresAt = new Date(now.getTime() + sessionTtlSeconds * 1000);
    const idleExpiresAt = idleExpiryFrom(now, sessionIdleTimeoutSeconds);
    const threadId = threadIdFor(
      { tenantId: channel.tenantId, customerKey, sessionId },
      channel.messagingMode,
    );
    await sessions.create({
      sessionId,
      tenantId: channel.tenantId,
      channelId: channel.channelId,
      customerKey,
      deviceId: request.device.id,
      platform: request.device.platform,
      threadId,
      createdAt: now,
      expiresAt,
      ...(idleExpiresAt ? { idleExpiresAt } : {}),
    });
    const sessionToken = await sessionTokens.issue({
      sessionId,
      tenantId: channel.tenantId,
      channelId: channel.channelId,
      customerKey,
      deviceId: request.device.id,
      expiresAt,
    });
    return { sessionToken, expiresAt, customer: { customerKey, ...customer }, threadId };
  };
}

/** A session's idle expiry moves forward at most once per this step (not a write per message). */
const idleStepMs = 60_000;

function idleExpiryFrom(now: Date, idleTimeoutSeconds: number): Date | undefined {
  return idleTimeoutSeconds > 0 ? new Date(now.getTime() + idleTimeoutSeconds * 1000) : undefined;
}

/** Ends a grant the brand refused: its credentials and every session that used them. */
export async function endGrant(
  deps: Pick<AuthDomainDeps, 'credentials' | 'sessions'>,
  grant: { tenantId: string; customerKey: string; channelId: string },
): Promise<void> {
  await deps.credentials.delete(grant.tenantId, grant.customerKey, grant.channelId);
  await deps.sessions.deleteAllOfCustomer(grant.tenantId, grant.customerKey, grant.channelId);
}

/**
 * AuthorizeSession, for every message and reconnect: the session must exist and not be idle past
 * its idle expiry (which each use moves forward, at most one write a minute), and the brand must
 * still accept the customer's access token (refreshed when expired or refused). A refused grant
 * ends every session that used it, with `reauthentication_required`. Once `signal` (the caller's)
 * fires, brand requests and the wait for a refresh stop (TokenRefresher).
 *
 * With `withCustomerData` (a message), the customer data is fetched with the same token at the
 * same time as the introspection, so the message's event leaves ingress enriched: the brand's two
 * round trips overlap, and the token never leaves auth. Data fetched with a token the brand then
 * refuses is dropped (a refreshed token fetches again).
 */
export function createMessageAuthorization(deps: AuthDomainDeps) {
  const { access, sessions, brand, refresher, sessionTokens, clock, metrics } = deps;
  const { sessionIdleTimeoutSeconds, customerDataAttempts } = deps;
  return async function authorizeSession(
    sessionToken: string,
    options: AuthorizeOptions = {},
  ): Promise<AuthorizedSession> {
    const { signal, withCustomerData = false } = options;
    const claims = await sessionTokens.verify(sessionToken);
    // The session, its channel and its credentials: one store read per message.
    const found = await access.session(claims.tenantId, claims.sessionId);
    const now = clock.now();
    if (
      !found ||
      found.session.customerKey !== claims.customerKey ||
      (found.session.idleExpiresAt && found.session.idleExpiresAt <= now)
    ) {
      throw new ParleyError('unauthenticated', 'the session has ended');
    }
    const { session, channel, credentials: stored } = found;
    if (!channel) throw new ParleyError('unauthenticated', 'the channel is no longer configured');
    if (!stored) throw new ParleyError('reauthentication_required', 'the customer must sign in again');
    let customerData: Promise<CustomerData> | undefined;
    // Both of the brand's round trips at once; the data waits for the verdict on its token.
    const check = async (accessToken: string) => {
      customerData = withCustomerData
        ? customerDataOf(
            async () => ({
              data: await brand.fetchCustomerData(channel, accessToken, signal, 0),
              mapping: channel.mapping,
            }),
            { maxAttempts: customerDataAttempts, now: () => clock.now(), ...(signal ? { signal } : {}) },
          )
        : undefined;
      // Settled either way, so a refused token's fetch is never an unhandled rejection.
      customerData?.catch(() => undefined);
      return brand.validate(channel, accessToken, signal);
    };
    try {
      let current = await refresher.fresh(channel, stored, signal);
      let verdict = await check(current.accessToken);
      if (!verdict.active) {
        current = await refresher.refresh(channel, current, signal);
        verdict = await check(current.accessToken);
      }
      if (!verdict.active || verdict.subject !== current.subject) {
        throw new ParleyError(
          'reauthentication_required',
          'the brand no longer accepts the customer’s token',
        );
      }
    } catch (error) {
      if (error instanceof ParleyError && error.code === 'reauthentication_required')
        await endGrant(deps, session);
      failClosed(error);
    }
    const idleExpiresAt = idleExpiryFrom(now, sessionIdleTimeoutSeconds);
    if (
      idleExpiresAt &&
      (!session.idleExpiresAt || idleExpiresAt.getTime() - session.idleExpiresAt.getTime() >= idleStepMs)
    ) {
      await sessions.touch(session.tenantId, session.sessionId, idleExpiresAt, idleStepMs);
    }
    const data = customerData ? await customerData : undefined;
    if (data) metrics.customerData(data.enrichment.status === 'ok' ? 'ok' : data.enrichment.reason);
    return {
      tenantId: session.tenantId,
      channelId: session.channelId,
      customerKey: session.customerKey,
      deviceId: session.deviceId,
      threadId: session.threadId,
      sessionId: session.sessionId,
      ...(data ? { customerData: data } : {}),
    };
  };
}
