import { describe, expect, it } from 'vitest';
import type { Deployment, Job, K8sObject, NetworkPolicy, PostgresCluster } from './support/k8s-types.js';
import { type Endpoint, isAllowed } from './support/network-policy.js';
import { kustomizeTargets, named, ofKind, renderTarget } from './support/render.js';

type Service = 'ingress' | 'auth' | 'enrichment' | 'history' | 'integrations';
const allServices = ['ingress', 'auth', 'enrichment', 'history', 'integrations'] as const;
const storeOwners = ['ingress', 'auth', 'history', 'integrations'] as const;
type PodEndpoint = Extract<Endpoint, { pod: string }>;

function servicePod(objects: readonly K8sObject[], name: Service): PodEndpoint {
  const deployment = named<Deployment>(objects, 'Deployment', name);
  const ports = Object.fromEntries(
    deployment.spec.template.spec.containers.flatMap((container) =>
      (container.ports ?? []).map((port) => [port.name ?? '', port.containerPort]),
    ),
  );
  return {
    pod: name,
    namespace: deployment.metadata.namespace ?? 'default',
    labels: deployment.spec.template.metadata.labels,
    ports,
  };
}

/** A migration Job's pod (`<service>-migrate`). */
function migrationPod(objects: readonly K8sObject[], service: (typeof storeOwners)[number]): PodEndpoint {
  const job = named<Job>(objects, 'Job', `${service}-migrate`);
  return {
    pod: `${service}-migrate-x7k2p`,
    namespace: job.metadata.namespace ?? 'default',
    labels: job.spec.template.metadata.labels,
  };
}

/**
 * Where PostgreSQL runs: the CloudNativePG Cluster's instances when the target has one
 * (components/cloudnative-pg), else a server in namespace `postgres` (the base).
 */
function postgresServer(objects: readonly K8sObject[]): PodEndpoint {
  const [cluster] = ofKind<PostgresCluster>(objects, 'Cluster');
  if (!cluster) return { pod: 'postgres-0', namespace: 'postgres', labels: { app: 'postgres' } };
  return {
    pod: `${cluster.metadata.name}-1`,
    namespace: cluster.metadata.namespace ?? 'default',
    labels: { 'cnpg.io/cluster': cluster.metadata.name, 'cnpg.io/instanceRole': 'primary', role: 'primary' },
  };
}

const outside = {
  ingressController: {
    pod: 'controller',
    namespace: 'ingress-nginx',
    labels: { 'app.kubernetes.io/name': 'ingress-nginx' },
  },
  prometheus: {
    pod: 'prometheus',
    namespace: 'monitoring',
    labels: { 'app.kubernetes.io/name': 'prometheus' },
  },
  dns: { pod: 'coredns', namespace: 'kube-system', labels: { 'k8s-app': 'kube-dns' } },
  kafka: { pod: 'parley-kafka-0', namespace: 'kafka', labels: { 'strimzi.io/cluster': 'parley' } },
  otherKafka: { pod: 'other-kafka-0', namespace: 'kafka', labels: { 'strimzi.io/cluster': 'other' } },
  otherPostgres: { pod: 'other-postgres-0', namespace: 'elsewhere', labels: { app: 'postgres' } },
  cnpgOperator: {
    pod: 'cnpg-controller-manager',
    namespace: 'cnpg-system',
    labels: { 'app.kubernetes.io/name': 'cloudnative-pg' },
  },
  kubernetesApi: { ip: '10.96.0.1' },
  objectStore: { ip: '198.51.100.20' },
  stranger: { pod: 'stranger', namespace: 'default', labels: { 'app.kubernetes.io/name': 'stranger' } },
  brand: { ip: '203.0.113.10' },
  webhook: { ip: '198.51.100.77' },
  privateHost: { ip: '10.20.30.40' },
  cloudMetadata: { ip: '169.254.169.254' },
} satisfies Record<string, Endpoint>;

describe.each(kustomizeTargets())('network policies of %s', (target) => {
  const objects = renderTarget(target);
  const policies = ofKind<NetworkPolicy>(objects, 'NetworkPolicy');
  const pod = (name: Service) => servicePod(objects, name);
  const allowed = (from: Endpoint, to: Endpoint, port: number, protocol: 'TCP' | 'UDP' = 'TCP') =>
    isAllowed(policies, { from, to, port, protocol });

  it('deny everything not allowed, in both directions', () => {
    const denyAll = policies.find(
      (policy) =>
        Object.keys(policy.spec.podSelector).length === 0 &&
        !policy.spec.ingress &&
        !policy.spec.egress &&
        ['Ingress', 'Egress'].every((type) => policy.spec.policyTypes?.includes(type as 'Ingress')),
    );
    expect(denyAll).toBeDefined();
    expect(allowed(outside.stranger, pod('ingress'), 9400)).toBe(false);
    expect(allowed(pod('history'), outside.stranger, 8080)).toBe(false);
  });

  it('let only ingress and enrichment call auth, on its gRPC port only', () => {
    expect(allowed(pod('ingress'), pod('auth'), 50051)).toBe(true);
    expect(allowed(pod('enrichment'), pod('auth'), 50051)).toBe(true);
    expect(allowed(pod('history'), pod('auth'), 50051)).toBe(false);
    expect(allowed(pod('integrations'), pod('auth'), 50051)).toBe(false);
    expect(allowed(outside.stranger, pod('auth'), 50051)).toBe(false);
    expect(allowed(outside.ingressController, pod('auth'), 50051)).toBe(false);
    expect(allowed(pod('ingress'), pod('auth'), 9401)).toBe(false);
    // auth's own ingress policies hold even if another pod's egress were opened wide.
    const admittedByAuth = (from: Endpoint) =>
      isAllowed(policies, { from, to: pod('auth'), port: 50051 }, 'ingress');
    expect(admittedByAuth(pod('ingress'))).toBe(true);
    expect(admittedByAuth(pod('enrichment'))).toBe(true);
    expect(admittedByAuth(pod('history'))).toBe(false);
    expect(admittedByAuth(outside.stranger)).toBe(false);
  });

  it('let only ingress call history', () => {
    expect(allowed(pod('ingress'), pod('history'), 50052)).toBe(true);
    expect(allowed(pod('enrichment'), pod('history'), 50052)).toBe(false);
    expect(allowed(pod('auth'), pod('history'), 50052)).toBe(false);
    expect(allowed(outside.stranger, pod('history'), 50052)).toBe(false);
    const admittedByHistory = (from: Endpoint) =>
      isAllowed(policies, { from, to: pod('history'), port: 50052 }, 'ingress');
    expect(admittedByHistory(pod('ingress'))).toBe(true);
    expect(admittedByHistory(pod('enrichment'))).toBe(false);
    expect(admittedByHistory(pod('auth'))).toBe(false);
  });

  it('let only ingress call integrations, on its gRPC port only', () => {
    expect(allowed(pod('ingress'), pod('integrations'), 50053)).toBe(true);
    for (const caller of ['auth', 'enrichment', 'history'] as const)
      expect(allowed(pod(caller), pod('integrations'), 50053), caller).toBe(false);
    expect(allowed(outside.stranger, pod('integrations'), 50053)).toBe(false);
    expect(allowed(outside.ingressController, pod('integrations'), 50053)).toBe(false);
    expect(allowed(pod('ingress'), pod('integrations'), 9404)).toBe(false);
    const admittedByIntegrations = (from: Endpoint) =>
      isAllowed(policies, { from, to: pod('integrations'), port: 50053 }, 'ingress');
    expect(admittedByIntegrations(pod('ingress'))).toBe(true);
    expect(admittedByIntegrations(pod('enrichment'))).toBe(false);
    expect(admittedByIntegrations(outside.stranger)).toBe(false);
    // integrations calls no other service.
    for (const callee of [
      ['auth', 50051],
      ['history', 50052],
    ] as const)
      expect(allowed(pod('integrations'), pod(callee[0]), callee[1]), callee[0]).toBe(false);
  });

  it('open the public API to the ingress controller only', () => {
    expect(allowed(outside.ingressController, pod('ingress'), 8080)).toBe(true);
    expect(allowed(outside.stranger, pod('ingress'), 8080)).toBe(false);
    expect(allowed(outside.ingressController, pod('ingress'), 9400)).toBe(false);
  });

  it('let the monitoring namespace scrape every ops port, and nothing else there', () => {
    for (const [service, port] of [
      ['ingress', 9400],
      ['auth', 9401],
      ['enrichment', 9402],
      ['history', 9403],
      ['integrations', 9404],
    ] as const) {
      expect(allowed(outside.prometheus, pod(service), port), service).toBe(true);
      expect(allowed(outside.stranger, pod(service), port), service).toBe(false);
    }
    expect(allowed(outside.prometheus, pod('auth'), 50051)).toBe(false);
  });

  it('let every service resolve names, and reach Kafka’s SCRAM-over-TLS listener only if it uses it', () => {
    for (const service of allServices) {
      expect(allowed(pod(service), outside.dns, 53, 'UDP'), service).toBe(true);
      expect(allowed(pod(service), outside.dns, 53, 'TCP'), service).toBe(true);
    }
    for (const service of ['ingress', 'enrichment', 'history', 'integrations'] as const) {
      expect(allowed(pod(service), outside.kafka, 9094), service).toBe(true);
      expect(allowed(pod(service), outside.kafka, 9092), `${service} plaintext listener`).toBe(false);
      expect(allowed(pod(service), outside.otherKafka, 9094), service).toBe(false);
    }
    expect(allowed(pod('auth'), outside.kafka, 9094)).toBe(false);
  });

  it('let only the services with a store, and their migration Jobs, reach PostgreSQL', () => {
    const postgres = postgresServer(objects);
    for (const service of storeOwners) {
      for (const client of [pod(service), migrationPod(objects, service)]) {
        expect(allowed(client, postgres, 5432), client.pod).toBe(true);
        expect(allowed(client, postgres, 8000), client.pod).toBe(false);
        expect(allowed(client, outside.otherPostgres, 5432), client.pod).toBe(false);
      }
    }
    expect(allowed(pod('enrichment'), postgres, 5432)).toBe(false);
  });

  it('let only auth and enrichment call brands: https, public addresses only', () => {
    for (const service of ['auth', 'enrichment'] as const) {
      expect(allowed(pod(service), outside.brand, 443), service).toBe(true);
      expect(allowed(pod(service), outside.brand, 80), service).toBe(false);
      expect(allowed(pod(service), outside.privateHost, 443), service).toBe(false);
      expect(allowed(pod(service), outside.cloudMetadata, 443), service).toBe(false);
    }
    for (const service of ['ingress', 'history'] as const) {
      expect(allowed(pod(service), outside.brand, 443), service).toBe(false);
    }
  });

  it('let integrations call tenants’ webhooks: https, public addresses only', () => {
    expect(allowed(pod('integrations'), outside.webhook, 443)).toBe(true);
    expect(allowed(pod('integrations'), outside.webhook, 80)).toBe(false);
    expect(allowed(pod('integrations'), outside.privateHost, 443)).toBe(false);
    expect(allowed(pod('integrations'), outside.cloudMetadata, 443)).toBe(false);
    expect(allowed(pod('integrations'), outside.kubernetesApi, 443)).toBe(false);
  });
});

const withCluster = kustomizeTargets().filter((target) =>
  renderTarget(target).some((object) => object.kind === 'Cluster'),
);

describe.each(withCluster)('network policies of the PostgreSQL Cluster in %s', (target) => {
  const objects = renderTarget(target);
  const policies = ofKind<NetworkPolicy>(objects, 'NetworkPolicy');
  const allowed = (from: Endpoint, to: Endpoint, port: number) =>
    isAllowed(policies, { from, to, port, protocol: 'TCP' });
  const primary = postgresServer(objects);
  const replica = {
    ...primary,
    pod: primary.pod.replace(/-1$/, '-2'),
    labels: { ...primary.labels, role: 'replica' },
  };
  const neighbour = { pod: 'debug', namespace: primary.namespace, labels: { run: 'debug' } };

  it('admit the services with a store, and not enrichment or another pod of the namespace', () => {
    for (const service of storeOwners)
      expect(
        isAllowed(policies, { from: servicePod(objects, service), to: primary, port: 5432 }, 'ingress'),
      ).toBe(true);
    expect(
      isAllowed(policies, { from: servicePod(objects, 'enrichment'), to: primary, port: 5432 }, 'ingress'),
    ).toBe(false);
    expect(allowed(neighbour, primary, 5432)).toBe(false);
    expect(allowed(outside.stranger, primary, 5432)).toBe(false);
  });

  it('let the instances replicate and the operator manage them', () => {
    for (const port of [5432, 8000]) {
      expect(allowed(replica, primary, port), `replica → primary ${port}`).toBe(true);
      expect(allowed(primary, replica, port), `primary → replica ${port}`).toBe(true);
      expect(
        isAllowed(policies, { from: outside.cnpgOperator, to: primary, port }, 'ingress'),
        `operator ${port}`,
      ).toBe(true);
    }
    expect(allowed(outside.stranger, primary, 8000)).toBe(false);
    expect(isAllowed(policies, { from: outside.prometheus, to: primary, port: 9187 }, 'ingress')).toBe(true);
  });

  it('let the instances reach the Kubernetes API and object stores by https, and nothing else out', () => {
    expect(allowed(primary, outside.kubernetesApi, 443)).toBe(true);
    expect(allowed(primary, outside.kubernetesApi, 6443)).toBe(true);
    expect(allowed(primary, outside.objectStore, 443)).toBe(true);
    expect(allowed(primary, outside.kafka, 9092)).toBe(false);
    expect(allowed(primary, servicePod(objects, 'auth'), 50051)).toBe(false);
    expect(allowed(primary, outside.objectStore, 80)).toBe(false);
  });
});
