import { randomBytes } from 'node:crypto';
import { ParleyError } from '@parley/errors';
import { createSecretBox } from '@parley/secrets';
import { describe, expect, it } from 'vitest';
import { opened } from '../adapters/auth-repositories.contract.js';
import { createInMemoryAuthRepositories } from '../adapters/in-memory-auth-repositories.js';
import type { Channel, Credentials } from './model.js';
import type { BrandOAuth, TokenSet } from './ports.js';
import { createTokenRefresher } from './token-refresher.js';

const channel = { tenantId: 't', channelId: 'web' } as Channel;
const start = new Date('2026-11-24T10:00:00Z');

async function setup(options: { refresh?: (token: string) => Promise<TokenSet> } = {}) {
  let now = start;
  const clock = { now: () => now };
  const secretBox = createSecretBox({ keys: { k1: new Uint8Array(randomBytes(32)) }, activeKid: 'k1' });
  const { credentials, refreshLocks } = createInMemoryAuthRepositories({ secretBox, clock });
  /** Whether the credentials' lock is free (taken and given back at once to find out). */
  const lockFree = async () => {
    const free = await refreshLocks.tryAcquire('t', 'ck/web', 'probe', 1000);
    if (free) await refreshLocks.release('t', 'ck/web', 'probe');
    return free;
  };
  const refreshCalls: string[] = [];
  const brand = {
    refresh: async (_channel: Channel, token: string) => {
      refreshCalls.push(token);
      return options.refresh
        ? options.refresh(token)
        : {
            accessToken: `at-${refreshCalls.length}`,
            tokenType: 'Bearer',
            expiresInSeconds: 600,
            refreshToken: `rt-${refreshCalls.length}`,
          };
    },
  } as unknown as BrandOAuth;
  const refresher = createTokenRefresher({
    credentials,
    refreshLocks,
    brand,
    clock,
    brandTimeoutMs: 1000,
    pollMs: 1,
  });
  const initial: Credentials = {
    tenantId: 't',
    customerKey: 'ck',
    channelId: 'web',
    subject: 's',
    accessToken: 'at-0',
    accessTokenExpiresAt: new Date(start.getTime() + 600_000),
    refreshToken: 'rt-0',
    version: 1,
    updatedAt: start,
  };
  await credentials.save(initial);
  /** A refresher of another auth process, sharing the store and clock. */
  const anotherProcess = (otherBrand: BrandOAuth) =>
    createTokenRefresher({
      credentials,
      refreshLocks,
      brand: otherBrand,
      clock,
      brandTimeoutMs: 1000,
      pollMs: 1,
    });
  return {
    refresher,
    anotherProcess,
    refreshLocks,
    credentials,
    lockFree,
    refreshCalls,
    initial,
    advance: (ms: number) => (now = new Date(now.getTime() + ms)),
  };
}

describe('token refresher', () => {
  it('keeps a token until close to its expiry, by at most half its lifetime', async () => {
    const { refresher, initial, advance, refreshCalls } = await setup();
    advance(280_000); // 320 s left of 600: more than the 30 s margin
    expect(await refresher.fresh(channel, initial)).toBe(initial);
    advance(300_000); // 20 s left
    expect((await refresher.fresh(channel, initial)).accessToken).toBe('at-1');
    expect(refreshCalls).toEqual(['rt-0']);
  });

  it('refreshes once for many concurrent callers and stores the rotated refresh token', async () => {
    const { refresher, initial, refreshCalls, credentials, lockFree } = await setup();
    const results = await Promise.all(Array.from({ length: 10 }, () => refresher.refresh(channel, initial)));
    expect(new Set(results.map((result) => result.accessToken))).toEqual(new Set(['at-1']));
    expect(refreshCalls).toEqual(['rt-0']);
    const stored = await credentials.find('t', 'ck', 'web');
    expect(stored?.version).toBe(2);
    expect(await stored?.openRefreshToken?.()).toBe('rt-1');
    expect(await lockFree()).toBe(true);
  });

  it('does not refresh again when someone else already did', async () => {
    const { refresher, initial, refreshCalls, credentials } = await setup();
    await credentials.save({ ...initial, accessToken: 'at-other', version: 2 });
    expect((await refresher.refresh(channel, initial)).accessToken).toBe('at-other');
    expect(refreshCalls).toEqual([]);
  });

  it('never brings back credentials deleted by a logout during the refresh', async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const { refresher, initial, credentials } = await setup({
      refresh: async () => {
        await gate;
        return {
          accessToken: 'at-late',
          tokenType: 'Bearer',
          expiresInSeconds: 600,
          refreshToken: 'rt-late',
        };
      },
    });
    const refreshing = refresher.refresh(channel, initial);
    await new Promise((resolve) => setImmediate(resolve));
    await credentials.delete('t', 'ck', 'web'); // the logout
    release();
    await expect(refreshing).rejects.toMatchObject({ code: 'reauthentication_required' });
    expect(await credentials.findAllOfCustomer('t', 'ck')).toEqual([]);
  });

  it('returns what another process stored when its lease lapsed mid-refresh, overwriting nothing', async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let entered: () => void = () => {};
    const inBrand = new Promise<void>((resolve) => {
      entered = resolve;
    });
    const { refresher, anotherProcess, initial, credentials, advance, lockFree } = await setup({
      refresh: async () => {
        entered();
        await gate; // a slow store or brand: the lease runs out meanwhile
        return {
          accessToken: 'at-late',
          tokenType: 'Bearer',
          expiresInSeconds: 600,
          refreshToken: 'rt-late',
        };
      },
    });
    const slow = refresher.refresh(channel, initial);
    await inBrand;
    advance(2 * 1000 + 5_000 + 1); // past the lease (2 × brandTimeout + 5 s)

    const otherBrand = {
      refresh: async () => ({
        accessToken: 'at-other',
        tokenType: 'Bearer',
        expiresInSeconds: 600,
        refreshToken: 'rt-other',
      }),
    } as unknown as BrandOAuth;
    const other = await anotherProcess(otherBrand).refresh(channel, initial);
    expect(other).toMatchObject({ accessToken: 'at-other', version: 2 });

    release();
    const expected = await opened(other);
    expect(expected).toMatchObject({ accessToken: 'at-other', refreshToken: 'rt-other' });
    expect(await opened(await slow)).toStrictEqual(expected);
    expect(await opened(await credentials.find('t', 'ck', 'web'))).toStrictEqual(expected);
    expect(await lockFree()).toBe(true);
  });

  it('passes on the brand refusing the refresh token, releasing the lock', async () => {
    const { refresher, initial, lockFree } = await setup({
      refresh: async () => {
        throw new ParleyError('reauthentication_required', 'the brand refused the refresh token');
      },
    });
    await expect(refresher.refresh(channel, initial)).rejects.toMatchObject({
      code: 'reauthentication_required',
    });
    expect(await lockFree()).toBe(true);
  });
});

describe('token refresher when the caller has gone', () => {
  it('stops waiting for the lock once the caller’s signal fires, and never asks the brand', async () => {
    const { refresher, refreshLocks, initial, refreshCalls, lockFree } = await setup();
    expect(await refreshLocks.tryAcquire('t', 'ck/web', 'other-process', 60_000)).toBe(true);
    const caller = new AbortController();
    const waiting = refresher.refresh(channel, initial, caller.signal);
    const locked = refresher.withLock(initial, async () => 'ran', caller.signal);
    await new Promise((resolve) => setTimeout(resolve, 20)); // both poll the held lock
    const abortedAt = Date.now();
    caller.abort(new Error('deadline exceeded'));
    await expect(waiting).rejects.toMatchObject({ code: 'deadline_exceeded' });
    await expect(locked).rejects.toMatchObject({ code: 'deadline_exceeded' });
    expect(Date.now() - abortedAt).toBeLessThan(100); // not at the wait's own timeout (7 s)
    await refreshLocks.release('t', 'ck/web', 'other-process');
    await new Promise((resolve) => setTimeout(resolve, 20)); // a wait that went on would take it now
    expect(refreshCalls).toEqual([]);
    expect(await lockFree()).toBe(true);
  });

  it('starts nothing for a caller already gone', async () => {
    const { refresher, initial, refreshCalls, lockFree } = await setup();
    const gone = AbortSignal.abort(new Error('cancelled'));
    await expect(refresher.refresh(channel, initial, gone)).rejects.toMatchObject({
      code: 'deadline_exceeded',
    });
    await expect(refresher.withLock(initial, async () => 'ran', gone)).rejects.toMatchObject({
      code: 'deadline_exceeded',
    });
    expect(refreshCalls).toEqual([]);
    expect(await lockFree()).toBe(true);
  });

  it('keeps a shared refresh going while another caller still waits for it', async () => {
    const { refresher, refreshLocks, initial, refreshCalls } = await setup();
    expect(await refreshLocks.tryAcquire('t', 'ck/web', 'other-process', 60_000)).toBe(true);
    const leaving = new AbortController();
    const first = refresher.refresh(channel, initial, leaving.signal);
    const second = refresher.refresh(channel, initial, new AbortController().signal);
    leaving.abort();
    await expect(first).rejects.toMatchObject({ code: 'deadline_exceeded' });
    await refreshLocks.release('t', 'ck/web', 'other-process');
    expect((await second).accessToken).toBe('at-1');
    expect(refreshCalls).toEqual(['rt-0']);
  });
});
