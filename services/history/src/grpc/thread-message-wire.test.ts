import { syncPage, threadMessage } from '@parley/contracts';
import { type CallContext, loadParleyProtos, withoutUnsetFields } from '@parley/grpc';
import { describe, expect, it } from 'vitest';
import { createInMemoryHistoryStores } from '../adapters/in-memory-history-store.js';
import { createHistory } from '../domain/history-use-cases.js';
import { threadMessageOf } from '../domain/model.js';
import { historyServiceHandlers } from './history-service.js';

const { history: protos } = loadParleyProtos();
const sync = protos.HistoryService.service.Sync;

/** The Sync answer as it crosses the wire: serialized by history, decoded by ingress's client. */
function overTheWire(answer: unknown) {
  return sync.responseDeserialize(sync.responseSerialize(answer as never));
}

const context = {
  deadline: Date.now() + 5_000,
  signal: new AbortController().signal,
} as unknown as CallContext;

describe('a thread message on the wire (proto and contract name the same fields)', () => {
  it('reaches ingress as the contract view history made of it, every optional field included and left out', async () => {
    const history = createHistory({
      ...createInMemoryHistoryStores(),
      clock: { now: () => new Date('2025-05-06T07:08:09.000Z') },
      deliver: async () => {},
    });
    const base = {
      tenantId: 'acme',
      threadId: 'th-1',
      customerKey: 'ck-1',
      sentAt: '2025-05-06T07:00:00.000Z',
    };
    const inbound = await history.recordEnriched({
      ...base,
      messageId: 'm1',
      clientMessageId: 'c1',
      channelId: 'web',
      deviceId: 'laptop',
      text: 'hello',
      customer: { id: 'cust-1', name: 'Ada', customFields: {} },
      enrichment: { status: 'unavailable', reason: 'timeout', latencyMs: 12 },
    });
    const outbound = await history.recordOutbound({
      ...base,
      messageId: 'bot-1',
      author: { kind: 'bot', id: 'helper' },
      text: 'how can I help?',
    });

    const answer = await historyServiceHandlers(history).Sync(
      { tenantId: 'acme', customerKey: 'ck-1', threadId: 'th-1', afterSeq: 0, limit: 10 },
      context,
    );
    const page = syncPage.parse(withoutUnsetFields(overTheWire(answer)));

    expect(page).toEqual({
      threadId: 'th-1',
      messages: [threadMessageOf(inbound), threadMessageOf(outbound)],
      lastSeq: 2,
      hasMore: false,
    });
    expect(page.messages[0]).toMatchObject({
      deviceId: 'laptop',
      customerData: { status: 'unavailable', reason: 'timeout' },
    });
    expect(page.messages[1]).not.toHaveProperty('deviceId');
    expect(page.messages[1]?.author).toEqual({ kind: 'bot', id: 'helper' });
  });

  it('has a proto field for every field of the contract view, so none is dropped on the way', () => {
    const definition = protos.StoredMessage as unknown as { type: { field: { name: string }[] } };
    const protoFields = new Set(definition.type.field.map((field) => field.name));
    for (const key of Object.keys(threadMessage.shape)) expect(protoFields, key).toContain(key);
  });
});
