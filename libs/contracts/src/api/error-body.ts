import { type ErrorCode, errorCodes } from '@parley/errors';
import { z } from 'zod';

const codes = Object.keys(errorCodes) as [ErrorCode, ...ErrorCode[]];

/** Every error leaves ingress as `{ error: { code, message } }`, the code from the error registry. */
export const errorBody = z.object({
  error: z.object({
    code: z.enum(codes).describe('a stable code of the registry (libs/errors/README.md)'),
    message: z.string(),
  }),
});

/** The error codes answered with an HTTP status, by status (from the registry), for the API document. */
export function errorCodesByHttpStatus(): Map<number, ErrorCode[]> {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of codes) {
    const status = errorCodes[code].httpStatus;
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  return byStatus;
}

export type ErrorBody = z.infer<typeof errorBody>;
