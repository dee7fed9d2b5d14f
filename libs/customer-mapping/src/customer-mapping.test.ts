import { describe, expect, it } from 'vitest';
import { isSupportedPath, mapCustomer, readPath } from './index.js';

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

  it('blames the brand when the customer id is missing', () => {
    expect(() => mapCustomer({ name: 'x' }, { customerId: '$.sub', customFields: {} })).toThrow(
      expect.objectContaining({ code: 'brand_error' }),
    );
  });
});
