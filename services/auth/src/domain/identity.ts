import { createHash } from 'node:crypto';

function digest(parts: readonly string[]): string {
  // JSON keeps the parts unambiguous ("a|b","c" and "a","b|c" hash differently).
  return createHash('sha256').update(JSON.stringify(parts)).digest('base64url');
}

/**
 * The customer across a brand's channels: the same subject at the same OAuth server is one
 * customer of the tenant, whether they chat on the web or in the mobile app.
 *
 * @example
 * deriveCustomerKey('acme', 'https://login.acme.example', 'c-42'); // 43 URL-safe characters
 */
export function deriveCustomerKey(tenantId: string, issuer: string, subject: string): string {
  return digest(['customer', tenantId, issuer, subject]);
}

/**
 * The thread a session writes to: in `messaging` mode one thread per customer and tenant, shared by
 * all their devices; in `live-chat` mode one per session.
 */
export function threadIdFor(
  session: { tenantId: string; customerKey: string; sessionId: string },
  mode: 'messaging' | 'live-chat',
): string {
  return mode === 'messaging'
    ? `th_${digest(['thread', session.tenantId, session.customerKey]).slice(0, 32)}`
    : `th_${digest(['session-thread', session.tenantId, session.sessionId]).slice(0, 32)}`;
}
