import { describe, expect, it } from 'vitest';
import { type SqlStatement, sql } from './sql.js';

describe('sql', () => {
  it('turns every value into a numbered placeholder, in order', () => {
    const statement = sql`select * from t where tenant_id = ${'t1'} and a = ${1} and b = ${null}`;
    expect(statement.text).toBe('select * from t where tenant_id = $1 and a = $2 and b = $3');
    expect(statement.values).toEqual(['t1', 1, null]);
  });

  it('never puts a value into the text', () => {
    const hostile = "x'; drop table messages; --";
    const statement = sql`select * from t where name = ${hostile}`;
    expect(statement.text).toBe('select * from t where name = $1');
    expect(statement.text).not.toContain('drop');
    expect(statement.values).toEqual([hostile]);
  });

  it('passes arrays, dates and objects as single values', () => {
    const at = new Date('2025-01-01T00:00:00Z');
    const statement = sql`select ${['a', 'b']}::text[], ${at}, ${{ k: 1 }}::jsonb`;
    expect(statement.text).toBe('select $1::text[], $2, $3::jsonb');
    expect(statement.values).toEqual([['a', 'b'], at, { k: 1 }]);
  });

  it('splices nested fragments with their own values, renumbered', () => {
    const inChannel = sql`and channel_id = ${'web'}`;
    const empty = sql``;
    const statement = sql`delete from sessions where tenant_id = ${'t1'} ${inChannel} ${empty} and key = ${'k'}`;
    expect(statement.text).toBe(
      'delete from sessions where tenant_id = $1 and channel_id = $2  and key = $3',
    );
    expect(statement.values).toEqual(['t1', 'web', 'k']);
  });

  it('nests fragments within fragments, and reuses one fragment twice', () => {
    const inner = sql`b = ${2}`;
    const middle = sql`a = ${1} and ${inner}`;
    const statement = sql`select 1 where ${middle} or (${middle}) or c = ${3}`;
    expect(statement.text).toBe('select 1 where a = $1 and b = $2 or (a = $3 and b = $4) or c = $5');
    expect(statement.values).toEqual([1, 2, 1, 2, 3]);
  });

  it('keeps a fragment at the start or the end of a statement', () => {
    const head = sql`select ${'x'}`;
    expect(sql`${head}`.text).toBe('select $1');
    expect(sql`${head} union ${sql`select ${'y'}`}`).toMatchObject({
      text: 'select $1 union select $2',
      values: ['x', 'y'],
    });
  });

  it('treats an object that only looks like a statement as a value', () => {
    const lookalike = { text: 'drop table t', values: [] };
    const statement = sql`select ${lookalike}`;
    expect(statement.text).toBe('select $1');
    expect(statement.values).toEqual([lookalike]);
  });

  it('does not type-check a statement glued together from strings (checked by tsc)', () => {
    const accept = (statement: SqlStatement) => statement.text;
    const name = 'x';
    // @ts-expect-error: a look-alike object lacks the brand only the tag sets
    accept({ text: `select * from t where name = '${name}'`, values: [] });
    // @ts-expect-error: nor is a string a statement
    accept(`select * from t where name = '${name}'`);
  });
});
