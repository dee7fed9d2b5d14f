import { describe, expect, it } from 'vitest';
import { certificateProblems, goDurationMs, issuerProblems } from './support/cert-manager-schema.js';
import type { K8sObject } from './support/k8s-types.js';
import { kafkaUserProblems } from './support/kafka-user-schema.js';
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

  it('name every problem of a bad KafkaUser, by its CRD schema and by the operator rules', () => {
    const user = (
      spec: Record<string, unknown>,
      labels: Record<string, string> = { 'strimzi.io/cluster': 'k' },
    ) =>
      ({
        apiVersion: 'kafka.strimzi.io/v1beta2',
        kind: 'KafkaUser',
        metadata: { name: 'u', labels },
        spec,
      }) as K8sObject;
    expect(
      kafkaUserProblems(
        user({
          authentication: { type: 'scram-sha-256' },
          authorization: { type: 'simple', acls: [{ resource: { type: 'topic', name: 't', pattern: 'x' } }] },
        }),
      ),
    ).toEqual([
      'KafkaUser u: /spec/authentication/type must be equal to one of the allowed values',
      'KafkaUser u: /spec/authorization/acls/0/resource must NOT have additional properties (pattern)',
    ]);
    expect(
      kafkaUserProblems(
        user(
          {
            authentication: {
              type: 'tls',
              password: { valueFrom: { secretKeyRef: { name: 's', key: 'p' } } },
            },
            authorization: {
              type: 'simple',
              acls: [
                { resource: { type: 'group' }, operations: ['Write'] },
                { resource: { type: 'topic', name: 't' }, operation: 'Read' },
              ],
            },
          },
          {},
        ),
      ),
    ).toEqual([
      "KafkaUser u as kafka.strimzi.io/v1: /spec/authorization/acls/1 must have required property 'operations'",
      'KafkaUser u as kafka.strimzi.io/v1: /spec/authorization/acls/1 must NOT have additional properties (operation)',
      'KafkaUser u: no strimzi.io/cluster label',
      'KafkaUser u: a password is for scram-sha-512 users only',
      'KafkaUser u: acls/0 names no group',
      'KafkaUser u: acls/0: Write is no operation on a group',
      'KafkaUser u: acls/1 lists no operations',
    ]);
  });

  it('name every problem of a bad Certificate and Issuer, by the CRD schema and the webhook rules', () => {
    const certificate = (spec: Record<string, unknown>) =>
      ({ apiVersion: 'cert-manager.io/v1', kind: 'Certificate', metadata: { name: 'c' }, spec }) as K8sObject;
    expect(
      certificateProblems(
        certificate({ secretName: 's', issuerRef: {}, usages: ['server-auth'], privateKey: { size: '256' } }),
      ),
    ).toEqual([
      "Certificate c: /spec/issuerRef must have required property 'name'",
      'Certificate c: /spec/privateKey/size must be integer',
      'Certificate c: /spec/usages/0 must be equal to one of the allowed values',
    ]);
    expect(
      certificateProblems(
        certificate({
          secretName: 's',
          issuerRef: { name: 'i', kind: 'Secret' },
          duration: '30m',
          renewBefore: '2h',
          renewBeforePercentage: 10,
          privateKey: { algorithm: 'ECDSA', size: 2048 },
        }),
      ),
    ).toEqual([
      'Certificate c: names nothing to certify (commonName or a subject alternative name)',
      'Certificate c: duration 30m is not a Go duration of 1h or more',
      'Certificate c: renewBefore is not shorter than the duration',
      'Certificate c: renewBefore and renewBeforePercentage exclude each other',
      'Certificate c: ECDSA keys have no size 2048',
      'Certificate c: issuerRef kind Secret is no cert-manager issuer',
    ]);
    const issuer = (spec: Record<string, unknown>) =>
      ({ apiVersion: 'cert-manager.io/v1', kind: 'Issuer', metadata: { name: 'i' }, spec }) as K8sObject;
    expect(issuerProblems(issuer({ ca: {} }))).toEqual([
      "Issuer i: /spec/ca must have required property 'secretName'",
    ]);
    expect(issuerProblems(issuer({ ca: { secretName: 'x' }, selfSigned: {} }))).toEqual([
      'Issuer i: configures 2 kinds of issuer, not one',
    ]);
    expect(goDurationMs('1h30m')).toBe(5_400_000);
    expect(goDurationMs('90d')).toBeNaN();
  });
});
