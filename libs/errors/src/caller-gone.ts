import { ParleyError } from './parley-error.js';

/**
 * The caller's signal fired (it cancelled, or its deadline passed): the work done for it stops
 * with `deadline_exceeded`, which no one is left to read but the logs.
 */
export function callerGone(signal: AbortSignal | undefined, cause?: unknown): ParleyError {
  return new ParleyError('deadline_exceeded', 'the caller gave up', { cause: cause ?? signal?.reason });
}

/** Throws `callerGone` when `signal` has fired: call it before starting work for the caller. */
export function throwIfCallerGone(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw callerGone(signal);
}

/**
 * Waits for `work` until `signal` fires, then stops waiting with `callerGone` (the work itself
 * runs on; its outcome is dropped). `onGone` runs once when the caller leaves.
 *
 * @example
 * const credentials = await untilCallerGone(sharedRefresh, context.signal);
 */
export function untilCallerGone<T>(
  work: Promise<T>,
  signal: AbortSignal | undefined,
  onGone?: () => void,
): Promise<T> {
  if (!signal) return work;
  return new Promise<T>((resolve, reject) => {
    const gone = () => {
      onGone?.();
      reject(callerGone(signal));
    };
    if (signal.aborted) {
      work.catch(() => {}); // dropped: no one waits for it any more
      return gone();
    }
    signal.addEventListener('abort', gone, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', gone));
  });
}
