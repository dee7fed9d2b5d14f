import { randomBytes } from 'node:crypto';
import type { HostPolicy } from '@parley/brand-http';
import { ParleyError } from '@parley/errors';
import { type EventType, eventTypes, isEventType } from './model.js';

/** Limits of a subscription's fields (docs/integrations.md, "Subscriptions"). */
export const subscriptionLimits = {
  urlMaxLength: 2048,
  descriptionMaxLength: 256,
  idMaxLength: 128,
  /** Subscriptions of one tenant at most. */
  perTenant: 20,
  /** How long a rotated-out secret keeps signing when the rotation names no overlap: 24 h. */
  defaultOverlapSeconds: 24 * 3600,
  /** Longest overlap of a rotated secret: 7 days. */
  maxOverlapSeconds: 7 * 24 * 3600,
} as const;

const invalid = (message: string, field: string) =>
  new ParleyError('invalid_argument', message, { context: { field } });

/** A required id of a request (tenant, subscription, delivery): 1 to 128 characters. */
export function requireId(value: string, field: string): string {
  if (typeof value !== 'string' || value.length === 0) throw invalid(`${field} is required`, field);
  if (value.length > subscriptionLimits.idMaxLength)
    throw invalid(`${field} is longer than ${subscriptionLimits.idMaxLength} characters`, field);
  return value;
}

/**
 * A webhook URL the tenant's subscription may call: https (http only for a host allow-listed for
 * the tenant), no credentials, not an address of a private network unless allow-listed — the
 * brand HTTP client's own rule (`createHostPolicy`). Names are checked again on the address
 * actually connected to at every attempt (libs/brand-http), so a name that later resolves to a
 * private address is refused then.
 */
export function validateWebhookUrl(value: string, hosts: HostPolicy, tenantId: string): string {
  if (typeof value !== 'string' || value.length === 0) throw invalid('url is required', 'url');
  if (value.length > subscriptionLimits.urlMaxLength)
    throw invalid(`url is longer than ${subscriptionLimits.urlMaxLength} characters`, 'url');
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw invalid('url is not an absolute URL', 'url');
  }
  const refusal = hosts.refusal(url, tenantId);
  if (refusal) {
    throw new ParleyError('url_not_allowed', `the webhook URL is not allowed: ${refusal}`, {
      context: { field: 'url', host: url.hostname },
    });
  }
  return url.toString();
}

/** Known event types, each once, in the documented order; at least one. */
export function validateEventTypes(values: readonly string[]): EventType[] {
  if (!Array.isArray(values) || values.length === 0)
    throw invalid(`event_types needs at least one of ${eventTypes.join(', ')}`, 'event_types');
  const unknown = values.find((value) => !isEventType(value));
  if (unknown !== undefined)
    throw invalid(
      `event type ${String(unknown).slice(0, 64)} is not one of ${eventTypes.join(', ')}`,
      'event_types',
    );
  return eventTypes.filter((type) => values.includes(type));
}

export function validateDescription(value: string): string {
  const description = value ?? '';
  if (description.length > subscriptionLimits.descriptionMaxLength)
    throw invalid(
      `description is longer than ${subscriptionLimits.descriptionMaxLength} characters`,
      'description',
    );
  if (description.includes('\u0000')) throw invalid('description contains a NUL character', 'description');
  return description;
}

/** Milliseconds the previous secret keeps signing after a rotation; 0 seconds means the default. */
export function overlapMs(overlapSeconds: number): number {
  if (!Number.isInteger(overlapSeconds) || overlapSeconds < 0)
    throw invalid('overlap_seconds must be a whole number ≥ 0', 'overlap_seconds');
  if (overlapSeconds > subscriptionLimits.maxOverlapSeconds)
    throw invalid(
      `overlap_seconds is at most ${subscriptionLimits.maxOverlapSeconds} (7 days)`,
      'overlap_seconds',
    );
  return (overlapSeconds === 0 ? subscriptionLimits.defaultOverlapSeconds : overlapSeconds) * 1000;
}

/** A new signing secret in the Standard Webhooks format: `whsec_` + 32 random bytes, base64. */
export function newSigningSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

export function newSubscriptionId(): string {
  return `sub_${randomBytes(12).toString('hex')}`;
}

/** What a subscription's sealed secrets are bound to: they open for this tenant and id only. */
export function secretContext(tenantId: string, subscriptionId: string): string {
  return `subscription:${tenantId}/${subscriptionId}`;
}
