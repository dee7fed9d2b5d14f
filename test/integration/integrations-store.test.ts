import { randomBytes } from 'node:crypto';
import { createExpirySweeper, type PostgresComponent, sql } from '@parley/postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { integrationsSchema } from '../../services/integrations/src/adapters/integrations-schema.js';
import { integrationsStoreContract } from '../../services/integrations/src/adapters/integrations-store.contract.js';
import { createIntegrationsStores } from '../../services/integrations/src/adapters/integrations-stores.js';
import type { IntegrationsStores } from '../../services/integrations/src/domain/ports.js';
import { dropSchema, serviceStore, storeComponent } from '../support/database.js';
import { testLogger } from '../support/harness.js';

const unique = (name: string) => `${name}-${randomBytes(4).toString('hex')}`;

let postgres: PostgresComponent;
let stores: IntegrationsStores;
const store = serviceStore('integrations');

beforeAll(async () => {
  postgres = storeComponent(integrationsSchema, store, testLogger('integrations-store-test'), {
    maxConnections: 20,
  });
  await postgres.start();
  stores = createIntegrationsStores(() => postgres.database());
});

afterAll(async () => {
  await postgres?.stop();
  await dropSchema(store.DATABASE_SCHEMA);
});

integrationsStoreContract('PostgreSQL', () => stores);

const tables = ['tenant_cursors', 'events', 'subscriptions', 'deliveries'] as const;
const unfiltered = {
  tenant_cursors: sql`select tenant_id from tenant_cursors`,
  events: sql`select tenant_id from events`,
  subscriptions: sql`select tenant_id from subscriptions`,
  deliveries: sql`select tenant_id from deliveries`,
};

/** A tenant with one subscription and one appended event (so one delivery), expiring at `expiresAt`. */
async function tenantWithDelivery(expiresAt: Date) {
  const tenantId = unique('acme');
  const now = new Date();
  await stores.subscriptions.create(
    {
      tenantId,
      id: unique('sub'),
      url: 'https://hooks.example/parley',
      eventTypes: ['session.ended'],
      description: '',
      enabled: true,
      pausedAt: null,
      pausedReason: null,
      sealedSecret: 'sealed',
      sealedPreviousSecret: null,
      previousSecretExpiresAt: null,
      secretRotatedAt: now,
      createdAt: now,
      updatedAt: now,
    },
    20,
  );
  await stores.events.append(
    {
      tenantId,
      id: unique('evt'),
      type: 'session.ended',
      threadId: 'th',
      customerKey: 'ck',
      orderKey: 'th',
      occurredAt: now,
      body: '{}',
    },
    { now, expiresAt },
  );
  return tenantId;
}

describe('integrations store on PostgreSQL', () => {
  it('shows a statement of tenant B none of tenant A’s rows, even without a tenant filter', async () => {
    const a = await tenantWithDelivery(new Date(Date.now() + 3_600_000));
    const b = unique('globex');
    const db = postgres.database();
    for (const table of tables) {
      expect(await db.forTenant(a).query(`all ${table}`, unfiltered[table])).toEqual([{ tenant_id: a }]);
      expect(await db.forTenant(b).query(`all ${table}`, unfiltered[table])).toEqual([]);
    }
    // Outside a tenant's scope: nothing, except what the dispatcher's scan may read.
    expect(await db.global.query('all tenant_cursors', unfiltered.tenant_cursors)).toEqual([]);
    expect(await db.global.query('all events', unfiltered.events)).toEqual([]);
    // …and global statements write nothing.
    await expect(
      db.global.query(
        'global write',
        sql`update deliveries set attempts = 99 where tenant_id = ${a} returning 1`,
      ),
    ).resolves.toEqual([]);
    await expect(
      db
        .forTenant(b)
        .query(
          'write as another tenant',
          sql`insert into tenant_cursors (tenant_id, last_cursor, last_expires_at) values (${a}, 9, now())`,
        ),
    ).rejects.toMatchObject({ context: { sqlState: '42501' } });
  });

  it('sweeps expired deliveries and events, and nothing live', async () => {
    const expired = await tenantWithDelivery(new Date(Date.now() - 1000));
    const live = await tenantWithDelivery(new Date(Date.now() + 3_600_000));
    const db = postgres.database();
    const sweeper = createExpirySweeper({
      db,
      sweeps: integrationsSchema.sweeps ?? [],
      logger: testLogger('integrations-sweep-test'),
    });
    expect(await sweeper.sweepOnce()).toBeGreaterThanOrEqual(2);
    for (const table of ['events', 'deliveries'] as const) {
      expect(await db.forTenant(expired).query(`expired ${table}`, unfiltered[table])).toEqual([]);
      expect(await db.forTenant(live).query(`live ${table}`, unfiltered[table])).toEqual([
        { tenant_id: live },
      ]);
    }
    // The tenant's cursor stays, so cursors are never handed out twice.
    expect(await db.forTenant(expired).query('cursor kept', unfiltered.tenant_cursors)).toEqual([
      { tenant_id: expired },
    ]);
  });
});
