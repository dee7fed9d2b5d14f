import type { BrandHttpClient } from '@parley/brand-http';
import { isBrandFailure } from '@parley/errors';
import { Webhook } from 'standardwebhooks';
import type { SecretBox, WebhookSender } from '../domain/ports.js';
import { isDelivered } from '../domain/retry-schedule.js';
import { secretContext } from '../domain/subscription-rules.js';

/**
 * The Standard Webhooks headers of one attempt: `webhook-signature` carries one `v1,<base64>`
 * signature per secret (two while a rotated-out secret still signs), space-separated.
 *
 * @example
 * signatureHeaders('evt_1', body, new Date(), ['whsec_…']);
 */
export function signatureHeaders(id: string, body: string, at: Date, secrets: readonly string[]) {
  return {
    'webhook-id': id,
    'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
    'webhook-signature': secrets.map((secret) => new Webhook(secret).sign(id, at, body)).join(' '),
  };
}

/** What the delivery log says when no HTTP answer came (never a secret, never the body). */
function failureOf(error: unknown, timeoutMs: number): string {
  if (!isBrandFailure(error)) return 'internal error';
  switch (error.reason) {
    case 'timeout':
      return `timeout: no answer within ${timeoutMs} ms`;
    case 'circuit_open':
      return 'not attempted: the last attempts failed in a row (circuit open for 30 s)';
    case 'unreachable':
    case 'server_error': {
      const cause = (error.cause as { code?: unknown } | undefined)?.code;
      return `unreachable${typeof cause === 'string' ? ` (${cause})` : ''}`;
    }
    case 'too_large':
      return 'the answer was over the size limit';
    case 'not_allowed':
      return error.message;
    default:
      return 'internal error';
  }
}

/**
 * Sends an attempt: signs the stored body with the subscription's secret(s) (opened only for the
 * attempt) and POSTs it byte for byte through the SSRF-guarded client, with the subscription as
 * the limit key (its own circuit and concurrency, whoever else uses the host).
 */
export function createWebhookSender(deps: {
  http: BrandHttpClient;
  secretBox: SecretBox;
  timeoutMs: number;
}): WebhookSender {
  const { http, secretBox, timeoutMs } = deps;
  return {
    async send(claimed, at) {
      const { tenantId, subscriptionId, eventId } = claimed.delivery;
      const context = secretContext(tenantId, subscriptionId);
      const secrets = [await secretBox.open(claimed.sealedSecret, context)];
      if (
        claimed.sealedPreviousSecret &&
        claimed.previousSecretExpiresAt &&
        claimed.previousSecretExpiresAt > at
      )
        secrets.push(await secretBox.open(claimed.sealedPreviousSecret, context));
      try {
        const response = await http.request(claimed.url, {
          tenant: tenantId,
          method: 'POST',
          headers: signatureHeaders(eventId, claimed.body, at, secrets),
          body: { contentType: 'application/json', data: claimed.body },
          limitKey: subscriptionId,
          retries: 0,
        });
        return {
          statusCode: response.status,
          error: isDelivered(response.status) ? null : `HTTP ${response.status}`,
        };
      } catch (error) {
        return { statusCode: null, error: failureOf(error, timeoutMs) };
      }
    },
  };
}
