/** The event types a tenant receives, by webhook or on the bot stream (docs/integrations.md). */
export const tenantEventTypes = [
  'message.enriched',
  'message.stored',
  'customer.updated',
  'session.ended',
] as const;

export type TenantEventType = (typeof tenantEventTypes)[number];
