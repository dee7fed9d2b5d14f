import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { type ChannelCredentials, credentials, experimental, type ServerCredentials } from '@grpc/grpc-js';
import { ParleyError } from '@parley/errors';
import { identityOfCertificate, type ServiceIdentity, spiffeIdOf } from './service-identity.js';

/** The PEM files of a service's mutual TLS (libs/config `grpcTlsEnv`). */
export interface GrpcTlsConfig {
  readonly GRPC_TLS_CA_FILE: string;
  readonly GRPC_TLS_CERT_FILE: string;
  readonly GRPC_TLS_KEY_FILE: string;
}

/** A service's mutual TLS material, read and checked once at start. */
export interface GrpcTls {
  /** The CA (or bundle) every peer's certificate must chain to. */
  readonly ca: Buffer;
  readonly cert: Buffer;
  readonly key: Buffer;
  /** The service this certificate names (its URI SAN). */
  readonly identity: ServiceIdentity;
}

/**
 * Reads the CA, certificate and key of `service` and checks that they belong together: the key is
 * the certificate's, and the certificate names `service` (a pod given another service's
 * certificate refuses to start rather than act as that service).
 *
 * @example
 * const tls = loadGrpcTls(config, 'auth');
 */
export function loadGrpcTls(config: GrpcTlsConfig, service: ServiceIdentity): GrpcTls {
  const ca = readFileSync(config.GRPC_TLS_CA_FILE);
  const cert = readFileSync(config.GRPC_TLS_CERT_FILE);
  const key = readFileSync(config.GRPC_TLS_KEY_FILE);
  const leaf = new X509Certificate(cert);
  const invalid = (message: string) =>
    new ParleyError('invalid_config', `invalid configuration: ${message}`, {
      context: { variables: ['GRPC_TLS_CERT_FILE', 'GRPC_TLS_KEY_FILE'] },
    });
  if (!leaf.checkPrivateKey(createPrivateKey(key)))
    throw invalid('GRPC_TLS_KEY_FILE is not the key of the certificate in GRPC_TLS_CERT_FILE');
  const identity = identityOfCertificate(leaf.subjectAltName);
  if (identity !== service) {
    throw invalid(
      `GRPC_TLS_CERT_FILE names ${identity ? spiffeIdOf(identity) : 'no Parley service'}, not ${spiffeIdOf(service)}`,
    );
  }
  return { ca, cert, key, identity };
}

/**
 * Server credentials that ask every client for a certificate of the CA but leave the verdict to the
 * call: a client without one (or with another CA's) reaches the authorization step and is refused
 * there with UNAUTHENTICATED and the Parley code, logged, counted and audited — with
 * `ServerCredentials.createSsl(…, true)` it would be cut off in the handshake, unseen by the
 * server and, to the caller, indistinguishable from a network failure. No handler runs for it.
 */
export function serverCredentials(tls: GrpcTls): ServerCredentials {
  // Delivered after the server has subscribed (grpc-js subscribes after asking for the first value).
  const provider: experimental.CertificateProvider = {
    addCaCertificateListener: (listener) => queueMicrotask(() => listener({ caCertificate: tls.ca })),
    removeCaCertificateListener: () => {},
    addIdentityCertificateListener: (listener) =>
      queueMicrotask(() => listener({ certificate: tls.cert, privateKey: tls.key })),
    removeIdentityCertificateListener: () => {},
  };
  return experimental.createCertificateProviderServerCredentials(provider, provider, false);
}

/**
 * Client credentials presenting this service's certificate and accepting only a server whose
 * certificate, signed by the CA, names `server` (its URI SAN; host names are not what identifies
 * a Parley service, so any address of it works).
 */
export function clientCredentials(
  tls: GrpcTls,
  server: ServiceIdentity,
): { credentials: ChannelCredentials; options: Record<string, string> } {
  const expected = spiffeIdOf(server);
  return {
    credentials: credentials.createSsl(tls.ca, tls.key, tls.cert, {
      checkServerIdentity: (_host, certificate) => {
        const named = identityOfCertificate(certificate.subjectaltname);
        if (named === server) return undefined;
        return new Error(
          `the server's certificate names ${named ? spiffeIdOf(named) : 'no Parley service'}, not ${expected}`,
        );
      },
    }),
    // The TLS server name (SNI) is the service's name, never an IP address (RFC 6066).
    options: { 'grpc.ssl_target_name_override': server },
  };
}
