import { describe, expect, it } from 'vitest';
import { isSupportedPath, mapCustomer, mappedValueMaxLength, readPath } from './index.js';

describe('customer mapping', () => {
  const data = {
    sub: 'c-42',
    profile: { name: 'Ada', tier: 'gold' },
    cases: [{ id: 'CASE-7' }],
    vip: true,
    score: 7,
    tags: ['a'],
  };

  it('reads simple JSON paths', () => {
    expect(readPath(data, '$.profile.tier')).toBe('gold');
    expect(readPath(data, '$.cases[0].id')).toBe('CASE-7');
    expect(readPath(data, '$.missing.deeper')).toBeUndefined();
    expect(isSupportedPath('$.a.b[2].c')).toBe(true);
    expect(isSupportedPath('$..a')).toBe(false);
    expect(() => readPath(data, 'profile.tier')).toThrow(
      expect.objectContaining({ code: 'invalid_argument' }),
    );
  });

  it('maps id, name and custom fields; absent fields are null, structures are JSON text', () => {
    expect(
      mapCustomer(data, {
        customerId: '$.sub',
        name: '$.profile.name',
        customFields: {
          tier: '$.profile.tier',
          vip: '$.vip',
          score: '$.score',
          tags: '$.tags',
          gone: '$.nope',
        },
      }),
    ).toEqual({
      id: 'c-42',
      name: 'Ada',
      customFields: { tier: 'gold', vip: true, score: 7, tags: '["a"]', gone: null },
    });
  });

  it('makes every string of the brand storable: no NUL, no unpaired surrogate', () => {
    const brandData = {
      sub: 'c-\u000042',
      name: 'Ada\u0000 Lovelace \ud83d',
      tier: '\udc00gold\u0000',
      notes: { 'te\u0000am': ['x\u0000', '\ud800y'], deep: { ok: 'fine' } },
      score: 7,
    };
    const customer = mapCustomer(brandData, {
      customerId: '$.sub',
      name: '$.name',
      customFields: { tier: '$.tier', notes: '$.notes', score: '$.score' },
    });
    expect(customer).toEqual({
      id: 'c-42',
      name: 'Ada Lovelace \ufffd',
      customFields: {
        tier: '\ufffdgold',
        notes: JSON.stringify({ team: ['x', '\ufffdy'], deep: { ok: 'fine' } }),
        score: 7,
      },
    });
    // Nothing PostgreSQL refuses is left, not even as an escape inside the JSON text.
    expect(JSON.stringify(customer)).not.toMatch(/\\u0000|\\ud[89a-f]/i);
  });

  it('keeps ordinary Unicode, surrogate pairs such as emoji included', () => {
    const text = 'Zoë 😀 👩🏽‍💻 東京 𝄞 \ufffd';
    expect(
      mapCustomer(
        { sub: '😀-1', name: text, tags: [text] },
        { customerId: '$.sub', name: '$.name', customFields: { note: '$.name', tags: '$.tags' } },
      ),
    ).toEqual({ id: '😀-1', name: text, customFields: { note: text, tags: JSON.stringify([text]) } });
  });

  it('blames the brand for a customer id that is nothing but NUL characters', () => {
    expect(() => mapCustomer({ sub: '\u0000\u0000' }, { customerId: '$.sub', customFields: {} })).toThrow(
      expect.objectContaining({ code: 'brand_error' }),
    );
  });

  it('blames the brand when the customer id is missing', () => {
    expect(() => mapCustomer({ name: 'x' }, { customerId: '$.sub', customFields: {} })).toThrow(
      expect.objectContaining({ code: 'brand_error' }),
    );
  });

  it('refuses a path that selects the whole document', () => {
    expect(isSupportedPath('$')).toBe(false);
    expect(isSupportedPath('$.sub')).toBe(true);
  });

  it('bounds every mapped value, so no mapping copies a large response into each field', () => {
    const long = 'é'.repeat(5000);
    const brandData = { sub: 'c-1', name: long, note: long, big: { blob: 'x'.repeat(1024 * 1024) } };
    const mapping = { customerId: '$.sub', name: '$.name', customFields: { note: '$.note', big: '$.big' } };
    const customer = mapCustomer(brandData, mapping);
    expect(customer.name).toBe('é'.repeat(256));
    expect(mappedValueMaxLength).toBe(1024);
    expect(customer.customFields.note).toBe('é'.repeat(1024));
    // A structure whose JSON is over the limit is not cut into broken JSON: it is null.
    expect(customer.customFields.big).toBeNull();
    // A string is cut between code points, never inside a surrogate pair.
    const emoji = mapCustomer(
      { sub: 'c', e: `a${'😀'.repeat(1024)}` },
      { customerId: '$.sub', customFields: { e: '$.e' } },
    );
    expect(emoji.customFields.e).toBe(`a${'😀'.repeat(511)}`);
  });
});
