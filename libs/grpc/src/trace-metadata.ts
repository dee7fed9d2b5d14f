import type { Metadata } from '@grpc/grpc-js';
import { currentTraceparent, runInTrace } from '@parley/ops';

/**
 * The metadata of an outgoing call: `metadata` with the current hop's `traceparent`
 * (docs/operations.md, "Tracing") unless it has one already (a copy: the caller's is not changed).
 * Outside any trace it is `metadata` itself.
 */
export function withTraceparent(metadata: Metadata): Metadata {
  const traceparent = currentTraceparent();
  if (traceparent === undefined || metadata.get('traceparent').length > 0) return metadata;
  const traced = metadata.clone();
  traced.set('traceparent', traceparent);
  return traced;
}

/** Runs a handler as a hop of the trace its caller sent (`traceparent` metadata), else of a new trace. */
export function inTraceOf<T>(metadata: Metadata, work: () => T): T {
  const [traceparent] = metadata.get('traceparent');
  return runInTrace(typeof traceparent === 'string' ? traceparent : undefined, work);
}
