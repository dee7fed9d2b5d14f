import { describe, expect, it } from 'vitest';
import { withoutUnsetFields } from './unset-fields.js';

describe('withoutUnsetFields', () => {
  it('leaves out empty strings and unset messages at every depth, keeping zeros and false', () => {
    expect(
      withoutUnsetFields({
        id: 'm1',
        deviceId: '',
        seq: 0,
        hasMore: false,
        author: { kind: 'bot', id: 'b1', name: '' },
        customerData: null,
        messages: [{ text: 'hi', reason: '' }],
      }),
    ).toEqual({
      id: 'm1',
      seq: 0,
      hasMore: false,
      author: { kind: 'bot', id: 'b1' },
      messages: [{ text: 'hi' }],
    });
  });
});
