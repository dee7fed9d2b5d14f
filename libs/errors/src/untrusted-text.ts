// RFC 6749 §5.2's characters for an OAuth `error`: printable ASCII but `"` and `\`.
const outsideErrorCharacters = /[^\x20\x21\x23-\x5b\x5d-\x7e]/g;

/**
 * A string another party chose (a brand's OAuth `error`, a token type, an issuer it names) as
 * Parley may put it into an error message a client sees: printable ASCII only (RFC 6749's error
 * characters; anything else becomes `?`, so no terminal escape, line break or header injection
 * travels on) and at most `maxLength` characters (cut with `...`). What is not a string is named
 * by its type. The one rule for such text (docs/api.md, "Errors").
 *
 * @example
 * untrustedText('invalid_client'); // 'invalid_client'
 * untrustedText('\u001b[31mx'); // '?[31mx'
 */
export function untrustedText(value: unknown, maxLength = 64): string {
  if (value === undefined || value === null) return '(none)';
  if (typeof value !== 'string') return `(${typeof value})`;
  // Cut before replacing, so a huge value is not scanned whole.
  const cut = value.length > maxLength;
  const text = (cut ? value.slice(0, maxLength - 3) : value).replace(outsideErrorCharacters, '?');
  return cut ? `${text}...` : text;
}
