import type { z } from 'zod';
import {
  customerUpdated,
  delivery,
  messageEnriched,
  messageOutbound,
  messageReceived,
  sessionEnded,
} from './events.js';

/** One Kafka topic: its CloudEvents type, its schema and how its key is derived from the event. */
export interface EventContract<S extends z.ZodType = z.ZodType> {
  readonly topic: string;
  readonly type: string;
  readonly schema: S;
  readonly key: (event: z.output<S>) => string;
  /** The message the event is about (its spans carry it as `parley.message_id`), for message topics. */
  readonly messageOf?: (event: z.output<S>) => string;
  readonly description: string;
}

function contract<S extends z.ZodType>(definition: EventContract<S>): EventContract<S> {
  return Object.freeze(definition);
}

/** Every event on the bus (docs/integrations.md), by base topic name (the deployed name may carry a prefix). */
export const eventContracts = {
  'chat.messages.received.v1': contract({
    topic: 'chat.messages.received.v1',
    type: 'parley.chat.message.received.v1',
    schema: messageReceived,
    key: (event) => event.threadId,
    messageOf: (event) => event.messageId,
    description: 'A customer message accepted by ingress after the brand authorized it. Carries no token.',
  }),
  'chat.messages.enriched.v1': contract({
    topic: 'chat.messages.enriched.v1',
    type: 'parley.chat.message.enriched.v1',
    schema: messageEnriched,
    key: (event) => event.threadId,
    messageOf: (event) => event.messageId,
    description: 'A received message with the customer data fetched from the brand for this very message.',
  }),
  'chat.messages.outbound.v1': contract({
    topic: 'chat.messages.outbound.v1',
    type: 'parley.chat.message.outbound.v1',
    schema: messageOutbound,
    key: (event) => event.threadId,
    messageOf: (event) => event.messageId,
    description: 'A reply from a bot or an agent to a customer thread.',
  }),
  'chat.deliveries.v1': contract({
    topic: 'chat.deliveries.v1',
    type: 'parley.chat.delivery.v1',
    schema: delivery,
    key: (event) => event.customerKey,
    messageOf: (event) => event.message.messageId,
    description: 'A stored message with its thread sequence number, for every device of the customer.',
  }),
  'chat.customers.updated.v1': contract({
    topic: 'chat.customers.updated.v1',
    type: 'parley.chat.customer.updated.v1',
    schema: customerUpdated,
    key: (event) => event.customerKey,
    description: 'OAuth-managed customer data changed at the brand.',
  }),
  'chat.sessions.ended.v1': contract({
    topic: 'chat.sessions.ended.v1',
    type: 'parley.chat.session.ended.v1',
    schema: sessionEnded,
    key: (event) => event.customerKey,
    description: 'A customer signed out of Parley on one device or on all of them.',
  }),
} as const;

export type TopicName = keyof typeof eventContracts;
export type EventOf<T extends TopicName> = z.output<(typeof eventContracts)[T]['schema']>;
export const topicNames = Object.keys(eventContracts) as TopicName[];
