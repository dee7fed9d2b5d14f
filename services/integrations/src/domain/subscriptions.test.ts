import { randomBytes } from 'node:crypto';
import { createSecretBox } from '@parley/secrets';
import { describe, expect, it } from 'vitest';
import { createInMemoryIntegrationsStores } from '../adapters/in-memory-integrations-stores.js';
import { secretContext } from './subscription-rules.js';
import { createSubscriptions } from './subscriptions.js';

const now = new Date('2025-01-01T12:00:00Z');

function setup() {
  const stores = createInMemoryIntegrationsStores();
  const secretBox = createSecretBox({ keys: { k1: new Uint8Array(randomBytes(32)) }, activeKid: 'k1' });
  let changes = 0;
  const subscriptions = createSubscriptions({
    store: stores.subscriptions,
    secretBox,
    clock: { now: () => now },
    allowHosts: ['127.0.0.1'],
    onChanged: () => {
      changes += 1;
    },
  });
  return { subscriptions, stores, secretBox, changes: () => changes };
}

const request = {
  tenantId: 'acme',
  url: 'https://hooks.example/parley',
  eventTypes: ['message.stored', 'message.enriched'],
  description: 'support bot',
  enabled: true,
};

describe('subscriptions', () => {
  it('creates a subscription with a Standard Webhooks secret, shown once and sealed bound to it', async () => {
    const { subscriptions, stores, secretBox } = setup();
    const { subscription, secret } = await subscriptions.create(request);
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(Buffer.from(secret.slice('whsec_'.length), 'base64')).toHaveLength(32);
    expect(subscription).toMatchObject({
      tenantId: 'acme',
      id: expect.stringMatching(/^sub_[0-9a-f]{24}$/),
      url: 'https://hooks.example/parley',
      eventTypes: ['message.enriched', 'message.stored'],
      enabled: true,
      pausedAt: null,
      sealedPreviousSecret: null,
      createdAt: now,
    });
    const stored = await stores.subscriptions.find('acme', subscription.id);
    expect(stored?.sealedSecret).not.toContain(secret.slice(6, 20));
    expect(await secretBox.open(stored?.sealedSecret as string, secretContext('acme', subscription.id))).toBe(
      secret,
    );
    await expect(
      secretBox.open(stored?.sealedSecret as string, secretContext('globex', subscription.id)),
    ).rejects.toMatchObject({
      code: 'server_error',
    });
  });

  it('refuses URLs Parley must not call, and fields out of their limits', async () => {
    const { subscriptions } = setup();
    const refused: [Partial<typeof request>, string][] = [
      [{ url: 'http://hooks.example/parley' }, 'url_not_allowed'],
      [{ url: 'https://10.0.0.7/hook' }, 'url_not_allowed'],
      [{ url: 'https://[::1]/hook' }, 'url_not_allowed'],
      [{ url: 'https://169.254.169.254/latest' }, 'url_not_allowed'],
      [{ url: 'https://user:pw@hooks.example/' }, 'url_not_allowed'],
      [{ url: 'ftp://hooks.example/' }, 'url_not_allowed'],
      [{ url: 'hooks.example/parley' }, 'invalid_argument'],
      [{ url: '' }, 'invalid_argument'],
      [{ url: `https://hooks.example/${'a'.repeat(2048)}` }, 'invalid_argument'],
      [{ eventTypes: [] }, 'invalid_argument'],
      [{ eventTypes: ['message.enriched', 'chat.messages.enriched.v1'] }, 'invalid_argument'],
      [{ description: 'x'.repeat(257) }, 'invalid_argument'],
      [{ description: 'a\u0000b' }, 'invalid_argument'],
      [{ tenantId: '' }, 'invalid_argument'],
    ];
    for (const [change, code] of refused)
      await expect(
        subscriptions.create({ ...request, ...change }),
        JSON.stringify(change),
      ).rejects.toMatchObject({ code });
    // An allow-listed host may be plain http on a private address (tests, on-premises receivers).
    await expect(
      subscriptions.create({ ...request, url: 'http://127.0.0.1:8080/hook' }),
    ).resolves.toBeDefined();
  });

  it('lets a host allow-listed for one tenant be used by that tenant only', async () => {
    const { stores, secretBox } = setup();
    const subscriptions = createSubscriptions({
      store: stores.subscriptions,
      secretBox,
      clock: { now: () => now },
      allowHosts: ['receiver.internal@acme'],
    });
    const internal = { ...request, url: 'http://receiver.internal/hook' };
    const { subscription } = await subscriptions.create(internal);
    await expect(subscriptions.create({ ...internal, tenantId: 'globex' })).rejects.toMatchObject({
      code: 'url_not_allowed',
    });
    const { subscription: other } = await subscriptions.create({ ...request, tenantId: 'globex' });
    await expect(
      subscriptions.update({
        ...request,
        tenantId: 'globex',
        id: other.id,
        fields: ['url'],
        url: internal.url,
      }),
    ).rejects.toMatchObject({ code: 'url_not_allowed' });
    expect(subscription.url).toBe(internal.url);
  });

  it('keeps at most 20 subscriptions per tenant', async () => {
    const { subscriptions } = setup();
    for (let i = 0; i < 20; i += 1) await subscriptions.create(request);
    await expect(subscriptions.create(request)).rejects.toMatchObject({ code: 'limit_exceeded' });
    await expect(subscriptions.create({ ...request, tenantId: 'globex' })).resolves.toBeDefined();
  });

  it('changes only the fields named, validated, and tells the dispatcher', async () => {
    const { subscriptions, changes } = setup();
    const { subscription } = await subscriptions.create(request);
    const base = {
      tenantId: 'acme',
      id: subscription.id,
      url: '',
      eventTypes: [],
      description: '',
      enabled: false,
    };
    const updated = await subscriptions.update({
      ...base,
      fields: ['description', 'enabled'],
      description: 'off',
    });
    expect(updated).toMatchObject({
      description: 'off',
      enabled: false,
      url: request.url,
      eventTypes: subscription.eventTypes,
    });
    expect(changes()).toBe(1);
    for (const fields of [[], ['secret'], ['url']])
      await expect(subscriptions.update({ ...base, fields })).rejects.toMatchObject({
        code: 'invalid_argument',
      });
    await expect(
      subscriptions.update({ ...base, tenantId: 'globex', fields: ['enabled'] }),
    ).rejects.toMatchObject({
      code: 'not_found',
    });
    await expect(subscriptions.get('globex', subscription.id)).rejects.toMatchObject({ code: 'not_found' });
    expect(await subscriptions.list('globex')).toEqual([]);
    expect(await subscriptions.delete('globex', subscription.id)).toBe(false);
    expect(await subscriptions.delete('acme', subscription.id)).toBe(true);
  });

  it('rotates the secret: a new one shown once, the old one signing beside it for the overlap', async () => {
    const { subscriptions, stores, secretBox } = setup();
    const { subscription, secret: first } = await subscriptions.create(request);
    const rotate = (overlapSeconds: number) =>
      subscriptions.rotateSecret({ tenantId: 'acme', id: subscription.id, overlapSeconds });
    const { subscription: rotated, secret: second } = await rotate(0);
    expect(second).not.toBe(first);
    expect(rotated.previousSecretExpiresAt).toEqual(new Date(now.getTime() + 24 * 3_600_000));
    const stored = await stores.subscriptions.find('acme', subscription.id);
    const context = secretContext('acme', subscription.id);
    expect(await secretBox.open(stored?.sealedSecret as string, context)).toBe(second);
    expect(await secretBox.open(stored?.sealedPreviousSecret as string, context)).toBe(first);
    expect((await rotate(60)).subscription.previousSecretExpiresAt).toEqual(new Date(now.getTime() + 60_000));
    for (const overlap of [-1, 1.5, 7 * 24 * 3600 + 1])
      await expect(rotate(overlap)).rejects.toMatchObject({ code: 'invalid_argument' });
    await expect(
      subscriptions.rotateSecret({ tenantId: 'globex', id: subscription.id, overlapSeconds: 0 }),
    ).rejects.toMatchObject({
      code: 'not_found',
    });
  });
});
