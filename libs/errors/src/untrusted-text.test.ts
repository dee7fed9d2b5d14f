import { describe, expect, it } from 'vitest';
import { untrustedText } from './index.js';

describe('untrustedText', () => {
  it('keeps an OAuth error code as it is', () => {
    expect(untrustedText('invalid_client')).toBe('invalid_client');
    expect(untrustedText('https://id.acme.example/realms/shop', 200)).toBe(
      'https://id.acme.example/realms/shop',
    );
  });

  it('replaces what is not printable ASCII (RFC 6749 error characters) with ?', () => {
    expect(untrustedText('\u001b[2Jbad\r\nLocation: x "q" \\ é')).toBe('?[2Jbad??Location: x ?q? ? ?');
  });

  it('bounds the length, saying that it cut', () => {
    const text = untrustedText('a'.repeat(10_000));
    expect(text).toBe(`${'a'.repeat(61)}...`);
    expect(untrustedText('b'.repeat(300), 200)).toHaveLength(200);
  });

  it('names what is not a string by its type', () => {
    expect(untrustedText(undefined)).toBe('(none)');
    expect(untrustedText({ toString: () => 'x'.repeat(1e5) })).toBe('(object)');
    expect(untrustedText(42)).toBe('(number)');
  });
});
