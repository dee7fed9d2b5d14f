import { commonEnv, parseConfig } from '@parley/config';
import { createLogger } from '@parley/logger';
import { z } from 'zod';
import { createDemoBot, fileCursor } from './demo-bot.js';

const config = parseConfig(
  z.object({
    ...commonEnv,
    PARLEY_INGRESS_URL: z.url(),
    DEMO_BOT_API_KEY: z.string().min(10),
    DEMO_CUSTOMER_DATA_URL: z.url(),
    /** Keeps the bot's place in the event stream across restarts; in memory when unset. */
    DEMO_BOT_CURSOR_FILE: z.string().min(1).optional(),
  }),
  process.env,
);
const logger = createLogger({ service: 'demo-bot', version: '0.1.0', level: config.LOG_LEVEL });
const bot = createDemoBot({
  ingressUrl: config.PARLEY_INGRESS_URL,
  apiKey: config.DEMO_BOT_API_KEY,
  customerDataUrl: config.DEMO_CUSTOMER_DATA_URL,
  logger,
  ...(config.DEMO_BOT_CURSOR_FILE ? { cursor: fileCursor(config.DEMO_BOT_CURSOR_FILE) } : {}),
});
await bot.start();
logger.info('demo bot started: it answers enriched messages from the bot event stream');
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void bot.stop().finally(() => process.exit(0));
  });
}
