/** The Parley services that serve or call gRPC; each has one certificate naming it. */
export const serviceIdentities = ['auth', 'history', 'integrations', 'enrichment', 'ingress'] as const;

export type ServiceIdentity = (typeof serviceIdentities)[number];

/** The SPIFFE trust domain of Parley's service certificates. */
export const trustDomain = 'parley.local';

const spiffeUri = /^URI:spiffe:\/\/parley\.local\/([a-z]+)$/;

/**
 * `spiffe://parley.local/<service>`, the URI SAN of a service's certificate.
 *
 * @example
 * spiffeIdOf('ingress'); // 'spiffe://parley.local/ingress'
 */
export function spiffeIdOf(service: ServiceIdentity): string {
  return `spiffe://${trustDomain}/${service}`;
}

function isServiceIdentity(value: unknown): value is ServiceIdentity {
  return typeof value === 'string' && (serviceIdentities as readonly string[]).includes(value);
}

/**
 * The Parley service a certificate names, from its subject alternative names as Node prints them
 * (`URI:spiffe://parley.local/ingress, DNS:ingress, …`). As in SPIFFE X.509-SVIDs, the identity is
 * the one URI SAN: a certificate with no URI SAN, several, one of another trust domain or of an
 * unknown service names none. Node quotes a value holding a separator (`URI:"a, DNS:b"`); such an
 * entry matches nothing, so a crafted SAN cannot smuggle an identity in.
 *
 * @example
 * identityOfCertificate(call.getAuthContext().sslPeerCertificate?.subjectaltname); // 'ingress' | undefined
 */
export function identityOfCertificate(subjectAltName: string | undefined): ServiceIdentity | undefined {
  if (!subjectAltName) return undefined;
  const uris = subjectAltName.split(', ').filter((entry) => entry.startsWith('URI:'));
  if (uris.length !== 1) return undefined;
  const service = spiffeUri.exec(uris[0] as string)?.[1];
  return isServiceIdentity(service) ? service : undefined;
}
