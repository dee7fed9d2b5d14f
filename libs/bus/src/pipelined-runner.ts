import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '@parley/logger';
import type { EachBatchPayload, KafkaMessage } from 'kafkajs';
import type { LagReporter } from './consumer-options.js';
import type { OffsetCommitter } from './offset-committer.js';
import { PartitionProgress } from './partition-progress.js';
import { type HandleRecord, StopRequested } from './record-handling.js';

/**
 * The pipelined mode of the consumer: records are taken from each batch into per-key lanes and the
 * batch returns at once, so kafkajs fetches on while slow keys are still running. Each partition's
 * PartitionProgress says how far it is done; the OffsetCommitter commits that in the background.
 */
export function createPipelinedRunner(options: {
  committer: OffsetCommitter;
  depth: number;
  logger: Logger;
  retryPauseMs: number;
  handle: HandleRecord;
  onLag: LagReporter;
}) {
  const { committer, depth, logger, retryPauseMs, handle, onLag } = options;
  const partitions = new Map<
    string,
    { topic: string; partition: number; progress: PartitionProgress; highWatermark: bigint }
  >();
  /** The last record of each key taken, and whether it was handled (else later ones must wait). */
  const lanes = new Map<string, Promise<{ progress: PartitionProgress; handled: boolean }>>();
  /** Woken when a record finishes or the consumer stops: batches waiting for room look again. */
  let wake: () => void = () => {};
  let wakeUp = new Promise<void>((resolve) => {
    wake = resolve;
  });
  let stopping = false;

  function signal() {
    wake();
    wakeUp = new Promise<void>((resolve) => {
      wake = resolve;
    });
  }

  async function run(
    topic: string,
    partition: number,
    message: KafkaMessage,
    progress: PartitionProgress,
    entry: { done: boolean },
  ): Promise<boolean> {
    const shouldGoOn = async () => progress.active && !stopping;
    for (;;) {
      if (!progress.active) return false; // revoked: the partition's next owner handles it
      try {
        await handle(topic, partition, message, shouldGoOn);
        break;
      } catch (error) {
        if (error instanceof StopRequested || stopping) return false;
        logger.error(
          { err: error, topic, partition, offset: message.offset, pauseMs: retryPauseMs },
          'record failed after its retries; its key waits and it is tried again',
        );
        await sleep(retryPauseMs);
      }
    }
    progress.finish(entry);
    const state = partitions.get(`${topic}:${partition}`);
    if (state?.progress === progress) onLag(topic, partition, state.highWatermark - progress.committable());
    if (progress.active) committer.mark(topic, partition, progress.committable());
    signal();
    return true;
  }

  function take(topic: string, partition: number, message: KafkaMessage, progress: PartitionProgress) {
    const entry = progress.take(BigInt(message.offset));
    const lane = `${topic}\u0000${partition}\u0000${message.key?.toString('base64') ?? `offset:${message.offset}`}`;
    const previous = lanes.get(lane);
    const next = (async () => {
      const before = await previous;
      // A record abandoned earlier in this partition's lane holds back the rest of its key.
      if (before && before.progress === progress && !before.handled) return { progress, handled: false };
      return { progress, handled: await run(topic, partition, message, progress, entry) };
    })();
    lanes.set(lane, next);
    void next.then(() => {
      if (lanes.get(lane) === next) lanes.delete(lane);
    });
  }

  return {
    /** Drops what a rebalance took away: those records are abandoned, uncommitted. */
    reassigned(assignment: Record<string, number[]>) {
      for (const [id, { topic, partition, progress }] of partitions) {
        if (!assignment[topic]?.includes(partition)) {
          progress.active = false;
          partitions.delete(id);
        }
      }
      committer.reassigned(assignment);
      signal();
    },

    async eachBatch({ batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload) {
      const id = `${batch.topic}:${batch.partition}`;
      const first = batch.messages[0];
      if (!first) return;
      let state = partitions.get(id);
      if (!state) {
        state = {
          topic: batch.topic,
          partition: batch.partition,
          progress: new PartitionProgress(BigInt(first.offset)),
          highWatermark: BigInt(batch.highWatermark),
        };
        partitions.set(id, state);
      }
      state.highWatermark = BigInt(batch.highWatermark);
      const { progress } = state;
      for (const message of batch.messages) {
        if (progress.hasTaken(BigInt(message.offset))) {
          resolveOffset(message.offset);
          continue;
        }
        while (progress.inFlight >= depth) {
          if (stopping || !progress.active || !isRunning() || isStale()) return;
          await Promise.race([wakeUp, sleep(1000)]);
          await heartbeat();
        }
        if (stopping || !progress.active || !isRunning() || isStale()) return;
        take(batch.topic, batch.partition, message, progress);
        resolveOffset(message.offset);
      }
    },

    /** Lets taken records finish (up to `timeoutMs`), then commits what is done. */
    async drain(timeoutMs: number) {
      stopping = true;
      signal();
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.allSettled([...lanes.values()]),
        new Promise((resolve) => {
          timer = setTimeout(resolve, timeoutMs);
        }),
      ]);
      clearTimeout(timer);
      await committer.flush();
      for (const { progress } of partitions.values()) progress.active = false;
    },
  };
}
