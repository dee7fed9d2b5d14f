import type {
  CustomerSnapshot,
  CustomFieldSource,
  channelSettingsRequest,
  MessageEnriched,
  SignInRequest,
  SyncPage,
  webhookCreateRequest,
  webhookUpdateRequest,
} from '@parley/contracts';
import type { z } from 'zod';

// What ingress's use cases need from the world, by what it does, in plain values (no wire types:
// adapters/grpc-ports.ts maps the gRPC messages, structs included). The adapters
// (adapters/grpc-ports.ts, adapters/rate-limiter.ts, adapters/connection-registry.ts) implement
// them; edge tests pass in-memory ones (http/edge.fixture.ts).

/** A customer session as auth verified it (with the brand) for one request. */
export interface AuthorizedSession {
  readonly tenantId: string;
  readonly channelId: string;
  readonly customerKey: string;
  readonly deviceId: string;
  readonly threadId: string;
  readonly sessionId: string;
}

/**
 * A session authorized for one message, with the customer's data that auth fetched beside the
 * introspection (the event's `customer` and `enrichment`); none from an auth of the previous
 * release, which does not fetch it (the message then goes to enrichment as received).
 */
export interface AuthorizedMessage extends AuthorizedSession {
  readonly customerData?: {
    readonly customer: CustomerSnapshot | null;
    readonly enrichment: MessageEnriched['enrichment'];
  };
}

/** A value of a custom field, as JSON carries it. */
export type FieldValue = string | number | boolean | null;

/** A session a customer signed in to with the brand's code. */
export interface SignedIn {
  readonly sessionToken: string;
  readonly expiresAt: string;
  readonly threadId: string;
  readonly customer?: {
    readonly customerKey: string;
    readonly id: string;
    readonly name: string;
    readonly customFields: Readonly<Record<string, FieldValue>>;
  };
}

/** The sessions a logout ended (one, or every device's of the customer). */
export interface EndedSession {
  readonly tenantId: string;
  readonly customerKey: string;
  readonly threadId: string;
  readonly deviceId: string;
  /** Empty when every session of the customer ended. */
  readonly sessionId: string;
  readonly sessionsEnded: number;
  readonly revokedAtBrand: boolean;
}

/** Who asks auth for a customer's brand token, and why (audited). */
export interface TokenRequest {
  readonly tenantId: string;
  readonly customerKey: string;
  readonly threadId: string;
  readonly channelId?: string;
  readonly caller: { readonly kind: string; readonly id: string; readonly reason: string };
}

export interface BrandAccessToken {
  readonly accessToken: string;
  readonly tokenType: string;
  readonly expiresAt: string;
}

export type ChannelSettings = z.output<typeof channelSettingsRequest>;

/** A channel's self-test, as auth ran it. */
export interface ChannelSelfTest {
  readonly ok: boolean;
  readonly checks: readonly {
    readonly name: string;
    readonly ok: boolean;
    readonly status: string;
    readonly detail: string;
  }[];
}

/** The auth service: sessions (checked with the brand), tokens for bots, channels. */
export interface AuthPort {
  /** Asks auth (and so the brand) whether a session token stands, for any customer request. */
  authorizeSession(sessionToken: string): Promise<AuthorizedSession>;
  /** `authorizeSession` for a message: the customer's data comes with it. */
  authorizeMessage(sessionToken: string): Promise<AuthorizedMessage>;
  exchangeCode(
    request: { readonly tenantId: string; readonly channelId: string } & SignInRequest,
  ): Promise<SignedIn>;
  revokeSession(request: {
    readonly sessionToken: string;
    readonly allDevices: boolean;
  }): Promise<EndedSession>;
  issueAccessToken(request: TokenRequest): Promise<BrandAccessToken>;
  /** Creates or replaces a channel; answers it as stored (secrets included: views pick their fields). */
  putChannel(
    channel: ChannelSettings & { readonly tenantId: string; readonly channelId: string },
  ): Promise<unknown>;
  getChannel(request: { readonly tenantId: string; readonly channelId: string }): Promise<unknown>;
  testChannel(request: {
    readonly tenantId: string;
    readonly channelId: string;
    readonly sampleCustomerDataJson?: string;
    readonly sampleAccessToken?: string;
  }): Promise<ChannelSelfTest>;
}

/** A customer as history keeps it: every field with where it comes from. */
export interface StoredCustomer {
  readonly customerKey: string;
  readonly id: string;
  readonly name: string;
  readonly customFields: readonly {
    readonly name: string;
    readonly value: FieldValue;
    readonly source: CustomFieldSource;
    /** Empty for fields agents set. */
    readonly fetchedAt: string;
    readonly updatedAt: string;
  }[];
}

/** The history service: threads, their messages, and customers. */
export interface HistoryPort {
  /** A page of a thread's messages after a seq, as clients see it. */
  sync(request: {
    readonly tenantId: string;
    readonly customerKey: string;
    readonly threadId: string;
    readonly afterSeq: number;
    readonly limit: number;
  }): Promise<SyncPage>;
  getThread(request: {
    readonly tenantId: string;
    readonly threadId: string;
  }): Promise<{ readonly customerKey: string }>;
  getCustomer(request: { readonly tenantId: string; readonly customerKey: string }): Promise<StoredCustomer>;
  updateCustomerFields(request: {
    readonly tenantId: string;
    readonly customerKey: string;
    readonly fields: Readonly<Record<string, FieldValue>>;
    readonly agentId: string;
  }): Promise<StoredCustomer>;
}

/** A webhook subscription as integrations keeps it (its secret never leaves integrations but once). */
export interface WebhookSubscription {
  readonly id: string;
  readonly url: string;
  readonly eventTypes: readonly string[];
  readonly description: string;
  readonly enabled: boolean;
  readonly status: string;
  /** Each of these is empty when it does not apply. */
  readonly pausedReason: string;
  readonly pausedAt: string;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly secretRotatedAt: string;
  readonly previousSecretExpiresAt: string;
}

/** One delivery of an event to a subscription, as integrations logged it. */
export interface WebhookDelivery {
  readonly id: string;
  readonly subscriptionId: string;
  readonly eventId: string;
  readonly eventType: string;
  /** Each of these is empty (0 for the status code) when it does not apply. */
  readonly threadId: string;
  readonly status: string;
  readonly attempts: number;
  readonly nextAttemptAt: string;
  readonly lastAttemptAt: string;
  readonly lastStatusCode: number;
  readonly lastError: string;
  readonly deliveredAt: string;
  readonly createdAt: string;
}

/** A subscription with its signing secret (on creation and rotation only). */
export interface WebhookWithSecret {
  readonly subscription: WebhookSubscription;
  readonly secret: string;
}

/** A page of a tenant's event log, after a cursor. */
export interface TenantEventsPage {
  readonly events: readonly { readonly cursor: string; readonly type: string; readonly body: string }[];
  /** Where the next read goes on from. */
  readonly cursor: string;
  /** The cursor read from is older than the log keeps. */
  readonly cursorExpired: boolean;
}

type Tenant = { readonly tenantId: string };
type Subscription = Tenant & { readonly id: string };

/** The integrations service: webhook subscriptions, their delivery log, the tenant event log. */
export interface IntegrationsPort {
  createSubscription(request: Tenant & z.output<typeof webhookCreateRequest>): Promise<WebhookWithSecret>;
  listSubscriptions(request: Tenant): Promise<readonly WebhookSubscription[]>;
  getSubscription(request: Subscription): Promise<WebhookSubscription>;
  /** Changes exactly the fields present in the request besides `tenantId` and `id`. */
  updateSubscription(
    request: Subscription & z.output<typeof webhookUpdateRequest>,
  ): Promise<WebhookSubscription>;
  /** False when there was no such subscription. */
  deleteSubscription(request: Subscription): Promise<boolean>;
  rotateSecret(request: Subscription & { readonly overlapSeconds: number }): Promise<WebhookWithSecret>;
  listDeliveries(
    request: Tenant & {
      readonly subscriptionId: string;
      readonly status?: string;
      readonly limit: number;
      readonly before?: string;
    },
  ): Promise<{ readonly deliveries: readonly WebhookDelivery[]; readonly nextCursor: string }>;
  redeliver(
    request: Tenant & { readonly subscriptionId: string; readonly deliveryId: string },
  ): Promise<WebhookDelivery>;
  /** A long poll: waits up to `waitMs` for events after `after`; `signal` cancels it. */
  readEvents(
    request: Tenant & {
      readonly after: string;
      readonly limit: number;
      readonly waitMs: number;
      readonly eventTypes: readonly string[];
    },
    options: { readonly deadlineMs: number; readonly signal: AbortSignal },
  ): Promise<TenantEventsPage>;
}

export interface RateLimiter {
  /** Takes one request for `key`; when refused, says after how many seconds to retry. */
  take(key: string): { allowed: true } | { allowed: false; retryAfterSeconds: number };
}

/** A live WebSocket of one device, as the registry sees it. */
export interface DeviceConnection {
  readonly sessionId: string;
  readonly deviceId: string;
  send(frame: object): void;
  close(code: number, reason: string): void;
}

/** Why a stream was not registered. */
export type ConnectionRefusal = 'session_limit' | 'customer_limit';

/** Whose sessions ended, as the session.ended event says (one session, one device, or every device). */
export interface EndedSessions {
  readonly tenantId: string;
  readonly customerKey: string;
  readonly allDevices: boolean;
  readonly sessionId?: string;
  readonly deviceId: string;
}

/** The devices connected to this pod (adapters/connection-registry.ts). */
export interface ConnectionRegistry {
  add(
    tenantId: string,
    customerKey: string,
    connection: DeviceConnection,
  ): { unregister: () => void } | { refused: ConnectionRefusal };
  /** Whether any device of a customer with this key (of any tenant) is connected here. */
  holdsCustomerKey(customerKey: string): boolean;
  /** Sends a frame to every connected device of a customer; returns how many. */
  broadcast(tenantId: string, customerKey: string, frame: object): number;
  /** Closes the streams of sessions that ended (4403); returns how many. */
  endSessions(ended: EndedSessions): number;
  size(): number;
}
