import { describe, expect, it } from 'vitest';
import { hardeningProblems } from './support/hardening.js';
import {
  type Container,
  type Deployment,
  type Job,
  type K8sObject,
  type PodDisruptionBudget,
  type PodSpec,
  type ServiceObject,
  selects,
} from './support/k8s-types.js';
import { kustomizeTargets, named, ofKind, renderTarget } from './support/render.js';
import { resolveContainerEnv, storeOwners } from './support/service-env.js';

function workload(
  objects: readonly K8sObject[],
  kind: 'Deployment' | 'Job',
  name: string,
  container: string,
) {
  const pod = named<Deployment | Job>(objects, kind, name).spec.template.spec;
  const found = pod.containers.find((candidate) => candidate.name === container);
  if (!found) throw new Error(`${kind} ${name} has no container ${container}`);
  return { pod, container: found };
}

/** The Secret (and its keys) mounted where DATABASE_URL's sslrootcert points. */
function databaseCa(pod: PodSpec, container: Container) {
  const mount = container.volumeMounts?.find(
    (candidate) => candidate.mountPath === '/etc/parley/database-ca',
  );
  return pod.volumes?.find((volume) => volume.name === mount?.name)?.secret;
}

describe.each(kustomizeTargets())('migration Jobs of %s', (target) => {
  const objects = renderTarget(target);
  const jobs = ofKind<Job>(objects, 'Job');

  it('are one per service with a store', () => {
    expect(jobs.map((job) => job.metadata.name).sort()).toEqual(
      storeOwners.map((service) => `${service.name}-migrate`).sort(),
    );
  });

  it.each(storeOwners.map((service) => [service.name, service] as const))(
    "%s-migrate runs dist/migrate.js of the Deployment's image, hardened, retried and bounded",
    (name) => {
      const job = named<Job>(objects, 'Job', `${name}-migrate`);
      const { pod, container } = workload(objects, 'Job', `${name}-migrate`, 'migrate');
      const service = workload(objects, 'Deployment', name, name);
      expect(pod.containers).toHaveLength(1);
      expect(container.image).toBe(service.container.image);
      // `args` only: the image's ENTRYPOINT (tini) stays PID 1.
      expect(container.command).toBeUndefined();
      expect(container.args).toEqual(['node', 'dist/migrate.js']);
      expect(pod.restartPolicy).toBe('Never');
      expect(job.spec.backoffLimit).toBeGreaterThan(0);
      expect(job.spec.activeDeadlineSeconds).toBeGreaterThan(0);
      expect(pod.serviceAccountName).toBe(service.pod.serviceAccountName);
      expect(hardeningProblems(pod, container)).toEqual([]);
    },
  );

  it.each(storeOwners.map((service) => [service.name, service] as const))(
    '%s-migrate connects as the service does and gets only variables its command reads',
    (name, service) => {
      const migrate = workload(objects, 'Job', `${name}-migrate`, 'migrate');
      const running = workload(objects, 'Deployment', name, name);
      const env = resolveContainerEnv(migrate.container, objects);
      const serviceEnv = resolveContainerEnv(running.container, objects);
      expect(env.problems).toEqual([]);
      expect(env.sources.DATABASE_URL).toBe(serviceEnv.sources.DATABASE_URL);
      expect(env.values.DATABASE_SCHEMA).toBe(serviceEnv.values.DATABASE_SCHEMA);
      const config = service.loadStore(env.values);
      expect(Object.keys(env.values).filter((variable) => !(variable in config))).toEqual([]);
      expect(databaseCa(migrate.pod, migrate.container)).toBeDefined();
      expect(databaseCa(migrate.pod, migrate.container)).toEqual(databaseCa(running.pod, running.container));
    },
  );

  it('can be applied on their own, before the rest: one label selects them, and they need only Secrets', () => {
    const selected = objects.filter(
      (object) => object.metadata.labels?.['app.kubernetes.io/component'] === 'migration',
    );
    expect(selected.map((object) => `${object.kind}/${object.metadata.name}`).sort()).toEqual(
      jobs.map((job) => `Job/${job.metadata.name}`).sort(),
    );
    for (const job of jobs) {
      const pod = job.spec.template.spec;
      for (const container of pod.containers) {
        expect(container.envFrom, job.metadata.name).toBeUndefined();
        expect(container.env?.filter((variable) => variable.valueFrom?.configMapKeyRef) ?? []).toEqual([]);
      }
      expect(pod.volumes?.filter((volume) => !volume.emptyDir && !volume.secret) ?? []).toEqual([]);
    }
  });

  it('are selected by no Service and no PodDisruptionBudget: a migration pod never takes traffic', () => {
    const services = ofKind<ServiceObject>(objects, 'Service');
    const budgets = ofKind<PodDisruptionBudget>(objects, 'PodDisruptionBudget');
    for (const job of jobs) {
      const labels = job.spec.template.metadata.labels;
      for (const service of services)
        expect(selects({ matchLabels: service.spec.selector }, labels), service.metadata.name).toBe(false);
      for (const budget of budgets)
        expect(selects(budget.spec.selector, labels), budget.metadata.name).toBe(false);
    }
  });
});
