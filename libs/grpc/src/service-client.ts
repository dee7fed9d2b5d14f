import { type CallOptions, Client, Metadata, type ServiceDefinition, type ServiceError } from '@grpc/grpc-js';
import type { MethodDefinition } from '@grpc/proto-loader';
import { openSpan } from '@parley/ops';
import { clientCredentials, type GrpcTls } from './grpc-tls.js';
import type { ServiceIdentity } from './service-identity.js';
import { fromServiceError } from './status-mapping.js';
import { rpcAttributes, withTraceparent } from './trace-metadata.js';

export interface ClientOptions {
  /** This service's mutual TLS (`loadGrpcTls`): the certificate it presents, the CA it trusts. */
  readonly tls: GrpcTls;
  /** The service the server must prove to be (its certificate's URI SAN), whatever its address. */
  readonly server: ServiceIdentity;
  /** Deadline of every call unless the call gives its own. */
  readonly deadlineMs?: number;
}

type UnaryCallOf<M> =
  M extends MethodDefinition<infer Request, infer _Response, infer _RequestOutput, infer ResponseOutput>
    ? (request: Request, options?: CallParameters) => Promise<ResponseOutput>
    : never;

export interface CallParameters {
  /** Relative deadline of this call; defaults to the client's. */
  readonly deadlineMs?: number;
  /** Absolute deadline (epoch ms), e.g. a handler's `context.deadline`; the earlier of the two wins. */
  readonly deadline?: number;
  readonly metadata?: Metadata;
  /** Cancels the call when it fires (the server's handler sees its own signal fire), e.g. a long poll whose client left. */
  readonly signal?: AbortSignal;
}

/** Promise-returning methods of a service; errors reject as ParleyError with the server's code. */
export type UnaryClient<D extends ServiceDefinition> = {
  readonly [K in keyof D as string extends K ? never : K]: UnaryCallOf<D[K]>;
};

export interface ServiceClient<D extends ServiceDefinition> {
  readonly call: UnaryClient<D>;
  /** Resolves when the channel is connected, rejects after `timeoutMs`. */
  waitForReady(timeoutMs: number): Promise<void>;
  close(): void;
}

/**
 * A typed client for a Parley gRPC service over mutual TLS; every call carries a deadline.
 *
 * @example
 * const auth = createServiceClient(protos.auth.AuthService.service, 'auth:50051', { tls, server: 'auth', deadlineMs: 3000 });
 * const session = await auth.call.AuthorizeSession({ sessionToken });
 */
export function createServiceClient<D extends ServiceDefinition>(
  definition: D,
  address: string,
  options: ClientOptions,
): ServiceClient<D> {
  const { tls, server, deadlineMs: defaultDeadlineMs = 5000 } = options;
  const secure = clientCredentials(tls, server);
  const client = new Client(address, secure.credentials, secure.options);
  const call = {} as Record<string, unknown>;
  const peer = serverAttributes(address);
  for (const [name, method] of Object.entries(definition) as [string, MethodDefinition<unknown, unknown>][]) {
    const attributes = { ...rpcAttributes(method.path), ...peer };
    call[name] = (request: unknown, callOptions: CallParameters = {}) =>
      new Promise((resolve, reject) => {
        const relative = Date.now() + (callOptions.deadlineMs ?? defaultDeadlineMs);
        const grpcOptions: CallOptions = { deadline: Math.min(relative, callOptions.deadline ?? relative) };
        const { signal } = callOptions;
        const cancel = () => unary.cancel();
        // One client span per call; the server continues it (docs/operations.md, "Tracing").
        const span = openSpan(method.path.slice(1), { kind: 'client', attributes });
        const unary = client.makeUnaryRequest(
          method.path,
          method.requestSerialize,
          method.responseDeserialize,
          request,
          span.run(() => withTraceparent(callOptions.metadata ?? new Metadata())),
          grpcOptions,
          (error: ServiceError | null, response?: unknown) => {
            signal?.removeEventListener('abort', cancel);
            span.span.setAttribute('rpc.grpc.status_code', error ? error.code : 0);
            if (error) {
              const failure = fromServiceError(error, method.path);
              span.end(failure);
              reject(failure);
            } else {
              span.end();
              resolve(response);
            }
          },
        );
        if (signal?.aborted) cancel();
        else signal?.addEventListener('abort', cancel, { once: true });
      });
  }
  return {
    call: call as UnaryClient<D>,
    waitForReady: (timeoutMs) =>
      new Promise((resolve, reject) =>
        client.waitForReady(Date.now() + timeoutMs, (error) => (error ? reject(error) : resolve())),
      ),
    close: () => client.close(),
  };
}

/** server.address and server.port of a `host:port` target, for the client spans. */
function serverAttributes(address: string): Record<string, string | number> {
  const match = /^(?:dns:(?:\/\/[^/]*\/)?)?(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(address);
  if (!match) return {};
  const [, host = '', port] = match;
  return { 'server.address': host, ...(port ? { 'server.port': Number(port) } : {}) };
}

/**
 * A client of another Parley service as a lifecycle component: ready once its channel connects
 * (calls before then fail with a clear code), closed on stop.
 *
 * @example
 * components: [clientComponent('auth', auth, logger)]
 */
export function clientComponent(
  name: string,
  client: { waitForReady(timeoutMs: number): Promise<void>; close(): void },
  logger: { error(fields: object, message: string): void },
) {
  let ready = false;
  return {
    name,
    async start() {
      client.waitForReady(60_000).then(
        () => {
          ready = true;
        },
        (error: unknown) => logger.error({ err: error, service: name }, 'service not reachable'),
      );
    },
    async stop() {
      client.close();
    },
    isReady: () => ready,
  };
}
