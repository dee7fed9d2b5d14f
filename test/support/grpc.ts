import {
  type AuthServiceDefinition,
  type ClientOptions,
  createServiceClient,
  type GrpcTls,
  type GrpcTlsConfig,
  type HistoryServiceDefinition,
  loadGrpcTls,
  loadParleyProtos,
  type ServiceClient,
  type ServiceIdentity,
} from '@parley/grpc';
import { testInfra } from './harness.js';

/** The gRPC mutual TLS variables of `service`: the dev CA and its own certificate and key. */
// A type literal (not the interface), so it spreads into a service's Record<string, string> env.
export function grpcTlsEnv(service: ServiceIdentity): { [K in keyof GrpcTlsConfig]: string } {
  const { ca, services } = testInfra().grpcTls;
  return {
    GRPC_TLS_CA_FILE: ca,
    GRPC_TLS_CERT_FILE: services[service].cert,
    GRPC_TLS_KEY_FILE: services[service].key,
  };
}

/** `service`'s certificate of the dev PKI, for a test that plays that service. */
export function grpcTlsOf(service: ServiceIdentity): GrpcTls {
  return loadGrpcTls(grpcTlsEnv(service), service);
}

type Options = Omit<ClientOptions, 'tls' | 'server'> & { readonly as?: ServiceIdentity };

/**
 * A client of auth at `address`, connecting as `as` (ingress unless told: the service that calls
 * every auth method).
 */
export function authClient(address: string, { as = 'ingress', ...options }: Options = {}) {
  return createServiceClient(loadParleyProtos().auth.AuthService.service, address, {
    ...options,
    tls: grpcTlsOf(as),
    server: 'auth',
  }) as ServiceClient<AuthServiceDefinition>;
}

/** A client of history at `address`, connecting as `as` (ingress unless told, its only caller). */
export function historyClient(address: string, { as = 'ingress', ...options }: Options = {}) {
  return createServiceClient(loadParleyProtos().history.HistoryService.service, address, {
    ...options,
    tls: grpcTlsOf(as),
    server: 'history',
  }) as ServiceClient<HistoryServiceDefinition>;
}
