import { messageEnriched, type SyncPage, syncPage as syncPageView } from '@parley/contracts';
import {
  type AuthServiceDefinition,
  fromStruct,
  type HistoryServiceDefinition,
  type IntegrationsServiceDefinition,
  type ServiceClient,
  toStruct,
  withoutUnsetFields,
} from '@parley/grpc';
import type {
  AuthPort,
  HistoryPort,
  IntegrationsPort,
  StoredCustomer,
  WebhookSubscription,
} from '../domain/ports.js';

type HistoryCalls = ServiceClient<HistoryServiceDefinition>['call'];
type SyncAnswer = Awaited<ReturnType<HistoryCalls['Sync']>>;
type CustomerAnswer = Awaited<ReturnType<HistoryCalls['GetCustomer']>>;

/**
 * A page of history as clients see it (one view for HTTP and the stream: `@parley/contracts`).
 * History answers with that view's fields, so the contract's schema reads it as it stands.
 */
export function syncPage(page: SyncAnswer): SyncPage {
  return syncPageView.parse(withoutUnsetFields(page));
}

/** A customer as history answered it, its fields' values out of their protobuf `Value`. */
function storedCustomer(profile: CustomerAnswer): StoredCustomer {
  return {
    customerKey: profile.customerKey,
    id: profile.id,
    name: profile.name,
    customFields: profile.customFields.map((field) => ({
      name: field.name,
      value: fromStruct({ fields: field.value ? { value: field.value } : {} }).value ?? null,
      // History keeps only these two (its model); the profile schema names them.
      source: field.source as StoredCustomer['customFields'][number]['source'],
      fetchedAt: field.fetchedAt,
      updatedAt: field.updatedAt,
    })),
  };
}

/** The event's customer data as auth sends it beside a message's authorization (auth.proto). */
const customerDataView = messageEnriched.pick({ customer: true, enrichment: true });

/** The auth port over the auth service's gRPC client. */
export function authPort(client: ServiceClient<AuthServiceDefinition>): AuthPort {
  const { call } = client;
  return {
    // The proto's AuthorizeSession authorizes a session for any customer request, not only messages.
    async authorizeSession(sessionToken) {
      const { customerDataJson: _, ...session } = await call.AuthorizeSession({ sessionToken });
      return session;
    },
    async authorizeMessage(sessionToken) {
      const { customerDataJson, ...session } = await call.AuthorizeSession({
        sessionToken,
        withCustomerData: true,
      });
      return customerDataJson
        ? { ...session, customerData: customerDataView.parse(JSON.parse(customerDataJson)) }
        : session;
    },
    async exchangeCode(request) {
      const { customer, ...session } = await call.ExchangeCode(request);
      return {
        ...session,
        ...(customer ? { customer: { ...customer, customFields: fromStruct(customer.customFields) } } : {}),
      };
    },
    revokeSession: (request) => call.RevokeSession(request),
    issueAccessToken: (request) => call.GetAccessToken(request),
    putChannel: (channel) => call.PutChannel({ channel }),
    getChannel: (request) => call.GetChannel(request),
    testChannel: (request) => call.TestChannel(request),
  };
}

/** The history port over the history service's gRPC client. */
export function historyPort(client: ServiceClient<HistoryServiceDefinition>): HistoryPort {
  const { call } = client;
  return {
    sync: async (request) => syncPage(await call.Sync(request)),
    getThread: (request) => call.GetThread(request),
    getCustomer: async (request) => storedCustomer(await call.GetCustomer(request)),
    updateCustomerFields: async ({ fields, ...request }) =>
      storedCustomer(await call.UpdateCustomerFields({ ...request, fields: toStruct(fields) })),
  };
}

/** The integrations port over the integrations service's gRPC client. */
export function integrationsPort(client: ServiceClient<IntegrationsServiceDefinition>): IntegrationsPort {
  const { call } = client;
  // Answered with the subscription unless the call failed (which throws).
  const withSecret = (answer: { subscription: WebhookSubscription | null; secret: string }) => ({
    subscription: answer.subscription as WebhookSubscription,
    secret: answer.secret,
  });
  return {
    createSubscription: async (request) => withSecret(await call.CreateSubscription(request)),
    listSubscriptions: async (request) => (await call.ListSubscriptions(request)).subscriptions,
    getSubscription: (request) => call.GetSubscription(request),
    updateSubscription: ({ tenantId, id, ...changes }) =>
      call.UpdateSubscription({
        ...changes,
        tenantId,
        id,
        // The proto's field mask names the fields in snake case.
        fields: Object.keys(changes).map((field) => (field === 'eventTypes' ? 'event_types' : field)),
      }),
    deleteSubscription: async (request) => (await call.DeleteSubscription(request)).deleted,
    rotateSecret: async (request) => withSecret(await call.RotateSecret(request)),
    listDeliveries: ({ status, before, ...request }) =>
      call.ListDeliveries({ ...request, status: status ?? '', before: before ?? '' }),
    redeliver: (request) => call.Redeliver(request),
    readEvents: ({ eventTypes, ...request }, options) =>
      call.ReadEvents({ ...request, eventTypes: [...eventTypes] }, options),
  };
}
