import { describe, expect, it } from 'vitest';
import { delivery } from '../events.js';
import { channelView } from './channels.js';
import { liveMessageFrame, messageFrame } from './stream-frames.js';
import { storedMessage, syncPage, threadMessage } from './thread-message.js';

const stored = {
  messageId: 'm-1',
  author: { kind: 'customer', id: 'c-1', name: 'Ada' },
  deviceId: 'laptop',
  text: 'hello',
  sentAt: '2026-01-01T00:00:00.000Z',
  storedAt: '2026-01-01T00:00:01.000Z',
  customerData: { status: 'unavailable', reason: 'timeout' },
} as const;

describe('the thread message view', () => {
  it('is the delivered message with its seq: one shape live and in sync pages', () => {
    const event = delivery.parse({
      tenantId: 'acme',
      customerKey: 'k-1',
      threadId: 't-1',
      seq: 7,
      message: stored,
    });
    const frame = messageFrame.parse(liveMessageFrame(event));
    expect(frame.message).toEqual({ ...stored, seq: 7 });
    expect(frame.seq).toBe(7);
    const page = syncPage.parse({ threadId: 't-1', messages: [frame.message], lastSeq: 7, hasMore: false });
    expect(page.messages[0]).toEqual(frame.message);
    expect(Object.keys(threadMessage.shape).sort()).toEqual(
      [...Object.keys(storedMessage.shape), 'seq'].sort(),
    );
  });

  it('refuses a message without its seq', () => {
    expect(threadMessage.safeParse(stored).success).toBe(false);
  });
});

describe('the channel view', () => {
  it('keeps every setting but the client secret', () => {
    const channel = {
      tenantId: 'acme',
      channelId: 'web',
      issuer: 'https://id.example',
      allowWithoutPkce: false,
      endpoints: { token: 't', introspection: 'i', jwks: '', revocation: '', authorization: '' },
      client: { clientId: 'parley', clientSecret: 'never-shown', method: 'client_secret_basic' },
      clientSecretSet: true,
      redirectUris: ['https://app.example/cb'],
      validationMode: 'introspection',
      jwt: null,
      customerDataUrl: 'https://id.example/userinfo',
      mapping: { customerId: '$.sub', name: '$.name', customFields: { tier: '$.tier' } },
      messagingMode: 'messaging',
      updatedAt: '2026-01-01T00:00:00.000Z',
    };
    const view = channelView.parse(channel);
    expect(view.client).toEqual({ clientId: 'parley', method: 'client_secret_basic' });
    expect(JSON.stringify(view)).not.toContain('never-shown');
  });
});
