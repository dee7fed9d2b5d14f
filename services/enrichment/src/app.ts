import { createEventProducer, createKafkaClient, producerComponent } from '@parley/bus';
import type { Logger } from '@parley/logger';
import { composeService, createMetricsRegistry } from '@parley/ops';
import type { EnrichmentConfig } from './config.js';

export interface EnrichmentDeps {
  readonly config: EnrichmentConfig;
  readonly logger: Logger;
  readonly version: string;
}

/** The enrichment service: its Kafka producer for now; the consumer of received messages arrives with the enrichment issue. */
export function createApp({ config, logger, version }: EnrichmentDeps) {
  const registry = createMetricsRegistry({ service: 'enrichment', version });
  const kafka = createKafkaClient({ brokers: config.KAFKA_BROKERS, clientId: 'parley-enrichment', logger });
  const producer = createEventProducer({
    kafka,
    source: 'parley/enrichment',
    topicPrefix: config.KAFKA_TOPIC_PREFIX,
    logger,
  });
  return composeService({
    logger,
    registry,
    opsPort: config.OPS_PORT,
    bindHost: config.BIND_HOST,
    components: [producerComponent(producer)],
  });
}
