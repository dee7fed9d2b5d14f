import { crdSchema, schemaProblems } from './json-schema.js';
import type { K8sObject, KafkaUser } from './k8s-types.js';

const validateV1beta2 = crdSchema('kafka.strimzi.io-v1beta2-kafkauser.schema.json');
const validateV1 = crdSchema('kafka.strimzi.io-v1-kafkauser.schema.json');

/** The operations Kafka's authorizer knows for each resource type (Kafka's ACL reference). */
const operationsByResource: Readonly<Record<string, readonly string[]>> = {
  topic: ['Read', 'Write', 'Create', 'Delete', 'Alter', 'Describe', 'DescribeConfigs', 'AlterConfigs', 'All'],
  group: ['Read', 'Describe', 'Delete', 'All'],
  cluster: [
    'Create',
    'ClusterAction',
    'DescribeConfigs',
    'AlterConfigs',
    'IdempotentWrite',
    'Alter',
    'Describe',
    'All',
  ],
  transactionalId: ['Describe', 'Write', 'All'],
};

/**
 * A Strimzi KafkaUser checked against the JSON schema of its CRD (test/deploy/schemas), then the
 * rules the User Operator and Kafka add: the cluster label it selects users by, a password only for
 * SCRAM users, every ACL with a list of operations its resource type has, a name for every resource
 * but the cluster. A v1beta2 user must also be valid as v1 (Strimzi 1.0 serves only v1), so the
 * move is a change of apiVersion.
 */
export function kafkaUserProblems(object: K8sObject): string[] {
  const at = `KafkaUser ${object.metadata?.name ?? ''}`;
  const v1 = object.apiVersion === 'kafka.strimzi.io/v1';
  const problems = schemaProblems(v1 ? validateV1 : validateV1beta2, object, at);
  if (problems.length > 0) return problems;
  if (!v1) {
    const asV1 = { ...object, apiVersion: 'kafka.strimzi.io/v1' };
    problems.push(...schemaProblems(validateV1, asV1, `${at} as kafka.strimzi.io/v1`));
  }
  const { metadata, spec } = object as KafkaUser;
  if (!metadata.labels?.['strimzi.io/cluster']) problems.push(`${at}: no strimzi.io/cluster label`);
  if (spec.authentication?.password && spec.authentication.type !== 'scram-sha-512')
    problems.push(`${at}: a password is for scram-sha-512 users only`);
  for (const [index, acl] of (spec.authorization?.acls ?? []).entries()) {
    const where = `${at}: acls/${index}`;
    const { type, name } = acl.resource;
    if (type !== 'cluster' && !name) problems.push(`${where} names no ${type}`);
    if (!acl.operations?.length) problems.push(`${where} lists no operations`);
    for (const operation of acl.operations ?? []) {
      if (!operationsByResource[type]?.includes(operation))
        problems.push(`${where}: ${operation} is no operation on a ${type}`);
    }
  }
  return problems;
}
