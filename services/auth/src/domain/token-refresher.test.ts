import { ParleyError } from '@parley/errors';
import { describe, expect, it } from 'vitest';
import type { Channel, Credentials } from './model.js';
import type { BrandOAuth, CredentialRepository, RefreshLocks, TokenSet } from './ports.js';
import { createTokenRefresher } from './token-refresher.js';

const channel = { tenantId: 't', channelId: 'web' } as Channel;
const start = new Date('2026-11-24T10:00:00Z');

function setup(options: { refresh?: (token: string) => Promise<TokenSet> } = {}) {
  let now = start;
  const stored = new Map<string, Credentials>();
  const key = (c: { tenantId: string; customerKey: string; channelId: string }) =>
    `${c.tenantId}/${c.customerKey}/${c.channelId}`;
  const credentials: CredentialRepository = {
    find: async (tenantId, customerKey, channelId) =>
      stored.get(key({ tenantId, customerKey, channelId })) ?? null,
    findLatest: async () => null,
    findAllOfCustomer: async () => [],
    save: async (c) => void stored.set(key(c), c),
    replace: async (c) => {
      if (!stored.has(key(c))) return false;
      stored.set(key(c), c);
      return true;
    },
    delete: async (tenantId, customerKey, channelId) =>
      void stored.delete(key({ tenantId, customerKey, channelId })),
  };
  const held = new Map<string, string>();
  const refreshLocks: RefreshLocks = {
    tryAcquire: async (tenantId, lockKey, owner) => {
      if (held.has(`${tenantId}/${lockKey}`)) return false;
      held.set(`${tenantId}/${lockKey}`, owner);
      return true;
    },
    release: async (tenantId, lockKey, owner) => {
      if (held.get(`${tenantId}/${lockKey}`) === owner) held.delete(`${tenantId}/${lockKey}`);
    },
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
    clock: { now: () => now },
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
  stored.set(key(initial), initial);
  return {
    refresher,
    credentials,
    stored,
    held,
    refreshCalls,
    initial,
    advance: (ms: number) => (now = new Date(now.getTime() + ms)),
  };
}

describe('token refresher', () => {
  it('keeps a token until close to its expiry, by at most half its lifetime', async () => {
    const { refresher, initial, advance, refreshCalls } = setup();
    advance(280_000); // 320 s left of 600: more than the 30 s margin
    expect(await refresher.fresh(channel, initial)).toBe(initial);
    advance(300_000); // 20 s left
    expect((await refresher.fresh(channel, initial)).accessToken).toBe('at-1');
    expect(refreshCalls).toEqual(['rt-0']);
  });

  it('refreshes once for many concurrent callers and stores the rotated refresh token', async () => {
    const { refresher, initial, refreshCalls, credentials, held } = setup();
    const results = await Promise.all(Array.from({ length: 10 }, () => refresher.refresh(channel, initial)));
    expect(new Set(results.map((result) => result.accessToken))).toEqual(new Set(['at-1']));
    expect(refreshCalls).toEqual(['rt-0']);
    expect(await credentials.find('t', 'ck', 'web')).toMatchObject({ refreshToken: 'rt-1', version: 2 });
    expect(held.size).toBe(0);
  });

  it('does not refresh again when someone else already did', async () => {
    const { refresher, initial, refreshCalls, stored } = setup();
    stored.set('t/ck/web', { ...initial, accessToken: 'at-other', version: 2 });
    expect((await refresher.refresh(channel, initial)).accessToken).toBe('at-other');
    expect(refreshCalls).toEqual([]);
  });

  it('never brings back credentials deleted by a logout during the refresh', async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const { refresher, initial, stored } = setup({
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
    stored.clear(); // the logout
    release();
    await expect(refreshing).rejects.toMatchObject({ code: 'reauthentication_required' });
    expect(stored.size).toBe(0);
  });

  it('passes on the brand refusing the refresh token, releasing the lock', async () => {
    const { refresher, initial, held } = setup({
      refresh: async () => {
        throw new ParleyError('reauthentication_required', 'the brand refused the refresh token');
      },
    });
    await expect(refresher.refresh(channel, initial)).rejects.toMatchObject({
      code: 'reauthentication_required',
    });
    expect(held.size).toBe(0);
  });
});
