import { ParleyError } from '@parley/errors';
import { type ChannelInput, validateChannelInput } from './channel-settings.js';
import type { AuthDomainDeps } from './deps.js';
import type { Channel } from './model.js';

/** A channel as admins read it: everything but the client secret. */
export type ChannelView = Omit<Channel, 'client'> & {
  readonly client: Omit<Channel['client'], 'clientSecret'> & { readonly clientSecretSet: boolean };
};

export function toChannelView(channel: Channel): ChannelView {
  const { clientSecret, ...client } = channel.client;
  return { ...channel, client: { ...client, clientSecretSet: clientSecret.length > 0 } };
}

/**
 * PutChannel and GetChannel. Settings are validated with precise errors; with an issuer, OpenID
 * discovery fills the endpoints not given explicitly; an empty client secret on update keeps the
 * stored one.
 */
export function createChannelManagement(
  deps: Pick<AuthDomainDeps, 'channels' | 'brand' | 'clock' | 'brandUrl'>,
) {
  const { channels, brand, clock, brandUrl } = deps;
  return {
    async putChannel(input: ChannelInput): Promise<ChannelView> {
      const valid = validateChannelInput(input, brandUrl);
      const existing = await channels.find(valid.tenantId, valid.channelId);
      const clientSecret = valid.client.clientSecret ?? existing?.client.clientSecret;
      if (!clientSecret)
        throw new ParleyError(
          'invalid_argument',
          'invalid channel settings: client.clientSecret: required for a new channel',
        );
      const discovered = valid.issuer ? await brand.discover(valid.issuer) : {};
      const endpoints = {
        ...discovered,
        ...Object.fromEntries(Object.entries(valid.endpoints).filter(([, url]) => url)),
      };
      for (const [name, url] of Object.entries(endpoints)) {
        if (url && !brandUrl(new URL(url))) {
          throw new ParleyError(
            'url_not_allowed',
            `discovered endpoint ${name} (${url}) is not https or an allow-listed host`,
          );
        }
      }
      if (!endpoints.token)
        throw new ParleyError(
          'invalid_argument',
          'invalid channel settings: endpoints.token: not given and not discovered',
        );
      if (valid.validationMode === 'introspection' && !endpoints.introspection) {
        throw new ParleyError(
          'invalid_argument',
          'invalid channel settings: endpoints.introspection: required for introspection validation',
        );
      }
      if (valid.validationMode === 'jwt' && !endpoints.jwks) {
        throw new ParleyError(
          'invalid_argument',
          'invalid channel settings: endpoints.jwks: required for jwt validation',
        );
      }
      const channel: Channel = {
        tenantId: valid.tenantId,
        channelId: valid.channelId,
        ...(valid.issuer ? { issuer: valid.issuer } : {}),
        endpoints: { ...endpoints, token: endpoints.token, customerData: valid.customerDataUrl },
        client: { clientId: valid.client.clientId, clientSecret, method: valid.client.method },
        redirectUris: valid.redirectUris,
        validation:
          valid.validationMode === 'jwt'
            ? {
                mode: 'jwt',
                issuer: valid.jwt.issuer ?? (valid.issuer as string),
                audiences: valid.jwt.audiences,
                algorithms:
                  valid.jwt.algorithms.length > 0
                    ? valid.jwt.algorithms
                    : ['RS256', 'PS256', 'ES256', 'EdDSA'],
                clockToleranceSeconds: valid.jwt.clockToleranceSeconds,
              }
            : { mode: 'introspection' },
        mapping: valid.mapping,
        messagingMode: valid.messagingMode,
        updatedAt: clock.now(),
      };
      await channels.save(channel);
      return toChannelView(channel);
    },

    async getChannel(tenantId: string, channelId: string): Promise<ChannelView> {
      const channel = await channels.find(tenantId, channelId);
      if (!channel)
        throw new ParleyError('not_found', `channel ${channelId} is not configured`, {
          context: { tenantId, channelId },
        });
      return toChannelView(channel);
    },
  };
}
