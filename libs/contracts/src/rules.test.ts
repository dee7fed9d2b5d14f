import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { customFieldName, identifiers, limits, streamCloseCodes } from './index.js';

describe('identifiers', () => {
  it.each([
    ['tenantId', 64, false],
    ['channelId', 64, false],
    ['keyId', 64, false],
    ['deviceId', 128, false],
    ['derivedId', 128, false],
    ['clientMessageId', 128, true],
    ['resourceId', 128, true],
  ] as const)('%s: [A-Za-z0-9._-] (colon: %s), 1 to %i', (name, max, colon) => {
    const rule = identifiers[name];
    expect(rule.safeParse('a.b_c-D9').success).toBe(true);
    expect(rule.safeParse('x'.repeat(max)).success).toBe(true);
    expect(rule.safeParse('x'.repeat(max + 1)).success).toBe(false);
    expect(rule.safeParse('').success).toBe(false);
    expect(rule.safeParse('bot:reply-1').success).toBe(colon);
    for (const bad of ['a b', 'a/b', 'ä', 'a\n']) expect(rule.safeParse(bad).success).toBe(false);
    expect(max).toBeLessThanOrEqual(limits.idMaxLength); // never wider than events allow
  });
});

describe('customFieldName', () => {
  it('is a letter, then letters, digits or underscores, at most 64, naming no credential', () => {
    for (const good of ['tier', 'openCase2', 'loyalty_level', `f${'x'.repeat(63)}`])
      expect(customFieldName.safeParse(good).success, good).toBe(true);
    for (const bad of [
      '',
      '1st',
      '_x',
      'a-b',
      'a.b',
      `f${'x'.repeat(64)}`,
      'apiKey',
      'refresh_token',
      'Password',
    ])
      expect(customFieldName.safeParse(bad).success, bad).toBe(false);
  });
});

describe('streamCloseCodes', () => {
  it('are the codes docs/api.md’s close-code table lists, each once', () => {
    const readme = readFileSync(new URL('../../../docs/api.md', import.meta.url), 'utf8');
    const documented = [...readme.matchAll(/^\| `(\d{4})` \|/gm)].map((match) => Number(match[1]));
    expect(documented.toSorted()).toEqual(Object.values(streamCloseCodes).toSorted());
  });
});
