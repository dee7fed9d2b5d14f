import { createEventProducer, createKafkaClient, producerComponent } from '@parley/bus';
import type { Logger } from '@parley/logger';
import { composeService, createMetricsRegistry } from '@parley/ops';
import type { IngressConfig } from './config.js';

export interface IngressDeps {
  readonly config: IngressConfig;
  readonly logger: Logger;
  readonly version: string;
}

/** The ingress service: its Kafka producer for now; the HTTP and WebSocket API arrives with the ingress issue. */
export function createApp({ config, logger, version }: IngressDeps) {
  const registry = createMetricsRegistry({ service: 'ingress', version });
  const kafka = createKafkaClient({ brokers: config.KAFKA_BROKERS, clientId: 'parley-ingress', logger });
  const producer = createEventProducer({
    kafka,
    source: 'parley/ingress',
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
