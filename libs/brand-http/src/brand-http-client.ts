import type { IncomingHttpHeaders } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { BrandFailure, callerGone, isBrandFailure, ParleyError } from '@parley/errors';
import type { Logger } from '@parley/logger';
import { openSpan } from '@parley/ops';
import type { Registry } from 'prom-client';
import { createBrandHttpMetrics } from './brand-http-metrics.js';
import { type CircuitBreakers, createCircuitBreakers } from './circuit-breakers.js';
import { createHostLimiter } from './host-limiter.js';
import { createHostPolicy } from './host-policy.js';
import { createExchange, notAllowed, unavailable } from './http-exchange.js';

export interface BrandHttpOptions {
  readonly logger: Logger;
  /**
   * Hosts that may be reached over plain http and on non-public addresses (on-premises brands,
   * local demos, tests): `host` or `host:port` for every tenant, `host@tenant` or
   * `host:port@tenant` for one tenant (see `createHostPolicy`). Every other host must be https on
   * a public address.
   */
  readonly allowHosts?: readonly string[];
  readonly timeoutMs?: number;
  readonly maxResponseBytes?: number;
  /** Redirects followed for GET requests, each hop checked again; other methods never follow. */
  readonly maxRedirects?: number;
  /**
   * Consecutive failures of one tenant at one host that open that circuit, how long it stays open,
   * and how many circuits with failures are remembered at most.
   */
  readonly breaker?: {
    readonly failureThreshold: number;
    readonly openMs: number;
    readonly maxEntries?: number;
  };
  /**
   * Requests of one tenant to one host at once; more wait their turn, the wait counting toward
   * `timeoutMs`.
   */
  readonly maxConcurrentPerHost?: number;
  readonly registry?: Registry;
  /** Hosts named in the `host` metric label besides allow-listed ones; the rest are `other`. */
  readonly maxHostLabels?: number;
}

export interface BrandRequest {
  /**
   * The tenant the request is made for: which allow-list entries apply, and whose circuits and
   * host slots it counts under, so one tenant's failures or backlog never fail another's requests.
   */
  readonly tenant: string;
  readonly method?: 'GET' | 'POST';
  readonly headers?: Readonly<Record<string, string>>;
  /** A form body (`application/x-www-form-urlencoded`), as OAuth token endpoints take. */
  readonly form?: URLSearchParams;
  /** Any other body with its content type, sent byte for byte (a webhook's signed JSON). */
  readonly body?: { readonly contentType: string; readonly data: string | Buffer };
  /**
   * Within the tenant, what the circuit breaker and the concurrency limit of the URL's host count
   * under; default the host. Webhooks pass their subscription, so one failing endpoint never opens
   * the circuit, or takes the slots, of another endpoint on the same host. A redirect to another
   * host counts under that host.
   */
  readonly limitKey?: string;
  /**
   * The caller's signal (a gRPC handler's `context.signal`): once it fires, no request is started,
   * waits for a host slot or a retry end, and the request in flight is abandoned, all failing with
   * `deadline_exceeded` (no verdict on the host).
   */
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
  request(url: string | URL, init: BrandRequest): Promise<BrandResponse>;
}

/**
 * The one way Parley calls brand servers (OAuth endpoints, customer data): https only, public
 * addresses only (checked on the address actually connected to, so DNS rebinding does not help),
 * timeouts, a response size limit, bounded redirects and retries, a circuit breaker and a
 * concurrency limit per tenant and host, metrics per host. Admin-configured URLs can therefore not
 * reach Parley's own network, nor hosts the operator allowed for another tenant.
 *
 * @example
 * const brandHttp = createBrandHttpClient({ logger, allowHosts: config.BRAND_HOST_ALLOW_LIST });
 * const response = await brandHttp.request(tokenEndpoint, { tenant: channel.tenantId, method: 'POST', form });
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
    maxHostLabels = 100,
  } = options;
  const limiter = createHostLimiter(maxConcurrentPerHost);
  const policy = createHostPolicy(options.allowHosts ?? []);
  const breakers: CircuitBreakers = createCircuitBreakers(breaker);
  const metrics = createBrandHttpMetrics({
    registry,
    maxHostLabels,
    listed: policy.listed,
    isOpen: (key) => breakers.isOpen(key),
  });

  const send = createExchange({ logger, policy, timeoutMs, maxResponseBytes });
  // Timeouts waiting for a host slot (not the host failing), and the 5xx answers behind failures.
  const queuedFailures = new WeakSet<ParleyError>();
  const answers = new WeakMap<ParleyError, BrandResponse>();

  /**
   * The part of an attempt spent at one key (tenant and host, or limit key): let in once by its
   * circuit, holding one of its slots, and given one verdict when the attempt leaves it.
   */
  interface Stay {
    readonly key: string;
    readonly url: URL;
    readonly admission: 'closed' | 'trial';
    readonly release: () => void;
  }

  async function enter(key: string, url: URL, signal: AbortSignal | undefined): Promise<Stay> {
    const admission = breakers.admit(key);
    if (!admission) throw unavailable(url.hostname, 'circuit_open');
    const release = await limiter.acquire(key, timeoutMs, signal);
    if (release) return { key, url, admission, release };
    // Waiting for a slot counts toward the timeout, but is not the host failing: no verdict,
    // and a trial that got no slot must not leave the circuit waiting for it.
    if (admission === 'trial') breakers.abandoned(key);
    if (signal?.aborted) throw callerGone(signal);
    const queued = unavailable(url.hostname, 'timeout');
    queuedFailures.add(queued);
    throw queued;
  }

  function leave(stay: Stay, verdict: 'succeeded' | 'failed' | undefined, tenant: string, reason?: unknown) {
    stay.release();
    if (verdict === 'succeeded') return breakers.succeeded(stay.key);
    if (verdict === undefined) return stay.admission === 'trial' && breakers.abandoned(stay.key);
    if (!breakers.failed(stay.key)) return;
    metrics.circuitOpened(metrics.hostLabel(stay.url), stay.key);
    logger.warn({ tenant, host: stay.url.host, reason }, 'circuit to brand host opened');
  }

  /** What a failure says about the host: it failed, it answered, or nothing (it was never asked). */
  function verdictOf(failure: ParleyError): 'succeeded' | 'failed' | undefined {
    if (queuedFailures.has(failure) || failure.code === 'deadline_exceeded') return undefined;
    return failure.code === 'brand_unavailable' ? 'failed' : 'succeeded';
  }

  /** One hop, timed into the metrics under its host. */
  async function timedHop(url: URL, init: BrandRequest, hop: () => Promise<BrandResponse>) {
    const started = process.hrtime.bigint();
    let outcome = 'error';
    // A client span per hop: the host, never the URL's path or query, headers or body
    // (docs/operations.md, "Tracing").
    const method = init.method ?? 'GET';
    const span = openSpan(`brand ${method}`, {
      kind: 'client',
      attributes: {
        'http.request.method': method,
        'server.address': url.hostname,
        'server.port': Number(url.port || (url.protocol === 'https:' ? 443 : 80)),
        'url.scheme': url.protocol.replace(/:$/, ''),
        'parley.tenant_id': init.tenant,
      },
    });
    let failed: { code: string } | undefined;
    try {
      const response = await span.run(hop);
      outcome = `${Math.floor(response.status / 100)}xx`;
      span.span.setAttribute('http.response.status_code', response.status);
      if (response.status >= 500) failed = { code: String(response.status) };
      return response;
    } catch (error) {
      const failure = error instanceof ParleyError ? error : unavailable(url.hostname, 'unreachable', error);
      if (queuedFailures.has(failure)) outcome = 'queue_timeout';
      else if (isBrandFailure(failure) && failure.reason !== 'not_allowed') outcome = failure.reason;
      else outcome = failure.code;
      failed = { code: outcome };
      throw failure;
    } finally {
      span.end(failed);
      metrics.observe(metrics.hostLabel(url), outcome, Number(process.hrtime.bigint() - started) / 1e9);
    }
  }

  /**
   * One attempt: the request and the GET redirects it leads to. Each host on the way is let in by
   * its own circuit and judged by its own answer, so a failure at a redirect target counts against
   * the target; hops that stay on one host count as one request there.
   */
  async function attempt(url: URL, init: BrandRequest): Promise<BrandResponse> {
    const keyOf = (name: string) => JSON.stringify([init.tenant, name]);
    const firstKey = keyOf(init.limitKey ?? url.host);
    let stay: Stay | undefined;
    let verdict: 'succeeded' | 'failed' | undefined;
    let reason: unknown;
    let current = url;
    let hopInit = init;
    try {
      for (let count = 0; ; count += 1) {
        const key = current.host === url.host ? firstKey : keyOf(current.host);
        if (stay && stay.key !== key) {
          leave(stay, 'succeeded', init.tenant); // it answered with a redirect
          stay = undefined;
        }
        const target = current;
        const sent = hopInit;
        const response = await timedHop(target, sent, async () => {
          stay ??= await enter(key, target, sent.signal);
          return send(target, sent);
        });
        if (response.status >= 500) {
          verdict = 'failed';
          const failure = unavailable(current.hostname, 'server_error');
          answers.set(failure, response);
          throw failure;
        }
        const location = response.headers.location;
        const redirect = response.status >= 300 && response.status < 400 && location;
        if (!redirect || (init.method ?? 'GET') !== 'GET') {
          verdict = 'succeeded';
          return response;
        }
        if (count >= maxRedirects) throw notAllowed(current, `more than ${maxRedirects} redirects`);
        if (!URL.canParse(location, current.href))
          throw new BrandFailure(
            'bad_redirect',
            `the brand server ${current.hostname} redirected to an invalid URL`,
            {
              host: current.hostname,
            },
          );
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
    } catch (error) {
      const failure =
        error instanceof ParleyError ? error : unavailable(current.hostname, 'unreachable', error);
      verdict ??= verdictOf(failure);
      reason = failure.context.reason;
      throw failure;
    } finally {
      if (stay) leave(stay, verdict, init.tenant, reason);
    }
  }

  return {
    async request(target, init) {
      if (typeof init?.tenant !== 'string' || init.tenant === '')
        throw new TypeError('a brand HTTP request needs the tenant it is made for');
      let url: URL;
      try {
        url = new URL(target);
      } catch (error) {
        throw new BrandFailure('not_allowed', `not a URL: ${String(target).slice(0, 200)}`, { cause: error });
      }
      if (init.signal?.aborted) throw callerGone(init.signal);
      const retries = init.retries ?? ((init.method ?? 'GET') === 'GET' ? 1 : 0);
      for (let count = 0; ; count += 1) {
        try {
          return await attempt(url, init);
        } catch (error) {
          const failure = error as ParleyError;
          const again =
            isBrandFailure(failure) &&
            (failure.reason === 'timeout' ||
              failure.reason === 'unreachable' ||
              failure.reason === 'server_error') &&
            !queuedFailures.has(failure);
          if (!again || count >= retries || init.signal?.aborted) {
            const response = answers.get(failure);
            if (response) return response; // the brand's own 5xx answer, for the caller to read
            throw failure;
          }
          try {
            await sleep(100 * 2 ** count, undefined, init.signal ? { signal: init.signal } : {}); // no host slot is held while backing off
          } catch (aborted) {
            throw callerGone(init.signal, aborted);
          }
        }
      }
    },
  };
}
