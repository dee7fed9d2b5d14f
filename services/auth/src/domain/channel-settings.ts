import { customFieldName, identifiers, limits } from '@parley/contracts';
import { isSupportedPath, mappingDefaults } from '@parley/customer-mapping';
import { ParleyError } from '@parley/errors';
import { z } from 'zod';

/** Algorithms accepted for brand JWT access tokens: asymmetric only (no `none`, no shared secrets). */
const jwtAlgorithms = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
] as const;

const jsonPath = z.string().refine(isSupportedPath, 'a JSON path such as $.sub or $.profile.tier');

/** What an admin sends to PutChannel, before defaults, discovery and secret handling. */
export interface ChannelInput {
  tenantId: string;
  channelId: string;
  issuer?: string;
  allowWithoutPkce?: boolean;
  endpoints?: {
    token?: string;
    introspection?: string;
    jwks?: string;
    revocation?: string;
    authorization?: string;
  };
  customerDataUrl?: string;
  client?: { clientId?: string; clientSecret?: string; method?: string };
  redirectUris?: string[];
  validationMode?: string;
  jwt?: {
    issuer?: string;
    audiences?: string[];
    algorithms?: string[];
    clockToleranceSeconds?: number;
    requireAtJwtType?: boolean;
  };
  mapping?: { customerId?: string; name?: string; customFields?: Record<string, string> };
  messagingMode?: string;
}

/**
 * The schema of channel settings; `brandUrl` decides which URLs Parley may call (https, or an
 * allow-listed host), redirect URIs must be https or a loopback address (RFC 8252).
 */
export function channelInputSchema(brandUrl: (url: URL) => boolean) {
  const url = (what: string) =>
    z
      .string()
      .url(`${what} must be an absolute URL`)
      .refine(
        (value) => !URL.canParse(value) || brandUrl(new URL(value)),
        `${what} must be https (or an allow-listed host)`,
      );
  const redirectUri = z
    .string()
    .url('redirect URIs must be absolute URLs')
    .refine((value) => {
      if (!URL.canParse(value)) return true; // reported by .url()
      const parsed = new URL(value);
      return (
        parsed.protocol === 'https:' ||
        (parsed.protocol === 'http:' && ['localhost', '127.0.0.1', '[::1]'].includes(parsed.hostname))
      );
    }, 'redirect URIs must be https, or http on a loopback address')
    .refine(
      (value) => !URL.canParse(value) || !new URL(value).hash,
      'redirect URIs must not have a fragment',
    );
  const optional = <T extends z.ZodType>(schema: T) =>
    z.preprocess((value) => (value === '' ? undefined : value), schema.optional());
  return z
    .object({
      tenantId: identifiers.tenantId,
      channelId: identifiers.channelId,
      issuer: url('issuer'),
      allowWithoutPkce: z.boolean().default(false),
      endpoints: z
        .object({
          token: optional(url('endpoints.token')),
          introspection: optional(url('endpoints.introspection')),
          jwks: optional(url('endpoints.jwks')),
          revocation: optional(url('endpoints.revocation')),
          authorization: optional(url('endpoints.authorization')),
        })
        .default({}),
      customerDataUrl: url('customerDataUrl'),
      client: z.object({
        clientId: z.string().min(1, 'client.clientId is required').max(256),
        clientSecret: optional(z.string().max(1024)),
        method: z.preprocess(
          (value) => value || undefined,
          z.enum(['client_secret_basic', 'client_secret_post']).default('client_secret_basic'),
        ),
      }),
      redirectUris: z.array(redirectUri).min(1, 'at least one redirect URI').max(20),
      validationMode: z.preprocess(
        (value) => value || undefined,
        z.enum(['introspection', 'jwt']).default('introspection'),
      ),
      jwt: z
        .object({
          issuer: optional(z.string().max(512)),
          audiences: z.array(z.string().min(1)).max(10).default([]),
          algorithms: z.array(z.enum(jwtAlgorithms)).max(jwtAlgorithms.length).default([]),
          clockToleranceSeconds: z.number().int().min(0).max(300).default(30),
          requireAtJwtType: z.boolean().default(false),
        })
        .default({ audiences: [], algorithms: [], clockToleranceSeconds: 30, requireAtJwtType: false }),
      mapping: z
        .object({
          customerId: z.preprocess(
            (value) => value || undefined,
            jsonPath.default(mappingDefaults.customerId),
          ),
          name: z.preprocess((value) => value || undefined, jsonPath.default(mappingDefaults.name)),
          customFields: z
            .record(customFieldName, jsonPath)
            .default({})
            .refine(
              (fields) => Object.keys(fields).length <= limits.customFieldCount,
              `at most ${limits.customFieldCount} custom fields`,
            ),
        })
        .default({ ...mappingDefaults, customFields: {} }),
      messagingMode: z.preprocess(
        (value) => value || undefined,
        z.enum(['messaging', 'live-chat']).default('messaging'),
      ),
    })
    .superRefine((input, context) => {
      if (input.validationMode === 'jwt' && input.jwt.audiences.length === 0) {
        context.addIssue({
          code: 'custom',
          path: ['jwt', 'audiences'],
          message: 'jwt validation needs at least one audience',
        });
      }
    });
}

export type ValidChannelInput = z.output<ReturnType<typeof channelInputSchema>>;

/** Validates PutChannel input, reporting every problem with its field in one `invalid_argument`. */
export function validateChannelInput(
  input: ChannelInput,
  brandUrl: (url: URL) => boolean,
): ValidChannelInput {
  const result = channelInputSchema(brandUrl).safeParse(input);
  if (result.success) return result.data;
  const problems = result.error.issues.map(
    (issue) => `${issue.path.join('.') || 'channel'}: ${issue.message}`,
  );
  throw new ParleyError('invalid_argument', `invalid channel settings: ${problems.join('; ')}`, {
    context: { fields: result.error.issues.map((issue) => issue.path.join('.')) },
  });
}
