/** How Parley checks a brand access token on every message. */
export type ValidationSettings =
  | { readonly mode: 'introspection' }
  | {
      readonly mode: 'jwt';
      readonly issuer: string;
      readonly audiences: readonly string[];
      readonly algorithms: readonly string[];
      readonly clockToleranceSeconds: number;
      /** The brand issues RFC 9068 access tokens: their header `typ` must be `at+jwt`. */
      readonly requireAtJwtType?: boolean;
    };

/** A channel's authentication settings: the brand's OAuth server and how customers map to Parley. */
export interface Channel {
  readonly tenantId: string;
  readonly channelId: string;
  /** The brand's OAuth server identity (customer keys hash it; RFC 9207 `iss` must match it). */
  readonly issuer: string;
  /** Code exchanges without a PKCE verifier are refused unless the brand cannot do PKCE. */
  readonly allowWithoutPkce: boolean;
  readonly endpoints: {
    readonly token: string;
    readonly introspection?: string;
    readonly jwks?: string;
    readonly revocation?: string;
    readonly authorization?: string;
    readonly customerData: string;
  };
  readonly client: {
    readonly clientId: string;
    /** Plain text only in memory; encrypted at rest. */
    readonly clientSecret: string;
    readonly method: 'client_secret_basic' | 'client_secret_post';
  };
  readonly redirectUris: readonly string[];
  readonly validation: ValidationSettings;
  /** JSON paths into the customer-data response. */
  readonly mapping: {
    readonly customerId: string;
    readonly name?: string;
    readonly customFields: Readonly<Record<string, string>>;
  };
  readonly messagingMode: 'messaging' | 'live-chat';
  readonly updatedAt: Date;
}

/** The brand tokens of one customer of a tenant (one grant shared by their devices). */
export interface Credentials {
  readonly tenantId: string;
  readonly customerKey: string;
  readonly channelId: string;
  readonly subject: string;
  readonly accessToken: string;
  readonly accessTokenExpiresAt: Date;
  readonly refreshToken?: string;
  readonly scope?: string;
  /** Increases with every refresh; readers waiting for a refresh watch it change. */
  readonly version: number;
  readonly updatedAt: Date;
}

/**
 * Credentials as the store hands them out: the access token open, the refresh token still sealed
 * until it is used (a refresh, a revocation), so a read costs one decryption, not two.
 */
export type StoredCredentials = Omit<Credentials, 'refreshToken'> & {
  /** Present when the brand issued a refresh token: opens it (bound to these credentials). */
  readonly openRefreshToken?: () => Promise<string>;
};

/**
 * A channel read without opening its sealed client secret: `open` does, for a brand request that
 * authenticates the client (a refresh), so a read that needs only the settings decrypts nothing.
 */
export type UnopenedChannel = Omit<Channel, 'client'> & {
  readonly client: Omit<Channel['client'], 'clientSecret'>;
  open(): Promise<Channel>;
};

/** What one customer-data fetch needs of a channel, read in one store statement. */
export interface CustomerChannelAccess {
  /** The customer's credentials on the channel; null when they hold none. */
  readonly credentials: StoredCredentials | null;
  /** The channel, its client secret still sealed; null when it is no longer configured. */
  readonly channel: UnopenedChannel | null;
  /** Whether the customer has a live session on the channel. */
  readonly signedIn: boolean;
}

/** A live session with its channel and its credentials, read in one store statement. */
export interface SessionAccess {
  readonly session: Session;
  /** Null when the channel is no longer configured. */
  readonly channel: Channel | null;
  /** Null when the customer holds no credentials on the session's channel. */
  readonly credentials: StoredCredentials | null;
}

export interface Session {
  readonly sessionId: string;
  readonly tenantId: string;
  readonly channelId: string;
  readonly customerKey: string;
  readonly deviceId: string;
  readonly platform: string;
  readonly threadId: string;
  readonly createdAt: Date;
  readonly expiresAt: Date;
  /** Ends the session when it is not used before (SESSION_IDLE_TIMEOUT_SECONDS); absent: no idle limit. */
  readonly idleExpiresAt?: Date;
}

export interface AuditEntry {
  readonly tenantId: string;
  readonly customerKey: string;
  /**
   * Who was handed the token: the service its client certificate proves (kind `service`). Entries
   * written before service identity (migration 0002) hold the caller's unproven claim instead,
   * which could also be kind `bot`.
   */
  readonly caller: { readonly kind: 'service' | 'bot'; readonly id: string };
  /** The bot ingress handed the token to (ingress alone may ask for a bot). */
  readonly botId?: string;
  readonly reason: string;
  readonly action: 'access_token_issued';
  readonly at: Date;
}

/**
 * gRPC calls refused because of who made them (docs/service-identity.md), of one kind (method,
 * code, identity) from one address in one minute: repeats add to `count`, so the log grows with
 * the sources of refused calls, not with how fast they come.
 */
export interface RefusedCall {
  /** `/parley.auth.v1.AuthService/PutChannel`. */
  readonly method: string;
  readonly code: 'unauthenticated' | 'permission_denied';
  /** The service the caller's certificate proves; absent when it proves none. */
  readonly caller?: string;
  /** The address the calls came from, without the port (`*`: more sources than kept apart). */
  readonly peer: string;
  /** The tenant the first request that named one named: the refused caller's claim, kept for the investigation. */
  readonly tenantId?: string;
  readonly firstSeen: Date;
  readonly lastSeen: Date;
  readonly count: number;
}

/** What the brand's customer-data endpoint said, mapped by the channel's mapping. */
export interface CustomerProfile {
  readonly id: string;
  readonly name: string | null;
  readonly customFields: Readonly<Record<string, string | number | boolean | null>>;
}
