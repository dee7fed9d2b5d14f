import { base64url, type CryptoLike, platformCrypto } from './web-crypto.js';

/**
 * A fresh OAuth `state` (RFC 6749 §10.12): 32 random bytes as base64url, to send to the brand's
 * authorization endpoint and keep on the device until the redirect comes back.
 *
 * @example
 * const state = createOAuthState();
 * sessionStorage.setItem('parley.state', state);
 * url.searchParams.set('state', state);
 */
export function createOAuthState(crypto: CryptoLike = platformCrypto()): string {
  return base64url(crypto.getRandomValues(new Uint8Array(32)));
}

/**
 * Whether the `state` the redirect carried is the one this device sent, compared in constant time
 * (no early exit on the first differing character). A missing or empty value never matches.
 *
 * @example
 * const params = new URLSearchParams(location.search);
 * if (!verifyOAuthState(sessionStorage.getItem('parley.state') ?? '', params.get('state'))) throw new Error('bad state');
 * await client.authorize(params.get('code') ?? '', verifier, { iss: params.get('iss') ?? undefined });
 */
export function verifyOAuthState(expected: string, returned: string | null | undefined): boolean {
  if (!expected || typeof returned !== 'string') return false;
  let difference = expected.length ^ returned.length;
  for (let i = 0; i < expected.length; i += 1) {
    difference |= expected.charCodeAt(i) ^ (returned.charCodeAt(i % Math.max(returned.length, 1)) || 0);
  }
  return difference === 0;
}
