import { limits } from '@parley/contracts';
import { ParleyError } from '@parley/errors';

// At least one step: `$` alone would copy the whole response into the field.
const pathPattern = /^\$(\.[A-Za-z_][A-Za-z0-9_-]*|\[\d+\])+$/;
// What `readPath` evaluates: also `$`, which channels saved before it was refused may still hold.
const readablePattern = /^\$(\.[A-Za-z_][A-Za-z0-9_-]*|\[\d+\])*$/;

/**
 * Whether channel settings may use a mapping path: `$.a.b`, `$.list[0].name`. `$` alone (the whole
 * document) is refused.
 */
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
  if (!readablePattern.test(path)) throw new ParleyError('invalid_argument', `unsupported JSON path ${path}`);
  let current: unknown = document;
  for (const [, key, index] of path.slice(1).matchAll(/\.([^.[]+)|\[(\d+)\]/g)) {
    if (current === null || typeof current !== 'object') return undefined;
    current =
      key !== undefined ? (current as Record<string, unknown>)[key] : (current as unknown[])[Number(index)];
  }
  return current;
}

type FieldValue = string | number | boolean | null;

/** The paths a channel's mapping uses where its settings name none: the OpenID Connect claims. */
export const mappingDefaults = { customerId: '$.sub', name: '$.name' } as const;

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

/**
 * The most characters (UTF-16 code units, as `String.length` counts) of a mapped custom field; a
 * customer's name keeps at most `limits.nameMaxLength` (libs/contracts). Bounds what one message
 * carries however large the brand's response (up to 50 fields of it), and stays within the event
 * schema's limits.
 */
export const mappedValueMaxLength = 1024;

/** `text` cut to at most `max` code units, never inside a surrogate pair. */
function bounded(text: string, max: number): string {
  if (text.length <= max) return text;
  const cut = /[\ud800-\udbff]/.test(text[max - 1] ?? '') ? max - 1 : max;
  return text.slice(0, cut);
}

/**
 * The JSON text of a structured value with every string in it, names of fields included, made
 * storable; undefined as soon as it grows past `max`, so a large structure costs no more work than
 * the limit.
 */
function boundedJson(value: unknown, max: number): string | undefined {
  const parts: string[] = [];
  let length = 0;
  const push = (part: string) => {
    length += part.length;
    parts.push(part);
    return length <= max;
  };
  const text = (raw: string) => raw.length + 2 <= max && push(JSON.stringify(storableText(raw)));
  const write = (item: unknown): boolean => {
    if (typeof item === 'string') return text(item);
    if (Array.isArray(item)) {
      if (!push('[')) return false;
      for (const [index, element] of item.entries()) {
        if ((index > 0 && !push(',')) || !write(element === undefined ? null : element)) return false;
      }
      return push(']');
    }
    if (typeof item === 'object' && item !== null) {
      if (!push('{')) return false;
      let first = true;
      for (const [name, element] of Object.entries(item)) {
        if (element === undefined) continue;
        if ((!first && !push(',')) || !text(name) || !push(':') || !write(element)) return false;
        first = false;
      }
      return push('}');
    }
    return push(JSON.stringify(item ?? null));
  };
  return write(value) ? parts.join('') : undefined;
}

function toFieldValue(value: unknown): FieldValue {
  if (value === undefined || value === null) return null;
  if (typeof value === 'string') return bounded(storableText(value), mappedValueMaxLength);
  if (typeof value === 'number' || typeof value === 'boolean') return value;
  // Objects and arrays are shown as their JSON, cleaned first (JSON.stringify would keep a NUL as
  // the escape \u0000, which becomes a NUL again for whoever parses the field); JSON over the
  // limit is null rather than cut into text that no longer parses.
  return boundedJson(value, mappedValueMaxLength) ?? null;
}

/**
 * The customer as the channel's mapping reads the brand's customer data, every string in it
 * storable (see `storableText`) and bounded (`mappedValueMaxLength`, `limits.nameMaxLength`). A missing
 * customer id is the brand's fault (`brand_error`); missing optional fields are null. Field names
 * are the channel's own, checked when it is saved.
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
  return {
    id: String(id),
    name: typeof name === 'string' ? bounded(storableText(name), limits.nameMaxLength) : null,
    customFields,
  };
}
