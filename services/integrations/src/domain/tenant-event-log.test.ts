import type { SessionEnded } from '@parley/contracts';
import { describe, expect, it } from 'vitest';
import { createInMemoryIntegrationsStores } from '../adapters/in-memory-integrations-stores.js';
import { createAppendSignal } from './append-signal.js';
import { createTenantEventLog } from './tenant-event-log.js';

const hour = 3_600_000;

function setup({ retentionMs = 24 * hour, pollIntervalMs = 60_000 } = {}) {
  const stores = createInMemoryIntegrationsStores();
  let now = new Date();
  const appended: string[] = [];
  const log = createTenantEventLog({
    events: stores.events,
    clock: { now: () => now },
    signal: createAppendSignal(),
    retentionMs,
    pollIntervalMs,
    onAppended: (event) => appended.push(event.id),
  });
  return {
    log,
    appended,
    advance(ms: number) {
      now = new Date(now.getTime() + ms);
    },
  };
}

const ended = (tenantId: string, n: number): SessionEnded => ({
  sessionEventId: `se-${n}`,
  tenantId,
  customerKey: 'ck-1',
  threadId: 'th-1',
  deviceId: 'laptop',
  allDevices: false,
  sessionsEnded: 1,
  reason: 'customer_logout',
  endedAt: new Date().toISOString(),
});

const record = (log: ReturnType<typeof setup>['log'], tenantId: string, n: number) =>
  log.record({ topic: 'chat.sessions.ended.v1', event: ended(tenantId, n) }, `ce-${n}`);

const read = { after: '', limit: 0, waitMs: 0, eventTypes: [] as string[] };

describe('tenant event log', () => {
  it('appends each event once and tells only of new ones', async () => {
    const { log, appended } = setup();
    const first = await record(log, 'acme', 1);
    expect(first).toMatchObject({ cursor: 1, inserted: true });
    expect(await record(log, 'acme', 1)).toMatchObject({ cursor: 1, inserted: false });
    expect(appended).toEqual([first?.event.id]);
  });

  it('reads from a cursor without loss or repeat, and resumes where the last read ended', async () => {
    const { log } = setup();
    for (let n = 1; n <= 5; n += 1) await record(log, 'acme', n);
    const page = await log.read({ ...read, tenantId: 'acme', limit: 2 });
    expect(page).toMatchObject({ cursor: '2', cursorExpired: false });
    expect(page.events.map((event) => event.cursor)).toEqual([1, 2]);
    const rest = await log.read({ ...read, tenantId: 'acme', after: page.cursor });
    expect(rest.events.map((event) => event.cursor)).toEqual([3, 4, 5]);
    expect(await log.read({ ...read, tenantId: 'acme', after: rest.cursor })).toEqual({
      events: [],
      cursor: '5',
      cursorExpired: false,
    });
    expect(await log.read({ ...read, tenantId: 'globex' })).toEqual({
      events: [],
      cursor: '',
      cursorExpired: false,
    });
  });

  it('moves the cursor past events a type filter skipped', async () => {
    const { log } = setup();
    for (let n = 1; n <= 3; n += 1) await record(log, 'acme', n);
    expect(await log.read({ ...read, tenantId: 'acme', eventTypes: ['message.stored'] })).toEqual({
      events: [],
      cursor: '3',
      cursorExpired: false,
    });
  });

  it('waits for the next event and is woken at once by an append', async () => {
    const { log } = setup({ pollIntervalMs: 60_000 });
    await record(log, 'acme', 1);
    const started = Date.now();
    const waiting = log.read({ ...read, tenantId: 'acme', after: '1', waitMs: 20_000 });
    await record(log, 'globex', 1); // another tenant's event wakes no one
    await record(log, 'acme', 2);
    const page = await waiting;
    expect(page.events.map((event) => event.cursor)).toEqual([2]);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('answers empty when the wait is over, the deadline is near or the caller went away', async () => {
    const { log } = setup({ pollIntervalMs: 20 });
    await record(log, 'acme', 1);
    expect(await log.read({ ...read, tenantId: 'acme', after: '1', waitMs: 50 })).toEqual({
      events: [],
      cursor: '1',
      cursorExpired: false,
    });
    const until = Date.now() + 50;
    expect(
      (await log.read({ ...read, tenantId: 'acme', after: '1', waitMs: 20_000 }, { until })).events,
    ).toEqual([]);
    const abort = new AbortController();
    const waiting = log.read(
      { ...read, tenantId: 'acme', after: '1', waitMs: 20_000 },
      { abort: abort.signal },
    );
    abort.abort();
    expect((await waiting).events).toEqual([]);
  });

  it('says when a cursor is older than the retention window, and resumes at the oldest event kept', async () => {
    const { log, advance } = setup({ retentionMs: hour });
    await record(log, 'acme', 1);
    await record(log, 'acme', 2);
    advance(2 * hour);
    await record(log, 'acme', 3);
    const page = await log.read({ ...read, tenantId: 'acme', after: '1' });
    expect(page).toMatchObject({ cursor: '3', cursorExpired: true });
    expect(page.events.map((event) => event.cursor)).toEqual([3]);
    expect(await log.read({ ...read, tenantId: 'acme', after: '2' })).toMatchObject({ cursorExpired: false });
    advance(2 * hour);
    expect(await log.read({ ...read, tenantId: 'acme', after: '2' })).toEqual({
      events: [],
      cursor: '3',
      cursorExpired: true,
    });
    // From the oldest retained event: nothing was promised, nothing is missed.
    expect(await log.read({ ...read, tenantId: 'acme' })).toMatchObject({ cursorExpired: false });
  });

  it('refuses a request it cannot answer with invalid_argument', async () => {
    const { log } = setup();
    await record(log, 'acme', 1);
    const bad = [
      { tenantId: '' },
      { after: 'abc' },
      { after: '-1' },
      { after: '9' }, // ahead of the tenant's log
      { waitMs: -1 },
      { eventTypes: ['chat.deliveries.v1'] },
    ];
    for (const change of bad)
      await expect(
        log.read({ ...read, tenantId: 'acme', ...change }),
        JSON.stringify(change),
      ).rejects.toMatchObject({
        code: 'invalid_argument',
      });
  });
});
