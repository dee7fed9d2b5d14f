import { describe, expect, it } from 'vitest';
import { formatTable } from './report-table.js';

describe('formatTable', () => {
  it('pads columns to their widest cell, text left and numbers right', () => {
    expect(
      formatTable([
        ['', 'p50', 'p99'],
        ['introspection', '2', '14'],
        ['userinfo', '12', '3'],
      ]),
    ).toBe(
      ['                 p50  p99', '  introspection    2   14', '  userinfo        12    3'].join('\n'),
    );
  });
});
