import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { historyServiceCallers } from './history-service.js';

/** The rows of the method table in docs/service-identity.md for `service`: method → callers. */
function documentedCallers(service: string): Record<string, string[]> {
  const doc = readFileSync(new URL('../../../../docs/service-identity.md', import.meta.url), 'utf8');
  const rows = [...doc.matchAll(/^\| (\w+) +\| (\w+) +\| ([\w, ]+?) +\|$/gm)];
  return Object.fromEntries(
    rows
      .filter(([, name]) => name === service)
      .map(([, , method, callers]) => [method, (callers ?? '').split(', ')]),
  );
}

describe('who may call HistoryService', () => {
  it('is ingress alone, for every method, as docs/service-identity.md says', () => {
    expect(historyServiceCallers).toEqual(documentedCallers('history'));
    for (const callers of Object.values(historyServiceCallers)) expect(callers).toEqual(['ingress']);
  });
});
