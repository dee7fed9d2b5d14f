import { describe, expect, it } from 'vitest';
import { hardeningProblems } from './support/hardening.js';
import {
  type Container,
  type Deployment,
  type HorizontalPodAutoscaler,
  type K8sObject,
  type PodDisruptionBudget,
  type Probe,
  type ScaledObject,
  type ServiceObject,
  selects,
} from './support/k8s-types.js';
import { kustomizeTargets, ofKind, renderTarget } from './support/render.js';
import { defaultValue, resolveContainerEnv, services } from './support/service-env.js';

function portNumber(container: Container, port: number | string): number | undefined {
  const declared = container.ports ?? [];
  return typeof port === 'number'
    ? declared.find((candidate) => candidate.containerPort === port)?.containerPort
    : declared.find((candidate) => candidate.name === port)?.containerPort;
}

function preStopSleepSeconds(container: Container): number {
  const command = container.lifecycle?.preStop?.exec?.command ?? [];
  return command[0] === 'sleep' ? Number(command[1]) : 0;
}

function podSpecs(objects: readonly K8sObject[]) {
  return ofKind<Deployment>(objects, 'Deployment').map((deployment) => ({
    deployment,
    pod: deployment.spec.template.spec,
    containers: [
      ...deployment.spec.template.spec.containers,
      ...(deployment.spec.template.spec.initContainers ?? []),
    ],
  }));
}

describe.each(kustomizeTargets())('pods of %s', (target) => {
  const objects = renderTarget(target);
  const deployments = podSpecs(objects);

  it('are the four services', () => {
    expect(deployments.map(({ deployment }) => deployment.metadata.name).sort()).toEqual(
      services.map((service) => service.name).sort(),
    );
  });

  it.each(deployments.map((entry) => [entry.deployment.metadata.name, entry] as const))(
    '%s: probes on the ops port (/healthz, /readyz), resources, hardening, pinned image',
    (_name, { pod, containers }) => {
      for (const container of containers) {
        const opsPort = portNumber(container, 'ops');
        expect(opsPort, `${container.name} declares a port named ops`).toBeDefined();
        const probes: [string, Probe | undefined, string][] = [
          ['readinessProbe', container.readinessProbe, '/readyz'],
          ['livenessProbe', container.livenessProbe, '/healthz'],
          ['startupProbe', container.startupProbe, '/healthz'],
        ];
        for (const [kind, probe, path] of probes) {
          expect(probe?.httpGet, `${container.name} ${kind}`).toBeDefined();
          expect(probe?.httpGet?.path, `${container.name} ${kind} path`).toBe(path);
          const port = probe?.httpGet ? portNumber(container, probe.httpGet.port) : undefined;
          expect(port, `${container.name} ${kind} port is declared and is the ops port`).toBe(opsPort);
        }
        // The ops server answers /readyz within checkTimeoutMs (2 s) by design.
        expect(container.readinessProbe?.timeoutSeconds ?? 1).toBeGreaterThanOrEqual(3);

        expect(hardeningProblems(pod, container)).toEqual([]);
      }
    },
  );

  it('give each pod time to drain: grace >= preStop sleep + SHUTDOWN_TIMEOUT_SECONDS + 5 s', () => {
    for (const { deployment, pod, containers } of deployments) {
      const service = services.find((candidate) => candidate.name === deployment.metadata.name);
      for (const container of containers) {
        const env = resolveContainerEnv(container, objects).values;
        const shutdown = Number(
          env.SHUTDOWN_TIMEOUT_SECONDS ?? (service && defaultValue(service, 'SHUTDOWN_TIMEOUT_SECONDS')),
        );
        expect(shutdown, `${deployment.metadata.name} shutdown timeout`).toBeGreaterThan(0);
        const grace = pod.terminationGracePeriodSeconds ?? 30;
        expect(grace, deployment.metadata.name).toBeGreaterThanOrEqual(
          preStopSleepSeconds(container) + shutdown + 5,
        );
      }
    }
  });

  it('sleep in preStop where a Service sends traffic, so endpoints go before draining starts', () => {
    for (const service of ofKind<ServiceObject>(objects, 'Service')) {
      const trafficPorts = service.spec.ports.filter((port) => port.name !== 'ops');
      if (trafficPorts.length === 0) continue;
      const backends = deployments.filter(({ deployment }) =>
        selects({ matchLabels: service.spec.selector }, deployment.spec.template.metadata.labels),
      );
      for (const { containers } of backends) {
        for (const container of containers)
          expect(preStopSleepSeconds(container), service.metadata.name).toBeGreaterThanOrEqual(5);
      }
    }
  });

  it('leave replicas to their autoscaler and have a PodDisruptionBudget', () => {
    const scaled = new Set([
      ...ofKind<HorizontalPodAutoscaler>(objects, 'HorizontalPodAutoscaler').map(
        (hpa) => hpa.spec.scaleTargetRef.name,
      ),
      ...ofKind<ScaledObject>(objects, 'ScaledObject').map(
        (scaledObject) => scaledObject.spec.scaleTargetRef.name,
      ),
    ]);
    const budgets = ofKind<PodDisruptionBudget>(objects, 'PodDisruptionBudget');
    for (const { deployment } of deployments) {
      const name = deployment.metadata.name;
      if (scaled.has(name))
        expect(deployment.spec.replicas, `${name} replicas set beside an autoscaler`).toBeUndefined();
      const covering = budgets.filter((budget) =>
        selects(budget.spec.selector, deployment.spec.template.metadata.labels),
      );
      expect(covering.length, `${name} PodDisruptionBudgets`).toBe(1);
    }
  });

  it('are reached through Services whose ports name declared container ports', () => {
    for (const service of ofKind<ServiceObject>(objects, 'Service')) {
      const backends = deployments.filter(({ deployment }) =>
        selects({ matchLabels: service.spec.selector }, deployment.spec.template.metadata.labels),
      );
      expect(backends.length, `${service.metadata.name} selects a Deployment`).toBe(1);
      for (const port of service.spec.ports) {
        const target = port.targetPort ?? port.port;
        const found = backends
          .flatMap(({ containers }) => containers)
          .some((c) => portNumber(c, target) !== undefined);
        expect(found, `${service.metadata.name} port ${port.name} → ${target}`).toBe(true);
      }
    }
  });
});

describe('the hardening check itself', () => {
  it('names every problem of a careless container', () => {
    const container: Container = {
      name: 'c',
      image: 'example/app:latest',
      resources: { requests: { cpu: '2' }, limits: { cpu: '1' } },
    };
    expect(hardeningProblems({ containers: [container] }, container)).toEqual([
      'c limits cpu below its request',
      'c requests no memory',
      'c limits no memory',
      'c may run as root',
      'c does not run as uid 10001',
      'c has a writable root file system',
      'c allows privilege escalation',
      'c keeps capabilities',
      'c has no RuntimeDefault seccomp profile',
      'c has no emptyDir on /tmp',
      'example/app:latest is :latest',
      'c mounts a service account token',
    ]);
  });
});
