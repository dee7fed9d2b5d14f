import type { Logger } from '@parley/logger';
import type { Consumer, Kafka } from 'kafkajs';

export interface DemoBotOptions {
  readonly kafka: Kafka;
  /** Prefix of the topic names (KAFKA_TOPIC_PREFIX of the services). */
  readonly topicPrefix: string;
  /** Parley's ingress, e.g. http://127.0.0.1:8080. */
  readonly ingressUrl: string;
  /** A tenant API key with the `bot` scope. */
  readonly apiKey: string;
  /** The brand's customer-data endpoint, called with the customer's own token. */
  readonly customerDataUrl: string;
  readonly logger: Logger;
  readonly groupId?: string;
}

/** The parts of a `chat.messages.enriched.v1` event this bot reads (libs/contracts/json-schema). */
interface EnrichedMessage {
  readonly messageId: string;
  readonly tenantId: string;
  readonly threadId: string;
  readonly text: string;
  readonly customer: { id: string; name: string | null; customFields: Record<string, unknown> } | null;
  readonly enrichment: { status: 'ok' | 'unavailable' };
}

function isEnrichedMessage(value: unknown): value is EnrichedMessage {
  const event = value as Partial<EnrichedMessage> | null;
  return (
    typeof event?.messageId === 'string' &&
    typeof event.threadId === 'string' &&
    typeof event.text === 'string' &&
    typeof event.enrichment?.status === 'string'
  );
}

/**
 * What the bot answers: it greets the customer by name and uses the brand's custom fields that came
 * with this very message (tier), plus what the brand's own API says with the customer's token
 * (open case). Pure, so that it is tested without Kafka.
 */
export function composeReply(event: EnrichedMessage, fromBrand: { openCase?: unknown } | null): string {
  if (!event.customer || event.enrichment.status !== 'ok') {
    return 'Hi! I could not load your account details just now — an agent will be with you shortly.';
  }
  const name = event.customer.name?.split(' ')[0] ?? 'there';
  const tier = event.customer.customFields.tier;
  const parts = [
    typeof tier === 'string' && tier
      ? `Hi ${name}! As a ${tier} member you are in our priority queue.`
      : `Hi ${name}! Thanks for your message.`,
  ];
  const openCase = fromBrand?.openCase;
  if (typeof openCase === 'string' && openCase) parts.push(`I can see your open case ${openCase}.`);
  parts.push('An agent will be with you shortly.');
  return parts.join(' ');
}

async function call(url: string, init: RequestInit): Promise<Response> {
  const response = await fetch(url, { ...init, signal: AbortSignal.timeout(5000) });
  if (!response.ok && response.status !== 404) {
    const body = await response.text().catch(() => '');
    throw new Error(
      `${init.method ?? 'GET'} ${new URL(url).pathname} answered ${response.status}: ${body.slice(0, 200)}`,
    );
  }
  return response;
}

/**
 * The demo bot: subscribes to `chat.messages.enriched.v1` like any bot of a brand, fetches the
 * customer's brand token through Parley's bot API (audited), reads the brand's customer data with
 * it, and replies into the thread. A reply's clientMessageId is derived from the message, so a
 * redelivered event does not make a second reply.
 */
export function createDemoBot(options: DemoBotOptions) {
  const { kafka, topicPrefix, ingressUrl, apiKey, customerDataUrl, logger, groupId = 'demo-bot' } = options;
  const headers = { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' };
  const consumer: Consumer = kafka.consumer({ groupId });

  async function answer(event: EnrichedMessage) {
    let fromBrand: { openCase?: unknown } | null = null;
    if (event.enrichment.status === 'ok') {
      const token = await call(`${ingressUrl}/v1/bot/token`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ threadId: event.threadId, reason: 'demo bot: mention the open case' }),
      });
      if (token.ok) {
        const { accessToken } = (await token.json()) as { accessToken: string };
        const data = await fetch(customerDataUrl, {
          headers: { authorization: `Bearer ${accessToken}` },
          signal: AbortSignal.timeout(5000),
        });
        if (data.ok) {
          const claims = (await data.json()) as Record<string, unknown>;
          fromBrand = { openCase: claims.open_case };
        }
      }
    }
    const text = composeReply(event, fromBrand);
    await call(`${ingressUrl}/v1/threads/${encodeURIComponent(event.threadId)}/messages`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ clientMessageId: `reply-${event.messageId}`, text }),
    });
    logger.info({ threadId: event.threadId, messageId: event.messageId }, 'replied');
  }

  return {
    async start() {
      await consumer.connect();
      await consumer.subscribe({ topic: `${topicPrefix}chat.messages.enriched.v1`, fromBeginning: false });
      await consumer.run({
        eachMessage: async ({ message }) => {
          let event: unknown;
          try {
            event = JSON.parse(message.value?.toString('utf8') ?? '');
          } catch {
            event = undefined;
          }
          if (!isEnrichedMessage(event)) {
            logger.warn({ offset: message.offset }, 'skipping a record that is not an enriched message');
            return;
          }
          for (let attempt = 1; ; attempt += 1) {
            try {
              return await answer(event);
            } catch (error) {
              if (attempt >= 3) {
                logger.error({ err: error, messageId: event.messageId }, 'could not reply; giving up');
                return;
              }
              await new Promise((resolve) => setTimeout(resolve, 500 * attempt));
            }
          }
        },
      });
    },
    stop: () => consumer.disconnect(),
  };
}
