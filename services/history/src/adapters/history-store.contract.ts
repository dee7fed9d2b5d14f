import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { FieldValue, NewMessage } from '../domain/model.js';
import type { HistoryStores } from '../domain/ports.js';

const unique = (name: string) => `${name}-${randomBytes(4).toString('hex')}`;
const at = (seconds: number) => new Date(Date.UTC(2025, 0, 2, 3, 4, 5) + seconds * 1000);

/** A customer's message in a fresh thread (or `where`'s), numbered `n` in its id. */
function message(where: { tenantId: string; threadId: string; customerKey: string }, n: number): NewMessage {
  return {
    ...where,
    messageId: `${where.threadId}-m${n}`,
    author: { kind: 'customer', id: where.customerKey, name: 'Ada' },
    deviceId: 'laptop',
    text: `message ${n}`,
    sentAt: at(n),
    storedAt: at(n + 0.5),
    customerData: { status: 'ok' },
  };
}

const freshThread = (tenantId = unique('acme')) => ({
  tenantId,
  threadId: unique('th'),
  customerKey: unique('ck'),
});

/**
 * What every history store must do, registered as vitest cases; run against the in-memory adapters
 * (unit) and PostgreSQL's (integration). Every case works in tenants and threads of its own.
 *
 * @example
 * historyStoreContract('in memory', () => createInMemoryHistoryStores());
 */
export function historyStoreContract(adapter: string, stores: () => HistoryStores): void {
  describe(`history store contract (${adapter}): messages and threads`, () => {
    it('numbers a thread’s messages 1, 2, 3 and creates the thread owned by their customer', async () => {
      const where = freshThread();
      const { messages, threads } = stores();
      expect(await threads.find(where.tenantId, where.threadId)).toBeNull();
      for (let n = 1; n <= 3; n += 1) {
        const { message: stored, inserted } = await messages.store(message(where, n));
        expect(inserted).toBe(true);
        expect(stored).toEqual({ ...message(where, n), seq: n });
      }
      expect(await threads.find(where.tenantId, where.threadId)).toEqual(where);
    });

    it('keeps every field as written, optional ones absent', async () => {
      const where = freshThread();
      const { messages } = stores();
      const bot: NewMessage = {
        ...where,
        messageId: unique('bot'),
        author: { kind: 'bot', id: 'helper' },
        text: 'how can I help? ✓ 👋',
        sentAt: new Date('2025-03-04T05:06:07.891Z'),
        storedAt: new Date('2025-03-04T05:06:08.012Z'),
      };
      const unavailable: NewMessage = {
        ...message(where, 2),
        customerData: { status: 'unavailable', reason: 'timeout' },
      };
      await messages.store(bot);
      await messages.store(unavailable);
      const page = await messages.after(where.tenantId, where.threadId, 0, 10);
      expect(page).toEqual([
        { ...bot, seq: 1 },
        { ...unavailable, seq: 2 },
      ]);
      expect(page[0]).not.toHaveProperty('deviceId');
      expect(page[0]).not.toHaveProperty('customerData');
      expect(page[0]?.author).not.toHaveProperty('name');
    });

    it('stores a redelivered message once, returns the stored one and spends no number on it', async () => {
      const where = freshThread();
      const { messages } = stores();
      await messages.store(message(where, 1));
      await messages.store(message(where, 2));
      const again = await messages.store({ ...message(where, 1), storedAt: at(99) });
      expect(again).toEqual({ message: { ...message(where, 1), seq: 1 }, inserted: false });
      expect((await messages.store(message(where, 3))).message.seq).toBe(3);
      const page = await messages.after(where.tenantId, where.threadId, 0, 10);
      expect(page.map((stored) => stored.messageId)).toEqual([1, 2, 3].map((n) => `${where.threadId}-m${n}`));
    });

    it('numbers concurrent messages of one thread without gap or repeat, duplicates included', async () => {
      const where = freshThread();
      const { messages } = stores();
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) => messages.store(message(where, (i % 10) + 1))),
      );
      expect(results.filter((result) => result.inserted)).toHaveLength(10);
      const page = await messages.after(where.tenantId, where.threadId, 0, 100);
      expect(page.map((stored) => stored.seq)).toEqual(Array.from({ length: 10 }, (_, i) => i + 1));
      expect(new Set(page.map((stored) => stored.messageId)).size).toBe(10);
      // Both deliveries of a message saw the same number.
      const seqOf = new Map(page.map((stored) => [stored.messageId, stored.seq]));
      for (const { message: stored } of results) expect(stored.seq).toBe(seqOf.get(stored.messageId));
    });

    it('pages with after(): oldest first, from a cursor, at most limit', async () => {
      const where = freshThread();
      const { messages } = stores();
      for (let n = 1; n <= 5; n += 1) await messages.store(message(where, n));
      const seqs = async (afterSeq: number, limit: number) =>
        (await messages.after(where.tenantId, where.threadId, afterSeq, limit)).map((stored) => stored.seq);
      expect(await seqs(0, 10)).toEqual([1, 2, 3, 4, 5]);
      expect(await seqs(2, 2)).toEqual([3, 4]);
      expect(await seqs(4, 10)).toEqual([5]);
      expect(await seqs(5, 10)).toEqual([]);
      expect(await messages.after(where.tenantId, unique('none'), 0, 10)).toEqual([]);
    });

    it('refuses a message into a thread another customer owns, and numbers on after it', async () => {
      const where = freshThread();
      const { messages, threads } = stores();
      await messages.store(message(where, 1));
      await expect(
        messages.store({ ...message(where, 2), customerKey: unique('intruder') }),
      ).rejects.toMatchObject({ code: 'permission_denied' });
      expect((await messages.store(message(where, 3))).message.seq).toBe(2);
      expect(await threads.find(where.tenantId, where.threadId)).toEqual(where);
    });
  });

  describe(`history store contract (${adapter}): customers`, () => {
    const snapshot = (
      where: { tenantId: string; customerKey: string },
      seconds: number,
      fields: Record<string, FieldValue> = { tier: `tier-${seconds}` },
      name: string | null = 'Ada',
    ) => ({ ...where, id: 'cust-1', name, fields, at: at(seconds) });
    const customer = () => ({ tenantId: unique('acme'), customerKey: unique('ck') });

    it('has no profile before the brand’s first snapshot, agent fields or not', async () => {
      const where = customer();
      const { customers } = stores();
      expect(await customers.find(where.tenantId, where.customerKey)).toBeNull();
      await customers.saveAgentFields(where.tenantId, where.customerKey, { note: 'x' }, at(0));
      expect(await customers.find(where.tenantId, where.customerKey)).toBeNull();
    });

    it('keeps the newest snapshot whatever order they arrive in', async () => {
      const where = customer();
      const { customers } = stores();
      for (const minutes of [3, 9, 1, 5, 2, 9, 4])
        await customers.saveFromOrigin(
          snapshot(where, minutes * 60, { tier: `tier-${minutes}`, n: minutes }),
        );
      expect(await customers.find(where.tenantId, where.customerKey)).toEqual({
        ...where,
        id: 'cust-1',
        name: 'Ada',
        fields: {
          tier: { value: 'tier-9', source: 'oauth', at: at(9 * 60) },
          n: { value: 9, source: 'oauth', at: at(9 * 60) },
        },
      });
    });

    it('replaces every brand field with the newer snapshot’s, name and id included', async () => {
      const where = customer();
      const { customers } = stores();
      await customers.saveFromOrigin(snapshot(where, 0, { tier: 'gold', openCase: 'CASE-1' }));
      await customers.saveFromOrigin({
        ...snapshot(where, 10, { tier: 'platinum', vip: true, score: null }, null),
        id: 'cust-2',
      });
      const profile = await customers.find(where.tenantId, where.customerKey);
      expect(profile).toMatchObject({ id: 'cust-2', name: null });
      expect(Object.keys(profile?.fields ?? {}).sort()).toEqual(['score', 'tier', 'vip']);
      expect(profile?.fields.vip).toEqual({ value: true, source: 'oauth', at: at(10) });
      expect(profile?.fields.score).toEqual({ value: null, source: 'oauth', at: at(10) });
    });

    it('writes an unchanged snapshot again only once it is a minute newer', async () => {
      const where = customer();
      const { customers } = stores();
      const fetchedAt = async () =>
        (await customers.find(where.tenantId, where.customerKey))?.fields.tier?.at.getTime();
      await customers.saveFromOrigin(snapshot(where, 0, { tier: 'gold' }));
      await customers.saveFromOrigin(snapshot(where, 30, { tier: 'gold' }));
      expect(await fetchedAt()).toBe(at(0).getTime());
      await customers.saveFromOrigin(snapshot(where, 61, { tier: 'gold' }));
      expect(await fetchedAt()).toBe(at(61).getTime());
      // A change is written at once.
      await customers.saveFromOrigin(snapshot(where, 62, { tier: 'platinum' }));
      expect(await fetchedAt()).toBe(at(62).getTime());
      await customers.saveFromOrigin(snapshot(where, 63, { tier: 'platinum' }, 'Ada L.'));
      expect((await customers.find(where.tenantId, where.customerKey))?.name).toBe('Ada L.');
    });

    it('keeps agent fields beside the snapshot, newest edit winning, brand fields first', async () => {
      const where = customer();
      const { customers } = stores();
      await customers.saveFromOrigin(snapshot(where, 0, { tier: 'gold' }));
      await customers.saveAgentFields(where.tenantId, where.customerKey, { note: 'a', count: 1 }, at(10));
      await customers.saveAgentFields(where.tenantId, where.customerKey, { note: 'b', done: false }, at(20));
      // An edit made earlier but arriving late changes nothing it would undo.
      await customers.saveAgentFields(where.tenantId, where.customerKey, { note: 'late', count: 0 }, at(5));
      await customers.saveFromOrigin(snapshot(where, 30, { tier: 'platinum' }));
      await customers.saveAgentFields(where.tenantId, where.customerKey, { tier: 'agent-tier' }, at(40));
      const profile = await customers.find(where.tenantId, where.customerKey);
      expect(profile?.fields).toEqual({
        tier: { value: 'platinum', source: 'oauth', at: at(30) },
        note: { value: 'b', source: 'agent', at: at(20) },
        count: { value: 1, source: 'agent', at: at(10) },
        done: { value: false, source: 'agent', at: at(20) },
      });
    });

    it('ends in the newest values when agent edits and snapshots race', async () => {
      const where = customer();
      const { customers } = stores();
      await customers.saveFromOrigin(snapshot(where, 0));
      await Promise.all([
        ...Array.from({ length: 10 }, (_, i) =>
          customers.saveAgentFields(where.tenantId, where.customerKey, { [`note${i}`]: `edit ${i}` }, at(i)),
        ),
        ...[7, 3, 9, 1, 5].map((seconds) =>
          customers.saveAgentFields(where.tenantId, where.customerKey, { shared: seconds }, at(seconds)),
        ),
        ...[3, 9, 1, 5, 2, 4].map((minutes) => customers.saveFromOrigin(snapshot(where, minutes * 60))),
      ]);
      const profile = await customers.find(where.tenantId, where.customerKey);
      for (let i = 0; i < 10; i += 1) expect(profile?.fields[`note${i}`]?.value).toBe(`edit ${i}`);
      expect(profile?.fields.shared).toEqual({ value: 9, source: 'agent', at: at(9) });
      expect(profile?.fields.tier).toEqual({ value: 'tier-540', source: 'oauth', at: at(540) });
    });
  });

  describe(`history store contract (${adapter}): tenant isolation`, () => {
    it('never shows tenant A’s threads, messages or customers to tenant B, same ids or not', async () => {
      const a = freshThread(unique('tenant-a'));
      const b = { ...a, tenantId: unique('tenant-b') };
      const { messages, threads, customers } = stores();
      await messages.store(message(a, 1));
      await messages.store(message(a, 2));
      await customers.saveFromOrigin({ ...a, id: 'a', name: 'A', fields: { tier: 'a' }, at: at(0) });
      await customers.saveAgentFields(a.tenantId, a.customerKey, { note: 'a' }, at(1));

      expect(await threads.find(b.tenantId, b.threadId)).toBeNull();
      expect(await messages.after(b.tenantId, b.threadId, 0, 10)).toEqual([]);
      expect(await customers.find(b.tenantId, b.customerKey)).toBeNull();

      // B's thread of the same id is B's own: numbered from 1, owned by whoever B says.
      const owner = unique('ck-b');
      const first = await messages.store({ ...message(b, 1), customerKey: owner });
      expect(first).toMatchObject({ inserted: true, message: { tenantId: b.tenantId, seq: 1 } });
      expect(await threads.find(b.tenantId, b.threadId)).toEqual({ ...b, customerKey: owner });
      expect(await threads.find(a.tenantId, a.threadId)).toEqual(a);
      await customers.saveFromOrigin({ ...b, id: 'b', name: 'B', fields: { tier: 'b' }, at: at(0) });
      await customers.saveAgentFields(b.tenantId, b.customerKey, { note: 'b' }, at(1));

      expect((await messages.after(a.tenantId, a.threadId, 0, 10)).map((stored) => stored.seq)).toEqual([
        1, 2,
      ]);
      expect(await messages.after(b.tenantId, b.threadId, 0, 10)).toMatchObject([
        { tenantId: b.tenantId, customerKey: owner, seq: 1 },
      ]);
      expect(await customers.find(a.tenantId, a.customerKey)).toMatchObject({
        tenantId: a.tenantId,
        id: 'a',
        fields: { tier: { value: 'a' }, note: { value: 'a' } },
      });
      expect(await customers.find(b.tenantId, b.customerKey)).toMatchObject({
        tenantId: b.tenantId,
        id: 'b',
        fields: { tier: { value: 'b' }, note: { value: 'b' } },
      });
    });
  });
}
