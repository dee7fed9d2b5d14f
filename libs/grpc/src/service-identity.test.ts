import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ensureDevCertificates, issueServiceCertificate } from '../../../scripts/infra/certs.mjs';
import { loadGrpcTls } from './grpc-tls.js';
import { identityOfCertificate, spiffeIdOf } from './service-identity.js';

describe('identityOfCertificate', () => {
  it('reads the service from the one spiffe://parley.local URI SAN', () => {
    expect(
      identityOfCertificate(
        'URI:spiffe://parley.local/ingress, DNS:ingress, DNS:localhost, IP Address:127.0.0.1',
      ),
    ).toBe('ingress');
    expect(identityOfCertificate('DNS:auth, URI:spiffe://parley.local/auth')).toBe('auth');
    expect(spiffeIdOf('enrichment')).toBe('spiffe://parley.local/enrichment');
  });

  it.each([
    ['no SANs', undefined],
    ['empty SANs', ''],
    ['DNS names only', 'DNS:ingress, DNS:localhost'],
    ['another trust domain', 'URI:spiffe://example.org/ingress'],
    ['an unknown service', 'URI:spiffe://parley.local/billing'],
    ['a longer path', 'URI:spiffe://parley.local/ingress/admin'],
    ['another scheme', 'URI:https://parley.local/ingress'],
    ['two URI SANs', 'URI:spiffe://parley.local/ingress, URI:spiffe://parley.local/auth'],
    ['a quoted value hiding a separator', 'URI:"spiffe://parley.local/ingress, DNS:x"'],
    ['a quoted value after a real one', 'URI:"x, URI:spiffe://parley.local/ingress"'],
  ])('names no service for %s', (_case, subjectAltName) => {
    expect(identityOfCertificate(subjectAltName)).toBeUndefined();
  });

  it('reads the identity of the dev PKI’s certificates as Node prints their SANs', async () => {
    const pki = await ensureDevCertificates({ dir: mkdtempSync(join(tmpdir(), 'parley-identity-')) });
    for (const service of ['auth', 'history', 'integrations', 'enrichment', 'ingress'] as const) {
      const cert = new X509Certificate(readFileSync(pki.services[service].cert));
      expect(identityOfCertificate(cert.subjectAltName)).toBe(service);
    }
  });
});

describe('loadGrpcTls', () => {
  it('refuses a certificate of another service, and a key that is not the certificate’s', async () => {
    const pki = await ensureDevCertificates({ dir: mkdtempSync(join(tmpdir(), 'parley-tls-')) });
    const files = (cert: string, key: string) => ({
      GRPC_TLS_CA_FILE: pki.ca,
      GRPC_TLS_CERT_FILE: cert,
      GRPC_TLS_KEY_FILE: key,
    });
    const { auth, history } = pki.services;
    expect(loadGrpcTls(files(auth.cert, auth.key), 'auth')).toMatchObject({ identity: 'auth' });
    expect(() => loadGrpcTls(files(history.cert, history.key), 'auth')).toThrow(
      expect.objectContaining({
        code: 'invalid_config',
        message: expect.stringContaining(
          'names spiffe://parley.local/history, not spiffe://parley.local/auth',
        ),
      }),
    );
    expect(() => loadGrpcTls(files(auth.cert, history.key), 'auth')).toThrow(
      expect.objectContaining({
        code: 'invalid_config',
        message: expect.stringContaining('GRPC_TLS_KEY_FILE'),
      }),
    );
  });

  it('refuses a certificate without a Parley identity', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'parley-tls-'));
    const pki = await ensureDevCertificates({ dir });
    const ca = { certPem: readFileSync(pki.ca, 'utf8'), keyPem: readFileSync(join(dir, 'ca.key'), 'utf8') };
    const other = await issueServiceCertificate({ service: 'billing', ca });
    writeFileSync(join(dir, 'billing.crt'), other.certPem);
    writeFileSync(join(dir, 'billing.key'), other.keyPem);
    expect(() =>
      loadGrpcTls(
        {
          GRPC_TLS_CA_FILE: pki.ca,
          GRPC_TLS_CERT_FILE: join(dir, 'billing.crt'),
          GRPC_TLS_KEY_FILE: join(dir, 'billing.key'),
        },
        'ingress',
      ),
    ).toThrow(expect.objectContaining({ message: expect.stringContaining('names no Parley service') }));
  });
});
