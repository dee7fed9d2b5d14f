import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ensureDevCertificates, grpcServices } from '../../scripts/infra/certs.mjs';

const day = 86_400_000;

describe('the dev PKI of gRPC mutual TLS (scripts/infra/certs.mjs)', () => {
  const dir = join(mkdtempSync(join(tmpdir(), 'parley-pki-')), 'grpc-tls');
  const contents = (paths: Awaited<ReturnType<typeof ensureDevCertificates>>): Record<string, string> => ({
    ca: readFileSync(paths.ca, 'utf8'),
    ...Object.fromEntries(
      grpcServices.map((service) => [service, readFileSync(paths.services[service].cert, 'utf8')]),
    ),
  });

  it('makes a CA and a certificate per service with its SPIFFE identity, keys readable by the owner only', async () => {
    const paths = await ensureDevCertificates({ dir });
    const ca = new X509Certificate(readFileSync(paths.ca));
    expect(ca.ca).toBe(true);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    for (const service of grpcServices) {
      const { cert, key } = paths.services[service];
      const certificate = new X509Certificate(readFileSync(cert));
      expect(certificate.subjectAltName).toBe(
        `URI:spiffe://parley.local/${service}, DNS:${service}, DNS:localhost, IP Address:127.0.0.1`,
      );
      expect(certificate.checkIssued(ca) && certificate.verify(ca.publicKey)).toBe(true);
      expect(certificate.ca).toBe(false);
      expect(statSync(key).mode & 0o777).toBe(0o600);
    }
    expect(statSync(join(dir, 'ca.key')).mode & 0o777).toBe(0o600);
  });

  it('reuses valid files, and renews what is damaged or close to expiry', async () => {
    const first = contents(await ensureDevCertificates({ dir }));
    expect(contents(await ensureDevCertificates({ dir }))).toEqual(first);

    writeFileSync(join(dir, 'history.crt'), 'not a certificate');
    const repaired = contents(await ensureDevCertificates({ dir }));
    expect(repaired.history).not.toBe(first.history);
    expect({ ...repaired, history: first.history }).toEqual(first);

    // 80 days on, the 90-day service certificates are within the renewal window; the CA is not.
    const later = contents(await ensureDevCertificates({ dir, now: new Date(Date.now() + 80 * day) }));
    expect(later.ca).toBe(first.ca);
    for (const service of grpcServices) expect(later[service]).not.toBe(repaired[service]);

    // Close to the CA's expiry everything is made again, the service certificates by the new CA.
    const renewed = await ensureDevCertificates({ dir, now: new Date(Date.now() + 360 * day) });
    const ca = new X509Certificate(readFileSync(renewed.ca));
    expect(ca.toString()).not.toBe(first.ca);
    expect(new X509Certificate(readFileSync(renewed.services.auth.cert)).checkIssued(ca)).toBe(true);
  });
});
