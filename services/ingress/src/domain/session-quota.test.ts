import { describe, expect, it } from 'vitest';
import { createRateLimiter } from '../adapters/rate-limiter.js';
import { createSessionQuota } from './session-quota.js';

const limited = () => createSessionQuota({ limiter: createRateLimiter({ limit: 2, windowMs: 60_000 }) });

describe('the per-session quota', () => {
  it('counts spellings of one token that differ only in unused base64url bits as one token', () => {
    const quota = limited();
    // `Q` and `R` differ only in the two bits a 3-character base64url group does not use.
    quota.take('eyJh.eyJi.abQ', 'messages');
    quota.take('eyJh.eyJi.abR', 'messages');
    expect(() => quota.take('eyJh.eyJi.abS', 'messages')).toThrow(
      expect.objectContaining({ code: 'rate_limited' }),
    );
  });

  it('counts a token against its session once auth has named it, the first request included', () => {
    const quota = limited();
    quota.take('token-a', 'messages');
    quota.learn('token-a', 's-1');
    quota.take('token-b', 'messages');
    quota.learn('token-b', 's-1');
    let refused: unknown;
    try {
      quota.take('token-a', 'messages');
    } catch (error) {
      refused = error;
    }
    expect(refused).toMatchObject({ code: 'rate_limited', context: { retryAfterSeconds: 60 } });
  });
});
