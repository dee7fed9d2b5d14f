const brand: unique symbol = Symbol('parley.sql');

/**
 * A parameterized statement: the text only ever holds `$n` placeholders, the values travel apart.
 * Built only by the `sql` tag, so a statement glued together from strings does not type-check.
 */
export interface SqlStatement {
  readonly [brand]: true;
  readonly text: string;
  readonly values: readonly unknown[];
}

interface Fragment {
  readonly strings: readonly string[];
  readonly values: readonly unknown[];
}

const fragments = new WeakMap<SqlStatement, Fragment>();

function isStatement(value: unknown): value is SqlStatement {
  return typeof value === 'object' && value !== null && fragments.has(value as SqlStatement);
}

/**
 * Tags a statement: every interpolated value becomes a placeholder, and an interpolated `sql`
 * fragment is spliced in with its own values (for optional conditions).
 *
 * @example
 * const inChannel = channelId ? sql`and channel_id = ${channelId}` : sql``;
 * await db.forTenant(tenantId).query(sql`delete from sessions where tenant_id = ${tenantId} and customer_key = ${key} ${inChannel}`);
 */
export function sql(strings: TemplateStringsArray, ...values: unknown[]): SqlStatement {
  const parts: string[] = [strings[0] ?? ''];
  const flat: unknown[] = [];
  values.forEach((value, index) => {
    if (isStatement(value)) {
      const inner = fragments.get(value) as Fragment;
      parts[parts.length - 1] += inner.strings[0] ?? '';
      inner.values.forEach((innerValue, innerIndex) => {
        flat.push(innerValue);
        parts.push(inner.strings[innerIndex + 1] ?? '');
      });
      parts[parts.length - 1] += strings[index + 1] ?? '';
    } else {
      flat.push(value);
      parts.push(strings[index + 1] ?? '');
    }
  });
  const text = parts.reduce((joined, part, index) => (index === 0 ? part : `${joined}$${index}${part}`), '');
  const statement = { [brand]: true, text, values: flat } as const;
  fragments.set(statement, { strings: parts, values: flat });
  return statement;
}
