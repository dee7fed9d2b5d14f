import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import { BrandFailure, type BrandFailureReason, callerGone, ParleyError } from '@parley/errors';
import type { Logger } from '@parley/logger';
import { isNonPublicAddress, nonPublicReason } from './address-guard.js';
import type { BrandRequest, BrandResponse } from './brand-http-client.js';
import type { HostPolicy } from './host-policy.js';

/** The reasons a brand server counts as not answering (`brand_unavailable`). */
export type UnavailableReason = Extract<
  BrandFailureReason,
  'timeout' | 'unreachable' | 'server_error' | 'circuit_open'
>;

export function unavailable(host: string, reason: UnavailableReason, cause?: unknown): BrandFailure {
  return new BrandFailure(reason, `the brand server ${host} did not answer (${reason})`, { host, cause });
}

export function notAllowed(url: URL, why: string): BrandFailure {
  return new BrandFailure('not_allowed', `${url.origin} is not allowed: ${why}`, { host: url.hostname });
}

/**
 * One HTTP exchange with a brand server, no redirects followed: the URL checked against the host
 * policy for the request's tenant, the address actually connected to checked too (unless the
 * host is allow-listed for the tenant), a timeout and a response size limit.
 */
export function createExchange(deps: {
  logger: Logger;
  policy: HostPolicy;
  timeoutMs: number;
  maxResponseBytes: number;
}): (url: URL, init: BrandRequest) => Promise<BrandResponse> {
  const { logger, policy, timeoutMs, maxResponseBytes } = deps;

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

  function checkTarget(url: URL, tenant: string): boolean {
    const refusal = policy.refusal(url, tenant);
    if (refusal) throw notAllowed(url, refusal);
    return policy.allowListed(url, tenant);
  }

  function once(url: URL, init: BrandRequest): Promise<BrandResponse> {
    const allowListed = checkTarget(url, init.tenant);
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
              new BrandFailure(
                'too_large',
                `the brand server ${url.hostname} sent more than ${maxResponseBytes} bytes`,
                { host: url.hostname },
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
                  throw new BrandFailure(
                    'not_json',
                    `the brand server ${url.hostname} answered with a body that is not JSON`,
                    { host: url.hostname, cause: error, context: { status: response.statusCode } },
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
        if (init.signal?.aborted) return reject(callerGone(init.signal, error));
        reject(unavailable(url.hostname, 'unreachable', error));
      });
      request.end(body);
    });
  }

  return once;
}
