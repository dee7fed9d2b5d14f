import { errorCodes } from '@parley/errors/codes';
import { describe, expect, it } from 'vitest';
import { ParleyClientError } from './parley-client-error.js';

describe('ParleyClientError.retriable', () => {
  it('follows the server’s error registry for every code it answers with', () => {
    for (const [code, info] of Object.entries(errorCodes)) {
      if ('publicAs' in info) continue; // never reaches a client under its own name
      expect(new ParleyClientError(code, 'x').retriable, code).toBe(info.retriable);
    }
  });

  it('retries the SDK’s own transport failures and gateway answers, not other HTTP errors', () => {
    for (const code of ['network_error', 'connection_lost', 'timeout'])
      expect(new ParleyClientError(code, 'x').retriable, code).toBe(true);
    expect(new ParleyClientError('http_error', 'x', { status: 503 }).retriable).toBe(true);
    expect(new ParleyClientError('http_error', 'x', { status: 418 }).retriable).toBe(false);
  });
});
