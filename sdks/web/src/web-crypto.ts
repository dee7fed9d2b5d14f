import { ParleyClientError } from './parley-client-error.js';

/**
 * The Web Crypto the client uses: `globalThis.crypto` in browsers and Node 20.
 *
 * @example
 * const crypto: CryptoLike = globalThis.crypto;
 */
export interface CryptoLike {
  getRandomValues<T extends Uint8Array<ArrayBuffer>>(array: T): T;
  /** Absent outside secure contexts (plain http pages); random bytes are used then. */
  randomUUID?(): string;
  readonly subtle?: { digest(algorithm: string, data: Uint8Array<ArrayBuffer>): Promise<ArrayBuffer> };
}

/** The platform's Web Crypto, or an `unsupported_environment` error naming what is missing. */
export function platformCrypto(): CryptoLike {
  const crypto = (globalThis as { crypto?: unknown }).crypto as CryptoLike | undefined;
  if (typeof crypto?.getRandomValues !== 'function')
    throw new ParleyClientError(
      'unsupported_environment',
      'globalThis.crypto is missing: pass options.crypto (Web Crypto) or use Node ≥ 20 or a current browser',
    );
  return crypto;
}

const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** Bytes as unpadded base64url (RFC 4648 §5), without Buffer or btoa. */
export function base64url(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const chunk = ((bytes[i] ?? 0) << 16) | ((bytes[i + 1] ?? 0) << 8) | (bytes[i + 2] ?? 0);
    const chars = Math.min(4, Math.ceil(((bytes.length - i) * 8) / 6));
    for (let c = 0; c < chars; c += 1) out += alphabet[(chunk >> (18 - 6 * c)) & 63];
  }
  return out;
}

/** A random UUID v4 (RFC 9562): `randomUUID` when the context offers it, random bytes otherwise. */
export function randomMessageId(crypto: CryptoLike): string {
  if (typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x40;
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80;
  const hex = Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
