import { describe, expect, it } from 'vitest';
import type { Deployment, K8sObject, NetworkPolicy } from './support/k8s-types.js';
import { type Endpoint, isAllowed } from './support/network-policy.js';
import { kustomizeTargets, named, ofKind, renderTarget } from './support/render.js';

type Service = 'ingress' | 'auth' | 'enrichment' | 'history';

function servicePod(objects: readonly K8sObject[], name: Service): Endpoint {
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
  mongodb: { pod: 'mongodb-0', namespace: 'mongodb', labels: { app: 'mongodb' } },
  stranger: { pod: 'stranger', namespace: 'default', labels: { 'app.kubernetes.io/name': 'stranger' } },
  brand: { ip: '203.0.113.10' },
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
    ] as const) {
      expect(allowed(outside.prometheus, pod(service), port), service).toBe(true);
      expect(allowed(outside.stranger, pod(service), port), service).toBe(false);
    }
    expect(allowed(outside.prometheus, pod('auth'), 50051)).toBe(false);
  });

  it('let every service resolve names, and reach Kafka and MongoDB only if it uses them', () => {
    for (const service of ['ingress', 'auth', 'enrichment', 'history'] as const) {
      expect(allowed(pod(service), outside.dns, 53, 'UDP'), service).toBe(true);
      expect(allowed(pod(service), outside.dns, 53, 'TCP'), service).toBe(true);
    }
    for (const service of ['ingress', 'enrichment', 'history'] as const) {
      expect(allowed(pod(service), outside.kafka, 9092), service).toBe(true);
      expect(allowed(pod(service), outside.otherKafka, 9092), service).toBe(false);
    }
    expect(allowed(pod('auth'), outside.kafka, 9092)).toBe(false);
    for (const service of ['ingress', 'auth', 'history'] as const) {
      expect(allowed(pod(service), outside.mongodb, 27017), service).toBe(true);
    }
    expect(allowed(pod('enrichment'), outside.mongodb, 27017)).toBe(false);
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
});
