import { crdSchema, schemaProblems } from './json-schema.js';
import type { Certificate, Issuer, K8sObject } from './k8s-types.js';

const validateCertificate = crdSchema('cert-manager.io-v1-certificate.schema.json');
const validateIssuer = crdSchema('cert-manager.io-v1-issuer.schema.json');

const durationUnits: Readonly<Record<string, number>> = {
  h: 3_600_000,
  m: 60_000,
  s: 1000,
  ms: 1,
  us: 1e-3,
  µs: 1e-3,
  ns: 1e-6,
};

/** A Go duration (`2160h`, `1h30m`) in milliseconds, as cert-manager parses it; NaN when invalid. */
export function goDurationMs(value: string): number {
  if (!/^(\d+(\.\d+)?(h|ms|m|s|us|µs|ns))+$/.test(value)) return Number.NaN;
  let total = 0;
  for (const [, amount, , unit] of value.matchAll(/(\d+(\.\d+)?)(h|ms|m|s|us|µs|ns)/g))
    total += Number(amount) * (durationUnits[unit as string] ?? Number.NaN);
  return total;
}

const keySizes: Readonly<Record<string, readonly number[]>> = {
  RSA: [2048, 4096, 8192],
  ECDSA: [256, 384, 521],
};

/**
 * A cert-manager Certificate checked against the JSON schema of its CRD (test/deploy/schemas), then
 * the rules cert-manager's webhook adds: some name to certify, a duration of at least an hour, a
 * renewal at least five minutes ahead and within the duration (one of renewBefore and
 * renewBeforePercentage), a key size its algorithm has, an Issuer or ClusterIssuer of cert-manager.
 */
export function certificateProblems(object: K8sObject): string[] {
  const at = `Certificate ${object.metadata?.name ?? ''}`;
  const problems = schemaProblems(validateCertificate, object, at);
  if (problems.length > 0) return problems;
  const { spec } = object as Certificate;
  const names = [spec.dnsNames, spec.uris, spec.ipAddresses, spec.emailAddresses, spec.otherNames];
  if (!spec.commonName && !spec.literalSubject && names.every((list) => !list?.length))
    problems.push(`${at}: names nothing to certify (commonName or a subject alternative name)`);
  const duration = spec.duration === undefined ? 90 * 86_400_000 : goDurationMs(spec.duration);
  if (!(duration >= 3_600_000))
    problems.push(`${at}: duration ${spec.duration} is not a Go duration of 1h or more`);
  if (spec.renewBefore !== undefined) {
    const renewBefore = goDurationMs(spec.renewBefore);
    if (!(renewBefore >= 300_000))
      problems.push(`${at}: renewBefore ${spec.renewBefore} is under 5m or invalid`);
    else if (renewBefore >= duration) problems.push(`${at}: renewBefore is not shorter than the duration`);
    if (spec.renewBeforePercentage !== undefined)
      problems.push(`${at}: renewBefore and renewBeforePercentage exclude each other`);
  }
  const { algorithm = 'RSA', size } = spec.privateKey ?? {};
  if (size !== undefined && algorithm !== 'Ed25519' && !keySizes[algorithm]?.includes(size))
    problems.push(`${at}: ${algorithm} keys have no size ${size}`);
  const { group = 'cert-manager.io', kind = 'Issuer' } = spec.issuerRef;
  if (group === 'cert-manager.io' && !['Issuer', 'ClusterIssuer'].includes(kind))
    problems.push(`${at}: issuerRef kind ${kind} is no cert-manager issuer`);
  return problems;
}

/** A cert-manager Issuer checked against its CRD's JSON schema, with exactly one kind of issuer. */
export function issuerProblems(object: K8sObject): string[] {
  const at = `Issuer ${object.metadata?.name ?? ''}`;
  const problems = schemaProblems(validateIssuer, object, at);
  if (problems.length > 0) return problems;
  const { spec } = object as Issuer;
  const kinds = (['acme', 'ca', 'selfSigned', 'vault', 'venafi'] as const).filter((kind) => spec[kind]);
  if (kinds.length !== 1) problems.push(`${at}: configures ${kinds.length} kinds of issuer, not one`);
  return problems;
}
