import { describe, expect, it } from 'vitest';
import { withConsentForOfflineAccess } from './offline-access.js';

const promptOf = (url: string) => new URL(url, 'http://brand.invalid').searchParams.get('prompt');

describe('withConsentForOfflineAccess', () => {
  it('adds consent to the prompt of a request for offline_access', () => {
    expect(promptOf(withConsentForOfflineAccess('/auth?scope=openid%20offline_access'))).toBe('consent');
    expect(promptOf(withConsentForOfflineAccess('/auth?scope=openid+offline_access&prompt=login'))).toBe(
      'login consent',
    );
  });

  it('leaves other requests as they are', () => {
    for (const url of [
      '/auth?scope=openid%20profile',
      '/auth?scope=openid%20offline_access&prompt=consent',
      '/auth?scope=openid%20offline_access&prompt=none',
    ]) {
      expect(withConsentForOfflineAccess(url)).toBe(url);
    }
  });
});
