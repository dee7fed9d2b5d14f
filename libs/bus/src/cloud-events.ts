import { randomBytes, randomUUID } from 'node:crypto';
import type { IHeaders } from 'kafkajs';

/** CloudEvents 1.0 context attributes carried as Kafka headers (binary content mode). */
export interface CloudEventAttributes {
  readonly id: string;
  readonly source: string;
  readonly type: string;
  readonly time: string;
  readonly traceparent: string;
}

const traceparentPattern = /^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/;

/** A new W3C trace context `traceparent` (version 00, sampled). */
export function newTraceparent(): string {
  return `00-${randomBytes(16).toString('hex')}-${randomBytes(8).toString('hex')}-01`;
}

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
    traceparent:
      attributes.traceparent && traceparentPattern.test(attributes.traceparent)
        ? attributes.traceparent
        : newTraceparent(),
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
    traceparent: traceparent && traceparentPattern.test(traceparent) ? traceparent : newTraceparent(),
  };
}
