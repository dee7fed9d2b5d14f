import { createLogger } from '@parley/logger';
import { describe, expect, it } from 'vitest';
import { createOffsetCommitter } from './offset-committer.js';

type Commit = { topic: string; partition: number; offset: string }[];

/** A consumer whose commits wait until the test lets each one answer (or fail). */
function fakeConsumer() {
  const commits: Commit[] = [];
  const answers: { resolve: () => void; reject: (error: Error) => void }[] = [];
  return {
    commits,
    inFlight: () => answers.length,
    answer: () => answers.shift()?.resolve(),
    fail: () => answers.shift()?.reject(new Error('The group is rebalancing')),
    consumer: {
      commitOffsets(offsets: Commit) {
        commits.push(offsets);
        return new Promise<void>((resolve, reject) => answers.push({ resolve, reject }));
      },
    },
  };
}

const logger = createLogger({ service: 'test', version: '0', level: 'silent' });
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('the offset committer', () => {
  it('commits in the background, one commit in flight, and folds marks made meanwhile into the next', async () => {
    const fake = fakeConsumer();
    const committer = createOffsetCommitter({ consumer: fake.consumer, logger });
    committer.mark('t', 0, 5n);
    await settle();
    expect(fake.commits).toEqual([[{ topic: 't', partition: 0, offset: '5' }]]);
    committer.mark('t', 0, 6n);
    committer.mark('t', 0, 9n);
    committer.mark('t', 1, 3n);
    await settle();
    expect(fake.inFlight()).toBe(1); // the marks wait for the commit in flight
    fake.answer();
    await settle();
    expect(fake.commits[1]).toEqual([
      { topic: 't', partition: 0, offset: '9' },
      { topic: 't', partition: 1, offset: '3' },
    ]);
    fake.answer();
    await settle();
    expect(fake.commits).toHaveLength(2);
  });

  it('never moves a partition back and commits nothing new for a mark it has committed', async () => {
    const fake = fakeConsumer();
    const committer = createOffsetCommitter({ consumer: fake.consumer, logger });
    committer.mark('t', 0, 9n);
    await settle();
    fake.answer();
    await settle();
    committer.mark('t', 0, 4n);
    committer.mark('t', 0, 9n);
    await settle();
    expect(fake.commits).toHaveLength(1);
  });

  it('tries a failed commit again after a pause, with what was marked by then', async () => {
    const fake = fakeConsumer();
    const committer = createOffsetCommitter({ consumer: fake.consumer, logger, retryPauseMs: 5 });
    committer.mark('t', 0, 5n);
    await settle();
    fake.fail();
    committer.mark('t', 0, 7n);
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(fake.commits[1]).toEqual([{ topic: 't', partition: 0, offset: '7' }]);
  });

  it('leaves partitions a rebalance took away to their next owner', async () => {
    const fake = fakeConsumer();
    const committer = createOffsetCommitter({ consumer: fake.consumer, logger });
    committer.mark('t', 0, 5n);
    await settle();
    committer.mark('t', 1, 8n);
    committer.reassigned({ t: [0] });
    fake.answer();
    await settle();
    expect(fake.commits).toHaveLength(1);
  });

  it('on flush, waits for the commit in flight and commits the last marks once', async () => {
    const fake = fakeConsumer();
    const committer = createOffsetCommitter({ consumer: fake.consumer, logger });
    committer.mark('t', 0, 5n);
    await settle();
    committer.mark('t', 0, 6n);
    const flushed = committer.flush();
    fake.answer();
    await settle();
    expect(fake.commits[1]).toEqual([{ topic: 't', partition: 0, offset: '6' }]);
    fake.answer();
    await flushed;
    expect(fake.commits).toHaveLength(2);
  });
});
