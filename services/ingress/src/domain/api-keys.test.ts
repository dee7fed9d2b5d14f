import { describe, expect, it } from 'vitest';
import { apiKeyExpiry, apiKeyRefusal, newApiKey } from './api-keys.js';

const now = new Date('2026-12-01T10:00:00.000Z');
const days = (n: number) => new Date(now.getTime() + n * 86_400_000);

describe('apiKeyExpiry', () => {
  it('is the maximum lifetime when none is asked for, and the time asked for within it', () => {
    expect(apiKeyExpiry(now, undefined, 365)).toEqual(days(365));
    expect(apiKeyExpiry(now, days(30), 365)).toEqual(days(30));
    expect(apiKeyExpiry(now, days(365), 365)).toEqual(days(365));
  });

  it.each([
    ['past the maximum', days(366), 'at most 365 days away'],
    ['in the past', days(-1), 'must be in the future'],
    ['not a time', new Date('soon'), 'not a valid time'],
  ])('refuses an expiry %s as invalid_argument', (_case, requested, message) => {
    expect(() => apiKeyExpiry(now, requested, 365)).toThrow(
      expect.objectContaining({ code: 'invalid_argument', message: expect.stringContaining(message) }),
    );
  });
});

describe('apiKeyRefusal', () => {
  const key = newApiKey('acme', 'bot', ['bot'], now, { expiresAt: days(1) }).key;

  it('lets a key act before its expiry, and refuses it from then on as api_key_expired', () => {
    expect(apiKeyRefusal(key, now)).toBeUndefined();
    expect(apiKeyRefusal(key, days(1))).toMatchObject({ code: 'api_key_expired' });
  });

  it('refuses a revoked key as api_key_revoked, whatever its expiry', () => {
    expect(apiKeyRefusal({ ...key, revokedAt: now }, now)).toMatchObject({ code: 'api_key_revoked' });
    expect(apiKeyRefusal({ ...key, expiresAt: null }, days(10_000))).toBeUndefined();
  });
});
