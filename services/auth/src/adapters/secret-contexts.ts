import { bindingContext } from '@parley/secrets';

/**
 * What each sealed secret of the auth store is bound to (docs/database.md "Sealed secrets"): a
 * value copied onto another tenant, channel, customer or column does not open there.
 */
export const secretContexts = {
  clientSecret: (tenantId: string, channelId: string) =>
    bindingContext('channel', tenantId, channelId, 'client_secret'),
  accessToken: (tenantId: string, customerKey: string, channelId: string) =>
    bindingContext('credentials', tenantId, customerKey, channelId, 'access_token'),
  refreshToken: (tenantId: string, customerKey: string, channelId: string) =>
    bindingContext('credentials', tenantId, customerKey, channelId, 'refresh_token'),
};
