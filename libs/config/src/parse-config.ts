import { ParleyError } from '@parley/errors';
import type { z } from 'zod';

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
  if (!result.success) {
    const problems = result.error.issues.map((issue) => {
      const variable = issue.path.length > 0 ? issue.path.map(String).join('.') : '(environment)';
      return `${variable}: ${issue.message}`;
    });
    throw new ParleyError('invalid_config', `invalid configuration: ${problems.join('; ')}`, {
      context: { variables: result.error.issues.map((issue) => String(issue.path[0] ?? '')) },
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
