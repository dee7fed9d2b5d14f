import { topicNames } from '@parley/contracts';
import { describe, expect, it } from 'vitest';
import type {
  ConfigMap,
  Deployment,
  HorizontalPodAutoscaler,
  K8sObject,
  KafkaTopic,
  ScaledObject,
} from './support/k8s-types.js';
import { consumersInCode } from './support/kafka-in-code.js';
import { kustomizeTargets, ofKind, renderTarget } from './support/render.js';
import { resolveContainerEnv } from './support/service-env.js';

/** KAFKA_BROKERS and KAFKA_TOPIC_PREFIX as the Kafka services get them (one ConfigMap for all). */
function kafkaSettings(objects: readonly K8sObject[]) {
  const clients = ofKind<Deployment>(objects, 'Deployment')
    .flatMap((deployment) => deployment.spec.template.spec.containers)
    .map((container) => resolveContainerEnv(container, objects).values)
    .filter((env) => 'KAFKA_BROKERS' in env);
  const brokers = new Set(clients.map((env) => env.KAFKA_BROKERS));
  const prefixes = new Set(clients.map((env) => env.KAFKA_TOPIC_PREFIX ?? ''));
  if (brokers.size !== 1 || prefixes.size !== 1)
    throw new Error(`the Kafka services disagree: brokers ${[...brokers]}, prefixes ${[...prefixes]}`);
  return { brokers: [...brokers][0] as string, prefix: [...prefixes][0] as string };
}

function topicsByName(objects: readonly K8sObject[]): Map<string, KafkaTopic> {
  return new Map(
    ofKind<KafkaTopic>(objects, 'KafkaTopic').map((topic) => [
      topic.spec.topicName ?? topic.metadata.name,
      topic,
    ]),
  );
}

describe('consumers in code', () => {
  it('are found: enrichment, history and integrations in fixed groups, ingress in one group per pod', () => {
    const found = consumersInCode();
    expect(found.filter((consumer) => consumer.service === 'enrichment')).toEqual([
      expect.objectContaining({ groupId: 'enrichment-changes', topics: ['chat.messages.enriched.v1'] }),
      expect.objectContaining({ groupId: 'enrichment', topics: ['chat.messages.received.v1'] }),
    ]);
    const consumers = Object.fromEntries(found.map((consumer) => [consumer.service, consumer]));
    expect(consumers.history?.groupId).toBe('history');
    expect(consumers.history?.topics.length).toBeGreaterThanOrEqual(2);
    expect(consumers.integrations?.groupId).toBe('integrations');
    expect(consumers.integrations?.topics.length).toBeGreaterThanOrEqual(4);
    expect(consumers.ingress).toMatchObject({
      groupId: undefined,
      groupPrefix: 'ingress-pod-',
      topics: ['chat.deliveries.v1', 'chat.sessions.ended.v1'],
    });
  });
});

describe.each(kustomizeTargets())('Kafka topics and scaling in %s', (target) => {
  const objects = renderTarget(target);
  const { brokers, prefix } = kafkaSettings(objects);
  const topics = topicsByName(objects);

  it('has a KafkaTopic for every topic of libs/contracts and for its .dlq', () => {
    const expected = topicNames.flatMap((topic) => [`${prefix}${topic}`, `${prefix}${topic}.dlq`]).sort();
    expect([...topics.keys()].sort()).toEqual(expected);
  });

  it('puts every topic in the same Strimzi cluster, with bounded retention', () => {
    const clusters = new Set(
      [...topics.values()].map((topic) => topic.metadata.labels?.['strimzi.io/cluster']),
    );
    expect(clusters.size).toBe(1);
    for (const [name, topic] of topics) {
      const retention = Number(topic.spec.config?.['retention.ms']);
      expect(retention, `${name} retention.ms`).toBeGreaterThan(0);
      if (name.endsWith('.dlq'))
        expect(retention, `${name} outlives its topic`).toBeGreaterThanOrEqual(7 * 86_400_000);
    }
  });

  it('scales every fixed-group consumer with KEDA on its own group and topics, within the partitions', () => {
    const scaledObjects = ofKind<ScaledObject>(objects, 'ScaledObject');
    const fixedGroups = consumersInCode().filter((consumer) => consumer.groupId !== undefined);
    const services = [...new Set(fixedGroups.map((consumer) => consumer.service))].sort();
    expect(scaledObjects.map((scaled) => scaled.spec.scaleTargetRef.name).sort()).toEqual(services);
    for (const service of services) {
      // One ScaledObject per service, a trigger per topic of each of its groups.
      const consumers = fixedGroups.filter((consumer) => consumer.service === service);
      const scaled = scaledObjects.find((candidate) => candidate.spec.scaleTargetRef.name === service);
      const triggers = scaled?.spec.triggers ?? [];
      expect(triggers.every((trigger) => trigger.type === 'kafka')).toBe(true);
      expect(
        triggers.map((trigger) => `${trigger.metadata.consumerGroup} ${trigger.metadata.topic}`).sort(),
      ).toEqual(
        consumers
          .flatMap(({ groupId, topics: names }) => names.map((topic) => `${groupId} ${prefix}${topic}`))
          .sort(),
      );
      expect(new Set(triggers.map((trigger) => trigger.metadata.bootstrapServers))).toEqual(
        new Set([brokers]),
      );
      const max = scaled?.spec.maxReplicaCount ?? 100;
      expect(scaled?.spec.minReplicaCount ?? 0, `${service} keeps a pod`).toBeGreaterThanOrEqual(1);
      for (const trigger of triggers) {
        const partitions = topics.get(trigger.metadata.topic ?? '')?.spec.partitions ?? 0;
        expect(max, `${service} pods <= partitions of ${trigger.metadata.topic}`).toBeLessThanOrEqual(
          partitions,
        );
        expect(trigger.metadata.offsetResetPolicy).toBe('earliest');
      }
    }
  });

  it('scales ingress on CPU with at least two pods outside development', () => {
    const hpa = ofKind<HorizontalPodAutoscaler>(objects, 'HorizontalPodAutoscaler').find(
      (candidate) => candidate.spec.scaleTargetRef.name === 'ingress',
    );
    expect(hpa?.spec.metrics?.map((metric) => metric.resource?.name)).toEqual(['cpu']);
    if (!target.endsWith('/dev')) expect(hpa?.spec.minReplicas ?? 1).toBeGreaterThanOrEqual(2);
  });

  it('uses the configured prefix in the ConfigMap the Kafka services read', () => {
    const kafka = ofKind<ConfigMap>(objects, 'ConfigMap').find((map) =>
      map.metadata.name.startsWith('parley-kafka'),
    );
    expect(kafka?.data?.KAFKA_BROKERS).toBe(brokers);
    expect(kafka?.data?.KAFKA_TOPIC_PREFIX ?? '').toBe(prefix);
  });
});

describe('production', () => {
  const objects = renderTarget('overlays/production');

  it('replicates every topic three times and acknowledges writes on two', () => {
    for (const topic of ofKind<KafkaTopic>(objects, 'KafkaTopic')) {
      expect(topic.spec.replicas, topic.metadata.name).toBeGreaterThanOrEqual(3);
      expect(Number(topic.spec.config?.['min.insync.replicas']), topic.metadata.name).toBeGreaterThanOrEqual(
        2,
      );
    }
  });

  it('keeps at least two pods of every service', () => {
    for (const hpa of ofKind<HorizontalPodAutoscaler>(objects, 'HorizontalPodAutoscaler'))
      expect(hpa.spec.minReplicas, hpa.metadata.name).toBeGreaterThanOrEqual(2);
    for (const scaled of ofKind<ScaledObject>(objects, 'ScaledObject'))
      expect(scaled.spec.minReplicaCount, scaled.metadata.name).toBeGreaterThanOrEqual(2);
  });
});
