import { mapCustomer, readPath } from '@parley/customer-mapping';
import { callerGone, ParleyError } from '@parley/errors';
import type { AuthDomainDeps } from './deps.js';
import type { Channel } from './model.js';
import type { ClientAuthenticationAnswer } from './ports.js';

/** `not_measured`: the check could not be made; `detail` says why (it does not fail the test). */
export type CheckStatus = 'passed' | 'failed' | 'not_measured';

export interface ChannelCheck {
  name: string;
  /** False only when the check failed. */
  ok: boolean;
  status: CheckStatus;
  detail: string;
}

class CheckOutcome {
  constructor(
    readonly status: CheckStatus,
    readonly detail: string,
  ) {}
}
const failed = (detail: string) => new CheckOutcome('failed', detail);
const notMeasured = (reason: string) => new CheckOutcome('not_measured', `could not be measured: ${reason}`);

function describeError(error: unknown): string {
  return error instanceof ParleyError ? `${error.code}: ${error.message}` : String(error);
}

const endpointOrder = [
  'token',
  'introspection',
  'jwks',
  'revocation',
  'authorization',
  'customerData',
] as const;

const credentialsHint =
  'check client.clientId, client.clientSecret and client.method against the brand (Keycloak: Clients → the client → Credentials; docs/brands.md)';

/** What an answer to `authenticateClient` says of the client's credentials. */
function judgeClientAuthentication(endpoint: 'token' | 'introspection', answer: ClientAuthenticationAnswer) {
  const said = `answered ${answer.status}${answer.error ? ` ${answer.error}` : ''}`;
  if (answer.error === 'invalid_client' || answer.status === 401)
    return failed(`invalid_client: the brand refused the client credentials (${said}); ${credentialsHint}`);
  if (answer.status >= 500) return failed(`brand_unavailable: the ${endpoint} endpoint ${said}`);
  if (endpoint === 'introspection') {
    if (answer.status === 200) return `the brand authenticated the client (${said} for a made-up token)`;
    if (answer.status === 403)
      return failed(
        `the client may not introspect tokens (${said}); allow it at the brand (Keycloak: a confidential client with Client authentication on)`,
      );
    return failed(`the introspection endpoint ${said}; expected 200 with {"active":false}`);
  }
  if (answer.error === 'invalid_grant')
    return `the brand authenticated the client (${said} for a made-up code, as it should)`;
  if (answer.error === 'unauthorized_client')
    return failed(
      `unauthorized_client: the client may not use the authorization code grant (${said}); allow it at the brand (Keycloak: Standard flow on)`,
    );
  return notMeasured(`the token endpoint ${said} before telling whether the client is authenticated`);
}

/** What the admin may hand the self-test: a customer-data response, a test customer's access token. */
export interface SelfTestSamples {
  readonly customerData?: Record<string, unknown>;
  readonly accessToken?: string;
}

/** The claims of a JWT access token, read without verifying it: for naming a likely cause only. */
function unverifiedClaims(token: string): Record<string, unknown> | undefined {
  try {
    const claims: unknown = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8'));
    return claims && typeof claims === 'object' ? (claims as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** Why the brand may have answered "not active" for a test customer's fresh token. */
function inactiveCause(channel: Channel, token: string, nowMs: number): string {
  const claims = unverifiedClaims(token);
  const audiences = [claims?.aud].flat().filter((value) => typeof value === 'string');
  const wanted = channel.validation.mode === 'jwt' ? channel.validation.audiences : [channel.client.clientId];
  if (claims && !wanted.some((audience) => audiences.includes(audience))) {
    return `its aud (${audiences.join(', ') || 'none'}) names none of ${wanted.join(', ')}: add an audience mapper for ${wanted[0]} (Keycloak 26.6 and later answer active:false to a client not in aud; docs/brands.md)`;
  }
  if (claims && typeof claims.iss === 'string' && claims.iss !== channel.issuer)
    return `it was issued by ${claims.iss.slice(0, 200)}, not the channel's issuer ${channel.issuer}`;
  if (claims && typeof claims.exp === 'number' && claims.exp * 1000 <= nowMs) return 'it has expired';
  return "it may have expired or been revoked, or the client is not in the token's audience (Keycloak: add an audience mapper; docs/brands.md)";
}

/** The mapping applied to the admin's sample, naming what the sample lacks and the likely cause. */
function checkMapping(channel: Channel, sample: Record<string, unknown>) {
  const mapped = mapCustomer(sample, channel.mapping);
  const missing = Object.entries(channel.mapping.customFields)
    .filter(([, path]) => readPath(sample, path) === undefined)
    .map(([field, path]) => `${field} (${path})`);
  if (channel.mapping.name && readPath(sample, channel.mapping.name) === undefined)
    missing.unshift(`name (${channel.mapping.name})`);
  if (missing.length > 0) {
    return failed(
      `not in the sample: ${missing.join(', ')}; the brand's customer-data response lacks them (Keycloak: declare the attribute in the realm's user profile and map it into the response with a User Attribute mapper; docs/brands.md). Mapped: ${JSON.stringify(mapped)}`,
    );
  }
  return JSON.stringify(mapped);
}

/**
 * TestChannel, the admin's self-test. Every check appears in the result, in this order: discovery,
 * each configured endpoint answering, the client credentials at the token endpoint (and at
 * introspection), the brand's clock against Parley's, with a test customer's access token the
 * brand accepting it and its customer data, and the mapping applied to a sample of customer data
 * (given, or fetched with the token); a check that cannot be made is `not_measured` with the
 * reason. Failures name the likely cause (docs/brands.md). The token is used, never stored. Once
 * `signal` (the caller's) fires, the test stops: no further check asks the brand.
 */
export function createChannelTest(deps: Pick<AuthDomainDeps, 'channels' | 'brand' | 'clock'>) {
  const { channels, brand, clock } = deps;
  return async function testChannel(
    tenantId: string,
    channelId: string,
    samples: SelfTestSamples = {},
    signal?: AbortSignal,
  ) {
    const channel = await channels.find(tenantId, channelId);
    if (!channel) throw new ParleyError('not_found', `channel ${channelId} is not configured`);
    const checks: ChannelCheck[] = [];
    const record = (name: string, outcome: CheckOutcome | string) => {
      const { status, detail } = typeof outcome === 'string' ? new CheckOutcome('passed', outcome) : outcome;
      checks.push({ name, ok: status !== 'failed', status, detail });
    };
    const run = async (name: string, probe: () => Promise<CheckOutcome | string>) => {
      try {
        record(name, await probe());
      } catch (error) {
        if (signal?.aborted) throw callerGone(signal, error);
        record(name, failed(describeError(error)));
      }
    };
    const skews: number[] = [];
    const noteClock = (serverDate: Date | undefined) => {
      if (serverDate) skews.push(serverDate.getTime() - clock.now().getTime());
    };

    await run('discovery', async () => {
      try {
        const found = Object.keys(await brand.discover(tenantId, channel.issuer, signal));
        return `endpoints found: ${found.join(', ') || 'none'}`;
      } catch (error) {
        if (signal?.aborted) throw callerGone(signal, error);
        return notMeasured(`${describeError(error)}; the channel uses the endpoints it was given`);
      }
    });
    for (const name of endpointOrder) {
      const url = channel.endpoints[name];
      if (!url) continue;
      await run(`endpoint ${name}`, async () => {
        const answer = await brand.probe(tenantId, url, signal);
        noteClock(answer.serverDate);
        if (answer.status >= 500) return failed(`brand_unavailable: answered ${answer.status}`);
        return `answered ${answer.status}`;
      });
    }
    const authenticated: ('token' | 'introspection')[] = ['token'];
    if (channel.validation.mode === 'introspection' && channel.endpoints.introspection)
      authenticated.push('introspection');
    for (const endpoint of authenticated) {
      await run(`client credentials (${endpoint})`, async () => {
        const answer = await brand.authenticateClient(channel, endpoint, signal);
        noteClock(answer.serverDate);
        return judgeClientAuthentication(endpoint, answer);
      });
    }
    if (skews.length > 0) {
      const worst = skews.reduce((a, b) => (Math.abs(b) > Math.abs(a) ? b : a));
      const detail = `${Math.round(worst / 1000)} s against Parley's clock`;
      // HTTP dates have one-second resolution; beyond a minute token lifetimes start to misbehave.
      record('clock skew', Math.abs(worst) <= 60_000 ? detail : failed(`${detail} (more than 60 s)`));
    } else {
      record('clock skew', notMeasured('the brand sent no Date header'));
    }
    let sample = samples.customerData;
    const token = samples.accessToken;
    if (token) {
      let active = false;
      await run('sample token', async () => {
        const verdict = await brand.validate(channel, token, signal);
        if (!verdict.active)
          return failed(
            `the brand says the token is not active: ${inactiveCause(channel, token, clock.now().getTime())}`,
          );
        active = true;
        return `active, for subject ${verdict.subject.slice(0, 100)}`;
      });
      await run('customer data', async () => {
        if (!active) return notMeasured('the sample token is not active');
        const data = await brand.fetchCustomerData(channel, token, signal);
        sample ??= data as Record<string, unknown>;
        return 'answered with a JSON object';
      });
    }
    const mapped = sample;
    if (mapped) await run('mapping', async () => checkMapping(channel, mapped));
    else
      record(
        'mapping',
        notMeasured('no sample customer data given (sampleCustomerData or sampleAccessToken)'),
      );
    return { ok: checks.every((check) => check.ok), checks };
  };
}
