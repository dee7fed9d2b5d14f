/** One Server-Sent Event as a client sees it. */
export interface ServerSentEvent {
  readonly id?: string;
  readonly event: string;
  readonly data: string;
}

/**
 * The events of a `text/event-stream` body, parsed as the WHATWG HTML standard says (the same
 * rules as a browser's EventSource): lines end with CRLF, LF or CR; `data` lines are joined with
 * `\n`; comments (`:`) and unknown fields are ignored; a blank line dispatches; an event without
 * data is not dispatched; `event` defaults to `message`.
 */
export async function* readServerSentEvents(
  body: AsyncIterable<Uint8Array>,
): AsyncGenerator<ServerSentEvent, void, undefined> {
  const decoder = new TextDecoder();
  let buffer = '';
  let id: string | undefined;
  let event = '';
  let data: string[] = [];
  const lines = function* (final: boolean) {
    for (;;) {
      const match = /\r\n|\n|\r/.exec(buffer);
      // A CR at the very end may be the first half of a CRLF still on its way.
      if (!match || (!final && match[0] === '\r' && match.index === buffer.length - 1)) return;
      yield buffer.slice(0, match.index);
      buffer = buffer.slice(match.index + match[0].length);
    }
  };
  function* dispatch(final: boolean): Generator<ServerSentEvent> {
    for (const line of lines(final)) {
      if (line === '') {
        if (data.length > 0)
          yield { ...(id !== undefined ? { id } : {}), event: event || 'message', data: data.join('\n') };
        event = '';
        data = [];
        continue;
      }
      if (line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'data') data.push(value);
      else if (field === 'event') event = value;
      else if (field === 'id' && !value.includes('\u0000')) id = value;
    }
  }
  for await (const chunk of body) {
    buffer += decoder.decode(chunk, { stream: true });
    yield* dispatch(false);
  }
  buffer += decoder.decode();
  yield* dispatch(true);
}
