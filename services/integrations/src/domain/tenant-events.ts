import { createHash } from 'node:crypto';
import type { CustomerUpdated, Delivery, MessageEnriched, SessionEnded } from '@parley/contracts';
import type { EventType, NewTenantEvent } from './model.js';

/** The internal events integrations turns into tenant events, by topic. */
export type SourceEvent =
  | { readonly topic: 'chat.messages.enriched.v1'; readonly event: MessageEnriched }
  | { readonly topic: 'chat.deliveries.v1'; readonly event: Delivery }
  | { readonly topic: 'chat.customers.updated.v1'; readonly event: CustomerUpdated }
  | { readonly topic: 'chat.sessions.ended.v1'; readonly event: SessionEnded };

/**
 * A stable id for a tenant event: the same internal fact (a redelivered Kafka record, an event
 * published again) always gives the same id, so it is appended and delivered once. `key` is the
 * fact's own idempotency key (message id in its thread, the logout's id, the record's CloudEvents
 * id).
 */
export function tenantEventId(type: EventType, tenantId: string, key: string): string {
  const digest = createHash('sha256').update(`${type}\u0000${tenantId}\u0000${key}`).digest('hex');
  return `evt_${digest.slice(0, 32)}`;
}

/** The CloudEvents 1.0 JSON (structured mode) that webhooks POST and the stream sends as `data`. */
function cloudEvent(
  id: string,
  type: EventType,
  occurredAt: Date,
  subject: string | null,
  data: unknown,
): string {
  return JSON.stringify({
    specversion: '1.0',
    id,
    source: 'parley',
    type: `parley.${type}.v1`,
    time: occurredAt.toISOString(),
    ...(subject === null ? {} : { subject }),
    datacontenttype: 'application/json',
    data,
  });
}

function tenantEvent(
  type: EventType,
  fields: { tenantId: string; threadId: string | null; customerKey: string; occurredAt: string },
  key: string,
  data: unknown,
): NewTenantEvent {
  const id = tenantEventId(type, fields.tenantId, key);
  const occurredAt = new Date(fields.occurredAt);
  return {
    tenantId: fields.tenantId,
    id,
    type,
    threadId: fields.threadId,
    customerKey: fields.customerKey,
    orderKey: fields.threadId ?? `customer:${fields.customerKey}`,
    occurredAt,
    body: cloudEvent(id, type, occurredAt, fields.threadId, data),
  };
}

/**
 * The tenant event an internal event becomes, or null when tenants get none for it (a delivery of
 * a customer's own message: tenants have that as `message.enriched`). `sourceEventId` is the
 * CloudEvents id of the Kafka record, used where the event carries no idempotency key of its own.
 *
 * @example
 * const event = toTenantEvent({ topic: 'chat.messages.enriched.v1', event: enriched }, meta.cloudEvent.id);
 */
export function toTenantEvent(source: SourceEvent, sourceEventId: string): NewTenantEvent | null {
  switch (source.topic) {
    case 'chat.messages.enriched.v1': {
      const { event } = source;
      return tenantEvent(
        'message.enriched',
        { ...event, occurredAt: event.sentAt },
        `${event.threadId}/${event.messageId}`,
        event,
      );
    }
    case 'chat.deliveries.v1': {
      const { event } = source;
      if (event.message.author.kind === 'customer') return null;
      return tenantEvent(
        'message.stored',
        { ...event, occurredAt: event.message.storedAt },
        `${event.threadId}/${event.message.messageId}`,
        event,
      );
    }
    case 'chat.customers.updated.v1': {
      const { event } = source;
      return tenantEvent(
        'customer.updated',
        { ...event, threadId: null, occurredAt: event.fetchedAt },
        sourceEventId,
        event,
      );
    }
    case 'chat.sessions.ended.v1': {
      const { event } = source;
      return tenantEvent(
        'session.ended',
        { ...event, occurredAt: event.endedAt },
        event.sessionEventId,
        event,
      );
    }
  }
}
