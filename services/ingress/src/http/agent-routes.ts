import { customerFieldsRequest, identifiers } from '@parley/contracts';
import type { FastifyInstance } from 'fastify';
import type { ApiKeyAccess } from '../domain/api-key-access.js';
import { customerForAgent, editAgentFields } from '../domain/customers.js';
import { parse } from '../domain/input.js';
import type { HistoryPort } from '../domain/ports.js';
import { requireApiKey } from './credentials.js';

export interface AgentRouteDeps extends ApiKeyAccess {
  readonly history: HistoryPort;
}

/** Agents (an API key with the agent scope): customers and the fields agents keep on them. */
export function registerAgentRoutes(app: FastifyInstance, deps: AgentRouteDeps): void {
  app.get<{ Params: { customerKey: string } }>('/v1/customers/:customerKey', async (request) => {
    const key = await requireApiKey(request, deps, 'agent');
    return customerForAgent(
      deps,
      key,
      parse(identifiers.derivedId, request.params.customerKey, 'customerKey'),
    );
  });

  app.patch<{ Params: { customerKey: string } }>('/v1/customers/:customerKey/fields', async (request) => {
    const key = await requireApiKey(request, deps, 'agent');
    const customerKey = parse(identifiers.derivedId, request.params.customerKey, 'customerKey');
    const fields = parse(customerFieldsRequest, request.body);
    return editAgentFields(deps, key, customerKey, fields);
  });
}
