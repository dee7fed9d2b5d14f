import { ParleyError } from '@parley/errors';
import { type ChannelInput, validateChannelInput } from './channel-settings.js';
import type { AuthDomainDeps } from './deps.js';
import { checkEndpointsOfIssuer } from './issuer-endpoints.js';
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

/** The settings whose URL receives the client secret or a customer's token (or decides which does). */
type SecretBearing = Record<
  'issuer' | `endpoints.${'token' | 'introspection' | 'revocation'}` | 'customerDataUrl',
  string | undefined
>;

const secretBearing = (channel: Pick<Channel, 'issuer' | 'endpoints'>): SecretBearing => ({
  issuer: channel.issuer,
  'endpoints.token': channel.endpoints.token,
  'endpoints.introspection': channel.endpoints.introspection,
  'endpoints.revocation': channel.endpoints.revocation,
  customerDataUrl: channel.endpoints.customerData,
});

/**
 * An update may leave the client secret empty to keep the stored one, but only while the secret
 * and the customers' tokens go to the same servers: pointing the issuer, an endpoint or the
 * customer-data URL at another origin needs the secret again, or whoever may edit settings could
 * have the secret or every customer's token sent to a server of theirs.
 */
function keptSecret(existing: Channel | null, next: Pick<Channel, 'issuer' | 'endpoints'>): string {
  const required = (why: string) =>
    new ParleyError('invalid_argument', `invalid channel settings: client.clientSecret: required ${why}`, {
      context: { fields: ['client.clientSecret'] },
    });
  if (!existing) throw required('for a new channel');
  const before = secretBearing(existing);
  const after = secretBearing(next);
  const moved = (Object.keys(after) as (keyof SecretBearing)[]).filter(
    (field) => origin(before[field]) !== origin(after[field]),
  );
  if (moved.length > 0) {
    const changes = moved.map(
      (field) => `${field} (${origin(before[field]) ?? 'none'} → ${origin(after[field]) ?? 'none'})`,
    );
    throw required(`again when moving to another origin: ${changes.join(', ')}`);
  }
  return existing.client.clientSecret;
}

/**
 * PutChannel and GetChannel. Settings are validated with precise errors; explicit endpoints must
 * belong to the issuer (`checkEndpointsOfIssuer`); OpenID discovery fills the endpoints not given
 * explicitly; an empty client secret on update keeps the stored one while the servers stay the same.
 * Discovery stops once `signal` (the caller's) fires.
 */
export function createChannelManagement(
  deps: Pick<AuthDomainDeps, 'channels' | 'brand' | 'clock' | 'brandUrl' | 'issuerEndpointExceptions'>,
) {
  const { channels, brand, clock, brandUrl, issuerEndpointExceptions } = deps;
  return {
    async putChannel(input: ChannelInput, signal?: AbortSignal): Promise<ChannelView> {
      const valid = validateChannelInput(input, (url) => brandUrl(url, input.tenantId));
      if (valid.validationMode === 'jwt' && valid.jwt.issuer && valid.jwt.issuer !== valid.issuer) {
        // Customer keys hash the channel's issuer: tokens must be that issuer's own.
        throw new ParleyError(
          'invalid_argument',
          "invalid channel settings: jwt.issuer: must be the channel's issuer (or left empty)",
          { context: { fields: ['jwt.issuer'] } },
        );
      }
      const explicit = Object.fromEntries(
        Object.entries(valid.endpoints).filter(([, url]) => url),
      ) as DiscoveredEndpoints;
      let discovery: Promise<DiscoveredEndpoints> | undefined;
      const discover = () => {
        discovery ??= brand.discover(valid.tenantId, valid.issuer, signal);
        return discovery;
      };
      await checkEndpointsOfIssuer({
        tenantId: valid.tenantId,
        issuer: valid.issuer,
        explicit,
        exceptions: issuerEndpointExceptions,
        discover,
      });
      const validationEndpoint = valid.validationMode === 'jwt' ? 'jwks' : 'introspection';
      // Discovery only when the explicit endpoints do not cover what the channel needs.
      const needsDiscovery = !explicit.token || !explicit[validationEndpoint];
      const endpoints = { ...(needsDiscovery ? await discover() : {}), ...explicit };
      for (const [name, url] of Object.entries(endpoints)) {
        if (url && (!URL.canParse(url) || !brandUrl(new URL(url), valid.tenantId))) {
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
      const clientSecret =
        valid.client.clientSecret ??
        keptSecret(existing, {
          issuer: valid.issuer,
          endpoints: { ...endpoints, token: endpoints.token, customerData: valid.customerDataUrl },
        });
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
                requireAtJwtType: valid.jwt.requireAtJwtType,
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
