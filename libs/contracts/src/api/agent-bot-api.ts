import { z } from 'zod';
import { customFieldName } from '../custom-fields.js';
import { identifiers } from '../identifiers.js';
import { limits } from '../limits.js';

const timestamp = z.iso.datetime({ offset: true });
const fieldValue = z.union([
  z.string().max(limits.customFieldValueMaxLength),
  z.number(),
  z.boolean(),
  z.null(),
]);

/** `POST /v1/bot/token`: a bot asks for the customer's current brand access token (audited). */
export const botTokenRequest = z
  .object({
    threadId: identifiers.derivedId,
    channelId: identifiers.channelId
      .optional()
      .describe(
        'The channel whose client’s token is wanted; needed only when the customer’s sessions on a messaging thread span several channels (400 otherwise)',
      ),
    reason: z.string().min(1).max(256),
  })
  .strict();

export const botTokenResponse = z.object({
  accessToken: z.string(),
  tokenType: z.string(),
  expiresAt: z.string().describe('RFC 3339'),
});

/** `PATCH /v1/customers/{customerKey}/fields`: an agent's own fields (null clears one). */
// Names are bounded here and checked by history against `customFieldName` (the one rule): the
// edge's text rule runs after this schema and must still be the one that reports a name that is
// not valid Unicode.
export const customerFieldsRequest = z.record(z.string().max(limits.customFieldNameMaxLength), fieldValue);

/** Where a customer's field comes from: the brand's customer data (OAuth-managed), or an agent. */
export const customFieldSource = z.enum(['oauth', 'agent']);

/**
 * A customer profile as agents see it (`GET /v1/customers/{customerKey}` and the answer of
 * `PATCH …/fields`); OAuth-managed fields are read-only. Names follow `customFieldName` (history
 * stores no other), values are what an agent may set, which covers the brand's values too.
 */
export const customerProfile = z.object({
  customerKey: identifiers.derivedId,
  id: z.string().nullable().describe('the customer’s id at the brand; null before the brand named one'),
  name: z.string().nullable(),
  customFields: z.record(
    customFieldName,
    z.object({
      value: fieldValue,
      source: customFieldSource.describe('oauth: from the brand (change it there); agent: set by an agent'),
      readOnly: z
        .boolean()
        .describe('true for oauth fields: editing one answers 409 field_managed_by_origin'),
      fetchedAt: timestamp.optional().describe('oauth fields: when the brand gave the value'),
      updatedAt: timestamp,
    }),
  ),
});

export type BotTokenResponse = z.infer<typeof botTokenResponse>;
export type CustomFieldSource = z.infer<typeof customFieldSource>;
export type CustomerProfile = z.infer<typeof customerProfile>;
