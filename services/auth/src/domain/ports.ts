import { ParleyError } from '@parley/errors';
import type {
  AuditEntry,
  Channel,
  Credentials,
  CustomerChannelAccess,
  RefusedCall,
  Session,
  SessionAccess,
  StoredCredentials,
} from './model.js';

/** Every repository method takes the tenant: an unscoped read cannot be written. */
export interface ChannelRepository {
  save(channel: Channel): Promise<void>;
  find(tenantId: string, channelId: string): Promise<Channel | null>;
}

/**
 * Brand tokens per customer and channel: channels may use different OAuth clients, and a refresh
 * token is bound to the client it was issued to (RFC 6749 §6).
 */
export interface CredentialRepository {
  find(tenantId: string, customerKey: string, channelId: string): Promise<StoredCredentials | null>;
  findAllOfCustomer(tenantId: string, customerKey: string): Promise<StoredCredentials[]>;
  /** Inserts or replaces the credentials of a new sign-in. */
  save(credentials: Credentials): Promise<void>;
  /**
   * Compare-and-set: replaces the stored credentials only while they are still at version
   * `credentials.version - 1`, never inserting (a refresh must not bring back credentials a logout
   * deleted, nor overwrite newer ones a later refresh or sign-in wrote). False, changing nothing,
   * when they are gone or have moved on to another version.
   */
  replace(credentials: Credentials): Promise<boolean>;
  delete(tenantId: string, customerKey: string, channelId: string): Promise<void>;
}

/**
 * Sessions past their expiry or their idle expiry are absent for every method; they are removed
 * later, in batches.
 */
export interface SessionRepository {
  /** `already_exists` when a session with this id exists in the tenant. */
  create(session: Session): Promise<void>;
  find(tenantId: string, sessionId: string): Promise<Session | null>;
  /**
   * Moves a live session's idle expiry forward to `idleExpiresAt`, writing only when that is at
   * least `minStepMs` past the stored one (or none is stored): not a write per message.
   */
  touch(tenantId: string, sessionId: string, idleExpiresAt: Date, minStepMs: number): Promise<void>;
  /** The channels of a customer's live sessions on a thread (a messaging thread may span several). */
  channelsOfThread(tenantId: string, customerKey: string, threadId: string): Promise<string[]>;
  delete(tenantId: string, sessionId: string): Promise<void>;
  /** Ends every session of a customer (in one channel, when given); returns how many. */
  deleteAllOfCustomer(tenantId: string, customerKey: string, channelId?: string): Promise<number>;
  countOfCustomer(tenantId: string, customerKey: string, channelId?: string): Promise<number>;
}

/**
 * Reads that span channels, credentials and sessions, each one store statement: what a message
 * costs auth (docs/architecture.md "A message's path").
 */
export interface AccessReads {
  /**
   * The customer's credentials on the channel, the channel, and whether the customer has a live
   * session on it (GetCustomerDataAccess).
   */
  customerChannel(tenantId: string, customerKey: string, channelId: string): Promise<CustomerChannelAccess>;
  /**
   * A live session (absent like `SessionRepository.find`) with its channel and the credentials of
   * its customer on that channel (AuthorizeSession); null when the session is not live.
   */
  session(tenantId: string, sessionId: string): Promise<SessionAccess | null>;
}

/** How a GetCustomerDataAccess call ended: its token handed out, or the error code it failed with. */
export type CustomerDataAccessOutcome =
  | 'issued'
  | 'not_found'
  | 'reauthentication_required'
  | 'auth_unavailable'
  | 'invalid_argument'
  | 'deadline_exceeded'
  | 'error';

/**
 * What auth counts instead of auditing one by one: the per-message customer data it fetched (`ok`
 * or the event's unavailable reason) and the deprecated GetCustomerDataAccess's token use
 * (docs/operations.md "Auth metrics"). Hand-outs to bots stay in the audit log.
 */
export interface AuthMetrics {
  customerDataAccess(outcome: CustomerDataAccessOutcome): void;
  customerData(outcome: string): void;
}

/** Who was handed a customer's brand access token, and why (append-only). */
export interface AuditLog {
  record(entry: AuditEntry): Promise<void>;
  /** A customer's entries, newest first (for an audit or a data-subject request). */
  listOfCustomer(tenantId: string, customerKey: string, limit?: number): Promise<AuditEntry[]>;
}

/**
 * gRPC calls refused for who made them, one record per kind, address and minute (kept 90 days).
 * Not a tenant's data: a refused caller's tenant is only its claim, so the log spans tenants and
 * operators read it as a whole.
 */
export interface RefusalLog {
  /**
   * Adds `refusals.count` calls to the record of their method, code, caller and peer in the window
   * (minute) of `firstSeen` (`refusalWindowOf`), creating it: counts add up, first and last seen widen, and
   * a record keeps the first tenant it was given. Several processes may add to one record.
   */
  record(refusals: RefusedCall): Promise<void>;
  /** The latest records, the most recently seen first. */
  listRecent(limit?: number): Promise<RefusedCall[]>;
}

/** The window (a minute) a refusal is counted in: repeats within it share one record. */
export function refusalWindowOf(at: Date): Date {
  return new Date(Math.floor(at.getTime() / 60_000) * 60_000);
}

/**
 * A short lease per set of credentials, shared by every auth process, so that one refresh runs
 * while concurrent messages wait for its result. Acquiring is one atomic step that cannot grant a
 * held lease twice; a lease runs out on the store's clock, so a crashed holder blocks no one for
 * longer than its `ttlMs`.
 */
export interface RefreshLocks {
  /**
   * True when `owner` now holds the lease on `key` (one set of credentials) for `ttlMs`: the key was
   * free or its lease had run out. False while another owner's lease runs.
   */
  tryAcquire(tenantId: string, key: string, owner: string, ttlMs: number): Promise<boolean>;
  /** Ends `owner`'s lease; a lease taken over by another owner since stays theirs. */
  release(tenantId: string, key: string, owner: string): Promise<void>;
}

/** The leases every RefreshLocks adapter grants: a millisecond to a day (the refresher's last seconds). */
export function checkLeaseTtl(ttlMs: number): void {
  if (!(Number.isFinite(ttlMs) && ttlMs > 0 && ttlMs <= 86_400_000)) {
    throw new ParleyError('invalid_argument', 'lock ttlMs must be a positive number of at most a day');
  }
}

/** Every store port of the auth service (what `createApp` takes as `stores`). */
export interface AuthRepositories {
  readonly channels: ChannelRepository;
  readonly credentials: CredentialRepository;
  readonly sessions: SessionRepository;
  readonly access: AccessReads;
  readonly audit: AuditLog;
  readonly refusals: RefusalLog;
  readonly refreshLocks: RefreshLocks;
}

/** Tokens from the brand's token endpoint. */
export interface TokenSet {
  readonly accessToken: string;
  readonly tokenType: string;
  readonly expiresInSeconds: number;
  readonly refreshToken?: string;
  readonly scope?: string;
  readonly idTokenIssuer?: string;
}

/** What the brand says of an access token. */
export type TokenVerdict = { readonly active: true; readonly subject: string } | { readonly active: false };

/** What the brand answered to `authenticateClient`: the status, its OAuth `error`, its clock. */
export interface ClientAuthenticationAnswer {
  readonly status: number;
  readonly error?: string;
  readonly serverDate?: Date;
}

/** Endpoints from the brand's OpenID discovery document (issuer already checked). */
export interface DiscoveredEndpoints {
  readonly token?: string;
  readonly introspection?: string;
  readonly jwks?: string;
  readonly revocation?: string;
  readonly authorization?: string;
}

/**
 * The brand's OAuth server as Parley uses it. Failures: `brand_unavailable` (did not answer),
 * `brand_error` (answered nonsense or refused Parley's client), `unauthenticated` (code refused),
 * `reauthentication_required` (refresh token refused: the grant is gone). `signal` is the caller's
 * (a gRPC handler's): once it fires no request starts and the one in flight is abandoned, with
 * `deadline_exceeded`. Token requests and revocation take none (see each).
 */
export interface BrandOAuth {
  /** The issuer's OpenID discovery document (or RFC 8414 metadata), fetched for `tenantId`. */
  discover(tenantId: string, issuer: string, signal?: AbortSignal): Promise<DiscoveredEndpoints>;
  /**
   * Whether the issuer's metadata says it sends `iss` with every authorization response
   * (`authorization_response_iss_parameter_supported`, RFC 9207 §3); false when it publishes no
   * metadata about itself. `brand_unavailable` when it does not answer.
   */
  sendsAuthorizationResponseIss(tenantId: string, issuer: string, signal?: AbortSignal): Promise<boolean>;
  /** Whether an endpoint answers at all (any HTTP status), with the brand's clock from `Date`. */
  probe(tenantId: string, url: string, signal?: AbortSignal): Promise<{ status: number; serverDate?: Date }>;
  /**
   * A request only an authenticated client gets past, for the self-test: at `token` a made-up
   * authorization code (`invalid_grant` for a good client), at `introspection` a made-up token
   * (`active: false` for a good client); a bad client gets `invalid_client` at either.
   */
  authenticateClient(
    channel: Channel,
    endpoint: 'token' | 'introspection',
    signal?: AbortSignal,
  ): Promise<ClientAuthenticationAnswer>;
  /** Takes no signal: tokens the brand granted must reach Parley, to be stored or revoked. */
  exchangeCode(
    channel: Channel,
    request: { code: string; redirectUri: string; codeVerifier?: string },
  ): Promise<TokenSet>;
  /** Takes no signal: a refresh once sent must end, so a rotated refresh token is stored (TokenRefresher). */
  refresh(channel: Channel, refreshToken: string): Promise<TokenSet>;
  validate(channel: Channel, accessToken: string, signal?: AbortSignal): Promise<TokenVerdict>;
  revoke(channel: Channel, token: string, hint: 'refresh_token' | 'access_token'): Promise<boolean>;
  /**
   * The customer's data with their token. `retries` (default: the brand client's one retry of a
   * GET) is 0 for a message's data, whose retries `customerDataOf` decides (no second timeout).
   */
  fetchCustomerData(
    channel: Channel,
    accessToken: string,
    signal?: AbortSignal,
    retries?: number,
  ): Promise<unknown>;
}

/**
 * Encrypts secrets at rest (JWE with a key id, so keys rotate), bound to a context (what the
 * secret belongs to) that it opens only with; `openRebinding` also opens a value sealed before
 * contexts, handing back the bound copy to store (libs/secrets).
 */
export interface SecretBox {
  seal(plaintext: string, context?: string): Promise<string>;
  open(sealed: string, context?: string): Promise<string>;
  openRebinding(sealed: string, context: string): Promise<{ plaintext: string; rebound?: string }>;
}

export interface SessionClaims {
  readonly sessionId: string;
  readonly tenantId: string;
  readonly channelId: string;
  readonly customerKey: string;
  readonly deviceId: string;
  readonly expiresAt: Date;
}

/** Parley session tokens (JWT signed by auth). */
export interface SessionTokens {
  issue(claims: SessionClaims): Promise<string>;
  /** Verifies signature and expiry; `unauthenticated` otherwise. */
  verify(token: string): Promise<SessionClaims>;
}

export interface Clock {
  now(): Date;
}
