import { commonEnv, envSchemas, parseConfig } from '@parley/config';
import { createLogger } from '@parley/logger';
import { z } from 'zod';
import { startDemoWeb } from './web-server.js';

const config = parseConfig(
  z.object({
    ...commonEnv,
    DEMO_WEB_PORT: envSchemas.port.default(8088),
    PARLEY_INGRESS_URL: z.url(),
    DEMO_TENANT: z.string().min(1).default('demo'),
    DEMO_CHANNEL: z.string().min(1).default('web'),
    DEMO_BRAND_ISSUER: z.url(),
    DEMO_BRAND_CRM_URL: z.url(),
    DEMO_CLIENT_ID: z.string().min(1).default('parley-demo'),
  }),
  process.env,
);
const logger = createLogger({ service: 'demo-web', version: '0.1.0', level: config.LOG_LEVEL });
const web = await startDemoWeb({
  port: config.DEMO_WEB_PORT,
  host: config.BIND_HOST,
  ingressUrl: config.PARLEY_INGRESS_URL,
  tenantId: config.DEMO_TENANT,
  channelId: config.DEMO_CHANNEL,
  brandIssuer: config.DEMO_BRAND_ISSUER,
  brandCrmUrl: config.DEMO_BRAND_CRM_URL,
  clientId: config.DEMO_CLIENT_ID,
  logger,
});
logger.info({ url: web.url }, 'demo chat page listening');
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void web.stop().finally(() => process.exit(0));
  });
}
