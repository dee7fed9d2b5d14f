import type { TopicMessages } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { createSendBatcher } from './send-batcher.js';

/** A produce call whose requests wait until the test answers (or fails) them, oldest first. */
function fakeProducer() {
  const requests: TopicMessages[][] = [];
  const answers: { resolve: () => void; reject: (error: Error) => void }[] = [];
  return {
    requests,
    answer: () => answers.shift()?.resolve(),
    fail: (error: Error) => answers.shift()?.reject(error),
    sendBatch(topicMessages: TopicMessages[]) {
      requests.push(topicMessages);
      return new Promise<void>((resolve, reject) => answers.push({ resolve, reject }));
    },
  };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));
const record = (value: string) => [{ key: 'k', value }];
const values = (request: TopicMessages[] | undefined) =>
  request?.map(({ topic, messages }) => `${topic}:${messages.map((m) => m.value).join(',')}`);

describe('the send batcher', () => {
  it('sends a lone record at once, in a request of its own', async () => {
    const fake = fakeProducer();
    const batcher = createSendBatcher((batch) => fake.sendBatch(batch));
    const sent = batcher.send('a', record('1'));
    await settle();
    expect(values(fake.requests[0])).toEqual(['a:1']);
    fake.answer();
    await expect(sent).resolves.toBeUndefined();
  });

  it('puts sends of the same turn in one request, by topic, in the order they were made', async () => {
    const fake = fakeProducer();
    const batcher = createSendBatcher((batch) => fake.sendBatch(batch));
    void batcher.send('a', record('1'));
    void batcher.send('b', record('2'));
    void batcher.send('a', record('3'));
    await settle();
    expect(fake.requests).toHaveLength(1);
    expect(values(fake.requests[0])).toEqual(['a:1,3', 'b:2']);
  });

  it('queues sends while the requests in flight are at the limit, and sends them together', async () => {
    const fake = fakeProducer();
    const batcher = createSendBatcher((batch) => fake.sendBatch(batch), { maxInFlight: 1 });
    const first = batcher.send('a', record('1'));
    await settle();
    const later = [batcher.send('a', record('2')), batcher.send('a', record('3'))];
    await settle();
    expect(fake.requests).toHaveLength(1);
    fake.answer();
    await first;
    await settle();
    expect(values(fake.requests[1])).toEqual(['a:2,3']);
    fake.answer();
    await Promise.all(later);
  });

  it('fails the sends of a failed request only, with its error', async () => {
    const fake = fakeProducer();
    const batcher = createSendBatcher((batch) => fake.sendBatch(batch), { maxInFlight: 1 });
    const failing = batcher.send('a', record('1'));
    await settle();
    const next = batcher.send('a', record('2'));
    fake.fail(new Error('leader not available'));
    await expect(failing).rejects.toThrow('leader not available');
    await settle();
    fake.answer();
    await expect(next).resolves.toBeUndefined();
  });

  it('splits what exceeds a request’s record or byte limit, never a send, over several requests', async () => {
    const fake = fakeProducer();
    const batcher = createSendBatcher((batch) => fake.sendBatch(batch), {
      maxInFlight: 5,
      maxRecords: 2,
      maxBytes: 10,
    });
    void batcher.send('a', record('1'));
    void batcher.send('a', record('2'));
    void batcher.send('a', record('3'));
    void batcher.send('a', [{ key: 'k', value: 'a value longer than the byte limit' }]);
    await settle();
    expect(fake.requests.map(values)).toEqual([['a:1,2'], ['a:3'], ['a:a value longer than the byte limit']]);
  });
});
