import {
  Server,
  ServerCredentials,
  type ServiceDefinition,
  type UntypedServiceImplementation,
} from '@grpc/grpc-js';
import type { Logger } from '@parley/logger';
import { HealthImplementation } from 'grpc-health-check';

export interface GrpcServerOptions {
  /** `host:port`; port 0 picks a free one. */
  readonly address: string;
  readonly services: readonly {
    readonly name: string;
    readonly definition: ServiceDefinition;
    readonly implementation: UntypedServiceImplementation;
  }[];
  readonly logger: Logger;
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
 * A gRPC server with Parley's services and the standard `grpc.health.v1.Health` service.
 *
 * @example
 * const server = await startGrpcServer({ address: '0.0.0.0:50051', logger, services: [{ name: 'parley.auth.v1.AuthService', definition, implementation }] });
 */
export async function startGrpcServer(options: GrpcServerOptions): Promise<GrpcServer> {
  const { address, services, logger, maxReceiveMessageBytes = 1024 * 1024 } = options;
  const server = new Server({ 'grpc.max_receive_message_length': maxReceiveMessageBytes });
  const health = new HealthImplementation({
    '': 'SERVING',
    ...Object.fromEntries(services.map(({ name }) => [name, 'SERVING'])),
  });
  health.addToServer(server);
  for (const { definition, implementation } of services) server.addService(definition, implementation);

  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(address, ServerCredentials.createInsecure(), (error, boundPort) =>
      error ? reject(error) : resolve(boundPort),
    );
  });
  const host = address.slice(0, address.lastIndexOf(':'));
  const bound = `${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`;
  logger.info({ address: bound }, 'gRPC server listening');

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
