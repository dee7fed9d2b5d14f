import { randomBytes } from 'node:crypto';
import { decodeProtectedHeader } from 'jose';
import { describe, expect, it } from 'vitest';
import { bindingContext, createSecretBox, parseKeyRing } from './secret-box.js';

const key = () => new Uint8Array(randomBytes(32));
const encoded = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64url');

describe('createSecretBox', () => {
  it('seals to a compact JWE (dir, A256GCM, kid) that opens to the plaintext', async () => {
    const box = createSecretBox({ keys: { k1: key() }, activeKid: 'k1' });
    const sealed = await box.seal('client-secret-ü');
    expect(sealed.split('.')).toHaveLength(5);
    expect(sealed).not.toContain('client-secret');
    expect(decodeProtectedHeader(sealed)).toEqual({ alg: 'dir', enc: 'A256GCM', kid: 'k1' });
    expect(await box.open(sealed)).toBe('client-secret-ü');
    expect(await box.open(await box.seal(''))).toBe('');
  });

  it('uses a fresh IV every time, so equal secrets do not look equal at rest', async () => {
    const box = createSecretBox({ keys: new Map([['k1', key()]]), activeKid: 'k1' });
    expect(await box.seal('same')).not.toBe(await box.seal('same'));
  });

  it('rotates: secrets sealed with the old key open after a new key becomes active', async () => {
    const oldKey = key();
    const sealedWithOld = await createSecretBox({ keys: { old: oldKey }, activeKid: 'old' }).seal('s3cret');
    const rotated = createSecretBox({ keys: { old: oldKey, new: key() }, activeKid: 'new' });
    expect(await rotated.open(sealedWithOld)).toBe('s3cret');
    const sealedWithNew = await rotated.seal('s3cret');
    expect(decodeProtectedHeader(sealedWithNew).kid).toBe('new');
    expect(await rotated.open(sealedWithNew)).toBe('s3cret');
  });

  it('refuses a secret sealed under a kid it does not hold', async () => {
    const sealed = await createSecretBox({ keys: { gone: key() }, activeKid: 'gone' }).seal('s3cret');
    const box = createSecretBox({ keys: { k1: key() }, activeKid: 'k1' });
    await expect(box.open(sealed)).rejects.toMatchObject({ code: 'server_error' });
  });

  it('refuses tampered ciphertext, a different key under the same kid and garbage, without echoing the secret', async () => {
    const box = createSecretBox({ keys: { k1: key() }, activeKid: 'k1' });
    const parts = (await box.seal('top-secret-value')).split('.');
    const ciphertext = Buffer.from(parts[3] ?? '', 'base64url');
    ciphertext[0] = (ciphertext[0] ?? 0) ^ 0xff;
    parts[3] = ciphertext.toString('base64url');
    const error = await box.open(parts.join('.')).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'server_error' });
    expect(String((error as Error).message)).not.toContain('top-secret');

    const impostor = createSecretBox({ keys: { k1: key() }, activeKid: 'k1' });
    await expect(impostor.open(await box.seal('x'))).rejects.toMatchObject({ code: 'server_error' });
    await expect(box.open('not-a-jwe')).rejects.toMatchObject({ code: 'server_error' });
  });

  it('binds a secret to its context: it opens only with the same one', async () => {
    const box = createSecretBox({ keys: { k1: key() }, activeKid: 'k1' });
    const sealed = await box.seal('whsec_x', 'subscription:acme/sub_1');
    expect(decodeProtectedHeader(sealed)).toMatchObject({ ctx: 'subscription:acme/sub_1' });
    expect(await box.open(sealed, 'subscription:acme/sub_1')).toBe('whsec_x');
    for (const other of ['subscription:globex/sub_1', 'subscription:acme/sub_2', undefined]) {
      await expect(box.open(sealed, other)).rejects.toMatchObject({ code: 'server_error' });
    }
    // A secret sealed without a context does not open where one is expected.
    await expect(box.open(await box.seal('x'), 'subscription:acme/sub_1')).rejects.toMatchObject({
      code: 'server_error',
    });
  });

  it('opens a secret sealed before contexts once, handing back a copy bound to the context', async () => {
    const box = createSecretBox({ keys: { k1: key() }, activeKid: 'k1' });
    const context = bindingContext('credentials', 'acme', 'ck-1', 'web', 'refresh_token');
    const unbound = await box.seal('refresh-1');
    const { plaintext, rebound } = await box.openRebinding(unbound, context);
    expect(plaintext).toBe('refresh-1');
    expect(decodeProtectedHeader(rebound as string)).toMatchObject({ ctx: context });
    expect(await box.open(rebound as string, context)).toBe('refresh-1');
    // A bound secret opens as it is, and only with its own context.
    expect(await box.openRebinding(rebound as string, context)).toEqual({ plaintext: 'refresh-1' });
    await expect(
      box.openRebinding(
        rebound as string,
        bindingContext('credentials', 'acme', 'ck-2', 'web', 'refresh_token'),
      ),
    ).rejects.toMatchObject({ code: 'server_error' });
  });

  it('names a context by its kind and parts, escaping what could make two read alike', () => {
    expect(bindingContext('subscription', 'acme', 'sub_1')).toBe('subscription:acme/sub_1');
    expect(bindingContext('credentials', 'a/b', 'c')).not.toBe(bindingContext('credentials', 'a', 'b/c'));
  });

  it('validates its keys at construction', () => {
    expect(() => createSecretBox({ keys: { k1: key() }, activeKid: 'k2' })).toThrow(
      expect.objectContaining({ code: 'invalid_config' }),
    );
    expect(() => createSecretBox({ keys: { k1: new Uint8Array(16) }, activeKid: 'k1' })).toThrow(
      expect.objectContaining({ code: 'invalid_config', message: expect.stringContaining("'k1'") }),
    );
    expect(() => createSecretBox({ keys: { k1: key(), k2: new Uint8Array(33) }, activeKid: 'k1' })).toThrow(
      expect.objectContaining({ code: 'invalid_config' }),
    );
  });
});

describe('parseKeyRing', () => {
  it('parses kid:base64url entries, tolerating spaces and padding', () => {
    const [a, b] = [key(), key()];
    const keys = parseKeyRing(` 2024-01:${encoded(a)}, 2024-06:${encoded(b)}= `);
    expect(keys).toEqual({ '2024-01': a, '2024-06': b });
  });

  it('names the bad entry without echoing key material', () => {
    const good = `k1:${encoded(key())}`;
    const secretLooking = 'c2VjcmV0LWtleS1tYXRlcmlhbA';
    const cases: Array<[string, RegExp]> = [
      ['', /empty/],
      [`${good},${secretLooking}`, /entry 2 is not kid:base64url/],
      [`${good},k 2:${encoded(key())}`, /entry 2: the kid/],
      [`${good},k1:${encoded(key())}`, /entry 2: kid 'k1' appears twice/],
      [`${good},k2:not+base64/url`, /entry 2 \(kid 'k2'\): key is not base64url/],
      [`${good},k2:${secretLooking}`, /entry 2 \(kid 'k2'\): key is 19 bytes, expected 32/],
    ];
    for (const [text, message] of cases) {
      let error: unknown;
      try {
        parseKeyRing(text);
      } catch (caught) {
        error = caught;
      }
      expect(error, text).toMatchObject({ code: 'invalid_config', message: expect.stringMatching(message) });
      expect((error as Error).message).not.toContain(secretLooking);
    }
  });
});
