import type { IssuerEndpointException } from './issuer-endpoints.js';
import type {
  AccessReads,
  AuditLog,
  AuthMetrics,
  BrandOAuth,
  ChannelRepository,
  Clock,
  CredentialRepository,
  SessionRepository,
  SessionTokens,
} from './ports.js';
import type { TokenRefresher } from './token-refresher.js';

/** What the auth use cases need, as ports: no driver, transport or HTTP client in the domain. */
export interface AuthDomainDeps {
  readonly channels: ChannelRepository;
  readonly credentials: CredentialRepository;
  readonly sessions: SessionRepository;
  readonly access: AccessReads;
  readonly audit: AuditLog;
  readonly metrics: AuthMetrics;
  readonly brand: BrandOAuth;
  readonly refresher: TokenRefresher;
  readonly sessionTokens: SessionTokens;
  readonly clock: Clock;
  /** Whether Parley may call a URL for a tenant (https, or a host allow-listed for the tenant). */
  readonly brandUrl: (url: URL, tenantId: string) => boolean;
  /** Origins the operator allowed for issuers' endpoints (`BRAND_ISSUER_ENDPOINT_EXCEPTIONS`). */
  readonly issuerEndpointExceptions: readonly IssuerEndpointException[];
  readonly sessionTtlSeconds: number;
  /** A session unused this long ends (0: no idle limit). */
  readonly sessionIdleTimeoutSeconds: number;
  /** Attempts at a message's customer data (quick failures only: `customerDataOf`). */
  readonly customerDataAttempts: number;
}
