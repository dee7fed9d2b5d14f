// Kafka and store housekeeping of a run: how far behind the services are, and removing the run's
// topics and schemas afterwards.
import type { Kafka } from 'kafkajs';
import pg from 'pg';

/**
 * Records the services' consumer groups have not yet committed on this run's topics. Groups carry
 * the topic prefix; ingress's per-pod groups are `<prefix>ingress-pod-<INSTANCE_ID>-<random>`,
 * found by their own prefix (one per ingress pod, each reading every delivery: all are counted).
 */
export async function pipelineLag(
  kafka: Kafka,
  prefix: string,
  deliveriesGroupPrefix: string,
): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const { groups } = await admin.listGroups();
    const deliveriesGroups = groups
      .filter((group) => group.groupId.startsWith(deliveriesGroupPrefix))
      .map((group) => group.groupId);
    let lag = 0;
    for (const [groupId, topic] of [
      [`${prefix}enrichment`, 'chat.messages.received.v1'],
      [`${prefix}history`, 'chat.messages.enriched.v1'],
      ...(deliveriesGroups.length > 0 ? deliveriesGroups : [deliveriesGroupPrefix]).map(
        (group) => [group, 'chat.deliveries.v1'] as const,
      ),
    ] as const) {
      const name = `${prefix}${topic}`;
      const ends = await admin.fetchTopicOffsets(name);
      const [committed] = await admin.fetchOffsets({ groupId, topics: [name] });
      for (const end of ends) {
        const offset = Number(committed?.partitions.find((p) => p.partition === end.partition)?.offset ?? -1);
        lag += Math.max(0, Number(end.high) - (offset < 0 ? Number(end.low) : offset));
      }
    }
    return lag;
  } finally {
    await admin.disconnect();
  }
}

export async function deleteTopics(kafka: Kafka, prefix: string) {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const topics = (await admin.listTopics()).filter((topic) => topic.startsWith(prefix));
    if (topics.length) await admin.deleteTopics({ topics, timeout: 30_000 });
  } finally {
    await admin.disconnect();
  }
}

/** Drops the run's schemas and everything in them (`url`: a superuser's, of the Parley database). */
export async function dropSchemas(url: string, names: readonly string[]) {
  const client = new pg.Client({ connectionString: url, application_name: 'parley-bench' });
  client.on('error', () => {});
  await client.connect();
  try {
    for (const name of names) {
      if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name)) throw new Error(`not a schema name: ${name}`);
      await client.query(`drop schema if exists ${name} cascade`);
    }
  } finally {
    await client.end();
  }
}
