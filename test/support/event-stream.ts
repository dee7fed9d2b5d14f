/** One Server-Sent Event as a test client received it. */
export interface ReceivedEvent {
  readonly id?: string;
  readonly event?: string;
  readonly data: string;
}

export interface EventStreamClient {
  /** The answer's status and headers (the body is being read into `events`). */
  readonly response: Promise<Response>;
  /** Events received so far, in order. */
  readonly events: ReceivedEvent[];
  /** Comment lines received so far (heartbeats). */
  readonly comments: string[];
  /** Settles when the stream ended (the server closed it or `close()` was called). */
  readonly done: Promise<void>;
  close(): void;
}

/**
 * A minimal Server-Sent Events client over fetch for tests: collects events and comments as they
 * arrive (`id`, `event` and `data` lines; data lines joined with `\n`).
 *
 * @example
 * const stream = openEventStream(`${api}/v1/bot/events`, { authorization: `Bearer ${botKey}` });
 * await waitFor('an event', () => stream.events.length > 0);
 */
export function openEventStream(url: string, headers: Record<string, string>): EventStreamClient {
  const controller = new AbortController();
  const events: ReceivedEvent[] = [];
  const comments: string[] = [];
  const response = fetch(url, {
    headers: { accept: 'text/event-stream', ...headers },
    signal: controller.signal,
  });
  const done = response.then(
    async (answer) => {
      if (!answer.ok || !answer.body) return;
      const decoder = new TextDecoder();
      let buffer = '';
      try {
        for await (const chunk of answer.body) {
          buffer += decoder.decode(chunk as Uint8Array, { stream: true });
          for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
            const block = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            const event: { id?: string; event?: string } = {};
            const data: string[] = [];
            for (const line of block.split('\n')) {
              if (line.startsWith(':')) comments.push(line.slice(1).trim());
              else if (line.startsWith('id: ')) event.id = line.slice(4);
              else if (line.startsWith('event: ')) event.event = line.slice(7);
              else if (line.startsWith('data: ')) data.push(line.slice(6));
            }
            if (data.length > 0) events.push({ ...event, data: data.join('\n') });
          }
        }
      } catch {
        // closed by the test
      }
    },
    () => {},
  );
  return { response, events, comments, done, close: () => controller.abort() };
}
