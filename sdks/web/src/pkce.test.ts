import { createHash, webcrypto } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createPkcePair } from './pkce.js';
import type { CryptoLike } from './web-crypto.js';

// RFC 7636 appendix B: these 32 octets give this verifier and this challenge.
const rfcOctets = [
  116, 24, 223, 180, 151, 153, 224, 37, 79, 250, 96, 125, 216, 173, 187, 186, 22, 212, 37, 77, 105, 214, 191,
  240, 91, 88, 5, 88, 83, 132, 141, 121,
];

describe('createPkcePair', () => {
  it('matches the RFC 7636 example', async () => {
    const crypto: CryptoLike = {
      getRandomValues: (array) => {
        array.set(rfcOctets);
        return array;
      },
      subtle: webcrypto.subtle,
    };
    await expect(createPkcePair(crypto)).resolves.toEqual({
      verifier: 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk',
      challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
      method: 'S256',
    });
  });

  it('makes a fresh 43-character verifier each time with the platform crypto, and its S256 challenge', async () => {
    const first = await createPkcePair();
    const second = await createPkcePair();
    expect(first.verifier).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(second.verifier).not.toBe(first.verifier);
    expect(first.challenge).toBe(createHash('sha256').update(first.verifier).digest('base64url'));
  });

  it('says what is missing without crypto.subtle (a page on plain http)', async () => {
    const crypto: CryptoLike = { getRandomValues: (array) => array };
    await expect(createPkcePair(crypto)).rejects.toMatchObject({ code: 'unsupported_environment' });
  });
});
