import { webcrypto } from 'node:crypto';
import { identifiers } from '@parley/contracts';
import { ParleyError } from '@parley/errors';
import { CompactEncrypt, compactDecrypt, type ProtectedHeaderParameters } from 'jose';

/**
 * Seals secrets for storage and opens them again. A secret sealed with a `context` (what it belongs
 * to, e.g. `subscription:<tenant>/<id>`) opens only with that same context, so a sealed value copied
 * to another row, tenant or column does not open there.
 */
export interface SecretBox {
  seal(plaintext: string, context?: string): Promise<string>;
  open(sealed: string, context?: string): Promise<string>;
  /**
   * Opens a secret sealed with `context`, or one sealed before contexts were used (no context at
   * all): that one comes back with `rebound`, the same secret sealed with `context`, for the caller
   * to store in its place, so each old value is opened unbound once. Another context is refused.
   */
  openRebinding(sealed: string, context: string): Promise<{ plaintext: string; rebound?: string }>;
}

/**
 * The context of a secret: what kind of thing it belongs to and which one, its parts escaped so
 * that no two different lists of parts read alike.
 *
 * @example
 * bindingContext('credentials', tenantId, customerKey, channelId, 'refresh_token');
 * // 'credentials:acme/ck-1/web/refresh_token'
 */
export function bindingContext(kind: string, ...parts: readonly string[]): string {
  return `${kind}:${parts.map(encodeURIComponent).join('/')}`;
}

/** Key id to 32-byte AES key; several ids let old secrets open while new ones use the active key. */
export type KeyRing = ReadonlyMap<string, Uint8Array> | Readonly<Record<string, Uint8Array>>;

const isKeyId = (kid: string) => identifiers.keyId.safeParse(kid).success;
const keyBytes = 32; // A256GCM with `dir`: the key is the content-encryption key
const base64urlPattern = /^[A-Za-z0-9_-]+$/;
const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

const invalidConfig = (message: string) => new ParleyError('invalid_config', message);

/**
 * Parses the key-ring environment format `kid1:base64url,kid2:base64url`: 32-byte keys, or keys of
 * at least `minBytes` when given (HMAC keys). Errors name the entry (position and kid) but never
 * echo key material.
 *
 * @example
 * const keys = parseKeyRing(config.SECRET_KEYS); // { '2024-06': Uint8Array(32), ... }
 */
export function parseKeyRing(text: string, options: { minBytes?: number } = {}): Record<string, Uint8Array> {
  const entries = text
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
  if (entries.length === 0) throw invalidConfig('key ring is empty; expected kid1:base64url,kid2:base64url');
  const keys: Record<string, Uint8Array> = {};
  entries.forEach((entry, index) => {
    const where = `key ring entry ${index + 1}`;
    const colon = entry.indexOf(':');
    if (colon < 0) throw invalidConfig(`${where} is not kid:base64url`);
    const kid = entry.slice(0, colon);
    const encoded = entry.slice(colon + 1).replace(/=+$/, '');
    if (!isKeyId(kid)) {
      throw invalidConfig(`${where}: the kid must be 1-64 letters, digits, dots, dashes or underscores`);
    }
    if (Object.hasOwn(keys, kid)) throw invalidConfig(`${where}: kid '${kid}' appears twice`);
    if (!base64urlPattern.test(encoded)) throw invalidConfig(`${where} (kid '${kid}'): key is not base64url`);
    const key = new Uint8Array(Buffer.from(encoded, 'base64url'));
    if (options.minBytes === undefined ? key.length !== keyBytes : key.length < options.minBytes) {
      const expected = options.minBytes === undefined ? `${keyBytes}` : `at least ${options.minBytes}`;
      throw invalidConfig(`${where} (kid '${kid}'): key is ${key.length} bytes, expected ${expected}`);
    }
    keys[kid] = key;
  });
  return keys;
}

/**
 * Encrypts secrets at rest as compact JWE (`dir`, `A256GCM`) with the key id in the protected
 * header, so that keys rotate: seal with the active key, open with whichever key the header names.
 * The binding context travels in the protected header (`ctx`), which AES-GCM authenticates.
 *
 * @example
 * const box = createSecretBox({ keys: parseKeyRing(config.SECRET_KEYS), activeKid: config.SECRET_ACTIVE_KID });
 * const sealed = await box.seal(clientSecret);
 */
export function createSecretBox(options: { keys: KeyRing; activeKid: string }): SecretBox {
  const { activeKid } = options;
  const entries = options.keys instanceof Map ? [...options.keys] : Object.entries(options.keys);
  const keys = new Map<string, Uint8Array>();
  for (const [kid, key] of entries) {
    if (!isKeyId(kid)) throw invalidConfig(`secret box kid '${kid}' is not a valid key id`);
    if (!(key instanceof Uint8Array) || key.length !== keyBytes) {
      throw invalidConfig(`secret box key '${kid}' must be exactly ${keyBytes} bytes`);
    }
    // A copy, so that a caller reusing its buffer cannot change the key under us.
    keys.set(kid, Uint8Array.from(key));
  }
  const activeKey = keys.get(activeKid);
  if (!activeKey) throw invalidConfig(`secret box active kid '${activeKid}' is not in the key ring`);

  // Imported once per key: handing jose raw bytes would import the key again on every call, and
  // secrets are opened several times per message.
  const imported = new Map<string, Promise<webcrypto.CryptoKey>>();
  const cryptoKey = (kid: string, raw: Uint8Array): Promise<webcrypto.CryptoKey> => {
    let key = imported.get(kid);
    if (!key) {
      key = webcrypto.subtle.importKey('raw', raw, 'AES-GCM', false, ['encrypt', 'decrypt']);
      imported.set(kid, key);
    }
    return key;
  };

  const keyFor = ({ kid }: ProtectedHeaderParameters): Promise<webcrypto.CryptoKey> => {
    const key = kid === undefined ? undefined : keys.get(kid);
    if (!key || kid === undefined) {
      throw new ParleyError('server_error', 'no key for the kid of a sealed secret', {
        context: { kid: kid?.slice(0, 64) ?? null },
      });
    }
    return cryptoKey(kid, key);
  };

  async function openWithHeader(sealed: string) {
    try {
      const { plaintext, protectedHeader } = await compactDecrypt(sealed, keyFor, {
        keyManagementAlgorithms: ['dir'],
        contentEncryptionAlgorithms: ['A256GCM'],
      });
      return { plaintext: decoder.decode(plaintext), context: protectedHeader.ctx };
    } catch (error) {
      if (error instanceof ParleyError) throw error;
      // The jose error says what failed (format, tag, header); it never holds the plaintext.
      throw new ParleyError('server_error', 'sealed secret could not be opened', { cause: error });
    }
  }
  const anotherContext = (expected: string | undefined) =>
    new ParleyError('server_error', 'sealed secret belongs to another context', {
      context: { expected: expected ?? null },
    });

  const box: SecretBox = {
    async seal(plaintext, context) {
      return new CompactEncrypt(encoder.encode(plaintext))
        .setProtectedHeader({
          alg: 'dir',
          enc: 'A256GCM',
          kid: activeKid,
          ...(context === undefined ? {} : { ctx: context }),
        })
        .encrypt(await cryptoKey(activeKid, activeKey));
    },
    async open(sealed, context) {
      const opened = await openWithHeader(sealed);
      if (opened.context !== context) throw anotherContext(context);
      return opened.plaintext;
    },
    async openRebinding(sealed, context) {
      const opened = await openWithHeader(sealed);
      if (opened.context === context) return { plaintext: opened.plaintext };
      if (opened.context !== undefined) throw anotherContext(context);
      return { plaintext: opened.plaintext, rebound: await box.seal(opened.plaintext, context) };
    },
  };
  return box;
}
