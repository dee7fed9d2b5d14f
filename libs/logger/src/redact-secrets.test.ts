import { describe, expect, it } from 'vitest';
import { redactedValue, redactSecrets } from './redact-secrets.js';

function nest(depth: number, leaf: Record<string, unknown>): Record<string, unknown> {
  let value: Record<string, unknown> = leaf;
  for (let i = 0; i < depth; i += 1) value = { level: value };
  return value;
}

function serialized(value: unknown): string {
  return JSON.stringify(redactSecrets(value));
}

describe('redactSecrets', () => {
  it('keeps the existing behaviour: secret keys in any case, arrays, error codes', () => {
    expect(
      redactSecrets({
        Authorization: 'Bearer x',
        list: [{ API_KEY: 'k' }],
        code: 'ECONNRESET',
        grant: { code: 'SplxlOBeZQQYbYS6WxSbIA' },
        empty: { password: '' },
        when: new Date(0),
      }),
    ).toEqual({
      Authorization: redactedValue,
      list: [{ API_KEY: redactedValue }],
      code: 'ECONNRESET',
      grant: { code: redactedValue },
      empty: { password: '' },
      when: new Date(0),
    });
  });

  it('fails closed past the depth limit instead of emitting the subtree as is', () => {
    const line = serialized(nest(12, { token: 'deep-secret' }));
    expect(line).not.toContain('deep-secret');
    expect(line).toContain('[Redacted: too deep]');
  });

  it('still redacts within the depth limit', () => {
    expect(serialized(nest(7, { token: 'shallow-secret', host: 'parley' }))).toContain('"host":"parley"');
    expect(serialized(nest(7, { token: 'shallow-secret' }))).not.toContain('shallow-secret');
  });

  it('marks cycles and never emits the cyclic object raw', () => {
    const node: Record<string, unknown> = { token: 'cyclic-secret', name: 'n' };
    node.self = node;
    node.list = [node];
    const result = redactSecrets(node) as Record<string, unknown>;
    expect(result.self).toBe('[Redacted: circular]');
    expect(result.list).toEqual(['[Redacted: circular]']);
    expect(JSON.stringify(result)).not.toContain('cyclic-secret');
  });

  it('keeps shared, non-cyclic references', () => {
    const shared = { host: 'parley', token: 't' };
    expect(redactSecrets({ a: shared, b: shared })).toEqual({
      a: { host: 'parley', token: redactedValue },
      b: { host: 'parley', token: redactedValue },
    });
  });

  it('bounds very wide arrays and objects with a marker', () => {
    const items = Array.from({ length: 10_000 }, (_, i) => ({ i }));
    const array = redactSecrets(items) as unknown[];
    expect(array.length).toBeLessThanOrEqual(101);
    expect(array.at(-1)).toMatch(/^\[Redacted: \d+ more items\]$/);

    const wide: Record<string, unknown> = {};
    for (let i = 0; i < 10_000; i += 1) wide[`k${i}`] = i;
    wide.token = 'wide-secret';
    const object = redactSecrets(wide) as Record<string, unknown>;
    expect(Object.keys(object).length).toBeLessThanOrEqual(201);
    expect(JSON.stringify(object)).not.toContain('wide-secret');
    expect(Object.values(object).at(-1)).toMatch(/^\[Redacted: \d+ more keys\]$/);
  });

  it('bounds the total work of wide and deep trees', () => {
    const row = () => Array.from({ length: 100 }, (_, i) => ({ i, token: 'budget-secret' }));
    const tree = Array.from({ length: 100 }, () => Array.from({ length: 100 }, row));
    const line = serialized(tree);
    expect(line).not.toContain('budget-secret');
    expect(line.length).toBeLessThan(2_000_000);
  });

  it('redacts errors with deep cause chains, AggregateError errors and odd causes', () => {
    let err: Error = Object.assign(new Error('root'), { headers: { authorization: 'Bearer root-secret' } });
    for (let i = 0; i < 12; i += 1) err = new Error(`wrap ${i}`, { cause: err });
    const aggregate = new AggregateError(
      [Object.assign(new Error('inner'), { config: { password: 'agg-secret' } })],
      'many',
    );
    const plainCause = new Error('plain', { cause: { token: 'cause-secret' } });
    const line = serialized({ err, aggregate, plainCause });
    for (const secret of ['root-secret', 'agg-secret', 'cause-secret']) expect(line).not.toContain(secret);
    const result = redactSecrets({ aggregate }) as { aggregate: { errors: unknown[]; message: string } };
    expect(result.aggregate.message).toBe('many');
    expect(result.aggregate.errors).toHaveLength(1);
  });

  it('redacts Maps and Sets instead of dropping or leaking them', () => {
    const headers = new Map<unknown, unknown>([
      ['Authorization', 'Bearer map-secret'],
      ['host', 'parley'],
    ]);
    const set = new Set([{ token: 'set-secret' }, 'plain']);
    const result = redactSecrets({ headers, set });
    expect(result).toEqual({
      headers: { Authorization: redactedValue, host: 'parley' },
      set: [{ token: redactedValue }, 'plain'],
    });
  });

  it('redacts what toJSON returns, own or inherited', () => {
    class Credentials {
      readonly #token = 'private-secret';
      toJSON() {
        return { user: 'u', token: this.#token };
      }
    }
    const own = { toJSON: () => ({ nested: { apiKey: 'own-tojson-secret' } }) };
    const value = { credentials: new Credentials(), own };
    const line = serialized(value);
    expect(line).not.toContain('private-secret');
    expect(line).not.toContain('own-tojson-secret');
    expect(redactSecrets(value)).toEqual({
      credentials: { user: 'u', token: redactedValue },
      own: { nested: { apiKey: redactedValue } },
    });
  });

  it('redacts credentials in URLs and bearer tokens / JWTs in strings', () => {
    const jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJlLXNlY3JldA';
    const line = serialized({
      url: new URL('https://user:url-secret@brand.example/cb?x=1'),
      note: 'retrying with Bearer bearer-secret now',
      header: `Basic dXNlcjpiYXNpYy1zZWNyZXQ=`,
      raw: jwt,
      err: new Error(`call failed for ${jwt}`),
    });
    for (const secret of ['url-secret', 'bearer-secret', 'dXNlcjpiYXNpYy1zZWNyZXQ=', jwt]) {
      expect(line).not.toContain(secret);
    }
    expect(line).toContain('brand.example/cb');
    expect(line).toContain('retrying with Bearer');
  });

  it('does not throw on throwing getters or toJSON', () => {
    const value = {
      get token(): string {
        throw new Error('boom');
      },
      get other(): string {
        throw new Error('boom');
      },
      bad: {
        toJSON: () => {
          throw new Error('boom');
        },
      },
    };
    expect(() => redactSecrets(value)).not.toThrow();
    expect(JSON.stringify(redactSecrets(value))).toContain('[Redacted: unreadable]');
  });
});
