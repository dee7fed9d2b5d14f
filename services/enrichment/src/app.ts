import { createBrandHttpClient } from '@parley/brand-http';
import { consumerComponent, createServiceBus, producerComponent } from '@parley/bus';
import type { CustomerSnapshot } from '@parley/contracts';
import { mappingDefaults } from '@parley/customer-mapping';
import { BrandFailure } from '@parley/errors';
import { clientComponent, createServiceClient, loadGrpcTls, loadParleyProtos } from '@parley/grpc';
import type { Logger } from '@parley/logger';
import { composeService, createMetricsRegistry, stopProcessOnFatalCrash } from '@parley/ops';
import { createLastSeen } from './adapters/last-seen.js';
import type { EnrichmentConfig } from './config.js';
import { createChangesConsumer } from './consumers/changes.consumer.js';
import { createReceivedConsumer } from './consumers/received.consumer.js';
import { createChangeAnnouncer, createEnricher } from './domain/enrich-message.js';

export interface EnrichmentDeps {
  readonly config: EnrichmentConfig;
  readonly logger: Logger;
  readonly version: string;
}

/**
 * The enrichment service: announces what the brand changed about a customer (from every enriched
 * message), and for one release drains the received messages of previous ingress pods.
 */
export function createApp({ config, logger, version }: EnrichmentDeps) {
  const registry = createMetricsRegistry({ service: 'enrichment', version });
  const { kafka, producer } = createServiceBus(config, 'enrichment', logger);
  const auth = createServiceClient(loadParleyProtos().auth.AuthService.service, config.AUTH_GRPC_ADDRESS, {
    tls: loadGrpcTls(config, 'enrichment'),
    server: 'auth',
    deadlineMs: config.AUTH_DEADLINE_MS,
  });
  // Latency, errors and an open circuit are measured per brand host by the brand client.
  const brandHttp = createBrandHttpClient({
    logger,
    registry,
    allowHosts: config.BRAND_HOST_ALLOW_LIST,
    timeoutMs: config.BRAND_HTTP_TIMEOUT_MS,
    maxConcurrentPerHost: config.BRAND_MAX_CONCURRENCY_PER_HOST,
  });

  const enrich = createEnricher({
    async customerDataAccess(message) {
      const access = await auth.call.GetCustomerDataAccess(message);
      return {
        customerDataUrl: access.customerDataUrl,
        mapping: {
          customerId: access.mapping?.customerId || mappingDefaults.customerId,
          ...(access.mapping?.name ? { name: access.mapping.name } : {}),
          customFields: access.mapping?.customFields ?? {},
        },
        accessToken: access.accessToken,
      };
    },
    async fetchCustomerData(tenantId, url, accessToken) {
      const response = await brandHttp.request(url, {
        tenant: tenantId,
        headers: { authorization: `Bearer ${accessToken}` },
      });
      if (response.status >= 500)
        throw new BrandFailure('server_error', `customer data answered ${response.status}`, {
          host: new URL(url).host,
        });
      if (response.status !== 200)
        throw new BrandFailure('invalid_response', `customer data answered ${response.status}`, {
          host: new URL(url).host,
        });
      return response.json();
    },
    publishEnriched: (event) => producer.publish('chat.messages.enriched.v1', event, { id: event.messageId }),
    now: () => new Date(),
    maxAttempts: config.ENRICHMENT_MAX_ATTEMPTS,
  });
  const consumer = createReceivedConsumer({
    kafka,
    topicPrefix: config.KAFKA_TOPIC_PREFIX,
    enrich,
    dlqProducer: producer,
    logger,
    registry,
    pipelineDepth: config.ENRICHMENT_PIPELINE_DEPTH,
    onCrash: stopProcessOnFatalCrash,
  });
  const changes = createChangesConsumer({
    kafka,
    topicPrefix: config.KAFKA_TOPIC_PREFIX,
    announceChanges: createChangeAnnouncer({
      publishCustomerUpdated: (event) => producer.publish('chat.customers.updated.v1', event),
      lastSeen: createLastSeen<CustomerSnapshot>(),
    }),
    dlqProducer: producer,
    logger,
    registry,
    onCrash: stopProcessOnFatalCrash,
  });
  return composeService({
    logger,
    registry,
    opsPort: config.OPS_PORT,
    bindHost: config.BIND_HOST,
    components: [
      producerComponent(producer),
      clientComponent('auth', auth, logger),
      consumerComponent(consumer),
      consumerComponent(changes, 'changes-consumer'),
    ],
  });
}
