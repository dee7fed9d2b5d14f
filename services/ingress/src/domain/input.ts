import { ParleyError } from '@parley/errors';
import type { z } from 'zod';

// With the `u` flag a surrogate pair is one code point: this matches unpaired surrogates only.
const loneSurrogate = /\p{Cs}/u;
// Control characters (Unicode category Cc: C0, DEL and C1).
const controlCharacters = /\p{Cc}/gu;

/** The first control character of a text that is not a tab, a newline or the CR of a CRLF. */
function refusedControl(text: string): string | undefined {
  for (const { 0: character, index } of text.matchAll(controlCharacters)) {
    if (character === '\t' || character === '\n') continue;
    if (character === '\r' && text[index + 1] === '\n') continue;
    return character;
  }
  return undefined;
}

const codePoint = (character: string) =>
  `U+${(character.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`;

/**
 * Why a string is refused at the edge, or undefined when it is accepted: the one text rule of
 * Parley's API (docs/api.md, "Text Parley accepts"). Valid Unicode only (PostgreSQL's `text` holds no
 * NUL and no unpaired surrogate: what ingress accepts must be storable downstream), and no control
 * characters but tab, newline and CRLF, so no terminal escape, backspace or bare carriage return
 * reaches an agent's console, a bot or a log in the text of a message.
 */
function refusedText(text: string): string | undefined {
  if (text.includes('\u0000')) return 'contains a NUL character (U+0000)';
  if (loneSurrogate.test(text)) return 'is not valid Unicode (an unpaired surrogate)';
  const control = refusedControl(text);
  if (control)
    return control === '\r'
      ? 'contains a carriage return (U+000D) not followed by a newline'
      : `contains a control character (${codePoint(control)})`;
  return undefined;
}

/** Every string in a parsed value, names of fields included, that the text rule refuses. */
function refusedStrings(
  value: unknown,
  what: string,
  path: readonly (string | number)[],
  problems: string[],
): void {
  const where = () => path.join('.') || what;
  if (typeof value === 'string') {
    const reason = refusedText(value);
    if (reason) problems.push(`${where()}: ${reason}`);
  } else if (Array.isArray(value)) {
    for (const [index, item] of value.entries()) refusedStrings(item, what, [...path, index], problems);
  } else if (typeof value === 'object' && value !== null) {
    for (const [name, item] of Object.entries(value)) {
      const reason = refusedText(name);
      if (reason) problems.push(`${where()}: a field named ${JSON.stringify(name)} ${reason}`);
      else refusedStrings(item, what, [...path, name], problems);
    }
  }
}

/**
 * The body (or query, or frame) parsed by a schema; every problem named in one `invalid_argument`.
 * Every string in it, field names included, then follows the text rule (`refusedText`), here at
 * the edge for every route and for HTTP and WebSocket alike, before anything is published: what
 * ingress accepts must be storable downstream, or it would fail there after the sender was told it
 * was accepted.
 */
export function parse<S extends z.ZodType>(schema: S, value: unknown, what = 'body'): z.output<S> {
  const result = schema.safeParse(value ?? {});
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `${issue.path.join('.') || what}: ${issue.message}`);
    throw new ParleyError('invalid_argument', `invalid ${what}: ${problems.join('; ')}`);
  }
  const problems: string[] = [];
  refusedStrings(result.data, what, [], problems);
  if (problems.length > 0)
    throw new ParleyError('invalid_argument', `invalid ${what}: ${problems.join('; ')}`);
  return result.data;
}
