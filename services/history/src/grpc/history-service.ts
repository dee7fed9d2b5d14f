import {
  fromStruct,
  type HistoryServiceDefinition,
  type MethodCallers,
  toStruct,
  type UnaryImplementation,
} from '@parley/grpc';
import type { History } from '../domain/history-use-cases.js';
import { type CustomerProfile, type FieldValue, threadMessageOf } from '../domain/model.js';

function profileOf(profile: CustomerProfile) {
  return {
    tenantId: profile.tenantId,
    customerKey: profile.customerKey,
    id: profile.id ?? '',
    name: profile.name ?? '',
    customFields: Object.entries(profile.fields).map(([name, field]) => ({
      name,
      value: toStruct({ value: field.value }).fields?.value ?? null,
      source: field.source,
      fetchedAt: field.source === 'oauth' ? field.at.toISOString() : '',
      updatedAt: field.at.toISOString(),
    })),
  };
}

/** Who may call each HistoryService method (docs/service-identity.md): ingress, the edge, only. */
export const historyServiceCallers: MethodCallers<HistoryServiceDefinition> = {
  Sync: ['ingress'],
  GetCustomer: ['ingress'],
  GetThread: ['ingress'],
  UpdateCustomerFields: ['ingress'],
};

/** gRPC HistoryService over the use cases: message mapping only. */
export function historyServiceHandlers(history: History): UnaryImplementation<HistoryServiceDefinition> {
  return {
    async Sync(request) {
      const page = await history.sync({
        tenantId: request.tenantId,
        customerKey: request.customerKey,
        threadId: request.threadId,
        afterSeq: request.afterSeq,
        limit: request.limit,
      });
      return {
        threadId: page.threadId,
        messages: page.messages.map((message) => ({
          ...threadMessageOf(message),
          threadId: message.threadId,
        })),
        lastSeq: page.lastSeq,
        hasMore: page.hasMore,
      };
    },
    async GetCustomer(request) {
      return profileOf(await history.getCustomer(request.tenantId, request.customerKey));
    },
    async GetThread(request) {
      return history.getThread(request.tenantId, request.threadId);
    },
    async UpdateCustomerFields(request) {
      const fields = fromStruct(request.fields) as Record<string, FieldValue>;
      return profileOf(await history.updateCustomerFields(request.tenantId, request.customerKey, fields));
    },
  };
}
