import { describe, expect, it } from 'vitest';
import { quantity } from './support/hardening.js';
import type {
  Deployment,
  HorizontalPodAutoscaler,
  K8sObject,
  PostgresCluster,
  ScaledObject,
} from './support/k8s-types.js';
import { kustomizeTargets, named, ofKind, renderTarget } from './support/render.js';
import { defaultValue, resolveContainerEnv, type ServiceConfig, storeOwners } from './support/service-env.js';

/** The most pods of a Deployment at once: its autoscaler's maximum plus the rolling update's surge. */
function mostPods(objects: readonly K8sObject[], name: string): number {
  const deployment = named<Deployment>(objects, 'Deployment', name);
  const hpa = ofKind<HorizontalPodAutoscaler>(objects, 'HorizontalPodAutoscaler').find(
    (candidate) => candidate.spec.scaleTargetRef.name === name,
  );
  const scaled = ofKind<ScaledObject>(objects, 'ScaledObject').find(
    (candidate) => candidate.spec.scaleTargetRef.name === name,
  );
  const replicas = hpa?.spec.maxReplicas ?? scaled?.spec.maxReplicaCount ?? deployment.spec.replicas ?? 1;
  const surge = deployment.spec.strategy?.rollingUpdate?.maxSurge ?? '25%';
  const extra = typeof surge === 'number' ? surge : Math.ceil((replicas * Number.parseFloat(surge)) / 100);
  return replicas + extra;
}

function poolMax(objects: readonly K8sObject[], service: ServiceConfig): number {
  const container = named<Deployment>(objects, 'Deployment', service.name).spec.template.spec.containers[0];
  const env = container ? resolveContainerEnv(container, objects).values : {};
  return Number(env.DATABASE_POOL_MAX ?? defaultValue(service, 'DATABASE_POOL_MAX'));
}

const roleOf = (service: ServiceConfig) => `parley_${service.name}`;
const withCluster = kustomizeTargets().filter((target) =>
  renderTarget(target).some((object) => object.kind === 'Cluster'),
);

describe('PostgreSQL in the overlays', () => {
  it('is the CloudNativePG component in dev and production (the base leaves the server to you)', () => {
    expect(withCluster).toEqual(expect.arrayContaining(['overlays/dev', 'overlays/production']));
    expect(withCluster).not.toContain('base');
  });
});

describe.each(withCluster)('the PostgreSQL Cluster of %s', (target) => {
  const objects = renderTarget(target);
  const clusters = ofKind<PostgresCluster>(objects, 'Cluster');
  const [cluster] = clusters;
  if (!cluster) throw new Error(`${target} renders no Cluster`);
  const { spec } = cluster;
  const roles = spec.managed?.roles ?? [];
  const bootstrapSql = (spec.bootstrap?.initdb?.postInitApplicationSQL ?? []).map((statement) =>
    statement.trim().replace(/\s+/g, ' ').toLowerCase(),
  );

  it('is one Cluster with database parley and no superuser access from outside', () => {
    expect(clusters).toHaveLength(1);
    expect(spec.bootstrap?.initdb?.database).toBe('parley');
    expect(spec.enableSuperuserAccess).toBe(false);
  });

  it('has one login role per service with a store, password from its Secret, no special power', () => {
    expect(roles.map((role) => role.name).sort()).toEqual(storeOwners.map(roleOf).sort());
    for (const service of storeOwners) {
      const role = roles.find((candidate) => candidate.name === roleOf(service));
      expect(role, roleOf(service)).toMatchObject({
        login: true,
        passwordSecret: { name: `${cluster.metadata.name}-${service.name}` },
      });
      expect(role?.ensure ?? 'present').toBe('present');
      // Row-level security is the second wall between tenants: no role may pass it.
      expect(role?.superuser ?? false, roleOf(service)).toBe(false);
      expect(role?.bypassrls ?? false, roleOf(service)).toBe(false);
    }
  });

  it('lets each role create its own schema in parley, and grants nothing else', () => {
    const roleNames = storeOwners.map(roleOf).sort();
    expect(bootstrapSql).toEqual([
      ...roleNames.map((role) => `create role ${role}`),
      `grant connect, create on database parley to ${roleNames.join(', ')}`,
    ]);
  });

  it('fits every pool at its largest, with the migration Jobs, in the connection limits', () => {
    const parameters = spec.postgresql?.parameters ?? {};
    const maxConnections = Number(parameters.max_connections ?? 100);
    const reserved = Number(parameters.superuser_reserved_connections ?? 3);
    let limits = 0;
    for (const service of storeOwners) {
      // Each pod's pool, at the most pods at once, and one connection of the migration Job.
      const needed = mostPods(objects, service.name) * poolMax(objects, service) + 1;
      const limit = roles.find((role) => role.name === roleOf(service))?.connectionLimit ?? -1;
      expect(limit, `${roleOf(service)} connectionLimit`).toBeGreaterThanOrEqual(needed);
      limits += limit;
    }
    // A role at its limit never takes the connections another role needs.
    expect(limits, 'the roles’ limits together').toBeLessThanOrEqual(maxConnections - reserved);
  });

  it('keeps shared_buffers within the memory the instances have', () => {
    const sharedBuffers = String(spec.postgresql?.parameters?.shared_buffers ?? '128MB').replace(/B$/, 'i');
    expect(quantity(sharedBuffers)).toBeLessThanOrEqual(0.4 * quantity(spec.resources?.limits?.memory));
  });

  it('waits for a replica before a commit returns, whenever there is one', () => {
    const instances = spec.instances ?? 1;
    if (instances > 1) expect(spec.postgresql?.synchronous?.number ?? 0).toBeGreaterThanOrEqual(1);
    else expect(spec.postgresql?.synchronous).toBeUndefined();
  });

  it("gives the services with a store the Cluster's CA, not its key", () => {
    for (const service of storeOwners) {
      const pod = named<Deployment>(objects, 'Deployment', service.name).spec.template.spec;
      const volume = pod.volumes?.find((candidate) => candidate.name === 'database-ca');
      expect(volume?.secret, service.name).toEqual({
        secretName: `${cluster.metadata.name}-ca`,
        optional: false,
        items: [{ key: 'ca.crt', path: 'ca.crt' }],
      });
    }
  });
});
