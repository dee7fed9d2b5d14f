import { identifiers, limits } from '@parley/contracts';
import { ParleyError } from '@parley/errors';
import { endGrant, failClosed } from './customer-sessions.js';
import type { AuthDomainDeps } from './deps.js';
import type { StoredCredentials, UnopenedChannel } from './model.js';
import type { CustomerDataAccessOutcome } from './ports.js';

export interface CustomerDataAccessRequest {
  readonly tenantId: string;
  readonly customerKey: string;
  /** The message's channel: whose customer-data URL, and whose OAuth client's token. */
  readonly channelId: string;
  /** The message the data is for (for logs and traces; nothing is stored per message). */
  readonly messageId: string;
}

/**
 * A signed-in customer's current credentials on a channel, with the channel, from one store read
 * (`AccessReads.customerChannel`), nothing but the access token opened unless a refresh reaches
 * the brand: `not_found` when the customer holds none there or has no live
 * session on it (credentials outlive sessions only until cleanup), or the channel is gone; an
 * expiring token is refreshed under the lock, and a grant the brand refused is ended
 * (`reauthentication_required`). Brand trouble fails closed (`auth_unavailable`).
 */
export async function currentCredentials(
  deps: Pick<AuthDomainDeps, 'access' | 'credentials' | 'sessions' | 'refresher'>,
  key: { tenantId: string; customerKey: string; channelId: string },
  signal?: AbortSignal,
): Promise<{ channel: UnopenedChannel; credentials: StoredCredentials }> {
  const found = await deps.access.customerChannel(key.tenantId, key.customerKey, key.channelId);
  if (!found.credentials || !found.signedIn)
    throw new ParleyError('not_found', 'no signed-in customer with that key in this tenant');
  if (!found.channel) throw new ParleyError('not_found', 'the customer’s channel is no longer configured');
  const { channel, credentials: stored } = found;
  try {
    return { channel, credentials: await deps.refresher.fresh(channel, stored, signal) };
  } catch (error) {
    if (error instanceof ParleyError && error.code === 'reauthentication_required')
      await endGrant(deps, stored);
    failClosed(error);
  }
}

const countedCodes = new Set<string>([
  'not_found',
  'reauthentication_required',
  'auth_unavailable',
  'invalid_argument',
  'deadline_exceeded',
]);

function outcomeOf(error: unknown): CustomerDataAccessOutcome {
  const code = error instanceof ParleyError ? error.code : undefined;
  return code && countedCodes.has(code) ? (code as CustomerDataAccessOutcome) : 'error';
}

function checkRequest({ tenantId, customerKey, channelId, messageId }: CustomerDataAccessRequest): void {
  const problems = [
    identifiers.tenantId.safeParse(tenantId).success ? undefined : 'tenantId',
    identifiers.derivedId.safeParse(customerKey).success ? undefined : 'customerKey',
    identifiers.channelId.safeParse(channelId).success ? undefined : 'channelId',
    messageId.length <= limits.idMaxLength ? undefined : 'messageId',
  ].filter((name) => name !== undefined);
  if (problems.length > 0)
    throw new ParleyError('invalid_argument', `invalid ${problems.join(', ')} (libs/contracts identifiers)`);
}

/**
 * GetCustomerDataAccess, enrichment's one auth call per message: the channel's customer-data URL
 * and mapping with the customer's current access token of that channel. Counted by outcome
 * (`AuthMetrics`), not audited one by one: the token goes to the service the method table allows
 * (docs/security.md "Audit").
 */
export function createCustomerDataAccess(
  deps: Pick<AuthDomainDeps, 'access' | 'credentials' | 'sessions' | 'refresher' | 'metrics'>,
) {
  const { metrics } = deps;
  return async function getCustomerDataAccess(request: CustomerDataAccessRequest, signal?: AbortSignal) {
    try {
      checkRequest(request);
      const { channel, credentials } = await currentCredentials(deps, request, signal);
      metrics.customerDataAccess('issued');
      return {
        customerDataUrl: channel.endpoints.customerData,
        mapping: channel.mapping,
        accessToken: credentials.accessToken,
        expiresAt: credentials.accessTokenExpiresAt,
      };
    } catch (error) {
      metrics.customerDataAccess(outcomeOf(error));
      throw error;
    }
  };
}
