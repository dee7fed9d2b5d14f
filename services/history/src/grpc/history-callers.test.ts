import { describe, expect, it } from 'vitest';
import { documentedCallers } from '../../../../test/support/service-identity-doc.js';
import { historyServiceCallers } from './history-service.js';

describe('who may call HistoryService', () => {
  it('is ingress alone, for every method, as docs/service-identity.md says', () => {
    expect(historyServiceCallers).toEqual(documentedCallers('history'));
    for (const callers of Object.values(historyServiceCallers)) expect(callers).toEqual(['ingress']);
  });
});
