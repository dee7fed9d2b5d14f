import { describe, expect, it } from 'vitest';
import { startDemoBrand } from './demo-brand.js';
import { resolveOptions } from './options.js';

describe('resolveOptions', () => {
  it('lists every problem of the options', () => {
    expect(() =>
      resolveOptions({
        port: -1,
        accessTokenTtlSeconds: 0,
        clients: [
          { clientId: 'a', clientSecret: '', redirectUris: [] },
          { clientId: 'a', clientSecret: 'x', redirectUris: ['mailto:a@b.example'] },
        ],
      }),
    ).toThrow(
      [
        'invalid demo brand options:',
        '  - port must be a whole number from 0 to 65535, got -1',
        '  - accessTokenTtlSeconds must be a positive whole number, got 0',
        '  - clients[0].clientSecret must not be empty',
        '  - clients[0].redirectUris must list at least one URI',
        '  - clients[1].clientId "a" is listed twice',
        '  - clients[1].redirectUris: "mailto:a@b.example" is not an http(s) URL',
      ].join('\n'),
    );
  });

  it('makes startDemoBrand reject before it listens', async () => {
    await expect(startDemoBrand({ port: 0, clients: [] })).rejects.toMatchObject({ code: 'invalid_options' });
  });
});
