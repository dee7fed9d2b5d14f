import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMessageEdge } from './edge.fixture.js';

// The edge with in-memory ports and fakes for auth, history and Kafka: no server needed.
const { app, published, bot, ready } = createMessageEdge();

beforeAll(ready);
afterAll(() => app.close());

const post = (url: string, token: string, body: unknown) =>
  app.inject({ method: 'POST', url, headers: { authorization: `Bearer ${token}` }, payload: body as object });

describe('text the store cannot hold, at the edge', () => {
  it.each([
    ['a customer message', '/v1/messages', 'session-token'],
    ['a bot reply', '/v1/threads/t-1/messages', bot.token],
  ])(
    'refuses %s with a NUL, an unpaired surrogate or a control character, publishing nothing',
    async (_what, url, token) => {
      published.length = 0;
      for (const text of [
        'a\u0000b',
        'x\ud83d',
        '\u001b[2J\u001b[Hfake',
        'ding\u0007',
        'a\u0008b',
        'x\u009by',
        'a\rb',
      ]) {
        const response = await post(url, token, { clientMessageId: 'c-1', text });
        expect(response.statusCode).toBe(400);
        expect(response.json()).toMatchObject({ error: { code: 'invalid_argument' } });
      }
      expect(published).toEqual([]);
      const accepted = await post(url, token, { clientMessageId: 'c-2', text: 'fine 😀\r\n\tand on' });
      expect(accepted.statusCode).toBe(202);
      expect(published).toHaveLength(1);
    },
  );
});
