import { describe, expect, it } from 'vitest';
import { loadDemoBrandConfig } from './config.js';

const required = { DEMO_CLIENT_SECRET: 's3cret', DEMO_REDIRECT_URIS: 'http://127.0.0.1:8080/callback' };

describe('loadDemoBrandConfig', () => {
  it('applies the defaults and splits the redirect URIs', () => {
    const config = loadDemoBrandConfig({
      ...required,
      DEMO_REDIRECT_URIS: ' http://127.0.0.1:8080/callback , https://chat.example/cb ',
    });
    expect(config).toEqual({
      port: 4000,
      host: '127.0.0.1',
      accessTokenTtlSeconds: 300,
      clients: [
        {
          clientId: 'parley-demo',
          clientSecret: 's3cret',
          redirectUris: ['http://127.0.0.1:8080/callback', 'https://chat.example/cb'],
        },
      ],
    });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('reads port, host and client id', () => {
    const config = loadDemoBrandConfig({
      ...required,
      DEMO_BRAND_PORT: '0',
      DEMO_BRAND_HOST: 'localhost',
      DEMO_CLIENT_ID: 'parley',
    });
    expect(config).toMatchObject({ port: 0, host: 'localhost', clients: [{ clientId: 'parley' }] });
  });

  it('names every bad variable in one invalid_config error', () => {
    let failure: unknown;
    try {
      loadDemoBrandConfig({
        DEMO_BRAND_PORT: '70000',
        DEMO_REDIRECT_URIS: 'not a url, http://a.example/cb#x',
      });
    } catch (error) {
      failure = error;
    }
    expect(failure).toMatchObject({ name: 'DemoBrandError', code: 'invalid_config' });
    const message = (failure as Error).message;
    expect(message).toContain('DEMO_BRAND_PORT must be a port number from 0 to 65535, got "70000"');
    expect(message).toContain('DEMO_CLIENT_SECRET is required');
    expect(message).toContain('DEMO_REDIRECT_URIS: "not a url" is not an http(s) URL');
    expect(message).toContain('DEMO_REDIRECT_URIS: "http://a.example/cb#x" must not have a #fragment');
  });

  it('requires the redirect URIs', () => {
    expect(() => loadDemoBrandConfig({ DEMO_CLIENT_SECRET: 's3cret', DEMO_REDIRECT_URIS: ' , ' })).toThrow(
      /DEMO_REDIRECT_URIS is required/,
    );
  });
});
