import { z } from 'zod';

/** Reusable schemas for environment variables, which always arrive as strings. */
export const envSchemas = {
  port: z.coerce.number().int().min(0).max(65535),
  positiveInt: z.coerce.number().int().positive(),
  /** `host:port,host:port` as used by KAFKA_BROKERS. */
  brokerList: z
    .string()
    .transform((value) =>
      value
        .split(',')
        .map((broker) => broker.trim())
        .filter(Boolean),
    )
    .pipe(z.array(z.string().regex(/^[^\s:/]+:\d{1,5}$/, 'expected host:port')).min(1, 'expected host:port')),
  mongoUrl: z.string().regex(/^mongodb(\+srv)?:\/\/\S+$/, 'expected a mongodb:// or mongodb+srv:// URL'),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
  /** `true`/`false`/`1`/`0`; unlike z.coerce.boolean, the string "false" is false. */
  flag: z.enum(['true', 'false', '1', '0']).transform((value) => value === 'true' || value === '1'),
} as const;
