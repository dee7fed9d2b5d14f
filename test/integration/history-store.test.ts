import { randomBytes } from 'node:crypto';
import { type PostgresComponent, sql } from '@parley/postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { historySchema } from '../../services/history/src/adapters/history-schema.js';
import { historyStoreContract } from '../../services/history/src/adapters/history-store.contract.js';
import { createHistoryStores } from '../../services/history/src/adapters/history-store.js';
import type { NewMessage } from '../../services/history/src/domain/model.js';
import type { HistoryStores } from '../../services/history/src/domain/ports.js';
import { dropSchema, serviceStore, storeComponent } from '../support/database.js';
import { testLogger } from '../support/harness.js';

const unique = (name: string) => `${name}-${randomBytes(4).toString('hex')}`;

let postgres: PostgresComponent;
let stores: HistoryStores;
const store = serviceStore('history');

beforeAll(async () => {
  postgres = storeComponent(historySchema, store, testLogger('history-store-test'), { maxConnections: 20 });
  await postgres.start();
  stores = createHistoryStores(() => postgres.database());
});

afterAll(async () => {
  await postgres?.stop();
  await dropSchema(store.DATABASE_SCHEMA);
});

historyStoreContract('PostgreSQL', () => stores);

function message(where: { tenantId: string; threadId: string; customerKey: string }, id: string): NewMessage {
  return {
    ...where,
    messageId: id,
    author: { kind: 'customer', id: where.customerKey },
    deviceId: 'laptop',
    text: `text of ${id}`,
    sentAt: new Date(),
    storedAt: new Date(),
    customerData: { status: 'ok' },
  };
}

const freshThread = () => ({ tenantId: unique('acme'), threadId: unique('th'), customerKey: unique('ck') });

describe('history store on PostgreSQL', () => {
  it('numbers 50 concurrent writers on one thread 1..50, redeliveries among them stored once', async () => {
    const where = freshThread();
    const ids = Array.from({ length: 50 }, (_, i) => `m${i}`);
    // Every tenth message is delivered twice at once, as a redelivery racing the first delivery.
    const writes = [...ids, ...ids.filter((_, i) => i % 10 === 0)];
    const results = await Promise.all(writes.map((id) => stores.messages.store(message(where, id))));
    expect(results.filter((result) => result.inserted)).toHaveLength(50);
    const stored = await stores.messages.after(where.tenantId, where.threadId, 0, 200);
    expect(stored.map((row) => row.seq)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    expect(new Set(stored.map((row) => row.messageId))).toEqual(new Set(ids));
    const seqOf = new Map(stored.map((row) => [row.messageId, row.seq]));
    for (const { message: returned } of results) expect(returned.seq).toBe(seqOf.get(returned.messageId));
  });

  it('refuses what PostgreSQL cannot hold with a permanent invalid_argument, and numbers on without a gap', async () => {
    const where = freshThread();
    await stores.messages.store(message(where, 'm1'));
    const refused = [
      { ...message(where, 'nul-text'), text: 'a\u0000b' },
      {
        ...message(where, 'nul-author'),
        author: { kind: 'customer' as const, id: where.customerKey, name: '\u0000' },
      },
    ];
    for (const bad of refused) {
      await expect(stores.messages.store(bad)).rejects.toMatchObject({
        code: 'invalid_argument',
        retriable: false,
      });
    }
    await expect(
      stores.customers.saveFromOrigin({
        ...where,
        id: 'c',
        name: 'Ada',
        fields: { note: 'a\u0000b' },
        at: new Date(),
      }),
    ).rejects.toMatchObject({ code: 'invalid_argument', retriable: false });
    expect((await stores.messages.store(message(where, 'm2'))).message.seq).toBe(2);
  });

  it('shows a statement of tenant B none of tenant A’s rows, even without a tenant filter', async () => {
    const a = freshThread();
    const b = { ...a, tenantId: unique('globex') };
    await stores.messages.store(message(a, 'm1'));
    await stores.customers.saveFromOrigin({ ...a, id: 'c', name: 'Ada', fields: {}, at: new Date() });
    await stores.customers.saveAgentFields(a.tenantId, a.customerKey, { note: 'x' }, new Date());
    const db = postgres.database();
    for (const table of ['threads', 'messages', 'customers', 'customer_agent_fields'] as const) {
      const unfiltered = {
        threads: sql`select tenant_id from threads`,
        messages: sql`select tenant_id from messages`,
        customers: sql`select tenant_id from customers`,
        customer_agent_fields: sql`select tenant_id from customer_agent_fields`,
      }[table];
      expect(await db.forTenant(a.tenantId).query(`all ${table}`, unfiltered)).toEqual([
        { tenant_id: a.tenantId },
      ]);
      expect(await db.forTenant(b.tenantId).query(`all ${table}`, unfiltered)).toEqual([]);
      // Outside a tenant's scope, nothing at all.
      expect(await db.global.query(`all ${table}`, unfiltered)).toEqual([]);
    }
    // Nor can B write a row in A's name.
    await expect(
      db
        .forTenant(b.tenantId)
        .query(
          'write as another tenant',
          sql`insert into threads (tenant_id, thread_id, customer_key, last_seq) values (${a.tenantId}, ${unique('th')}, 'x', 1)`,
        ),
    ).rejects.toMatchObject({ context: { sqlState: '42501' } });
  });
});
