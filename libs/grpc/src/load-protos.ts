import { fileURLToPath } from 'node:url';
import { loadPackageDefinition } from '@grpc/grpc-js';
import { loadSync, type Options } from '@grpc/proto-loader';
import type { ProtoGrpcType as AuthProto } from './generated/auth.js';
import type { ProtoGrpcType as HistoryProto } from './generated/history.js';
import type { ProtoGrpcType as IntegrationsProto } from './generated/integrations.js';

/** The repository's `proto/` folder (from `src/` and `dist/` alike); images copy it beside `libs/`. */
export const protoRoot = fileURLToPath(new URL('../../../proto/', import.meta.url));

/** Must match the flags of scripts/generate-types.mjs, or the generated types lie. */
export const protoLoaderOptions: Options = Object.freeze({
  keepCase: false,
  longs: Number,
  enums: String,
  defaults: true,
  oneofs: true,
  includeDirs: [protoRoot],
});

export interface ParleyProtos {
  readonly auth: AuthProto['parley']['auth']['v1'];
  readonly history: HistoryProto['parley']['history']['v1'];
  readonly integrations: IntegrationsProto['parley']['integrations']['v1'];
}

/**
 * Loads Parley's protos; the service constructors carry their typed `service` definitions.
 *
 * @example
 * const { auth } = loadParleyProtos();
 * const client = createServiceClient(auth.AuthService, 'auth:50051');
 */
export function loadParleyProtos(): ParleyProtos {
  const definition = loadSync(
    [
      'parley/auth/v1/auth.proto',
      'parley/history/v1/history.proto',
      'parley/integrations/v1/integrations.proto',
    ],
    protoLoaderOptions,
  );
  const loaded = loadPackageDefinition(definition) as unknown as AuthProto & HistoryProto & IntegrationsProto;
  return {
    auth: loaded.parley.auth.v1,
    history: loaded.parley.history.v1,
    integrations: loaded.parley.integrations.v1,
  };
}
