import { DemoBrandError } from './errors.js';

/** A confidential client of the demo brand (Parley's, in the demo); it signs in with `client_secret_basic`. */
export interface DemoBrandClient {
  clientId: string;
  clientSecret: string;
  redirectUris: string[];
}

export interface DemoBrandOptions {
  /** Port to listen on; 0 picks a free one (the issuer then carries the bound port). */
  port: number;
  /** Interface to listen on and the issuer's host. Default 127.0.0.1. */
  host?: string;
  clients: DemoBrandClient[];
  /** Lifetime of access tokens. Default 300 (5 minutes), short so that refresh shows in the demo. */
  accessTokenTtlSeconds?: number;
}

export type ResolvedDemoBrandOptions = Readonly<Required<DemoBrandOptions>>;

/** Why `uri` cannot be a redirect URI (absolute http(s) URL without a fragment), or undefined if it can. */
export function redirectUriProblem(uri: string): string | undefined {
  const url = URL.parse(uri);
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) return 'is not an http(s) URL';
  if (url.hash) return 'must not have a #fragment';
  return undefined;
}

const isPort = (value: unknown) =>
  Number.isInteger(value) && (value as number) >= 0 && (value as number) <= 65535;
const isFilled = (value: unknown) => typeof value === 'string' && value.trim() !== '';

/** Applies the defaults and checks every option, throwing one `invalid_options` error listing all problems. */
export function resolveOptions(options: DemoBrandOptions): ResolvedDemoBrandOptions {
  const { port, host = '127.0.0.1', clients, accessTokenTtlSeconds = 300 } = options;
  const problems: string[] = [];
  if (!isPort(port)) problems.push(`port must be a whole number from 0 to 65535, got ${String(port)}`);
  if (!isFilled(host) || /[\s/]/.test(host))
    problems.push(`host must be a host name or address, got "${host}"`);
  if (!Number.isInteger(accessTokenTtlSeconds) || accessTokenTtlSeconds <= 0)
    problems.push(
      `accessTokenTtlSeconds must be a positive whole number, got ${String(accessTokenTtlSeconds)}`,
    );
  if (!Array.isArray(clients) || clients.length === 0) problems.push('clients must list at least one client');
  const seen = new Set<string>();
  for (const [index, client] of (Array.isArray(clients) ? clients : []).entries()) {
    const at = `clients[${index}]`;
    if (!isFilled(client.clientId)) problems.push(`${at}.clientId must not be empty`);
    else if (seen.has(client.clientId)) problems.push(`${at}.clientId "${client.clientId}" is listed twice`);
    seen.add(client.clientId);
    if (!isFilled(client.clientSecret)) problems.push(`${at}.clientSecret must not be empty`);
    if (!Array.isArray(client.redirectUris) || client.redirectUris.length === 0)
      problems.push(`${at}.redirectUris must list at least one URI`);
    for (const uri of client.redirectUris ?? []) {
      const problem = redirectUriProblem(uri);
      if (problem) problems.push(`${at}.redirectUris: "${uri}" ${problem}`);
    }
  }
  if (problems.length > 0)
    throw new DemoBrandError(
      'invalid_options',
      `invalid demo brand options:\n  - ${problems.join('\n  - ')}`,
    );
  return Object.freeze({ port, host, clients, accessTokenTtlSeconds });
}
