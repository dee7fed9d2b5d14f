import { type ErrorCode, errorCodes } from '@parley/errors';
import { z } from 'zod';

const codes = Object.keys(errorCodes) as [ErrorCode, ...ErrorCode[]];

/**
 * The error body with some of the registry's codes (the API document has one per HTTP status).
 *
 * @example
 * errorBodyOf(['not_found']).safeParse({ error: { code: 'not_found', message: 'no such thread' } });
 */
export function errorBodyOf(someCodes: readonly [ErrorCode, ...ErrorCode[]]) {
  return z.object({
    error: z.object({
      code: z.enum(someCodes).describe('a stable code of the registry (libs/errors/README.md)'),
      message: z.string(),
    }),
  });
}

/** Every error leaves ingress as `{ error: { code, message } }`, the code from the error registry. */
export const errorBody = errorBodyOf(codes);

/** The error codes answered with an HTTP status, by status (from the registry), for the API document. */
export function errorCodesByHttpStatus(): Map<number, [ErrorCode, ...ErrorCode[]]> {
  const byStatus = new Map<number, [ErrorCode, ...ErrorCode[]]>();
  for (const code of codes) {
    const status = errorCodes[code].httpStatus;
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  return byStatus;
}

export type ErrorBody = z.infer<typeof errorBody>;
