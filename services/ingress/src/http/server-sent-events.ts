/**
 * Server-Sent Events framing (WHATWG HTML, "Server-sent events"): one event is `field: value`
 * lines ended by a blank line. A value with line breaks becomes several `data:` lines, which the
 * client joins with `\n`, so any text arrives intact; `id` and `event` may not contain them.
 */
export function sseEvent(event: { readonly id?: string; readonly event?: string; readonly data: string }) {
  const lines: string[] = [];
  if (event.id !== undefined) lines.push(`id: ${singleLine(event.id, 'id')}`);
  if (event.event !== undefined) lines.push(`event: ${singleLine(event.event, 'event')}`);
  for (const line of event.data.split(/\r\n|\r|\n/)) lines.push(`data: ${line}`);
  return `${lines.join('\n')}\n\n`;
}

/** A comment line: ignored by clients, it keeps proxies from closing an idle stream. */
export function sseComment(text: string): string {
  return `: ${singleLine(text, 'comment')}\n\n`;
}

/** How long (ms) a client's EventSource waits before it reconnects. */
export function sseRetry(ms: number): string {
  return `retry: ${Math.max(0, Math.floor(ms))}\n\n`;
}

function singleLine(value: string, what: string): string {
  if (/[\r\n\0]/.test(value)) throw new Error(`an SSE ${what} cannot contain line breaks or NUL`);
  return value;
}
