import { describe, expect, it } from 'vitest';
import { integrationsPort } from './grpc-ports.js';

// The integrations adapter's mapping of plain requests to the gRPC ones.
describe('the integrations port over gRPC', () => {
  const requests: { method: string; request: unknown }[] = [];
  const answering = (method: string, answer: unknown) => async (request: unknown) => {
    requests.push({ method, request });
    return answer;
  };
  const port = integrationsPort({
    call: {
      UpdateSubscription: answering('UpdateSubscription', { id: 'wh-1' }),
      ListDeliveries: answering('ListDeliveries', { deliveries: [], nextCursor: '' }),
      DeleteSubscription: answering('DeleteSubscription', { deleted: false }),
    },
  } as never);

  it('changes the fields sent, named in the field mask in snake case', async () => {
    requests.length = 0;
    await port.updateSubscription({
      tenantId: 'acme',
      id: 'wh-1',
      enabled: true,
      eventTypes: ['customer.updated'],
    });
    expect(requests).toEqual([
      {
        method: 'UpdateSubscription',
        request: {
          tenantId: 'acme',
          id: 'wh-1',
          fields: ['enabled', 'event_types'],
          enabled: true,
          eventTypes: ['customer.updated'],
        },
      },
    ]);
  });

  it('sends an absent delivery filter or cursor as empty, and answers a delete as a boolean', async () => {
    requests.length = 0;
    await port.listDeliveries({ tenantId: 'acme', subscriptionId: 'wh-1', limit: 50 });
    expect(requests[0]?.request).toEqual({
      tenantId: 'acme',
      subscriptionId: 'wh-1',
      limit: 50,
      status: '',
      before: '',
    });
    expect(await port.deleteSubscription({ tenantId: 'acme', id: 'wh-2' })).toBe(false);
  });
});
