import { describe, expect, it } from 'vitest';
import type { K8sObject } from './support/k8s-types.js';
import { kustomizeTargets, renderTarget } from './support/render.js';
import { kafkaTopicProblems, postgresClusterProblems, validateAgainstSchema } from './support/schemas.js';

describe.each(kustomizeTargets())('%s against the Kubernetes and operator schemas', (target) => {
  it('has only objects that their API schema accepts', async () => {
    const problems: string[] = [];
    for (const object of renderTarget(target)) {
      try {
        await validateAgainstSchema(object);
      } catch (error) {
        problems.push(`${object.kind}/${object.metadata.name}: ${(error as Error).message}`);
      }
    }
    expect(problems).toEqual([]);
  });
});

describe('the validators themselves', () => {
  it('reject a Deployment whose container port is not a number', async () => {
    const deployment = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'broken' },
      spec: {
        selector: { matchLabels: { app: 'broken' } },
        template: {
          metadata: { labels: { app: 'broken' } },
          spec: { containers: [{ name: 'c', image: 'i:1', ports: [{ containerPort: 'http' }] }] },
        },
      },
    } as unknown as K8sObject;
    await expect(validateAgainstSchema(deployment)).rejects.toThrow(/containerPort/);
  });

  it('reject a Job whose backoffLimit is not a number', async () => {
    const job = {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'broken' },
      spec: { backoffLimit: 'four', template: { spec: { containers: [{ name: 'c', image: 'i:1' }] } } },
    } as unknown as K8sObject;
    await expect(validateAgainstSchema(job)).rejects.toThrow(/backoffLimit/);
  });

  it('reject a ScaledObject without a scale target', async () => {
    const scaledObject = {
      apiVersion: 'keda.sh/v1alpha1',
      kind: 'ScaledObject',
      metadata: { name: 'broken' },
      spec: { triggers: [] },
    } as unknown as K8sObject;
    await expect(validateAgainstSchema(scaledObject)).rejects.toThrow(/scaleTargetRef/);
  });

  it('refuse kinds they have no schema for', async () => {
    const unknown = { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' } } as K8sObject;
    await expect(validateAgainstSchema(unknown)).rejects.toThrow(/no schema known/);
  });

  it('name every problem of a bad KafkaTopic', () => {
    const topic = {
      apiVersion: 'kafka.strimzi.io/v1beta2',
      kind: 'KafkaTopic',
      metadata: { name: 'Bad_Name' },
      spec: {
        topicName: 'bad topic',
        partitions: 0,
        replicas: 1,
        config: { 'min.insync.replicas': 2 },
        partition: 3,
      },
    } as unknown as K8sObject;
    expect(kafkaTopicProblems(topic)).toEqual([
      'KafkaTopic Bad_Name: metadata.name is not a valid object name',
      'KafkaTopic Bad_Name: no strimzi.io/cluster label',
      'KafkaTopic Bad_Name: unknown spec.partition',
      'KafkaTopic Bad_Name: spec.topicName is not a valid Kafka topic name',
      'KafkaTopic Bad_Name: spec.partitions must be an integer >= 1',
      'KafkaTopic Bad_Name: min.insync.replicas 2 exceeds replicas 1',
    ]);
  });

  it('name every problem of a bad CloudNativePG Cluster, field by field', () => {
    const cluster = (spec: Record<string, unknown>) =>
      ({ apiVersion: 'postgresql.cnpg.io/v1', kind: 'Cluster', metadata: { name: 'pg' }, spec }) as K8sObject;
    expect(
      postgresClusterProblems(
        cluster({
          instances: 0,
          instance: 3,
          primaryUpdateStrategy: 'automatic',
          storage: { size: '20 GB' },
          managed: { roles: [{ name: 'app', login: 'yes' }] },
        }),
      ),
    ).toEqual([
      'Cluster pg: /spec must NOT have additional properties (instance)',
      'Cluster pg: /spec/instances must be >= 1',
      'Cluster pg: /spec/primaryUpdateStrategy must be equal to one of the allowed values',
      'Cluster pg: /spec/managed/roles/0/login must be boolean',
      expect.stringMatching(/^Cluster pg: \/spec\/storage\/size must match pattern /),
    ]);
    expect(
      postgresClusterProblems(
        cluster({
          instances: 1,
          postgresql: { synchronous: { method: 'any', number: 1 } },
          managed: { roles: [{ name: 'app', login: true }] },
        }),
      ),
    ).toEqual([
      'Cluster pg: 1 synchronous replica(s) need more than 1 instance(s)',
      'Cluster pg: login role app has no passwordSecret',
    ]);
  });
});
