/**
 * A decoded message without proto3's defaults: empty strings and unset (null) messages are left
 * out, recursively, so an optional field of a contract schema reads as absent and the contract's
 * zod schema can parse the answer as it stands (the field names of the proto and the contract are
 * the same: docs/architecture.md, "Where each contract lives"). Only for messages in which an empty
 * string is never a value.
 *
 * @example
 * syncPage.parse(withoutUnsetFields(await call.Sync(request)));
 */
export function withoutUnsetFields(message: unknown): unknown {
  if (Array.isArray(message)) return message.map(withoutUnsetFields);
  if (message === null || typeof message !== 'object') return message;
  const present: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(message)) {
    if (value === '' || value === null || value === undefined) continue;
    present[key] = withoutUnsetFields(value);
  }
  return present;
}
