import { commonEnv, envSchemas, grpcTlsEnv, parseConfig, postgresEnv } from '@parley/config';
import { identifiers } from '@parley/contracts';
import { z } from 'zod';
import { parseIssuerEndpointExceptions } from './domain/issuer-endpoints.js';

// Kept as text (the frozen config has no Buffers); decoded where the key is used.
const base64urlKey = (minBytes: number) =>
  z
    .string()
    .regex(/^[A-Za-z0-9_-]+$/, 'base64url')
    .refine((value) => Buffer.from(value, 'base64url').length >= minBytes, `at least ${minBytes} bytes`);

export const schema = z.object({
  ...commonEnv,
  ...grpcTlsEnv,
  ...postgresEnv('auth'),
  OPS_PORT: envSchemas.port.default(9401),
  GRPC_PORT: envSchemas.port.default(50051),
  /** Keys that encrypt refresh/access tokens and client secrets at rest: `kid:base64url,…` (32 bytes each). */
  SECRET_KEYS: z.string().min(1),
  /** The key id new secrets are sealed with; older ids stay readable, so keys rotate without downtime. */
  SECRET_ACTIVE_KID: z.string().min(1),
  /** HMAC key signing Parley session tokens (base64url, at least 32 bytes). */
  SESSION_SIGNING_KEY: base64urlKey(32),
  /** The key id (`kid`) of SESSION_SIGNING_KEY; tokens issued before key ids count as `default`. */
  SESSION_SIGNING_KEY_ID: identifiers.keyId.default('default'),
  /**
   * Earlier signing keys, `kid:base64url,…`, that still verify (never sign) session tokens, so the
   * key rotates without signing anyone out; drop one after SESSION_TTL_SECONDS.
   */
  SESSION_PREVIOUS_KEYS: z.string().default(''),
  SESSION_TTL_SECONDS: envSchemas.positiveInt.default(7 * 24 * 3600),
  /** A session unused this long ends (0: never), besides its absolute SESSION_TTL_SECONDS. */
  SESSION_IDLE_TIMEOUT_SECONDS: z.coerce
    .number()
    .int()
    .min(0)
    .default(24 * 3600),
  /** JWKS documents (one per JWKS URL) kept in memory for `jwt` validation; least recently used go first. */
  JWKS_CACHE_MAX_ENTRIES: envSchemas.positiveInt.max(100_000).default(1000),
  /** Brand hosts that may be called over http or on non-public addresses (on-premises brands, demos). */
  BRAND_HOST_ALLOW_LIST: envSchemas.hostList,
  /**
   * Origins an issuer's endpoints may live on besides the issuer's own and those its discovery
   * names: `[tenantId:]issuer=origin,…` (the operator's call, never a tenant admin's).
   */
  BRAND_ISSUER_ENDPOINT_EXCEPTIONS: z
    .string()
    .default('')
    .transform((value, context) => {
      try {
        return parseIssuerEndpointExceptions(value);
      } catch (error) {
        context.addIssue({ code: 'custom', message: (error as Error).message });
        return z.NEVER;
      }
    }),
  // Bounded: refresh locks last twice this long, and callers wait for them.
  BRAND_HTTP_TIMEOUT_MS: envSchemas.positiveInt.max(30_000).default(5000),
  /**
   * Attempts at a message's customer data before it flows on marked `unavailable`; only quick
   * failures are tried again (a timeout or an open circuit is not), so the send is never held long.
   */
  CUSTOMER_DATA_MAX_ATTEMPTS: envSchemas.positiveInt.max(5).default(2),
});

export type AuthConfig = ReturnType<typeof loadConfig>;

/** The auth service's configuration, from the environment, validated once at start. */
export function loadConfig(env: Readonly<Record<string, string | undefined>> = process.env) {
  return parseConfig(schema, env);
}

/** Only the store settings, for the migration command, which needs nothing else. */
export function loadStoreConfig(env: Readonly<Record<string, string | undefined>> = process.env) {
  return parseConfig(z.object({ ...commonEnv, ...postgresEnv('auth') }), env);
}
