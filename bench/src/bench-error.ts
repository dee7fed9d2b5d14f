/** Stable codes of what can stop a benchmark run; printed with the message, kept in bench/README.md. */
export type BenchErrorCode =
  | 'invalid_flag'
  | 'infrastructure_unavailable'
  | 'service_failed'
  | 'setup_failed'
  | 'load_generator_failed'
  | 'baseline_failed'
  | 'interrupted';

/** An error of the benchmark whose message is enough for a person (no stack needed). */
export class BenchError extends Error {
  override readonly name = 'BenchError';
  constructor(
    readonly code: BenchErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
