import { loadKafkaAccess } from '@parley/contracts';
import { AclOperationTypes, AclPermissionTypes, AclResourceTypes, ResourcePatternTypes } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { aclsFor } from './acls.js';

/** The name of a kafkajs enum value (its enums are plain objects, without reverse mapping). */
const nameIn = (values: object, value: number) =>
  Object.entries(values).find(([, each]) => each === value)?.[0];

/** `principal operation resource-type:name (pattern)`, for reading the ACLs as a list. */
function described(acls: ReturnType<typeof aclsFor>) {
  return acls.map(
    (acl) =>
      `${acl.principal} ${nameIn(AclOperationTypes, acl.operation)} ${nameIn(AclResourceTypes, acl.resourceType)}:${acl.resourceName}${acl.resourcePatternType === ResourcePatternTypes.PREFIXED ? ' (prefixed)' : ''}`,
  );
}

describe('aclsFor', () => {
  it('grants exactly what kafka-access.json says, under the prefix, and nothing else', () => {
    const access = {
      principals: {
        history: {
          user: 'parley-history',
          produces: ['chat.deliveries.v1' as const],
          consumes: ['chat.messages.enriched.v1' as const],
          groups: [{ name: 'history', pattern: 'literal' as const }],
        },
        ingress: {
          user: 'parley-ingress',
          produces: [],
          consumes: ['chat.deliveries.v1' as const],
          groups: [{ name: 'ingress-pod-', pattern: 'prefixed' as const }],
        },
      },
    };
    expect(described(aclsFor('staging.', access))).toEqual([
      'User:parley-history READ TOPIC:staging.chat.messages.enriched.v1',
      'User:parley-history DESCRIBE TOPIC:staging.chat.messages.enriched.v1',
      'User:parley-history WRITE TOPIC:staging.chat.deliveries.v1',
      'User:parley-history DESCRIBE TOPIC:staging.chat.deliveries.v1',
      'User:parley-history WRITE TOPIC:staging.chat.messages.enriched.v1.dlq',
      'User:parley-history DESCRIBE TOPIC:staging.chat.messages.enriched.v1.dlq',
      'User:parley-history READ GROUP:staging.history',
      'User:parley-ingress READ TOPIC:staging.chat.deliveries.v1',
      'User:parley-ingress DESCRIBE TOPIC:staging.chat.deliveries.v1',
      'User:parley-ingress WRITE TOPIC:staging.chat.deliveries.v1.dlq',
      'User:parley-ingress DESCRIBE TOPIC:staging.chat.deliveries.v1.dlq',
      'User:parley-ingress READ GROUP:staging.ingress-pod- (prefixed)',
    ]);
    for (const acl of aclsFor('staging.', access)) {
      expect(acl).toMatchObject({ host: '*', permissionType: AclPermissionTypes.ALLOW });
    }
  });

  it('lists an ACL once when a service both reads and writes a topic (the broker stores it once)', () => {
    const access = {
      principals: {
        ingress: {
          user: 'parley-ingress',
          produces: ['chat.sessions.ended.v1' as const],
          consumes: ['chat.sessions.ended.v1' as const],
          groups: [],
        },
      },
    };
    expect(described(aclsFor('', access))).toEqual([
      'User:parley-ingress READ TOPIC:chat.sessions.ended.v1',
      'User:parley-ingress DESCRIBE TOPIC:chat.sessions.ended.v1',
      'User:parley-ingress WRITE TOPIC:chat.sessions.ended.v1',
      'User:parley-ingress WRITE TOPIC:chat.sessions.ended.v1.dlq',
      'User:parley-ingress DESCRIBE TOPIC:chat.sessions.ended.v1.dlq',
    ]);
  });

  it('covers every principal of the repository, with no cluster, create or delete right', () => {
    const acls = aclsFor('');
    const users = new Set(acls.map((acl) => acl.principal));
    expect([...users].sort()).toEqual(
      Object.values(loadKafkaAccess().principals)
        .map(({ user }) => `User:${user}`)
        .sort(),
    );
    const operations = new Set(acls.map((acl) => nameIn(AclOperationTypes, acl.operation)));
    expect([...operations].sort()).toEqual(['DESCRIBE', 'READ', 'WRITE']);
    const resources = new Set(acls.map((acl) => nameIn(AclResourceTypes, acl.resourceType)));
    expect([...resources].sort()).toEqual(['GROUP', 'TOPIC']);
  });
});
