import { type KafkaAccess, loadKafkaAccess } from '@parley/contracts';
import kafkajs, {
  type AclEntry,
  type AclOperationTypes as AclOperation,
  type AclResourceTypes as AclResource,
  type Kafka,
  type ResourcePatternTypes as ResourcePattern,
} from 'kafkajs';
import { dlqTopicFor, topicNameFor } from './topics.js';

// Node cannot see these as named exports of kafkajs's CommonJS module (the services run from dist).
const { AclOperationTypes, AclPermissionTypes, AclResourceTypes, ResourcePatternTypes } = kafkajs;

/**
 * The ACLs of kafka-access.json under a topic prefix, and nothing else: each principal READ and
 * DESCRIBE on the topics it consumes, WRITE and DESCRIBE on the topics it produces and on its
 * consumed topics' `.dlq`, READ on its groups (prefixed like the topics, as createEventConsumer
 * names them). No CREATE and no cluster operation: topics are the operator's, and an idempotent
 * producer needs only WRITE on a topic (Kafka 3.0+, KIP-679).
 *
 * @example
 * aclsFor('staging.') // [{ principal: 'User:parley-history', resourceName: 'staging.chat.deliveries.v1', ... }]
 */
export function aclsFor(topicPrefix: string, access: KafkaAccess = loadKafkaAccess()): AclEntry[] {
  // Keyed by what the broker stores, so a topic a service both reads and writes is DESCRIBEd once.
  const acls = new Map<string, AclEntry>();
  const allow = (
    user: string,
    resourceType: AclResource,
    resourceName: string,
    resourcePatternType: ResourcePattern,
    operations: AclOperation[],
  ) => {
    for (const operation of operations) {
      acls.set(`${user} ${resourceType} ${resourcePatternType} ${resourceName} ${operation}`, {
        principal: `User:${user}`,
        host: '*',
        permissionType: AclPermissionTypes.ALLOW,
        resourceType,
        resourceName,
        resourcePatternType,
        operation,
      });
    }
  };
  const { READ, WRITE, DESCRIBE } = AclOperationTypes;
  for (const { user, produces, consumes, groups } of Object.values(access.principals)) {
    for (const base of consumes) {
      const topic = topicNameFor(topicPrefix, base);
      allow(user, AclResourceTypes.TOPIC, topic, ResourcePatternTypes.LITERAL, [READ, DESCRIBE]);
    }
    for (const topic of [
      ...produces.map((base) => topicNameFor(topicPrefix, base)),
      ...consumes.map((base) => dlqTopicFor(topicNameFor(topicPrefix, base))),
    ]) {
      allow(user, AclResourceTypes.TOPIC, topic, ResourcePatternTypes.LITERAL, [WRITE, DESCRIBE]);
    }
    for (const group of groups) {
      const pattern =
        group.pattern === 'prefixed' ? ResourcePatternTypes.PREFIXED : ResourcePatternTypes.LITERAL;
      allow(user, AclResourceTypes.GROUP, `${topicPrefix}${group.name}`, pattern, [READ]);
    }
  }
  return [...acls.values()];
}

export interface EnsureAclsOptions {
  /** A client of a super user (parley-admin locally), or one allowed to ALTER the cluster. */
  readonly kafka: Kafka;
  readonly topicPrefix: string;
  readonly access?: KafkaAccess;
}

/**
 * Creates the ACLs of `aclsFor(topicPrefix)` on the broker; creating one that exists changes
 * nothing, so this runs at every `npm run up`. It never deletes: other systems under other
 * prefixes share the broker. In production Strimzi KafkaUsers hold the same ACLs.
 */
export async function ensureAcls({ kafka, topicPrefix, access }: EnsureAclsOptions): Promise<AclEntry[]> {
  const acls = aclsFor(topicPrefix, access);
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createAcls({ acl: acls });
    await untilAuthorizerHas(admin, acls);
  } finally {
    await admin.disconnect();
  }
  return [...acls.values()];
}

const aclKey = (acl: AclEntry) =>
  [acl.principal, acl.resourceType, acl.resourceName, acl.resourcePatternType, acl.operation].join(' ');

/**
 * The controller has committed the ACLs when createAcls answers, but the broker's authorizer
 * applies them from the metadata log a moment later; a client of the new principal connecting in
 * that moment is refused ("Topic authorization failed"). describeAcls reads the authorizer's view,
 * so this waits (at most 10 s) until it holds every new ACL.
 */
async function untilAuthorizerHas(admin: ReturnType<Kafka['admin']>, acls: readonly AclEntry[]) {
  const wanted = new Set(acls.map(aclKey));
  const deadline = Date.now() + 10_000;
  for (;;) {
    const { resources } = await admin.describeAcls({
      resourceType: AclResourceTypes.ANY,
      resourcePatternType: ResourcePatternTypes.ANY,
      operation: AclOperationTypes.ANY,
      permissionType: AclPermissionTypes.ANY,
    });
    for (const resource of resources) {
      for (const acl of resource.acls) {
        wanted.delete(
          aclKey({ ...acl, ...resource, resourcePatternType: resource.resourcePatternType } as AclEntry),
        );
      }
    }
    if (wanted.size === 0) return;
    if (Date.now() > deadline)
      throw new Error(`the broker's authorizer still lacks ${wanted.size} new ACLs after 10 s`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
