import type { Message, TopicMessages } from 'kafkajs';

/** What one produce request may carry at most; Kafka's default limit per partition batch is 1 MiB. */
export const sendBatchLimits = { maxRecords: 500, maxBytes: 512 * 1024 } as const;

interface Pending {
  readonly topic: string;
  readonly messages: Message[];
  readonly bytes: number;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

function sizeOf(messages: readonly Message[]): number {
  let bytes = 0;
  for (const message of messages) {
    bytes +=
      typeof message.value === 'string' ? Buffer.byteLength(message.value) : (message.value?.length ?? 0);
    bytes += typeof message.key === 'string' ? Buffer.byteLength(message.key) : (message.key?.length ?? 0);
  }
  return bytes;
}

/**
 * Groups the records of concurrent sends into one produce request, without waiting for more to
 * come (no linger): a send goes out in the same turn of the event loop as the others made in it,
 * and while `maxInFlight` requests are out, new sends queue and leave together as soon as one
 * answers. At a trickle every record goes alone, as fast as before; under load one request carries
 * many (docs/kafka.md, "Producing"). Each send resolves when its request is acknowledged and fails
 * with its request's error; order is kept (requests leave in the order their sends were made).
 *
 * @example
 * const batcher = createSendBatcher((topicMessages) => producer.sendBatch({ topicMessages, acks: -1 }));
 * await batcher.send('chat.messages.received.v1', [{ key, value }]);
 */
export function createSendBatcher(
  sendBatch: (topicMessages: TopicMessages[]) => Promise<unknown>,
  options: { maxInFlight?: number; maxRecords?: number; maxBytes?: number } = {},
) {
  const {
    maxInFlight = 2,
    maxRecords = sendBatchLimits.maxRecords,
    maxBytes = sendBatchLimits.maxBytes,
  } = options;
  const queue: Pending[] = [];
  let inFlight = 0;
  let scheduled = false;

  /** The sends at the head of the queue that fit one request (at least one, however big). */
  function takeBatch(): Pending[] {
    const batch: Pending[] = [];
    let records = 0;
    let bytes = 0;
    while (queue.length > 0) {
      const next = queue[0] as Pending;
      const fits = records + next.messages.length <= maxRecords && bytes + next.bytes <= maxBytes;
      if (batch.length > 0 && !fits) break;
      batch.push(next);
      queue.shift();
      records += next.messages.length;
      bytes += next.bytes;
    }
    return batch;
  }

  function flush(): void {
    scheduled = false;
    while (queue.length > 0 && inFlight < maxInFlight) {
      const batch = takeBatch();
      const byTopic = new Map<string, Message[]>();
      for (const { topic, messages } of batch) {
        const list = byTopic.get(topic);
        if (list) list.push(...messages);
        else byTopic.set(topic, [...messages]);
      }
      inFlight += 1;
      sendBatch([...byTopic].map(([topic, messages]) => ({ topic, messages })))
        .then(
          () => {
            for (const pending of batch) pending.resolve();
          },
          (error: unknown) => {
            for (const pending of batch) pending.reject(error);
          },
        )
        .finally(() => {
          inFlight -= 1;
          flush();
        });
    }
  }

  return {
    send(topic: string, messages: Message[]): Promise<void> {
      return new Promise<void>((resolve, reject) => {
        queue.push({ topic, messages, bytes: sizeOf(messages), resolve, reject });
        if (!scheduled && inFlight < maxInFlight) {
          scheduled = true;
          setImmediate(flush);
        }
      });
    },
  };
}
