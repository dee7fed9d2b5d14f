import { isIP } from 'node:net';
import { isNonPublicAddress } from './address-guard.js';

/** Which brand URLs Parley may call for a tenant: the operator's allow-list over https-only rules. */
export interface HostPolicy {
  /** Whether `url`'s host is on the allow-list for `tenant` (plain http and non-public addresses). */
  allowListed(url: URL, tenant: string): boolean;
  /** Whether a host name is on the allow-list at all (for any tenant or port). */
  listed(hostname: string): boolean;
  /**
   * Why Parley may not call `url` for `tenant`, or undefined when it may. The address a name
   * resolves to is checked again when the client connects.
   */
  refusal(url: URL, tenant: string): string | undefined;
}

interface AllowListEntry {
  readonly hostname: string;
  /** Undefined: any port. */
  readonly port?: string;
  /** Undefined: every tenant (the operator's own hosts, such as a local demo brand). */
  readonly tenant?: string;
}

const entryPattern = /^(\[[0-9a-f:.]+\]|[^\s:@[\]/]+)(?::(\d{1,5}))?(?:@(.+))?$/i;

function parseEntry(entry: string): AllowListEntry {
  const match = entryPattern.exec(entry.trim());
  if (!match) {
    throw new RangeError(
      `allow-list entry "${entry}" is not host, host:port, host@tenant or host:port@tenant`,
    );
  }
  const [, hostname = '', port, tenant] = match;
  return {
    hostname: hostname.toLowerCase(),
    ...(port ? { port: String(Number(port)) } : {}),
    ...(tenant ? { tenant } : {}),
  };
}

const defaultPort = (url: URL) => url.port || (url.protocol === 'https:' ? '443' : '80');

/**
 * The operator's allow-list of brand hosts that may be called over plain http and on non-public
 * addresses (on-premises brands, the local demo, tests); every other URL must be https on a public
 * address. An entry is `host` or `host:port`, for every tenant, or `host@tenant` /
 * `host:port@tenant`, for that tenant only, so one tenant cannot reach a host the operator allowed
 * for another. Host names match case-insensitively, tenant ids exactly.
 *
 * @example
 * const policy = createHostPolicy(['localhost', 'crm.internal:8443@acme']);
 * policy.refusal(new URL('http://crm.internal:8443/me'), 'globex'); // 'only https is allowed'
 */
export function createHostPolicy(allowHosts: readonly string[]): HostPolicy {
  const entries = allowHosts.filter((entry) => entry.trim() !== '').map(parseEntry);
  const allowListed = (url: URL, tenant: string) => {
    const hostname = url.hostname.toLowerCase();
    return entries.some(
      (entry) =>
        entry.hostname === hostname &&
        (entry.port === undefined || entry.port === defaultPort(url)) &&
        (entry.tenant === undefined || entry.tenant === tenant),
    );
  };
  return {
    allowListed,
    listed: (hostname) => entries.some((entry) => entry.hostname === hostname.toLowerCase()),
    refusal(url, tenant) {
      const listed = allowListed(url, tenant);
      if (url.protocol !== 'https:' && !(url.protocol === 'http:' && listed))
        return listed ? 'only http and https are supported' : 'only https is allowed';
      if (url.username || url.password) return 'credentials in URLs are not allowed';
      const literal = url.hostname.replace(/^\[|\]$/g, '');
      if (!listed && isIP(literal) && isNonPublicAddress(literal))
        return `${literal} is not a public address`;
      return undefined;
    },
  };
}
