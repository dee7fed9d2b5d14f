import { channelSelfTestRequest, channelSettingsRequest, identifiers } from '@parley/contracts';
import type { FastifyInstance } from 'fastify';
import type { ApiKeyAccess } from '../domain/api-key-access.js';
import { getChannel, putChannel, testChannel } from '../domain/channels.js';
import { parse } from '../domain/input.js';
import type { AuthPort } from '../domain/ports.js';
import { requireApiKey } from './credentials.js';

export interface ChannelRouteDeps extends ApiKeyAccess {
  readonly auth: AuthPort;
}

/** Brand admins: a channel's authentication settings, and its self-test. */
export function registerChannelRoutes(app: FastifyInstance, deps: ChannelRouteDeps): void {
  app.put<{ Params: { channelId: string } }>('/v1/admin/channels/:channelId', async (request) => {
    const key = await requireApiKey(request, deps, 'admin');
    const id = parse(identifiers.channelId, request.params.channelId, 'channelId');
    return putChannel(deps, key, id, parse(channelSettingsRequest, request.body));
  });

  app.get<{ Params: { channelId: string } }>('/v1/admin/channels/:channelId', async (request) => {
    const key = await requireApiKey(request, deps, 'admin');
    return getChannel(deps, key, parse(identifiers.channelId, request.params.channelId, 'channelId'));
  });

  app.post<{ Params: { channelId: string } }>('/v1/admin/channels/:channelId/test', async (request) => {
    const key = await requireApiKey(request, deps, 'admin');
    const samples = parse(channelSelfTestRequest, request.body);
    return testChannel(
      deps,
      key,
      parse(identifiers.channelId, request.params.channelId, 'channelId'),
      samples,
    );
  });
}
