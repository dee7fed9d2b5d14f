import { createLogger } from '@parley/logger';
import { describe, expect, it } from 'vitest';
import type { Database, Queryable } from './database.js';
import { createExpirySweeper } from './expiry-sweeper.js';
import { sql } from './sql.js';

const logger = createLogger({ service: 'test', version: 'test', level: 'silent' });

/** A database whose maintenance deletes answer with the given batch sizes, in turn. */
function fakeDatabase(batches: Record<string, number[]>) {
  const calls: string[] = [];
  const maintenance: Queryable = {
    async query<Row>(operation: string) {
      calls.push(operation);
      const size = batches[operation]?.shift() ?? 0;
      return Array.from({ length: size }, () => ({ '?column?': 1 }) as unknown as Row);
    },
  };
  const unused = () => {
    throw new Error('a sweep uses maintenance only');
  };
  const db = { forTenant: unused, global: { query: unused }, maintenance } as unknown as Database;
  return { db, calls };
}

describe('expiry sweeper', () => {
  it('deletes batch after batch until one is short, for every sweep', async () => {
    const { db, calls } = fakeDatabase({ 'sweep sessions': [10, 10, 3], 'sweep codes': [0] });
    const sweeper = createExpirySweeper({
      db,
      logger,
      sweeps: [
        { operation: 'sweep sessions', statement: sql`delete …`, batchSize: 10 },
        { operation: 'sweep codes', statement: sql`delete …`, batchSize: 10 },
      ],
    });
    expect(await sweeper.sweepOnce()).toBe(23);
    expect(calls).toEqual(['sweep sessions', 'sweep sessions', 'sweep sessions', 'sweep codes']);
  });

  it('stops a run after maxBatches, and runs one sweep at a time', async () => {
    const { db, calls } = fakeDatabase({ sweep: [5, 5, 5, 5, 5] });
    const sweeper = createExpirySweeper({
      db,
      logger,
      maxBatches: 2,
      sweeps: [{ operation: 'sweep', statement: sql`delete …`, batchSize: 5 }],
    });
    const [first, second] = await Promise.all([sweeper.sweepOnce(), sweeper.sweepOnce()]);
    expect(first).toBe(10);
    expect(second).toBe(10);
    expect(calls).toHaveLength(2);
  });
});
