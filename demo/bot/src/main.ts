import { createKafkaClient } from '@parley/bus';
import { commonEnv, kafkaEnv, parseConfig } from '@parley/config';
import { createLogger } from '@parley/logger';
import { z } from 'zod';
import { createDemoBot } from './demo-bot.js';

const config = parseConfig(
  z.object({
    ...commonEnv,
    ...kafkaEnv,
    PARLEY_INGRESS_URL: z.url(),
    DEMO_BOT_API_KEY: z.string().min(10),
    DEMO_CUSTOMER_DATA_URL: z.url(),
  }),
  process.env,
);
const logger = createLogger({ service: 'demo-bot', version: '0.1.0', level: config.LOG_LEVEL });
const bot = createDemoBot({
  kafka: createKafkaClient({ brokers: config.KAFKA_BROKERS, clientId: 'demo-bot', logger }),
  topicPrefix: config.KAFKA_TOPIC_PREFIX,
  ingressUrl: config.PARLEY_INGRESS_URL,
  apiKey: config.DEMO_BOT_API_KEY,
  customerDataUrl: config.DEMO_CUSTOMER_DATA_URL,
  logger,
});
await bot.start();
logger.info('demo bot listening for enriched messages');
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void bot.stop().finally(() => process.exit(0));
  });
}
