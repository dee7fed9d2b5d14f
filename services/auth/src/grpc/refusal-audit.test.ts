import { randomBytes } from 'node:crypto';
import { createLogger } from '@parley/logger';
import { createSecretBox } from '@parley/secrets';
import { describe, expect, it, vi } from 'vitest';
import { createInMemoryAuthRepositories } from '../adapters/in-memory-auth-repositories.js';
import type { RefusalLog } from '../domain/ports.js';
import { auditRefusals } from './refusal-audit.js';

const logger = createLogger({ service: 'auth', version: 'test', level: 'silent' });
const exchangeCode = '/parley.auth.v1.AuthService/ExchangeCode';
const putChannel = '/parley.auth.v1.AuthService/PutChannel';

function setup(start = Date.UTC(2030, 0, 1, 12, 0, 5)) {
  const { refusals } = createInMemoryAuthRepositories({
    secretBox: createSecretBox({ keys: { k1: new Uint8Array(randomBytes(32)) }, activeKid: 'k1' }),
  });
  let now = start;
  const clock = { now: () => new Date(now) };
  const audit = auditRefusals({ refusals, clock, logger });
  return { refusals, audit, advance: (ms: number) => (now += ms), at: (ms: number) => new Date(start + ms) };
}

describe('auditRefusals', () => {
  it('collapses N refusals of one kind from one address in one minute into one record counting N', async () => {
    const { refusals, audit, advance, at } = setup();
    await audit.start();
    // Each call on a connection of its own: the port changes, the address does not.
    for (let call = 1; call <= 500; call += 1) {
      advance(10);
      audit.onRefusal({
        method: exchangeCode,
        code: 'unauthenticated',
        peer: `10.0.0.7:${40000 + call}`,
        request: { tenantId: call === 1 ? 'tenant-first' : `tenant-${call}` },
      });
    }
    await audit.stop();
    expect(await refusals.listRecent()).toStrictEqual([
      {
        method: exchangeCode,
        code: 'unauthenticated',
        peer: '10.0.0.7',
        tenantId: 'tenant-first',
        firstSeen: at(10),
        lastSeen: at(5000),
        count: 500,
      },
    ]);
  });

  it('keeps apart other minutes, methods, codes, identities and addresses (IPv6 too)', async () => {
    const { refusals, audit, advance, at } = setup();
    await audit.start();
    const denied = { method: putChannel, code: 'permission_denied', caller: 'enrichment' } as const;
    audit.onRefusal({ ...denied, peer: '10.0.0.7:1' });
    audit.onRefusal({ ...denied, peer: '10.0.0.7:2' });
    audit.onRefusal({ ...denied, caller: 'history', peer: '10.0.0.7:3' });
    audit.onRefusal({ ...denied, method: exchangeCode, peer: '10.0.0.7:4' });
    audit.onRefusal({ method: putChannel, code: 'unauthenticated', peer: '10.0.0.7:5' });
    audit.onRefusal({ ...denied, peer: '[fd00::7]:6' });
    audit.onRefusal({ ...denied, peer: '[fd00::7]:7' });
    advance(60_000);
    audit.onRefusal({ ...denied, peer: '10.0.0.7:8' });
    await audit.stop();
    const rows = await refusals.listRecent();
    const one = { firstSeen: at(0), lastSeen: at(0), count: 1 };
    expect(rows).toHaveLength(6);
    expect(rows[0]).toStrictEqual({
      ...denied,
      peer: '10.0.0.7',
      firstSeen: at(60_000),
      lastSeen: at(60_000),
      count: 1,
    });
    expect(rows).toEqual(
      expect.arrayContaining([
        { ...denied, peer: '10.0.0.7', ...one, count: 2 },
        { ...denied, caller: 'history', peer: '10.0.0.7', ...one },
        { ...denied, method: exchangeCode, peer: '10.0.0.7', ...one },
        { method: putChannel, code: 'unauthenticated', peer: '10.0.0.7', ...one },
        { ...denied, peer: 'fd00::7', ...one, count: 2 },
      ]),
    );
  });

  it('files refusals from more addresses than it keeps apart in a minute under `*`, still counted', async () => {
    const { refusals, audit } = setup();
    await audit.start();
    for (let host = 1; host <= 150; host += 1)
      audit.onRefusal({
        method: exchangeCode,
        code: 'unauthenticated',
        peer: `10.1.${host >> 8}.${host & 255}:1`,
      });
    await audit.stop();
    const rows = await refusals.listRecent(1000);
    expect(rows).toHaveLength(101);
    expect(rows.filter((row) => row.peer !== '*').every((row) => row.count === 1)).toBe(true);
    expect(rows.find((row) => row.peer === '*')).toMatchObject({ method: exchangeCode, count: 50 });
  });

  it('writes a refusal within about a second, without waiting for the minute to end', async () => {
    const { refusals, audit } = setup();
    await audit.start();
    audit.onRefusal({ method: exchangeCode, code: 'unauthenticated', peer: '10.0.0.7:1' });
    await vi.waitFor(async () => expect(await refusals.listRecent()).toHaveLength(1), { timeout: 3000 });
    await audit.stop();
  });

  it('writes each kind once per flush, however many calls: a flood costs the store no more', async () => {
    const { refusals } = setup();
    const record = vi.fn<RefusalLog['record']>(async (refusal) => refusals.record(refusal));
    const audit = auditRefusals({
      refusals: { ...refusals, record },
      clock: { now: () => new Date() },
      logger,
    });
    await audit.start();
    for (let call = 0; call < 10_000; call += 1)
      audit.onRefusal({ method: exchangeCode, code: 'unauthenticated', peer: `10.0.0.7:${call}` });
    await audit.stop();
    expect(record.mock.calls.length).toBeLessThanOrEqual(2); // 2 if the minute turned meanwhile
    const rows = await refusals.listRecent();
    expect(rows.reduce((sum, row) => sum + row.count, 0)).toBe(10_000);
  });

  it('logs a store that fails, and throws nothing at the caller', async () => {
    const { refusals } = setup();
    const watched = createLogger({ service: 'auth', version: 'test', level: 'silent' });
    const error = vi.spyOn(watched, 'error');
    const failing: RefusalLog = { ...refusals, record: async () => Promise.reject(new Error('store down')) };
    const audit = auditRefusals({ refusals: failing, clock: { now: () => new Date() }, logger: watched });
    await audit.start();
    expect(() =>
      audit.onRefusal({ method: exchangeCode, code: 'unauthenticated', peer: '10.0.0.7:1' }),
    ).not.toThrow();
    await audit.stop();
    expect(error).toHaveBeenCalledWith(expect.objectContaining({ failed: 1 }), 'refused calls not audited');
  });
});
