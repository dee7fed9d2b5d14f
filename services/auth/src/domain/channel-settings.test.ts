import { customerSnapshot } from '@parley/contracts';
import { describe, expect, it } from 'vitest';
import { type ChannelInput, validateChannelInput } from './channel-settings.js';

const settings = (customFields: Record<string, string>): ChannelInput => ({
  tenantId: 'acme',
  channelId: 'web',
  issuer: 'https://login.acme.example',
  client: { clientId: 'parley', clientSecret: 's3cret' },
  redirectUris: ['https://www.acme.example/callback'],
  customerDataUrl: 'https://api.acme.example/me',
  mapping: { customFields },
});
const anyHttps = (url: URL) => url.protocol === 'https:';
const eventAccepts = (name: string) =>
  customerSnapshot.safeParse({ id: 'c-1', name: null, customFields: { [name]: 'x' } }).success;

describe('custom field names: one rule for channel settings and events', () => {
  it('refuses at PutChannel a field name the event schema refuses', () => {
    expect(() => validateChannelInput(settings({ authorizationHeader: '$.x' }), anyHttps)).toThrow(
      expect.objectContaining({
        code: 'invalid_argument',
        context: { fields: ['mapping.customFields.authorizationHeader'] },
      }),
    );
  });

  it('accepts no name that events would refuse', () => {
    const names = [
      'tier',
      'openCase',
      'authorization',
      'passwd',
      'refreshToken',
      'apiKey',
      'api_key',
      'Secret2',
    ];
    for (const name of names) {
      let accepted = true;
      try {
        validateChannelInput(settings({ [name]: '$.x' }), anyHttps);
      } catch {
        accepted = false;
      }
      if (accepted) expect(eventAccepts(name), name).toBe(true);
    }
    expect(() =>
      validateChannelInput(settings({ tier: '$.tier', openCase: '$.case' }), anyHttps),
    ).not.toThrow();
  });
});
