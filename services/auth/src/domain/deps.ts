import type {
  AuditLog,
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
  readonly audit: AuditLog;
  readonly brand: BrandOAuth;
  readonly refresher: TokenRefresher;
  readonly sessionTokens: SessionTokens;
  readonly clock: Clock;
  /** Whether Parley may call a URL (https, or an allow-listed host). */
  readonly brandUrl: (url: URL) => boolean;
  readonly sessionTtlSeconds: number;
}
