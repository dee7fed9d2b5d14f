import type {
  Metadata,
  ServerUnaryCall,
  ServiceDefinition,
  sendUnaryData,
  UntypedServiceImplementation,
} from '@grpc/grpc-js';
import type { MethodDefinition } from '@grpc/proto-loader';
import { isParleyError } from '@parley/errors';
import type { Logger } from '@parley/logger';
import { toServiceError } from './status-mapping.js';

export interface CallContext {
  readonly metadata: Metadata;
  /** The caller's deadline; handlers pass what is left of it to their own calls. */
  readonly deadline: Date | number;
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
): UntypedServiceImplementation {
  const handlers: UntypedServiceImplementation = {};
  const byName = implementation as unknown as Record<
    string,
    (request: unknown, context: CallContext) => Promise<unknown>
  >;
  for (const name of Object.keys(definition)) {
    const handle = byName[name];
    if (!handle) throw new TypeError(`no implementation for ${definition[name]?.path}`);
    const methodLogger = logger.child({ grpcMethod: definition[name]?.path });
    handlers[name] = (call: ServerUnaryCall<unknown, unknown>, callback: sendUnaryData<unknown>) => {
      const context: CallContext = {
        metadata: call.metadata,
        deadline: call.getDeadline(),
        logger: methodLogger,
      };
      handle(call.request, context).then(
        (response) => callback(null, response),
        (error: unknown) => {
          const exposed = isParleyError(error) && error.info.expose;
          methodLogger[exposed ? 'info' : 'error']({ err: error }, 'call failed');
          callback(toServiceError(error));
        },
      );
    };
  }
  return handlers;
}
