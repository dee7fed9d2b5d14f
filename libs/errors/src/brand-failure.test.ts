import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  BrandFailure,
  brandFailureReasons,
  callerGone,
  isBrandFailure,
  ParleyError,
  throwIfCallerGone,
  untilCallerGone,
} from './index.js';

describe('BrandFailure', () => {
  it('takes its code from its reason, and keeps the reason typed and in the context', () => {
    const failure = new BrandFailure('circuit_open', 'not attempted', { host: 'brand.example' });
    expect(failure).toBeInstanceOf(ParleyError);
    expect(isBrandFailure(failure)).toBe(true);
    expect(failure).toMatchObject({
      code: 'brand_unavailable',
      retriable: true,
      reason: 'circuit_open',
      host: 'brand.example',
      context: { host: 'brand.example', reason: 'circuit_open' },
    });
    expect(new BrandFailure('not_json', 'x').code).toBe('brand_error');
    expect(new BrandFailure('not_allowed', 'x').code).toBe('url_not_allowed');
    expect(isBrandFailure(new ParleyError('brand_error', 'x'))).toBe(false);
  });

  it('documents every reason with its code, and nothing else', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    const section = readme.slice(readme.indexOf('## Brand failures'));
    const documented = Object.fromEntries(
      [...section.matchAll(/^\|\s*`([a-z_]+)`\s*\|\s*`([a-z_]+)`\s*\|/gm)].map((m) => [m[1], m[2]]),
    );
    expect(documented).toEqual(brandFailureReasons);
  });
});

describe('a caller that has gone', () => {
  it('is deadline_exceeded, at the start of work or while waiting for shared work', async () => {
    const gone = AbortSignal.abort(new Error('cancelled'));
    expect(callerGone(gone)).toMatchObject({ code: 'deadline_exceeded' });
    expect(() => throwIfCallerGone(gone)).toThrow(ParleyError);
    expect(() => throwIfCallerGone(undefined)).not.toThrow();

    let finish: (value: string) => void = () => {};
    const shared = new Promise<string>((resolve) => {
      finish = resolve;
    });
    const caller = new AbortController();
    let left = 0;
    const waiting = untilCallerGone(shared, caller.signal, () => {
      left += 1;
    });
    caller.abort();
    await expect(waiting).rejects.toMatchObject({ code: 'deadline_exceeded' });
    expect(left).toBe(1);
    finish('done'); // the shared work runs on for whoever else waits
    expect(await untilCallerGone(shared, new AbortController().signal)).toBe('done');
  });
});
