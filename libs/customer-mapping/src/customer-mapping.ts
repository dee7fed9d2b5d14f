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

// With the `u` flag a surrogate pair is one code point: this matches unpaired surrogates only.
const loneSurrogates = /\p{Cs}/gu;

/**
 * The brand's text as PostgreSQL can hold it: NUL characters removed, unpaired surrogates replaced
 * by U+FFFD (what `String.prototype.toWellFormed` does; ES2024, beyond this repository's `lib`).
 * jsonb refuses both (22P05, 22P02) and text refuses NUL, so one such character in a profile would
 * fail every message of the customer in history, long after ingress accepted it; ingress refuses
 * such strings from senders, but the brand's data must never block a message, so it is cleaned
 * here, where it enters Parley, for every reader of the mapping (auth at sign-in, enrichment):
 * `'Ada\u0000 \ud83d'` becomes `'Ada \ufffd'`.
 */
function storableText(text: string): string {
  return text.replaceAll('\u0000', '').replace(loneSurrogates, '\ufffd');
}

/** A JSON value with every string in it, names of fields included, made storable. */
function storableJson(value: unknown): unknown {
  if (typeof value === 'string') return storableText(value);
  if (Array.isArray(value)) return value.map(storableJson);
  if (typeof value === 'object' && value !== null)
    return Object.fromEntries(
      Object.entries(value).map(([name, item]) => [storableText(name), storableJson(item)]),
    );
  return value;
}

function toFieldValue(value: unknown): FieldValue {
  if (value === undefined || value === null) return null;
  if (typeof value === 'string') return storableText(value);
  if (typeof value === 'number' || typeof value === 'boolean') return value;
  // Objects and arrays are shown as their JSON, cleaned first: JSON.stringify would keep a NUL as
  // the escape \u0000, which becomes a NUL again for whoever parses the field.
  return JSON.stringify(storableJson(value));
}

/**
 * The customer as the channel's mapping reads the brand's customer data, every string in it
 * storable (see `storableText`). A missing customer id is the brand's fault (`brand_error`);
 * missing optional fields are null. Field names are the channel's own, checked when it is saved.
 *
 * @example
 * mapCustomer({ sub: 'c-42', tier: 'gold' }, { customerId: '$.sub', customFields: { tier: '$.tier' } });
 * // { id: 'c-42', name: null, customFields: { tier: 'gold' } }
 */
export function mapCustomer(data: unknown, mapping: CustomerMapping): MappedCustomer {
  const found = readPath(data, mapping.customerId);
  // Cleaning the id cannot make two customers one: the customer key comes from the token's subject.
  const id = typeof found === 'string' ? storableText(found) : found;
  if (id === undefined || id === null || id === '' || typeof id === 'object') {
    throw new ParleyError('brand_error', `customer data has no customer id at ${mapping.customerId}`);
  }
  const name = mapping.name ? readPath(data, mapping.name) : undefined;
  const customFields: Record<string, FieldValue> = {};
  for (const [field, path] of Object.entries(mapping.customFields))
    customFields[field] = toFieldValue(readPath(data, path));
  return { id: String(id), name: typeof name === 'string' ? storableText(name) : null, customFields };
}
