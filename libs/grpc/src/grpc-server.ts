import { Server, type ServiceDefinition, type UntypedServiceImplementation } from '@grpc/grpc-js';
import type { Logger } from '@parley/logger';
import { HealthImplementation } from 'grpc-health-check';
import { Counter, type Registry } from 'prom-client';
import { authorizeCalls, callerTable, type RefusedCall } from './call-authorization.js';
import { type GrpcTls, serverCredentials } from './grpc-tls.js';
import type { ServiceIdentity } from './service-identity.js';

export interface GrpcServerOptions {
  /** `host:port`; port 0 picks a free one. */
  readonly address: string;
  readonly services: readonly {
    readonly name: string;
    readonly definition: ServiceDefinition;
    readonly implementation: UntypedServiceImplementation;
    /** Who may call each method (the service's `MethodCallers` table); an undeclared method refuses everyone. */
    readonly callers: Readonly<Record<string, readonly ServiceIdentity[]>>;
  }[];
  /** This service's mutual TLS (`loadGrpcTls`): mandatory, there is no plaintext server. */
  readonly tls: GrpcTls;
  readonly logger: Logger;
  /** Counts refused calls (`parley_grpc_calls_refused_total`) when given. */
  readonly registry?: Registry;
  /** Hears of every refused call after it was logged and counted (auth audits them). */
  readonly onRefusal?: (refusal: RefusedCall) => void;
  readonly maxReceiveMessageBytes?: number;
}

export interface GrpcServer {
  /** `host:port` actually bound. */
  readonly address: string;
  /** Marks every service NOT_SERVING in the gRPC health service (clients move away before close). */
  drain(): void;
  /** Waits for in-flight calls up to `graceMs`, then cancels what is left. */
  close(graceMs?: number): Promise<void>;
}

/**
 * A gRPC server with Parley's services and the standard `grpc.health.v1.Health` service, on
 * mutual TLS only; each call is authorized by its caller's certificate before any handler runs
 * (docs/service-identity.md).
 *
 * @example
 * const server = await startGrpcServer({ address: '0.0.0.0:50051', tls: loadGrpcTls(config, 'auth'), logger,
 *   services: [{ name: 'parley.auth.v1.AuthService', definition, implementation, callers: authServiceCallers }] });
 */
export async function startGrpcServer(options: GrpcServerOptions): Promise<GrpcServer> {
  const {
    address,
    services,
    tls,
    logger,
    registry,
    onRefusal,
    maxReceiveMessageBytes = 1024 * 1024,
  } = options;
  const refused = registry
    ? new Counter({
        name: 'parley_grpc_calls_refused_total',
        help: 'gRPC calls refused for who made them (method table or handler), by method, code and the caller’s proven identity.',
        labelNames: ['method', 'code', 'caller'],
        registers: [registry],
      })
    : undefined;
  // One log line per method, code and caller a minute (with how many were refused since the last
  // line): a flood of refused calls shows in the log without filling it; the metric counts each.
  const lastLogged = new Map<string, { at: number; suppressed: number }>();
  const refusal = (call: RefusedCall) => {
    const caller = call.caller ?? 'none';
    const key = `${call.method}|${call.code}|${caller}`;
    const now = Date.now();
    const seen = lastLogged.get(key);
    if (!seen || now - seen.at >= 60_000) {
      if (lastLogged.size >= 1000) lastLogged.clear();
      const suppressed = seen?.suppressed ?? 0;
      logger.warn(
        {
          grpcMethod: call.method,
          code: call.code,
          caller,
          peer: call.peer,
          refusedSinceLastLog: suppressed,
        },
        'gRPC call refused',
      );
      lastLogged.set(key, { at: now, suppressed: 0 });
    } else {
      seen.suppressed += 1;
    }
    refused?.inc({ method: call.method, code: call.code, caller });
    onRefusal?.(call);
  };
  const server = new Server({
    'grpc.max_receive_message_length': maxReceiveMessageBytes,
    interceptors: [authorizeCalls(callerTable(services), refusal)],
  });
  const health = new HealthImplementation({
    '': 'SERVING',
    ...Object.fromEntries(services.map(({ name }) => [name, 'SERVING'])),
  });
  health.addToServer(server);
  for (const { definition, implementation } of services) server.addService(definition, implementation);

  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(address, serverCredentials(tls), (error, boundPort) =>
      error ? reject(error) : resolve(boundPort),
    );
  });
  const host = address.slice(0, address.lastIndexOf(':'));
  const bound = `${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`;
  logger.info({ address: bound, identity: tls.identity }, 'gRPC server listening (mutual TLS)');

  return {
    address: bound,
    drain() {
      for (const name of ['', ...services.map((service) => service.name)])
        health.setStatus(name, 'NOT_SERVING');
    },
    close: (graceMs = 10000) =>
      new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, graceMs);
        server.tryShutdown(() => {
          clearTimeout(timer);
          resolve();
        });
      }),
  };
}

/**
 * The gRPC server as a lifecycle component: bound on start; on stop marked NOT_SERVING, then
 * closed after in-flight calls finish (up to `graceMs`).
 */
export function createGrpcServerComponent(
  options: Omit<GrpcServerOptions, 'services'> & {
    /** The services, or a function giving them at start (when the stores they use are connected). */
    services: GrpcServerOptions['services'] | (() => GrpcServerOptions['services']);
    graceMs?: number;
  },
) {
  let server: GrpcServer | undefined;
  return {
    name: 'grpc',
    async start() {
      const services = typeof options.services === 'function' ? options.services() : options.services;
      server = await startGrpcServer({ ...options, services });
    },
    async stop() {
      server?.drain();
      await server?.close(options.graceMs);
      server = undefined;
    },
    /** `host:port` bound; only after start. */
    address(): string {
      if (!server) throw new Error('gRPC server not started');
      return server.address;
    },
  };
}
