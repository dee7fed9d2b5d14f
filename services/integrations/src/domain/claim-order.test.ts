import { describe, expect, it } from 'vitest';
import { type ClaimCandidate, leaseAfterRedelivery, pickClaimable, supersededLease } from './claim-order.js';

const now = new Date('2025-01-01T12:00:00Z');
const ago = (seconds: number) => new Date(now.getTime() - seconds * 1000);

function delivery(id: string, fields: Partial<ClaimCandidate> = {}): ClaimCandidate {
  return {
    id,
    subscriptionId: 'sub-a',
    orderKey: `thread-${id}`,
    eventCursor: Number(id.replace(/\D/g, '')),
    status: 'pending',
    nextAttemptAt: ago(1),
    leaseExpiresAt: null,
    subscriptionActive: true,
    ...fields,
  };
}

const request = { now, limit: 100, freeSlots: {}, perSubscription: 100, leaseMs: 1000 };
const ids = (picked: ClaimCandidate[]) => picked.map((d) => d.id);

describe('pickClaimable (the claim rule)', () => {
  it('takes only the earliest pending delivery of a thread, whatever state the earlier one is in', () => {
    const thread = { orderKey: 'th' };
    expect(
      ids(pickClaimable([delivery('d2', thread), delivery('d1', thread), delivery('d3', thread)], request)),
    ).toEqual(['d1']);
    // The earlier one in flight, or waiting for its retry: the later ones wait too.
    const leased = delivery('d1', { ...thread, leaseExpiresAt: new Date(now.getTime() + 5000) });
    expect(pickClaimable([leased, delivery('d2', thread)], request)).toEqual([]);
    const backingOff = delivery('d1', { ...thread, nextAttemptAt: new Date(now.getTime() + 5000) });
    expect(pickClaimable([backingOff, delivery('d2', thread)], request)).toEqual([]);
    // Delivered or failed: the next one goes.
    for (const status of ['delivered', 'failed'] as const)
      expect(
        ids(pickClaimable([delivery('d1', { ...thread, status }), delivery('d2', thread)], request)),
      ).toEqual(['d2']);
  });

  it('keeps threads and subscriptions apart: each has its own head', () => {
    const picked = pickClaimable(
      [
        delivery('d1', { orderKey: 'a' }),
        delivery('d2', { orderKey: 'a' }),
        delivery('d3', { orderKey: 'b' }),
        delivery('d4', { orderKey: 'a', subscriptionId: 'sub-b' }),
      ],
      request,
    );
    expect(ids(picked).sort()).toEqual(['d1', 'd3', 'd4']);
  });

  it('takes a lease that ran out again, and nothing of a paused or disabled subscription', () => {
    expect(ids(pickClaimable([delivery('d1', { leaseExpiresAt: ago(1) })], request))).toEqual(['d1']);
    expect(pickClaimable([delivery('d1', { subscriptionActive: false })], request)).toEqual([]);
  });

  it('takes the most overdue first, at most limit and each subscription’s free slots', () => {
    const many = [
      delivery('d1', { nextAttemptAt: ago(10) }),
      delivery('d2', { nextAttemptAt: ago(30) }),
      delivery('d3', { nextAttemptAt: ago(20), subscriptionId: 'sub-b' }),
      delivery('d4', { nextAttemptAt: ago(40), subscriptionId: 'sub-b' }),
      delivery('d5', { nextAttemptAt: ago(50), subscriptionId: 'sub-c' }),
    ];
    expect(ids(pickClaimable(many, request))).toEqual(['d5', 'd4', 'd2', 'd3', 'd1']);
    expect(ids(pickClaimable(many, { ...request, limit: 2 }))).toEqual(['d5', 'd4']);
    expect(ids(pickClaimable(many, { ...request, perSubscription: 1 }))).toEqual(['d5', 'd4', 'd2']);
    expect(ids(pickClaimable(many, { ...request, freeSlots: { 'sub-b': 0, 'sub-c': 0 } }))).toEqual([
      'd2',
      'd1',
    ]);
  });

  it('supersedes a live lease once when a delivery is queued again, and drops one that ran out', () => {
    const live = { leaseToken: 'abc', leaseExpiresAt: new Date(now.getTime() + 5000) };
    const superseded = leaseAfterRedelivery(live, now);
    expect(superseded).toEqual({ leaseToken: supersededLease('abc'), leaseExpiresAt: live.leaseExpiresAt });
    expect(superseded.leaseToken).not.toBe('abc');
    expect(leaseAfterRedelivery(superseded, now)).toEqual(superseded);
    expect(leaseAfterRedelivery({ leaseToken: 'abc', leaseExpiresAt: ago(1) }, now)).toEqual({
      leaseToken: null,
      leaseExpiresAt: null,
    });
    expect(leaseAfterRedelivery({ leaseToken: null, leaseExpiresAt: null }, now)).toEqual({
      leaseToken: null,
      leaseExpiresAt: null,
    });
  });
});
