import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { ParleyError } from '@parley/errors';
import type { Logger } from '@parley/logger';
import { Counter, Histogram, type Registry } from 'prom-client';
import { isNonPublicAddress, nonPublicReason } from './address-guard.js';
import { type CircuitBreakers, createCircuitBreakers } from './circuit-breakers.js';
import { createHostLimiter } from './host-limiter.js';

export interface BrandHttpOptions {
  readonly logger: Logger;
  /**
   * Hosts that may be reached over plain http and on non-public addresses (on-premises brands,
   * local demos, tests). Every other host must be https on a public address.
   */
  readonly allowHosts?: readonly string[];
  readonly timeoutMs?: number;
  readonly maxResponseBytes?: number;
  /** Redirects followed for GET requests, each hop checked again; other methods never follow. */
  readonly maxRedirects?: number;
  /** Consecutive failures of one host that open its circuit, and how long it stays open. */
  readonly breaker?: { readonly failureThreshold: number; readonly openMs: number };
  /** Requests to one host at once; more wait their turn, the wait counting toward `timeoutMs`. */
  readonly maxConcurrentPerHost?: number;
  readonly registry?: Registry;
}

export interface BrandRequest {
  readonly method?: 'GET' | 'POST';
  readonly headers?: Readonly<Record<string, string>>;
  /** A form body (`application/x-www-form-urlencoded`), as OAuth token endpoints take. */
  readonly form?: URLSearchParams;
  /** Any other body with its content type, sent byte for byte (a webhook's signed JSON). */
  readonly body?: { readonly contentType: string; readonly data: string | Buffer };
  /**
   * What the circuit breaker and the per-host concurrency limit count under; default the URL's
   * host. Webhooks pass their subscription, so one tenant's failing endpoint never opens the
   * circuit, or takes the slots, of another tenant's endpoint on the same host.
   */
  readonly limitKey?: string;
  readonly signal?: AbortSignal;
  /** Attempts after the first on a network error, timeout or 5xx; default 1 for GET, 0 otherwise. */
  readonly retries?: number;
}

export interface BrandResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
  /** The body as JSON; a body that is not JSON is a `brand_error`. */
  json(): unknown;
}

export interface BrandHttpClient {
  request(url: string | URL, init?: BrandRequest): Promise<BrandResponse>;
}

type FailureReason = 'timeout' | 'unreachable' | 'server_error' | 'circuit_open';

function unavailable(host: string, reason: FailureReason, cause?: unknown): ParleyError {
  return new ParleyError('brand_unavailable', `the brand server ${host} did not answer (${reason})`, {
    cause,
    context: { host, reason },
  });
}

function notAllowed(url: URL, why: string): ParleyError {
  return new ParleyError('url_not_allowed', `${url.origin} is not allowed: ${why}`, {
    context: { host: url.hostname },
  });
}

/**
 * The one way Parley calls brand servers (OAuth endpoints, customer data): https only, public
 * addresses only (checked on the address actually connected to, so DNS rebinding does not help),
 * timeouts, a response size limit, bounded redirects and retries, a circuit breaker and metrics per
 * host. Admin-configured URLs can therefore not reach Parley's own network.
 *
 * @example
 * const brandHttp = createBrandHttpClient({ logger, allowHosts: config.BRAND_HOST_ALLOW_LIST });
 * const response = await brandHttp.request(tokenEndpoint, { method: 'POST', form });
 */
export function createBrandHttpClient(options: BrandHttpOptions): BrandHttpClient {
  const {
    logger,
    timeoutMs = 5000,
    maxResponseBytes = 1024 * 1024, // 1 MiB
    maxRedirects = 3,
    breaker = { failureThreshold: 5, openMs: 30_000 },
    maxConcurrentPerHost = 32,
    registry,
  } = options;
  const limiter = createHostLimiter(maxConcurrentPerHost);
  const allowHosts = new Set((options.allowHosts ?? []).map((host) => host.toLowerCase()));
  const breakers: CircuitBreakers = createCircuitBreakers(breaker);
  const duration = registry
    ? new Histogram({
        name: 'parley_brand_http_request_duration_seconds',
        help: 'Requests to brand servers by host and outcome (HTTP status class, or failure reason).',
        labelNames: ['host', 'outcome'],
        buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
        registers: [registry],
      })
    : undefined;
  const circuitOpened = registry
    ? new Counter({
        name: 'parley_brand_http_circuit_opened_total',
        help: 'Times the circuit to a brand host opened.',
        labelNames: ['host'],
        registers: [registry],
      })
    : undefined;

  function guardedLookup(url: URL): LookupFunction {
    return (hostname, lookupOptions, callback) => {
      dnsLookup(hostname, { ...lookupOptions, all: true }, (error, addresses: LookupAddress[]) => {
        if (error) return callback(error, '', 4);
        const refused = addresses.find((entry) => isNonPublicAddress(entry.address));
        if (refused) {
          // The address stays in the operator's log: an admin learns the host and the kind of address only.
          logger.warn(
            { host: url.hostname, address: refused.address },
            'brand host resolves to a non-public address',
          );
          return callback(
            notAllowed(url, `it resolves to a non-public address (${nonPublicReason(refused.address)})`),
            '',
            4,
          );
        }
        if (lookupOptions.all)
          return (callback as unknown as (e: null, all: LookupAddress[]) => void)(null, addresses);
        const first = addresses[0] as LookupAddress;
        callback(null, first.address, first.family);
      });
    };
  }

  function checkTarget(url: URL): boolean {
    const allowListed = allowHosts.has(url.hostname.toLowerCase());
    if (url.protocol !== 'https:' && !(url.protocol === 'http:' && allowListed)) {
      throw notAllowed(url, allowListed ? 'only http and https are supported' : 'only https is allowed');
    }
    if (url.username || url.password) throw notAllowed(url, 'credentials in URLs are not allowed');
    const literal = url.hostname.replace(/^\[|\]$/g, '');
    if (!allowListed && isIP(literal) && isNonPublicAddress(literal)) {
      throw notAllowed(url, `${literal} is not a public address`);
    }
    return allowListed;
  }

  function once(url: URL, init: BrandRequest): Promise<BrandResponse> {
    const allowListed = checkTarget(url);
    const body = init.form?.toString() ?? init.body?.data;
    const headers: Record<string, string> = {
      accept: 'application/json',
      'user-agent': 'parley',
      ...init.headers,
    };
    if (body !== undefined) {
      headers['content-type'] = init.form
        ? 'application/x-www-form-urlencoded'
        : (init.body?.contentType as string);
      headers['content-length'] = String(Buffer.byteLength(body));
    }
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = init.signal ? AbortSignal.any([init.signal, timeout]) : timeout;
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const request = send(
        url,
        {
          method: init.method ?? 'GET',
          headers,
          signal,
          ...(allowListed ? {} : { lookup: guardedLookup(url) }),
        },
        (response) => {
          const chunks: Buffer[] = [];
          let size = 0;
          let tooLarge = false;
          response.on('data', (chunk: Buffer) => {
            size += chunk.length;
            if (size <= maxResponseBytes) return void chunks.push(chunk);
            if (tooLarge) return;
            tooLarge = true;
            response.destroy();
            reject(
              new ParleyError(
                'brand_error',
                `the brand server ${url.hostname} sent more than ${maxResponseBytes} bytes`,
                {
                  context: { host: url.hostname, reason: 'too_large' },
                },
              ),
            );
          });
          response.on('error', reject);
          response.on('end', () => {
            if (tooLarge) return;
            const buffer = Buffer.concat(chunks);
            resolve({
              status: response.statusCode ?? 0,
              headers: response.headers,
              body: buffer,
              json() {
                try {
                  return JSON.parse(buffer.toString('utf8'));
                } catch (error) {
                  throw new ParleyError(
                    'brand_error',
                    `the brand server ${url.hostname} answered with a body that is not JSON`,
                    {
                      cause: error,
                      context: { host: url.hostname, status: response.statusCode },
                    },
                  );
                }
              },
            });
          });
        },
      );
      request.on('error', (error) => {
        if (error instanceof ParleyError) return reject(error);
        if (timeout.aborted) return reject(unavailable(url.hostname, 'timeout', error));
        if (init.signal?.aborted)
          return reject(new ParleyError('deadline_exceeded', 'the caller gave up', { cause: error }));
        reject(unavailable(url.hostname, 'unreachable', error));
      });
      request.end(body);
    });
  }

  async function withRedirects(url: URL, init: BrandRequest): Promise<BrandResponse> {
    let current = url;
    let hopInit = init;
    for (let hop = 0; ; hop += 1) {
      const response = await once(current, hopInit);
      const location = response.headers.location;
      const redirect = response.status >= 300 && response.status < 400 && location;
      if (!redirect || (init.method ?? 'GET') !== 'GET') return response;
      if (hop >= maxRedirects) throw notAllowed(current, `more than ${maxRedirects} redirects`);
      const next = new URL(location, current);
      if (current.protocol === 'https:' && next.protocol !== 'https:')
        throw notAllowed(next, 'a redirect may not leave https');
      // Credentials never follow a redirect to another origin (an open redirect would leak them).
      if (next.origin !== current.origin && hopInit.headers) {
        const headers = Object.fromEntries(
          Object.entries(hopInit.headers).filter(
            ([name]) => !['authorization', 'cookie'].includes(name.toLowerCase()),
          ),
        );
        hopInit = { ...hopInit, headers };
      }
      current = next;
    }
  }

  return {
    async request(target, init = {}) {
      let url: URL;
      try {
        url = new URL(target);
      } catch (error) {
        throw new ParleyError('url_not_allowed', `not a URL: ${String(target).slice(0, 200)}`, {
          cause: error,
        });
      }
      const host = init.limitKey ?? url.host;
      const retries = init.retries ?? ((init.method ?? 'GET') === 'GET' ? 1 : 0);
      for (let attempt = 0; ; attempt += 1) {
        const admission = breakers.admit(host);
        if (!admission) throw unavailable(url.hostname, 'circuit_open');
        const started = process.hrtime.bigint();
        let outcome = 'error';
        // A trial must end in a verdict or be abandoned on every path, or the circuit never
        // lets another trial through: hence the slot wait inside the try.
        let settled = false;
        let release: (() => void) | false = false;
        try {
          release = await limiter.acquire(host, timeoutMs);
          // Waiting for a slot counts toward the timeout, but is not the host failing.
          if (!release) {
            outcome = 'queue_timeout';
            throw Object.assign(unavailable(url.hostname, 'timeout'), { queued: true });
          }
          const response = await withRedirects(url, init);
          outcome = `${Math.floor(response.status / 100)}xx`;
          if (response.status >= 500)
            throw Object.assign(unavailable(url.hostname, 'server_error'), { response });
          settled = true;
          breakers.succeeded(host);
          return response;
        } catch (error) {
          const failure =
            error instanceof ParleyError ? error : unavailable(url.hostname, 'unreachable', error);
          if (outcome === 'error') outcome = String(failure.context.reason ?? failure.code);
          if ((error as { queued?: boolean }).queued) throw failure;
          if (failure.code !== 'brand_unavailable') {
            // The host answered (or we refused to call it): not a sign the brand is down.
            settled = true;
            breakers.succeeded(host);
            throw failure;
          }
          settled = true;
          if (breakers.failed(host)) {
            circuitOpened?.inc({ host });
            logger.warn({ host, reason: failure.context.reason }, 'circuit to brand host opened');
          }
          if (attempt >= retries || init.signal?.aborted) {
            const response = (error as { response?: BrandResponse }).response;
            if (response) return response; // the brand's own 5xx answer, for the caller to read
            throw failure;
          }
          if (release) release(); // not held while backing off
          await sleep(100 * 2 ** attempt);
        } finally {
          if (admission === 'trial' && !settled) breakers.abandoned(host);
          if (release) release();
          duration?.observe({ host, outcome }, Number(process.hrtime.bigint() - started) / 1e9);
        }
      }
    },
  };
}
