import { describe, expect, it } from 'vitest';
import { createConnectionRegistry } from '../adapters/connection-registry.js';
import { createRateLimiter } from '../adapters/rate-limiter.js';
import {
  createInMemoryAuth,
  createInMemoryHistory,
  createRecordingAnnouncer,
  createRecordingProducer,
  customerDataFor,
  testSession,
} from '../http/edge.fixture.js';
import { newApiKey } from './api-keys.js';
import { admitCustomerMessage, sendCustomerMessage } from './customer-messages.js';
import { authorizeCustomerSession, logOut, signIn } from './customer-sessions.js';
import { customerOwnData, editAgentFields } from './customers.js';
import type { StoredCustomer } from './ports.js';
import { createSessionQuota } from './session-quota.js';

// The use cases on in-memory ports: what HTTP and the stream both call.
const quota = (limit = 100) =>
  createSessionQuota({ limiter: createRateLimiter({ limit, windowMs: 60_000 }) });
const profile: StoredCustomer = {
  customerKey: 'k-1',
  id: 'c-1',
  name: 'Ada',
  customFields: [
    {
      name: 'tier',
      value: 'gold',
      source: 'oauth',
      fetchedAt: '2026-01-01T00:00:00Z',
      updatedAt: '2026-01-01T00:00:00Z',
    },
    { name: 'note', value: 'vip', source: 'agent', fetchedAt: '', updatedAt: '2026-01-02T00:00:00Z' },
  ],
};

describe('customer sessions', () => {
  it('counts a check against the session before asking auth; refuses with rate_limited past it', async () => {
    const { auth, state } = createInMemoryAuth({ 'tok-1': testSession() });
    const deps = { auth, sessionQuota: quota(1) };
    await authorizeCustomerSession(deps, 'tok-1', 'requests');
    await expect(authorizeCustomerSession(deps, 'tok-1', 'requests')).rejects.toMatchObject({
      code: 'rate_limited',
    });
    expect(state.authorizeCalls).toBe(1);
  });

  it('signs in as auth’s customer; a session auth answered without one is a server_error', async () => {
    const session = { sessionToken: 'tok', expiresAt: '2026-01-01T00:00:00Z', threadId: 't-1' };
    const customer = { customerKey: 'k-1', id: 'c-1', name: '', customFields: { tier: 'gold' } };
    const where = { tenantId: 'acme', channelId: 'web' };
    const request = {
      code: 'x',
      redirectUri: 'https://app.example/cb',
      device: { id: 'd', platform: 'web' as const },
    };
    const withCustomer = createInMemoryAuth({}, { exchangeCode: async () => ({ ...session, customer }) });
    expect(await signIn(withCustomer, where, request)).toEqual({
      sessionToken: 'tok',
      expiresAt: '2026-01-01T00:00:00Z',
      customer: { key: 'k-1', id: 'c-1', name: null, customFields: { tier: 'gold' } },
      thread: { id: 't-1' },
    });
    const without = createInMemoryAuth({}, { exchangeCode: async () => session });
    await expect(signIn(without, where, request)).rejects.toMatchObject({ code: 'server_error' });
  });

  it('logs out: closes this pod’s streams of the session and announces the end', async () => {
    const { auth } = createInMemoryAuth({ 'tok-1': testSession('s-1') });
    const connections = createConnectionRegistry({ perSession: 5, perCustomer: 5 });
    const closed: number[] = [];
    connections.add('acme', 'k-1', {
      sessionId: 's-1',
      deviceId: 'd',
      send: () => {},
      close: (code) => closed.push(code),
    });
    const { sessionEnded, announced } = createRecordingAnnouncer();
    const answer = await logOut({ auth, connections, sessionEnded }, 'tok-1', false);
    expect(answer).toEqual({ sessionsEnded: 1, revokedAtBrand: true });
    expect(closed).toEqual([4403]);
    expect(announced).toMatchObject([
      { tenantId: 'acme', sessionId: 's-1', reason: 'customer_logout', allDevices: false },
    ]);
  });
});

describe('customer messages', () => {
  it('publishes an authorized message without its token; the same message keeps its id', async () => {
    const { auth } = createInMemoryAuth({ 'tok-1': testSession() });
    const { producer, published } = createRecordingProducer();
    const deps = { auth, producer, sessionQuota: quota() };
    admitCustomerMessage(deps, 'tok-1');
    const first = await sendCustomerMessage(deps, 'tok-1', { clientMessageId: 'c-1', text: 'hi' });
    const again = await sendCustomerMessage(deps, 'tok-1', { clientMessageId: 'c-1', text: 'hi' });
    expect(again.messageId).toBe(first.messageId);
    expect(published[0]?.topic).toBe('chat.messages.enriched.v1');
    expect(JSON.stringify(published)).not.toContain('tok-1');
  });

  it('publishes the message enriched with the customer data auth gave beside the authorization', async () => {
    const { auth } = createInMemoryAuth({ 'tok-1': testSession() });
    const { producer, published } = createRecordingProducer();
    await sendCustomerMessage({ auth, producer, sessionQuota: quota() }, 'tok-1', {
      clientMessageId: 'c-1',
      text: 'hi',
    });
    expect(published).toHaveLength(1);
    expect(published[0]?.event).toMatchObject({
      text: 'hi',
      ...customerDataFor(testSession()),
    });
  });

  it('sends the message as received, for enrichment, when auth (previous release) gave no data', async () => {
    const { auth } = createInMemoryAuth(
      { 'tok-1': testSession() },
      { authorizeMessage: async () => testSession() },
    );
    const { producer, published } = createRecordingProducer();
    await sendCustomerMessage({ auth, producer, sessionQuota: quota() }, 'tok-1', {
      clientMessageId: 'c-1',
      text: 'hi',
    });
    expect(published.map(({ topic }) => topic)).toEqual(['chat.messages.received.v1']);
    expect(published[0]?.event).not.toHaveProperty('customer');
  });

  it('refuses an unknown session and publishes nothing', async () => {
    const { auth } = createInMemoryAuth();
    const { producer, published } = createRecordingProducer();
    await expect(
      sendCustomerMessage({ auth, producer, sessionQuota: quota() }, 'forged', {
        clientMessageId: 'c',
        text: 'hi',
      }),
    ).rejects.toMatchObject({ code: 'unauthenticated' });
    expect(published).toEqual([]);
  });
});

describe('customers', () => {
  it('shows a customer only the fields the brand gave, never agents’ notes', async () => {
    const { auth } = createInMemoryAuth({ 'tok-1': testSession() });
    const history = createInMemoryHistory({}, { getCustomer: async () => profile });
    expect(await customerOwnData({ auth, history, sessionQuota: quota() }, 'tok-1')).toEqual({
      id: 'c-1',
      name: 'Ada',
      customFields: { tier: 'gold' },
      fetchedAt: '2026-01-01T00:00:00Z',
    });
  });

  it('refuses an agent edit of no field without calling history', async () => {
    let calls = 0;
    const history = createInMemoryHistory(
      {},
      {
        updateCustomerFields: async () => {
          calls += 1;
          return profile;
        },
      },
    );
    const agent = newApiKey('acme', 'agent', ['agent'], new Date()).key;
    await expect(editAgentFields({ history }, agent, 'k-1', {})).rejects.toMatchObject({
      code: 'invalid_argument',
    });
    expect(calls).toBe(0);
    const edited = await editAgentFields({ history }, agent, 'k-1', { note: 'vip' });
    expect(edited.customFields.tier).toMatchObject({ value: 'gold', readOnly: true });
  });
});
