export { decideCall, type MethodCallers, type RefusedCall } from './call-authorization.js';
export type { AuthServiceClient, AuthServiceDefinition } from './generated/parley/auth/v1/AuthService.js';
export type { HistoryServiceDefinition } from './generated/parley/history/v1/HistoryService.js';
export type { IntegrationsServiceDefinition } from './generated/parley/integrations/v1/IntegrationsService.js';
export {
  createGrpcServerComponent,
  type GrpcServer,
  type GrpcServerOptions,
  startGrpcServer,
} from './grpc-server.js';
export { type GrpcTls, type GrpcTlsConfig, loadGrpcTls } from './grpc-tls.js';
export { loadParleyProtos, type ParleyProtos, protoLoaderOptions, protoRoot } from './load-protos.js';
export { type CallContext, implementService, type UnaryImplementation } from './server-handlers.js';
export {
  type CallParameters,
  type ClientOptions,
  clientComponent,
  createServiceClient,
  type ServiceClient,
  type UnaryClient,
} from './service-client.js';
export { type ServiceIdentity, serviceIdentities } from './service-identity.js';
export { errorCodeTrailer, fromServiceError, refusedCallTrailer, toServiceError } from './status-mapping.js';
export { fromStruct, toStruct } from './struct-values.js';
export { traceContextOf, withTraceparent } from './trace-metadata.js';
export { withoutUnsetFields } from './unset-fields.js';
