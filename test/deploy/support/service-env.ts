import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { z } from 'zod';
import {
  schema as authSchema,
  loadConfig as loadAuthConfig,
  loadStoreConfig as loadAuthStoreConfig,
} from '../../../services/auth/src/config.js';
import {
  schema as enrichmentSchema,
  loadConfig as loadEnrichmentConfig,
} from '../../../services/enrichment/src/config.js';
import {
  schema as historySchema,
  loadConfig as loadHistoryConfig,
  loadStoreConfig as loadHistoryStoreConfig,
} from '../../../services/history/src/config.js';
import {
  schema as ingressSchema,
  loadConfig as loadIngressConfig,
  loadStoreConfig as loadIngressStoreConfig,
} from '../../../services/ingress/src/config.js';
import {
  schema as integrationsSchema,
  loadConfig as loadIntegrationsConfig,
  loadStoreConfig as loadIntegrationsStoreConfig,
} from '../../../services/integrations/src/config.js';
import type { ConfigMap, Container, K8sObject } from './k8s-types.js';
import { repositoryRoot } from './render.js';

type Env = Readonly<Record<string, string | undefined>>;

/** A Parley service as its `config.ts` defines it: what it reads from its environment. */
export interface ServiceConfig {
  readonly name: 'ingress' | 'auth' | 'enrichment' | 'history' | 'integrations';
  readonly schema: z.ZodObject;
  readonly load: (env: Env) => unknown;
  /** The services with a store: what their migration command (`dist/migrate.js`) reads. */
  readonly loadStore?: (env: Env) => object;
}

export const services: readonly ServiceConfig[] = [
  { name: 'ingress', schema: ingressSchema, load: loadIngressConfig, loadStore: loadIngressStoreConfig },
  { name: 'auth', schema: authSchema, load: loadAuthConfig, loadStore: loadAuthStoreConfig },
  { name: 'enrichment', schema: enrichmentSchema, load: loadEnrichmentConfig },
  { name: 'history', schema: historySchema, load: loadHistoryConfig, loadStore: loadHistoryStoreConfig },
  {
    name: 'integrations',
    schema: integrationsSchema,
    load: loadIntegrationsConfig,
    loadStore: loadIntegrationsStoreConfig,
  },
];

/** The services that own a schema in PostgreSQL, each with its own role and migration step. */
export const storeOwners = services.filter(
  (service): service is ServiceConfig & { loadStore: NonNullable<ServiceConfig['loadStore']> } =>
    service.loadStore !== undefined,
);

/** Every variable the service reads. */
export function knownVariables(service: ServiceConfig): string[] {
  return Object.keys(service.schema.shape);
}

/** Variables without a default that are not optional: the service does not start without them. */
export function requiredVariables(service: ServiceConfig): string[] {
  return Object.entries(service.schema.shape)
    .filter(([, field]) => !(field as z.ZodType).safeParse(undefined).success)
    .map(([name]) => name);
}

/** The value a schema gives a variable that is not set (its default), or undefined. */
export function defaultValue(service: ServiceConfig, variable: string): unknown {
  const field = service.schema.shape[variable] as z.ZodType | undefined;
  const result = field?.safeParse(undefined);
  return result?.success ? result.data : undefined;
}

const key32 = () => randomBytes(32).toString('base64url');

/**
 * Stand-ins for values that come from Secrets, which the manifests only reference. Each is a valid
 * value of its variable, so that parsing the whole environment checks the rest.
 */
export const secretPlaceholders: Readonly<Record<string, string>> = {
  DATABASE_URL:
    'postgres://parley_auth:pw@parley-postgres-rw:5432/parley?sslmode=verify-full&sslrootcert=/etc/parley/database-ca/ca.crt',
  SECRET_KEYS: `k1:${key32()},k2:${key32()}`,
  SECRET_ACTIVE_KID: 'k2',
  SESSION_SIGNING_KEY: key32(),
  KAFKA_SASL_PASSWORD: key32(),
};

const pemDir = mkdtempSync(join(tmpdir(), 'parley-deploy-pem-'));
process.on('exit', () => rmSync(pemDir, { recursive: true, force: true }));
// Real PEM files, made by the Compose system's own certificate script (which this also tests).
execFileSync('bash', [join(repositoryRoot, 'deploy/compose/grpc-certs.sh'), pemDir], { stdio: 'ignore' });

/**
 * `values` with every certificate or key file mounted under /etc/parley (`…/ca.crt`, `…/tls.crt`,
 * `…/tls.key`, the names of a cert-manager Secret) replaced by a real PEM file of that kind, since
 * the configs read and parse those files at start. Whether the right Secret is mounted there is the
 * business of the tests of the mounts.
 */
export function withPemStandIns(values: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(values).map(([name, value]) => {
      const file = /^\/etc\/parley\/.+\/(ca\.crt|tls\.crt|tls\.key)$/.exec(value)?.[1];
      return [name, file ? join(pemDir, 'auth', file) : value];
    }),
  );
}

/** Where each variable of a container comes from, as the kubelet would assemble it. */
export interface ResolvedEnv {
  /** Variable → value (Secret and downward-API values replaced by valid stand-ins). */
  readonly values: Record<string, string>;
  /** Variable → where it came from, for messages. */
  readonly sources: Record<string, string>;
  /** Problems found while resolving (a missing ConfigMap, a whole Secret as envFrom, …). */
  readonly problems: string[];
}

export function resolveContainerEnv(container: Container, objects: readonly K8sObject[]): ResolvedEnv {
  const values: Record<string, string> = {};
  const sources: Record<string, string> = {};
  const problems: string[] = [];
  const configMaps = objects.filter((object): object is ConfigMap => object.kind === 'ConfigMap');
  for (const source of container.envFrom ?? []) {
    if (source.secretRef) {
      problems.push(
        `envFrom secret ${source.secretRef.name}: reference Secret keys one by one (secretKeyRef)`,
      );
    }
    const ref = source.configMapRef;
    if (!ref) continue;
    const configMap = configMaps.find((candidate) => candidate.metadata.name === ref.name);
    if (!configMap) {
      if (!ref.optional) problems.push(`envFrom configMap ${ref.name} is not part of the manifests`);
      continue;
    }
    for (const [name, value] of Object.entries(configMap.data ?? {})) {
      values[name] = value;
      sources[name] = `configMap ${ref.name}`;
    }
  }
  for (const variable of container.env ?? []) {
    const from = variable.valueFrom;
    if (variable.value !== undefined) {
      values[variable.name] = variable.value;
      sources[variable.name] = 'value';
    } else if (from?.secretKeyRef) {
      const placeholder = secretPlaceholders[variable.name];
      if (placeholder === undefined)
        problems.push(`${variable.name}: no stand-in for Secret values of this name`);
      values[variable.name] = placeholder ?? '';
      sources[variable.name] = `secret ${from.secretKeyRef.name}/${from.secretKeyRef.key}`;
    } else if (from?.fieldRef) {
      values[variable.name] = 'ingress-7d9f8b6c5-x2x4z';
      sources[variable.name] = `field ${from.fieldRef.fieldPath}`;
    } else if (from?.configMapKeyRef) {
      const { name, key } = from.configMapKeyRef;
      const value = configMaps.find((candidate) => candidate.metadata.name === name)?.data?.[key];
      if (value === undefined) problems.push(`${variable.name}: configMap ${name} has no key ${key}`);
      values[variable.name] = value ?? '';
      sources[variable.name] = `configMap ${name}/${key}`;
    } else {
      values[variable.name] = '';
      sources[variable.name] = 'empty value';
    }
  }
  return { values, sources, problems };
}
