import { DemoBrandError } from './errors.js';
import { type ResolvedDemoBrandOptions, redirectUriProblem, resolveOptions } from './options.js';

type Env = Readonly<Record<string, string | undefined>>;

/**
 * The demo brand's options from the environment, validated once at start. Every bad variable is
 * named in one `invalid_config` error, so a person fixes them all in one go.
 *
 * @example
 * const options = loadDemoBrandConfig({ DEMO_CLIENT_SECRET: 's3cret', DEMO_REDIRECT_URIS: 'http://127.0.0.1:8080/cb' });
 */
export function loadDemoBrandConfig(env: Env = process.env): ResolvedDemoBrandOptions {
  const problems: string[] = [];
  const text = (name: string) => {
    const value = env[name]?.trim();
    return value === '' ? undefined : value;
  };

  const portText = text('DEMO_BRAND_PORT') ?? '4000';
  const port = /^\d{1,5}$/.test(portText) ? Number(portText) : Number.NaN;
  if (!(port >= 0 && port <= 65535))
    problems.push(`DEMO_BRAND_PORT must be a port number from 0 to 65535, got "${portText}"`);

  const host = text('DEMO_BRAND_HOST') ?? '127.0.0.1';
  if (/[\s/]/.test(host)) problems.push(`DEMO_BRAND_HOST must be a host name or address, got "${host}"`);

  const clientId = text('DEMO_CLIENT_ID') ?? 'parley-demo';
  if (!/^[\x21-\x7e]+$/.test(clientId))
    problems.push(`DEMO_CLIENT_ID must be printable ASCII without spaces, got "${clientId}"`);

  const clientSecret = text('DEMO_CLIENT_SECRET') ?? '';
  if (!clientSecret) problems.push('DEMO_CLIENT_SECRET is required (the secret Parley uses at the brand)');

  const redirectUris = (text('DEMO_REDIRECT_URIS') ?? '')
    .split(',')
    .map((uri) => uri.trim())
    .filter((uri) => uri !== '');
  if (redirectUris.length === 0)
    problems.push('DEMO_REDIRECT_URIS is required (comma-separated redirect URIs of the client)');
  for (const uri of redirectUris) {
    const problem = redirectUriProblem(uri);
    if (problem) problems.push(`DEMO_REDIRECT_URIS: "${uri}" ${problem}`);
  }

  if (problems.length > 0)
    throw new DemoBrandError(
      'invalid_config',
      `demo brand: invalid environment:\n  - ${problems.join('\n  - ')}`,
    );
  return resolveOptions({ port, host, clients: [{ clientId, clientSecret, redirectUris }] });
}
