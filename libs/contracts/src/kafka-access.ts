import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { type TopicName, topicNames } from './registry.js';

const topic = z.enum(topicNames as [TopicName, ...TopicName[]]);

const principal = z
  .object({
    /** The SASL SCRAM user, `parley-<service>`. */
    user: z.string().regex(/^parley-[a-z][a-z-]*$/),
    produces: z.array(topic),
    /** A consumer also produces each consumed topic's `<topic>.dlq`. */
    consumes: z.array(topic),
    /** Consumer groups (before the deployment's KAFKA_TOPIC_PREFIX, as createEventConsumer does). */
    groups: z.array(z.object({ name: z.string().min(1), pattern: z.enum(['literal', 'prefixed']) }).strict()),
  })
  .strict();

const kafkaAccessSchema = z
  .object({ $comment: z.string().optional(), principals: z.record(z.string(), principal) })
  .strict();

export type KafkaAccess = z.output<typeof kafkaAccessSchema>;
export type KafkaPrincipal = KafkaAccess['principals'][string];

let loaded: KafkaAccess | undefined;

/**
 * Who may use which internal topic and group: libs/contracts/kafka-access.json, checked against the
 * event registry (docs/kafka.md). Read on first use, never by a running service: the operator's
 * tooling (ACLs, Strimzi KafkaUsers) and the tests need it, a service only its own credentials.
 *
 * @example
 * const { user, consumes } = loadKafkaAccess().principals.history;
 */
export function loadKafkaAccess(): KafkaAccess {
  loaded ??= Object.freeze(
    kafkaAccessSchema.parse(
      JSON.parse(readFileSync(new URL('../kafka-access.json', import.meta.url), 'utf8')),
    ),
  );
  return loaded;
}
