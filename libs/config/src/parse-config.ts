import { ParleyError } from '@parley/errors';
import type { z } from 'zod';
import { kafkaEnvProblems } from './env-schemas.js';

type DeepReadonly<T> = T extends (infer U)[]
  ? readonly DeepReadonly<U>[]
  : T extends object
    ? { readonly [K in keyof T]: DeepReadonly<T[K]> }
    : T;

/**
 * Parses environment variables with a zod object schema whose keys are the variable names.
 * Reports every bad variable in one `invalid_config` error and returns a deeply frozen result.
 * Callers pass the environment in: only a service's `config.ts` reads `process.env`.
 *
 * @example
 * const config = parseConfig(z.object({ PORT: envSchemas.port.default(8080) }), process.env);
 */
export function parseConfig<S extends z.ZodObject>(
  schema: S,
  env: Readonly<Record<string, string | undefined>>,
): DeepReadonly<z.output<S>> {
  const result = schema.safeParse(env);
  // `name` is the variable (the path's head), `where` the path down to the bad part.
  const problems = result.success
    ? kafkaEnvProblems(result.data as Record<string, unknown>).map(({ variable, message }) => ({
        name: variable,
        where: variable,
        message,
      }))
    : result.error.issues.map((issue) => ({
        name: String(issue.path[0] ?? ''),
        where: issue.path.length > 0 ? issue.path.map(String).join('.') : '(environment)',
        message: issue.message,
      }));
  if (!result.success || problems.length > 0) {
    const described = problems.map(({ where, message }) => `${where}: ${message}`).join('; ');
    throw new ParleyError('invalid_config', `invalid configuration: ${described}`, {
      context: { variables: problems.map(({ name }) => name) },
    });
  }
  return deepFreeze(result.data) as DeepReadonly<z.output<S>>;
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
