import { ParleyClientError } from './parley-client-error.js';
import { base64url, type CryptoLike, platformCrypto } from './web-crypto.js';

/**
 * A PKCE pair (RFC 7636): the challenge goes to the brand's authorization endpoint, the verifier
 * stays on the device until `authorize(code, verifier)`.
 *
 * @example
 * const { verifier, challenge, method }: PkcePair = await createPkcePair();
 */
export interface PkcePair {
  /** The `code_verifier`: 43 characters of base64url from 32 random bytes. */
  readonly verifier: string;
  /** The `code_challenge`: base64url(SHA-256(verifier)). */
  readonly challenge: string;
  /** The `code_challenge_method`. */
  readonly method: 'S256';
}

/**
 * Makes a PKCE verifier and its S256 challenge with Web Crypto. Browsers offer `crypto.subtle`
 * only in secure contexts (https, or http on localhost).
 *
 * @example
 * const pkce = await createPkcePair();
 * sessionStorage.setItem('parley.pkce', pkce.verifier); // for authorize(code, verifier) after the redirect
 * const url = new URL('https://login.acme.example/authorize');
 * url.searchParams.set('code_challenge', pkce.challenge);
 * url.searchParams.set('code_challenge_method', pkce.method);
 */
export async function createPkcePair(crypto: CryptoLike = platformCrypto()): Promise<PkcePair> {
  if (!crypto.subtle)
    throw new ParleyClientError(
      'unsupported_environment',
      'crypto.subtle is missing: PKCE needs a secure context (https, or http on localhost)',
    );
  const verifier = base64url(crypto.getRandomValues(new Uint8Array(32)));
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier));
  return { verifier, challenge: base64url(new Uint8Array(digest)), method: 'S256' };
}
