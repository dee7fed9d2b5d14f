import type { Metadata } from '@grpc/grpc-js';
import { type Attributes, type Context, contextOfHeaders, traceHeaders } from '@parley/ops';

/**
 * The metadata of an outgoing call: `metadata` with the trace context (`traceparent`) and baggage
 * (the message id) of the span under way (docs/operations.md, "Tracing"), unless it has a
 * traceparent already (a copy: the caller's is not changed). Outside any span it is `metadata` itself.
 */
export function withTraceparent(metadata: Metadata): Metadata {
  const headers = traceHeaders({ baggage: true });
  if (headers.traceparent === undefined || metadata.get('traceparent').length > 0) return metadata;
  const traced = metadata.clone();
  for (const [name, value] of Object.entries(headers)) traced.set(name, value);
  return traced;
}

/** The context a call continues: its caller's trace and baggage (another Parley service's), else none. */
export function traceContextOf(metadata: Metadata): Context {
  const headers: Record<string, string> = {};
  for (const name of ['traceparent', 'tracestate', 'baggage']) {
    const [value] = metadata.get(name);
    if (typeof value === 'string') headers[name] = value;
  }
  return contextOfHeaders(headers, { baggage: true });
}

/** The rpc.* attributes of a call to `path` (`/parley.auth.v1.AuthService/GetChannel`). */
export function rpcAttributes(path: string): Attributes {
  const [, service = '', method = ''] = /^\/?([^/]*)\/(.*)$/.exec(path) ?? [];
  return { 'rpc.system': 'grpc', 'rpc.service': service, 'rpc.method': method };
}
