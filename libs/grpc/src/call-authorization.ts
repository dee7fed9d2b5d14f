import {
  Metadata,
  ServerInterceptingCall,
  type ServerInterceptingCallInterface,
  type ServerInterceptor,
  type ServiceDefinition,
  status,
} from '@grpc/grpc-js';
import {
  identityOfCertificate,
  type ServiceIdentity,
  serviceIdentities,
  spiffeIdOf,
} from './service-identity.js';
import { errorCodeTrailer, refusedCallTrailer } from './status-mapping.js';

/**
 * Who may call each method of a service: the identities (certificate URI SANs) allowed, per
 * method. Typed on the generated definition, so a new method does not compile until it is
 * declared; a path missing at run time refuses everyone.
 *
 * @example
 * export const historyCallers: MethodCallers<HistoryServiceDefinition> = { Sync: ['ingress'], … };
 */
export type MethodCallers<D extends ServiceDefinition> = {
  readonly [K in keyof D as string extends K ? never : K]: readonly ServiceIdentity[];
};

/**
 * A call refused for who made it: by the method table before any handler ran, or by a handler
 * that refused its caller (a `ParleyError` with `context.refusedCaller`, e.g. auth's bot tokens).
 */
export interface RefusedCall {
  /** `/parley.auth.v1.AuthService/PutChannel`. */
  readonly method: string;
  /** `unauthenticated`: no certificate of the CA naming a Parley service; `permission_denied`: not allowed. */
  readonly code: 'unauthenticated' | 'permission_denied';
  /** The service the caller's certificate proves, when it proves one. */
  readonly caller?: ServiceIdentity;
  /** `address:port` of the caller. */
  readonly peer: string;
  /**
   * The decoded request, when the caller sent one in time (a refused call's request is a claim,
   * never trusted).
   */
  readonly request?: unknown;
}

export type CallDecision =
  | { readonly allowed: true; readonly caller: ServiceIdentity }
  | { readonly allowed: false; readonly code: RefusedCall['code']; readonly caller?: ServiceIdentity };

/**
 * The verdict on one call: no proven identity is `unauthenticated`; a proven one not in `allowed`
 * (or a method nobody declared: `allowed` undefined) is `permission_denied`.
 */
export function decideCall(
  allowed: readonly ServiceIdentity[] | undefined,
  caller: ServiceIdentity | undefined,
): CallDecision {
  if (!caller) return { allowed: false, code: 'unauthenticated' };
  if (!allowed?.includes(caller)) return { allowed: false, code: 'permission_denied', caller };
  return { allowed: true, caller };
}

/** The identity a call's TLS connection proved: a client certificate the server's CA verified. */
export function callerOf(call: Pick<ServerInterceptingCallInterface, 'getAuthContext'>) {
  // grpc-js gives the peer certificate only when the handshake verified it against the CA.
  return identityOfCertificate(call.getAuthContext().sslPeerCertificate?.subjectaltname);
}

/** Every Parley service may ask whether a server is serving. */
const healthMethods = ['/grpc.health.v1.Health/Check', '/grpc.health.v1.Health/Watch'];

/**
 * The method table of a server: each service's declared callers by full method path, and the
 * health service open to every Parley identity.
 */
export function callerTable(
  services: readonly { readonly definition: ServiceDefinition; readonly callers: object }[],
): ReadonlyMap<string, readonly ServiceIdentity[]> {
  const table = new Map<string, readonly ServiceIdentity[]>(
    healthMethods.map((path) => [path, serviceIdentities]),
  );
  for (const { definition, callers } of services) {
    for (const [name, method] of Object.entries(definition)) {
      const allowed = (callers as Record<string, readonly ServiceIdentity[] | undefined>)[name];
      if (allowed) table.set(method.path, allowed);
    }
  }
  return table;
}

/**
 * How long a refused call waits for its request, which only the refusal hook reads (the tenant it
 * names, for the audit): a unary request comes with the headers; a caller that sends none is not
 * kept waiting for it.
 */
const requestWaitMs = 500;

/** The Parley code of a status a handler sent marked as a refusal of its caller. */
function refusalCodeOf(sent: { code: status; metadata?: Metadata | null }): RefusedCall['code'] | undefined {
  if (!sent.metadata?.get(refusedCallTrailer).length) return undefined;
  if (sent.code === status.UNAUTHENTICATED) return 'unauthenticated';
  return sent.code === status.PERMISSION_DENIED ? 'permission_denied' : undefined;
}

/**
 * The server interceptor that enforces `table` before any handler: an allowed call passes
 * (its handler may still refuse its caller: such a status is reported too); a refused one is
 * answered UNAUTHENTICATED or PERMISSION_DENIED with the Parley code (and the refusal marker) in
 * the trailers as soon as its request arrives, or after `requestWaitMs` without one, and its
 * handler never runs. `onRefusal` hears of every refusal, with the request when it came.
 */
export function authorizeCalls(
  table: ReadonlyMap<string, readonly ServiceIdentity[]>,
  onRefusal: (refusal: RefusedCall) => void,
): ServerInterceptor {
  return (method, call) => {
    const decision = decideCall(table.get(method.path), callerOf(call));
    const report = (code: RefusedCall['code'], caller: ServiceIdentity | undefined, request: unknown) =>
      onRefusal({
        method: method.path,
        code,
        ...(caller ? { caller } : {}),
        peer: call.getPeer(),
        ...(request === undefined ? {} : { request }),
      });
    if (decision.allowed) return reportHandlerRefusals(call, decision.caller, report);
    const { code, caller } = decision;
    let answered = false;
    let wait: NodeJS.Timeout | undefined;
    const intercepting: ServerInterceptingCall = new ServerInterceptingCall(call, {
      start: (next) => {
        wait = setTimeout(() => refuse(undefined), requestWaitMs);
        next({
          // Passed on so the server reads the request; the message and half-close are not.
          onReceiveMetadata: (metadata, passOn) => passOn(metadata),
          onReceiveMessage: (request) => refuse(request),
          onReceiveHalfClose: () => refuse(undefined),
          onCancel: () => {
            // The caller gave up (or the deadline passed) first: still a refused call.
            if (answered) return;
            answered = true;
            clearTimeout(wait);
            report(code, caller, undefined);
          },
        });
      },
    });
    function refuse(request: unknown) {
      if (answered) return;
      answered = true;
      clearTimeout(wait);
      report(code, caller, request);
      const trailers = new Metadata();
      trailers.set(errorCodeTrailer, code);
      trailers.set(refusedCallTrailer, caller ?? 'none');
      intercepting.sendStatus(
        code === 'unauthenticated' || !caller
          ? {
              code: status.UNAUTHENTICATED,
              details: 'a client certificate of a Parley service (mutual TLS) is required',
              metadata: trailers,
            }
          : {
              code: status.PERMISSION_DENIED,
              details: `${spiffeIdOf(caller)} may not call ${method.path}`,
              metadata: trailers,
            },
      );
    }
    return intercepting;
  };
}

/**
 * An allowed call, watched for its handler refusing the caller (the refused-caller trailer
 * `toServiceError` sets): reported as the method table's refusals are, naming the identity the
 * certificate proved whatever the handler wrote.
 */
function reportHandlerRefusals(
  call: ServerInterceptingCallInterface,
  caller: ServiceIdentity,
  report: (code: RefusedCall['code'], caller: ServiceIdentity, request: unknown) => void,
) {
  let request: unknown;
  return new ServerInterceptingCall(call, {
    start: (next) =>
      next({
        onReceiveMessage: (message, passOn) => {
          request = message;
          passOn(message);
        },
      }),
    sendStatus: (sent, passOn) => {
      const code = refusalCodeOf(sent);
      if (code) {
        sent.metadata?.set(refusedCallTrailer, caller);
        report(code, caller, request);
      }
      passOn(sent);
    },
  });
}
