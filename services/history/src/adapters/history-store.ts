import { ParleyError } from '@parley/errors';
import { type Database, isUniqueViolation, sql } from '@parley/postgres';
import type { CustomField, FieldValue, StoredMessage } from '../domain/model.js';
import type { CustomerStore, HistoryStores, MessageStore, ThreadStore } from '../domain/ports.js';

interface MessageRow {
  readonly tenant_id: string;
  readonly thread_id: string;
  readonly seq: string; // bigint
  readonly message_id: string;
  readonly customer_key: string;
  readonly author_kind: StoredMessage['author']['kind'];
  readonly author_id: string;
  readonly author_name: string | null;
  readonly device_id: string | null;
  readonly text: string;
  readonly sent_at: Date;
  readonly stored_at: Date;
  readonly customer_data: StoredMessage['customerData'] | null;
}

const messageColumns = sql`tenant_id, thread_id, seq, message_id, customer_key, author_kind, author_id,
  author_name, device_id, text, sent_at, stored_at, customer_data`;

function toMessage(row: MessageRow): StoredMessage {
  return {
    tenantId: row.tenant_id,
    threadId: row.thread_id,
    customerKey: row.customer_key,
    messageId: row.message_id,
    seq: Number(row.seq),
    author: {
      kind: row.author_kind,
      id: row.author_id,
      ...(row.author_name !== null ? { name: row.author_name } : {}),
    },
    ...(row.device_id !== null ? { deviceId: row.device_id } : {}),
    text: row.text,
    sentAt: row.sent_at,
    storedAt: row.stored_at,
    ...(row.customer_data ? { customerData: row.customer_data } : {}),
  };
}

interface CustomerRow {
  readonly id: string;
  readonly name: string | null;
  readonly fields: Record<string, FieldValue>;
  readonly fetched_at: Date;
  readonly agent_fields: { name: string; value: FieldValue; at: string }[];
}

/**
 * History's PostgreSQL adapters. A message takes its number from its thread's row in the statement
 * that inserts it, so numbers are gap-free; customer profiles are one row per customer, replaced
 * only by a newer snapshot, with agent fields in a table beside it.
 */
export function createHistoryStores(db: () => Database): HistoryStores {
  const messages: MessageStore = {
    async store(message) {
      const { tenantId, threadId, messageId, customerKey, author } = message;
      const tenant = db().forTenant(tenantId);
      // A redelivery is the same message of the same customer; the same id from another customer is
      // refused below, as any message for a thread that is not theirs.
      const storedMessage = sql`select ${messageColumns} from messages
        where tenant_id = ${tenantId} and thread_id = ${threadId} and message_id = ${messageId}
          and customer_key = ${customerKey}`;
      let rows: (MessageRow & { inserted: boolean })[];
      try {
        // One statement: a redelivery returns the stored message; otherwise the thread is created
        // or its number bumped (only if the customer owns it) and the message inserted with it.
        rows = await tenant.query(
          'store message',
          sql`with existing as (${storedMessage}),
          bumped as (
            insert into threads (tenant_id, thread_id, customer_key, last_seq)
            select ${tenantId}::text, ${threadId}::text, ${customerKey}::text, 1
            where not exists (select from existing)
            on conflict (tenant_id, thread_id) do update set last_seq = threads.last_seq + 1
              where threads.customer_key = excluded.customer_key
            returning last_seq
          ),
          inserted as (
            insert into messages (${messageColumns})
            select ${tenantId}::text, ${threadId}::text, last_seq, ${messageId}::text, ${customerKey}::text,
              ${author.kind}::text, ${author.id}::text, ${author.name ?? null}::text,
              ${message.deviceId ?? null}::text, ${message.text}::text, ${message.sentAt}::timestamptz,
              ${message.storedAt}::timestamptz, ${message.customerData ? JSON.stringify(message.customerData) : null}::jsonb
            from bumped
            returning ${messageColumns}
          )
          select *, true as inserted from inserted
          union all
          select *, false as inserted from existing`,
        );
      } catch (error) {
        // The same message stored by a concurrent delivery after this statement began: the
        // violation rolled the thread's number back, so the stored one stands, without a gap.
        if (!(error instanceof ParleyError && isUniqueViolation(error.cause, 'messages_message_once')))
          throw error;
        rows = (await tenant.query<MessageRow>('read stored message', storedMessage)).map((row) => ({
          ...row,
          inserted: false,
        }));
      }
      const [row] = rows;
      if (!row) {
        throw new ParleyError('permission_denied', 'the thread belongs to another customer', {
          context: { threadId },
        });
      }
      return { message: toMessage(row), inserted: row.inserted };
    },

    async after(tenantId, threadId, afterSeq, limit) {
      const rows = await db()
        .forTenant(tenantId)
        .query<MessageRow>(
          'read messages',
          sql`select ${messageColumns} from messages
          where tenant_id = ${tenantId} and thread_id = ${threadId} and seq > ${afterSeq}
          order by seq limit ${limit}`,
        );
      return rows.map(toMessage);
    },
  };

  const threads: ThreadStore = {
    async find(tenantId, threadId) {
      const [row] = await db()
        .forTenant(tenantId)
        .query<{ customer_key: string }>(
          'find thread',
          sql`select customer_key from threads where tenant_id = ${tenantId} and thread_id = ${threadId}`,
        );
      return row ? { tenantId, threadId, customerKey: row.customer_key } : null;
    },
  };

  const customers: CustomerStore = {
    async find(tenantId, customerKey) {
      const [row] = await db()
        .forTenant(tenantId)
        .query<CustomerRow>(
          'find customer',
          sql`select c.id, c.name, c.fields, c.fetched_at,
            (select coalesce(json_agg(json_build_object('name', f.name, 'value', f.value, 'at', f.updated_at)), '[]')
              from customer_agent_fields f
              where f.tenant_id = c.tenant_id and f.customer_key = c.customer_key) as agent_fields
          from customers c where c.tenant_id = ${tenantId} and c.customer_key = ${customerKey}`,
        );
      if (!row) return null;
      const fields: Record<string, CustomField> = {};
      for (const field of row.agent_fields)
        fields[field.name] = { value: field.value, source: 'agent', at: new Date(field.at) };
      // A field the brand manages is the brand's, even if an agent set one of that name before.
      for (const [name, value] of Object.entries(row.fields))
        fields[name] = { value, source: 'oauth', at: row.fetched_at };
      return { tenantId, customerKey, id: row.id, name: row.name, fields };
    },

    async saveFromOrigin({ tenantId, customerKey, id, name, fields, at }) {
      // Only a newer snapshot replaces the stored one, whatever order they arrive in. Most messages
      // bring what is stored already: that is written again (renewing fetched_at) at most once a
      // minute, so the hot path costs no row version.
      await db()
        .forTenant(tenantId)
        .query(
          'save customer',
          sql`insert into customers (tenant_id, customer_key, id, name, fields, fetched_at)
          values (${tenantId}, ${customerKey}, ${id}, ${name}, ${JSON.stringify(fields)}::jsonb, ${at}::timestamptz)
          on conflict (tenant_id, customer_key) do update
            set id = excluded.id, name = excluded.name, fields = excluded.fields, fetched_at = excluded.fetched_at
            where excluded.fetched_at > customers.fetched_at
              and (excluded.fetched_at >= customers.fetched_at + interval '1 minute'
                or excluded.id <> customers.id
                or excluded.name is distinct from customers.name
                or excluded.fields <> customers.fields)`,
        );
    },

    async saveAgentFields(tenantId, customerKey, values, at) {
      // All fields in one statement; a field an agent set later than `at` keeps its value.
      await db()
        .forTenant(tenantId)
        .query(
          'save agent fields',
          sql`insert into customer_agent_fields (tenant_id, customer_key, name, value, updated_at)
          select ${tenantId}::text, ${customerKey}::text, field.key, field.value, ${at}::timestamptz
          from jsonb_each(${JSON.stringify(values)}::jsonb) as field
          on conflict (tenant_id, customer_key, name) do update
            set value = excluded.value, updated_at = excluded.updated_at
            where excluded.updated_at >= customer_agent_fields.updated_at`,
        );
    },
  };

  return { messages, threads, customers };
}
