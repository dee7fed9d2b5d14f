/** Stable codes of the demo brand's own errors; tests and callers branch on `code`, not on messages. */
export type DemoBrandErrorCode = 'invalid_options' | 'invalid_config';

/** An error of the demo brand whose message is written for a person (it lists every problem found). */
export class DemoBrandError extends Error {
  override readonly name = 'DemoBrandError';

  constructor(
    readonly code: DemoBrandErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
