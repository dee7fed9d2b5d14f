import { readFileSync } from 'node:fs';
import { Ajv, type ValidateFunction } from 'ajv';
import type { K8sObject } from './k8s-types.js';

const ajv = new Ajv({ allErrors: true, strict: true });

/** A JSON schema of test/deploy/schemas (converted from an operator's CRD), compiled once. */
export function crdSchema(file: string): ValidateFunction {
  return ajv.compile(JSON.parse(readFileSync(new URL(`../schemas/${file}`, import.meta.url), 'utf8')));
}

/** Every violation of `validate` by `object`, one line each, prefixed with `at`. */
export function schemaProblems(validate: ValidateFunction, object: K8sObject, at: string): string[] {
  if (validate(object)) return [];
  return (validate.errors ?? []).map((error) => {
    const extra = 'additionalProperty' in error.params ? ` (${String(error.params.additionalProperty)})` : '';
    return `${at}: ${error.instancePath || '/'} ${error.message ?? 'is invalid'}${extra}`;
  });
}
