import type { channelSettingsRequest, SignInRequest, SyncPage } from '@parley/contracts';
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
    readonly source: string;
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
  /** Sends a frame to every connected device of a customer; returns how many. */
  broadcast(tenantId: string, customerKey: string, frame: object): number;
  /** Closes the streams of sessions that ended (4403); returns how many. */
  endSessions(ended: EndedSessions): number;
  size(): number;
}
