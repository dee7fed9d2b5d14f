import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { KafkaUser } from './k8s-types.js';
import { repositoryRoot } from './render.js';

/** One principal of libs/contracts/kafka-access.json: a service's Kafka user and what it may use. */
export interface KafkaPrincipal {
  readonly service: string;
  readonly user: string;
  readonly produces: readonly string[];
  readonly consumes: readonly string[];
  readonly groups: readonly { readonly name: string; readonly pattern: 'literal' | 'prefixed' }[];
}

export const kafkaAccessFile = join(repositoryRoot, 'libs/contracts/kafka-access.json');

/** The principals of libs/contracts/kafka-access.json, by service. */
export const kafkaPrincipals: readonly KafkaPrincipal[] = Object.entries(
  (
    JSON.parse(readFileSync(kafkaAccessFile, 'utf8')) as {
      principals: Record<string, Omit<KafkaPrincipal, 'service'>>;
    }
  ).principals,
).map(([service, principal]) => ({ service, ...principal }));

/**
 * One allowed operation on one resource, `topic|group:literal|prefix:<name>:<Operation>`: the unit
 * in which the ACL lists of the KafkaUsers, kafka-access.json and the Compose broker are compared.
 */
export type AclEntry = string;

const entry = (resource: string, pattern: string, name: string, operation: string): AclEntry =>
  `${resource}:${pattern}:${name}:${operation}`;

/**
 * What `principal` may do on a broker whose names carry `prefix` (KAFKA_TOPIC_PREFIX, which libs/bus
 * puts before topics and consumer groups alike): Write and Describe on what it produces and on the
 * dead-letter topic of everything it consumes, Read and Describe on what it consumes, Read on its
 * groups.
 */
export function expectedAcls(principal: KafkaPrincipal, prefix: string): AclEntry[] {
  const topic = (name: string, operations: string[]) =>
    operations.map((operation) => entry('topic', 'literal', `${prefix}${name}`, operation));
  return [
    ...principal.produces.flatMap((name) => topic(name, ['Write', 'Describe'])),
    ...principal.consumes.flatMap((name) => topic(name, ['Read', 'Describe'])),
    ...principal.consumes.flatMap((name) => topic(`${name}.dlq`, ['Write', 'Describe'])),
    ...principal.groups.map((group) =>
      entry('group', group.pattern === 'prefixed' ? 'prefix' : 'literal', `${prefix}${group.name}`, 'Read'),
    ),
  ].sort();
}

/** What a KafkaUser allows, in the same units (deny rules and hosts other than `*` are refused). */
export function kafkaUserAcls(user: KafkaUser): AclEntry[] {
  return (user.spec.authorization?.acls ?? [])
    .flatMap((acl) => {
      if ((acl.type ?? 'allow') !== 'allow' || (acl.host ?? '*') !== '*')
        throw new Error(`${user.metadata.name}: only allow rules from any host are expected`);
      const { type, name = '', patternType = 'literal' } = acl.resource;
      return (acl.operations ?? []).map((operation) => entry(type, patternType, name, operation));
    })
    .sort();
}
