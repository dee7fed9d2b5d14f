// @ts-check
// The Kafka users and ACLs of libs/contracts/kafka-access.json as commands of Kafka's own tools, for
// the Compose broker (the Strimzi KafkaUsers of deploy/k8s/base/kafka-users.yaml in Kubernetes):
//
//   node kafka-access.mjs <kafka-access.json>  > kafka-access.sh
//
// prints a bash script that kafka-setup runs with KAFKA_BOOTSTRAP, KAFKA_ADMIN_CONFIG (the super
// user's client properties) and each service's password in KAFKA_PASSWORD_<SERVICE>. Every
// principal gets SCRAM-SHA-512 credentials, Write and Describe on what it produces and on the
// dead-letter topic of what it consumes, Read and Describe on what it consumes, Read on its consumer
// groups; KAFKA_TOPIC_PREFIX goes before topic and group names, as libs/bus puts it. Running the
// script again changes nothing (kafka-acls --add and kafka-configs --alter are idempotent).
import { readFileSync } from 'node:fs';

const [file] = process.argv.slice(2);
if (!file) {
  process.stderr.write('usage: node kafka-access.mjs <kafka-access.json>\n');
  process.exit(2);
}
const prefix = process.env.KAFKA_TOPIC_PREFIX ?? '';

/** @typedef {{ user: string, produces: string[], consumes: string[], groups: { name: string, pattern: 'literal' | 'prefixed' }[] }} Principal */
/** @type {{ principals: Record<string, Principal> }} */
const { principals } = JSON.parse(readFileSync(file, 'utf8'));

/** A name for the shell as it is: Kafka's topic and group characters only. @param {string} name */
function safe(name) {
  if (!/^[A-Za-z0-9._-]+$/.test(name)) throw new Error(`kafka-access.mjs: unexpected name "${name}"`);
  return name;
}

const tool = (/** @type {string} */ name) => `/opt/kafka/bin/${name} "\${admin[@]}"`;
const lines = [
  '#!/usr/bin/env bash',
  '# Made by deploy/compose/kafka-access.mjs from libs/contracts/kafka-access.json; do not edit.',
  'set -euo pipefail',
  'admin=(--bootstrap-server "$KAFKA_BOOTSTRAP" --command-config "$KAFKA_ADMIN_CONFIG")',
];
for (const [service, principal] of Object.entries(principals)) {
  const user = safe(principal.user);
  const password = `KAFKA_PASSWORD_${safe(service).toUpperCase().replaceAll('-', '_')}`;
  /** @param {string[]} operations @param {'topic' | 'group'} type @param {string[]} names @param {'literal' | 'prefixed'} pattern */
  const allow = (operations, type, names, pattern) => {
    if (names.length === 0) return;
    const resources = names.map((name) => `--${type} ${safe(`${prefix}${name}`)}`).join(' ');
    const ops = operations.map((operation) => `--operation ${operation}`).join(' ');
    lines.push(
      `${tool('kafka-acls.sh')} --add --allow-principal User:${user} ${ops} ${resources} --resource-pattern-type ${pattern}`,
    );
  };
  lines.push(`# ${user}`);
  lines.push(
    `${tool('kafka-configs.sh')} --alter --entity-type users --entity-name ${user} --add-config "SCRAM-SHA-512=[password=\${${password}:?}]"`,
  );
  allow(['Write', 'Describe'], 'topic', principal.produces, 'literal');
  allow(['Read', 'Describe'], 'topic', principal.consumes, 'literal');
  allow(
    ['Write', 'Describe'],
    'topic',
    principal.consumes.map((topic) => `${topic}.dlq`),
    'literal',
  );
  for (const pattern of /** @type {const} */ (['literal', 'prefixed'])) {
    const groups = principal.groups.filter((group) => group.pattern === pattern).map((group) => group.name);
    allow(['Read'], 'group', groups, pattern);
  }
}
process.stdout.write(`${lines.join('\n')}\n`);
