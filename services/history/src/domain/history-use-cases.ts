import {
  type CustomerSnapshot,
  type CustomerUpdated,
  customFieldName,
  type Delivery,
  limits,
  type MessageEnriched,
  type MessageOutbound,
} from '@parley/contracts';
import { ParleyError } from '@parley/errors';
import { type FieldValue, type StoredMessage, threadMessageOf } from './model.js';
import type { Clock, HistoryStores } from './ports.js';

export interface HistoryUseCaseDeps extends HistoryStores {
  readonly clock: Clock;
  /** Publishes a delivery for every device of the customer (keyed by customer). */
  readonly deliver: (delivery: Delivery) => Promise<void>;
}

function toDelivery(stored: StoredMessage): Delivery {
  const { seq, ...message } = threadMessageOf(stored);
  return {
    tenantId: stored.tenantId,
    customerKey: stored.customerKey,
    threadId: stored.threadId,
    seq,
    message,
  };
}

/**
 * What history does with events and requests: store every message once with its thread number,
 * deliver it (again, on a redelivery: a crash may have come between storing and delivering), keep
 * the customer profile, and serve sync straight from the store.
 */
export function createHistory(deps: HistoryUseCaseDeps) {
  const { messages, threads, customers, clock, deliver } = deps;

  // The store creates the thread with its first message, owned by that message's customer.
  /** Stores the message (and `alongside`, written concurrently), then delivers it. */
  async function record(message: Omit<StoredMessage, 'seq' | 'storedAt'>, alongside?: Promise<unknown>) {
    const [{ message: stored }] = await Promise.all([
      messages.store({ ...message, storedAt: clock.now() }),
      alongside,
    ]);
    await deliver(toDelivery(stored));
    return stored;
  }

  /** What the brand said about the customer at `fetchedAt` (the store keeps the newest). */
  function saveSnapshot(
    where: { tenantId: string; customerKey: string },
    customer: CustomerSnapshot,
    fetchedAt: string,
  ) {
    return customers.saveFromOrigin({
      tenantId: where.tenantId,
      customerKey: where.customerKey,
      id: customer.id,
      name: customer.name,
      fields: customer.customFields,
      at: new Date(fetchedAt),
    });
  }

  return {
    async recordEnriched(event: MessageEnriched) {
      // The profile is written beside the message (two independent, idempotent writes: one round
      // trip of waiting, not two), both before the delivery: once a device sees the message, the
      // customer data it came with is stored.
      const snapshot =
        event.customer && event.enrichment.status === 'ok'
          ? saveSnapshot(event, event.customer, event.enrichment.fetchedAt)
          : undefined;
      return record(
        {
          tenantId: event.tenantId,
          threadId: event.threadId,
          customerKey: event.customerKey,
          messageId: event.messageId,
          author: {
            kind: 'customer',
            id: event.customerKey,
            ...(event.customer?.name ? { name: event.customer.name } : {}),
          },
          deviceId: event.deviceId,
          text: event.text,
          sentAt: new Date(event.sentAt),
          customerData:
            event.enrichment.status === 'ok'
              ? { status: 'ok' }
              : { status: 'unavailable', reason: event.enrichment.reason },
        },
        snapshot,
      );
    },

    async recordOutbound(event: MessageOutbound) {
      // A reply goes only into an existing thread, and only to the customer who owns it: a bot
      // producing to Kafka cannot write into another customer's thread.
      const thread = await threads.find(event.tenantId, event.threadId);
      if (!thread || thread.customerKey !== event.customerKey) {
        throw new ParleyError(
          'permission_denied',
          'outbound message for a thread that is not the customer’s',
          {
            context: { threadId: event.threadId },
          },
        );
      }
      return record({
        tenantId: event.tenantId,
        threadId: event.threadId,
        customerKey: event.customerKey,
        messageId: event.messageId,
        author: event.author,
        text: event.text,
        sentAt: new Date(event.sentAt),
      });
    },

    async recordCustomerUpdate(event: CustomerUpdated) {
      await saveSnapshot(event, event.customer, event.fetchedAt);
    },

    /** The customer's thread after `afterSeq`, oldest first, read from the store every time. */
    async sync(request: {
      tenantId: string;
      customerKey: string;
      threadId: string;
      afterSeq: number;
      limit: number;
    }) {
      const { default: pageSize, max: maxPageSize } = limits.syncPageSize;
      const limit = request.limit <= 0 ? pageSize : Math.min(request.limit, maxPageSize);
      if (!Number.isInteger(request.afterSeq) || request.afterSeq < 0)
        throw new ParleyError('invalid_argument', 'after must be a whole number ≥ 0');
      const thread = await threads.find(request.tenantId, request.threadId);
      // A thread that is not the customer's is as good as absent.
      if (thread && thread.customerKey !== request.customerKey)
        throw new ParleyError('not_found', 'no such thread for this customer');
      const page = thread
        ? await messages.after(request.tenantId, request.threadId, request.afterSeq, limit + 1)
        : [];
      const shown = page.slice(0, limit);
      return {
        threadId: request.threadId,
        messages: shown,
        lastSeq: shown.at(-1)?.seq ?? request.afterSeq,
        hasMore: page.length > limit,
      };
    },

    async getThread(tenantId: string, threadId: string) {
      const thread = await threads.find(tenantId, threadId);
      if (!thread) throw new ParleyError('not_found', 'no such thread in this tenant');
      return thread;
    },

    async getCustomer(tenantId: string, customerKey: string) {
      const profile = await customers.find(tenantId, customerKey);
      if (!profile) throw new ParleyError('not_found', 'no such customer in this tenant');
      return profile;
    },

    /** Agents edit their own fields; fields the brand manages are refused (change them at the origin). */
    async updateCustomerFields(tenantId: string, customerKey: string, fields: Record<string, FieldValue>) {
      const profile = await customers.find(tenantId, customerKey);
      if (!profile) throw new ParleyError('not_found', 'no such customer in this tenant');
      const names = Object.keys(fields);
      if (names.length === 0 || names.length > limits.customFieldCount)
        throw new ParleyError('invalid_argument', `send 1 to ${limits.customFieldCount} fields`);
      const bad = names.find((name) => !customFieldName.safeParse(name).success);
      if (bad)
        throw new ParleyError(
          'invalid_argument',
          `field name ${bad.slice(0, limits.customFieldNameMaxLength)} is not valid`,
        );
      const managed = names.filter((name) => profile.fields[name]?.source === 'oauth');
      if (managed.length > 0) {
        throw new ParleyError(
          'field_managed_by_origin',
          `${managed.join(', ')} ${managed.length === 1 ? 'is' : 'are'} managed by the brand; change ${managed.length === 1 ? 'it' : 'them'} at the origin`,
          {
            context: { fields: managed },
          },
        );
      }
      await customers.saveAgentFields(tenantId, customerKey, fields, clock.now());
      return (await customers.find(tenantId, customerKey)) ?? profile;
    },
  };
}

export type History = ReturnType<typeof createHistory>;
