import { createGrpcServerComponent } from '@parley/grpc';
import type { Logger } from '@parley/logger';
import { createMongoComponent } from '@parley/mongo';
import { composeService, createMetricsRegistry } from '@parley/ops';
import { authIndexes } from './adapters/auth-indexes.js';
import type { AuthConfig } from './config.js';

export interface AuthDeps {
  readonly config: AuthConfig;
  readonly logger: Logger;
  readonly version: string;
}

/** The auth service: its MongoDB database and the gRPC server (health for now; AuthService arrives with the auth issue). */
export function createApp({ config, logger, version }: AuthDeps) {
  const registry = createMetricsRegistry({ service: 'auth', version });
  const store = createMongoComponent({
    url: config.MONGO_URL,
    database: config.MONGO_DATABASE,
    appName: 'parley-auth',
    indexes: authIndexes,
    logger,
  });
  const grpc = createGrpcServerComponent({
    address: `${config.BIND_HOST}:${config.GRPC_PORT}`,
    services: [],
    logger,
  });
  const service = composeService({
    logger,
    registry,
    opsPort: config.OPS_PORT,
    bindHost: config.BIND_HOST,
    components: [store, grpc],
  });
  return { ...service, grpcAddress: () => grpc.address(), db: () => store.db() };
}
