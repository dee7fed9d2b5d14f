import { randomUUID } from 'node:crypto';
import { currentTraceparent, newTraceparent, parseTraceparent } from '@parley/ops';
import type { IHeaders } from 'kafkajs';

/** CloudEvents 1.0 context attributes carried as Kafka headers (binary content mode). */
export interface CloudEventAttributes {
  readonly id: string;
  readonly source: string;
  readonly type: string;
  readonly time: string;
  readonly traceparent: string;
}

/**
 * The headers of a produced event. Its `traceparent` is the one given, else the current hop's
 * (`runInTrace` in @parley/ops: the consumed record's, the gRPC call's, the ingress request's),
 * else a new trace's.
 */
export function cloudEventHeaders(
  attributes: Partial<CloudEventAttributes> & Pick<CloudEventAttributes, 'source' | 'type'>,
): Record<string, string> {
  return {
    ce_specversion: '1.0',
    ce_id: attributes.id ?? randomUUID(),
    ce_source: attributes.source,
    ce_type: attributes.type,
    ce_time: attributes.time ?? new Date().toISOString(),
    'content-type': 'application/json',
    traceparent: parseTraceparent(attributes.traceparent)
      ? (attributes.traceparent as string)
      : (currentTraceparent() ?? newTraceparent()),
  };
}

function header(headers: IHeaders | undefined, name: string): string | undefined {
  const value = headers?.[name];
  const first = Array.isArray(value) ? value[0] : value;
  return first === undefined ? undefined : first.toString('utf8');
}

/**
 * Reads the CloudEvents attributes of a consumed record; returns the name of the first missing or
 * wrong header instead when the record is not a CloudEvent Parley can read.
 */
export function readCloudEventHeaders(
  headers: IHeaders | undefined,
): CloudEventAttributes | { problem: string } {
  if (header(headers, 'ce_specversion') !== '1.0') return { problem: 'ce_specversion must be 1.0' };
  const mediaType = header(headers, 'content-type')?.split(';')[0]?.trim().toLowerCase();
  if (mediaType !== 'application/json') return { problem: 'content-type must be application/json' };
  const id = header(headers, 'ce_id');
  const source = header(headers, 'ce_source');
  const type = header(headers, 'ce_type');
  const time = header(headers, 'ce_time');
  if (!id) return { problem: 'ce_id is missing' };
  if (!source) return { problem: 'ce_source is missing' };
  if (!type) return { problem: 'ce_type is missing' };
  if (!time || Number.isNaN(Date.parse(time))) return { problem: 'ce_time is missing or not a timestamp' };
  const traceparent = header(headers, 'traceparent');
  return {
    id,
    source,
    type,
    time,
    traceparent: parseTraceparent(traceparent) ? (traceparent as string) : newTraceparent(),
  };
}
