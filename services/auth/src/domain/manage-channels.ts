import { ParleyError } from '@parley/errors';
import { type ChannelInput, validateChannelInput } from './channel-settings.js';
import type { AuthDomainDeps } from './deps.js';
import type { Channel } from './model.js';
import type { DiscoveredEndpoints } from './ports.js';

/** A channel as admins read it: everything but the client secret. */
export type ChannelView = Omit<Channel, 'client'> & {
  readonly client: Omit<Channel['client'], 'clientSecret'> & { readonly clientSecretSet: boolean };
};

export function toChannelView(channel: Channel): ChannelView {
  const { clientSecret, ...client } = channel.client;
  return { ...channel, client: { ...client, clientSecretSet: clientSecret.length > 0 } };
}

const origin = (url: string | undefined) => (url && URL.canParse(url) ? new URL(url).origin : undefined);

/**
 * An update may leave the client secret empty to keep the stored one, but only while the secret
 * goes to the same servers: pointing the issuer or an endpoint elsewhere needs the secret again,
 * or whoever may edit settings could have it sent to a server of theirs.
 */
function keptSecret(existing: Channel | null, issuer: string, endpoints: DiscoveredEndpoints): string {
  const required = () =>
    new ParleyError(
      'invalid_argument',
      'invalid channel settings: client.clientSecret: required for a new channel or new servers',
    );
  if (!existing) throw required();
  const before = [
    existing.issuer,
    existing.endpoints.token,
    existing.endpoints.introspection,
    existing.endpoints.revocation,
  ].map(origin);
  const after = [issuer, endpoints.token, endpoints.introspection, endpoints.revocation].map(origin);
  if (before.some((value, index) => value !== after[index])) throw required();
  return existing.client.clientSecret;
}

/**
 * PutChannel and GetChannel. Settings are validated with precise errors; with an issuer, OpenID
 * discovery fills the endpoints not given explicitly; an empty client secret on update keeps the
 * stored one while the servers stay the same.
 */
export function createChannelManagement(
  deps: Pick<AuthDomainDeps, 'channels' | 'brand' | 'clock' | 'brandUrl'>,
) {
  const { channels, brand, clock, brandUrl } = deps;
  return {
    async putChannel(input: ChannelInput): Promise<ChannelView> {
      const valid = validateChannelInput(input, brandUrl);
      const explicit = Object.fromEntries(
        Object.entries(valid.endpoints).filter(([, url]) => url),
      ) as DiscoveredEndpoints;
      const validationEndpoint = valid.validationMode === 'jwt' ? 'jwks' : 'introspection';
      // Discovery only when the explicit endpoints do not cover what the channel needs.
      const needsDiscovery = !explicit.token || !explicit[validationEndpoint];
      const endpoints = { ...(needsDiscovery ? await brand.discover(valid.issuer) : {}), ...explicit };
      for (const [name, url] of Object.entries(endpoints)) {
        if (url && (!URL.canParse(url) || !brandUrl(new URL(url)))) {
          throw new ParleyError(
            'url_not_allowed',
            `discovered endpoint ${name} (${url}) is not an https URL or an allow-listed host`,
          );
        }
      }
      if (!endpoints.token)
        throw new ParleyError(
          'invalid_argument',
          'invalid channel settings: endpoints.token: not given and not discovered',
        );
      if (!endpoints[validationEndpoint]) {
        throw new ParleyError(
          'invalid_argument',
          `invalid channel settings: endpoints.${validationEndpoint}: required for ${valid.validationMode} validation`,
        );
      }
      const existing = await channels.find(valid.tenantId, valid.channelId);
      const clientSecret = valid.client.clientSecret ?? keptSecret(existing, valid.issuer, endpoints);
      const channel: Channel = {
        tenantId: valid.tenantId,
        channelId: valid.channelId,
        issuer: valid.issuer,
        allowWithoutPkce: valid.allowWithoutPkce,
        endpoints: { ...endpoints, token: endpoints.token, customerData: valid.customerDataUrl },
        client: { clientId: valid.client.clientId, clientSecret, method: valid.client.method },
        redirectUris: valid.redirectUris,
        validation:
          valid.validationMode === 'jwt'
            ? {
                mode: 'jwt',
                issuer: valid.jwt.issuer ?? valid.issuer,
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
