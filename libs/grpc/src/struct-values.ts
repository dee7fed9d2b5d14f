import type { Struct } from './generated/google/protobuf/Struct.js';
import type { Value, Value__Output } from './generated/google/protobuf/Value.js';

type Scalar = string | number | boolean | null;

/** A flat object of scalars as a `google.protobuf.Struct` (custom fields on the wire). */
export function toStruct(values: Readonly<Record<string, Scalar>>): Struct {
  const fields: Record<string, Value> = {};
  for (const [key, value] of Object.entries(values)) {
    if (value === null) fields[key] = { nullValue: 'NULL_VALUE' };
    else if (typeof value === 'string') fields[key] = { stringValue: value };
    else if (typeof value === 'number') fields[key] = { numberValue: value };
    else fields[key] = { boolValue: value };
  }
  return { fields };
}

/** The scalars of a `google.protobuf.Struct`; nested structs and lists are returned as JSON text. */
export function fromStruct(
  struct: { fields?: Record<string, Value__Output> } | null | undefined,
): Record<string, Scalar> {
  const values: Record<string, Scalar> = {};
  for (const [key, value] of Object.entries(struct?.fields ?? {})) {
    switch (value.kind) {
      case 'stringValue':
        values[key] = value.stringValue ?? '';
        break;
      case 'numberValue':
        values[key] = value.numberValue ?? 0;
        break;
      case 'boolValue':
        values[key] = value.boolValue ?? false;
        break;
      case 'structValue':
      case 'listValue':
        values[key] = JSON.stringify(value[value.kind]);
        break;
      default:
        values[key] = null;
    }
  }
  return values;
}
