import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '@parley/logger';
import type { Consumer } from 'kafkajs';

/**
 * Commits consumed offsets in the background, for both consumer modes: the runner marks how far
 * each partition is handled and goes on fetching, and the commit happens beside it. On Kafka 4 an
 * OffsetCommit round trip takes several milliseconds; kafkajs's own auto-commit awaits one after
 * every batch, before it fetches again, which put the commit on every message's path
 * (docs/kafka.md, "kafkajs and Kafka 4"). At most one commit is in flight; marks made meanwhile go in the
 * next one, so under load one commit covers many batches.
 *
 * Nothing handled is lost and nothing unhandled is skipped: a mark never passes a record that is
 * not handled, and what is marked but not committed when a partition moves or the process dies is
 * delivered again (handlers are idempotent).
 *
 * @example
 * const committer = createOffsetCommitter({ consumer, logger });
 * committer.mark(batch.topic, batch.partition, BigInt(lastHandled.offset) + 1n);
 * await committer.flush(); // on stop
 */
export function createOffsetCommitter(options: {
  consumer: Pick<Consumer, 'commitOffsets'>;
  logger: Logger;
  /** After a failed commit (not a member while rebalancing, a broker away), wait this long. */
  retryPauseMs?: number;
}) {
  const { consumer, logger, retryPauseMs = 500 } = options;
  /** Per partition: the offset to commit next (the first record not handled) and the last committed. */
  const partitions = new Map<
    string,
    { topic: string; partition: number; marked: bigint; committed: bigint }
  >();
  let committing: Promise<void> | undefined;
  let pending = false;
  let stopped = false;

  async function commitLoop(): Promise<void> {
    while (pending) {
      pending = false;
      const due = [...partitions.values()].filter((entry) => entry.marked > entry.committed);
      if (due.length === 0) continue;
      const offsets = due.map(({ topic, partition, marked }) => ({ topic, partition, offset: marked }));
      try {
        await consumer.commitOffsets(
          offsets.map(({ topic, partition, offset }) => ({ topic, partition, offset: offset.toString() })),
        );
        for (const { topic, partition, offset } of offsets) {
          const entry = partitions.get(`${topic}:${partition}`);
          if (entry && offset > entry.committed) entry.committed = offset;
        }
      } catch (error) {
        // Not a member right now (rebalancing, reconnecting): the next mark tries again, and
        // whatever stays uncommitted is delivered again, never lost.
        logger.warn({ err: error }, 'could not commit offsets; will try again');
        if (stopped) return;
        await sleep(retryPauseMs);
        pending = true;
      }
    }
  }

  function commitSoon(): Promise<void> {
    pending = true;
    committing ??= commitLoop().finally(() => {
      committing = undefined;
    });
    return committing;
  }

  return {
    /**
     * `nextOffset` is the first record of the partition not handled (kafkajs's committed offset
     * is the next one to read). A mark behind an earlier one changes nothing.
     */
    mark(topic: string, partition: number, nextOffset: bigint): void {
      const id = `${topic}:${partition}`;
      const entry = partitions.get(id);
      if (!entry) partitions.set(id, { topic, partition, marked: nextOffset, committed: -1n });
      else if (nextOffset > entry.marked) entry.marked = nextOffset;
      else return;
      if (!stopped) void commitSoon();
    },

    /** Drops partitions the consumer no longer owns (a rebalance): their next owner commits them. */
    reassigned(assignment: Record<string, number[]>): void {
      for (const [id, { topic, partition }] of partitions) {
        if (!assignment[topic]?.includes(partition)) partitions.delete(id);
      }
    },

    /** Waits for the commit in flight, then commits every mark made so far, once (on stop). */
    async flush(): Promise<void> {
      if (committing) await committing;
      stopped = true;
      pending = true;
      await commitLoop();
    },
  };
}

export type OffsetCommitter = ReturnType<typeof createOffsetCommitter>;
