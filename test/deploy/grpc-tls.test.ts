import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { goDurationMs } from './support/cert-manager-schema.js';
import type {
  Certificate,
  Container,
  Deployment,
  Issuer,
  Job,
  K8sObject,
  PodSpec,
} from './support/k8s-types.js';
import { kafkaPrincipals } from './support/kafka-access.js';
import { mountedSecrets, secretFileAt } from './support/mounted-files.js';
import {
  kustomizeRoot,
  kustomizeTargets,
  named,
  ofKind,
  renderDirectory,
  renderTarget,
} from './support/render.js';
import { knownVariables, resolveContainerEnv, services } from './support/service-env.js';

const day = 86_400_000;
/** The services that serve or call gRPC: their config reads the mutual-TLS files. */
const grpcServices = services.filter((service) => knownVariables(service).includes('GRPC_TLS_CERT_FILE'));
const tlsFiles = { GRPC_TLS_CA_FILE: 'ca.crt', GRPC_TLS_CERT_FILE: 'tls.crt', GRPC_TLS_KEY_FILE: 'tls.key' };

function servicePod(objects: readonly K8sObject[], name: string): { pod: PodSpec; container: Container } {
  const pod = named<Deployment>(objects, 'Deployment', name).spec.template.spec;
  const container = pod.containers.find((candidate) => candidate.name === name);
  if (!container) throw new Error(`Deployment ${name} has no container ${name}`);
  return { pod, container };
}

describe('the services on gRPC', () => {
  it('are all five: every service serves or calls gRPC, over mutual TLS', () => {
    expect(grpcServices.map((service) => service.name).sort()).toEqual(
      ['auth', 'enrichment', 'history', 'ingress', 'integrations'].sort(),
    );
  });
});

describe.each(kustomizeTargets())('gRPC mutual TLS in %s', (target) => {
  const objects = renderTarget(target);
  const certificates = ofKind<Certificate>(objects, 'Certificate');
  const serviceCertificates = certificates.filter((certificate) => !certificate.spec.isCA);

  it.each(grpcServices.map((service) => [service.name] as const))(
    '%s has a Certificate naming its SPIFFE identity and the names it is dialled by',
    (name) => {
      const namespace = named<Deployment>(objects, 'Deployment', name).metadata.namespace;
      const { spec } = named<Certificate>(objects, 'Certificate', `parley-grpc-${name}`);
      expect(spec.secretName).toBe(`parley-grpc-${name}`);
      expect(spec.uris).toEqual([`spiffe://parley.local/${name}`]);
      expect(spec.dnsNames).toEqual([
        name,
        `${name}.${namespace}.svc`,
        `${name}.${namespace}.svc.cluster.local`,
      ]);
      expect([...(spec.usages ?? [])].sort()).toEqual(['client auth', 'digital signature', 'server auth']);
      expect(spec.privateKey).toMatchObject({ algorithm: 'ECDSA', size: 256, rotationPolicy: 'Always' });
      const duration = goDurationMs(spec.duration ?? '');
      const renewBefore = goDurationMs(spec.renewBefore ?? '');
      expect(duration, 'duration').toBeLessThanOrEqual(90 * day);
      // Renewed with time to spare for a rolling restart, also without Reloader.
      expect(renewBefore, 'renewBefore').toBeGreaterThanOrEqual(7 * day);
    },
  );

  it('issues no other service certificate, all from the Issuer of Parley’s CA', () => {
    expect(serviceCertificates.map((certificate) => certificate.metadata.name).sort()).toEqual(
      grpcServices.map((service) => `parley-grpc-${service.name}`).sort(),
    );
    for (const { spec, metadata } of serviceCertificates) {
      expect(spec.issuerRef, metadata.name).toEqual({
        group: 'cert-manager.io',
        kind: 'Issuer',
        name: 'parley-grpc-ca',
      });
    }
    expect(named<Issuer>(objects, 'Issuer', 'parley-grpc-ca').spec).toEqual({
      ca: { secretName: 'parley-grpc-ca' },
    });
  });

  it('makes the CA in the overlays, self-signed, renewed with its key before the services’ certificates need it', () => {
    const authorities = certificates.filter((certificate) => certificate.spec.isCA);
    if (target === 'base') {
      expect(authorities, 'the base leaves the CA to a component or to you').toEqual([]);
      return;
    }
    expect(authorities).toHaveLength(1);
    const [ca] = authorities as [Certificate];
    expect(ca.spec.secretName).toBe('parley-grpc-ca');
    const bootstrap = named<Issuer>(objects, 'Issuer', ca.spec.issuerRef.name);
    expect(bootstrap.spec).toEqual({ selfSigned: {} });
    // Same key on renewal: the services' certificates verify with the old and the new CA certificate.
    expect(ca.spec.privateKey?.rotationPolicy).toBe('Never');
    const caRenewBefore = goDurationMs(ca.spec.renewBefore ?? '');
    for (const { spec, metadata } of serviceCertificates) {
      const reissuedEvery = goDurationMs(spec.duration ?? '') - goDurationMs(spec.renewBefore ?? '');
      // Every Secret's ca.crt is refreshed while the CA certificate it holds is still valid.
      expect(caRenewBefore, metadata.name).toBeGreaterThan(reissuedEvery);
    }
  });

  it.each(grpcServices.map((service) => [service.name] as const))(
    '%s mounts its own certificate and key, read-only, where GRPC_TLS_* point, and no other',
    (name) => {
      const { pod, container } = servicePod(objects, name);
      const env = resolveContainerEnv(container, objects);
      for (const [variable, key] of Object.entries(tlsFiles)) {
        expect(env.sources[variable], variable).toMatch(/^configMap parley-grpc(-[a-z0-9]+)?$/);
        const file = secretFileAt(pod, container, env.values[variable] ?? '');
        expect(file, variable).toMatchObject({ secret: `parley-grpc-${name}`, key, readOnly: true });
        // Not world-readable: the pod's group (fsGroup) only.
        expect((file?.mode ?? 0o777) & 0o007, `${variable} mode`).toBe(0);
      }
      const grpcSecrets = mountedSecrets(pod).filter((secret) => secret.startsWith('parley-grpc-'));
      expect(grpcSecrets, 'no other identity, and never the CA key').toEqual([`parley-grpc-${name}`]);
    },
  );

  it('mounts no gRPC identity in the migration Jobs', () => {
    for (const job of ofKind<Job>(objects, 'Job'))
      expect(
        mountedSecrets(job.spec.template.spec).filter((secret) => secret.startsWith('parley-grpc')),
        job.metadata.name,
      ).toEqual([]);
  });

  it('covers every address a client dials with a DNS name of the server’s certificate', () => {
    let dialled = 0;
    for (const service of grpcServices) {
      const { container } = servicePod(objects, service.name);
      for (const [variable, value] of Object.entries(resolveContainerEnv(container, objects).values)) {
        const address = /^([A-Z0-9]+)_GRPC_ADDRESS$/.exec(variable)?.[1]?.toLowerCase();
        if (!address) continue;
        dialled += 1;
        const [host, port] = value.split(':');
        const server = servicePod(objects, address).container;
        expect(server.ports?.find((candidate) => candidate.name === 'grpc')?.containerPort, variable).toBe(
          Number(port),
        );
        expect(
          named<Certificate>(objects, 'Certificate', `parley-grpc-${address}`).spec.dnsNames,
          variable,
        ).toContain(host);
      }
    }
    expect(dialled).toBeGreaterThanOrEqual(4);
  });

  it.each(grpcServices.map((service) => [service.name] as const))(
    '%s restarts (with Reloader) when cert-manager or Strimzi rotates one of its Secrets',
    (name) => {
      const deployment = named<Deployment>(objects, 'Deployment', name);
      const principal = kafkaPrincipals.find((candidate) => candidate.service === name);
      const rotated = [
        `parley-grpc-${name}`,
        ...(principal ? [principal.user, 'parley-cluster-ca-cert'] : []),
      ];
      const annotation = deployment.metadata.annotations?.['secret.reloader.stakater.com/reload'] ?? '';
      expect(annotation.split(',').sort()).toEqual(rotated.sort());
    },
  );
});

describe('the trust bundle of a CA rotation (components/grpc-trust-bundle)', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'parley-trust-bundle-'));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));
  writeFileSync(
    join(scratch, 'kustomization.yaml'),
    [
      'apiVersion: kustomize.config.k8s.io/v1beta1',
      'kind: Kustomization',
      'resources:',
      `  - ${relative(scratch, join(kustomizeRoot, 'overlays/production'))}`,
      'components:',
      `  - ${relative(scratch, join(kustomizeRoot, 'components/grpc-trust-bundle'))}`,
      '',
    ].join('\n'),
  );
  const objects = renderDirectory(scratch);

  it.each(grpcServices.map((service) => [service.name] as const))(
    '%s then trusts the bundle, and still presents its own certificate',
    (name) => {
      const { pod, container } = servicePod(objects, name);
      const env = resolveContainerEnv(container, objects).values;
      expect(secretFileAt(pod, container, env.GRPC_TLS_CA_FILE ?? '')).toMatchObject({
        secret: 'parley-grpc-trust',
        key: 'ca.crt',
        readOnly: true,
      });
      expect(secretFileAt(pod, container, env.GRPC_TLS_CERT_FILE ?? '')?.secret).toBe(`parley-grpc-${name}`);
      expect(secretFileAt(pod, container, env.GRPC_TLS_KEY_FILE ?? '')?.secret).toBe(`parley-grpc-${name}`);
    },
  );
});
