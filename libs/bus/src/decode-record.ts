import { eventContracts, type TopicName } from '@parley/contracts';
import { ParleyError } from '@parley/errors';
import type { KafkaMessage } from 'kafkajs';
import { z } from 'zod';
import { type CloudEventAttributes, readCloudEventHeaders } from './cloud-events.js';

/** A record no retry can fix: it goes to the dead-letter topic. */
export class PoisonEvent extends ParleyError {}

const lenientSchemas = new Map<TopicName, z.ZodType>();

// Producers are strict; consumers ignore fields they do not know yet, so that adding an optional
// field to a v1 event during a rolling deploy does not dead-letter it at older consumers.
function lenientSchemaOf(topic: TopicName): z.ZodType {
  let schema = lenientSchemas.get(topic);
  if (!schema) {
    const strict = eventContracts[topic].schema as z.ZodType;
    schema = strict instanceof z.ZodObject ? strict.strip() : strict;
    lenientSchemas.set(topic, schema);
  }
  return schema;
}

/**
 * Reads a consumed record as the event of its topic's contract: CloudEvents headers, the matching
 * `ce_type`, JSON, the schema. Throws PoisonEvent (`invalid_event`) naming the first problem.
 */
export function decodeRecord(
  base: TopicName,
  message: KafkaMessage,
): { event: unknown; cloudEvent: CloudEventAttributes } {
  const contract = eventContracts[base];
  const cloudEvent = readCloudEventHeaders(message.headers);
  if ('problem' in cloudEvent)
    throw new PoisonEvent('invalid_event', `not a CloudEvent: ${cloudEvent.problem}`);
  if (cloudEvent.type !== contract.type) {
    throw new PoisonEvent('invalid_event', `ce_type ${cloudEvent.type} does not belong on ${base}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(message.value?.toString('utf8') ?? '');
  } catch (error) {
    throw new PoisonEvent('invalid_event', 'value is not JSON', { cause: error });
  }
  const parsed = lenientSchemaOf(base).safeParse(value);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    throw new PoisonEvent('invalid_event', `event does not match ${contract.type}: ${issues.join('; ')}`);
  }
  return { event: parsed.data, cloudEvent };
}

/** The original record, unchanged, with what failed where in `dlq_*` headers. */
export function deadLetterRecord(
  message: KafkaMessage,
  failure: { topic: string; partition: number; groupId: string; error: ParleyError },
) {
  const { topic, partition, groupId, error } = failure;
  return {
    key: message.key,
    value: message.value,
    headers: {
      ...message.headers,
      dlq_error_code: error.code,
      dlq_error_message: error.message.slice(0, 1000),
      dlq_original_topic: topic,
      dlq_original_partition: String(partition),
      dlq_original_offset: message.offset,
      dlq_consumer_group: groupId,
      dlq_failed_at: new Date().toISOString(),
    },
  };
}
