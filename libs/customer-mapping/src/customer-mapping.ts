import { ParleyError } from '@parley/errors';

const pathPattern = /^\$(\.[A-Za-z_][A-Za-z0-9_-]*|\[\d+\])*$/;

/** Whether a mapping path is one this evaluator understands: `$.a.b`, `$.list[0].name`. */
export function isSupportedPath(path: string): boolean {
  return pathPattern.test(path);
}

/**
 * Reads a value by a simple JSON path (`$.profile.tier`, `$.cases[0].id`); undefined when absent.
 *
 * @example
 * readPath({ profile: { tier: 'gold' } }, '$.profile.tier'); // 'gold'
 */
export function readPath(document: unknown, path: string): unknown {
  if (!isSupportedPath(path)) throw new ParleyError('invalid_argument', `unsupported JSON path ${path}`);
  let current: unknown = document;
  for (const [, key, index] of path.slice(1).matchAll(/\.([^.[]+)|\[(\d+)\]/g)) {
    if (current === null || typeof current !== 'object') return undefined;
    current =
      key !== undefined ? (current as Record<string, unknown>)[key] : (current as unknown[])[Number(index)];
  }
  return current;
}

type FieldValue = string | number | boolean | null;

/** JSON paths into a brand's customer-data response, as a channel configures them. */
export interface CustomerMapping {
  readonly customerId: string;
  readonly name?: string;
  readonly customFields: Readonly<Record<string, string>>;
}

/** The customer as the mapping reads them. */
export interface MappedCustomer {
  readonly id: string;
  readonly name: string | null;
  readonly customFields: Readonly<Record<string, FieldValue>>;
}

function toFieldValue(value: unknown): FieldValue {
  if (value === undefined || value === null) return null;
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
  return JSON.stringify(value); // objects and arrays are shown as their JSON
}

/**
 * The customer as the channel's mapping reads the brand's customer data. A missing customer id is
 * the brand's fault (`brand_error`); missing optional fields are null.
 */
export function mapCustomer(data: unknown, mapping: CustomerMapping): MappedCustomer {
  const id = readPath(data, mapping.customerId);
  if (id === undefined || id === null || id === '' || typeof id === 'object') {
    throw new ParleyError('brand_error', `customer data has no customer id at ${mapping.customerId}`);
  }
  const name = mapping.name ? readPath(data, mapping.name) : undefined;
  const customFields: Record<string, FieldValue> = {};
  for (const [field, path] of Object.entries(mapping.customFields))
    customFields[field] = toFieldValue(readPath(data, path));
  return { id: String(id), name: typeof name === 'string' ? name : null, customFields };
}
