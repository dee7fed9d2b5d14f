import type { SessionEnded } from '@parley/contracts';
import { createLogger } from '@parley/logger';
import { describe, expect, it } from 'vitest';
import { type AnnouncementOutcome, createSessionEndedAnnouncer } from './session-ended-announcer.js';

const logger = createLogger({ service: 'ingress-test', version: 'test', level: 'silent' });
const event = (n: number): SessionEnded => ({
  sessionEventId: `se-${n}`,
  tenantId: 'acme',
  customerKey: 'k-1',
  threadId: 't-1',
  deviceId: 'laptop',
  allDevices: false,
  sessionsEnded: 1,
  reason: 'customer_logout',
  endedAt: '2026-12-01T10:00:00.000Z',
});

/** A Kafka that is down until `up` is set; records what it stored. */
function fakeKafka() {
  const state = { up: false, stored: [] as string[], tries: 0 };
  const publish = async (published: SessionEnded) => {
    state.tries += 1;
    if (!state.up) throw new Error('broker down');
    state.stored.push(published.sessionEventId);
  };
  return { state, publish };
}

async function until(condition: () => boolean) {
  for (let i = 0; i < 200 && !condition(); i += 1) await new Promise((resolve) => setTimeout(resolve, 5));
  expect(condition()).toBe(true);
}

describe('the session.ended announcer', () => {
  it('publishes at once while Kafka is up', async () => {
    const kafka = fakeKafka();
    kafka.state.up = true;
    const outcomes: AnnouncementOutcome[] = [];
    const announcer = createSessionEndedAnnouncer({
      publish: kafka.publish,
      logger,
      onOutcome: (o) => outcomes.push(o),
    });
    await announcer.announce(event(1));
    expect(kafka.state.stored).toEqual(['se-1']);
    expect(outcomes).toEqual(['published']);
    expect(announcer.pending()).toBe(0);
  });

  it('keeps what Kafka refused and publishes it, with the same id, once Kafka is back', async () => {
    const kafka = fakeKafka();
    const outcomes: AnnouncementOutcome[] = [];
    const announcer = createSessionEndedAnnouncer({
      publish: kafka.publish,
      logger,
      onOutcome: (o) => outcomes.push(o),
      retryDelayMs: { initial: 5, max: 20 },
    });
    await announcer.announce(event(1)); // resolves: the logout does not fail with Kafka
    await announcer.announce(event(2));
    expect(announcer.pending()).toBe(2);
    await until(() => kafka.state.tries >= 4); // retried meanwhile
    kafka.state.up = true;
    await until(() => announcer.pending() === 0);
    expect(kafka.state.stored).toEqual(['se-1', 'se-2']);
    expect(outcomes.filter((o) => o === 'deferred')).toHaveLength(2);
    expect(outcomes.filter((o) => o === 'published')).toHaveLength(2);
    await announcer.stop();
  });

  it('waits no longer than waitMs for a slow publish, which still completes', async () => {
    let finish: () => void = () => {};
    const stored: string[] = [];
    const announcer = createSessionEndedAnnouncer({
      publish: (published) =>
        new Promise<void>((resolve) => {
          finish = () => {
            stored.push(published.sessionEventId);
            resolve();
          };
        }),
      logger,
      waitMs: 10,
    });
    await announcer.announce(event(1));
    expect(announcer.pending()).toBe(1);
    finish();
    await until(() => announcer.pending() === 0);
    expect(stored).toEqual(['se-1']);
  });

  it('is bounded: beyond maxPending the oldest is dropped, and what fails at shutdown is dropped', async () => {
    const kafka = fakeKafka();
    const outcomes: AnnouncementOutcome[] = [];
    const announcer = createSessionEndedAnnouncer({
      publish: kafka.publish,
      logger,
      onOutcome: (o) => outcomes.push(o),
      maxPending: 2,
      retryDelayMs: { initial: 60_000, max: 60_000 },
    });
    for (const n of [1, 2, 3]) await announcer.announce(event(n));
    expect(outcomes.filter((o) => o === 'dropped')).toHaveLength(1);
    expect(announcer.pending()).toBe(2);
    await announcer.stop(100);
    expect(outcomes.filter((o) => o === 'dropped')).toHaveLength(3);
    expect(announcer.pending()).toBe(0);
  });

  it('publishes what is pending on shutdown when Kafka answers', async () => {
    const kafka = fakeKafka();
    const announcer = createSessionEndedAnnouncer({
      publish: kafka.publish,
      logger,
      retryDelayMs: { initial: 60_000, max: 60_000 },
    });
    await announcer.announce(event(1));
    kafka.state.up = true;
    await announcer.stop(1000);
    expect(kafka.state.stored).toEqual(['se-1']);
  });
});
