import type { Logger } from '@parley/logger';
import type { EachBatchPayload, KafkaMessage } from 'kafkajs';
import type { LagReporter } from './consumer-options.js';
import { processInKeyOrder } from './keyed-concurrency.js';
import type { OffsetCommitter } from './offset-committer.js';
import { type HandleRecord, StopRequested } from './record-handling.js';

/**
 * The batch mode of the consumer (the default): each fetched batch of a partition is handled
 * before the next, distinct keys of the batch concurrently (`keyConcurrency`), each key in offset
 * order. After the batch, the OffsetCommitter commits up to the first record not handled, in the
 * background, so the next fetch does not wait for it; a record failing its retries fails the batch
 * (kafkajs retries it, then the consumer restarts).
 */
export function createBatchRunner(options: {
  committer: OffsetCommitter;
  handle: HandleRecord;
  logger: Logger;
  groupId: string;
  keyConcurrency: number;
  onLag: LagReporter;
}): (payload: EachBatchPayload) => Promise<void> {
  const { committer, handle, logger, groupId, keyConcurrency, onLag } = options;
  return async function eachBatch(payload) {
    const { batch, resolveOffset, heartbeat, isRunning, isStale } = payload;
    const messages = batch.messages;
    // Set when a record fails for good, the consumer stops or the group rebalances: no new record
    // of this batch starts, so that little is handled again after the redelivery.
    let aborted = false;
    const shouldGoOn = async () => {
      if (aborted || !isRunning() || isStale()) return false;
      try {
        await heartbeat();
        return true;
      } catch (error) {
        logger.warn({ err: error, groupId }, 'heartbeat failed; finishing the batch early');
        aborted = true;
        return false;
      }
    };
    const { done, failures } = await processInKeyOrder(
      messages,
      (message) => message.key?.toString('base64') ?? `offset:${message.offset}`,
      async (message) => {
        // Leave the record unresolved so that the next owner of the partition gets it.
        if (aborted || !isRunning() || isStale()) throw new StopRequested('consumer stopping');
        try {
          await handle(batch.topic, batch.partition, message, shouldGoOn);
        } catch (error) {
          aborted = true;
          throw error;
        }
        await shouldGoOn();
      },
      keyConcurrency,
    );
    // Offsets are committed only up to the first record not handled, so nothing is skipped.
    const firstPending = done.indexOf(false);
    const lastHandled = firstPending === -1 ? messages.length - 1 : firstPending - 1;
    const first = messages[0];
    if (first) {
      if (lastHandled >= 0) resolveOffset((messages[lastHandled] as KafkaMessage).offset);
      const position =
        lastHandled >= 0 ? BigInt((messages[lastHandled] as KafkaMessage).offset) + 1n : BigInt(first.offset);
      onLag(batch.topic, batch.partition, BigInt(batch.highWatermark) - position);
      if (lastHandled >= 0) committer.mark(batch.topic, batch.partition, position);
    }
    const failure = failures.find(({ error }) => !(error instanceof StopRequested));
    if (failure) throw failure.error;
  };
}
