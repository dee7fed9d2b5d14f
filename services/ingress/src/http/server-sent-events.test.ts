import { describe, expect, it } from 'vitest';
import { sseComment, sseEvent, sseRetry } from './server-sent-events.js';

describe('Server-Sent Events framing', () => {
  it('writes id, event and data lines ended by a blank line', () => {
    expect(sseEvent({ id: '42', event: 'message.enriched', data: '{"a":1}' })).toBe(
      'id: 42\nevent: message.enriched\ndata: {"a":1}\n\n',
    );
    expect(sseEvent({ data: 'x' })).toBe('data: x\n\n');
  });

  it('splits data with line breaks of any kind into data lines, which clients join with \\n', () => {
    expect(sseEvent({ event: 'e', data: 'one\ntwo\r\nthree\rfour' })).toBe(
      'event: e\ndata: one\ndata: two\ndata: three\ndata: four\n\n',
    );
    expect(sseEvent({ data: '' })).toBe('data: \n\n');
  });

  it('refuses an id or event name that would break the framing', () => {
    expect(() => sseEvent({ id: 'a\nb', data: 'x' })).toThrow(/line breaks/);
    expect(() => sseEvent({ event: 'a\rb', data: 'x' })).toThrow(/line breaks/);
    expect(() => sseEvent({ id: 'a\u0000', data: 'x' })).toThrow(/NUL/);
  });

  it('writes comments and the reconnection delay', () => {
    expect(sseComment('heartbeat')).toBe(': heartbeat\n\n');
    expect(sseRetry(2000.7)).toBe('retry: 2000\n\n');
  });
});
