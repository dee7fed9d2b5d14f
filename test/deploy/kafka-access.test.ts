import { topicNames } from '@parley/contracts';
import { describe, expect, it } from 'vitest';
import type {
  Deployment,
  K8sObject,
  KafkaTopic,
  KafkaUser,
  ScaledObject,
  TriggerAuthentication,
} from './support/k8s-types.js';
import { expectedAcls, kafkaPrincipals, kafkaUserAcls } from './support/kafka-access.js';
import { consumersInCode, producersInCode } from './support/kafka-in-code.js';
import { secretFileAt } from './support/mounted-files.js';
import { kustomizeTargets, named, ofKind, renderTarget } from './support/render.js';
import { resolveContainerEnv } from './support/service-env.js';

const sorted = (values: Iterable<string>) => [...new Set(values)].sort();

describe('libs/contracts/kafka-access.json', () => {
  it('names a principal parley-<service> for exactly the services whose code uses Kafka', () => {
    const users = kafkaPrincipals.map(({ service, user }) => [service, user]);
    expect(users).toEqual(kafkaPrincipals.map(({ service }) => [service, `parley-${service}`]));
    const inCode = [
      ...consumersInCode().map((consumer) => consumer.service),
      ...producersInCode()
        .filter((producer) => producer.topics.length > 0)
        .map((producer) => producer.service),
    ];
    expect(kafkaPrincipals.map((principal) => principal.service).sort()).toEqual(sorted(inCode));
  });

  it.each(kafkaPrincipals.map((principal) => [principal.service, principal] as const))(
    '%s: lists the topics its code publishes and consumes, and the groups it joins',
    (service, principal) => {
      const consumers = consumersInCode().filter((consumer) => consumer.service === service);
      const produced = producersInCode().find((producer) => producer.service === service)?.topics ?? [];
      expect(sorted(principal.produces), 'produces').toEqual(produced);
      expect(sorted(principal.consumes), 'consumes').toEqual(sorted(consumers.flatMap((c) => c.topics)));
      expect(principal.groups.map((group) => `${group.pattern} ${group.name}`).sort(), 'groups').toEqual(
        consumers.map((c) => `${c.groupId === undefined ? 'prefixed' : 'literal'} ${c.groupPrefix}`).sort(),
      );
    },
  );

  it('names only topics of libs/contracts, and every topic has a producer and a consumer', () => {
    const produced = kafkaPrincipals.flatMap((principal) => principal.produces);
    const consumed = kafkaPrincipals.flatMap((principal) => principal.consumes);
    expect(sorted([...produced, ...consumed])).toEqual(sorted(topicNames));
    expect(sorted(produced)).toEqual(sorted(topicNames));
    expect(sorted(consumed)).toEqual(sorted(topicNames));
  });
});

/** KAFKA_TOPIC_PREFIX as the Kafka services get it (kafka-scaling.test.ts checks they agree). */
function topicPrefix(objects: readonly K8sObject[]): string {
  const container = named<Deployment>(objects, 'Deployment', 'history').spec.template.spec.containers[0];
  return container ? (resolveContainerEnv(container, objects).values.KAFKA_TOPIC_PREFIX ?? '') : '';
}

describe.each(kustomizeTargets())('Kafka principals in %s', (target) => {
  const objects = renderTarget(target);
  const users = ofKind<KafkaUser>(objects, 'KafkaUser');
  const prefix = topicPrefix(objects);
  const lagReader = 'parley-keda';

  it('are a KafkaUser per principal of kafka-access.json, with exactly its ACLs, and KEDA’s lag reader', () => {
    expect(users.map((user) => user.metadata.name).sort()).toEqual(
      sorted([...kafkaPrincipals.map((principal) => principal.user), lagReader]),
    );
    for (const principal of kafkaPrincipals) {
      const user = named<KafkaUser>(objects, 'KafkaUser', principal.user);
      expect(user.spec.authentication?.type, principal.user).toBe('scram-sha-512');
      expect(user.spec.authorization?.type, principal.user).toBe('simple');
      expect(kafkaUserAcls(user), principal.user).toEqual(expectedAcls(principal, prefix));
    }
  });

  it('are users of the Strimzi cluster that holds the topics', () => {
    const clusters = new Set(
      [...ofKind<KafkaTopic>(objects, 'KafkaTopic'), ...users].map(
        (object) => object.metadata.labels?.['strimzi.io/cluster'],
      ),
    );
    expect([...clusters]).toEqual(['parley']);
  });

  it.each(kafkaPrincipals.map((principal) => [principal.service, principal] as const))(
    '%s connects as its own principal: SCRAM-SHA-512 over TLS, its Strimzi Secret, the cluster CA',
    (service, principal) => {
      const pod = named<Deployment>(objects, 'Deployment', service).spec.template.spec;
      const container = pod.containers.find((candidate) => candidate.name === service);
      if (!container) throw new Error(`no container ${service}`);
      const env = resolveContainerEnv(container, objects);
      expect(env.values.KAFKA_SASL_MECHANISM).toBe('scram-sha-512');
      expect(env.values.KAFKA_TLS).toBe('true');
      expect(env.values.KAFKA_SASL_USERNAME).toBe(principal.user);
      // The Secret Strimzi's User Operator makes for the KafkaUser, named after it.
      expect(env.sources.KAFKA_SASL_PASSWORD).toBe(`secret ${principal.user}/password`);
      expect(secretFileAt(pod, container, env.values.KAFKA_TLS_CA_FILE ?? '')).toMatchObject({
        secret: 'parley-cluster-ca-cert',
        key: 'ca.crt',
        readOnly: true,
      });
      // Only its own credentials: no other principal's Secret in its pod.
      const others = kafkaPrincipals.filter((other) => other.user !== principal.user).map((o) => o.user);
      const referenced = [
        ...(pod.volumes ?? []).map((volume) => volume.secret?.secretName),
        ...(container.env ?? []).map((variable) => variable.valueFrom?.secretKeyRef?.name),
      ];
      expect(referenced.filter((name) => name && others.includes(name))).toEqual([]);
    },
  );

  it('lets KEDA describe the groups and topics of its triggers, and read nothing', () => {
    const triggers = ofKind<ScaledObject>(objects, 'ScaledObject').flatMap((scaled) => scaled.spec.triggers);
    expect(triggers.length).toBeGreaterThan(0);
    const expected = sorted(
      triggers.flatMap((trigger) => [
        `group:literal:${trigger.metadata.consumerGroup}:Describe`,
        `topic:literal:${trigger.metadata.topic}:Describe`,
      ]),
    );
    const reader = named<KafkaUser>(objects, 'KafkaUser', lagReader);
    expect(kafkaUserAcls(reader)).toEqual(expected);
    const passwordRef = reader.spec.authentication?.password?.valueFrom.secretKeyRef;

    for (const trigger of triggers) {
      expect(trigger.metadata.sasl, trigger.metadata.topic).toBe('scram_sha512');
      expect(trigger.metadata.tls, trigger.metadata.topic).toBe('enable');
      expect(trigger.authenticationRef?.name, trigger.metadata.topic).toBe('parley-kafka-lag');
    }
    const auth = named<TriggerAuthentication>(objects, 'TriggerAuthentication', 'parley-kafka-lag');
    const refs = Object.fromEntries(
      (auth.spec.secretTargetRef ?? []).map((ref) => [ref.parameter, `${ref.name}/${ref.key}`]),
    );
    expect(refs).toEqual({
      username: `${passwordRef?.name}/username`,
      password: `${passwordRef?.name}/${passwordRef?.key}`,
      ca: 'parley-cluster-ca-cert/ca.crt',
    });
  });
});
