import { describe, expect, it } from 'vitest';
import { base64url, randomMessageId } from './web-crypto.js';

describe('base64url', () => {
  it.each([
    ['', ''],
    ['f', 'Zg'],
    ['fo', 'Zm8'],
    ['foo', 'Zm9v'],
    ['foob', 'Zm9vYg'],
    ['\u00ff\u00fe\u00fd', '__79'],
  ])('encodes %j as %j', (text, encoded) => {
    expect(base64url(Uint8Array.from(text, (char) => char.charCodeAt(0)))).toBe(encoded);
  });
});

describe('randomMessageId', () => {
  it('makes a UUID v4 from random bytes where randomUUID is missing (plain-http pages)', () => {
    const id = randomMessageId({ getRandomValues: (array) => array.fill(0xff) });
    expect(id).toBe('ffffffff-ffff-4fff-bfff-ffffffffffff');
  });
});
