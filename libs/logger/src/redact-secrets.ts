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

/**
 * A copy of a log object with secret values replaced, at any depth (bounded), in any key case,
 * inside arrays and inside errors and their causes (which are turned into plain objects).
 */
export function redactSecrets(value: unknown, depth = 0): unknown {
  if (value === null || typeof value !== 'object' || depth > 8) return value;
  if (value instanceof Date || Buffer.isBuffer(value)) return value;
  if (Array.isArray(value)) return value.map((item) => redactSecrets(item, depth + 1));
  const source = value as Record<string, unknown>;
  const copy: Record<string, unknown> = {};
  if (value instanceof Error) {
    copy.type = value.name;
    copy.message = value.message;
    copy.stack = value.stack;
    if (value.cause !== undefined) copy.cause = redactSecrets(value.cause, depth + 1);
  }
  for (const [key, child] of Object.entries(source)) {
    copy[key] = isSecret(key, child) ? redactedValue : redactSecrets(child, depth + 1);
  }
  return copy;
}
