import type { EventProducer } from '@parley/bus';
import { botTokenRequest, identifiers, sendMessageRequest } from '@parley/contracts';
import type { FastifyInstance } from 'fastify';
import type { ApiKeyAccess } from '../domain/api-key-access.js';
import { issueBotToken, replyAsBot } from '../domain/bot-replies.js';
import { parse } from '../domain/input.js';
import type { AuthPort, HistoryPort } from '../domain/ports.js';
import { requireApiKey } from './credentials.js';

export interface BotRouteDeps extends ApiKeyAccess {
  readonly auth: AuthPort;
  readonly history: HistoryPort;
  readonly producer: EventProducer;
}

/** Bots (an API key with the bot scope): a customer's brand token, and replies in threads. */
export function registerBotRoutes(app: FastifyInstance, deps: BotRouteDeps): void {
  app.post('/v1/bot/token', async (request) => {
    const key = await requireApiKey(request, deps, 'bot');
    return issueBotToken(deps, key, parse(botTokenRequest, request.body));
  });

  app.post<{ Params: { threadId: string } }>('/v1/threads/:threadId/messages', async (request, reply) => {
    const key = await requireApiKey(request, deps, 'bot');
    const threadId = parse(identifiers.derivedId, request.params.threadId, 'threadId');
    const body = parse(sendMessageRequest, request.body);
    return reply.status(202).send(await replyAsBot(deps, key, threadId, body));
  });
}
