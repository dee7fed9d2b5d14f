import type { Kafka } from 'kafkajs';

/** The deployed name of a base topic: `<prefix><base>`, e.g. `staging.chat.messages.received.v1`. */
export function topicNameFor(prefix: string, base: string): string {
  return `${prefix}${base}`;
}

export function dlqTopicFor(topic: string): string {
  return `${topic}.dlq`;
}

export interface EnsureTopicsOptions {
  readonly kafka: Kafka;
  readonly topics: readonly string[];
  readonly partitions?: number;
  readonly replicationFactor?: number;
  /** Also create `<topic>.dlq` for every topic. */
  readonly withDlq?: boolean;
}

/**
 * Creates the topics that do not exist yet and waits for their leaders. In production Strimzi
 * `KafkaTopic`s own the topics; this serves local runs and tests.
 */
export async function ensureTopics(options: EnsureTopicsOptions): Promise<void> {
  const { kafka, topics, partitions = 3, replicationFactor = 1, withDlq = true } = options;
  const admin = kafka.admin();
  await admin.connect();
  try {
    const wanted = withDlq ? topics.flatMap((topic) => [topic, dlqTopicFor(topic)]) : [...topics];
    const existing = new Set(await admin.listTopics());
    const missing = wanted.filter((topic) => !existing.has(topic));
    if (missing.length > 0) {
      await admin.createTopics({
        waitForLeaders: true,
        topics: missing.map((topic) => ({ topic, numPartitions: partitions, replicationFactor })),
      });
    }
  } finally {
    await admin.disconnect();
  }
}
