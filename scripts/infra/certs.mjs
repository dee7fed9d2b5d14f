// @ts-check
// The development PKI of Parley's gRPC mutual TLS (docs/service-identity.md): one CA and, per
// service, a certificate whose URI SAN spiffe://parley.local/<service> is the service's identity,
// with DNS SANs <service> and localhost and the IP SAN 127.0.0.1. Made with @peculiar/x509 on
// Node's WebCrypto, so a fresh machine needs no openssl. Kept under the infrastructure data folder
// and reused while valid; renewed when close to expiry. Never for production (deploy/ mounts
// certificates issued by the cluster's CA).
import { createPrivateKey, randomBytes, webcrypto, X509Certificate } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
// @peculiar/x509 resolves its algorithms through tsyringe, which needs the Reflect metadata API.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(
  /** @type {Parameters<typeof x509.cryptoProvider.set>[0]} */ (/** @type {unknown} */ (webcrypto)),
);

/** Every Parley service that serves or calls gRPC, i.e. has an identity. */
export const grpcServices = /** @type {const} */ ([
  'auth',
  'history',
  'integrations',
  'enrichment',
  'ingress',
]);
/** @typedef {(typeof grpcServices)[number]} GrpcService */
/** @typedef {{ cert: string, key: string }} CertificateFiles paths of a PEM certificate and its PEM key */
/** @typedef {{ dir: string, ca: string, services: Record<GrpcService, CertificateFiles> }} DevCertificates */

export const trustDomain = 'parley.local';
const day = 86_400_000;
const algorithm = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };

/**
 * The dev CA and a certificate + key per service in `dir` (made, or reused while each has more than
 * `renewWithinDays` left). Callers serialise concurrent runs (ensureInfrastructure holds its lock).
 *
 * @example
 * const { ca, services } = await ensureDevCertificates({ dir: '.cache/infra/grpc-tls' });
 * // services.auth.cert, services.auth.key
 *
 * @param {{ dir: string, now?: Date, caDays?: number, serviceDays?: number, renewWithinDays?: number }} options
 * @returns {Promise<DevCertificates>}
 */
export async function ensureDevCertificates({
  dir,
  now = new Date(),
  caDays = 365,
  serviceDays = 90,
  renewWithinDays = 14,
}) {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const paths = devCertificatePaths(dir);
  const renewBefore = new Date(now.getTime() + renewWithinDays * day);

  let ca = readValid(paths.ca, paths.caKey, renewBefore);
  const renewAll = !ca;
  if (!ca) {
    ca = await createCa(now, caDays);
    writePem(paths.caKey, ca.keyPem, 0o600);
    writePem(paths.ca, ca.certPem, 0o644);
  }
  const caCert = new X509Certificate(ca.certPem);
  for (const service of grpcServices) {
    const files = paths.services[service];
    const current = renewAll ? undefined : readValid(files.cert, files.key, renewBefore);
    if (current && isServiceCertificate(new X509Certificate(current.certPem), service, caCert)) continue;
    const issued = await issueServiceCertificate({ service, ca, now, days: serviceDays });
    writePem(files.key, issued.keyPem, 0o600);
    writePem(files.cert, issued.certPem, 0o644);
  }
  return paths;
}

/**
 * A certificate and key for `service` signed by `ca` (a CA from `createCa`), as PEM text. Tests
 * use it for certificates the dev PKI does not hold (another CA's, an expired one).
 * @param {{ service: string, ca: { certPem: string, keyPem: string }, now?: Date, days?: number, notBefore?: Date }} options
 */
export async function issueServiceCertificate({ service, ca, now = new Date(), days = 90, notBefore }) {
  const issuer = new x509.X509Certificate(ca.certPem);
  const caKey = await webcrypto.subtle.importKey(
    'pkcs8',
    x509.PemConverter.decodeFirst(ca.keyPem),
    algorithm,
    false,
    ['sign'],
  );
  const keys = await webcrypto.subtle.generateKey(algorithm, true, ['sign', 'verify']);
  const start = notBefore ?? new Date(now.getTime() - 60_000);
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serialNumber(),
    subject: `CN=${service}, O=Parley development`,
    issuer: issuer.subject,
    notBefore: start,
    notAfter: new Date(start.getTime() + days * day),
    signingAlgorithm: algorithm,
    publicKey: keys.publicKey,
    signingKey: caKey,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([
        x509.ExtendedKeyUsage.serverAuth,
        x509.ExtendedKeyUsage.clientAuth,
      ]),
      new x509.SubjectAlternativeNameExtension([
        { type: 'url', value: `spiffe://${trustDomain}/${service}` },
        { type: 'dns', value: service },
        { type: 'dns', value: 'localhost' },
        { type: 'ip', value: '127.0.0.1' },
      ]),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(issuer),
    ],
  });
  return { certPem: cert.toString('pem'), keyPem: await privateKeyPem(keys.privateKey) };
}

/**
 * A new self-signed CA (PEM certificate and key).
 * @param {Date} [now] @param {number} [days] @param {string} [name]
 */
export async function createCa(now = new Date(), days = 365, name = 'Parley development CA') {
  const keys = await webcrypto.subtle.generateKey(algorithm, true, ['sign', 'verify']);
  const notBefore = new Date(now.getTime() - 60_000);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serialNumber(),
    name: `CN=${name}`,
    notBefore,
    notAfter: new Date(notBefore.getTime() + days * day),
    signingAlgorithm: algorithm,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { certPem: cert.toString('pem'), keyPem: await privateKeyPem(keys.privateKey) };
}

/** Where `ensureDevCertificates` keeps its files in `dir`. @param {string} dir @returns {DevCertificates & { caKey: string }} */
export function devCertificatePaths(dir) {
  const services = /** @type {Record<GrpcService, CertificateFiles>} */ (
    Object.fromEntries(
      grpcServices.map((service) => [
        service,
        { cert: join(dir, `${service}.crt`), key: join(dir, `${service}.key`) },
      ]),
    )
  );
  return { dir, ca: join(dir, 'ca.crt'), caKey: join(dir, 'ca.key'), services };
}

/**
 * The PEM files when both exist, parse, and the certificate is still valid at `renewBefore`.
 * @param {string} certFile @param {string} keyFile @param {Date} renewBefore
 */
function readValid(certFile, keyFile, renewBefore) {
  if (!existsSync(certFile) || !existsSync(keyFile)) return undefined;
  try {
    const certPem = readFileSync(certFile, 'utf8');
    const keyPem = readFileSync(keyFile, 'utf8');
    const cert = new X509Certificate(certPem);
    if (new Date(cert.validTo) <= renewBefore || new Date(cert.validFrom) > new Date()) return undefined;
    if (!cert.checkPrivateKey(createPrivateKey(keyPem))) return undefined;
    return { certPem, keyPem };
  } catch {
    return undefined;
  }
}

/** @param {X509Certificate} cert @param {string} service @param {X509Certificate} ca */
function isServiceCertificate(cert, service, ca) {
  return (
    cert.checkIssued(ca) &&
    cert.verify(ca.publicKey) &&
    (cert.subjectAltName ?? '').split(', ').includes(`URI:spiffe://${trustDomain}/${service}`)
  );
}

/** @param {import('node:crypto').webcrypto.CryptoKey} key */
async function privateKeyPem(key) {
  return x509.PemConverter.encode(await webcrypto.subtle.exportKey('pkcs8', key), 'PRIVATE KEY');
}

/** A positive 16-byte serial (RFC 5280 §4.1.2.2: at most 20 octets, not negative). */
function serialNumber() {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0] ?? 0) & 0x7f;
  return bytes.toString('hex');
}

/**
 * Writes `text` to `file` through a temporary file and a rename, so a reader never sees half a
 * certificate, with `mode` set even when the file existed.
 * @param {string} file @param {string} text @param {number} mode
 */
function writePem(file, text, mode) {
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, text.endsWith('\n') ? text : `${text}\n`, { mode });
  chmodSync(temporary, mode);
  renameSync(temporary, file);
}
