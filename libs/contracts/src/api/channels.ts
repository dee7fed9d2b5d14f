import { z } from 'zod';
import { customFieldName } from '../custom-fields.js';

const text = z.string().max(2048);

/**
 * `PUT /v1/admin/channels/{channelId}`: a channel's authentication settings (docs/channels.md, "Pointing a
 * channel at your OAuth server"; docs/brands.md). Shapes and types only: auth validates the
 * settings themselves and names every problem.
 */
export const channelSettingsRequest = z
  .object({
    issuer: text.optional().describe('discovery fills the endpoints when set'),
    allowWithoutPkce: z.boolean().optional(),
    endpoints: z
      .object({ token: text, introspection: text, jwks: text, revocation: text, authorization: text })
      .partial()
      .strict()
      .optional(),
    client: z.object({ clientId: text, clientSecret: text, method: text }).partial().strict().optional(),
    redirectUris: z.array(text).max(20).optional(),
    validationMode: text.optional().describe('introspection | jwt'),
    jwt: z
      .object({
        issuer: text,
        audiences: z.array(text).max(10),
        algorithms: z.array(text).max(10),
        clockToleranceSeconds: z.number().int().min(0).max(300),
        requireAtJwtType: z.boolean(),
      })
      .partial()
      .strict()
      .optional(),
    customerDataUrl: text.optional(),
    mapping: z
      .object({ customerId: text, name: text, customFields: z.record(customFieldName, text) })
      .partial()
      .strict()
      .optional(),
    messagingMode: text.optional().describe('messaging | live-chat'),
  })
  .strict()
  .describe(
    'Explicit endpoints must be on the issuer’s origin or be the ones its discovery document names (else 400 invalid_argument naming the endpoint). Moving the issuer, the token, introspection or revocation endpoint or customerDataUrl to another origin needs client.clientSecret in the same request (else 400 invalid_argument naming client.clientSecret; nothing changes).',
  );

/**
 * A channel as the admin API shows it (`GET` and `PUT /v1/admin/channels/{channelId}`): every
 * setting but the client secret, of which only `clientSecretSet` tells. Parsing strips anything
 * else, so this schema is what leaves ingress.
 *
 * @example
 * return channelView.parse(await auth.call.GetChannel({ tenantId, channelId }));
 */
export const channelView = z.object({
  tenantId: z.string(),
  channelId: z.string(),
  issuer: z.string(),
  allowWithoutPkce: z.boolean(),
  endpoints: z
    .object({
      token: z.string(),
      introspection: z.string(),
      jwks: z.string(),
      revocation: z.string(),
      authorization: z.string(),
    })
    .nullable(),
  client: z.object({ clientId: z.string(), method: z.string() }).nullable(),
  clientSecretSet: z.boolean(),
  redirectUris: z.array(z.string()),
  validationMode: z.string().describe('introspection | jwt'),
  jwt: z
    .object({
      issuer: z.string(),
      audiences: z.array(z.string()),
      algorithms: z.array(z.string()),
      clockToleranceSeconds: z.number().int(),
      requireAtJwtType: z.boolean(),
    })
    .nullable()
    .describe('null unless validationMode is jwt'),
  customerDataUrl: z.string(),
  mapping: z
    .object({ customerId: z.string(), name: z.string(), customFields: z.record(z.string(), z.string()) })
    .nullable(),
  messagingMode: z.string().describe('messaging | live-chat'),
  updatedAt: z.string(),
});

/** `POST /v1/admin/channels/{channelId}/test`: optional samples to run the checks with. */
export const channelSelfTestRequest = z
  .object({
    sampleCustomerData: z
      .record(z.string(), z.unknown())
      .optional()
      .describe('A customer-data response of the brand, to apply the mapping to'),
    sampleAccessToken: z
      .string()
      .min(1)
      .max(8192)
      .optional()
      .describe(
        'A test customer’s token, to see the brand accept it and its customer data mapped; never stored',
      ),
  })
  .strict();

export const channelSelfTestResult = z.object({
  ok: z.boolean().describe('false when any check failed'),
  checks: z.array(
    z.object({
      name: z.string(),
      ok: z.boolean().describe('false only when the check failed'),
      status: z.enum(['passed', 'failed', 'not_measured']),
      detail: z.string().describe('what was seen, or why it could not be measured, and the likely cause'),
    }),
  ),
});

export type ChannelView = z.infer<typeof channelView>;
export type ChannelSelfTestResult = z.infer<typeof channelSelfTestResult>;
