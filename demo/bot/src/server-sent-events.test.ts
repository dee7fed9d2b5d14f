import { describe, expect, it } from 'vitest';
import { readServerSentEvents, type ServerSentEvent } from './server-sent-events.js';

async function parse(...chunks: string[]): Promise<ServerSentEvent[]> {
  const encoder = new TextEncoder();
  const body = (async function* () {
    for (const chunk of chunks) yield encoder.encode(chunk);
  })();
  const events: ServerSentEvent[] = [];
  for await (const event of readServerSentEvents(body)) events.push(event);
  return events;
}

describe('reading Server-Sent Events', () => {
  it('reads id, event and data, skipping comments and the retry field', async () => {
    expect(
      await parse('retry: 2000\n\n: heartbeat\n\nid: 7\nevent: message.enriched\ndata: {"a":1}\n\n'),
    ).toEqual([{ id: '7', event: 'message.enriched', data: '{"a":1}' }]);
  });

  it('joins data lines, accepts every line ending, and copes with chunks cut anywhere', async () => {
    const stream = 'id: 1\r\nevent: e\r\ndata: one\r\ndata: two\r\n\r\nid: 2\rdata:three\r\r';
    const whole = await parse(stream);
    expect(whole).toEqual([
      { id: '1', event: 'e', data: 'one\ntwo' },
      { id: '2', event: 'message', data: 'three' },
    ]);
    expect(await parse(...stream.split(''))).toEqual(whole);
  });

  it('keeps the last id for events without one, and drops an event without data', async () => {
    expect(await parse('id: 5\nevent: a\n\ndata: x\n\n')).toEqual([{ id: '5', event: 'message', data: 'x' }]);
  });

  it('does not dispatch an event the stream cut off before its blank line', async () => {
    expect(await parse('id: 9\ndata: half')).toEqual([]);
  });
});
