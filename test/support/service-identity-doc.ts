import { readFileSync } from 'node:fs';

/** The rows of the method table in docs/service-identity.md for `service`: method → callers. */
export function documentedCallers(service: string): Record<string, string[]> {
  const doc = readFileSync(new URL('../../docs/service-identity.md', import.meta.url), 'utf8');
  const rows = [...doc.matchAll(/^\| (\w+) +\| (\w+) +\| ([\w, ]+?) +\|$/gm)];
  return Object.fromEntries(
    rows
      .filter(([, name]) => name === service)
      .map(([, , method, callers]) => [method, (callers ?? '').split(', ')]),
  );
}
