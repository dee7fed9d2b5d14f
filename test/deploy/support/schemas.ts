import { certificateProblems, issuerProblems } from './cert-manager-schema.js';
import { crdSchema, schemaProblems } from './json-schema.js';
import type { K8sObject, PostgresCluster } from './k8s-types.js';
import { kafkaUserProblems } from './kafka-user-schema.js';

/**
 * Where the OpenAPI-derived models of each API group live. kubernetes-models covers Kubernetes
 * itself (its classes validate with the API's JSON schemas, offline); the KEDA and Prometheus
 * operator packages cover those CRDs. Strimzi, cert-manager and CloudNativePG are checked against
 * JSON schemas converted from their CRDs (test/deploy/schemas) or field by field: `crdChecks`.
 */
const modelPackages: Readonly<Record<string, string>> = {
  v1: 'kubernetes-models/v1',
  'apps/v1': 'kubernetes-models/apps/v1',
  'batch/v1': 'kubernetes-models/batch/v1',
  'policy/v1': 'kubernetes-models/policy/v1',
  'autoscaling/v2': 'kubernetes-models/autoscaling/v2',
  'networking.k8s.io/v1': 'kubernetes-models/networking.k8s.io/v1',
  'keda.sh/v1alpha1': '@kubernetes-models/keda/keda.sh/v1alpha1',
  'monitoring.coreos.com/v1': '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1',
};

export const requiredModelPackages =
  'kubernetes-models@5.1.0, @kubernetes-models/keda@2.0.0 and @kubernetes-models/prometheus-operator@6.0.0';

type ModelClass = new (data: unknown) => { validate(): void };

async function modelClass(apiVersion: string, kind: string): Promise<ModelClass> {
  const base = modelPackages[apiVersion];
  if (!base)
    throw new Error(
      `no schema known for ${apiVersion} ${kind}: add its models to test/deploy/support/schemas.ts`,
    );
  const specifier = `${base}/${kind}`;
  let module: Record<string, unknown>;
  try {
    module = (await import(specifier)) as Record<string, unknown>;
  } catch (error) {
    throw new Error(
      `cannot load the schema of ${apiVersion} ${kind} (${specifier}): the deploy tests need ` +
        `${requiredModelPackages} in devDependencies`,
      { cause: error },
    );
  }
  const model = module[kind];
  if (typeof model !== 'function') throw new Error(`${specifier} exports no ${kind}`);
  return model as ModelClass;
}

/** The custom resources without a models package, by `<apiVersion> <kind>`: their checks. */
const crdChecks: Readonly<Record<string, (object: K8sObject) => string[]>> = {
  'kafka.strimzi.io/v1beta2 KafkaTopic': kafkaTopicProblems,
  'kafka.strimzi.io/v1beta2 KafkaUser': kafkaUserProblems,
  'postgresql.cnpg.io/v1 Cluster': postgresClusterProblems,
  'cert-manager.io/v1 Certificate': certificateProblems,
  'cert-manager.io/v1 Issuer': issuerProblems,
};

/** Validates one rendered object against its API's JSON schema; throws with every violation. */
export async function validateAgainstSchema(object: K8sObject): Promise<void> {
  const check = crdChecks[`${object.apiVersion} ${object.kind}`];
  if (check) {
    const problems = check(object);
    if (problems.length > 0) throw new Error(problems.join('; '));
    return;
  }
  const Model = await modelClass(object.apiVersion, object.kind);
  new Model(object).validate();
}

const topicNamePattern = /^[a-zA-Z0-9._-]{1,249}$/;
const kubernetesNamePattern = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;
const allowedSpecKeys = new Set(['topicName', 'partitions', 'replicas', 'config']);

/**
 * The KafkaTopic fields Strimzi's Topic Operator reads (kafka.strimzi.io/v1beta2), checked the way
 * its CRD schema and Kafka do: names, positive partition and replica counts, scalar config values,
 * min.insync.replicas not above the replicas.
 */
export function kafkaTopicProblems(object: K8sObject): string[] {
  const problems: string[] = [];
  const topic = object as K8sObject & { spec?: Record<string, unknown> };
  const name = topic.metadata?.name ?? '';
  const at = `KafkaTopic ${name}`;
  if (!kubernetesNamePattern.test(name)) problems.push(`${at}: metadata.name is not a valid object name`);
  if (!topic.metadata?.labels?.['strimzi.io/cluster']) problems.push(`${at}: no strimzi.io/cluster label`);
  const spec = topic.spec;
  if (!spec || typeof spec !== 'object') return [...problems, `${at}: no spec`];
  for (const key of Object.keys(spec)) {
    if (!allowedSpecKeys.has(key)) problems.push(`${at}: unknown spec.${key}`);
  }
  const topicName = spec.topicName ?? name;
  if (typeof topicName !== 'string' || !topicNamePattern.test(topicName))
    problems.push(`${at}: spec.topicName is not a valid Kafka topic name`);
  for (const key of ['partitions', 'replicas'] as const) {
    const value = spec[key];
    if (!Number.isInteger(value) || (value as number) < 1)
      problems.push(`${at}: spec.${key} must be an integer >= 1`);
  }
  const config = spec.config ?? {};
  if (typeof config !== 'object' || Array.isArray(config))
    return [...problems, `${at}: spec.config must be a map`];
  for (const [key, value] of Object.entries(config)) {
    if (!['string', 'number', 'boolean'].includes(typeof value))
      problems.push(`${at}: config ${key} is not a scalar`);
  }
  const retention = (config as Record<string, unknown>)['retention.ms'];
  if (retention !== undefined && !/^-?\d+$/.test(String(retention)))
    problems.push(`${at}: retention.ms is not a number`);
  const minIsr = Number((config as Record<string, unknown>)['min.insync.replicas'] ?? 1);
  if (Number.isInteger(spec.replicas) && minIsr > (spec.replicas as number))
    problems.push(`${at}: min.insync.replicas ${minIsr} exceeds replicas ${String(spec.replicas)}`);
  return problems;
}

const validateCluster = crdSchema('postgresql.cnpg.io-v1-cluster.schema.json');

/**
 * A CloudNativePG Cluster checked against the JSON schema of the CRD fields Parley uses
 * (test/deploy/schemas), then the rules the operator's admission webhook adds: a synchronous replica
 * needs one instance more than it waits for, and every login role gets its password from a Secret.
 */
export function postgresClusterProblems(object: K8sObject): string[] {
  const at = `Cluster ${object.metadata?.name ?? ''}`;
  const problems = schemaProblems(validateCluster, object, at);
  if (problems.length > 0) return problems;
  const { spec } = object as PostgresCluster;
  const instances = spec.instances ?? 1;
  const synchronous = spec.postgresql?.synchronous;
  if (synchronous && synchronous.number > instances - 1)
    problems.push(
      `${at}: ${synchronous.number} synchronous replica(s) need more than ${instances} instance(s)`,
    );
  for (const role of spec.managed?.roles ?? []) {
    if (role.login && role.ensure !== 'absent' && !role.passwordSecret)
      problems.push(`${at}: login role ${role.name} has no passwordSecret`);
  }
  return problems;
}
