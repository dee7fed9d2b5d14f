import { describe, expect, it } from 'vitest';
import type { Container, Deployment, Job, K8sObject } from './support/k8s-types.js';
import { kustomizeTargets, named, ofKind, renderTarget } from './support/render.js';
import {
  knownVariables,
  type ResolvedEnv,
  requiredVariables,
  resolveContainerEnv,
  type ServiceConfig,
  services,
  storeOwners,
  withPemStandIns,
} from './support/service-env.js';

/** What is wrong with the environment a container gets, judged by its service's config schema. */
function envProblems(service: ServiceConfig, env: ResolvedEnv): string[] {
  const known = new Set(knownVariables(service));
  const problems = [...env.problems];
  for (const name of Object.keys(env.values)) {
    if (!known.has(name)) problems.push(`${name} (from ${env.sources[name]}) is not read by ${service.name}`);
  }
  for (const name of requiredVariables(service)) {
    if (!(name in env.values)) problems.push(`${name} is required by ${service.name} and not provided`);
  }
  if (problems.length === 0) {
    try {
      service.load(withPemStandIns(env.values));
    } catch (error) {
      problems.push((error as Error).message);
    }
  }
  return problems;
}

function serviceContainer(objects: readonly K8sObject[], service: ServiceConfig): Container {
  const deployment = named<Deployment>(objects, 'Deployment', service.name);
  const container = deployment.spec.template.spec.containers.find(
    (candidate) => candidate.name === service.name,
  );
  if (!container) throw new Error(`Deployment ${service.name} has no container ${service.name}`);
  return container;
}

describe('the config schemas the check relies on', () => {
  it('mark exactly the variables without default as required', () => {
    const required = Object.fromEntries(
      services.map((service) => [service.name, requiredVariables(service).sort()]),
    );
    const tls = ['GRPC_TLS_CA_FILE', 'GRPC_TLS_CERT_FILE', 'GRPC_TLS_KEY_FILE'];
    expect(required).toEqual({
      ingress: [
        'AUTH_GRPC_ADDRESS',
        'DATABASE_URL',
        ...tls,
        'HISTORY_GRPC_ADDRESS',
        'INTEGRATIONS_GRPC_ADDRESS',
        'KAFKA_BROKERS',
      ],
      auth: ['DATABASE_URL', ...tls, 'SECRET_ACTIVE_KID', 'SECRET_KEYS', 'SESSION_SIGNING_KEY'],
      enrichment: ['AUTH_GRPC_ADDRESS', ...tls, 'KAFKA_BROKERS'],
      history: ['DATABASE_URL', ...tls, 'KAFKA_BROKERS'],
      integrations: ['DATABASE_URL', ...tls, 'KAFKA_BROKERS', 'SECRET_ACTIVE_KID', 'SECRET_KEYS'],
    });
  });

  it('catch a misspelt, a missing and a malformed variable', () => {
    const enrichment = services.find((service) => service.name === 'enrichment') as ServiceConfig;
    const tls = {
      GRPC_TLS_CA_FILE: '/etc/parley/grpc-tls/ca.crt',
      GRPC_TLS_CERT_FILE: '/etc/parley/grpc-tls/tls.crt',
      GRPC_TLS_KEY_FILE: '/etc/parley/grpc-tls/tls.key',
    };
    const check = (env: Record<string, string>) =>
      envProblems(
        enrichment,
        resolveContainerEnv(
          {
            name: 'enrichment',
            image: 'parley/enrichment:1',
            env: Object.entries({ ...tls, ...env }).map(([name, value]) => ({ name, value })),
          },
          [],
        ),
      );
    expect(check({ KAFKA_BROKERS: 'kafka:9092', AUTH_GRPC_ADRESS: 'auth:50051' })).toEqual([
      'AUTH_GRPC_ADRESS (from value) is not read by enrichment',
      'AUTH_GRPC_ADDRESS is required by enrichment and not provided',
    ]);
    expect(check({ KAFKA_BROKERS: 'kafka:9092', AUTH_GRPC_ADDRESS: 'auth' }).join()).toMatch(
      /AUTH_GRPC_ADDRESS: expected host:port/,
    );
    expect(check({ KAFKA_BROKERS: 'kafka:9092', AUTH_GRPC_ADDRESS: 'auth:50051' })).toEqual([]);
  });
});

describe.each(kustomizeTargets())('environment of the services in %s', (target) => {
  const objects = renderTarget(target);

  it.each(services.map((service) => [service.name, service] as const))(
    '%s gets every variable its config requires, none it does not read, all valid',
    (_name, service) => {
      const env = resolveContainerEnv(serviceContainer(objects, service), objects);
      expect(envProblems(service, env)).toEqual([]);
    },
  );

  it.each(services.map((service) => [service.name, service] as const))(
    '%s listens where its container ports and probes say',
    (_name, service) => {
      const container = serviceContainer(objects, service);
      const config = service.load(withPemStandIns(resolveContainerEnv(container, objects).values)) as Record<
        string,
        unknown
      >;
      const declared = Object.fromEntries(
        (container.ports ?? []).map((port) => [port.name, port.containerPort]),
      );
      const expected: Record<string, unknown> = { ops: config.OPS_PORT };
      if ('GRPC_PORT' in config) expected.grpc = config.GRPC_PORT;
      if ('HTTP_PORT' in config) expected.http = config.HTTP_PORT;
      expect(declared).toEqual(expected);
    },
  );

  it('names each ingress pod: INSTANCE_ID from the pod name (its consumer group)', () => {
    const container = serviceContainer(objects, services[0] as ServiceConfig);
    expect(
      container.env?.find((variable) => variable.name === 'INSTANCE_ID')?.valueFrom?.fieldRef?.fieldPath,
    ).toBe('metadata.name');
  });

  it('connects each service with a store with its own role, and never lets a pod migrate', () => {
    const secretKeys = storeOwners.map((service) => {
      const container = serviceContainer(objects, service);
      const env = resolveContainerEnv(container, objects);
      expect(env.values.DATABASE_MIGRATIONS, service.name).toBe('verify');
      return env.sources.DATABASE_URL;
    });
    expect(secretKeys).toEqual(storeOwners.map((service) => `secret parley-database/${service.name}`));
  });

  it('takes every secret value from a Secret, never from a ConfigMap or a literal', () => {
    const secretNames = [
      'DATABASE_URL',
      'SECRET_KEYS',
      'SECRET_ACTIVE_KID',
      'SESSION_SIGNING_KEY',
      'KAFKA_SASL_PASSWORD',
    ];
    const pods = [...ofKind<Deployment>(objects, 'Deployment'), ...ofKind<Job>(objects, 'Job')].map(
      (workload) => workload.spec.template.spec,
    );
    for (const pod of pods) {
      for (const container of pod.containers) {
        const env = resolveContainerEnv(container, objects);
        for (const name of secretNames.filter((candidate) => candidate in env.values)) {
          expect(env.sources[name], `${container.name} ${name}`).toMatch(/^secret /);
        }
      }
    }
    expect(ofKind(objects, 'Secret'), 'Secrets are created outside the manifests').toEqual([]);
  });
});
