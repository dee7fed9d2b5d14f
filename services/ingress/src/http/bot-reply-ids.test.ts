import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMessageEdge } from './edge.fixture.js';

// History stores one message per (threadId, messageId): a customer message whose id equals a bot
// reply's would make history drop the reply as a duplicate.
const { app, published, bot, ready } = createMessageEdge();

beforeAll(ready);
afterAll(() => app.close());

const post = async (url: string, token: string, clientMessageId: string) => {
  const response = await app.inject({
    method: 'POST',
    url,
    headers: { authorization: `Bearer ${token}` },
    payload: { clientMessageId, text: 'hello' },
  });
  expect(response.statusCode).toBe(202);
  return response.json<{ messageId: string }>().messageId;
};

describe('message ids of customers and bots', () => {
  it("a customer choosing `bot:<keyId>:<id>` gets an id other than the bot's reply with <id>", async () => {
    const customer = await post('/v1/messages', 'session-token', `bot:${bot.key.keyId}:r-1`);
    const reply = await post('/v1/threads/t-1/messages', bot.token, 'r-1');
    expect(reply).not.toBe(customer);
    expect(published.map(({ event }) => event.messageId)).toEqual([customer, reply]);
  });

  it('the same message sent twice keeps its id, for customers and bots alike', async () => {
    expect(await post('/v1/messages', 'session-token', 'c-9')).toBe(
      await post('/v1/messages', 'session-token', 'c-9'),
    );
    expect(await post('/v1/threads/t-1/messages', bot.token, 'r-9')).toBe(
      await post('/v1/threads/t-1/messages', bot.token, 'r-9'),
    );
  });
});
