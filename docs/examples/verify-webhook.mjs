// Verifies a Parley webhook (Standard Webhooks, HMAC-SHA256) with node:crypto only.
import { createHmac, timingSafeEqual } from 'node:crypto';

const toleranceSeconds = 5 * 60;

/**
 * Returns the event of a genuine, fresh, first-seen delivery; throws otherwise.
 * `secret` is the subscription's `whsec_…` secret, `body` the raw request body (a string or a
 * Buffer, exactly as received: do not parse and re-serialize it first), `headers` the request
 * headers (lower-case names), `seen` a store of the webhook-ids this subscription's deliveries had
 * accepted (keep each for at least 10 minutes; a Map here, your database in production).
 *
 * @param {{ secret: string, headers: Record<string, string | string[] | undefined>,
 *   body: string | Buffer, seen: Map<string, number>, now?: number }} delivery
 * @returns {any}
 */
export function verifyWebhook({ secret, headers, body, seen, now = Date.now() }) {
  const id = headers['webhook-id'];
  const timestamp = headers['webhook-timestamp'];
  const signatures = headers['webhook-signature'];
  if (typeof id !== 'string' || typeof timestamp !== 'string' || typeof signatures !== 'string') {
    throw new Error('missing webhook headers');
  }
  const sentAt = Number(timestamp);
  if (!/^\d+$/.test(timestamp) || Math.abs(now / 1000 - sentAt) > toleranceSeconds) {
    throw new Error('timestamp too old or too new');
  }
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  const expected = createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest();
  // Several signatures (`v1,<base64> v1,<base64>`) while Parley rotates the secret: one must match.
  const matches = signatures.split(' ').some((entry) => {
    const [version, signature] = entry.split(',');
    const given = Buffer.from(signature ?? '', 'base64');
    return version === 'v1' && given.length === expected.length && timingSafeEqual(given, expected);
  });
  if (!matches) throw new Error('no valid signature');
  // A replayed delivery (an id accepted before) is refused. Parley's retries keep the id: if you
  // answer anything but 2xx, `seen.delete(id)` so that the retry is accepted. A redelivery (the
  // admin API's redeliver) keeps it too, so the redelivery of an event accepted here is refused:
  // answer that 2xx, or Parley retries it, and `seen.delete(id)` first to process the event again.
  // Every subscription sends an event with the same id: keep one `seen` per subscription.
  if (seen.has(id)) throw new Error('webhook-id seen already');
  seen.set(id, now);
  return JSON.parse(String(body));
}
