import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { AttemptOutcome, EventType, NewTenantEvent, Subscription } from '../domain/model.js';
import type { ClaimRequest, IntegrationsStores } from '../domain/ports.js';

const unique = (name: string) => `${name}-${randomBytes(4).toString('hex')}`;
const hour = 3_600_000;
// Real time: the log's and the sweep's notion of "expired" is the database's clock.
const base = new Date(Math.floor(Date.now() / 1000) * 1000);
const at = (ms: number) => new Date(base.getTime() + ms);
const retained = { now: base, expiresAt: at(7 * 24 * hour) };

function event(tenantId: string, n: number, fields: Partial<NewTenantEvent> = {}): NewTenantEvent {
  const threadId = fields.threadId === undefined ? 'th-1' : fields.threadId;
  return {
    tenantId,
    id: `evt_${n}`,
    type: 'message.enriched',
    threadId,
    customerKey: 'ck-1',
    orderKey: threadId ?? 'customer:ck-1',
    occurredAt: at(n),
    body: JSON.stringify({ id: `evt_${n}`, n, text: 'ü ✓' }),
    ...fields,
  };
}

function subscription(tenantId: string, fields: Partial<Subscription> = {}): Subscription {
  return {
    tenantId,
    id: unique('sub'),
    url: 'https://hooks.example/parley',
    eventTypes: ['message.enriched', 'message.stored'],
    description: 'bot',
    enabled: true,
    pausedAt: null,
    pausedReason: null,
    sealedSecret: 'sealed-secret',
    sealedPreviousSecret: null,
    previousSecretExpiresAt: null,
    secretRotatedAt: base,
    createdAt: base,
    updatedAt: base,
    ...fields,
  };
}

const claimAt = (now: Date, fields: Partial<ClaimRequest> = {}): ClaimRequest => ({
  now,
  limit: 100,
  freeSlots: {},
  perSubscription: 100,
  leaseMs: 60_000,
  ...fields,
});

const delivered = (now: Date): AttemptOutcome => ({
  at: now,
  statusCode: 204,
  error: null,
  next: { kind: 'delivered' },
});

const failedAttempt = (now: Date, next: AttemptOutcome['next'], pauseIfFailingSince = at(-100 * hour)) => ({
  at: now,
  statusCode: 500,
  error: 'HTTP 500',
  next,
  pause: { pauseIfFailingSince, reason: 'kept failing' },
});

/**
 * What every integrations store must do, registered as vitest cases; run against the in-memory
 * adapters (unit) and PostgreSQL's (integration). Every case works in tenants of its own.
 *
 * @example
 * integrationsStoreContract('in memory', () => createInMemoryIntegrationsStores());
 */
export function integrationsStoreContract(adapter: string, stores: () => IntegrationsStores): void {
  /** A tenant with one subscription taking `types`, and `count` events of thread `th-1` appended. */
  async function tenantWithEvents(count: number, types: EventType[] = ['message.enriched']) {
    const tenantId = unique('acme');
    const sub = subscription(tenantId, { eventTypes: types });
    await stores().subscriptions.create(sub, 20);
    for (let n = 1; n <= count; n += 1) await stores().events.append(event(tenantId, n), retained);
    return { tenantId, sub };
  }

  describe(`integrations store contract (${adapter}): event log`, () => {
    it('appends every event once, with cursors 1, 2, 3 per tenant and no gap after a duplicate', async () => {
      const tenantId = unique('acme');
      const { events } = stores();
      expect(await events.append(event(tenantId, 1), retained)).toEqual({
        cursor: 1,
        inserted: true,
        deliveries: 0,
      });
      expect(await events.append(event(tenantId, 2), retained)).toMatchObject({ cursor: 2, inserted: true });
      expect(await events.append(event(tenantId, 1), retained)).toEqual({
        cursor: 1,
        inserted: false,
        deliveries: 0,
      });
      expect(await events.append(event(tenantId, 3), retained)).toMatchObject({ cursor: 3, inserted: true });
      const page = await events.read(tenantId, { after: 0, limit: 10, types: null, now: base });
      expect(page.events).toEqual([1, 2, 3].map((n) => ({ ...event(tenantId, n), cursor: n })));
      expect(page).toMatchObject({ head: 3, oldest: 1 });
    });

    it('numbers concurrent appends without gap or repeat, redeliveries among them stored once', async () => {
      const tenantId = unique('acme');
      const { events } = stores();
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) => events.append(event(tenantId, (i % 10) + 1), retained)),
      );
      expect(results.filter((result) => result.inserted)).toHaveLength(10);
      const page = await events.read(tenantId, { after: 0, limit: 100, types: null, now: base });
      expect(page.events.map((stored) => stored.cursor)).toEqual(Array.from({ length: 10 }, (_, i) => i + 1));
      const cursorOf = new Map(page.events.map((stored) => [stored.id, stored.cursor]));
      for (const [i, result] of results.entries())
        expect(result.cursor).toBe(cursorOf.get(`evt_${(i % 10) + 1}`));
    });

    it('reads from a cursor, at most limit, of the types asked for', async () => {
      const tenantId = unique('acme');
      const { events } = stores();
      for (let n = 1; n <= 5; n += 1)
        await events.append(
          event(tenantId, n, { type: n % 2 === 0 ? 'customer.updated' : 'message.enriched' }),
          retained,
        );
      const cursors = async (after: number, limit: number, types: EventType[] | null = null) =>
        (await events.read(tenantId, { after, limit, types, now: base })).events.map(
          (stored) => stored.cursor,
        );
      expect(await cursors(0, 10)).toEqual([1, 2, 3, 4, 5]);
      expect(await cursors(2, 2)).toEqual([3, 4]);
      expect(await cursors(5, 10)).toEqual([]);
      expect(await cursors(0, 10, ['customer.updated'])).toEqual([2, 4]);
      expect(await cursors(2, 10, ['message.enriched', 'session.ended'])).toEqual([3, 5]);
      expect(await events.read(unique('none'), { after: 0, limit: 10, types: null, now: base })).toEqual({
        events: [],
        head: 0,
        oldest: null,
      });
    });

    it('hides expired events at once and never lets expiry go backwards within a tenant', async () => {
      const tenantId = unique('acme');
      const { events } = stores();
      await events.append(event(tenantId, 1), { now: base, expiresAt: at(2 * hour) });
      // Expires earlier than the event before it: it stays as long as that one.
      await events.append(event(tenantId, 2), { now: base, expiresAt: at(hour) });
      await events.append(event(tenantId, 3), { now: base, expiresAt: at(4 * hour) });
      const read = (now: Date) => events.read(tenantId, { after: 0, limit: 10, types: null, now });
      expect((await read(at(90 * 60_000))).events.map((stored) => stored.cursor)).toEqual([1, 2, 3]);
      expect(await read(at(3 * hour))).toMatchObject({ events: [{ cursor: 3 }], head: 3, oldest: 3 });
      expect(await read(at(5 * hour))).toEqual({ events: [], head: 3, oldest: null });
      // The cursor goes on from the head, not from what is still live.
      expect(await events.append(event(tenantId, 4), { now: base, expiresAt: at(10 * hour) })).toMatchObject({
        cursor: 4,
      });
    });

    it('queues one delivery per enabled subscription taking the type, none for a duplicate', async () => {
      const tenantId = unique('acme');
      const { events, subscriptions, deliveries } = stores();
      const takes = subscription(tenantId, { eventTypes: ['message.enriched'] });
      const other = subscription(tenantId, { eventTypes: ['session.ended'] });
      const disabled = subscription(tenantId, { enabled: false });
      for (const sub of [takes, other, disabled]) await subscriptions.create(sub, 20);
      expect(await events.append(event(tenantId, 1), retained)).toMatchObject({ deliveries: 1 });
      expect(await events.append(event(tenantId, 1), retained)).toMatchObject({ deliveries: 0 });
      const log = await deliveries.list(tenantId, takes.id, { status: null, limit: 10, before: null });
      expect(log).toEqual([
        {
          tenantId,
          id: expect.stringMatching(/^dlv_/),
          subscriptionId: takes.id,
          eventCursor: 1,
          eventId: 'evt_1',
          eventType: 'message.enriched',
          threadId: 'th-1',
          orderKey: 'th-1',
          status: 'pending',
          attempts: 0,
          nextAttemptAt: base,
          lastAttemptAt: null,
          lastStatusCode: null,
          lastError: null,
          deliveredAt: null,
          createdAt: base,
          seriesStartedAt: base,
        },
      ]);
      for (const sub of [other, disabled])
        expect(await deliveries.list(tenantId, sub.id, { status: null, limit: 10, before: null })).toEqual(
          [],
        );
    });
  });

  describe(`integrations store contract (${adapter}): subscriptions`, () => {
    it('creates, finds, lists, changes, rotates and deletes a subscription', async () => {
      const tenantId = unique('acme');
      const { subscriptions } = stores();
      const first = subscription(tenantId, { createdAt: at(0) });
      const second = subscription(tenantId, { createdAt: at(1000), enabled: false });
      await subscriptions.create(first, 20);
      await subscriptions.create(second, 20);
      expect(await subscriptions.find(tenantId, first.id)).toEqual(first);
      expect((await subscriptions.list(tenantId)).map((sub) => sub.id)).toEqual([first.id, second.id]);

      const changed = await subscriptions.update(
        tenantId,
        first.id,
        { url: 'https://other.example/hook', eventTypes: ['session.ended'], description: 'new' },
        at(5000),
      );
      expect(changed).toEqual({
        ...first,
        url: 'https://other.example/hook',
        eventTypes: ['session.ended'],
        description: 'new',
        updatedAt: at(5000),
      });
      expect(await subscriptions.update(tenantId, first.id, { enabled: false }, at(6000))).toMatchObject({
        enabled: false,
        url: 'https://other.example/hook',
      });

      const rotated = await subscriptions.rotateSecret(tenantId, first.id, {
        sealedSecret: 'sealed-2',
        previousSecretExpiresAt: at(hour),
        now: at(7000),
      });
      expect(rotated).toMatchObject({
        sealedSecret: 'sealed-2',
        sealedPreviousSecret: 'sealed-secret',
        previousSecretExpiresAt: at(hour),
        secretRotatedAt: at(7000),
      });
      const again = await subscriptions.rotateSecret(tenantId, first.id, {
        sealedSecret: 'sealed-3',
        previousSecretExpiresAt: at(2 * hour),
        now: at(8000),
      });
      expect(again).toMatchObject({ sealedSecret: 'sealed-3', sealedPreviousSecret: 'sealed-2' });

      expect(await subscriptions.delete(tenantId, first.id)).toBe(true);
      expect(await subscriptions.delete(tenantId, first.id)).toBe(false);
      expect(await subscriptions.find(tenantId, first.id)).toBeNull();
      expect(await subscriptions.update(tenantId, first.id, { enabled: true }, base)).toBeNull();
      expect(
        await subscriptions.rotateSecret(tenantId, first.id, {
          sealedSecret: 'x',
          previousSecretExpiresAt: base,
          now: base,
        }),
      ).toBeNull();
    });

    it('refuses a subscription over the tenant’s limit, even when created at once', async () => {
      const tenantId = unique('acme');
      const { subscriptions } = stores();
      const results = await Promise.allSettled(
        Array.from({ length: 5 }, () => subscriptions.create(subscription(tenantId), 3)),
      );
      expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(3);
      for (const result of results.filter((r) => r.status === 'rejected'))
        expect((result as PromiseRejectedResult).reason).toMatchObject({ code: 'limit_exceeded' });
      expect(await subscriptions.list(tenantId)).toHaveLength(3);
      // Another tenant has its own limit.
      await subscriptions.create(subscription(unique('globex')), 3);
    });
  });

  describe(`integrations store contract (${adapter}): delivery queue`, () => {
    it('leases a due delivery to one claim, gives it again once the lease ran out, and records only the holder', async () => {
      const { tenantId } = await tenantWithEvents(1);
      const { deliveries } = stores();
      const [claimed, ...more] = await deliveries.claim(tenantId, claimAt(at(1)));
      expect(more).toEqual([]);
      expect(claimed).toMatchObject({
        delivery: { eventId: 'evt_1', status: 'pending', attempts: 0 },
        url: 'https://hooks.example/parley',
        body: event(tenantId, 1).body,
        sealedSecret: 'sealed-secret',
        sealedPreviousSecret: null,
      });
      expect(await deliveries.claim(tenantId, claimAt(at(30_000)))).toEqual([]);
      const [retaken] = await deliveries.claim(tenantId, claimAt(at(61_000)));
      expect(retaken?.delivery.id).toBe(claimed?.delivery.id);
      expect(retaken?.leaseToken).not.toBe(claimed?.leaseToken);
      const lease = { tenantId, deliveryId: claimed?.delivery.id as string };
      expect(
        await deliveries.complete(
          { ...lease, leaseToken: claimed?.leaseToken as string },
          delivered(at(62_000)),
        ),
      ).toEqual({
        recorded: false,
        paused: false,
      });
      expect(
        await deliveries.complete(
          { ...lease, leaseToken: retaken?.leaseToken as string },
          delivered(at(62_000)),
        ),
      ).toEqual({
        recorded: true,
        paused: false,
      });
      const [logged] = await deliveries.list(tenantId, claimed?.delivery.subscriptionId as string, {
        status: null,
        limit: 10,
        before: null,
      });
      expect(logged).toMatchObject({
        status: 'delivered',
        attempts: 1,
        nextAttemptAt: null,
        lastAttemptAt: at(62_000),
        lastStatusCode: 204,
        lastError: null,
        deliveredAt: at(62_000),
      });
      expect(await deliveries.claim(tenantId, claimAt(at(200_000)))).toEqual([]);
    });

    it('never hands one delivery to two claims at once', async () => {
      const tenantId = unique('acme');
      const { events, subscriptions, deliveries } = stores();
      await subscriptions.create(subscription(tenantId), 20);
      for (let n = 1; n <= 20; n += 1)
        await events.append(event(tenantId, n, { threadId: `th-${n}` }), retained);
      const claims = await Promise.all(
        Array.from({ length: 6 }, () => deliveries.claim(tenantId, claimAt(at(1)))),
      );
      const ids = claims.flat().map((claimed) => claimed.delivery.id);
      expect(new Set(ids).size).toBe(ids.length);
      expect(ids).toHaveLength(20);
    });

    it('keeps a thread in order: a later event waits until the earlier one is delivered or failed', async () => {
      const tenantId = unique('acme');
      const { events, subscriptions, deliveries } = stores();
      await subscriptions.create(
        subscription(tenantId, { eventTypes: ['message.enriched', 'customer.updated'] }),
        20,
      );
      await events.append(event(tenantId, 1, { threadId: 'th-a' }), retained);
      await events.append(event(tenantId, 2, { threadId: 'th-a' }), retained);
      await events.append(event(tenantId, 3, { threadId: 'th-a' }), retained);
      await events.append(event(tenantId, 4, { threadId: 'th-b' }), retained);
      await events.append(
        event(tenantId, 5, { threadId: null, type: 'customer.updated', orderKey: 'customer:ck-1' }),
        retained,
      );
      const ids = (claimed: { delivery: { eventId: string } }[]) =>
        claimed.map((c) => c.delivery.eventId).sort();
      const first = await deliveries.claim(tenantId, claimAt(at(1)));
      expect(ids(first)).toEqual(['evt_1', 'evt_4', 'evt_5']);
      // evt_2 waits while evt_1 is in flight, and while it waits for its retry.
      expect(await deliveries.claim(tenantId, claimAt(at(2)))).toEqual([]);
      const one = first.find((c) => c.delivery.eventId === 'evt_1');
      const lease = (c: typeof one) => ({
        tenantId,
        deliveryId: c?.delivery.id as string,
        leaseToken: c?.leaseToken as string,
      });
      await deliveries.complete(
        lease(one),
        failedAttempt(at(3), { kind: 'retry', nextAttemptAt: at(10_000) }),
      );
      expect(await deliveries.claim(tenantId, claimAt(at(5_000)))).toEqual([]);
      const retry = await deliveries.claim(tenantId, claimAt(at(10_000)));
      expect(ids(retry)).toEqual(['evt_1']);
      await deliveries.complete(lease(retry[0]), failedAttempt(at(10_001), { kind: 'failed' }));
      const second = await deliveries.claim(tenantId, claimAt(at(10_002)));
      expect(ids(second)).toEqual(['evt_2']);
      await deliveries.complete(lease(second[0]), delivered(at(10_003)));
      expect(ids(await deliveries.claim(tenantId, claimAt(at(10_004))))).toEqual(['evt_3']);
    });

    it('claims at most limit, and at most the free slots of each subscription', async () => {
      const tenantId = unique('acme');
      const { events, subscriptions, deliveries } = stores();
      const a = subscription(tenantId, { createdAt: at(0) });
      const b = subscription(tenantId, { createdAt: at(1) });
      await subscriptions.create(a, 20);
      await subscriptions.create(b, 20);
      for (let n = 1; n <= 6; n += 1)
        await events.append(event(tenantId, n, { threadId: `th-${n}` }), retained);
      const bySubscription = (claimed: { delivery: { subscriptionId: string } }[]) =>
        [a.id, b.id].map((id) => claimed.filter((c) => c.delivery.subscriptionId === id).length);
      expect(
        bySubscription(
          await deliveries.claim(tenantId, claimAt(at(1), { freeSlots: { [a.id]: 1 }, perSubscription: 2 })),
        ),
      ).toEqual([1, 2]);
      expect(await deliveries.claim(tenantId, claimAt(at(2), { limit: 3 }))).toHaveLength(3);
      expect(
        await deliveries.claim(tenantId, claimAt(at(3), { freeSlots: { [a.id]: 0, [b.id]: 0 } })),
      ).toEqual([]);
    });

    it('pauses a subscription whose attempts kept failing, and resumes it when enabled again', async () => {
      const { tenantId, sub } = await tenantWithEvents(2);
      const { subscriptions, deliveries } = stores();
      const lease = (c: { delivery: { id: string }; leaseToken: string } | undefined) => ({
        tenantId,
        deliveryId: c?.delivery.id as string,
        leaseToken: c?.leaseToken as string,
      });
      // The first failure starts the streak; not paused while it began after pauseIfFailingSince.
      const [first] = await deliveries.claim(tenantId, claimAt(at(1)));
      expect(
        await deliveries.complete(
          lease(first),
          failedAttempt(at(1000), { kind: 'retry', nextAttemptAt: at(2000) }, at(0)),
        ),
      ).toEqual({ recorded: true, paused: false });
      const [second] = await deliveries.claim(tenantId, claimAt(at(2000)));
      expect(
        await deliveries.complete(
          lease(second),
          failedAttempt(at(3000), { kind: 'retry', nextAttemptAt: at(4000) }, at(1000)),
        ),
      ).toEqual({ recorded: true, paused: true });
      expect(await subscriptions.find(tenantId, sub.id)).toMatchObject({
        enabled: true,
        pausedAt: at(3000),
        pausedReason: 'kept failing',
      });
      expect(await deliveries.claim(tenantId, claimAt(at(5000)))).toEqual([]);
      expect(await deliveries.dueTenants(at(5000), 10_000, { tenants: [], subscriptions: [] })).not.toContain(
        tenantId,
      );

      const resumed = await subscriptions.update(tenantId, sub.id, { enabled: true }, at(3500));
      expect(resumed).toMatchObject({ enabled: true, pausedAt: null, pausedReason: null });
      // Due at once again, the streak begun anew: the next failure does not pause by itself.
      const [third] = await deliveries.claim(tenantId, claimAt(at(3500)));
      expect(third?.delivery.id).toBe(first?.delivery.id);
      expect(
        await deliveries.complete(
          lease(third),
          failedAttempt(at(3600), { kind: 'retry', nextAttemptAt: at(4000) }, at(3500)),
        ),
      ).toEqual({ recorded: true, paused: false });
      const [fourth] = await deliveries.claim(tenantId, claimAt(at(4000)));
      await deliveries.complete(lease(fourth), delivered(at(4100)));
      const [next] = await deliveries.claim(tenantId, claimAt(at(4200)));
      // A success ended the streak: a failure much later starts a new one.
      expect(
        await deliveries.complete(
          lease(next),
          failedAttempt(at(9000), { kind: 'retry', nextAttemptAt: at(9999) }, at(8000)),
        ),
      ).toEqual({ recorded: true, paused: false });
    });

    it('finds tenants with due work, leaving out busy tenants and subscriptions', async () => {
      const { tenantId, sub } = await tenantWithEvents(1);
      const { deliveries } = stores();
      const idle = { tenants: [], subscriptions: [] };
      expect(await deliveries.dueTenants(at(1), 10_000, idle)).toContain(tenantId);
      expect(
        await deliveries.dueTenants(at(1), 10_000, { tenants: [tenantId], subscriptions: [] }),
      ).not.toContain(tenantId);
      expect(
        await deliveries.dueTenants(at(1), 10_000, {
          tenants: [],
          subscriptions: [{ tenantId, subscriptionId: sub.id }],
        }),
      ).not.toContain(tenantId);
      expect(await deliveries.dueTenants(at(-hour), 10_000, idle)).not.toContain(tenantId);
      await deliveries.claim(tenantId, claimAt(at(1)));
      expect(await deliveries.dueTenants(at(2), 10_000, idle)).not.toContain(tenantId);
    });

    it('counts only the head of a thread as due: a blocked thread’s later deliveries make no tenant due', async () => {
      // Otherwise tenants whose endpoints fail fill the dispatcher's window of due tenants with work
      // no claim takes, and every other tenant waits.
      const blocked = await tenantWithEvents(3);
      const other = await tenantWithEvents(1);
      const { deliveries } = stores();
      const idle = { tenants: [], subscriptions: [] };
      const due = async (now: Date) => {
        const tenants = await deliveries.dueTenants(now, 10_000, idle);
        return [blocked.tenantId, other.tenantId].map((tenantId) => tenants.includes(tenantId));
      };
      const [head] = await deliveries.claim(blocked.tenantId, claimAt(at(1)));
      expect(head?.delivery.eventId).toBe('evt_1');
      // The head is in flight: evt_2 and evt_3 wait behind it, though due since they were queued.
      expect(await due(at(2))).toEqual([false, true]);
      expect(await deliveries.claim(blocked.tenantId, claimAt(at(2)))).toEqual([]);
      await deliveries.complete(
        {
          tenantId: blocked.tenantId,
          deliveryId: head?.delivery.id as string,
          leaseToken: head?.leaseToken as string,
        },
        failedAttempt(at(3), { kind: 'retry', nextAttemptAt: at(10_000) }),
      );
      // The head waits for its retry: still nothing of the tenant is due.
      expect(await due(at(5_000))).toEqual([false, true]);
      expect(await due(at(10_000))).toEqual([true, true]);
    });

    it('lists the log newest first, by status and page, and redelivers as a new series', async () => {
      const { tenantId, sub } = await tenantWithEvents(5);
      const { deliveries } = stores();
      const list = (query: Partial<Parameters<typeof deliveries.list>[2]> = {}) =>
        deliveries.list(tenantId, sub.id, { status: null, limit: 10, before: null, ...query });
      expect((await list()).map((d) => d.eventCursor)).toEqual([5, 4, 3, 2, 1]);
      expect((await list({ limit: 2, before: 4 })).map((d) => d.eventCursor)).toEqual([3, 2]);
      const [claimed] = await deliveries.claim(tenantId, claimAt(at(1)));
      await deliveries.complete(
        { tenantId, deliveryId: claimed?.delivery.id as string, leaseToken: claimed?.leaseToken as string },
        delivered(at(2)),
      );
      expect((await list({ status: 'delivered' })).map((d) => d.eventCursor)).toEqual([1]);
      expect(await list({ status: 'failed' })).toEqual([]);

      const again = await deliveries.redeliver(tenantId, sub.id, claimed?.delivery.id as string, at(100));
      expect(again).toMatchObject({
        status: 'pending',
        attempts: 0,
        nextAttemptAt: at(100),
        seriesStartedAt: at(100),
        deliveredAt: null,
        lastStatusCode: 204,
        eventId: 'evt_1',
      });
      const [retaken] = await deliveries.claim(tenantId, claimAt(at(100)));
      expect(retaken?.delivery.id).toBe(claimed?.delivery.id);
      expect(
        await deliveries.redeliver(tenantId, unique('sub'), claimed?.delivery.id as string, at(100)),
      ).toBeNull();
      expect(await deliveries.redeliver(tenantId, sub.id, 'dlv_none', at(100))).toBeNull();
    });

    it('keeps a redelivery queued while an attempt is in flight, and sends it once that attempt ended', async () => {
      const { tenantId, sub } = await tenantWithEvents(2);
      const { deliveries } = stores();
      const lease = (c: { delivery: { id: string }; leaseToken: string } | undefined) => ({
        tenantId,
        deliveryId: c?.delivery.id as string,
        leaseToken: c?.leaseToken as string,
      });
      const logged = async () =>
        (await deliveries.list(tenantId, sub.id, { status: null, limit: 10, before: null })).find(
          (d) => d.eventId === 'evt_1',
        );
      const [inFlight] = await deliveries.claim(tenantId, claimAt(at(1)));
      const id = inFlight?.delivery.id as string;
      expect(await deliveries.redeliver(tenantId, sub.id, id, at(10))).toMatchObject({ status: 'pending' });
      // Asked twice while the attempt runs: still one redelivery.
      await deliveries.redeliver(tenantId, sub.id, id, at(20));
      // One attempt of a delivery at a time: the redelivery waits for the one in flight…
      expect(await deliveries.claim(tenantId, claimAt(at(30)))).toEqual([]);
      expect(await deliveries.dueTenants(at(30), 10_000, { tenants: [], subscriptions: [] })).not.toContain(
        tenantId,
      );
      // …whose outcome no longer counts: it does not end the redelivery.
      expect(await deliveries.complete(lease(inFlight), delivered(at(40)))).toEqual({
        recorded: false,
        paused: false,
      });
      expect(await logged()).toMatchObject({
        status: 'pending',
        attempts: 0,
        nextAttemptAt: at(20),
        seriesStartedAt: at(20),
        deliveredAt: null,
      });
      // Sent as soon as that attempt ended, long before its lease would have run out.
      const [redelivery, ...rest] = await deliveries.claim(tenantId, claimAt(at(50)));
      expect(rest).toEqual([]);
      expect(redelivery?.delivery).toMatchObject({ id, attempts: 0 });
      expect(await deliveries.complete(lease(redelivery), delivered(at(60)))).toEqual({
        recorded: true,
        paused: false,
      });
      expect(await logged()).toMatchObject({ status: 'delivered', attempts: 1, deliveredAt: at(60) });

      // A lease that ran out (its replica died) does not hold a redelivery back, and its late
      // outcome changes nothing.
      const [second] = await deliveries.claim(tenantId, claimAt(at(100)));
      expect(second?.delivery.eventId).toBe('evt_2');
      await deliveries.redeliver(tenantId, sub.id, second?.delivery.id as string, at(70_000));
      const [again] = await deliveries.claim(tenantId, claimAt(at(70_000)));
      expect(again?.delivery.id).toBe(second?.delivery.id);
      expect(await deliveries.complete(lease(second), delivered(at(70_001)))).toMatchObject({
        recorded: false,
      });
      expect(await deliveries.claim(tenantId, claimAt(at(70_002)))).toEqual([]);
      expect(await deliveries.complete(lease(again), delivered(at(70_003)))).toMatchObject({
        recorded: true,
      });
    });

    it('counts pending deliveries and paused subscriptions across tenants', async () => {
      const { deliveries } = stores();
      const before = await deliveries.counts();
      const { tenantId } = await tenantWithEvents(3);
      expect(await deliveries.counts()).toEqual({ pending: before.pending + 3, paused: before.paused });
      const [claimed] = await deliveries.claim(tenantId, claimAt(at(1)));
      await deliveries.complete(
        { tenantId, deliveryId: claimed?.delivery.id as string, leaseToken: claimed?.leaseToken as string },
        failedAttempt(at(2), { kind: 'failed' }, at(10)),
      );
      expect(await deliveries.counts()).toEqual({ pending: before.pending + 2, paused: before.paused + 1 });
    });

    it('deletes a subscription with its deliveries', async () => {
      const { tenantId, sub } = await tenantWithEvents(2);
      const { subscriptions, deliveries } = stores();
      await subscriptions.delete(tenantId, sub.id);
      expect(await deliveries.claim(tenantId, claimAt(at(1)))).toEqual([]);
      expect(await deliveries.list(tenantId, sub.id, { status: null, limit: 10, before: null })).toEqual([]);
    });
  });

  describe(`integrations store contract (${adapter}): tenant isolation`, () => {
    it('never shows or hands tenant A’s events, subscriptions or deliveries to tenant B, same ids or not', async () => {
      const a = await tenantWithEvents(2);
      const b = unique('tenant-b');
      const { events, subscriptions, deliveries } = stores();
      expect(await events.read(b, { after: 0, limit: 10, types: null, now: base })).toEqual({
        events: [],
        head: 0,
        oldest: null,
      });
      expect(await subscriptions.find(b, a.sub.id)).toBeNull();
      expect(await subscriptions.list(b)).toEqual([]);
      expect(await subscriptions.update(b, a.sub.id, { enabled: false }, base)).toBeNull();
      expect(await subscriptions.delete(b, a.sub.id)).toBe(false);
      expect(await deliveries.list(b, a.sub.id, { status: null, limit: 10, before: null })).toEqual([]);
      expect(await deliveries.claim(b, claimAt(at(1)))).toEqual([]);

      // B's subscription and events of the same ids are B's own, numbered from 1.
      const own = subscription(b, { id: a.sub.id });
      await subscriptions.create(own, 20);
      expect(await events.append(event(b, 1), retained)).toEqual({
        cursor: 1,
        inserted: true,
        deliveries: 1,
      });
      const [claimed, ...rest] = await deliveries.claim(b, claimAt(at(1)));
      expect(rest).toEqual([]);
      expect(claimed).toMatchObject({ delivery: { tenantId: b, eventCursor: 1 } });
      const [redelivery] = await deliveries.list(a.tenantId, a.sub.id, {
        status: null,
        limit: 1,
        before: null,
      });
      expect(await deliveries.redeliver(b, a.sub.id, redelivery?.id as string, at(2))).toBeNull();
      expect(
        await deliveries.complete(
          {
            tenantId: a.tenantId,
            deliveryId: claimed?.delivery.id as string,
            leaseToken: claimed?.leaseToken as string,
          },
          delivered(at(2)),
        ),
      ).toEqual({ recorded: false, paused: false });
      expect(
        (await events.read(a.tenantId, { after: 0, limit: 10, types: null, now: base })).events,
      ).toHaveLength(2);
      expect(await subscriptions.find(a.tenantId, a.sub.id)).toEqual(a.sub);
    });
  });
}
