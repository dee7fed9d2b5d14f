import { z } from 'zod';
import { customFieldName } from '../custom-fields.js';
import { customFieldValue } from '../events.js';
import { identifiers } from '../identifiers.js';
import { limits } from '../limits.js';

const id = z.string().min(1).max(limits.idMaxLength);
const timestamp = z.iso.datetime({ offset: true });
// The brand's fields, by the same rules as in events (they come from the channel's mapping).
const fieldValues = z.record(customFieldName, customFieldValue);

/** `POST /v1/channels/{channelId}/sessions`: the brand's authorization code for a session. */
export const signInRequest = z
  .object({
    code: z.string().min(1).max(2048),
    redirectUri: z.string().min(1).max(2048),
    codeVerifier: z
      .string()
      .max(128)
      .optional()
      .describe('PKCE verifier (RFC 7636); required unless the channel allows otherwise'),
    iss: z
      .string()
      .max(512)
      .optional()
      .describe(
        'The `iss` of the authorization response (RFC 9207); required (401 unauthenticated without it) when the brand’s metadata says authorization_response_iss_parameter_supported',
      ),
    device: z.object({ id: identifiers.deviceId, platform: z.enum(['web', 'ios', 'android']) }),
  })
  .strict();

/** The signed-in customer as the brand described them at sign-in. */
export const signedInCustomer = z.object({
  key: id.describe('Parley’s stable key for this customer'),
  id: z.string().describe('the customer’s id at the brand'),
  name: z.string().nullable(),
  customFields: fieldValues,
});

export const signInResponse = z.object({
  sessionToken: z.string(),
  expiresAt: timestamp,
  customer: signedInCustomer,
  thread: z.object({ id }),
});

/** A message sent by a device or a bot: the same clientMessageId twice is one message. */
export const sendMessageRequest = z
  .object({
    clientMessageId: identifiers.clientMessageId,
    text: z
      .string()
      .min(1, 'text must not be empty')
      .max(limits.textMaxLength, `text must be at most ${limits.textMaxLength} characters`)
      .describe(
        'Valid Unicode without NUL (U+0000) and without control characters but tab, newline and CRLF, as every string of a request (docs/api.md, "Text Parley accepts"); else 400 invalid_argument',
      ),
  })
  .strict();

/** A message accepted for a thread (by a device or a bot). */
export const messageAccepted = z.object({ messageId: id, threadId: id });

export const logoutQuery = z.object({ allDevices: z.enum(['true', 'false']).default('false') });
export const logoutResponse = z.object({
  sessionsEnded: z.number().int().nonnegative(),
  revokedAtBrand: z.boolean().describe('the brand’s revocation endpoint accepted the grant’s revocation'),
});

export const syncQuery = z
  .object({
    after: z.coerce.number().int().min(0).default(0).describe('the last seq the device has'),
    limit: z.coerce.number().int().min(1).max(limits.syncPageSize.max).default(limits.syncPageSize.default),
  })
  .strict();

/** `GET /v1/thread/customer`: the customer's own data as the brand gave it (OAuth-managed fields only). */
export const customerData = z.object({
  id: z.string().nullable(),
  name: z.string().nullable(),
  customFields: fieldValues,
  fetchedAt: timestamp.nullable().describe('when the brand gave them'),
});

export type SignInRequest = z.infer<typeof signInRequest>;
export type SignInResponse = z.infer<typeof signInResponse>;
export type SignedInCustomer = z.infer<typeof signedInCustomer>;
export type SendMessageRequest = z.infer<typeof sendMessageRequest>;
export type MessageAccepted = z.infer<typeof messageAccepted>;
export type LogoutResponse = z.infer<typeof logoutResponse>;
export type CustomerData = z.infer<typeof customerData>;
