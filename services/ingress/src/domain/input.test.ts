import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { parse } from './input.js';

const body = z.object({
  text: z.string(),
  tags: z.array(z.string()).optional(),
  fields: z.record(z.string(), z.union([z.string(), z.number()])).optional(),
});

describe('parse', () => {
  it('accepts any valid Unicode, surrogate pairs included', () => {
    expect(parse(body, { text: 'héllo 😀 𝄞', fields: { 'näme 😀': 'ok', n: 1 } })).toEqual({
      text: 'héllo 😀 𝄞',
      fields: { 'näme 😀': 'ok', n: 1 },
    });
  });

  it.each([
    ['a NUL character', { text: 'a\u0000b' }, 'invalid body: text: contains a NUL character (U+0000)'],
    ['an unpaired high surrogate', { text: 'x\ud83d' }, 'text: is not valid Unicode'],
    ['an unpaired low surrogate', { text: '\ude00x' }, 'text: is not valid Unicode'],
    ['swapped surrogates', { text: '\ude00\ud83d' }, 'text: is not valid Unicode'],
    ['a NUL in an array', { text: 'ok', tags: ['fine', '\u0000'] }, 'tags.1: contains a NUL character'],
    ['a NUL in a record value', { text: 'ok', fields: { note: '\u0000' } }, 'fields.note: contains a NUL'],
    ['a bad field name', { text: 'ok', fields: { 'n\u0000': 'v' } }, 'fields: a field named "n\\u0000"'],
    ['an ESC sequence', { text: 'red \u001b[31malert' }, 'text: contains a control character (U+001B)'],
    ['a BEL', { text: 'ding\u0007' }, 'text: contains a control character (U+0007)'],
    ['a backspace', { text: 'pay\u0008\u0008id' }, 'text: contains a control character (U+0008)'],
    ['a DEL', { text: 'a\u007fb' }, 'text: contains a control character (U+007F)'],
    ['a C1 control (CSI)', { text: 'a\u009b31m' }, 'text: contains a control character (U+009B)'],
    ['a NEL (C1)', { text: 'a\u0085b' }, 'text: contains a control character (U+0085)'],
    [
      'a carriage return alone',
      { text: 'paid\runpaid' },
      'text: contains a carriage return (U+000D) not followed by a newline',
    ],
    ['a vertical tab', { text: 'a\u000bb' }, 'text: contains a control character (U+000B)'],
    [
      'a control character in a field name',
      { text: 'ok', fields: { 'n\u001b': 'v' } },
      'fields: a field named "n\\u001b"',
    ],
  ])('refuses %s, naming where, as invalid_argument', (_case, value, message) => {
    let thrown: unknown;
    try {
      parse(body, value);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toMatchObject({ code: 'invalid_argument', message: expect.stringContaining(message) });
  });

  it('accepts newlines, tabs and CRLF line ends, and leaves them as sent', () => {
    const text = 'line 1\nline 2\r\n\tindented\n\n';
    expect(parse(body, { text })).toEqual({ text });
  });

  it('refuses a bare string by the name of what it is', () => {
    expect(() => parse(z.string(), '\u0000', 'channelId')).toThrow(
      /invalid channelId: channelId: contains a NUL/,
    );
  });

  it('names every problem of a schema before looking at the characters', () => {
    expect(() => parse(body, { text: 1 })).toThrow(/invalid body: text: /);
  });
});
