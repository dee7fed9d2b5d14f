import { describe, expect, it } from 'vitest';
import { commandDelta, parseStoreCommands } from './store-metrics.js';

describe('store command counters', () => {
  const metrics = [
    '# HELP ferretdb_client_requests_total Total number of requests.',
    '# TYPE ferretdb_client_requests_total counter',
    'ferretdb_client_requests_total{command="find",opcode="OP_MSG"} 46675',
    'ferretdb_client_requests_total{command="insert",opcode="OP_MSG"} 18283',
    'ferretdb_client_requests_total{command="unknown",opcode="OP_QUERY"} 713',
    'ferretdb_client_responses_total{argument="unknown",command="find",opcode="OP_MSG",result="ok"} 46675',
  ].join('\n');

  it('reads requests per command from the Prometheus text', () => {
    expect(parseStoreCommands(metrics)).toEqual({ find: 46675, insert: 18283, unknown: 713 });
  });

  it('gives what changed between two readings', () => {
    expect(
      commandDelta({ find: 10, insert: 5, ping: 1 }, { find: 25, insert: 5, ping: 1, delete: 2 }),
    ).toEqual({
      find: 15,
      delete: 2,
    });
  });
});
