import type {
  Metadata,
  ServerUnaryCall,
  ServiceDefinition,
  sendUnaryData,
  UntypedServiceImplementation,
} from '@grpc/grpc-js';
import type { MethodDefinition } from '@grpc/proto-loader';
import { isParleyError, ParleyError } from '@parley/errors';
import type { Logger } from '@parley/logger';
import { inSpan } from '@parley/ops';
import { callerOf } from './call-authorization.js';
import type { ServiceIdentity } from './service-identity.js';
import { toServiceError } from './status-mapping.js';
import { rpcAttributes, traceContextOf } from './trace-metadata.js';

export interface CallContext {
  readonly metadata: Metadata;
  /** The calling service as its client certificate proves it (the server's method table allowed it). */
  readonly caller: ServiceIdentity;
  /**
   * Epoch milliseconds by which the caller wants the answer (capped at `maxDeadlineMs` from now);
   * handlers pass it on to their own calls so a chain never outlives its first caller.
   */
  readonly deadline: number;
  /** Aborted when the caller cancels or the deadline passes: hand it to fetch and other I/O. */
  readonly signal: AbortSignal;
  readonly logger: Logger;
}

type UnaryOf<M> =
  M extends MethodDefinition<infer _Request, infer Response, infer RequestOutput, infer _ResponseOutput>
    ? (request: RequestOutput, context: CallContext) => Promise<Response>
    : never;

/** The async implementation of every method of a generated service definition. */
export type UnaryImplementation<D extends ServiceDefinition> = {
  readonly [K in keyof D as string extends K ? never : K]: UnaryOf<D[K]>;
};

/**
 * Adapts async handlers to grpc-js: errors become status + `parley-error-code` trailer, errors not
 * safe to expose are logged in full and sent as `server_error`.
 *
 * @example
 * server.addService(auth.AuthService.service, implementService(auth.AuthService.service, handlers, logger));
 */
export function implementService<D extends ServiceDefinition>(
  definition: D,
  implementation: UnaryImplementation<D>,
  logger: Logger,
  /** A call without a deadline gets this one, so no work runs unbounded. */
  maxDeadlineMs = 30_000,
): UntypedServiceImplementation {
  const handlers: UntypedServiceImplementation = {};
  const byName = implementation as unknown as Record<
    string,
    (request: unknown, context: CallContext) => Promise<unknown>
  >;
  for (const name of Object.keys(definition)) {
    const handle = byName[name];
    if (!handle) throw new TypeError(`no implementation for ${definition[name]?.path}`);
    const path = definition[name]?.path ?? name;
    const methodLogger = logger.child({ grpcMethod: path });
    const attributes = rpcAttributes(path);
    handlers[name] = (call: ServerUnaryCall<unknown, unknown>, callback: sendUnaryData<unknown>) => {
      const caller = callerOf(call);
      // The server's authorization refused such a call already; this guards a server built without it.
      if (!caller) {
        callback(
          toServiceError(new ParleyError('unauthenticated', 'no client certificate of a Parley service')),
        );
        return;
      }
      const requested = call.getDeadline();
      const requestedMs = requested instanceof Date ? requested.getTime() : requested;
      const deadline = Math.min(
        Number.isFinite(requestedMs) ? requestedMs : Number.POSITIVE_INFINITY,
        Date.now() + maxDeadlineMs,
      );
      const controller = new AbortController();
      const timer = setTimeout(
        () => controller.abort(new Error('deadline exceeded')),
        Math.max(0, deadline - Date.now()),
      );
      call.once('cancelled', () => controller.abort(new Error('cancelled by the caller')));
      const context: CallContext = {
        metadata: call.metadata,
        caller,
        deadline,
        signal: controller.signal,
        logger: methodLogger,
      };
      // The handler runs in a server span continuing its caller's (docs/operations.md, "Tracing").
      inSpan(
        path.replace(/^\//, ''),
        { kind: 'server', parent: traceContextOf(call.metadata), attributes },
        async (span) => {
          try {
            const response = await handle(call.request, context);
            span.setAttribute('rpc.grpc.status_code', 0);
            return response;
          } catch (error) {
            span.setAttribute('rpc.grpc.status_code', toServiceError(error).code);
            throw error;
          }
        },
      ).then(
        (response) => {
          clearTimeout(timer);
          callback(null, response);
        },
        (error: unknown) => {
          clearTimeout(timer);
          const exposed = isParleyError(error) && error.info.expose;
          methodLogger[exposed ? 'info' : 'error']({ err: error }, 'call failed');
          callback(toServiceError(error));
        },
      );
    };
  }
  return handlers;
}
