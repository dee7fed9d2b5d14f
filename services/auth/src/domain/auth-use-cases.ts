import { createCustomerDataAccess } from './customer-data-access.js';
import { createCodeExchange, createMessageAuthorization } from './customer-sessions.js';
import { createAccessTokenIssuer, createLogout } from './customer-tokens.js';
import type { AuthDomainDeps } from './deps.js';
import { createChannelManagement } from './manage-channels.js';
import type { RefreshLocks } from './ports.js';
import { createChannelTest } from './test-channel.js';
import { createTokenRefresher } from './token-refresher.js';

/** Every auth use case, as the transport layers call them. */
export type AuthUseCases = ReturnType<typeof createAuthUseCases>;

/** Every auth use case, wired from ports. */
export function createAuthUseCases(
  deps: Omit<AuthDomainDeps, 'refresher'> & {
    readonly refreshLocks: RefreshLocks;
    readonly brandTimeoutMs: number;
  },
) {
  const refresher = createTokenRefresher({
    credentials: deps.credentials,
    refreshLocks: deps.refreshLocks,
    brand: deps.brand,
    clock: deps.clock,
    brandTimeoutMs: deps.brandTimeoutMs,
  });
  const full: AuthDomainDeps = { ...deps, refresher };
  const channels = createChannelManagement(full);
  return {
    putChannel: channels.putChannel,
    getChannel: channels.getChannel,
    exchangeCode: createCodeExchange(full),
    authorizeSession: createMessageAuthorization(full),
    getAccessToken: createAccessTokenIssuer(full),
    getCustomerDataAccess: createCustomerDataAccess(full),
    revokeSession: createLogout(full),
    testChannel: createChannelTest(full),
  };
}
