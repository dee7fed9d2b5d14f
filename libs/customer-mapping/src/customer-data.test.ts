import { BrandFailure, ParleyError } from '@parley/errors';
import { describe, expect, it } from 'vitest';
import { customerDataOf } from './customer-data.js';

const mapping = { customerId: '$.sub', name: '$.name', customFields: { tier: '$.tier' } };

/** A fetch that throws `failures` first, one per call, then answers `data`. */
function brandAnswering(data: unknown, ...failures: unknown[]) {
  const brand = {
    calls: 0,
    fetch: async () => {
      brand.calls += 1;
      const failure = failures.shift();
      if (failure !== undefined) throw failure;
      return { data, mapping };
    },
  };
  return brand;
}

describe('customerDataOf', () => {
  const clock = () => {
    let ms = Date.parse('2026-12-02T10:00:00.000Z');
    return () => {
      ms += 4;
      return new Date(ms);
    };
  };

  it('maps the brand’s data into the snapshot, with when and how long', async () => {
    const brand = brandAnswering({ sub: 'c-1', name: 'Ada', tier: 'gold' });
    expect(await customerDataOf(brand.fetch, { now: clock() })).toEqual({
      customer: { id: 'c-1', name: 'Ada', customFields: { tier: 'gold' } },
      enrichment: { status: 'ok', fetchedAt: '2026-12-02T10:00:00.008Z', latencyMs: 4 },
    });
  });

  it('tries a quick failure again, up to maxAttempts', async () => {
    const flaky = brandAnswering({ sub: 'c-1' }, new BrandFailure('unreachable', 'reset'));
    expect((await customerDataOf(flaky.fetch, { backoffMs: 0 })).enrichment.status).toBe('ok');
    expect(flaky.calls).toBe(2);
    const down = brandAnswering({ sub: 'c-1' }, ...[1, 2].map(() => new BrandFailure('server_error', '503')));
    expect(await customerDataOf(down.fetch, { backoffMs: 0, maxAttempts: 2 })).toMatchObject({
      customer: null,
      enrichment: { status: 'unavailable', reason: 'http_error' },
    });
    expect(down.calls).toBe(2);
  });

  it.each(['timeout', 'circuit_open'] as const)('never waits twice on a %s', async (reason) => {
    const slow = brandAnswering({ sub: 'c-1' }, new BrandFailure(reason, reason));
    expect((await customerDataOf(slow.fetch, { backoffMs: 0 })).enrichment).toMatchObject({
      status: 'unavailable',
      reason,
    });
    expect(slow.calls).toBe(1);
  });

  it('marks data that does not fit the event unavailable (no id; a token-looking value)', async () => {
    for (const data of [
      { name: 'no id' },
      { sub: 'c-1', tier: 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig' },
    ]) {
      expect((await customerDataOf(brandAnswering(data).fetch)).enrichment).toMatchObject({
        status: 'unavailable',
        reason: 'invalid_response',
      });
    }
  });

  it('says token_unavailable for a customer without a usable token, and throws Parley’s own trouble', async () => {
    const signedOut = brandAnswering({}, new ParleyError('not_found', 'no signed-in customer'));
    expect((await customerDataOf(signedOut.fetch)).enrichment).toMatchObject({ reason: 'token_unavailable' });
    const ownTrouble = brandAnswering(
      {},
      ...[1, 2, 3].map(() => new ParleyError('dependency_unavailable', 'x')),
    );
    await expect(customerDataOf(ownTrouble.fetch, { backoffMs: 0 })).rejects.toMatchObject({
      code: 'dependency_unavailable',
    });
  });
});
