import type { IncomingMessage, ServerResponse } from 'node:http';
import { HttpError, readJson, sendJson } from '../http/http-kit.js';
import type { MemoryStore } from '../oidc/memory-adapter.js';
import type { CrmRow } from '../pages/crm-page.js';
import type { CustomerChange, CustomerStore } from './customers.js';

const MAX_FIELD_LENGTH = 40;

function fieldText(name: string, value: unknown, { optional }: { optional: boolean }): string | null {
  if (optional && value === null) return null;
  if (typeof value !== 'string')
    throw new HttpError(400, 'invalid_request', `${name} must be a string${optional ? ' or null' : ''}`);
  const text = value.trim();
  if (text.length > MAX_FIELD_LENGTH)
    throw new HttpError(400, 'invalid_request', `${name} must be at most ${MAX_FIELD_LENGTH} characters`);
  if (text === '' && !optional) throw new HttpError(400, 'invalid_request', `${name} must not be empty`);
  return text === '' ? null : text;
}

/** `{ tier?, openCase? }` from a request body; an empty `openCase` means no open case. */
export function parseCustomerChange(body: unknown): CustomerChange {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw new HttpError(400, 'invalid_request', 'send an object with tier and/or openCase');
  const unknown = Object.keys(body).filter((key) => key !== 'tier' && key !== 'openCase');
  if (unknown.length > 0) throw new HttpError(400, 'invalid_request', `unknown field: ${unknown.join(', ')}`);
  const { tier, openCase } = body as Record<string, unknown>;
  if (tier === undefined && openCase === undefined)
    throw new HttpError(400, 'invalid_request', 'send tier and/or openCase');
  return {
    ...(tier === undefined ? {} : { tier: fieldText('tier', tier, { optional: false }) as string }),
    ...(openCase === undefined ? {} : { openCase: fieldText('openCase', openCase, { optional: true }) }),
  };
}

/** The CRM's JSON API under `/crm/api/customers`, used by the CRM page and by tests. */
export function createCrmApi({ customers, store }: { customers: CustomerStore; store: MemoryStore }) {
  const rowOf = (id: string): CrmRow => {
    const customer = customers.find(id);
    if (!customer) throw new HttpError(404, 'not_found', `there is no customer "${id}"`);
    return { ...customer, activeGrants: store.grantCount(id) };
  };

  const rows = (): CrmRow[] => customers.list().map(({ id }) => rowOf(id));

  return {
    rows,

    list(_request: IncomingMessage, response: ServerResponse) {
      sendJson(response, 200, rows());
    },

    async update(request: IncomingMessage, response: ServerResponse, id: string) {
      rowOf(id);
      customers.update(id, parseCustomerChange(await readJson(request)));
      sendJson(response, 200, rowOf(id));
    },

    async revoke(request: IncomingMessage, response: ServerResponse, id: string) {
      rowOf(id);
      await readJson(request);
      const revokedGrants = store.revokeAccount(id);
      sendJson(response, 200, { id, revokedGrants });
    },
  };
}
