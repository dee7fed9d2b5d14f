// Keys whose values are secrets wherever they appear, compared without case, `-` or `_`.
const secretKeys = new Set(
  [
    'authorization',
    'proxyauthorization',
    'cookie',
    'setcookie',
    'password',
    'secret',
    'clientsecret',
    'token',
    'accesstoken',
    'refreshtoken',
    'idtoken',
    'sessiontoken',
    'apikey',
    'xapikey',
    'codeverifier',
    'authorizationcode',
    'clientassertion',
    'privatekey',
    'secwebsocketprotocol',
  ].map(normalize),
);

function normalize(key: string): string {
  return key.toLowerCase().replace(/[-_]/g, '');
}

// `code` is an error code in most logs (`ECONNREFUSED`, `invalid_argument`, 11000) but an OAuth
// authorization code in a token request: error codes look like identifiers, grant codes do not.
const errorCodeShape = /^(?:[a-z][a-z0-9_]*|[A-Z][A-Z0-9_]*)$/;

function isSecret(key: string, value: unknown): boolean {
  const name = normalize(key);
  // `…password` too: KAFKA_SASL_PASSWORD, dbPassword.
  if (secretKeys.has(name) || name.endsWith('password'))
    return value !== undefined && value !== null && value !== '';
  return name === 'code' && typeof value === 'string' && !errorCodeShape.test(value);
}

export const redactedValue = '[redacted]';

/** Objects nested deeper than this are replaced by {@link tooDeepValue}, never emitted as is. */
const maxDepth = 8;
/** Items of an array or Set, and keys of an object or Map, kept before the rest collapse to a marker. */
const maxItems = 100;
export const maxKeys = 200;
/** Objects walked per log call; past it whole subtrees collapse to {@link tooLargeValue}. */
const maxNodes = 5_000;

const tooDeepValue = '[Redacted: too deep]';
const circularValue = '[Redacted: circular]';
const tooLargeValue = '[Redacted: too large]';
const unreadableValue = '[Redacted: unreadable]';

// Credentials that look like credentials wherever they appear in a string (messages, stacks, URLs).
const bearerToken = /\b(Bearer|Basic)\s+[A-Za-z0-9._~+/-]+=*/gi;
const jwtShape = /\beyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*/g;
const urlPassword = /(\b[a-z][a-z0-9+.-]*:\/\/[^\s/:@]*):[^\s/@]+@/gi;

function scrub(text: string): string {
  return text
    .replace(bearerToken, `$1 ${redactedValue}`)
    .replace(jwtShape, redactedValue)
    .replace(urlPassword, `$1:${redactedValue}@`);
}

interface Walk {
  readonly ancestors: WeakSet<object>;
  nodes: number;
}

/**
 * A copy of a log object with secret values replaced, in any key case, inside arrays, Maps, Sets,
 * `toJSON` results and errors (with their causes and `errors`, turned into plain objects), and
 * bearer tokens, JWTs and URL passwords masked inside strings. It fails closed: subtrees deeper
 * than {@link maxDepth}, cycles, and whatever exceeds the width and work bounds are replaced by a
 * marker, never emitted unredacted; a throwing getter or `toJSON` yields a marker, not an error.
 */
export function redactSecrets(value: unknown): unknown {
  return walk(value, 0, { ancestors: new WeakSet(), nodes: 0 });
}

function walk(value: unknown, depth: number, state: Walk): unknown {
  if (typeof value === 'string') return scrub(value);
  // Functions are dropped by JSON anyway, but could carry a `toJSON` of their own.
  if (typeof value === 'function') return undefined;
  if (value === null || typeof value !== 'object') return value;
  if (value instanceof Date || Buffer.isBuffer(value)) return value;
  if (depth > maxDepth) return tooDeepValue;
  if (state.ancestors.has(value)) return circularValue;
  state.nodes += 1;
  if (state.nodes > maxNodes) return tooLargeValue;
  state.ancestors.add(value);
  try {
    return walkObject(value, depth, state);
  } finally {
    state.ancestors.delete(value);
  }
}

function walkObject(value: object, depth: number, state: Walk): unknown {
  if (Array.isArray(value)) return walkItems(value, value.length, depth, state);
  if (value instanceof Set) return walkItems(value, value.size, depth, state);
  if (value instanceof Map) {
    const copy: Record<string, unknown> = {};
    let index = 0;
    for (const [key, child] of value) {
      if (index === maxKeys) {
        copy['[truncated]'] = `[Redacted: ${value.size - maxKeys} more keys]`;
        break;
      }
      const name = typeof key === 'object' || typeof key === 'function' ? `[key ${index}]` : String(key);
      copy[name] = isSecret(name, child) ? redactedValue : walk(child, depth + 1, state);
      index += 1;
    }
    return copy;
  }
  if (!(value instanceof Error) && typeof (value as { toJSON?: unknown }).toJSON === 'function') {
    // What JSON would emit is what gets redacted: `toJSON` may read private state.
    let json: unknown;
    try {
      json = (value as { toJSON: () => unknown }).toJSON();
    } catch {
      return unreadableValue;
    }
    if (json !== value) return walk(json, depth + 1, state);
  }
  const copy: Record<string, unknown> = {};
  if (value instanceof Error) {
    copy.type = value.name;
    copy.message = scrub(String(value.message));
    copy.stack = value.stack === undefined ? undefined : scrub(String(value.stack));
    if (value.cause !== undefined) copy.cause = walk(value.cause, depth + 1, state);
    if (value instanceof AggregateError) copy.errors = walk(value.errors, depth + 1, state);
  }
  const keys = Object.keys(value);
  for (const [index, key] of keys.entries()) {
    if (key === 'toJSON') continue;
    if (index === maxKeys) {
      copy['[truncated]'] = `[Redacted: ${keys.length - maxKeys} more keys]`;
      break;
    }
    let child: unknown;
    try {
      child = (value as Record<string, unknown>)[key];
    } catch {
      copy[key] = unreadableValue;
      continue;
    }
    copy[key] = isSecret(key, child) ? redactedValue : walk(child, depth + 1, state);
  }
  return copy;
}

function walkItems(items: Iterable<unknown>, size: number, depth: number, state: Walk): unknown[] {
  const copy: unknown[] = [];
  for (const item of items) {
    if (copy.length === maxItems) {
      copy.push(`[Redacted: ${size - maxItems} more items]`);
      break;
    }
    copy.push(walk(item, depth + 1, state));
  }
  return copy;
}
